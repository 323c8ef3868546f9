//! What the issue says about its occurrences: the summary block, milestones and the comments.
//!
//! The sync step rewrites the summary block in the issue body on every count change, which
//! notifies nobody, and comments only when the count crosses a milestone, a newer version
//! reports the error, or a closed issue regresses, so watchers hear about growth and not about
//! every report. Every comment carries a hidden marker, so a retried step can tell that it already
//! posted it.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use chrono::{DateTime, SecondsFormat, Utc};

/// Repositories named in the summary before the rest are only counted.
pub const SHOWN_REPOSITORIES: usize = 5;

/// Versions named in the summary, newest first, before the rest are only counted.
pub const SHOWN_VERSIONS: usize = 8;

/// The occurrence facts the summary block shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrences<'a> {
    /// Occurrences counted so far.
    pub total: u64,
    /// Time of the first report.
    pub first_seen: DateTime<Utc>,
    /// Time of the latest report.
    pub last_seen: DateTime<Utc>,
    /// Repository of the first report; named first.
    pub first_repository: &'a str,
    /// Distinct reporting repositories, as far as the item keeps them.
    pub repositories: &'a BTreeSet<String>,
    /// Reports from repositories the item no longer had room to keep.
    pub unlisted_repository_reports: u64,
    /// Distinct reported versions.
    pub versions: &'a BTreeSet<String>,
}

fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn code_list<'a>(values: impl Iterator<Item = &'a str>) -> String {
    values.map(|value| format!("`{}`", value.replace('`', "'"))).collect::<Vec<_>>().join(", ")
}

fn plural(count: u64, one: &str, many: &str) -> String {
    if count == 1 { format!("1 {one}") } else { format!("{count} {many}") }
}

/// Renders the Markdown that goes between the summary markers.
pub fn render_summary(occurrences: &Occurrences<'_>) -> String {
    let mut lines = vec![format!(
        "**Occurrences:** {} (first seen {}, last seen {})",
        occurrences.total,
        format_time(occurrences.first_seen),
        format_time(occurrences.last_seen),
    )];

    let mut repositories: Vec<&str> = vec![occurrences.first_repository];
    repositories.extend(
        occurrences.repositories.iter().map(String::as_str).filter(|repo| *repo != occurrences.first_repository),
    );
    let hidden = repositories.len().saturating_sub(SHOWN_REPOSITORIES) as u64;
    let mut line = format!(
        "**Repositories ({}):** {}",
        repositories.len(),
        code_list(repositories.iter().take(SHOWN_REPOSITORIES).copied())
    );
    if hidden > 0 {
        line.push_str(&format!(" and {hidden} more"));
    }
    if occurrences.unlisted_repository_reports > 0 {
        line.push_str(&format!(
            "; {} from further repositories",
            plural(occurrences.unlisted_repository_reports, "report", "reports")
        ));
    }
    lines.push(line);

    if !occurrences.versions.is_empty() {
        let versions = versions_newest_first(occurrences.versions);
        let hidden = versions.len().saturating_sub(SHOWN_VERSIONS);
        let mut line = format!("**Versions:** {}", code_list(versions.iter().take(SHOWN_VERSIONS).copied()));
        if hidden > 0 {
            line.push_str(&format!(" and {hidden} older"));
        }
        lines.push(line);
    }

    lines.join("\n")
}

/// Returns whether `count` is a milestone: 2, 10, 100, 1000 and every further power of ten.
pub fn is_milestone(count: u64) -> bool {
    if count == 2 {
        return true;
    }
    let mut milestone = 10;
    while milestone < count {
        match milestone.checked_mul(10) {
            Some(next) => milestone = next,
            None => return false,
        }
    }
    milestone == count
}

/// The highest milestone in `(announced, count]`, which a comment should announce, or `None`
/// when the count crossed no milestone since the last announced one.
pub fn milestone_crossed(announced: u64, count: u64) -> Option<u64> {
    let highest = highest_milestone(count)?;
    (highest > announced).then_some(highest)
}

/// Returns the highest milestone at or below `count`.
pub fn highest_milestone(count: u64) -> Option<u64> {
    if count < 2 {
        return None;
    }
    let mut highest = 2;
    let mut next: u64 = 10;
    while next <= count {
        highest = next;
        match next.checked_mul(10) {
            Some(value) => next = value,
            None => break,
        }
    }
    Some(highest)
}

