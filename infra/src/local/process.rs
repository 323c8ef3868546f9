//! Supervision of the engines the local stack runs as child processes (dynalite, moto server,
//! `cargo lambda watch`). Each starts in its own process group with its output in a log file.
//! Dropping its handle stops its whole process tree, so an early return, an error or a panic
//! leaves no process behind.
//!
//! NOTE: a `SIGKILL` of the supervising process itself skips every drop, so its children survive
//! it. Everything else (exit, error, panic, Ctrl-C and `SIGTERM` handled by the caller) stops them.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process, kill_process_group};
use thiserror::Error;

/// How long a process gets to exit after `SIGTERM` before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Errors from starting a child process.
#[derive(Debug, Error)]
pub enum SpawnError {
    /// The log file could not be created.
    #[error("creating the log file {} for {name} failed: {source}", path.display())]
    Log {
        /// Process name.
        name: String,
        /// Log file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The program could not be started.
    #[error("starting {name} ({program}) failed: {source}")]
    Start {
        /// Process name.
        name: String,
        /// Program path.
        program: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// A child process in its own process group, stopped with all its descendants when dropped.
#[derive(Debug)]
pub struct ManagedProcess {
    name: String,
    child: Child,
    log: PathBuf,
    stopped: bool,
}

impl ManagedProcess {
    /// Starts `command` as `name` in a new process group, with standard input closed and its
    /// standard output and error written to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Result<Self, SpawnError> {
        if let Some(parent) = log.parent() {
            fs::create_dir_all(parent).map_err(|source| SpawnError::Log {
                name: name.to_owned(),
                path: log.to_owned(),
                source,
            })?;
        }
        let log_error = |source| SpawnError::Log {
            name: name.to_owned(),
            path: log.to_owned(),
            source,
        };
        let stdout = File::create(log).map_err(log_error)?;
        let stderr = stdout.try_clone().map_err(log_error)?;

        let program = command.get_program().to_string_lossy().into_owned();
        let child = command
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0)
            .spawn()
            .map_err(|source| SpawnError::Start {
                name: name.to_owned(),
                program,
                source,
            })?;

        tracing::debug!(process = name, pid = child.id(), log = %log.display(), "started");
        Ok(Self {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
            stopped: false,
        })
    }

    /// The name given at start.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Process id, which is also its process group id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The log file of its output.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Exit status if the process has already exited.
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The last `count` lines of its log, for error messages.
    pub fn log_tail(&self, count: usize) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        super::tools::last_lines(&text, count)
    }

    /// Stops the process and every descendant: `SIGTERM` to each process group in the tree, then
    /// `SIGKILL` to whatever is still alive after a grace period. Idempotent.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;

        // Collect the tree first: once the parent exits, its children are re-parented to init and
        // can no longer be found from it. Some tools (cargo-lambda) start their own children in
        // new process groups, so signalling the leader's group alone is not enough.
        let root = self.child.id();
        let tree = process_tree(root);
        let groups: HashSet<u32> = tree
            .iter()
            .filter_map(|pid| process_group_of(*pid))
            .collect();

        signal_groups(&groups, root, Signal::TERM);
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline && tree.iter().any(|pid| is_alive(*pid)) {
            let _ = self.child.try_wait();
            std::thread::sleep(Duration::from_millis(50));
        }

        let survivors: Vec<u32> = tree.iter().copied().filter(|pid| is_alive(*pid)).collect();
        if !survivors.is_empty() {
            tracing::warn!(process = %self.name, ?survivors, "killing processes that ignored SIGTERM");
            signal_groups(&groups, root, Signal::KILL);
            for pid in survivors {
                send(pid, Signal::KILL, false);
            }
        }

        let _ = self.child.wait();
        tracing::debug!(process = %self.name, "stopped");
    }
}

impl Drop for ManagedProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Signals every process group in `groups`, and the root's group even if `/proc` did not list it.
fn signal_groups(groups: &HashSet<u32>, root: u32, signal: Signal) {
    send(root, signal, true);
    for group in groups {
        if *group != root {
            send(*group, signal, true);
        }
    }
}

/// Sends `signal` to a process or a process group; a target that is already gone is not an error.
fn send(id: u32, signal: Signal, group: bool) {
    let Some(pid) = i32::try_from(id).ok().and_then(Pid::from_raw) else {
        return;
    };
    // Never signal group 1 or our own group: that would reach processes this module did not start.
    if group && (id <= 1 || Some(id) == process_group_of(std::process::id())) {
        return;
    }
    let _ = if group {
        kill_process_group(pid, signal)
    } else {
        kill_process(pid, signal)
    };
}

