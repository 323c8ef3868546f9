//! `tally destroy`: deletes the stack after confirmation. The table is retained, because its
//! deletion policy is `Retain`; the artifact bucket is not part of the stack and stays too.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::aws::{self, cloudformation as cfn};
use crate::stack::names::outputs;

/// Options of `tally destroy`.
#[derive(Debug, clap::Args)]
pub struct DestroyArgs {
    /// Name of the CloudFormation stack to delete.
    #[arg(long, value_name = "NAME")]
    pub stack: String,

    /// Delete without asking for confirmation.
    #[arg(long)]
    pub yes: bool,

    /// Minutes to wait for the deletion before giving up.
    #[arg(long, default_value_t = 30, value_name = "MINUTES")]
    pub timeout_minutes: u64,
}

/// Runs `tally destroy`.
pub fn run(args: &DestroyArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("failed to start the async runtime")?;
    runtime.block_on(destroy(args))
}

async fn destroy(args: &DestroyArgs) -> anyhow::Result<ExitCode> {
    let aws = aws::connect().await?;
    let client = &aws.cloudformation;

    let Some(stack) = cfn::describe_stack(client, &args.stack).await? else {
        bail!("stack {} does not exist in {}: nothing to delete", args.stack, aws.region);
    };
    let table = cfn::outputs(&stack)
        .into_iter()
        .find(|(key, _)| key == outputs::TABLE_NAME)
        .map(|(_, value)| value);

    if !args.yes {
        let stdin = std::io::stdin();
        let confirmed =
            confirm(&args.stack, table.as_deref(), &mut stdin.lock(), &mut std::io::stderr())
                .context("failed to read the confirmation")?;
        if !confirmed {
            eprintln!("Aborted: stack {} was not deleted", args.stack);
            return Ok(ExitCode::FAILURE);
        }
    }

    let stack_id = stack.stack_id().unwrap_or(&args.stack).to_owned();
    let seen = cfn::event_ids(client, &stack_id).await?;
    client.delete_stack().stack_name(&stack_id).send().await.map_err(|error| {
        anyhow::anyhow!("failed to delete stack {}: {}", args.stack, crate::aws::error_text(&error))
    })?;

    let timeout = Duration::from_secs(args.timeout_minutes.saturating_mul(60));
    let status = cfn::follow_stack(client, &stack_id, seen, 0, timeout).await?;
    if status != "DELETE_COMPLETE" {
        bail!(
            "stack {} ended in {status}; the events above name the resource that could not be \
             deleted",
            args.stack
        );
    }

    eprintln!("Deleted stack {}", args.stack);
    if let Some(table) = table {
        eprintln!(
            "Retained table {table}: delete it with `aws dynamodb delete-table --table-name \
             {table}` once its reports are no longer needed"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Asks on `output` to type the stack name and reads the answer from `input`; only the exact
/// name confirms.
fn confirm(
    stack: &str,
    table: Option<&str>,
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> std::io::Result<bool> {
    writeln!(
        output,
        "This deletes stack {stack}: its functions, HTTP API, state machine and logs."
    )?;
    if let Some(table) = table {
        writeln!(output, "The table {table} is retained.")?;
    }
    write!(output, "Type the stack name to confirm: ")?;
    output.flush()?;

    let mut answer = String::new();
    input.read_line(&mut answer)?;
    Ok(answer.trim() == stack)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    #[test]
    fn confirm_needs_exact_stack_name() {
        let cases = [
            ("tally-prod\n", true),
            ("tally-prod", true),
            ("y\n", false),
            ("", false),
            ("tally\n", false),
        ];
        for (answer, expected) in cases {
            let mut prompt = Vec::new();
            let confirmed =
                confirm("tally-prod", Some("t-1"), &mut Cursor::new(answer), &mut prompt)
                    .expect("in-memory I/O works");
            assert_eq!(confirmed, expected, "answer {answer:?}");

            let prompt = String::from_utf8(prompt).expect("prompt is UTF-8");
            assert!(prompt.contains("The table t-1 is retained"), "{prompt}");
        }
    }
}