/// Compares two version strings the way release numbers order: numeric dot-separated parts
/// compare as numbers (`1.10` > `1.9`, a missing part is 0), a leading `v` is ignored, and a
/// pre-release (`1.0.0-rc.1`) orders before its release. Parts that are not numbers compare as
/// text, so arbitrary tags still get a stable order.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (a_release, a_pre) = split_version(a);
    let (b_release, b_pre) = split_version(b);

    let a_parts: Vec<&str> = a_release.split('.').collect();
    let b_parts: Vec<&str> = b_release.split('.').collect();
    for index in 0..a_parts.len().max(b_parts.len()) {
        let ordering = compare_part(a_parts.get(index).copied().unwrap_or("0"), b_parts.get(index).copied().unwrap_or("0"));
        if ordering != Ordering::Equal {
            return ordering;
        }
    }

    match (a_pre, b_pre) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a_pre), Some(b_pre)) => {
            let a_parts: Vec<&str> = a_pre.split('.').collect();
            let b_parts: Vec<&str> = b_pre.split('.').collect();
            for (a_part, b_part) in a_parts.iter().zip(&b_parts) {
                let ordering = compare_part(a_part, b_part);
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
            a_parts.len().cmp(&b_parts.len())
        }
    }
}

fn split_version(version: &str) -> (&str, Option<&str>) {
    let version = version.trim();
    let version = version.strip_prefix(['v', 'V']).unwrap_or(version);
    let version = version.split('+').next().unwrap_or(version);
    match version.split_once('-') {
        Some((release, pre)) => (release, Some(pre)),
        None => (version, None),
    }
}

fn compare_part(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        (Ok(_), Err(_)) => Ordering::Greater,
        (Err(_), Ok(_)) => Ordering::Less,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// Sorts the versions newest first by [`compare_versions`].
pub fn versions_newest_first(versions: &BTreeSet<String>) -> Vec<&str> {
    let mut sorted: Vec<&str> = versions.iter().map(String::as_str).collect();
    sorted.sort_by(|a, b| compare_versions(b, a));
    sorted
}

/// Returns the newest of `versions`, if any.
pub fn newest_version(versions: &BTreeSet<String>) -> Option<&str> {
    versions.iter().map(String::as_str).max_by(|a, b| compare_versions(a, b))
}

/// The versions strictly newer than `than`, newest first; all of them when `than` is `None`.
pub fn versions_newer_than<'a>(versions: &'a BTreeSet<String>, than: Option<&str>) -> Vec<&'a str> {
    versions_newest_first(versions)
        .into_iter()
        .filter(|version| than.is_none_or(|than| compare_versions(version, than) == Ordering::Greater))
        .collect()
}

/// A comment the sync step posts, identified by a hidden marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Announcement {
    /// The count reached `milestone`; `total` is the count when announced.
    Milestone {
        /// The milestone crossed.
        milestone: u64,
        /// The count at the time of the comment.
        total: u64,
    },
    /// A version newer than any announced before reported the error.
    NewVersion {
        /// The newest version seen.
        version: String,
        /// The count at the time of the comment.
        total: u64,
    },
    /// The error came back after the issue was closed as completed.
    Regression {
        /// The count when the issue was seen closed; part of the marker, so each closing gets its
        /// own regression comment.
        closed_at_count: u64,
        /// Occurrences since the issue was seen closed.
        since_closing: u64,
        /// Versions newer than the newest one at closing, newest first.
        versions: Vec<String>,
    },
}

impl Announcement {
    /// The hidden marker that identifies this comment on its issue.
    pub fn marker(&self) -> String {
        match self {
            Self::Milestone { milestone, .. } => format!("<!-- tally:comment=milestone-{milestone} -->"),
            Self::NewVersion { version, .. } => {
                // Only characters that cannot end an HTML comment, and no `--` run.
                let mut safe: String = version
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'))
                    .collect();
                while safe.contains("--") {
                    safe = safe.replace("--", "-");
                }
                format!("<!-- tally:comment=version-{} -->", safe.trim_matches('-'))
            }
            Self::Regression { closed_at_count, .. } => format!("<!-- tally:comment=regression-{closed_at_count} -->"),
        }
    }

    /// The comment's Markdown, marker included.
    pub fn render(&self) -> String {
        let text = match self {
            Self::Milestone { milestone, total } => {
                format!("This error has now occurred {milestone} times ({total} so far).")
            }
            Self::NewVersion { version, total } => format!(
                "This error was reported from version {}, newer than any version reported before ({} so far).",
                code_list(std::iter::once(version.as_str())),
                plural(*total, "occurrence", "occurrences"),
            ),
            Self::Regression { since_closing, versions, .. } => {
                let mut text = format!(
                    "This error came back after the issue was closed as completed: {} since closing.",
                    plural(*since_closing, "new occurrence", "new occurrences"),
                );
                if !versions.is_empty() {
                    text.push_str(&format!(
                        " Versions reporting it: {}.",
                        code_list(versions.iter().map(String::as_str))
                    ));
                }
                text.push_str(" Reopening it.");
                text
            }
        };
        format!("{}\n{text}", self.marker())
    }
}

