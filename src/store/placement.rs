//! Where each note of a synced garden goes on disk, from the index document alone, so that every peer that has
//! the same index writes the same files. Two documents can claim one path (two people made `Ideas.md` offline),
//! or paths that one file system cannot tell apart (`Ideas.md` and `ideas.md` on macOS or Windows): the document
//! with the smallest id keeps the path, and each other one gets a visible, numbered name beside it
//! (`Ideas (2).md`). A path a peer should never have sent is left out, with the reason ([`super::paths`]). Pure.

use std::collections::{BTreeMap, HashSet};

use super::paths::{self, Refused};
use crate::slug::key;

/// What the index says of one document: its path, and whether it is deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub path: String,
    pub deleted: bool,
}

/// The files of a garden: each live document's path, by document id; and the documents left out.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Files {
    pub paths: BTreeMap<String, String>,
    pub refused: Vec<(String, String, Refused)>,
}

/// The path of every live document in `index` (document id -> what the index lists).
pub fn files(index: &BTreeMap<String, Listed>) -> Files {
    let mut files = Files::default();
    // Paths as one file system or another would compare them: case and Unicode form do not count. A file's
    // folders are taken too: no file may have the name of a folder, nor go inside a file.
    let mut taken = Taken::default();
    let mut wanting: Vec<(&String, &str)> = Vec::new();
    for (doc, listed) in index.iter().filter(|(_, listed)| !listed.deleted) {
        match paths::check(&listed.path) {
            Ok(path) => wanting.push((doc, path)),
            Err(why) => files.refused.push((doc.clone(), listed.path.clone(), why)),
        }
    }
    // Document ids in order: the first claim of a path keeps it, whatever order the peers learnt of them.
    let mut later = Vec::new();
    for (doc, path) in wanting {
        if taken.claim(path) {
            files.paths.insert(doc.clone(), path.to_string());
        } else {
            later.push((doc, path));
        }
    }
    // Paths that are kept are known before any numbered name is chosen, so that `Ideas (2).md` never takes the
    // place of a note that is really called that.
    for (doc, path) in later {
        let (stem, extension) = match path.rfind('.').filter(|&dot| dot > path.rfind('/').map_or(0, |s| s + 1)) {
            Some(dot) => path.split_at(dot),
            None => (path, ""),
        };
        // Numbers until one is free, or one cannot be (a file is in the way of the folders).
        let numbered = (2..=later_limit(&taken)).map(|n| format!("{stem} ({n}){extension}")).find(|c| taken.is_free(c));
        let Some(numbered) = numbered else {
            files.refused.push((doc.clone(), path.to_string(), Refused::Taken));
            continue;
        };
        // A name at the length limit has no room for a number.
        if let Err(why) = paths::check(&numbered) {
            files.refused.push((doc.clone(), path.to_string(), why));
            continue;
        }
        taken.claim(&numbered);
        files.paths.insert(doc.clone(), numbered);
    }
    files
}

/// The paths and folders already claimed, as keys.
#[derive(Default)]
struct Taken {
    files: HashSet<String>,
    folders: HashSet<String>,
}

impl Taken {
    /// Whether a file can go at `path`: nothing has its name (file or folder), and none of its folders is a file.
    fn is_free(&self, path: &str) -> bool {
        let path = key(path);
        !self.files.contains(&path)
            && !self.folders.contains(&path)
            && folders_of(&path).all(|folder| !self.files.contains(folder))
    }

    /// Claims `path` if it is free; returns whether it was.
    fn claim(&mut self, path: &str) -> bool {
        if !self.is_free(path) {
            return false;
        }
        let path = key(path);
        self.folders.extend(folders_of(&path).map(str::to_string));
        self.files.insert(path);
        true
    }
}

/// Each folder above `path`: `a/b/c.md` gives `a` and `a/b`.
fn folders_of(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(|(at, _)| &path[..at])
}

