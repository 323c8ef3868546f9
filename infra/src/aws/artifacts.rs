//! Function zips: built with cargo-lambda, named by content hash, and uploaded to the artifact
//! bucket.
//!
//! The S3 key contains the zip's SHA-256, so an unchanged function keeps its key and
//! CloudFormation leaves it alone, and a changed one gets a new key and is redeployed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, PublicAccessBlockConfiguration,
};
use sha2::{Digest, Sha256};

use crate::stack::functions::{FUNCTIONS, FunctionSpec};

/// Hex digits of the SHA-256 kept in keys: 64 bits, enough to tell builds apart.
const KEY_HASH_HEX: usize = 16;

/// A built function zip and its key in the artifact bucket.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The function.
    pub function: FunctionSpec,
    /// Local path of the zip.
    pub path: PathBuf,
    /// Key in the artifact bucket: `tally/<function>/<sha256 prefix>.zip`.
    pub key: String,
}

/// Default artifact bucket of an account and region; bucket names are global, so both are in it.
pub fn default_bucket_name(account_id: &str, region: &str) -> String {
    format!("tally-artifacts-{account_id}-{region}")
}

/// The S3 key of a zip with contents `zip`.
pub fn artifact_key(function: &FunctionSpec, zip: &[u8]) -> String {
    let digest = hex::encode(Sha256::digest(zip));
    format!("tally/{}/{}.zip", function.name, &digest[..KEY_HASH_HEX])
}

/// Builds every function with cargo-lambda (release, arm64, zip) in `workspace`.
pub fn build(workspace: &Path) -> anyhow::Result<()> {
    let probe = Command::new("cargo").args(["lambda", "--version"]).output();
    let installed = probe.as_ref().is_ok_and(|output| output.status.success());
    if !installed {
        bail!(
            "cargo-lambda is not installed: install it (`pip install cargo-lambda` or `cargo \
             install cargo-lambda`, see https://www.cargo-lambda.info), or build the zips \
             yourself and pass --skip-build"
        );
    }

    let mut command = Command::new("cargo");
    command.current_dir(workspace).args([
        "lambda",
        "build",
        "--release",
        "--arm64",
        "--output-format",
        "zip",
    ]);
    for function in FUNCTIONS {
        command.args(["--bin", function.name]);
    }
    eprintln!("Building {} functions with cargo-lambda", FUNCTIONS.len());
    let status = command.status().context("failed to run cargo lambda build")?;
    if !status.success() {
        bail!("cargo lambda build failed ({status}); its output above names the error");
    }
    Ok(())
}

/// Finds `<dir>/<function>/bootstrap.zip` for every function and computes its key.
pub fn locate(dir: &Path) -> anyhow::Result<Vec<Artifact>> {
    let mut artifacts = Vec::with_capacity(FUNCTIONS.len());
    for function in FUNCTIONS {
        let path = dir.join(function.name).join("bootstrap.zip");
        let zip = std::fs::read(&path).with_context(|| {
            format!(
                "missing zip of the {} function at {}: build it with `cargo lambda build \
                 --release --arm64 --output-format zip` or drop --skip-build",
                function.name,
                path.display()
            )
        })?;
        let key = artifact_key(&function, &zip);
        artifacts.push(Artifact { function, path, key });
    }
    Ok(artifacts)
}

/// Creates `bucket` in `region` with public access blocked, unless it already exists and the
/// caller can use it.
pub async fn ensure_bucket(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    region: &str,
) -> anyhow::Result<()> {
    let head = s3.head_bucket().bucket(bucket).send().await;
    let Err(error) = head else {
        return Ok(());
    };
    let missing = error.as_service_error().is_some_and(|service| service.is_not_found());
    if !missing {
        bail!(
            "cannot use the artifact bucket {bucket}: {}; if another account owns the name, pass \
             --artifact-bucket with a bucket of yours",
            crate::aws::error_text(&error)
        );
    }

    eprintln!("Creating artifact bucket {bucket}");
    let mut request = s3.create_bucket().bucket(bucket);
    // us-east-1 is the default location and rejects an explicit constraint.
    if region != "us-east-1" {
        let configuration = CreateBucketConfiguration::builder()
            .location_constraint(BucketLocationConstraint::from(region))
            .build();
        request = request.create_bucket_configuration(configuration);
    }
    request.send().await.map_err(|error| {
        anyhow::anyhow!(
            "failed to create the artifact bucket {bucket}: {}",
            crate::aws::error_text(&error)
        )
    })?;

    let block_all = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build();
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(block_all)
        .send()
        .await
        .map_err(|error| {
            anyhow::anyhow!(
                "failed to block public access to {bucket}: {}",
                crate::aws::error_text(&error)
            )
        })?;
    Ok(())
}

/// Uploads each artifact whose key is not in `bucket` yet.
pub async fn upload(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    artifacts: &[Artifact],
) -> anyhow::Result<()> {
    for artifact in artifacts {
        let exists = s3.head_object().bucket(bucket).key(&artifact.key).send().await.is_ok();
        if exists {
            eprintln!("Unchanged {} (s3://{bucket}/{})", artifact.function.name, artifact.key);
            continue;
        }

        let body = ByteStream::from_path(&artifact.path)
            .await
            .with_context(|| format!("failed to read {}", artifact.path.display()))?;
        s3.put_object().bucket(bucket).key(&artifact.key).body(body).send().await.map_err(
            |error| {
                anyhow::anyhow!(
                    "failed to upload {} to s3://{bucket}/{}: {}",
                    artifact.path.display(),
                    artifact.key,
                    crate::aws::error_text(&error)
                )
            },
        )?;
        eprintln!("Uploaded {} to s3://{bucket}/{}", artifact.function.name, artifact.key);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::functions::INGEST;

    #[test]
    fn key_depends_on_contents() {
        let first = artifact_key(&INGEST, b"one");
        let second = artifact_key(&INGEST, b"two");

        assert_ne!(first, second);
        assert_eq!(first, artifact_key(&INGEST, b"one"));
        assert!(first.starts_with("tally/ingest/"), "{first}");
        assert_eq!(first.len(), "tally/ingest/".len() + KEY_HASH_HEX + ".zip".len());
    }

    #[test]
    fn locate_reports_missing_zip() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let error = locate(dir.path()).expect_err("no zips exist");
        let message = format!("{error:#}");
        assert!(message.contains("missing zip of the ingest function"), "{message}");
    }
}
