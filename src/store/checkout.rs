//! The checkout: the notes folder brought in line with the history, as git's working tree is with its commits.
//! Merged text is written into the notes (never losing a word typed and not recorded yet), moves, new notes and
//! deletions a peer made are carried out at the places `placement.rs` gives, only at paths `paths.rs` lets
//! through, and a write a crash cut short is finished at the next start. Recording (`store.rs`) never writes a
//! note; only this does.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use automerge::ChangeHash;
use xxhash_rust::xxh3::xxh3_64;

use super::merge::{read_index, Merged};
use super::placement::{self, Listed};
use super::{about_of, contributions, deletion_stands, file_bytes, text_bytes, text_of_first_change, Entry, Store};
use crate::diagnostic::shown;
use crate::garden::SourceFile;

impl Store {
    /// Writes the note at `path` (whose file is `file`) with its document's current text, in the file's own line
    /// endings and byte-order mark: how merged text reaches the notes (sync). Returns whether the file was
    /// written.
    ///
    /// No word typed is lost: the file is read again first, and an edit not recorded yet is recorded, so that
    /// the document holds it too. The text then goes to a temporary file beside the note ([`pending_file`]),
    /// flushed; the file's new hash and heads are recorded, marked as being written; then the temporary file is
    /// renamed over the note. A crash before the rename leaves the temporary file, which [`Store::finish_writes`]
    /// renames at the next start. When the watcher reports the write, its bytes are the ones recorded: not an
    /// edit.
    pub fn write_back(&mut self, path: &str, file: &Path) -> anyhow::Result<bool> {
        self.writable()?;
        // What the note is written from is on the disk first: a crash never leaves a note holding text that its
        // history lost.
        self.durable.wait()?;
        let Some(entry) = self.local.notes.get(path) else {
            anyhow::bail!("`{path}` is not in the history");
        };
        match std::fs::read(file) {
            Ok(bytes) if xxh3_64(&bytes) != entry.hash => {
                let modified = std::fs::metadata(file).and_then(|m| m.modified()).ok();
                self.update(vec![SourceFile { path: path.to_string(), bytes, modified }], Vec::new())?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(anyhow::anyhow!("cannot read `{}`: {e}", file.display())),
        }
        let entry = self.local.notes[path].clone();
        // A note made once and never edited (most of a clone) is its first change: read without loading it.
        let lone = self.doc_files(&entry.doc).lone_change();
        let (bytes, heads, authors, edited) = match lone.and_then(|c| text_of_first_change(&c).map(|t| (c, t))) {
            Some((change, text)) => {
                let author = about_of(&change).author;
                let authors = if author.is_empty() { Vec::new() } else { vec![author] };
                (text_bytes(&text, &entry), vec![change.hash().to_string()], authors, change.timestamp())
            }
            None => {
                let mut doc = self.loaded(&entry.doc)?;
                self.settle_frontmatter(&entry.doc, path, &mut doc)?;
                let bytes = file_bytes(&doc, &entry)?;
                let heads: Vec<String> = doc.get_heads().iter().map(ChangeHash::to_string).collect();
                // Changes from elsewhere bring their authors and times.
                let (authors, edited) =
                    if heads == entry.heads { (entry.authors.clone(), entry.edited) } else { contributions(&doc) };
                self.keep_loaded(entry.doc.clone(), doc);
                (bytes, heads, authors, edited)
            }
        };
        let hash = xxh3_64(&bytes);
        if hash == entry.hash && heads == entry.heads && file.exists() {
            return Ok(false);
        }
        let pending = pending_file(file);
        let written = (|| -> std::io::Result<()> {
            if let Some(folder) = file.parent() {
                std::fs::create_dir_all(folder)?;
            }
            let mut out = std::fs::File::create(&pending)?;
            std::io::Write::write_all(&mut out, &bytes)?;
            out.sync_all()
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&pending);
            return Err(anyhow::anyhow!("cannot write `{}`: {e}", pending.display()));
        }
        let recorded = Entry { hash, heads, authors, edited, writing: true, ..entry };
        self.local.notes.insert(path.to_string(), recorded);
        self.local.persist_now(&[path.to_string()])?;
        self.finish_write(path, file)?;
        Ok(true)
    }

    /// Renames the pending file of a recorded write-back over the note, and records that it is done.
    pub(super) fn finish_write(&mut self, path: &str, file: &Path) -> anyhow::Result<()> {
        let pending = pending_file(file);
        if pending.exists() {
            std::fs::rename(&pending, file)
                .map_err(|e| anyhow::anyhow!("cannot put `{}` in place: {e}", file.display()))?;
            if let Some(folder) = file.parent() {
                std::fs::File::open(folder).and_then(|f| f.sync_all()).ok();
            }
        }
        if let Some(entry) = self.local.notes.get_mut(path) {
            entry.writing = false;
        }
        self.local.persist_now(&[path.to_string()])
    }

    /// Finishes the write-backs a crash interrupted (see [`Store::write_back`]), for the garden's notes in
    /// `content`; called before the notes are read at a start. Returns how many were finished.
    pub fn finish_writes(&mut self, content: &Path) -> anyhow::Result<usize> {
        let pending: Vec<String> =
            self.local.notes.iter().filter(|(_, entry)| entry.writing).map(|(path, _)| path.clone()).collect();
        for path in &pending {
            self.finish_write(path, &content.join(path))?;
        }
        Ok(pending.len())
    }

    /// Brings the notes in `content` in line with what [`Store::take_in`] took in since the last call: the
    /// index's moves, new notes and deletions, and the text of each note whose document changed.
    pub fn apply_taken(&mut self, content: &Path) -> anyhow::Result<Merged> {
        if !self.session.taken_index && self.session.taken.is_empty() {
            return Ok(Merged::default());
        }
        let taken = std::mem::take(&mut self.session.taken);
        if !std::mem::take(&mut self.session.taken_index) {
            // Only notes' texts changed (a save on a peer, the usual case while both serve): each is written where
            // it is, without reading the whole index, unless one is new here.
            let placed: BTreeMap<&String, &String> =
                self.local.notes.iter().map(|(path, entry)| (&entry.doc, path)).collect();
            let paths: Option<Vec<String>> = taken.iter().map(|doc| placed.get(doc).map(|p| (*p).clone())).collect();
            if let Some(paths) = paths {
                let mut merged = Merged::default();
                for (doc, path) in taken.iter().zip(paths) {
                    let target = content.join(&path);
                    if self.typed_into(&target) {
                        self.session.taken.insert(doc.clone());
                    } else if self.write_back(&path, &target)? {
                        merged.updated.push(path);
                    }
                }
                return Ok(merged);
            }
        }
        self.apply_index(content, Some(&taken))
    }

    /// Holds back writing merged text into a note whose file changed less than `quiet` ago (an editor saving as
    /// someone types): [`Store::apply_taken`] leaves it for a later call, which [`Store::has_taken`] asks for.
    pub fn hold_back_writes(&mut self, quiet: std::time::Duration) {
        self.write_quiet = Some(quiet);
    }

    /// Whether `file` changed too recently to be written now (see [`Store::hold_back_writes`]).
    pub(super) fn typed_into(&self, file: &Path) -> bool {
        let Some(quiet) = self.write_quiet else { return false };
        std::fs::metadata(file)
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age < quiet))
    }

    /// Brings the notes in `content` in line with the index document: each live note at the place
    /// [`placement::files`] gives it, with its document's text; each note whose deletion stands removed. With
    /// `only`, the text is written back only for notes whose document is among them, or new here.
    pub(super) fn apply_index(&mut self, content: &Path, only: Option<&BTreeSet<String>>) -> anyhow::Result<Merged> {
        let mut merged = Merged::default();
        let index = read_index(&self.index)?;
        let here: BTreeMap<String, String> =
            self.local.notes.iter().map(|(path, entry)| (entry.doc.clone(), path.clone())).collect();
        // Which documents live: not deleted, or deleted without having seen every change to them.
        let mut listed = BTreeMap::new();
        let mut removed = Vec::new();
        for (doc, entry) in &index {
            // A peer may send the index before the note's document: the note comes when its document does.
            if !here.contains_key(doc) && !self.doc_files(doc).exists() {
                continue;
            }
            let alive = !entry.deleted || {
                let document = self.loaded(doc)?;
                let stands = deletion_stands(&document, &entry.seen);
                self.keep_loaded(doc.clone(), document);
                !stands
            };
            if alive {
                listed.insert(doc.clone(), Listed { path: entry.path.clone(), deleted: false });
            } else if here.contains_key(doc) {
                removed.push(doc.clone());
            }
        }
        let files = placement::files(&listed);
        for (doc, path, why) in &files.refused {
            merged.refused.push((path.clone(), why.to_string()));
            tracing::warn!("a note of the other garden was not written: `{}` ({doc}): {why}", shown(path));
        }
        // Deletions: a note is removed only when its file holds what was recorded (an edit typed here since is
        // recorded instead, and brings the note back everywhere).
        for doc in removed {
            let path = here[&doc].clone();
            let file = content.join(&path);
            let bytes = match std::fs::read(&file) {
                Ok(bytes) => Some(bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                // A file that is there and cannot be read may hold words never recorded: it stays.
                Err(e) => {
                    merged.refused.push((path.clone(), format!("deleted elsewhere, but it cannot be read here: {e}")));
                    continue;
                }
            };
            let recorded = self.local.notes[&path].hash;
            if bytes.as_deref().is_some_and(|b| xxhash_rust::xxh3::xxh3_64(b) != recorded) {
                let modified = std::fs::metadata(&file).and_then(|m| m.modified()).ok();
                let bytes = bytes.unwrap_or_default();
                self.update(vec![SourceFile { path: path.clone(), bytes, modified }], Vec::new())?;
                self.set_index(&[(doc.clone(), Some(path.clone()))], "edit")?;
                continue;
            }
            if file.exists() {
                std::fs::remove_file(&file)?;
            }
            self.local.notes.remove(&path);
            self.local.persist_now(std::slice::from_ref(&path))?;
            merged.removed.push(path);
        }
        // Moves first, so that a path a note leaves is free for the note that takes it. A note whose new path is
        // still another moving note's file waits for that one to move: a new note at one path can shift a chain
        // of numbered names ("Name.md" to "Name (2).md" to "Name (3).md"), which goes from its end.
        let mut moves: Vec<(String, String)> = files
            .paths
            .iter()
            .filter_map(|(doc, path)| here.get(doc).filter(|old| *old != path).map(|old| (old.clone(), path.clone())))
            .collect();
        while !moves.is_empty() {
            let leaving: BTreeSet<String> = moves.iter().map(|(old, _)| old.clone()).collect();
            let before = moves.len();
            let mut waiting = Vec::new();
            for (old, path) in std::mem::take(&mut moves) {
                let target = match super::paths::place(content, &path) {
                    Ok(target) => target,
                    Err(why) => {
                        merged.refused.push((path.clone(), why.to_string()));
                        continue;
                    }
                };
                if leaving.contains(&path) {
                    waiting.push((old, path));
                    continue;
                }
                let from = content.join(&old);
                if target.exists() {
                    // A file the history does not know is there: it is not overwritten, and the note stays put.
                    merged.refused.push((path.clone(), "a file that is not in the history is there".into()));
                    continue;
                }
                if let Some(folder) = target.parent() {
                    std::fs::create_dir_all(folder)?;
                }
                if from.exists() {
                    std::fs::rename(&from, &target)?;
                }
                let entry = self.local.notes.remove(&old).expect("a note here has bookkeeping");
                self.local.notes.insert(path.clone(), entry);
                self.local.persist_now(&[old.clone(), path.clone()])?;
                merged.moved.push((old, path));
            }
            if waiting.len() == before {
                // A cycle (two notes swapping names): each stays where it is until a later sync.
                for (old, path) in waiting {
                    merged.refused.push((path, format!("`{old}` would take the place of a note moving there")));
                }
                break;
            }
            moves = waiting;
        }
        for (doc, path) in &files.paths {
            let target = match super::paths::place(content, path) {
                Ok(target) => target,
                Err(why) => {
                    merged.refused.push((path.clone(), why.to_string()));
                    continue;
                }
            };
            let fresh = !here.contains_key(doc);
            if fresh {
                if self.local.notes.contains_key(path) || target.exists() {
                    merged.refused.push((path.clone(), "another note is there".into()));
                    continue;
                }
                // Written the way the garden that first recorded it wrote it.
                let (crlf, bom) = index.get(doc).map_or((false, false), |e| (e.crlf, e.bom));
                let entry = Entry {
                    doc: doc.clone(),
                    hash: 0,
                    heads: Vec::new(),
                    crlf,
                    bom,
                    authors: Vec::new(),
                    edited: 0,
                    writing: false,
                };
                self.local.notes.insert(path.clone(), entry);
                merged.added.push(path.clone());
            } else if self.local.notes.get(path).is_none_or(|e| &e.doc != doc) {
                // Its move above was refused.
                continue;
            } else if only.is_some_and(|only| !only.contains(doc)) {
                continue;
            } else if self.typed_into(&target) {
                // Someone is typing into it: written once it has been still a moment, not fought over.
                self.session.taken.insert(doc.clone());
                continue;
            }
            // One note that cannot be read or written here (its permissions, a full disk) is reported, and the
            // others are still brought up to date.
            match self.write_back(path, &target) {
                Ok(written) if written && !fresh => merged.updated.push(path.clone()),
                Ok(_) => {}
                Err(error) => {
                    if fresh {
                        // Not here after all: no bookkeeping, or the next catch-up would take it for a deletion.
                        self.local.notes.remove(path);
                        merged.added.retain(|added| added != path);
                    }
                    merged.refused.push((path.clone(), format!("{error:#}")));
                }
            }
        }
        Ok(merged)
    }
}

/// The file of a write-back of `file`, beside it: hidden, and not a note, so that no scan reads it.
pub(super) fn pending_file(file: &Path) -> PathBuf {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    file.with_file_name(format!(".{name}.loam-write"))
}
