//! How the store keeps its documents on disk, so that a crash at any instant leaves every document loadable:
//! a snapshot (`ID.am`, replaced only by an atomic rename) and a log of the changes made since (`ID.log`), each
//! appended as a frame with its length and a checksum. A frame cut short by a crash fails its checksum and is
//! dropped with everything after it; only the change being written is lost.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use automerge::Automerge;
use xxhash_rust::xxh3::xxh3_64;

use super::durable::Durable;

/// A frame's head: the payload's length and its xxh3 hash, little-endian.
const HEAD: usize = 16;

/// Frames in a log past which the document is compacted into its snapshot.
const COMPACT_AFTER: usize = 64;

/// The files of one document.
pub struct DocFiles {
    snapshot: PathBuf,
    log: PathBuf,
    /// Whether loading cuts a torn frame off the log: only the store's one writer may (a reader doing so while
    /// the writer appends would cut off a whole change).
    repair: bool,
}

impl DocFiles {
    pub fn new(dir: &Path, id: &str) -> DocFiles {
        DocFiles { snapshot: dir.join(format!("{id}.am")), log: dir.join(format!("{id}.log")), repair: true }
    }

    /// The files of a document for reading only.
    pub fn reading(dir: &Path, id: &str) -> DocFiles {
        DocFiles { repair: false, ..DocFiles::new(dir, id) }
    }

    /// The document: its snapshot, then every whole frame of its log. A torn last frame is cut off the log, so
    /// that the next append does not land after garbage.
    ///
    /// A snapshot that is a change rather than a saved document (a new note's, see `Store::create`) is several
    /// times slower to load than a saved document: the writer saves it whole once loaded.
    pub fn load(&self) -> anyhow::Result<Automerge> {
        let mut whole = false;
        let mut doc = match std::fs::read(&self.snapshot) {
            Ok(bytes) => {
                whole = chunk_type(&bytes) == Some(DOCUMENT);
                Automerge::load(&bytes)
                    .map_err(|e| anyhow::anyhow!("cannot load `{}`: {e}", self.snapshot.display()))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Automerge::new(),
            Err(e) => return Err(anyhow::anyhow!("cannot read `{}`: {e}", self.snapshot.display())),
        };
        let log = match std::fs::read(&self.log) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(anyhow::anyhow!("cannot read `{}`: {e}", self.log.display())),
        };
        let (frames, whole_frames) = frames(&log);
        for frame in frames {
            // Changes the snapshot already holds (a crash between compacting and emptying the log) load twice
            // without harm.
            doc.load_incremental(frame).map_err(|e| anyhow::anyhow!("cannot load `{}`: {e}", self.log.display()))?;
        }
        if whole_frames < log.len() && self.repair {
            let file = OpenOptions::new().write(true).open(&self.log)?;
            file.set_len(whole_frames as u64)?;
        }
        if !whole && self.repair && !doc.get_heads().is_empty() {
            self.save(&doc)?;
        }
        Ok(doc)
    }