/// `pid` and all its descendants, read from `/proc`.
fn process_tree(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (pid, parent) in all_processes() {
        children.entry(parent).or_default().push(pid);
    }

    let mut tree = vec![root];
    let mut index = 0;
    while index < tree.len() {
        if let Some(kids) = children.get(&tree[index]) {
            tree.extend(kids);
        }
        index += 1;
    }
    tree
}

/// `(pid, parent pid)` of every process visible in `/proc`.
fn all_processes() -> Vec<(u32, u32)> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            entry
                .file_name()
                .to_str()
                .and_then(|name| name.parse::<u32>().ok())
        })
        .filter_map(|pid| stat_fields(pid).map(|fields| (pid, fields.parent)))
        .collect()
}

fn process_group_of(pid: u32) -> Option<u32> {
    stat_fields(pid).map(|fields| fields.group)
}

/// Returns whether the process exists and is not a zombie.
fn is_alive(pid: u32) -> bool {
    stat_fields(pid).is_some_and(|fields| fields.state != 'Z')
}

struct StatFields {
    state: char,
    parent: u32,
    group: u32,
}

/// Reads state, parent and process group from `/proc/PID/stat`. The command name in brackets
/// may contain spaces, so the fields are read after its closing bracket.
fn stat_fields(pid: u32) -> Option<StatFields> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    let group = fields.next()?.parse().ok()?;
    Some(StatFields {
        state,
        parent,
        group,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_kills_children_in_other_groups() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let pid_file = dir.path().join("grandchild.pid");

        // The shell starts a grandchild in a new session (so in another process group, as
        // cargo-lambda does with function instances) and waits. The grandchild writes its own pid
        // once it runs inside the new session, so the test never sees it before setsid.
        let mut command = Command::new("sh");
        command.arg("-c").arg(format!(
            "setsid sh -c 'echo $$ > {}.tmp && mv {0}.tmp {0} && exec sleep 300' & wait",
            pid_file.display()
        ));
        let mut process =
            ManagedProcess::spawn("tree", command, &dir.path().join("tree.log")).expect("spawn");

        let deadline = Instant::now() + Duration::from_secs(10);
        while !pid_file.exists()
            || fs::read_to_string(&pid_file)
                .expect("pid")
                .trim()
                .is_empty()
        {
            assert!(Instant::now() < deadline, "the grandchild did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        let grandchild: u32 = fs::read_to_string(&pid_file)
            .expect("pid")
            .trim()
            .parse()
            .expect("a pid");
        assert!(
            is_alive(grandchild),
            "grandchild {grandchild} should run before stop"
        );
        assert_ne!(process_group_of(grandchild), Some(process.pid()));

        process.stop();

        assert!(!is_alive(process.pid()), "the shell survived stop");
        assert!(
            !is_alive(grandchild),
            "grandchild {grandchild} survived stop"
        );
    }

    #[test]
    fn stop_kills_a_process_that_ignores_sigterm() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "trap '' TERM; echo ready; while true; do sleep 1; done",
        ]);
        let log = dir.path().join("stubborn.log");
        let mut process = ManagedProcess::spawn("stubborn", command, &log).expect("spawn");

        let deadline = Instant::now() + Duration::from_secs(10);
        while !fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("ready")
        {
            assert!(Instant::now() < deadline, "the shell did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        process.stop();

        assert!(
            !is_alive(process.pid()),
            "a process ignoring SIGTERM survived stop"
        );
    }

    #[test]
    fn drop_stops_the_process() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut command = Command::new("sleep");
        command.arg("300");
        let process =
            ManagedProcess::spawn("sleep", command, &dir.path().join("sleep.log")).expect("spawn");
        let pid = process.pid();
        assert!(is_alive(pid));

        drop(process);

        assert!(!is_alive(pid), "sleep {pid} survived drop");
    }

    #[test]
    fn spawn_error_names_the_program() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let command = Command::new("/nonexistent/moto_server");
        let error = ManagedProcess::spawn("moto", command, &dir.path().join("moto.log"))
            .expect_err("must fail");
        assert!(
            error
                .to_string()
                .contains("starting moto (/nonexistent/moto_server) failed"),
            "{error}"
        );
    }

    #[test]
    fn stat_parses_names_with_spaces_and_brackets() {
        let fields = stat_fields(std::process::id()).expect("own stat");
        assert_eq!(
            fields.group,
            process_group_of(std::process::id()).expect("own group")
        );
        assert!(fields.parent > 0);
    }
}
