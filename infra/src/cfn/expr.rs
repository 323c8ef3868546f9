//! CloudFormation values: literal strings and the intrinsic functions the stack uses.
//!
//! Every property that may hold a reference to another resource is an [`Expr`], so the same
//! field accepts `"literal"`, `{"Ref": ...}`, `{"Fn::GetAtt": ...}` and `{"Fn::Sub": ...}`.

use serde::Serialize;

/// A string-valued CloudFormation expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Expr {
    /// A literal string.
    Literal(String),
    /// `{"Ref": id}`: a parameter's value, a resource's primary id, or a pseudo parameter.
    Ref {
        /// Logical id of the parameter or resource, or a pseudo parameter such as `AWS::Region`.
        #[serde(rename = "Ref")]
        target: String,
    },
    /// `{"Fn::GetAtt": [id, attribute]}`: an attribute of a resource.
    GetAtt {
        /// Logical id of the resource and the attribute name.
        #[serde(rename = "Fn::GetAtt")]
        target: [String; 2],
    },
    /// `{"Fn::Sub": template}`: a string with `${Name}` placeholders for parameters, resources
    /// (`${Id}` is the resource's `Ref`, `${Id.Attr}` an attribute) and pseudo parameters.
    Sub {
        /// The template string.
        #[serde(rename = "Fn::Sub")]
        template: String,
    },
}

impl Expr {
    /// A literal string.
    pub fn literal(value: impl Into<String>) -> Self {
        Self::Literal(value.into())
    }

    /// `Ref` to a parameter, resource or pseudo parameter.
    pub fn reference(target: impl Into<String>) -> Self {
        Self::Ref { target: target.into() }
    }

    /// `Fn::GetAtt` of `attribute` on the resource `logical_id`.
    pub fn get_att(logical_id: impl Into<String>, attribute: impl Into<String>) -> Self {
        Self::GetAtt { target: [logical_id.into(), attribute.into()] }
    }

    /// `Fn::Sub` of `template`.
    pub fn sub(template: impl Into<String>) -> Self {
        Self::Sub { template: template.into() }
    }

    /// The literal value, or `None` for an intrinsic function.
    pub fn as_literal(&self) -> Option<&str> {
        match self {
            Self::Literal(value) => Some(value),
            _ => None,
        }
    }
}

impl From<&str> for Expr {
    fn from(value: &str) -> Self {
        Self::literal(value)
    }
}

impl From<String> for Expr {
    fn from(value: String) -> Self {
        Self::Literal(value)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn intrinsics_serialize_to_cloudformation_syntax() {
        let cases = [
            (Expr::literal("x"), json!("x")),
            (Expr::reference("Table"), json!({"Ref": "Table"})),
            (Expr::get_att("Table", "Arn"), json!({"Fn::GetAtt": ["Table", "Arn"]})),
            (Expr::sub("${AWS::Region}"), json!({"Fn::Sub": "${AWS::Region}"})),
        ];
        for (expr, expected) in cases {
            assert_eq!(serde_json::to_value(&expr).expect("serializes"), expected);
        }
    }
}
