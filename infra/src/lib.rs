//! tally's operator library: the CLI's subcommands, the typed CloudFormation stack, and the local
//! stand-ins (GitHub fake, Lambda Invoke API adapter) shared by `tally local` and the tests.

pub mod aws;
pub mod cfn;
pub mod commands;
pub mod local;
pub mod stack;
