//! Memoisation for the live preview (STYLE.md rule 4): a value kept with the key of what it was made from, and
//! reused while the key is the same; nothing is ever invalidated by hand. Pure: values in memory.
//!
//! A key is the hash of a `#[derive(Hash)]` value ([`key_of`]): what a memoised function reads is a type, and a
//! field added to that type is in the key without anyone listing it. The function is then made to read only that
//! type, so it cannot read something its key leaves out. The site model is the main case: it is made of each
//! note's [`crate::note::Outline`] alone.
//!
//! Where the preview's memos are, each built on [`Kept`]:
//! - parsed notes by the hash of their bytes: [`crate::pipeline::NoteCache`];
//! - the site model, its tags, alias pages and resolved links: [`crate::site::SiteMemo`];
//! - the page patterns, breadcrumbs and page index: [`crate::render::RenderMemo`].

use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use crate::lock;

/// The key of `value`: the 64-bit xxh3 hash of its derived `Hash`.
pub fn key_of<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// One value, kept with the key of what it was made from.
pub struct Kept<V> {
    last: Mutex<Option<(u64, V)>>,
}

impl<V> Default for Kept<V> {
    fn default() -> Self {
        Kept { last: Mutex::new(None) }
    }
}

impl<V: Clone> Kept<V> {
    /// The value kept under `key`, if that is the key of the one kept.
    pub fn get(&self, key: u64) -> Option<V> {
        lock(&self.last).as_ref().filter(|(kept, _)| *kept == key).map(|(_, value)| value.clone())
    }

    /// Keeps `value` as the one made from what `key` is the key of, in place of the last.
    pub fn keep(&self, key: u64, value: V) {
        *lock(&self.last) = Some((key, value));
    }

    /// The value kept under `key`, else `make()`, which is then kept.
    pub fn get_or(&self, key: u64, make: impl FnOnce() -> V) -> V {
        if let Some(value) = self.get(key) {
            return value;
        }
        let value = make();
        self.keep(key, value.clone());
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_made_again_only_when_its_key_changes() {
        let kept = Kept::default();
        let mut made = 0;
        for key in [key_of("a"), key_of("a"), key_of("b"), key_of("b"), key_of("a")] {
            kept.get_or(key, || {
                made += 1;
                made
            });
        }
        assert_eq!(made, 3);
        // A derived key tells fields apart: ("ab", "") and ("a", "b") are different inputs.
        assert_ne!(key_of(&("ab", "")), key_of(&("a", "b")));
    }
}
