//! `AWS::IAM::Role` with inline policies, and the IAM policy language they use.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Expr;

/// IAM policy language version; the only current one.
const POLICY_VERSION: &str = "2012-10-17";

/// `AWS::IAM::Role`. The role name is left to CloudFormation, so deploying needs only the
/// `CAPABILITY_IAM` acknowledgement.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    /// Text shown in the console.
    pub description: String,
    /// Who may assume the role.
    pub assume_role_policy_document: PolicyDocument,
    /// Inline policies: what the role may do.
    pub policies: Vec<Policy>,
}

/// An inline policy of a role.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Policy {
    /// Policy name, unique within the role.
    pub policy_name: String,
    /// The statements.
    pub policy_document: PolicyDocument,
}

/// An IAM policy document.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    version: &'static str,
    /// The statements.
    pub statement: Vec<Statement>,
}

impl PolicyDocument {
    /// A document with `statements`.
    pub fn new(statements: Vec<Statement>) -> Self {
        Self { version: POLICY_VERSION, statement: statements }
    }

    /// A trust policy that lets the AWS service `service` (such as `lambda.amazonaws.com`)
    /// assume the role.
    pub fn trust_service(service: &str) -> Self {
        Self::new(vec![Statement::assume_role(service)])
    }
}

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    /// Grants the actions.
    Allow,
    /// Denies the actions, overriding any allow.
    Deny,
}

/// One statement of a policy.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    /// Statement id: letters and digits naming what the statement is for.
    pub sid: String,
    /// Allow or deny.
    pub effect: Effect,
    /// Who the statement applies to; only in trust policies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// Actions such as `dynamodb:GetItem`.
    pub action: Vec<String>,
    /// Resource ARNs; absent in trust policies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Vec<Expr>>,
    /// Conditions as operator, then key, then value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<BTreeMap<String, BTreeMap<String, Expr>>>,
}

impl Statement {
    /// Lets the AWS service `service` assume the role; a trust policy statement.
    pub fn assume_role(service: &str) -> Self {
        Self {
            sid: "AssumeRole".to_owned(),
            effect: Effect::Allow,
            principal: Some(Principal { service: service.to_owned() }),
            action: vec!["sts:AssumeRole".to_owned()],
            resource: None,
            condition: None,
        }
    }

    /// Allows `actions` on `resources`.
    pub fn allow(sid: &str, actions: &[&str], resources: Vec<Expr>) -> Self {
        Self {
            sid: sid.to_owned(),
            effect: Effect::Allow,
            principal: None,
            action: actions.iter().map(|action| (*action).to_owned()).collect(),
            resource: Some(resources),
            condition: None,
        }
    }

    /// Adds the condition `operator` (such as `StringEquals`) on `key`.
    pub fn with_condition(mut self, operator: &str, key: &str, value: Expr) -> Self {
        let conditions = self.condition.get_or_insert_with(BTreeMap::new);
        conditions.entry(operator.to_owned()).or_default().insert(key.to_owned(), value);
        self
    }
}

/// A service principal.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Principal {
    /// Service name such as `states.amazonaws.com`.
    pub service: String,
}