    /// The document's bytes as they are on disk, without loading it: its snapshot (a saved document or a
    /// change) followed by the changes of every whole frame of its log, which `Automerge::load` reads as one.
    pub fn raw(&self) -> anyhow::Result<Vec<u8>> {
        let mut bytes = match std::fs::read(&self.snapshot) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(anyhow::anyhow!("cannot read `{}`: {e}", self.snapshot.display())),
        };
        match std::fs::read(&self.log) {
            Ok(log) => {
                for frame in frames(&log).0 {
                    bytes.extend_from_slice(frame);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(anyhow::anyhow!("cannot read `{}`: {e}", self.log.display())),
        }
        Ok(bytes)
    }

    /// Whether the document has any file.
    pub fn exists(&self) -> bool {
        self.snapshot.exists() || self.log.exists()
    }

    /// Whether the document has a file with something in it: a document this store made or took in never has
    /// only empty files, so a document without is lost or damaged (a crash of the file system, a careless `rm`).
    pub fn has_content(&self) -> bool {
        [&self.snapshot, &self.log].iter().any(|file| std::fs::metadata(file).is_ok_and(|m| m.len() > 0))
    }

    /// Moves the document's files (what is left of them) into `dir`, named with the time, so that the document
    /// counts as missing here (a peer is asked for it again) while the damaged bytes are kept for whoever wants
    /// to look at them. Returns where they went.
    pub fn set_aside(&self, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", dir.display()))?;
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut moved = Vec::new();
        for file in [&self.snapshot, &self.log] {
            if std::fs::symlink_metadata(file).is_err() {
                continue;
            }
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let to = dir.join(format!("{stamp}-{name}"));
            std::fs::rename(file, &to)
                .map_err(|e| anyhow::anyhow!("cannot move `{}` to `{}`: {e}", file.display(), to.display()))?;
            moved.push(to);
        }
        Ok(moved)
    }

    /// How many bytes of the log follow its last whole frame (a write cut short by a crash; [`DocFiles::load`]
    /// drops them).
    pub fn torn_bytes(&self) -> usize {
        std::fs::read(&self.log).map_or(0, |log| log.len() - frames(&log).1)
    }

    /// The document's one change, when it has nothing else: a snapshot that is a single change and no log.
    pub fn lone_change(&self) -> Option<automerge::Change> {
        if self.log.exists() {
            return None;
        }
        let bytes = std::fs::read(&self.snapshot).ok()?;
        if chunk_type(&bytes) != Some(CHANGE) {
            return None;
        }
        let change = automerge::Change::try_from(bytes.as_slice()).ok()?;
        (change.raw_bytes().len() == bytes.len()).then_some(change)
    }

    /// Writes the whole document as its snapshot (atomically) and empties its log.
    pub fn save(&self, doc: &Automerge) -> anyhow::Result<()> {
        write_atomic(&self.snapshot, &doc.save())?;
        self.empty_log()
    }

    /// The first snapshot of a new document (a saved document, or its first change as Automerge encodes it):
    /// flushed to the disk at once if `durable`, else not yet, for a batch of them to be flushed at once with
    /// [`sync_folder`] before anything refers to them (one flush per document made an import of 10,000 notes
    /// take 10 s on this machine's ext4).
    pub fn write_new(&self, bytes: &[u8], durable: bool) -> anyhow::Result<()> {
        if durable {
            return write_atomic(&self.snapshot, bytes);
        }
        std::fs::write(&self.snapshot, bytes)
            .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", self.snapshot.display()))
    }

    fn empty_log(&self) -> anyhow::Result<()> {
        match std::fs::remove_file(&self.log) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Appends the changes in `bytes` (from `save_after`) to the log, compacting when the log is long.
    pub fn append(&self, doc: &Automerge, bytes: &[u8]) -> anyhow::Result<()> {
        self.append_counted(doc, bytes, None, &Durable::default()).map(|_| ())
    }

    /// [`append`](DocFiles::append), told how many frames the log held when the caller last appended to it, and
    /// its size then: while the size is the same, the log is not read to count them. Returns the same two after.
    pub fn append_counted(
        &self,
        doc: &Automerge,
        bytes: &[u8],
        known: Option<(usize, u64)>,
        durable: &Durable,
    ) -> anyhow::Result<(usize, u64)> {
        let size = std::fs::metadata(&self.log).map_or(0, |m| m.len());
        let existing = match known {
            Some((frames, then)) if then == size => frames,
            _ if size > 0 => frames(&std::fs::read(&self.log)?).0.len(),
            _ => 0,
        };
        if bytes.is_empty() {
            return Ok((existing, size));
        }
        if existing >= COMPACT_AFTER {
            self.save(doc)?;
            return Ok((0, 0));
        }
        let mut frame = Vec::with_capacity(HEAD + bytes.len());
        frame.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        frame.extend_from_slice(&xxh3_64(bytes).to_le_bytes());
        frame.extend_from_slice(bytes);
        let mut file = OpenOptions::new().create(true).append(true).open(&self.log)?;
        file.write_all(&frame)?;
        durable.flush(file, &self.log)?;
        Ok((existing + 1, size + frame.len() as u64))
    }
}

/// The type of the Automerge chunk `bytes` begin with: chunks start with four magic bytes and a four-byte
/// checksum, then the type ([`DOCUMENT`], [`CHANGE`], …).
fn chunk_type(bytes: &[u8]) -> Option<u8> {
    bytes.get(8).copied()
}

/// A saved document's chunk type, and a single change's.
const DOCUMENT: u8 = 0;
const CHANGE: u8 = 1;

/// The whole frames at the start of `log`, and how many bytes they take.
fn frames(log: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut out = Vec::new();
    let mut at = 0;
    while log.len() - at >= HEAD {
        let len = u64::from_le_bytes(log[at..at + 8].try_into().expect("8 bytes")) as usize;
        let sum = u64::from_le_bytes(log[at + 8..at + 16].try_into().expect("8 bytes"));
        let Some(payload) = log.get(at + HEAD..(at + HEAD).saturating_add(len)) else { break };
        if xxh3_64(payload) != sum {
            break;
        }
        out.push(payload);
        at += HEAD + len;
    }
    (out, at)
}

/// Flushes the files written in the folder `dir` to the disk ([`crate::platform::flush_folder`]).
pub fn sync_folder(dir: &Path) -> anyhow::Result<()> {
    crate::platform::flush_folder(dir).map_err(|e| anyhow::anyhow!("cannot flush `{}` to the disk: {e}", dir.display()))
}

/// Writes `bytes` to `path` so that the file is either what it was or all of `bytes`, whatever happens: a
/// temporary file in the same folder, flushed, then renamed over it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut file = File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_data()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ObjType, ReadDoc, ROOT};

    #[test]
    fn a_torn_frame_is_dropped_and_the_rest_loads() {
        let dir = tempfile::tempdir().unwrap();
        let files = DocFiles::new(dir.path(), "doc");
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        let text = tx.put_object(ROOT, "text", ObjType::Text).unwrap();
        tx.splice_text(&text, 0, 0, "one").unwrap();
        tx.commit();
        files.save(&doc).unwrap();
        for word in [" two", " three"] {
            let heads = doc.get_heads();
            let mut tx = doc.transaction();
            let len = tx.length(&text);
            tx.splice_text(&text, len, 0, word).unwrap();
            tx.commit();
            files.append(&doc, &doc.save_after(&heads)).unwrap();
        }
        // A crash in the middle of the last frame.
        let log = dir.path().join("doc.log");
        let bytes = std::fs::read(&log).unwrap();
        std::fs::write(&log, &bytes[..bytes.len() - 3]).unwrap();
        let loaded = files.load().unwrap();
        let (_, text) = loaded.get(ROOT, "text").unwrap().unwrap();
        assert_eq!(loaded.text(&text).unwrap(), "one two");
        // The torn tail is gone, so what is appended next loads too.
        assert!(std::fs::metadata(&log).unwrap().len() < bytes.len() as u64 - 3);
    }

    #[test]
    fn a_counted_append_compacts_at_the_same_frame_as_a_counting_one_and_recounts_a_log_changed_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let (counted, counting) = (DocFiles::new(dir.path(), "a"), DocFiles::new(dir.path(), "b"));
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        let text = tx.put_object(ROOT, "text", ObjType::Text).unwrap();
        tx.commit();
        counted.save(&doc).unwrap();
        counting.save(&doc).unwrap();
        let mut known = None;
        for n in 0..COMPACT_AFTER * 2 + 3 {
            let heads = doc.get_heads();
            let mut tx = doc.transaction();
            tx.splice_text(&text, 0, 0, "x").unwrap();
            tx.commit();
            let change = doc.save_after(&heads);
            known = Some(counted.append_counted(&doc, &change, known, &Durable::default()).unwrap());
            counting.append(&doc, &change).unwrap();
            let size = |files: &DocFiles| std::fs::metadata(&files.log).map_or(0, |m| m.len());
            assert_eq!(size(&counted), size(&counting), "after change {n}");
            assert_eq!(known.unwrap().1, size(&counted));
        }
        assert_eq!(counted.load().unwrap().text(&text).unwrap(), "x".repeat(COMPACT_AFTER * 2 + 3));
        // Another writer's frame: the size differs from the one known, so the log is counted again.
        let heads = doc.get_heads();
        let mut tx = doc.transaction();
        tx.splice_text(&text, 0, 0, "y").unwrap();
        tx.commit();
        counted.append(&doc, &doc.save_after(&heads)).unwrap();
        let (frames, _) = counted.append_counted(&doc, &[], known, &Durable::default()).unwrap();
        assert_eq!(frames, known.unwrap().0 + 1);
    }
}
