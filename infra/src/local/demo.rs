//! `tally local --demo`: posts the sample reports in `samples/reports/` to the local `POST /report`
//! and waits until every workflow execution they started has ended.
//!
//! The first report of each bug goes out at once for all bugs. The remaining reports of every bug
//! follow together, so duplicates of one bug arrive concurrently, as they do when many CI runs
//! crash at the same moment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_sfn::types::ExecutionStatus;
use futures::future::join_all;
use thiserror::Error;

/// Errors from running the demo.
#[derive(Debug, Error)]
pub enum DemoError {
    /// The samples folder could not be read.
    #[error("reading the sample reports in {} failed: {source}", dir.display())]
    Samples {
        /// The folder.
        dir: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The folder contains no `.json` report.
    #[error("{} contains no .json sample report", dir.display())]
    NoSamples {
        /// The folder.
        dir: PathBuf,
    },
    /// Posting a report failed before any response arrived.
    #[error("posting {} to {url} failed: {source}", path.display())]
    Post {
        /// The sample file.
        path: PathBuf,
        /// The report URL.
        url: String,
        /// The cause.
        source: reqwest::Error,
    },
    /// Listing the executions in moto failed.
    #[error("listing the executions of {state_machine_arn} failed: {message}")]
    Executions {
        /// The state machine.
        state_machine_arn: String,
        /// The cause.
        message: String,
    },
    /// Executions were still running when the wait ended.
    #[error("{running} executions were still running after {timeout:?}; see the engine logs")]
    TimedOut {
        /// How many still ran.
        running: usize,
        /// How long the demo waited.
        timeout: Duration,
    },
}

/// One sample report file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The bug it belongs to: the file name without its `-N.json` suffix.
    pub bug: String,
    /// The file.
    pub path: PathBuf,
    /// Its content, posted unchanged.
    pub body: Vec<u8>,
}

/// A posted sample and the HTTP status `POST /report` returned for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// The sample file.
    pub path: PathBuf,
    /// Response status.
    pub status: u16,
    /// Response body (the ingest function's JSON).
    pub body: String,
}

/// Reads every `.json` file of `dir`, sorted by name.
pub fn load_samples(dir: &Path) -> Result<Vec<Sample>, DemoError> {
    let read_error = |source| DemoError::Samples {
        dir: dir.to_owned(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_error)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(DemoError::NoSamples {
            dir: dir.to_owned(),
        });
    }

    let mut samples = Vec::with_capacity(paths.len());
    for path in paths {
        let body = std::fs::read(&path).map_err(read_error)?;
        let stem = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or_default();
        samples.push(Sample {
            bug: bug_name(stem).to_owned(),
            path,
            body,
        });
    }
    Ok(samples)
}

/// Returns the bug of a sample file stem: `python-config-port-2` belongs to `python-config-port`.
fn bug_name(stem: &str) -> &str {
    match stem.rsplit_once('-') {
        Some((bug, number))
            if !number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit()) =>
        {
            bug
        }
        _ => stem,
    }
}

/// Splits the samples into two waves: the first report of every bug, then all the others.
pub fn waves(samples: &[Sample]) -> (Vec<&Sample>, Vec<&Sample>) {
    let mut by_bug: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    for sample in samples {
        by_bug.entry(sample.bug.as_str()).or_default().push(sample);
    }

    let mut first = Vec::new();
    let mut rest = Vec::new();
    for reports in by_bug.into_values() {
        let mut reports = reports.into_iter();
        first.extend(reports.next());
        rest.extend(reports);
    }
    (first, rest)
}

/// Posts the samples to `report_url` in two concurrent waves (see [`waves`]).
pub async fn post_samples(report_url: &str, samples: &[Sample]) -> Result<Vec<Posted>, DemoError> {
    let client = reqwest::Client::new();
    let (first, rest) = waves(samples);

    let mut posted = Vec::with_capacity(samples.len());
    for wave in [first, rest] {
        let requests = wave
            .into_iter()
            .map(|sample| post_one(&client, report_url, sample));
        for result in join_all(requests).await {
            posted.push(result?);
        }
    }
    Ok(posted)
}

