//! Walks every IAM policy in the synthesized template and rejects wildcards that
//! `stack::permissions::ANY_RESOURCE_ACTIONS` does not explain, then checks that each role
//! has exactly the permissions its function or state machine uses.

mod support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use support::{get_att, ids_of_type, option_variants, properties, reference, template_json};
use tally_infra::stack::functions::{INGEST, OPEN_ISSUE, SYNC_OCCURRENCES};
use tally_infra::stack::names::{ids, parameters};
use tally_infra::stack::permissions::any_resource_reason;
use tally_infra::stack::{GitHubAuth, ReportAuth, StackOptions};

/// One reason a policy statement is too broad, with where it is.
type Violation = String;

/// Every IAM policy document in `template`, with the resource and place it is in.
fn policy_documents(template: &Value) -> Vec<(String, &Value)> {
    let mut documents = Vec::new();
    let resources = template["Resources"].as_object().expect("Resources is an object");
    for (id, resource) in resources {
        let properties = &resource["Properties"];
        match resource["Type"].as_str() {
            Some("AWS::IAM::Role") => {
                documents
                    .push((format!("{id} trust policy"), &properties["AssumeRolePolicyDocument"]));
                for policy in properties["Policies"].as_array().into_iter().flatten() {
                    documents.push((
                        format!("{id} policy {}", policy["PolicyName"]),
                        &policy["PolicyDocument"],
                    ));
                }
            }
            Some("AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy") => {
                documents.push((format!("{id} policy"), &properties["PolicyDocument"]));
            }
            _ => {}
        }
    }
    documents
}

/// The strings of a field that may be a string or a list of strings.
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(text) => vec![text.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The text of a resource entry that may contain a wildcard: a literal or an `Fn::Sub` template.
/// `Ref` and `Fn::GetAtt` name one resource of the stack and cannot.
fn resource_text(resource: &Value) -> Option<&str> {
    match resource {
        Value::String(text) => Some(text),
        Value::Object(map) => map.get("Fn::Sub").and_then(Value::as_str),
        _ => None,
    }
}

/// Every wildcard in `template`'s IAM policies that no listed reason explains.
fn unexplained_wildcards(template: &Value) -> Vec<Violation> {
    let mut violations = Vec::new();
    let resources = template["Resources"].as_object().expect("Resources is an object");
    for (id, resource) in resources {
        if resource["Properties"].get("ManagedPolicyArns").is_some() {
            violations
                .push(format!("{id}: managed policies are not reviewed here; use inline policies"));
        }
    }

    for (place, document) in policy_documents(template) {
        let statements = document["Statement"].as_array().cloned().unwrap_or_default();
        if statements.is_empty() {
            violations.push(format!("{place}: no statements"));
        }
        for statement in &statements {
            let sid = statement["Sid"].as_str().unwrap_or("(no Sid)");
            let at = format!("{place} statement {sid}");
            for field in ["NotAction", "NotResource", "NotPrincipal"] {
                if statement.get(field).is_some() {
                    violations.push(format!("{at}: {field} grants everything it does not list"));
                }
            }

            let actions = strings(&statement["Action"]);
            if actions.is_empty() {
                violations.push(format!("{at}: no actions"));
            }
            for action in &actions {
                if action.contains('*') {
                    violations.push(format!("{at}: wildcard action {action}"));
                }
            }

            let principal = &statement["Principal"];
            if principal == "*"
                || principal.as_object().is_some_and(|map| map.values().any(|v| v == "*"))
            {
                violations.push(format!("{at}: wildcard principal"));
            }

            // Trust policies name a principal instead of resources.
            if statement.get("Principal").is_some() {
                continue;
            }
            let Some(resources) = statement["Resource"].as_array() else {
                violations.push(format!("{at}: Resource must be a list"));
                continue;
            };
            for resource in resources {
                let Some(text) = resource_text(resource) else { continue };
                if !text.contains('*') {
                    continue;
                }
                for action in &actions {
                    if any_resource_reason(action).is_none() {
                        violations.push(format!("{at}: {action} on {text} has no listed reason"));
                    }
                }
            }
        }
    }
    violations
}

#[test]
fn walker_finds_no_unexplained_wildcards() {
    for options in option_variants() {
        let violations = unexplained_wildcards(&template_json(&options));
        assert!(violations.is_empty(), "{options:?}:\n{}", violations.join("\n"));
    }
}

#[test]
fn walker_rejects_broad_statements() {
    let mut template = template_json(&StackOptions::default());
    let statements = template["Resources"][INGEST.role_id()]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array_mut()
        .expect("ingest policy has statements");
    statements.push(json!({"Sid": "AllItems", "Effect": "Allow", "Action": ["dynamodb:*"], "Resource": [{"Fn::GetAtt": ["Table", "Arn"]}]}));
    statements.push(json!({"Sid": "AnyTable", "Effect": "Allow", "Action": ["dynamodb:Scan"], "Resource": ["*"]}));
    statements.push(json!({"Sid": "AnySub", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [{"Fn::Sub": "arn:aws:s3:::${B}/*"}]}));
    statements.push(json!({"Sid": "Inverse", "Effect": "Allow", "NotAction": ["iam:PassRole"], "Resource": ["*"], "Action": []}));
    template["Resources"]["Extra"] = json!({"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{"Sid": "Anyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole"]}]},
        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}});

    let violations = unexplained_wildcards(&template).join("\n");

    for expected in [
        "statement AllItems: wildcard action dynamodb:*",
        "statement AnyTable: dynamodb:Scan on * has no listed reason",
        "statement AnySub: s3:GetObject on arn:aws:s3:::${B}/* has no listed reason",
        "statement Inverse: NotAction",
        "statement Inverse: no actions",
        "statement Anyone: wildcard principal",
        "Extra: managed policies",
    ] {
        assert!(violations.contains(expected), "missing {expected:?} in:\n{violations}");
    }
}

