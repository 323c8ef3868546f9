//! The state machine definition (Amazon States Language JSON) and its function ARN
//! placeholders.
//!
//! CloudFormation fills the placeholders through `DefinitionSubstitutions`; `tally local` fills
//! them itself with [`substitute_function_arns`], so both run the same workflow.

use std::collections::BTreeSet;

use thiserror::Error;

/// Placeholder name of the open-issue function's ARN, written `${OpenIssueFunctionArn}`.
pub const OPEN_ISSUE_ARN_PLACEHOLDER: &str = "OpenIssueFunctionArn";

/// Placeholder name of the sync-occurrences function's ARN.
pub const SYNC_OCCURRENCES_ARN_PLACEHOLDER: &str = "SyncOccurrencesFunctionArn";

/// Path of the definition relative to the workspace root.
pub const DEFINITION_PATH: &str = "statemachine/tally.asl.json";

/// The definition at [`DEFINITION_PATH`], embedded at build time.
pub const BUNDLED: &str = include_str!("../../../statemachine/tally.asl.json");

/// The bundled definition with the function ARN placeholders filled in, as `tally local` needs
/// it to create the state machine itself.
pub fn state_machine_definition(open_issue_arn: &str, sync_occurrences_arn: &str) -> String {
    substitute_function_arns(BUNDLED, open_issue_arn, sync_occurrences_arn)
}

/// A definition that cannot be deployed.
#[derive(Debug, Error)]
pub enum DefinitionError {
    /// The text is not JSON.
    #[error("the state machine definition is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON lacks `StartAt` or `States`.
    #[error("the state machine definition has no {0:?} field; it must be an ASL state machine")]
    MissingField(&'static str),
    /// A `${Name}` placeholder that the stack does not fill.
    #[error(
        "the state machine definition uses the placeholder ${{{0}}}, but only \
         ${{OpenIssueFunctionArn}} and ${{SyncOccurrencesFunctionArn}} are substituted"
    )]
    UnknownPlaceholder(String),
}

/// Checks that `definition` is an ASL document whose placeholders are all ones the stack fills.
pub fn check_definition(definition: &str) -> Result<(), DefinitionError> {
    let document: serde_json::Value = serde_json::from_str(definition)?;
    for field in ["StartAt", "States"] {
        if document.get(field).is_none() {
            return Err(DefinitionError::MissingField(field));
        }
    }

    let known = [OPEN_ISSUE_ARN_PLACEHOLDER, SYNC_OCCURRENCES_ARN_PLACEHOLDER];
    for name in placeholders(definition) {
        if !known.contains(&name.as_str()) {
            return Err(DefinitionError::UnknownPlaceholder(name));
        }
    }
    Ok(())
}

/// Replaces the function ARN placeholders in `definition` with `open_issue_arn` and
/// `sync_occurrences_arn`, as CloudFormation does when it creates the state machine.
pub fn substitute_function_arns(
    definition: &str,
    open_issue_arn: &str,
    sync_occurrences_arn: &str,
) -> String {
    definition
        .replace(&format!("${{{OPEN_ISSUE_ARN_PLACEHOLDER}}}"), open_issue_arn)
        .replace(&format!("${{{SYNC_OCCURRENCES_ARN_PLACEHOLDER}}}"), sync_occurrences_arn)
}

/// Names of the `${Name}` placeholders in `text`, without duplicates.
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        names.insert(after[..end].to_owned());
        rest = &after[end + 1..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFINITION: &str = r#"{"StartAt": "Open", "States": {
        "Open": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"FunctionName": "${OpenIssueFunctionArn}"}, "Next": "Sync"},
        "Sync": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"FunctionName": "${SyncOccurrencesFunctionArn}"}, "End": true}}}"#;

    #[test]
    fn substitution_fills_both_placeholders() {
        let text = substitute_function_arns(DEFINITION, "arn:open", "arn:sync");

        assert!(text.contains(r#""FunctionName": "arn:open""#));
        assert!(text.contains(r#""FunctionName": "arn:sync""#));
        assert!(!text.contains("${"));
    }

    #[test]
    fn check_accepts_known_placeholders() {
        check_definition(DEFINITION).expect("definition is valid");
    }

    #[test]
    fn check_rejects_unknown_placeholder() {
        let text = DEFINITION.replace("${SyncOccurrencesFunctionArn}", "${SyncArn}");
        let error = check_definition(&text).expect_err("placeholder is unknown");
        assert!(matches!(error, DefinitionError::UnknownPlaceholder(name) if name == "SyncArn"));
    }

    #[test]
    fn bundled_definition_is_deployable() {
        check_definition(BUNDLED).expect("statemachine/tally.asl.json is valid");

        let text = state_machine_definition("arn:open", "arn:sync");
        assert!(!text.contains("${"), "a placeholder is left: {text}");
        assert!(text.contains("arn:open"));
        assert!(text.contains("arn:sync"));
    }

    #[test]
    fn check_rejects_non_state_machine_json() {
        let error = check_definition(r#"{"States": {}}"#).expect_err("StartAt is missing");
        assert!(matches!(error, DefinitionError::MissingField("StartAt")));

        assert!(matches!(check_definition("{"), Err(DefinitionError::Json(_))));
    }
}
