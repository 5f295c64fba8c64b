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
