//! What the integration tests share: the corpora, and copies of them to change.

use std::path::{Path, PathBuf};

/// A real garden of `../shared/corpora`; read only (copy it before changing anything).
pub fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora").join(name)
}

/// Copies a folder's files and folders (symbolic links are left out).
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A deterministic pseudo-random sequence (xorshift), so that a failure can be replayed.
#[allow(dead_code)]
pub struct Random(pub u64);

#[allow(dead_code)]
impl Random {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The notes under `dir` (not in the store's `.loam/`), sorted.
#[allow(dead_code)]
pub fn notes_in(dir: &Path) -> Vec<PathBuf> {
    let mut notes: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".loam")
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.path().to_path_buf())
        .collect();
    notes.sort();
    notes
}
