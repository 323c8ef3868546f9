//! The pinned third-party tools of the local stack and their installation into the project-local
//! `.tools` folder: dynalite and asl-validator from npm into `.tools/node`, moto server,
//! cargo-lambda and cfn-lint from PyPI into the virtual environment `.tools/venv`.
//!
//! A tool already installed at its pinned version is skipped, so a second run costs one Python
//! start and a few file reads. Installs are serialized across processes by a file lock.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use thiserror::Error;

/// The registry a tool comes from, which decides where and how it is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registry {
    /// PyPI, installed with pip into `.tools/venv`.
    PyPi,
    /// npm, installed with `npm install --prefix .tools/node`.
    Npm,
}

/// One third-party tool at the exact version the local stack was verified with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinnedTool {
    /// Package name in its registry.
    pub package: &'static str,
    /// Optional extras (PyPI only), such as `server` for `moto[server]`.
    pub extras: &'static str,
    /// Exact version.
    pub version: &'static str,
    /// Registry the package comes from.
    pub registry: Registry,
}

impl PinnedTool {
    /// The requirement passed to the installer: `moto[server]==5.2.5` or `dynalite@4.0.0`.
    pub fn requirement(&self) -> String {
        match (self.registry, self.extras.is_empty()) {
            (Registry::PyPi, true) => format!("{}=={}", self.package, self.version),
            (Registry::PyPi, false) => {
                format!("{}[{}]=={}", self.package, self.extras, self.version)
            }
            (Registry::Npm, _) => format!("{}@{}", self.package, self.version),
        }
    }
}

/// DynamoDB emulator (in memory), run with Node.
pub const DYNALITE: PinnedTool = PinnedTool {
    package: "dynalite",
    extras: "",
    version: "4.0.0",
    registry: Registry::Npm,
};

/// Amazon States Language validator, run on `statemachine/*.json` by the test script.
pub const ASL_VALIDATOR: PinnedTool = PinnedTool {
    package: "asl-validator",
    extras: "",
    version: "4.0.0",
    registry: Registry::Npm,
};

/// moto server: Step Functions (executing real ASL) and CloudFormation.
pub const MOTO: PinnedTool = PinnedTool {
    package: "moto",
    extras: "server",
    version: "5.2.5",
    registry: Registry::PyPi,
};

/// cargo-lambda, whose `watch` subcommand runs the function binaries behind the Invoke API.
pub const CARGO_LAMBDA: PinnedTool = PinnedTool {
    package: "cargo-lambda",
    extras: "",
    version: "1.9.2",
    registry: Registry::PyPi,
};

/// CloudFormation linter, run on the template of `tally synth` by the test script.
pub const CFN_LINT: PinnedTool = PinnedTool {
    package: "cfn-lint",
    extras: "",
    version: "1.58.0",
    registry: Registry::PyPi,
};

/// Every tool the local stack and the test script use, in installation order.
pub const ALL: &[PinnedTool] = &[MOTO, CARGO_LAMBDA, CFN_LINT, DYNALITE, ASL_VALIDATOR];

