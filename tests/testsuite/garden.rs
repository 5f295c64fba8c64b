//! Gardens for the tests: `Garden`, which makes one in a temporary folder (a copy of a corpus, files written
//! for one case, or both), the corpora themselves, and the notes a garden holds.
//!
//! ```ignore
//! let garden = Garden::new().config("title = \"Commons\"\n").file("content/a.md", "See [[b]].").build();
//! ```

use std::path::{Path, PathBuf};
use std::rc::Rc;

/// What a garden for one test holds, written to a temporary folder by [`Garden::build`]. The files are named by
/// their path from the garden's root, as they lie on disk: Loam itself decides which folder holds the notes (the
/// root, or the `content` of a `loam.toml`), and a reader of the test sees it at a glance.
#[derive(Clone)]
pub struct Garden {
    name: String,
    corpus: Option<(String, String)>,
    files: Vec<(String, Vec<u8>)>,
    beside: Option<Rc<tempfile::TempDir>>,
}

impl Garden {
    /// An empty garden, in a folder named `garden`.
    pub fn new() -> Garden {
        Garden::named("garden")
    }

    /// An empty garden in a folder named `name` (a name with spaces, or one per peer).
    pub fn named(name: &str) -> Garden {
        Garden { name: name.to_string(), corpus: None, files: Vec::new(), beside: None }
    }

    /// Starts from a copy of the corpus `name` of `tests/corpora`, at the garden's root.
    pub fn corpus(self, name: &str) -> Garden {
        self.corpus_at("", name)
    }

    /// Starts from a copy of the corpus `name`, in the garden's folder `folder` (`""` for its root).
    pub fn corpus_at(mut self, folder: &str, name: &str) -> Garden {
        self.corpus = Some((folder.to_string(), name.to_string()));
        self
    }

    /// Its `loam.toml`.
    pub fn config(self, text: &str) -> Garden {
        self.file("loam.toml", text)
    }

    /// A file at `path` from the garden's root (folders are made as needed), written after the corpus.
    pub fn file(mut self, path: &str, contents: impl AsRef<[u8]>) -> Garden {
        self.files.push((path.to_string(), contents.as_ref().to_vec()));
        self
    }

    /// Makes the garden in the same temporary folder as `other`, so that the two are siblings (`../other`).
    pub fn beside(mut self, other: &TempGarden) -> Garden {
        self.beside = Some(Rc::clone(&other.dir));
        self
    }

    /// Writes the garden to its temporary folder.
    pub fn build(self) -> TempGarden {
        let dir = self.beside.unwrap_or_else(|| Rc::new(tempfile::tempdir().unwrap()));
        let root = dir.path().join(&self.name);
        std::fs::create_dir_all(&root).unwrap();
        let garden = TempGarden { dir, root };
        if let Some((folder, name)) = &self.corpus {
            copy_dir(&corpus(name), &garden.root.join(folder));
        }
        for (path, contents) in &self.files {
            garden.write(path, contents);
        }
        garden
    }
}

/// A garden in a temporary folder, removed when the last garden in that folder is dropped. It derefs to the
/// garden's root, so that it is used as the path it is: `garden.join("a.md")`, `garden.to_str()`.
pub struct TempGarden {
    dir: Rc<tempfile::TempDir>,
    root: PathBuf,
}

impl TempGarden {
    /// The temporary folder the garden is in, where tests put what lies beside it (an output folder, a clone).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `name` in the temporary folder beside the garden, for a site built with `-o`, a clone, a folder outside.
    pub fn beside(&self, name: &str) -> PathBuf {
        self.dir().join(name)
    }

    /// Writes (or replaces) the file at `path` from the garden's root, making its folders.
    pub fn write(&self, path: &str, contents: impl AsRef<[u8]>) -> &TempGarden {
        let file = self.root.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, contents).unwrap();
        self
    }
}

impl AsRef<Path> for TempGarden {
    fn as_ref(&self) -> &Path {
        &self.root
    }
}

impl std::ops::Deref for TempGarden {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.root
    }
}

/// A real garden of `tests/corpora` (see its README: sources and licences); read only (copy it before changing
/// anything).
pub fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpora").join(name)
}

/// Copies a folder's files and folders (symbolic links are left out).
fn copy_dir(from: &Path, to: &Path) {
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

/// The notes under `dir` (not in the store's `.loam/`), sorted.
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