/// The actions granted by the inline policies of `role_id`.
fn actions_of(template: &Value, role_id: &str) -> BTreeSet<String> {
    statements_of(template, role_id)
        .iter()
        .flat_map(|statement| {
            strings(&statement["Action"]).into_iter().map(str::to_owned).collect::<Vec<_>>()
        })
        .collect()
}

/// The statements of the inline policies of `role_id`.
fn statements_of(template: &Value, role_id: &str) -> Vec<Value> {
    let policies =
        properties(template, role_id)["Policies"].as_array().cloned().unwrap_or_default();
    policies
        .iter()
        .flat_map(|policy| {
            policy["PolicyDocument"]["Statement"].as_array().cloned().unwrap_or_default()
        })
        .collect()
}

/// The resources of every statement of `role_id` that grants `action`.
fn resources_for(template: &Value, role_id: &str, action: &str) -> Vec<Value> {
    statements_of(template, role_id)
        .iter()
        .filter(|statement| strings(&statement["Action"]).contains(&action))
        .flat_map(|statement| statement["Resource"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

#[test]
fn ingest_role_claims_starts_and_reads_hmac() {
    let template = template_json(&StackOptions::default());
    let role = INGEST.role_id();

    let expected = set(&[
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "secretsmanager:GetSecretValue",
        "states:StartExecution",
    ]);
    assert_eq!(actions_of(&template, &role), expected);
    assert_eq!(
        resources_for(&template, &role, "dynamodb:PutItem"),
        vec![get_att(ids::TABLE, "Arn")]
    );
    assert_eq!(
        resources_for(&template, &role, "states:StartExecution"),
        vec![reference(ids::STATE_MACHINE)]
    );
    assert_eq!(
        resources_for(&template, &role, "secretsmanager:GetSecretValue"),
        vec![reference(parameters::HMAC_SECRET_ARN)]
    );
    assert_eq!(
        resources_for(&template, &role, "logs:PutLogEvents"),
        vec![get_att(&INGEST.log_group_id(), "Arn")]
    );
}

#[test]
fn ingest_role_without_hmac_reads_no_secret() {
    let options = StackOptions { report_auth: ReportAuth::None, ..StackOptions::default() };
    let template = template_json(&options);

    let actions = actions_of(&template, &INGEST.role_id());
    assert!(!actions.contains("secretsmanager:GetSecretValue"), "{actions:?}");
}

#[test]
fn issue_roles_track_items_and_read_github_secret() {
    for (auth, parameter) in [
        (GitHubAuth::Token, parameters::GITHUB_TOKEN_SECRET_ARN),
        (GitHubAuth::App, parameters::GITHUB_APP_KEY_SECRET_ARN),
    ] {
        let template =
            template_json(&StackOptions { github_auth: auth, ..StackOptions::default() });
        for spec in [OPEN_ISSUE, SYNC_OCCURRENCES] {
            let role = spec.role_id();
            let expected = set(&[
                "dynamodb:GetItem",
                "dynamodb:UpdateItem",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "secretsmanager:GetSecretValue",
            ]);
            assert_eq!(actions_of(&template, &role), expected, "{role}");
            assert_eq!(
                resources_for(&template, &role, "secretsmanager:GetSecretValue"),
                vec![reference(parameter)],
                "{role} with {auth:?}"
            );
            assert_eq!(
                resources_for(&template, &role, "dynamodb:UpdateItem"),
                vec![get_att(ids::TABLE, "Arn")]
            );
        }
    }
}

#[test]
fn each_secret_is_readable_by_its_users_only() {
    let options = StackOptions::default();
    let template = template_json(&options);

    let readers = |parameter: &str| -> BTreeSet<String> {
        ids_of_type(&template, "AWS::IAM::Role")
            .into_iter()
            .filter(|role| {
                resources_for(&template, role, "secretsmanager:GetSecretValue")
                    .contains(&reference(parameter))
            })
            .collect()
    };

    assert_eq!(readers(parameters::HMAC_SECRET_ARN), set(&["IngestRole"]));
    assert_eq!(
        readers(parameters::GITHUB_TOKEN_SECRET_ARN),
        set(&["OpenIssueRole", "SyncOccurrencesRole"])
    );
}

#[test]
fn state_machine_invokes_only_its_functions() {
    let template = template_json(&StackOptions::default());
    let role = ids::STATE_MACHINE_ROLE;

    let lambda_actions: Vec<String> = actions_of(&template, role)
        .into_iter()
        .filter(|action| action.starts_with("lambda:"))
        .collect();
    assert_eq!(lambda_actions, vec!["lambda:InvokeFunction".to_owned()]);
    assert_eq!(
        resources_for(&template, role, "lambda:InvokeFunction"),
        vec![
            get_att(&OPEN_ISSUE.function_id(), "Arn"),
            get_att(&SYNC_OCCURRENCES.function_id(), "Arn")
        ]
    );

    let trust = &properties(&template, role)["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(trust["Principal"]["Service"], "states.amazonaws.com");
    assert_eq!(
        trust["Condition"]["StringEquals"]["aws:SourceAccount"],
        reference("AWS::AccountId")
    );
}

#[test]
fn function_roles_trust_only_lambda() {
    let template = template_json(&StackOptions::default());
    for spec in [INGEST, OPEN_ISSUE, SYNC_OCCURRENCES] {
        let trust =
            &properties(&template, &spec.role_id())["AssumeRolePolicyDocument"]["Statement"];
        assert_eq!(trust.as_array().map(Vec::len), Some(1), "{}", spec.name);
        assert_eq!(trust[0]["Principal"]["Service"], "lambda.amazonaws.com", "{}", spec.name);
        assert_eq!(trust[0]["Action"], json!(["sts:AssumeRole"]), "{}", spec.name);
    }
}