/// Errors from installing a tool or finding its prerequisites.
#[derive(Debug, Error)]
pub enum ToolError {
    /// A program the installation needs (python3, node, npm) is not on `PATH`.
    #[error("{program} was not found on PATH ({source}); install {what} and run again")]
    MissingPrerequisite {
        /// Program looked up.
        program: &'static str,
        /// Package that provides it.
        what: &'static str,
        /// Error from starting it.
        source: std::io::Error,
    },
    /// The installer ran and failed.
    #[error(
        "installing {requirement} failed ({status}); the installer's output is in {}:\n{tail}",
        log.display()
    )]
    InstallFailed {
        /// The requirement, such as `moto[server]==5.2.5`.
        requirement: String,
        /// Exit status of the installer.
        status: std::process::ExitStatus,
        /// Full installer output.
        log: PathBuf,
        /// Last lines of that output.
        tail: String,
    },
    /// The installer succeeded but the tool is still not there at the pinned version.
    #[error("{requirement} is still not installed after a successful install; remove {} and run again", dir.display())]
    NotInstalledAfterInstall {
        /// The requirement.
        requirement: String,
        /// The folder to remove.
        dir: PathBuf,
    },
    /// A file in `.tools` could not be read or written.
    #[error("{action} {} failed: {source}", path.display())]
    Io {
        /// What was done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Paths of the installed tools under one `.tools` folder.
#[derive(Debug, Clone)]
pub struct Tools {
    dir: PathBuf,
}

impl Tools {
    /// The tools under `dir` (usually `<repository>/.tools`), without checking or installing.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The `.tools` folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `bin` folder of the virtual environment; put it first on `PATH` so `cargo lambda` resolves.
    pub fn venv_bin(&self) -> PathBuf {
        self.dir.join("venv").join("bin")
    }

    /// The virtual environment's Python.
    pub fn python(&self) -> PathBuf {
        self.venv_bin().join("python")
    }

    /// The `moto_server` entry point.
    pub fn moto_server(&self) -> PathBuf {
        self.venv_bin().join("moto_server")
    }

    /// The `cargo-lambda` binary (run as `cargo-lambda lambda watch ...`).
    pub fn cargo_lambda(&self) -> PathBuf {
        self.venv_bin().join("cargo-lambda")
    }

    /// The `cfn-lint` entry point.
    pub fn cfn_lint(&self) -> PathBuf {
        self.venv_bin().join("cfn-lint")
    }

    /// npm prefix holding `node_modules`.
    pub fn node_prefix(&self) -> PathBuf {
        self.dir.join("node")
    }

    /// dynalite's command-line script, run with `node`.
    pub fn dynalite_cli(&self) -> PathBuf {
        self.node_prefix()
            .join("node_modules")
            .join("dynalite")
            .join("cli.js")
    }

    /// The `asl-validator` command.
    pub fn asl_validator(&self) -> PathBuf {
        self.node_prefix()
            .join("node_modules")
            .join(".bin")
            .join("asl-validator")
    }

    /// Installs every tool of [`ALL`] that is missing or at another version, and returns the
    /// requirements it installed (empty when everything was already in place).
    pub fn ensure_installed(&self) -> Result<Vec<String>, ToolError> {
        self.ensure(ALL)
    }

    /// Installs the given tools when missing or at another version.
    pub fn ensure(&self, tools: &[PinnedTool]) -> Result<Vec<String>, ToolError> {
        create_dir(&self.dir)?;
        let _lock = self.lock()?;

        let mut installed = Vec::new();
        for tool in tools {
            if self.installed_version(tool)?.as_deref() == Some(tool.version) {
                continue;
            }

            tracing::info!(tool = %tool.requirement(), dir = %self.dir.display(), "installing");
            self.install(tool)?;

            if self.installed_version(tool)?.as_deref() != Some(tool.version) {
                return Err(ToolError::NotInstalledAfterInstall {
                    requirement: tool.requirement(),
                    dir: self.dir.clone(),
                });
            }
            installed.push(tool.requirement());
        }
        Ok(installed)
    }

    /// Version of `tool` found in `.tools`, or `None` when it is not installed.
    pub fn installed_version(&self, tool: &PinnedTool) -> Result<Option<String>, ToolError> {
        match tool.registry {
            Registry::Npm => self.npm_version(tool.package),
            Registry::PyPi => self.pypi_version(tool.package),
        }
    }

    /// Takes an exclusive lock on `.tools/install.lock`, released when the file is dropped, so
    /// two test runs started together do not install into the same folder at once.
    fn lock(&self) -> Result<File, ToolError> {
        let path = self.dir.join("install.lock");
        let file = File::create(&path).map_err(io_error("creating", &path))?;
        file.lock().map_err(io_error("locking", &path))?;
        Ok(file)
    }

    fn npm_version(&self, package: &str) -> Result<Option<String>, ToolError> {
        let manifest = self
            .node_prefix()
            .join("node_modules")
            .join(package)
            .join("package.json");
        let text = match fs::read_to_string(&manifest) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io_error("reading", &manifest)(error)),
        };

        // A manifest that is not JSON is a broken install: report it as missing so it is replaced.
        let version = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|json| {
                json.get("version")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            });
        Ok(version)
    }

    fn pypi_version(&self, package: &str) -> Result<Option<String>, ToolError> {
        if !self.python().exists() {
            return Ok(None);
        }

        let script = "import importlib.metadata as m, sys\n\
                      try:\n    print(m.version(sys.argv[1]))\n\
                      except m.PackageNotFoundError:\n    pass\n";
        let output = Command::new(self.python())
            .args(["-c", script, package])
            .stdin(Stdio::null())
            .output()
            .map_err(io_error("running", &self.python()))?;

        // A virtual environment whose Python no longer starts (for example after the system
        // Python moved) counts as missing, so the install step recreates it.
        if !output.status.success() {
            return Ok(None);
        }
        let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        Ok(if version.is_empty() {
            None
        } else {
            Some(version)
        })
    }

    fn install(&self, tool: &PinnedTool) -> Result<(), ToolError> {
        let logs = self.dir.join("logs");
        create_dir(&logs)?;
        let log = logs.join(format!("install-{}.log", tool.package));

        let mut command = match tool.registry {
            Registry::PyPi => {
                self.ensure_venv(&log)?;
                let mut command = Command::new(self.python());
                command.args(["-m", "pip", "install", "--disable-pip-version-check"]);
                command.arg(tool.requirement());
                command
            }
            Registry::Npm => {
                check_on_path("npm", "Node.js 20 with npm")?;
                let mut command = Command::new("npm");
                command
                    .arg("install")
                    .arg("--prefix")
                    .arg(self.node_prefix());
                // Saving (exactly) records the tool in .tools/node/package.json, so the next npm install
                // keeps it instead of pruning it as extraneous.
                command.args(["--no-audit", "--no-fund", "--save-exact"]);
                command.arg(tool.requirement());
                command
            }
        };
        run_logged(&mut command, &tool.requirement(), &log)
    }

    fn ensure_venv(&self, log: &Path) -> Result<(), ToolError> {
        if self.python().exists() && self.pip_works() {
            return Ok(());
        }

        check_on_path("python3", "Python 3.11 or newer with the venv module")?;
        let venv = self.dir.join("venv");
        let mut command = Command::new("python3");
        command.args(["-m", "venv", "--clear"]).arg(&venv);
        run_logged(&mut command, "a Python virtual environment", log)
    }

    fn pip_works(&self) -> bool {
        Command::new(self.python())
            .args(["-m", "pip", "--version"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }
}

/// Runs `command` with its output appended to `log`, and turns a failure into
/// [`ToolError::InstallFailed`] quoting the end of the log.
fn run_logged(command: &mut Command, requirement: &str, log: &Path) -> Result<(), ToolError> {
    let file = File::create(log).map_err(io_error("creating", log))?;
    let stderr = file.try_clone().map_err(io_error("opening", log))?;
    let status = command
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(stderr)
        .status()
        .map_err(io_error("starting the installer for", log))?;

    if status.success() {
        return Ok(());
    }
    let text = fs::read_to_string(log).unwrap_or_default();
    Err(ToolError::InstallFailed {
        requirement: requirement.to_owned(),
        status,
        log: log.to_owned(),
        tail: last_lines(&text, 20),
    })
}

fn check_on_path(program: &'static str, what: &'static str) -> Result<(), ToolError> {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|_| ())
        .map_err(|source| ToolError::MissingPrerequisite {
            program,
            what,
            source,
        })
}

