//! ETags remembered with the representation version they were computed at, so that a
//! revalidation (`If-None-Match`) finding the version unmoved answers 304 without
//! rendering the resource again. The version lives in the database and moves with every
//! write transaction, so a tag remembered by one instance stays right whatever another
//! instance writes. Bounded: past [`CAPACITY`] resources it starts afresh.

use std::collections::HashMap;
use std::sync::Mutex;

/// The most resources whose tags are remembered at once.
pub(crate) const CAPACITY: usize = 16_384;

/// Remembered ETags by the absolute URL of the resource.
#[derive(Debug, Default)]
pub(crate) struct Tags {
    entries: Mutex<HashMap<String, (i64, String)>>,
}

impl Tags {
    /// The tag of `url` if it was computed at `version`.
    pub(crate) fn at(&self, url: &str, version: i64) -> Option<String> {
        let entries = self.entries.lock().ok()?;
        match entries.get(url) {
            Some((at, etag)) if *at == version => Some(etag.clone()),
            _ => None,
        }
    }

    /// Remembers the tag of `url` computed from data read after `version` was.
    pub(crate) fn remember(&self, url: String, version: i64, etag: &str) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= CAPACITY && !entries.contains_key(&url) {
            entries.clear();
        }
        entries.insert(url, (version, etag.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_counts_only_at_the_version_it_was_computed_at() {
        let tags = Tags::default();
        tags.remember("http://h/books/1".into(), 7, "\"a\"");
        assert_eq!(tags.at("http://h/books/1", 7).as_deref(), Some("\"a\""));
        assert_eq!(tags.at("http://h/books/1", 8), None);
        assert_eq!(tags.at("http://h/books/2", 7), None);
    }

    #[test]
    fn the_memory_is_bounded() {
        let tags = Tags::default();
        for i in 0..=CAPACITY {
            tags.remember(format!("http://h/books/{i}"), 1, "\"t\"");
        }
        assert!(tags.entries.lock().unwrap().len() <= CAPACITY);
        assert_eq!(
            tags.at(&format!("http://h/books/{CAPACITY}"), 1).as_deref(),
            Some("\"t\"")
        );
    }
}
