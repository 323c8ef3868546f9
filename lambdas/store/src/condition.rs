//! Conditional writes whose condition may fail. A failed condition is an expected result, because
//! another caller changed the item first, so it is not an error.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;

use crate::StoreError;

/// An operation error that can report that its condition expression did not hold.
pub(crate) trait ConditionFailure {
    /// Returns whether this is a `ConditionalCheckFailedException`, matched by type.
    fn is_condition_failure(&self) -> bool;
}

impl ConditionFailure for PutItemError {
    fn is_condition_failure(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

impl ConditionFailure for UpdateItemError {
    fn is_condition_failure(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

impl ConditionFailure for DeleteItemError {
    fn is_condition_failure(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

/// Turns the result of a conditional write into `Some(output)` when it applied and `None` when
/// its condition failed. Any other failure of `operation` on `fingerprint` is an error.
pub(crate) fn unless_condition_failed<T, E, R>(
    operation: &'static str,
    fingerprint: &str,
    result: Result<T, SdkError<E, R>>,
) -> Result<Option<T>, StoreError>
where
    E: ConditionFailure + std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(error) if error.as_service_error().is_some_and(ConditionFailure::is_condition_failure) => Ok(None),
        Err(error) => Err(StoreError::dynamodb(operation, fingerprint, error)),
    }
}
