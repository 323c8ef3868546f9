//! Loopback ports and readiness checks for the local stack: every engine listens on 127.0.0.1,
//! on a port the operating system picked as free, and counts as started only once it responds.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::time::Duration;

use tokio::time::Instant;

use super::process::ManagedProcess;

/// The loopback address every engine binds.
pub const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// Errors from starting an engine and waiting until it is ready.
#[derive(Debug, thiserror::Error)]
pub enum ReadyError {
    /// No free port could be reserved.
    #[error("finding a free port on 127.0.0.1 failed: {0}")]
    NoFreePort(std::io::Error),
    /// The process exited before it responded.
    #[error("{name} exited with {status} before it was ready; the end of {log}:\n{tail}")]
    Exited {
        /// Engine name.
        name: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// Its log file.
        log: String,
        /// The last lines of that log.
        tail: String,
    },
    /// The engine did not respond in time.
    #[error(
        "{name} did not respond within {timeout:?} (last error: {last_error}); the end of {log}:\n{tail}"
    )]
    TimedOut {
        /// Engine name.
        name: String,
        /// How long it was given.
        timeout: Duration,
        /// The last failed check.
        last_error: String,
        /// Its log file.
        log: String,
        /// The last lines of that log.
        tail: String,
    },
}

/// Returns a port on 127.0.0.1 that was free a moment ago. The listener is closed before returning, so
/// another process could take it before the engine binds it; [`wait_ready`] then reports the
/// engine's failure with its log.
pub fn free_port() -> Result<u16, ReadyError> {
    let listener =
        TcpListener::bind(SocketAddr::from((LOOPBACK, 0))).map_err(ReadyError::NoFreePort)?;
    let port = listener
        .local_addr()
        .map_err(ReadyError::NoFreePort)?
        .port();
    Ok(port)
}

/// `http://127.0.0.1:PORT`.
pub fn loopback_url(port: u16) -> String {
    format!("http://{LOOPBACK}:{port}")
}

/// Calls `check` every 100 ms until it succeeds, the process exits, or `timeout` passes.
pub async fn wait_ready<F, Fut>(
    process: &mut ManagedProcess,
    timeout: Duration,
    mut check: F,
) -> Result<(), ReadyError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = process.exit_status() {
            return Err(ReadyError::Exited {
                name: process.name().to_owned(),
                status,
                log: process.log().display().to_string(),
                tail: process.log_tail(30),
            });
        }

        let last_error = match check().await {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };

        if Instant::now() >= deadline {
            return Err(ReadyError::TimedOut {
                name: process.name().to_owned(),
                timeout,
                last_error,
                log: process.log().display().to_string(),
                tail: process.log_tail(30),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks whether something accepts TCP connections on 127.0.0.1:`port`.
pub async fn accepts_connections(port: u16) -> Result<(), String> {
    tokio::net::TcpStream::connect((LOOPBACK, port))
        .await
        .map(|_| ())
        .map_err(|error| format!("connecting to 127.0.0.1:{port}: {error}"))
}