fn create_dir(path: &Path) -> Result<(), ToolError> {
    fs::create_dir_all(path).map_err(io_error("creating", path))
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ToolError {
    let path = path.to_owned();
    move |source| ToolError::Io {
        action,
        path,
        source,
    }
}

/// The last `count` lines of `text`.
pub(crate) fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(count);
    lines[start..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_use_each_registry_syntax() {
        assert_eq!(MOTO.requirement(), "moto[server]==5.2.5");
        assert_eq!(CARGO_LAMBDA.requirement(), "cargo-lambda==1.9.2");
        assert_eq!(DYNALITE.requirement(), "dynalite@4.0.0");
    }

    #[test]
    fn npm_version_reads_package_manifest() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let tools = Tools::at(dir.path());
        assert_eq!(tools.installed_version(&DYNALITE).expect("readable"), None);

        let package = tools.node_prefix().join("node_modules").join("dynalite");
        fs::create_dir_all(&package).expect("package folder");
        fs::write(
            package.join("package.json"),
            r#"{"name":"dynalite","version":"3.2.1"}"#,
        )
        .expect("manifest");
        assert_eq!(
            tools
                .installed_version(&DYNALITE)
                .expect("readable")
                .as_deref(),
            Some("3.2.1")
        );

        fs::write(package.join("package.json"), "not json").expect("manifest");
        assert_eq!(tools.installed_version(&DYNALITE).expect("readable"), None);
    }

    #[test]
    fn pypi_version_is_none_without_venv() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let tools = Tools::at(dir.path());
        assert_eq!(tools.installed_version(&MOTO).expect("readable"), None);
    }

    #[test]
    fn install_failure_names_the_requirement() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let log = dir.path().join("install.log");
        let mut command = Command::new("sh");
        command.args(["-c", "echo 'no matching distribution' >&2; exit 3"]);

        let error = run_logged(&mut command, "moto[server]==5.2.5", &log).expect_err("must fail");
        let message = error.to_string();
        assert!(
            message.contains("installing moto[server]==5.2.5 failed"),
            "{message}"
        );
        assert!(message.contains("no matching distribution"), "{message}");
    }

    #[test]
    fn last_lines_keeps_the_end() {
        assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(last_lines("a", 5), "a");
    }
}