/// How many numbers to try for one path: more than there are claims, so a free one is always among them unless a
/// file is in the way of the path's folders.
fn later_limit(taken: &Taken) -> usize {
    taken.files.len() + 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::paths::MAX_NAME;

    fn index(entries: &[(&str, &str, bool)]) -> BTreeMap<String, Listed> {
        entries
            .iter()
            .map(|(doc, path, deleted)| (doc.to_string(), Listed { path: path.to_string(), deleted: *deleted }))
            .collect()
    }

    #[test]
    fn one_path_claimed_twice_gives_the_second_a_numbered_name() {
        let files = files(&index(&[("b2", "Ideas.md", false), ("a1", "Ideas.md", false), ("c3", "other/x.md", false)]));
        let long = format!("{}.md", "x".repeat(MAX_NAME - 3));
        let crowded = super::files(&index(&[("a", &long, false), ("b", &long, false)]));
        assert_eq!(crowded.paths["a"], long);
        assert!(matches!(crowded.refused[0].2, Refused::NameTooLong(_)), "no room for a number");
        assert_eq!(files.paths["a1"], "Ideas.md", "the smaller id keeps the path");
        assert_eq!(files.paths["b2"], "Ideas (2).md");
        assert_eq!(files.paths["c3"], "other/x.md");
        assert!(files.refused.is_empty());
    }

    #[test]
    fn paths_one_file_system_cannot_tell_apart_are_one_path() {
        let files = files(&index(&[
            ("a", "Ideas.md", false),
            ("b", "ideas.md", false),
            ("c", "Ide\u{301}as.md", false),
            ("d", "Idéas.md", false),
            // A note really called `Ideas (2).md` keeps its name; the numbered one moves on.
            ("e", "Ideas (2).md", false),
            ("f", "folder/Ideas", false),
            ("g", "folder/ideas", false),
        ]));
        assert_eq!(files.paths["a"], "Ideas.md");
        assert_eq!(files.paths["b"], "ideas (3).md");
        assert_eq!(files.paths["c"], "Ide\u{301}as.md");
        assert_eq!(files.paths["d"], "Idéas (2).md", "the same name in another Unicode form");
        assert_eq!(files.paths["e"], "Ideas (2).md");
        assert_eq!(files.paths["g"], "folder/ideas (2)");
    }

    #[test]
    fn a_file_never_takes_a_folder_s_place() {
        let files = files(&index(&[("a", "notes", false), ("b", "notes/x.md", false), ("c", "Notes/y.md", false)]));
        assert_eq!(files.paths["a"], "notes");
        assert_eq!(
            files.refused,
            vec![
                ("b".to_string(), "notes/x.md".to_string(), Refused::Taken),
                ("c".to_string(), "Notes/y.md".to_string(), Refused::Taken),
            ]
        );
        let files = super::files(&index(&[("a", "d/x.md", false), ("b", "D", false)]));
        assert_eq!(files.paths["b"], "D (2)", "a folder's name is taken");
    }

    #[test]
    fn deleted_documents_have_no_file_and_unsafe_paths_are_left_out() {
        let files = files(&index(&[("a", "gone.md", true), ("b", "../escape.md", false), ("c", "gone.md", false)]));
        assert_eq!(files.paths.len(), 1);
        assert_eq!(files.paths["c"], "gone.md", "a deleted document claims nothing");
        assert_eq!(files.refused, vec![("b".to_string(), "../escape.md".to_string(), Refused::Relative)]);
    }

    proptest::proptest! {
        /// Whatever the index holds, no two files collide on any file system, and every one is a safe path.
        #[test]
        fn files_never_collide_and_are_always_safe(
            entries in proptest::collection::vec(("[a-f]{1,3}", "[aAéE/ .(2)]{1,6}(\\.md)?", proptest::bool::weighted(0.2)), 0..24),
        ) {
            let index: BTreeMap<String, Listed> = entries
                .into_iter()
                .map(|(doc, path, deleted)| (doc, Listed { path, deleted }))
                .collect();
            let files = files(&index);
            let mut seen = HashSet::new();
            for path in files.paths.values() {
                proptest::prop_assert!(paths::check(path).is_ok(), "{path:?}");
                proptest::prop_assert!(seen.insert(key(path)), "{path:?} twice");
            }
            // No file is a folder of another.
            for path in files.paths.values() {
                let path = key(path);
                proptest::prop_assert!(folders_of(&path).all(|f| !seen.contains(f)), "{path:?} is inside a file");
            }
            let live = index.values().filter(|l| !l.deleted).count();
            proptest::prop_assert_eq!(files.paths.len() + files.refused.len(), live);
        }
    }

    #[test]
    fn every_peer_gets_the_same_files_whatever_order_it_learnt_them_in() {
        let entries = [("d", "n.md", false), ("a", "n.md", false), ("c", "N.md", false), ("b", "n (2).md", false)];
        let mut reversed = entries;
        reversed.reverse();
        assert_eq!(files(&index(&entries)), files(&index(&reversed)));
    }
}