/// One line appended to the summary of a closed issue, stating what arrived since closing.
pub fn closed_note(reason_not_planned: bool, since_closing: u64) -> String {
    let how = if reason_not_planned { "not planned" } else { "completed" };
    format!(
        "_Closed as {how}; {} since closing._",
        plural(since_closing, "occurrence", "occurrences")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn set(values: &[&str]) -> BTreeSet<String> {
        values.iter().map(|value| (*value).to_owned()).collect()
    }

    #[test]
    fn milestones_are_two_and_powers_of_ten() {
        let milestones: Vec<u64> = (0..=10_000).filter(|count| is_milestone(*count)).collect();
        assert_eq!(milestones, vec![2, 10, 100, 1000, 10_000]);
        assert!(is_milestone(10_000_000_000_000_000_000));
        assert!(!is_milestone(u64::MAX));
    }

    #[test]
    fn milestone_crossed_announces_only_the_highest_new_one() {
        assert_eq!(milestone_crossed(0, 1), None);
        assert_eq!(milestone_crossed(0, 2), Some(2));
        assert_eq!(milestone_crossed(2, 9), None);
        assert_eq!(milestone_crossed(2, 10), Some(10));
        assert_eq!(milestone_crossed(0, 150), Some(100));
        assert_eq!(milestone_crossed(100, 150), None);
        assert_eq!(milestone_crossed(100, u64::MAX), Some(10_000_000_000_000_000_000));
    }

    #[test]
    fn versions_order_numerically_with_prereleases_first() {
        assert_eq!(compare_versions("1.10.0", "1.9.3"), Ordering::Greater);
        assert_eq!(compare_versions("v2.0", "2.0.0"), Ordering::Equal);
        assert_eq!(compare_versions("1.0.0-rc.1", "1.0.0"), Ordering::Less);
        assert_eq!(compare_versions("1.0.0-rc.2", "1.0.0-rc.10"), Ordering::Less);
        assert_eq!(compare_versions("1.0.0+build.5", "1.0.0"), Ordering::Equal);
        assert_eq!(compare_versions("nightly", "1.0"), Ordering::Less);
    }

    #[test]
    fn newer_versions_exclude_the_closing_version() {
        let versions = set(&["1.2.0", "1.10.0", "1.9.0", "0.9"]);
        assert_eq!(versions_newer_than(&versions, Some("1.9.0")), vec!["1.10.0"]);
        assert_eq!(versions_newer_than(&versions, None), vec!["1.10.0", "1.9.0", "1.2.0", "0.9"]);
        assert_eq!(newest_version(&versions), Some("1.10.0"));
    }

    #[test]
    fn summary_names_first_repository_and_counts_the_rest() {
        let repositories = set(&["a/one", "b/two", "c/three", "d/four", "e/five", "f/six", "z/first"]);
        let versions = set(&["1.0", "1.2", "1.10"]);
        let summary = render_summary(&Occurrences {
            total: 42,
            first_seen: Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).single().expect("valid time"),
            last_seen: Utc.with_ymd_and_hms(2024, 5, 3, 8, 30, 0).single().expect("valid time"),
            first_repository: "z/first",
            repositories: &repositories,
            unlisted_repository_reports: 3,
            versions: &versions,
        });

        assert!(summary.contains("**Occurrences:** 42 (first seen 2024-05-01T12:00:00Z, last seen 2024-05-03T08:30:00Z)"), "{summary}");
        assert!(summary.contains("**Repositories (7):** `z/first`, `a/one`, `b/two`, `c/three`, `d/four` and 2 more; 3 reports from further repositories"), "{summary}");
        assert!(summary.contains("**Versions:** `1.10`, `1.2`, `1.0`"), "{summary}");
    }

    #[test]
    fn summary_omits_versions_when_none_reported() {
        let repositories = set(&["a/one"]);
        let versions = BTreeSet::new();
        let time = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).single().expect("valid time");
        let summary = render_summary(&Occurrences {
            total: 1,
            first_seen: time,
            last_seen: time,
            first_repository: "a/one",
            repositories: &repositories,
            unlisted_repository_reports: 0,
            versions: &versions,
        });
        assert!(!summary.contains("Versions"), "{summary}");
        assert!(summary.contains("**Repositories (1):** `a/one`"), "{summary}");
        assert!(!summary.contains("more"), "{summary}");
    }

    #[test]
    fn announcements_carry_distinct_markers() {
        let milestone = Announcement::Milestone { milestone: 10, total: 12 };
        let regression = Announcement::Regression { closed_at_count: 5, since_closing: 3, versions: vec!["2.0".to_owned()] };
        let version = Announcement::NewVersion { version: "2.0`<!--".to_owned(), total: 4 };

        assert!(milestone.render().starts_with(&milestone.marker()));
        assert!(milestone.render().contains("occurred 10 times"));
        assert!(regression.render().contains("3 new occurrences since closing"));
        assert!(regression.render().contains("`2.0`"));
        assert_eq!(version.marker(), "<!-- tally:comment=version-2.0 -->");
        assert_ne!(milestone.marker(), regression.marker());
    }
}
