//! `tally local --exec` as a user runs it: the command gets every `TALLY_TEST_*` variable, its
//! exit code becomes tally's, and no engine is left listening afterwards, also when tally is
//! stopped with `SIGTERM`.
//!
//! Each test starts a whole stack of its own on free ports (about 10 seconds on 2 cores, the
//! function binaries being already built by `scripts/test`).

use std::collections::HashMap;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tally_infra::local::test_env;

/// Time allowed for a stack to start, run the command and stop.
const RUN_TIMEOUT: Duration = Duration::from_secs(600);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `tally local --exec -- sh -c SCRIPT` in the workspace, with the environment dump path in `$OUT`.
fn spawn_exec(script: &str, out: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tally"))
        .args(["local", "--exec", "--", "sh", "-c", script])
        .current_dir(workspace_root())
        .env("OUT", out)
        .stdin(Stdio::null())
        .spawn()
        .expect("tally starts")
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("waiting for tally") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("tally local did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Parses the `NAME=value` lines that `env` wrote.
fn read_env(path: &Path) -> HashMap<String, String> {
    std::fs::read_to_string(path)
        .expect("the command wrote its environment")
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// Asserts that nothing accepts connections at any of the `http://127.0.0.1:PORT` URLs.
fn assert_nothing_listens(env: &HashMap<String, String>) {
    let names = [
        test_env::DYNAMODB_URL,
        test_env::MOTO_URL,
        test_env::MOTO_CLOUDFORMATION_URL,
        test_env::GITHUB_URL,
        test_env::INVOKE_URL,
        test_env::WATCH_URL,
    ];
    for name in names {
        let url = &env[name];
        let address = url.trim_start_matches("http://");
        assert!(
            TcpStream::connect(address).is_err(),
            "{name} ({url}) still accepts connections after tally exited"
        );
    }
}

#[test]
fn exec_passes_environment_and_exit_code() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("env.txt");

    let mut tally = spawn_exec(r#"env > "$OUT"; exit 3"#, &out);
    let status = wait_with_timeout(&mut tally, RUN_TIMEOUT);

    assert_eq!(
        status.code(),
        Some(3),
        "tally exits with the command's code"
    );
    let env = read_env(&out);
    for name in test_env::ALL {
        let value = env
            .get(*name)
            .unwrap_or_else(|| panic!("{name} is not set for the command"));
        assert!(!value.is_empty(), "{name} is empty");
    }
    for name in [
        test_env::DYNAMODB_URL,
        test_env::MOTO_URL,
        test_env::INVOKE_URL,
        test_env::REPORT_URL,
    ] {
        assert!(
            env[name].starts_with("http://127.0.0.1:"),
            "{name}={} is not on loopback",
            env[name]
        );
    }
    assert_nothing_listens(&env);
}

#[test]
fn sigterm_stops_command_and_engines() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("env.txt");

    // The environment is written to a temporary name and renamed, so its presence means complete.
    let mut tally = spawn_exec(
        r#"env > "$OUT.tmp"; mv "$OUT.tmp" "$OUT"; exec sleep 600"#,
        &out,
    );
    let deadline = Instant::now() + RUN_TIMEOUT;
    while !out.exists() {
        if let Some(status) = tally.try_wait().expect("waiting for tally") {
            panic!("tally local exited with {status} before running the command");
        }
        assert!(
            Instant::now() < deadline,
            "the command did not start within {RUN_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let env = read_env(&out);

    let pid = rustix::process::Pid::from_raw(i32::try_from(tally.id()).expect("pid fits"))
        .expect("nonzero pid");
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM sent");
    let status = wait_with_timeout(&mut tally, Duration::from_secs(60));

    // sleep dies of the SIGTERM that tally passes on, and tally reports it as a shell does.
    assert_eq!(status.code(), Some(128 + 15), "exit status {status}");
    assert_nothing_listens(&env);
}
