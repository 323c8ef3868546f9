//! DynamoDB item store.
