//! Local stand-ins for the services tally uses in AWS and on GitHub, shared by `tally local` and
//! the integration tests: pinned engine installs, process supervision, the GitHub fake, the Lambda
//! Invoke API adapter, and the stack that wires them together on 127.0.0.1.

pub mod demo;
pub mod github_fake;
pub mod invoke_adapter;
pub mod net;
pub mod process;
pub mod report_proxy;
pub mod stack;
pub mod test_env;
pub mod tools;
