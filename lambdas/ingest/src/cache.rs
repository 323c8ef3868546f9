//! Fingerprints this container already saw claimed, so a warm container sends a known duplicate
//! straight to the counting update and skips the conditional put that would fail.

use std::collections::HashSet;
use std::sync::Mutex;

/// Most fingerprints remembered; the set is cleared when full, which only costs one extra
/// conditional put per fingerprint afterwards.
const CAPACITY: usize = 10_000;

/// A bounded set of fingerprints known to have an item.
#[derive(Debug, Default)]
pub struct ClaimedCache {
    known: Mutex<HashSet<String>>,
}

impl ClaimedCache {
    /// Whether `fingerprint` is known to have an item.
    pub fn contains(&self, fingerprint: &str) -> bool {
        self.lock().contains(fingerprint)
    }

    /// Remembers that `fingerprint` has an item.
    pub fn insert(&self, fingerprint: &str) {
        let mut known = self.lock();
        if known.len() >= CAPACITY {
            known.clear();
        }
        known.insert(fingerprint.to_owned());
    }

    /// Forgets `fingerprint`, after its item turned out to be gone.
    pub fn remove(&self, fingerprint: &str) {
        self.lock().remove(fingerprint);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // A panic while holding this lock cannot leave the set inconsistent, so poisoning is
        // ignored rather than turned into a failed report.
        self.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_forgets_everything_when_full() {
        let cache = ClaimedCache::default();
        for index in 0..CAPACITY {
            cache.insert(&index.to_string());
        }

        cache.insert("one more");

        assert!(cache.contains("one more"));
        assert!(!cache.contains("0"));
    }
}