async fn post_one(
    client: &reqwest::Client,
    url: &str,
    sample: &Sample,
) -> Result<Posted, DemoError> {
    let post_error = |source| DemoError::Post {
        path: sample.path.clone(),
        url: url.to_owned(),
        source,
    };
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(sample.body.clone())
        .send()
        .await
        .map_err(post_error)?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(post_error)?;
    Ok(Posted {
        path: sample.path.clone(),
        status,
        body,
    })
}

/// Waits until no execution of `state_machine_arn` is running, polling every 500 ms for at most
/// `timeout`, and returns how many executions there were.
pub async fn wait_for_executions(
    sfn: &aws_sdk_sfn::Client,
    state_machine_arn: &str,
    timeout: Duration,
) -> Result<usize, DemoError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let statuses = execution_statuses(sfn, state_machine_arn).await?;
        let running = statuses
            .iter()
            .filter(|status| **status == ExecutionStatus::Running)
            .count();
        if running == 0 {
            return Ok(statuses.len());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(DemoError::TimedOut { running, timeout });
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn execution_statuses(
    sfn: &aws_sdk_sfn::Client,
    state_machine_arn: &str,
) -> Result<Vec<ExecutionStatus>, DemoError> {
    let mut statuses = Vec::new();
    let mut next_token = None;
    loop {
        let page = sfn
            .list_executions()
            .state_machine_arn(state_machine_arn)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|error| DemoError::Executions {
                state_machine_arn: state_machine_arn.to_owned(),
                message: aws_sdk_sfn::error::DisplayErrorContext(error).to_string(),
            })?;
        statuses.extend(
            page.executions
                .into_iter()
                .map(|execution| execution.status),
        );
        next_token = page.next_token;
        if next_token.is_none() {
            return Ok(statuses);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Sample {
        Sample {
            bug: bug_name(name).to_owned(),
            path: PathBuf::from(format!("{name}.json")),
            body: Vec::new(),
        }
    }

    #[test]
    fn bug_name_strips_report_number() {
        assert_eq!(bug_name("python-config-port-2"), "python-config-port");
        assert_eq!(bug_name("tagbot-julia-bounds-10"), "tagbot-julia-bounds");
        assert_eq!(bug_name("single"), "single");
        assert_eq!(bug_name("ends-with-dash-"), "ends-with-dash-");
        assert_eq!(bug_name("version-v2"), "version-v2");
    }

    #[test]
    fn waves_put_one_report_per_bug_first() {
        let samples = [
            sample("a-1"),
            sample("a-2"),
            sample("a-3"),
            sample("b-1"),
            sample("c-1"),
            sample("c-2"),
        ];

        let (first, rest) = waves(&samples);

        let first: Vec<&str> = first
            .iter()
            .map(|sample| sample.path.to_str().unwrap_or_default())
            .collect();
        let rest: Vec<&str> = rest
            .iter()
            .map(|sample| sample.path.to_str().unwrap_or_default())
            .collect();
        assert_eq!(first, ["a-1.json", "b-1.json", "c-1.json"]);
        assert_eq!(rest, ["a-2.json", "a-3.json", "c-2.json"]);
    }

    #[test]
    fn repository_samples_load_with_their_bugs() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/reports");
        let samples = load_samples(&dir).expect("the repository ships sample reports");

        assert!(samples.iter().all(|sample| !sample.body.is_empty()));
        let (first, rest) = waves(&samples);
        assert!(!first.is_empty());
        assert!(
            !rest.is_empty(),
            "the samples include duplicates of some bug"
        );
    }

    #[test]
    fn empty_folder_is_an_error() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let error = load_samples(dir.path()).expect_err("no samples");
        assert!(
            error
                .to_string()
                .contains("contains no .json sample report"),
            "{error}"
        );
    }
}
