//! The history of a garden: every note is an Automerge document holding the whole file's text, and every save
//! is one change by its author. Lives in the garden's `.loam/` folder; deleting that folder loses history, never
//! words. This module reads notes only through what it is given and never writes a note file.
//!
//! ```text
//! .loam/format           the layout's version (1)
//! .loam/lock             held by the one process that writes
//! .loam/actor            this device's actor id (made once, never copied)
//! .loam/garden           the index document's id, made once: the garden's address (`automerge:` URL)
//! .loam/index.am|.log    the index document: document id -> { path, deleted }
//! .loam/docs/ID.am|.log  one document per note (see files.rs)
//! .loam/local.json|.log  this device's bookkeeping per path: document, hash of the bytes last recorded, the
//!                        heads the file corresponds to, line endings and BOM (never synced)
//! ```
//!
//! Edits are diffed against the text at the heads the file on disk corresponds to (`disk_heads`), inside a
//! transaction at those heads, never against the document's current text: that would silently undo changes from
//! elsewhere that were not written to the file yet (DESIGN.md).

pub mod address;
pub mod diff;
pub mod files;
mod local;
pub mod merge;
pub mod paths;
pub mod placement;
pub mod recorder;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ChangeHash, ObjType, ReadDoc, ScalarValue, Value, ROOT};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::garden::SourceFile;
use files::{write_atomic, DocFiles};
use local::Local;

/// How long an edit may spend looking for the smallest diff before it replaces what is left.
const DIFF_BUDGET: Duration = Duration::from_millis(50);

/// What this device knows of one note file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The note's document.
    pub doc: String,
    /// xxh3 of the file's bytes as last recorded: the same bytes again are not a change.
    pub hash: u64,
    /// The document's heads that the file's text corresponds to, as hex.
    pub heads: Vec<String>,
    /// The file's line endings were `\r\n` and it began with a byte-order mark: the document holds `\n` and no
    /// mark, and a write of the file puts them back.
    pub crlf: bool,
    pub bom: bool,
    /// Who changed the note's text, in the order of their first change: the page's contributors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// When the text last changed, in seconds since the Unix epoch (0: not known, for bookkeeping written before
    /// Loam kept it; the next catch-up reads it from the document).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub edited: i64,
    /// A write-back of this note was recorded and its file may not be renamed into place yet: the next
    /// [`Store::finish_writes`] puts it there.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub writing: bool,
}

/// What the history is to record of the whole garden: every note, and every attachment up to [`recorder::MAX_ATTACHMENT`]
/// bytes (a larger one is left out, with a warning).
pub struct ToRecord {
    pub files: Vec<SourceFile>,
    /// Paths (relative to the content folder) of files and folders that are there but were not read: their
    /// history stays as it is (see [`crate::garden::Scan::kept`]).
    pub kept: Vec<String>,
}

impl From<Vec<SourceFile>> for ToRecord {
    /// Files that were all read: nothing kept.
    fn from(files: Vec<SourceFile>) -> ToRecord {
        ToRecord { files, kept: Vec::new() }
    }
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// The text of a file as the store holds it, and how to give the file back its own form.
struct Decoded {
    /// `None` for a file that is not UTF-8: the store keeps its bytes as they are (`bytes` in the document), not
    /// a guess at its text.
    text: Option<String>,
    crlf: bool,
    bom: bool,
}

/// Largest note the history keeps as text, merged character by character with concurrent edits. Automerge holds
/// each character as an operation, some hundreds of bytes in memory: a 5 MB note took 3 GB and 49 s to clone, and
/// a note of 1 MB still takes 6 s and 640 MiB to clone, 3 s and 660 MiB to record an edit (512 KiB: 3.7 s and
/// 440 MiB, 1.5 s and 390 MiB). A larger note is kept as whole versions (its bytes), as an attachment is:
/// concurrent edits of it are not merged, the latest version wins (`bench/large-notes.sh` measures it). Obsidian
/// Sync's own limit for a note is 5 MB.
pub const MAX_TEXT: usize = 512 << 10;

/// The history keeps `bytes` as text when they are UTF-8 and at most [`MAX_TEXT`] long, else as they are.
fn decode(bytes: &[u8]) -> Decoded {
    if bytes.len() > MAX_TEXT {
        return Decoded { text: None, crlf: false, bom: false };
    }
    let bom = bytes.starts_with(b"\xEF\xBB\xBF");
    let Ok(text) = std::str::from_utf8(if bom { &bytes[3..] } else { bytes }) else {
        return Decoded { text: None, crlf: false, bom: false };
    };
    let crlf = text.contains("\r\n");
    let text = if crlf { text.replace("\r\n", "\n") } else { text.to_string() };
    Decoded { text: Some(text), crlf, bom }
}

/// The note's content in `doc` as of `heads`: its text, or (for a file kept as bytes: not UTF-8, or larger than
/// [`MAX_TEXT`]) its bytes shown as text. Bytes win over text, as they do when the file is written
/// ([`file_bytes`]): a document has both only when one device made a note bytes while another edited its text.
/// No `heads` means the document as it is now.
fn content_at(doc: &Automerge, heads: &[ChangeHash]) -> anyhow::Result<String> {
    if let Some(bytes) = kept_bytes(doc, heads)? {
        return Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()));
    }
    let text = if heads.is_empty() { doc.get(ROOT, "text")? } else { doc.get_at(ROOT, "text", heads)? };
    if let Some((Value::Object(ObjType::Text), text)) = text {
        return Ok(if heads.is_empty() { doc.text(&text)? } else { doc.text_at(&text, heads)? });
    }
    Ok(String::new())
}

/// The bytes a document keeps for a file kept whole (not UTF-8, or larger than [`MAX_TEXT`]) as of `heads` (none:
/// as it is now); `None` for a note kept as text. The one place that decides that bytes win over text.
fn kept_bytes(doc: &Automerge, heads: &[ChangeHash]) -> anyhow::Result<Option<Vec<u8>>> {
    let value = if heads.is_empty() { doc.get(ROOT, "bytes")? } else { doc.get_at(ROOT, "bytes", heads)? };
    Ok(match value {
        Some((Value::Scalar(value), _)) => match value.as_ref() {
            ScalarValue::Bytes(bytes) => Some(bytes.clone()),
            _ => None,
        },
        _ => None,
    })
}

/// Who made a change and why, as the change's message (JSON), so that `loam log` can say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct About {
    pub author: String,
    /// `import`, `edit`, `move` or `delete`.
    pub kind: String,
}

/// One version of a note, for `loam log`.
#[derive(Debug, Clone)]
pub struct Version {
    pub hash: ChangeHash,
    /// Seconds since the Unix epoch.
    pub time: i64,
    pub about: About,
    /// The note's text after this change.
    pub text: String,
}

/// What a catch-up with the files on disk recorded.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CaughtUp {
    pub added: usize,
    pub changed: usize,
    pub moved: usize,
    pub deleted: usize,
    /// Files the bookkeeping had lost, found to be notes the history has (see [`Store::update`]).
    pub adopted: usize,
    /// What pages show of each note this touched, as it now stands (`None`: no longer a note here): the
    /// recording's news for the live preview, which so never reads the bookkeeping back from disk.
    pub authorship: Vec<(String, Option<Authorship>)>,
}

pub struct Store {
    dir: PathBuf,
    actor: ActorId,
    author: String,
    index: Automerge,
    local: Local,
    /// The documents edited last, kept loaded: someone writing saves the same note again and again, and loading a
    /// document with its log of changes costs far more than the edit. Bounded, so a large garden's histories are
    /// never all in memory.
    recent: std::sync::Mutex<std::collections::VecDeque<(String, Automerge)>>,
    /// `.loam/lock`, held (flock) while this store may write: one writer per garden. `None` for a reader.
    lock: Option<std::fs::File>,
    /// Note documents [`Store::take_in`] changed whose notes are not written yet, and whether the index changed.
    taken: std::collections::BTreeSet<String>,
    taken_index: bool,
    /// The changes made here, kept for peers while a sync runs (`None`: not kept).
    outbox: Option<std::sync::Mutex<Vec<Outgoing>>>,
    /// The id of the garden's index document, from `.loam/garden` (read once: sync asks for it per document).
    garden: Option<String>,
    /// How long a note's file must have been still before merged text is written into it (`None`: at once).
    write_quiet: Option<std::time::Duration>,
    /// Documents a peer sent were written and not flushed to the disk yet ([`Store::flush`]).
    unflushed: bool,
    /// What opening found damaged and set aside (see [`Damage`]).
    damage: Vec<Damage>,
    /// The bookkeeping was empty at opening (lost, or never made): until the first catch-up, a file new to it
    /// whose text is that of a note the history has elsewhere is that note, moved.
    rebuilding: bool,
}

/// A note whose document was found lost or damaged. Its files are set aside in `.loam/damaged/`, so that the
/// document counts as missing: a peer is asked for it again (`loam serve --peer`, `loam sync`, `loam repair
/// --from`), and until then a save of the note is not recorded (recording it into a document that lost its own
/// changes would start its history again and reuse this device's sequence numbers, which every peer refuses).
/// The note's file is never touched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the history of `{}` is damaged ({what}); the note is safe, but its saves are not recorded until its history is \
     fetched again from a peer (`loam repair --from PEER`, or `loam sync PEER`) or started anew (`loam repair`)",
    crate::diagnostic::shown(path)
)]
pub struct Damage {
    pub path: String,
    pub doc: String,
    /// What is wrong, for the user.
    pub what: String,
}

/// A change made here for peers: (document id, Automerge bytes).
pub type Outgoing = (String, Vec<u8>);

/// New documents in one update from which they are flushed to the disk together (`syncfs`, which flushes
/// everything written to the file system, so it would slow whatever else is writing) rather than one by one.
const FLUSH_TOGETHER: usize = 64;

/// The file in `.loam/` that holds the index document's id.
const GARDEN: &str = "garden";

/// Makes the garden at `root` have the address of the garden at `origin` (a clone is the same garden): before
/// its store is first opened, its `.loam/garden` takes the origin's id.
pub fn adopt_address(root: &Path, origin: &Path) -> anyhow::Result<()> {
    let id = std::fs::read_to_string(origin.join(".loam").join(GARDEN))
        .with_context(|| format!("`{}` has no history to clone", origin.display()))?;
    let dir = root.join(".loam");
    std::fs::create_dir_all(&dir)?;
    write_atomic(&dir.join(GARDEN), id.trim().as_bytes())
}

/// Makes the garden at `root` have the address `url` (an `automerge:` URL a peer gave), before its store is
/// first opened.
pub fn adopt_url(root: &Path, url: &str) -> anyhow::Result<()> {
    let id = crate::store::address::id(url).with_context(|| format!("`{url}` is not a garden's address"))?;
    let dir = root.join(".loam");
    std::fs::create_dir_all(&dir)?;
    write_atomic(&dir.join(GARDEN), id.as_bytes())
}

/// The id of the index document of the garden whose `.loam/` folder is `dir`; `None` before it has one.
fn read_garden(dir: &Path) -> Option<String> {
    Some(std::fs::read_to_string(dir.join(GARDEN)).ok()?.trim().to_string())
}

/// The address of the garden at `root`: the `automerge:` URL of its index document; `None` before its history
/// is first recorded.
pub fn address_of(root: &Path) -> Option<String> {
    crate::store::address::url(&read_garden(&root.join(".loam"))?)
}

/// How many documents [`Store::recent`] keeps.
const RECENT: usize = 16;

impl Store {
    /// Opens the store of the garden at `root` (its `.loam/` folder), making it if there is none.
    pub fn open(root: &Path, author: &str) -> anyhow::Result<Store> {
        let dir = root.join(".loam");
        std::fs::create_dir_all(dir.join("docs")).with_context(|| format!("cannot create `{}`", dir.display()))?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("lock"))
            .with_context(|| format!("cannot write in `{}`", dir.display()))?;
        // The lock goes with the file, and so with the process however it ends.
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                "another Loam is recording the history of this garden (is `loam serve` running on it?); stop it first"
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                anyhow::bail!("cannot lock `{}` (one writer per garden): {e}", dir.join("lock").display())
            }
        }
        check_format(&dir, true)?;
        let actor_file = dir.join("actor");
        let actor = match std::fs::read_to_string(&actor_file) {
            Ok(hex) => ActorId::from(
                hex::decode(hex.trim()).with_context(|| format!("`{}` is not an actor id", actor_file.display()))?,
            ),
            Err(_) => {
                let actor = ActorId::random();
                write_atomic(&actor_file, actor.to_hex_string().as_bytes())?;
                actor
            }
        };
        if !dir.join(GARDEN).exists() {
            write_atomic(&dir.join(GARDEN), new_id().as_bytes())?;
        }
        let index = DocFiles::new(&dir, "index").load().map_err(damaged_index)?.with_actor(actor.clone());
        let local = Local::open(&dir, true)?;
        let garden = read_garden(&dir);
        let mut store = Store {
            dir,
            actor,
            author: author.to_string(),
            index,
            local,
            recent: Default::default(),
            lock: Some(lock),
            taken: Default::default(),
            taken_index: false,
            outbox: None,
            write_quiet: None,
            garden,
            unflushed: false,
            damage: Vec::new(),
            rebuilding: false,
        };
        store.rebuilding = store.local.notes.is_empty();
        store.set_aside_damaged()?;
        Ok(store)
    }

    /// Opens the store of the garden at `root` to read its history (`loam log`), beside a writer that may be
    /// running (`loam serve`): nothing is made, repaired or written.
    pub fn open_read_only(root: &Path) -> anyhow::Result<Store> {
        let dir = root.join(".loam");
        if !dir.join("docs").is_dir() {
            anyhow::bail!("`{}` has no history yet (run `loam import` or `loam serve` in it)", root.display());
        }
        check_format(&dir, false)?;
        let actor = ActorId::random();
        let index = DocFiles::reading(&dir, "index").load().map_err(damaged_index)?;
        let local = Local::open(&dir, false)?;
        let garden = read_garden(&dir);
        Ok(Store {
            dir,
            actor,
            author: String::new(),
            index,
            local,
            recent: Default::default(),
            lock: None,
            taken: Default::default(),
            taken_index: false,
            outbox: None,
            write_quiet: None,
            garden,
            unflushed: false,
            damage: Vec::new(),
            rebuilding: false,
        })
    }

    /// Finds the notes whose documents are lost (no file, or only empty ones) and sets what is left of them aside
    /// ([`Damage`]). A check of two files' sizes per note: a damaged document's content is found when it is
    /// loaded ([`Store::loaded`]).
    fn set_aside_damaged(&mut self) -> anyhow::Result<()> {
        let lost: Vec<(String, String)> = (self.local.notes.iter())
            .filter(|(_, entry)| !entry.heads.is_empty() && !self.doc_files(&entry.doc).has_content())
            .map(|(path, entry)| (path.clone(), entry.doc.clone()))
            .collect();
        for (path, doc) in lost {
            let files = self.doc_files(&doc);
            let what = if files.exists() { "its document's files are empty" } else { "its document's files are gone" };
            files.set_aside(&self.dir.join("damaged"))?;
            self.damage.push(Damage { path, doc, what: what.to_string() });
        }
        Ok(())
    }

    /// The damage opening found ([`Damage`]), for the caller to report.
    pub fn damage(&self) -> &[Damage] {
        &self.damage
    }

    /// Loads every document of the garden, for `loam repair`: a log's torn last frame is dropped (as at any
    /// load), a document that cannot be loaded is set aside, and one that lacks changes this device recorded is
    /// named. Returns how many documents were checked and those whose torn frames were dropped; the damage is
    /// added to [`Store::damage`].
    pub fn check(&mut self) -> anyhow::Result<(usize, Vec<String>)> {
        self.writable()?;
        let mut torn = Vec::new();
        let mut checked = 0;
        let placed: BTreeMap<String, String> =
            self.local.notes.iter().map(|(path, entry)| (entry.doc.clone(), path.clone())).collect();
        for doc in self.documents()? {
            let files = self.doc_files(&doc);
            if !files.exists() {
                continue;
            }
            checked += 1;
            let path = placed.get(&doc).cloned().unwrap_or_else(|| format!("(document {doc})"));
            if files.torn_bytes() > 0 {
                torn.push(path.clone());
            }
            match self.loaded(&doc) {
                Ok(loaded) => {
                    let entry = self.local.notes.get(&path);
                    let heads = entry.map(|e| e.heads.as_slice()).unwrap_or_default();
                    let lost = heads
                        .iter()
                        .filter_map(|h| h.parse::<ChangeHash>().ok())
                        .any(|h| loaded.get_change_by_hash(&h).is_none());
                    if lost {
                        self.damage.push(Damage { path, doc, what: "its document lost changes".into() });
                    }
                }
                Err(error) => self.damage.push(Damage { path, doc, what: format!("{error:#}") }),
            }
        }
        Ok((checked, torn))
    }

    /// The damage of [`Store::damage`] that is still there (a peer's copy mends a document set aside).
    pub fn unmended(&self) -> Vec<Damage> {
        (self.damage.iter())
            .filter(|damage| {
                let Some(entry) = self.local.notes.get(&damage.path).filter(|e| e.doc == damage.doc) else {
                    return false;
                };
                let Ok(loaded) = self.doc_files(&damage.doc).load() else { return true };
                entry
                    .heads
                    .iter()
                    .filter_map(|h| h.parse::<ChangeHash>().ok())
                    .any(|h| loaded.get_change_by_hash(&h).is_none())
            })
            .cloned()
            .collect()
    }

    /// Starts the history of the note at `path` anew, from its file at `file` (for a document that was damaged
    /// and that no peer had): a new document with the file's text, and the old one marked deleted in the index
    /// as of the heads this device knew, in one change. The old document's id is never written to again, so no
    /// sequence number of this device is used twice. A peer that has the old document with nothing more drops it
    /// for the new; one with edits this device never saw keeps them (an edit outlives a delete it did not see).
    pub fn start_anew(&mut self, path: &str, file: &Path) -> anyhow::Result<()> {
        self.writable()?;
        let Some(old) = self.local.notes.get(path).cloned() else { anyhow::bail!("`{path}` is not in the history") };
        let seen = BTreeMap::from([(old.doc.clone(), old.heads.clone())]);
        match std::fs::read(file) {
            Ok(bytes) => {
                let made = self.create(&bytes, now(), true)?;
                let forms = BTreeMap::from([(made.doc.clone(), (made.crlf, made.bom))]);
                let entries = [(old.doc.clone(), None), (made.doc.clone(), Some(path.to_string()))];
                self.set_index_with(&entries, &seen, &forms, "repair")?;
                self.local.notes.insert(path.to_string(), made);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.set_index_with(&[(old.doc.clone(), None)], &seen, &BTreeMap::new(), "delete")?;
                self.local.notes.remove(path);
            }
            Err(e) => anyhow::bail!("cannot read `{}`: {e}", file.display()),
        }
        self.local.persist(&[path.to_string()])
    }

    /// The files of a document, for this store's kind of access.
    fn doc_files(&self, id: &str) -> DocFiles {
        if self.lock.is_some() {
            DocFiles::new(&self.docs_dir(), id)
        } else {
            DocFiles::reading(&self.docs_dir(), id)
        }
    }

    fn writable(&self) -> anyhow::Result<()> {
        match self.lock {
            Some(_) => Ok(()),
            None => anyhow::bail!("the history was opened for reading only"),
        }
    }

    /// The garden's address: the `automerge:` URL of its index document.
    pub fn address(&self) -> Option<String> {
        crate::store::address::url(self.garden.as_deref()?)
    }

    /// How many notes the store tracks.
    pub fn len(&self) -> usize {
        self.local.notes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.local.notes.is_empty()
    }

    /// The author recorded with this device's changes.
    pub fn author(&self) -> &str {
        &self.author
    }

    /// What the store knows of the note at `path`.
    pub fn entry(&self, path: &str) -> Option<&Entry> {
        self.local.notes.get(path)
    }

    /// Paths of every note the store tracks.
    /// Who changed each note and when it last changed, by path, as recorded so far (what [`contributions_of`]
    /// reads from disk, from the store in memory).
    pub fn authorship(&self) -> impl Iterator<Item = (&str, Authorship)> {
        self.local.notes.iter().map(|(path, entry)| (path.as_str(), (entry.authors.clone(), entry.edited)))
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.local.notes.keys().map(String::as_str)
    }

    /// Records what changed in the garden while nothing was watching: `notes` are every note file now, as
    /// (path, bytes), and the paths that are there but could not be read. New files become documents, changed ones get a change, missing ones are marked deleted,
    /// and a missing file whose bytes turn up under a new path is a move (its history goes along). Work on
    /// documents runs on all cores; only the documents of changed files are opened.
    pub fn catch_up(&mut self, notes: impl Into<ToRecord>) -> anyhow::Result<CaughtUp> {
        let ToRecord { files, kept } = notes.into();
        let present: std::collections::HashSet<&str> = files.iter().map(|n| n.path.as_str()).collect();
        // A file that is there but could not be read (or a folder that could not be listed) is not deleted.
        let is_kept = |path: &str| {
            kept.iter()
                .any(|k| path == k || (path.starts_with(k.as_str()) && path.as_bytes().get(k.len()) == Some(&b'/')))
        };
        let gone: Vec<String> =
            (self.local.notes.keys()).filter(|p| !present.contains(p.as_str()) && !is_kept(p)).cloned().collect();
        self.fill_in_contributions()?;
        let done = self.update(files, gone);
        self.rebuilding = false;
        done
    }

    /// Reads who changed each note and when from the documents, for bookkeeping written before Loam kept that.
    /// A document that cannot be read is left for the next time; its note shows no contributors meanwhile.
    fn fill_in_contributions(&mut self) -> anyhow::Result<()> {
        let unknown: Vec<(String, String)> = (self.local.notes.iter())
            .filter(|(_, entry)| entry.edited == 0 && !entry.heads.is_empty())
            .map(|(path, entry)| (path.clone(), entry.doc.clone()))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let read: Vec<(String, Option<Authorship>)> = unknown
            .into_par_iter()
            .map(|(path, doc)| {
                let contributions = self.doc_files(&doc).load().ok().map(|doc| contributions(&doc));
                (path, contributions)
            })
            .collect();
        let mut filled = Vec::new();
        for (path, contributions) in read {
            if let (Some(entry), Some((authors, edited))) = (self.local.notes.get_mut(&path), contributions) {
                (entry.authors, entry.edited) = (authors, edited);
                filled.push(path);
            }
        }
        self.local.persist(&filled)
    }

    /// Records the files at some paths: `present` as (path, bytes), and `gone` ones that no longer exist. A gone
    /// file whose bytes turn up at a new path is a move (an editor or a `git mv` that deletes and creates).
    /// Each change is dated by its file's modification time, which says when a file edited while Loam was not
    /// running was edited (see [`change_time`]).
    pub fn update(&mut self, notes: Vec<SourceFile>, gone: Vec<String>) -> anyhow::Result<CaughtUp> {
        self.writable()?;
        let gone: Vec<String> = gone.into_iter().filter(|p| self.local.notes.contains_key(p)).collect();
        let mut gone_by_hash: std::collections::HashMap<u64, Vec<String>> = Default::default();
        for path in &gone {
            gone_by_hash.entry(self.local.notes[path].hash).or_default().push(path.clone());
        }
        let mut report = CaughtUp::default();
        let mut touched: Vec<String> = gone.clone();
        let mut new = Vec::new();
        let mut changed = Vec::new();
        // (document, its new path), one change to the index for all of them.
        let mut moved = Vec::new();
        let now = now();
        for SourceFile { path, bytes, modified } in notes {
            let hash = xxh3_64(&bytes);
            match self.local.notes.get(&path) {
                Some(entry) if entry.hash == hash => {}
                Some(entry) => {
                    let time = change_time(modified, entry.edited, now);
                    touched.push(path.clone());
                    changed.push((path, bytes, time));
                }
                None => match gone_by_hash.get_mut(&hash).and_then(Vec::pop) {
                    Some(from) => {
                        let entry = self.local.notes.remove(&from).expect("a gone path is known");
                        moved.push((entry.doc.clone(), Some(path.clone())));
                        self.local.notes.insert(path.clone(), entry);
                        touched.push(path);
                        report.moved += 1;
                    }
                    None => {
                        touched.push(path.clone());
                        new.push((path, bytes, change_time(modified, 0, now)));
                    }
                },
            }
        }
        self.set_index(&moved, "move")?;
        // A file new to the bookkeeping at a path where the index has a note this device does not track is that
        // note (the bookkeeping was lost or damaged), never a second document beside it: that would list the path
        // twice and spread a `Name (2).md` copy to every peer.
        let mut adoptable = if new.is_empty() { BTreeMap::new() } else { self.untracked_by_path()? };
        let (mut adopted, mut new): (Vec<_>, Vec<_>) =
            new.into_iter().partition(|(path, _, _)| adoptable.contains_key(path));
        // One moved while the bookkeeping was lost: found by its text, and its move recorded.
        let mut found_moved = Vec::new();
        let placed: std::collections::HashSet<&String> = adopted.iter().map(|(path, _, _)| path).collect();
        let elsewhere: Vec<&String> =
            adoptable.iter().filter(|(path, _)| !placed.contains(path)).map(|(_, d)| d).collect();
        if self.rebuilding && !new.is_empty() && !elsewhere.is_empty() {
            let by_text = self.texts_of(elsewhere.into_iter())?;
            let (moved_here, still_new): (Vec<_>, Vec<_>) = new.into_iter().partition(|(_, bytes, _)| {
                by_text.contains_key(&xxh3_64(decode(bytes).text.as_deref().unwrap_or_default().as_bytes()))
            });
            for (path, bytes, time) in moved_here {
                let key = xxh3_64(decode(&bytes).text.as_deref().unwrap_or_default().as_bytes());
                let doc = by_text[&key].clone();
                if decode(&bytes).text.as_deref().is_none_or(str::is_empty)
                    || found_moved.iter().any(|(d, _): &(String, Option<String>)| *d == doc)
                {
                    continue;
                }
                adoptable.insert(path.clone(), doc.clone());
                found_moved.push((doc, Some(path.clone())));
                adopted.push((path, bytes, time));
            }
            new = still_new;
        }
        self.set_index(&found_moved, "move")?;
        for (path, bytes, time) in adopted {
            let (entry, same) = self.adopt(&adoptable[&path], &bytes)?;
            touched.push(path.clone());
            self.local.notes.insert(path.clone(), entry);
            if same {
                report.adopted += 1;
            } else {
                // Edited since: the edit goes on top of the document's latest text.
                changed.push((path, bytes, time));
            }
        }
        for (path, bytes, _) in new.iter().chain(&changed) {
            if bytes.len() > MAX_TEXT && crate::garden::is_note(path) {
                tracing::warn!(
                    "{}: larger than {} KiB, so its history keeps whole versions: edits made elsewhere at \
                     the same time are not merged into it, the latest version wins",
                    crate::diagnostic::shown(path),
                    MAX_TEXT >> 10
                );
            }
        }
        // A few new documents are flushed one by one; many (an import) together, with one flush of the disk.
        let one_by_one = new.len() < FLUSH_TOGETHER;
        let made: Vec<anyhow::Result<(String, Entry)>> = new
            .par_iter()
            .map(|(path, bytes, time)| self.create(bytes, *time, one_by_one).map(|entry| (path.clone(), entry)))
            .collect();
        let recorded: Vec<anyhow::Result<Option<(String, Entry)>>> = changed
            .par_iter()
            .map(|(path, bytes, time)| self.edit(path, bytes, *time).map(|e| e.map(|entry| (path.clone(), entry))))
            .collect();
        if !one_by_one {
            files::sync_folder(&self.docs_dir())?;
        }
        let mut paths = Vec::new();
        for result in made {
            let (path, entry) = result?;
            paths.push((entry.doc.clone(), Some(path.clone())));
            self.local.notes.insert(path, entry);
            report.added += 1;
        }
        for result in recorded {
            match result {
                Ok(Some((path, entry))) => {
                    self.local.notes.insert(path, entry);
                    report.changed += 1;
                }
                Ok(None) => {}
                // A note whose history is damaged is left as it is (its file is safe); the others are recorded.
                Err(error) => match error.downcast_ref::<Damage>() {
                    Some(damage) => tracing::warn!("{damage}"),
                    None => return Err(error),
                },
            }
        }
        // A new note's line endings and byte-order mark go in the index too, for a garden that gets the note
        // from this one to write its file the same way.
        let forms: BTreeMap<String, (bool, bool)> = (paths.iter())
            .filter_map(|(doc, path)| Some((doc.clone(), self.local.notes.get(path.as_deref()?)?)))
            .map(|(doc, entry)| (doc, (entry.crlf, entry.bom)))
            .collect();
        self.set_index_with(&paths, &BTreeMap::new(), &forms, "import")?;
        // What was gone and did not turn up elsewhere is deleted: tombstones in the index, the documents stay.
        let gone_heads: BTreeMap<String, Vec<String>> = gone
            .iter()
            .filter_map(|path| self.local.notes.get(path))
            .map(|entry| (entry.doc.clone(), entry.heads.clone()))
            .collect();
        // Each with the heads of its document the deletion saw: an edit elsewhere that it did not see brings the
        // note back ([`deletion_stands`]).
        let deleted: Vec<(String, Option<String>)> =
            gone.iter().filter_map(|path| self.local.notes.remove(path)).map(|entry| (entry.doc, None)).collect();
        let seen: BTreeMap<String, Vec<String>> = gone_heads;
        report.deleted = deleted.len();
        self.set_index_with(&deleted, &seen, &BTreeMap::new(), "delete")?;
        self.local.persist(&touched)?;
        touched.sort();
        touched.dedup();
        report.authorship = touched
            .into_iter()
            .map(|path| {
                let now = self.local.notes.get(&path).map(|entry| (entry.authors.clone(), entry.edited));
                (path, now)
            })
            .collect();
        Ok(report)
    }

    /// The notes of the index, not deleted, that no bookkeeping entry tracks and whose documents are here: (path,
    /// document).
    fn untracked_by_path(&self) -> anyhow::Result<BTreeMap<String, String>> {
        let tracked: std::collections::HashSet<&str> = self.local.notes.values().map(|e| e.doc.as_str()).collect();
        Ok(merge::read_index(&self.index)?
            .into_iter()
            .filter(|(doc, entry)| !entry.deleted && !tracked.contains(doc.as_str()))
            .filter(|(doc, _)| self.doc_files(doc).has_content())
            .map(|(doc, entry)| (entry.path, doc))
            .collect())
    }

    /// The latest text of each of `docs` (notes that are text), by its xxh3 hash.
    fn texts_of<'a>(&self, docs: impl Iterator<Item = &'a String>) -> anyhow::Result<BTreeMap<u64, String>> {
        let mut texts = BTreeMap::new();
        for doc in docs {
            let loaded = self.loaded(doc)?;
            if let Some((Value::Object(ObjType::Text), text)) = loaded.get(ROOT, "text")? {
                texts.insert(xxh3_64(loaded.text(&text)?.as_bytes()), doc.clone());
            }
        }
        Ok(texts)
    }

    /// Bookkeeping for a file found at the path of document `doc`: at the heads where the document's text is the
    /// file's (its latest, or one of its last versions), and then `true`; else at its latest heads with a hash
    /// that matches no file, so that the file is recorded as an edit of it.
    fn adopt(&self, doc: &str, bytes: &[u8]) -> anyhow::Result<(Entry, bool)> {
        /// How many versions back a file is looked for: a file that old is recorded as an edit instead.
        const VERSIONS: usize = 64;
        let loaded = self.loaded(doc)?;
        let decoded = decode(bytes);
        let wanted = decoded.text.clone().unwrap_or_else(|| String::from_utf8_lossy(bytes).into_owned());
        let latest = loaded.get_heads();
        let mut found = (content_at(&loaded, &[])? == wanted).then(|| latest.clone());
        if found.is_none() {
            for change in loaded.get_changes(&[]).iter().rev().take(VERSIONS) {
                let heads = [change.hash()];
                if content_at(&loaded, &heads)? == wanted {
                    found = Some(heads.to_vec());
                    break;
                }
            }
        }
        let (authors, edited) = contributions(&loaded);
        let same = found.is_some();
        let heads = found.unwrap_or(latest);
        let entry = Entry {
            doc: doc.to_string(),
            hash: if same { xxh3_64(bytes) } else { 0 },
            heads: heads.iter().map(ChangeHash::to_string).collect(),
            crlf: decoded.crlf,
            bom: decoded.bom,
            authors,
            edited,
            writing: false,
        };
        self.keep_loaded(doc.to_string(), loaded);
        Ok((entry, same))
    }

    /// Records a save of the note at `path`: one change if its bytes differ from those last recorded. Returns
    /// whether the store took anything in (a change, a new note, or only other line endings).
    pub fn record(&mut self, path: &str, bytes: &[u8]) -> anyhow::Result<bool> {
        let file = SourceFile { path: path.to_string(), bytes: bytes.to_vec(), modified: None };
        let done = self.update(vec![file], Vec::new())?;
        Ok(done.added + done.changed > 0)
    }

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
                let doc = self.loaded(&entry.doc)?;
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
        self.local.persist(&[path.to_string()])?;
        self.finish_write(path, file)?;
        Ok(true)
    }

    /// Renames the pending file of a recorded write-back over the note, and records that it is done.
    fn finish_write(&mut self, path: &str, file: &Path) -> anyhow::Result<()> {
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
        self.local.persist(&[path.to_string()])
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

    /// The document `id`, from the recently used ones (taken out of them) or from disk.
    fn loaded(&self, id: &str) -> anyhow::Result<Automerge> {
        let kept = {
            let mut recent = crate::lock(&self.recent);
            recent.iter().position(|(known, _)| known == id).and_then(|at| recent.remove(at))
        };
        match kept {
            Some((_, doc)) => Ok(doc),
            None => match self.doc_files(id).load() {
                Ok(doc) => Ok(doc.with_actor(self.actor.clone())),
                Err(error) if self.lock.is_some() => {
                    // Damaged beyond a torn last frame: set aside, so that it counts as missing and a peer's copy
                    // replaces it.
                    let moved = self.doc_files(id).set_aside(&self.dir.join("damaged"))?;
                    Err(error.context(format!(
                        "document {id} is damaged; its files were moved to {}: run `loam repair --from PEER` to fetch \
                         it again, or `loam repair` to start its history anew",
                        moved.first().map_or_else(|| "nowhere".into(), |p| format!("`{}`", p.display()))
                    )))
                }
                Err(error) => Err(error.context(format!("document {id} is damaged: run `loam repair`"))),
            },
        }
    }

    /// Keeps a loaded document among the recently used ones.
    fn keep_loaded(&self, id: String, doc: Automerge) {
        let mut recent = crate::lock(&self.recent);
        recent.push_back((id, doc));
        if recent.len() > RECENT {
            recent.pop_front();
        }
    }

    /// Every version of the note at `path`, oldest first.
    pub fn history(&self, path: &str) -> anyhow::Result<Vec<Version>> {
        let Some(entry) = self.local.notes.get(path) else { return Ok(Vec::new()) };
        let files = self.doc_files(&entry.doc);
        // Most notes of a garden were never edited since they were recorded: their one version is read from
        // their first change, without loading the document.
        if let Some((change, text)) = files.lone_change().and_then(|c| text_of_first_change(&c).map(|t| (c, t))) {
            let about = about_of(&change);
            return Ok(vec![Version { hash: change.hash(), time: change.timestamp(), about, text }]);
        }
        let doc = files.load()?;
        let mut versions = Vec::new();
        let heads = doc.get_heads();
        for change in doc.get_changes(&[]) {
            let about = about_of(&change);
            let hash = change.hash();
            // The latest version is the document as it is: reading it so is much cheaper than as of a change.
            let latest = heads.as_slice() == [hash];
            let text = content_at(&doc, if latest { &[] } else { std::slice::from_ref(&hash) })?;
            versions.push(Version { hash, time: change.timestamp(), about, text });
        }
        Ok(versions)
    }

    fn docs_dir(&self) -> PathBuf {
        self.dir.join("docs")
    }

    fn options(&self, kind: &str, time: i64) -> CommitOptions {
        CommitOptions::default().with_message(self.about(kind)).with_time(time)
    }

    /// A change's message: [`About`] this device's author and the kind of change, as JSON.
    fn about(&self, kind: &str) -> String {
        let about = About { author: self.author.clone(), kind: kind.to_string() };
        serde_json::to_string(&about).unwrap_or_default()
    }

    /// A new document for a note, written to disk (flushed at once if `durable`, else by the caller before the
    /// index refers to it); the caller records its path in the index.
    ///
    /// A note's text becomes the document's first change, encoded directly ([`first_change`]) and kept as the
    /// document's snapshot until the document is next loaded to be written ([`DocFiles::load`] then saves it
    /// whole): most notes of a large garden are never edited again, and making each document through a
    /// transaction and saving it costs twice as much, which is most of the first import.
    fn create(&self, bytes: &[u8], time: i64, durable: bool) -> anyhow::Result<Entry> {
        let decoded = decode(bytes);
        let id = new_id();
        let message = self.about("import");
        let (hash, saved) = match &decoded.text {
            Some(text) => {
                let change = first_change(&self.actor, text, time, message);
                (change.hash(), change.raw_bytes().to_vec())
            }
            None => {
                let mut doc = Automerge::new().with_actor(self.actor.clone());
                let mut tx = doc.transaction();
                tx.put(ROOT, "bytes", ScalarValue::Bytes(bytes.to_vec()))?;
                let (hash, _) = tx.commit_with(self.options("import", time));
                (hash.context("a new document has a change")?, doc.save())
            }
        };
        let files = DocFiles::new(&self.docs_dir(), &id);
        files.write_new(&saved, durable)?;
        self.to_outbox(&id, &saved);
        Ok(Entry {
            doc: id,
            hash: xxh3_64(bytes),
            heads: vec![hash.to_string()],
            crlf: decoded.crlf,
            bom: decoded.bom,
            authors: vec![self.author.clone()],
            edited: time,
            writing: false,
        })
    }

    /// A change to the note at `path` (which the store knows), diffed against the text at the heads its file
    /// corresponds to; `None` when its bytes are the ones last recorded.
    fn edit(&self, path: &str, bytes: &[u8], time: i64) -> anyhow::Result<Option<Entry>> {
        let entry = &self.local.notes[path];
        let hash = xxh3_64(bytes);
        if entry.hash == hash {
            return Ok(None);
        }
        let decoded = decode(bytes);
        let files = DocFiles::new(&self.docs_dir(), &entry.doc);
        let mut doc = self.loaded(&entry.doc)?;
        // A document with bytes is a file kept whole (bytes win over a text beside them: see [`content_at`]).
        let text = match doc.get(ROOT, "text")? {
            Some((Value::Object(ObjType::Text), text)) if doc.get(ROOT, "bytes")?.is_none() => Some(text),
            _ => None,
        };
        let disk_heads: Vec<ChangeHash> = entry.heads.iter().filter_map(|h| h.parse().ok()).collect();
        if disk_heads.iter().any(|head| doc.get_change_by_hash(head).is_none()) {
            // The document lost changes this device recorded: a change made now would begin its history again with
            // this device's first sequence number, which every peer already has.
            let what = "its document lost changes".to_string();
            return Err(Damage { path: path.to_string(), doc: entry.doc.clone(), what }.into());
        }
        let before = doc.get_heads();
        let splices = match (&text, &decoded.text) {
            (Some(text), Some(new)) => {
                let old = if disk_heads == before { doc.text(text)? } else { doc.text_at(text, &disk_heads)? };
                diff::splices(&old, new, DIFF_BUDGET)
            }
            _ => Vec::new(),
        };
        // Usually the file is the document's latest text, and a plain transaction does. Otherwise changes from
        // elsewhere are not in the file yet: the edit is made at the file's heads, concurrent with them, so that
        // it does not undo them. (An isolated transaction is much slower per character: Automerge scans the ops
        // against the heads' clock; only this case pays for it.)
        let mut tx = if disk_heads == before {
            doc.transaction()
        } else {
            doc.transaction_at(automerge::PatchLog::inactive(), &disk_heads)?
        };
        match (text, decoded.text) {
            (Some(text), Some(_)) => {
                for splice in splices.iter().rev() {
                    tx.splice_text(&text, splice.at, splice.delete as isize, &splice.insert)?;
                }
            }
            // The file is not UTF-8, or too large for text (any more): its bytes as they are.
            (_, None) => {
                tx.put(ROOT, "bytes", ScalarValue::Bytes(bytes.to_vec()))?;
                if tx.get(ROOT, "text")?.is_some() {
                    tx.delete(ROOT, "text")?;
                }
            }
            // Text again after bytes.
            (None, Some(new)) => {
                let object = tx.put_object(ROOT, "text", ObjType::Text)?;
                tx.splice_text(&object, 0, 0, &new)?;
                if tx.get(ROOT, "bytes")?.is_some() {
                    tx.delete(ROOT, "bytes")?;
                }
            }
        }
        let (change, _) = tx.commit_with(self.options("edit", time));
        // Only the line endings or the mark changed: the text is the same, and so are the heads and who wrote it.
        let (mut authors, mut edited) = (entry.authors.clone(), entry.edited);
        let heads = match change {
            Some(change) => {
                if !authors.contains(&self.author) {
                    authors.push(self.author.clone());
                }
                edited = time;
                vec![change.to_string()]
            }
            None => entry.heads.clone(),
        };
        let change = doc.save_after(&before);
        files.append(&doc, &change)?;
        self.to_outbox(&entry.doc, &change);
        self.keep_loaded(entry.doc.clone(), doc);
        let (crlf, bom) = (decoded.crlf, decoded.bom);
        Ok(Some(Entry { doc: entry.doc.clone(), hash, heads, crlf, bom, authors, edited, writing: false }))
    }

    /// Sets the path of each (document, path) in the index document, or marks it deleted (`None`): one change.
    fn set_index(&mut self, entries: &[(String, Option<String>)], kind: &str) -> anyhow::Result<()> {
        self.set_index_with(entries, &BTreeMap::new(), &BTreeMap::new(), kind)
    }

    /// [`Store::set_index`], recording with each deleted document the heads of it that the deletion saw
    /// (`deletedAt`, from `seen`), and with a new one its file's form (`crlf` and `bom`, when set, from `forms`).
    fn set_index_with(
        &mut self,
        entries: &[(String, Option<String>)],
        seen: &BTreeMap<String, Vec<String>>,
        forms: &BTreeMap<String, (bool, bool)>,
        kind: &str,
    ) -> anyhow::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let heads = self.index.get_heads();
        let options = self.options(kind, now());
        let mut tx = self.index.transaction();
        let docs = docs_map(&mut tx)?;
        for (doc, path) in entries {
            // A moved or deleted note keeps its entry, so that a concurrent change to it elsewhere is not lost.
            let note = match tx.get(&docs, doc.as_str())? {
                Some((Value::Object(ObjType::Map), id)) => id,
                _ => tx.put_object(&docs, doc.as_str(), ObjType::Map)?,
            };
            if let Some(path) = path {
                tx.put(&note, "path", path.as_str())?;
            }
            tx.put(&note, "deleted", path.is_none())?;
            match (path, seen.get(doc)) {
                (None, Some(heads)) => {
                    let list = tx.put_object(&note, "deletedAt", ObjType::List)?;
                    for (n, head) in heads.iter().enumerate() {
                        tx.insert(&list, n, head.as_str())?;
                    }
                }
                (Some(_), _) if tx.get(&note, "deletedAt")?.is_some() => tx.delete(&note, "deletedAt")?,
                _ => {}
            }
            if let Some(&(crlf, bom)) = forms.get(doc) {
                for (key, set) in [("crlf", crlf), ("bom", bom)] {
                    if set {
                        tx.put(&note, key, true)?;
                    }
                }
            }
        }
        tx.commit_with(options);
        let change = self.index.save_after(&heads);
        if let Some(id) = &self.garden {
            self.to_outbox(id, &change);
        }
        DocFiles::new(&self.dir, "index").append(&self.index, &change)
    }

    /// Keeps a change made here for peers, when a sync runs ([`Store::keep_outbox`]).
    fn to_outbox(&self, doc: &str, bytes: &[u8]) {
        if let Some(outbox) = &self.outbox {
            crate::lock(outbox).push((doc.to_string(), bytes.to_vec()));
        }
    }

    /// Each document's path and whether it is deleted, from the index document (what peers will see).
    pub fn index_paths(&self) -> anyhow::Result<BTreeMap<String, (String, bool)>> {
        Ok(merge::read_index(&self.index)?.into_iter().map(|(doc, entry)| (doc, (entry.path, entry.deleted))).collect())
    }
}

/// The index document cannot be loaded: what is wrong, and what to do.
#[derive(Debug, thiserror::Error)]
#[error(
    "the garden's index (`.loam/index.am`, `.loam/index.log`) is damaged ({0}): run `loam repair --from PEER` to \
     fetch it from a copy of the garden; your notes are safe"
)]
pub struct DamagedIndex(String);

fn damaged_index(error: anyhow::Error) -> anyhow::Error {
    DamagedIndex(format!("{error:#}")).into()
}

/// Whether the deletion of a note stands, given its document as it is now and the heads of it the deletion saw
/// (`deletedAt` in the index): only if every change of the document was seen. An edit made elsewhere that the
/// deleting peer had not seen, or made after, brings the note back: words are never lost to a delete someone
/// made without seeing them. A document that has not yet received everything the deletion saw keeps it deleted
/// until it has.
pub fn deletion_stands(doc: &Automerge, seen: &[ChangeHash]) -> bool {
    if seen.iter().any(|hash| doc.get_change_by_hash(hash).is_none()) {
        return true;
    }
    doc.get_changes(seen).is_empty()
}

/// The version of the layout of `.loam/` that this Loam writes. A later Loam that changes it migrates older
/// stores; this one refuses newer ones rather than misreading them.
const FORMAT: u32 = 1;

/// Checks `.loam/format` (and writes it for a new store, when `writing`).
fn check_format(dir: &Path, writing: bool) -> anyhow::Result<()> {
    let file = dir.join("format");
    match std::fs::read_to_string(&file) {
        Ok(text) => match text.trim().parse::<u32>() {
            Ok(FORMAT) => Ok(()),
            Ok(newer) if newer > FORMAT => anyhow::bail!(
                "the history in `{}` was written by a newer Loam (format {newer}); update Loam to use it",
                dir.display()
            ),
            _ => anyhow::bail!("`{}` is damaged; delete `.loam/` to record the garden afresh", file.display()),
        },
        Err(_) if writing => write_atomic(&file, format!("{FORMAT}\n").as_bytes()),
        Err(_) => Ok(()),
    }
}

/// The index document's map of documents, made on first use.
fn docs_map(tx: &mut automerge::transaction::Transaction<'_>) -> anyhow::Result<automerge::ObjId> {
    Ok(match tx.get(ROOT, "docs")? {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => tx.put_object(ROOT, "docs", ObjType::Map)?,
    })
}

/// The first change of a note's document, holding `text`: what a transaction that puts a text object at `text`
/// and splices the whole text into it makes (one operation per character, each inserted after the one before),
/// built as Automerge's own expanded form of a change and encoded by Automerge, without the document that a
/// transaction keeps up to date op by op.
fn first_change(actor: &ActorId, text: &str, time: i64, message: String) -> automerge::Change {
    use automerge::legacy::{ElementId, Key, ObjectId, Op, OpId, OpType, SortedVec};
    let mut operations = Vec::with_capacity(text.len() + 1);
    operations.push(Op {
        action: OpType::Make(ObjType::Text),
        obj: ObjectId::Root,
        key: Key::Map("text".into()),
        pred: SortedVec::new(),
        insert: false,
    });
    let object = ObjectId::Id(OpId(1, actor.clone()));
    let mut after = ElementId::Head;
    for (n, c) in text.chars().enumerate() {
        operations.push(Op {
            action: OpType::Put(ScalarValue::from(c)),
            obj: object.clone(),
            key: Key::Seq(after),
            pred: SortedVec::new(),
            insert: true,
        });
        after = ElementId::Id(OpId(n as u64 + 2, actor.clone()));
    }
    automerge::Change::from(automerge::ExpandedChange {
        operations,
        actor_id: actor.clone(),
        hash: None,
        seq: 1,
        start_op: std::num::NonZeroU64::MIN,
        time,
        message: Some(message),
        deps: Vec::new(),
        extra_bytes: Vec::new(),
        author: None,
    })
}

/// The text of a note's document that holds only its [`first_change`]; `None` for any other change.
fn text_of_first_change(change: &automerge::Change) -> Option<String> {
    use automerge::legacy::{ElementId, Key, ObjectId, OpId, OpType};
    let expanded = change.decode();
    let (make, inserts) = expanded.operations.split_first()?;
    let is_text = matches!(make.action, OpType::Make(ObjType::Text))
        && make.obj == ObjectId::Root
        && make.key == Key::Map("text".into())
        && expanded.start_op.get() == 1
        && expanded.deps.is_empty();
    if !is_text {
        return None;
    }
    let object = ObjectId::Id(OpId(1, expanded.actor_id.clone()));
    let mut text = String::with_capacity(inserts.len());
    let mut after = ElementId::Head;
    for (n, op) in inserts.iter().enumerate() {
        let OpType::Put(ScalarValue::Str(c)) = &op.action else { return None };
        if !op.insert || op.obj != object || op.key != Key::Seq(after) || !op.pred.is_empty() {
            return None;
        }
        text.push_str(c);
        after = ElementId::Id(OpId(n as u64 + 2, expanded.actor_id.clone()));
    }
    Some(text)
}

/// Who made a change and what kind it was, from its message.
fn about_of(change: &automerge::Change) -> About {
    change
        .message()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or(About { author: String::new(), kind: String::new() })
}

/// A new document id: 16 random bytes, as hex.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the system's random source works");
    hex::encode(bytes)
}

/// The file of a write-back of `file`, beside it: hidden, and not a note, so that no scan reads it.
fn pending_file(file: &Path) -> PathBuf {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    file.with_file_name(format!(".{name}.loam-write"))
}

/// The bytes of a note's file for its document as it is now: its text with the file's own line endings and
/// byte-order mark ([`Entry::crlf`], [`Entry::bom`]), or its bytes as they are for a file that is not UTF-8.
fn file_bytes(doc: &Automerge, entry: &Entry) -> anyhow::Result<Vec<u8>> {
    match kept_bytes(doc, &[])? {
        Some(bytes) => Ok(bytes),
        None => Ok(text_bytes(&content_at(doc, &[])?, entry)),
    }
}

/// A note's text as its file holds it: with its byte-order mark and line endings.
fn text_bytes(text: &str, entry: &Entry) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(text.len() + 3);
    if entry.bom {
        bytes.extend_from_slice(b"\xEF\xBB\xBF");
    }
    if entry.crlf {
        bytes.extend_from_slice(text.replace('\n', "\r\n").as_bytes());
    } else {
        bytes.extend_from_slice(text.as_bytes());
    }
    bytes
}

/// Who changed a note (in the order of their first change) and when it last changed, in seconds since the Unix
/// epoch.
pub type Authorship = (Vec<String>, i64);

/// The [`Authorship`] of a note's document: its changes' authors and the latest change's time.
fn contributions(doc: &Automerge) -> Authorship {
    let mut authors: Vec<String> = Vec::new();
    let mut edited = 0;
    for change in doc.get_changes(&[]) {
        edited = edited.max(change.timestamp());
        let about: Option<About> = change.message().and_then(|m| serde_json::from_str(m).ok());
        if let Some(about) = about.filter(|a| !a.author.is_empty() && !authors.contains(&a.author)) {
            authors.push(about.author);
        }
    }
    (authors, edited)
}

/// When a change to a file was made, in seconds since the Unix epoch: the file's modification time, which for a
/// file edited while Loam was stopped says when, unless it is in the future (a clock that was wrong) or not after
/// the note's last change `after` (a backup restored with its old time is a change made now).
fn change_time(modified: Option<std::time::SystemTime>, after: i64, now: i64) -> i64 {
    modified
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
        .filter(|&time| time > after && time <= now)
        .unwrap_or(now)
}

/// Who changed each note and when it last changed, by note path, as the store of the garden at `root` last
/// recorded them; empty when it has no store. Read without taking the store's lock, for the pages (rendering
/// reads this bookkeeping, never the documents).
pub fn contributions_of(root: &Path) -> BTreeMap<String, Authorship> {
    let dir = root.join(".loam");
    if !dir.is_dir() || check_format(&dir, false).is_err() {
        return BTreeMap::new();
    }
    match Local::open(&dir, false) {
        Ok(local) => local.notes.into_iter().map(|(path, entry)| (path, (entry.authors, entry.edited))).collect(),
        Err(_) => BTreeMap::new(),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// For tests: a change by another device that reaches the note's document but not its file, inserting `text` at
/// `at`. Returns the document's files and its text object.
#[cfg(test)]
fn remote_insert(store: &Store, path: &str, at: usize, text: &str) -> (DocFiles, automerge::ObjId) {
    let entry = store.entry(path).unwrap().clone();
    // The store's copy of the document, if it keeps one, would not have the change.
    crate::lock(&store.recent).retain(|(id, _)| *id != entry.doc);
    let files = DocFiles::new(&store.docs_dir(), &entry.doc);
    let mut doc = files.load().unwrap().with_actor(ActorId::random());
    let before = doc.get_heads();
    let (_, obj) = doc.get(ROOT, "text").unwrap().unwrap();
    let mut tx = doc.transaction();
    tx.splice_text(&obj, at, 0, text).unwrap();
    tx.commit();
    files.append(&doc, &doc.save_after(&before)).unwrap();
    (files, obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notes(files: &[(&str, &str)]) -> Vec<SourceFile> {
        files.iter().map(|(p, t)| file(p, t.as_bytes().to_vec())).collect()
    }

    fn file(path: &str, bytes: Vec<u8>) -> SourceFile {
        SourceFile { path: path.into(), bytes, modified: None }
    }

    /// A store in a temporary garden holding one note, `name` in `content/`, recorded as written.
    fn recorded_note(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf, PathBuf, Store) {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        std::fs::create_dir_all(&content).unwrap();
        let note = content.join(name);
        std::fs::write(&note, bytes).unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        store.catch_up(vec![file(name, bytes.to_vec())]).unwrap();
        (dir, content, note, store)
    }

    fn texts(store: &Store, path: &str) -> Vec<String> {
        store.history(path).unwrap().into_iter().map(|v| v.text).collect()
    }

    #[test]
    fn every_save_is_one_change_by_its_author_and_unchanged_bytes_are_none() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        let done = store.catch_up(notes(&[("a.md", "one\n"), ("b/c.md", "see")])).unwrap();
        let recorded: Vec<(&str, &[String])> =
            done.authorship.iter().map(|(path, a)| (path.as_str(), a.as_ref().unwrap().0.as_slice())).collect();
        assert_eq!(recorded, [("a.md", &["Ada".to_string()][..]), ("b/c.md", &["Ada".to_string()][..])]);
        assert_eq!(done, CaughtUp { added: 2, authorship: done.authorship.clone(), ..CaughtUp::default() });
        assert!(store.record("a.md", b"one\ntwo\n").unwrap());
        assert!(!store.record("a.md", b"one\ntwo\n").unwrap(), "the same bytes again are no change");
        assert!(store.record("a.md", b"one\n2\n").unwrap());
        let history = store.history("a.md").unwrap();
        assert_eq!(history.iter().map(|v| v.text.as_str()).collect::<Vec<_>>(), ["one\n", "one\ntwo\n", "one\n2\n"]);
        assert!(history.iter().all(|v| v.about.author == "Ada"));
        assert_eq!(history[0].about.kind, "import");
        assert_eq!(history[2].about.kind, "edit");
        // Reopened, the store knows everything and records nothing new for the same files.
        drop(store);
        let mut again = Store::open(dir.path(), "Ada").unwrap();
        assert_eq!(again.catch_up(notes(&[("a.md", "one\n2\n"), ("b/c.md", "see")])).unwrap(), CaughtUp::default());
        assert_eq!(texts(&again, "a.md").len(), 3);
    }

    #[test]
    fn a_new_note_is_kept_as_its_first_change_until_it_is_next_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        store.catch_up(notes(&[("a.md", "Grüße 🙂\nline two\n")])).unwrap();
        let snapshot = dir.path().join(format!(".loam/docs/{}.am", store.entry("a.md").unwrap().doc));
        let chunk_type = || std::fs::read(&snapshot).unwrap()[8];
        assert_eq!(chunk_type(), 1, "a change");
        // Read back without loading, and by loading: the same.
        let versions = store.history("a.md").unwrap();
        assert_eq!((versions.len(), versions[0].text.as_str()), (1, "Grüße 🙂\nline two\n"));
        let entry = store.entry("a.md").unwrap();
        assert_eq!(versions[0].hash.to_string(), entry.heads[0]);
        let doc = DocFiles::reading(&store.docs_dir(), &entry.doc).load().unwrap();
        assert_eq!(content_at(&doc, &[]).unwrap(), versions[0].text);
        assert_eq!(chunk_type(), 1, "a reader never rewrites");
        // The next edit loads it, and the writer keeps it as a saved document from then on.
        drop(store);
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        assert!(store.record("a.md", "Grüße 🙂\nline 2\n".as_bytes()).unwrap());
        assert_eq!(chunk_type(), 0, "a saved document");
        assert_eq!(texts(&store, "a.md"), ["Grüße 🙂\nline two\n", "Grüße 🙂\nline 2\n"]);
    }

    #[test]
    fn a_write_back_keeps_every_word_its_file_form_and_is_not_an_edit() {
        let (_dir, _content, note, mut store) = recorded_note("w.md", b"\xEF\xBB\xBFone\r\ntwo\r\n");
        assert!(!store.write_back("w.md", &note).unwrap(), "nothing to write");

        // A change from elsewhere reaches the document (`X` before `two`), and meanwhile the file was edited
        // and not recorded yet: the write keeps both, in the file's own form.
        remote_insert(&store, "w.md", 4, "X");
        std::fs::write(&note, b"\xEF\xBB\xBFone!\r\ntwo\r\n").unwrap();
        assert!(store.write_back("w.md", &note).unwrap());
        let written = std::fs::read(&note).unwrap();
        assert_eq!(written, b"\xEF\xBB\xBFone!\r\nXtwo\r\n");
        assert!(!pending_file(&note).exists());
        // The watcher reports the write: the same bytes are no edit, and a second write-back does nothing.
        assert!(!store.record("w.md", &written).unwrap());
        assert!(!store.write_back("w.md", &note).unwrap());
        let doc = store.loaded(&store.entry("w.md").unwrap().doc).unwrap();
        assert_eq!(content_at(&doc, &[]).unwrap(), "one!\nXtwo\n");
        assert_eq!(texts(&store, "w.md").len(), 3, "the import, the remote change and the edit");
    }

    #[test]
    fn a_write_back_cut_by_a_crash_is_finished_at_the_next_start() {
        let (dir, content, note, mut store) = recorded_note("n.md", b"alpha\n");
        remote_insert(&store, "n.md", 0, "beta ");
        assert!(store.write_back("n.md", &note).unwrap());
        // As if the process died after recording the write and before the rename.
        std::fs::write(pending_file(&note), "beta alpha\n").unwrap();
        std::fs::write(&note, "alpha\n").unwrap();
        store.local.notes.get_mut("n.md").unwrap().writing = true;
        store.local.persist(&["n.md".to_string()]).unwrap();
        drop(store);

        let mut store = Store::open(dir.path(), "Ada").unwrap();
        assert_eq!(store.finish_writes(&content).unwrap(), 1);
        assert_eq!(std::fs::read_to_string(&note).unwrap(), "beta alpha\n");
        assert!(!pending_file(&note).exists() && !store.entry("n.md").unwrap().writing);
        let done = store.catch_up(vec![file("n.md", std::fs::read(&note).unwrap())]).unwrap();
        assert_eq!(done, CaughtUp::default(), "the finished write is not an edit");
        assert_eq!(store.finish_writes(&content).unwrap(), 0);
    }

    #[test]
    fn a_deletion_stands_only_over_changes_it_saw() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        store.catch_up(notes(&[("n.md", "one\n"), ("keep.md", "kept\n")])).unwrap();
        let doc_id = store.entry("n.md").unwrap().doc.clone();
        let files = DocFiles::new(&store.docs_dir(), &doc_id);
        // Another peer has the note and edits it; this one deletes it without having seen that edit.
        let mut theirs = files.load().unwrap().with_actor(ActorId::random());
        let mut tx = theirs.transaction();
        let (_, text) = tx.get(ROOT, "text").unwrap().unwrap();
        tx.splice_text(&text, 4, 0, "two\n").unwrap();
        tx.commit();
        store.catch_up(notes(&[("keep.md", "kept\n")])).unwrap();

        // The index says deleted, with the heads the deletion saw.
        let docs = store.index.get(ROOT, "docs").unwrap().unwrap().1;
        let entry = store.index.get(&docs, doc_id.as_str()).unwrap().unwrap().1;
        let list = store.index.get(&entry, "deletedAt").unwrap().unwrap().1;
        let seen: Vec<ChangeHash> = (0..store.index.length(&list))
            .map(|n| match store.index.get(&list, n).unwrap().unwrap().0 {
                Value::Scalar(s) => s.as_str().unwrap().parse().unwrap(),
                _ => panic!("a hash"),
            })
            .collect();
        let ours = files.load().unwrap();
        assert_eq!(seen, ours.get_heads());
        assert!(deletion_stands(&ours, &seen), "nothing happened that it did not see");
        // Once the edit arrives, the note comes back.
        let mut merged = files.load().unwrap();
        merged.merge(&mut theirs).unwrap();
        assert!(!deletion_stands(&merged, &seen));
        assert_eq!(content_at(&merged, &[]).unwrap(), "one\ntwo\n");
        // A peer that has not received what the deletion saw keeps the note deleted until it has.
        assert!(deletion_stands(&Automerge::new(), &seen));
        // Made again at its path, the note is a new document, alive beside the deleted one.
        store.catch_up(notes(&[("keep.md", "kept\n"), ("n.md", "one\n")])).unwrap();
        let again = store.index_paths().unwrap();
        assert!(again.values().filter(|(p, _)| p == "n.md").any(|(_, deleted)| !deleted));
    }

    #[test]
    fn contributors_and_the_last_edit_are_kept_per_note_and_dated_by_the_file() {
        use std::time::{Duration, UNIX_EPOCH};
        let dir = tempfile::tempdir().unwrap();
        let at = |secs: u64| Some(UNIX_EPOCH + Duration::from_secs(secs));
        let written = 1_600_000_000; // 2020-09-13
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        store
            .catch_up(vec![SourceFile { path: "a.md".into(), bytes: b"one\n".to_vec(), modified: at(written) }])
            .unwrap();
        // An import is dated when its file was last written, not when Loam first saw it.
        assert_eq!(
            (store.entry("a.md").unwrap().authors.clone(), store.entry("a.md").unwrap().edited),
            (vec!["Ada".to_string()], written as i64)
        );
        drop(store);

        // Another author edits it while Loam is stopped; the catch-up dates the change by the file.
        let mut store = Store::open(dir.path(), "Bo").unwrap();
        let later = written + 3600;
        store
            .catch_up(vec![SourceFile { path: "a.md".into(), bytes: b"one\ntwo\n".to_vec(), modified: at(later) }])
            .unwrap();
        let entry = store.entry("a.md").unwrap().clone();
        assert_eq!((entry.authors, entry.edited), (vec!["Ada".to_string(), "Bo".to_string()], later as i64));
        // A file whose time is older than its last change (a backup put back) was changed now.
        let restored = SourceFile { path: "a.md".into(), bytes: b"one\n".to_vec(), modified: at(written) };
        store.update(vec![restored], Vec::new()).unwrap();
        assert!(store.entry("a.md").unwrap().edited >= now() - 60);
        // Only other line endings: no change to the text, so no new contributor and the same date.
        let edited = store.entry("a.md").unwrap().edited;
        drop(store);
        let mut store = Store::open(dir.path(), "Cy").unwrap();
        assert!(store.record("a.md", b"one\r\n").unwrap());
        let entry = store.entry("a.md").unwrap().clone();
        assert_eq!((entry.authors.len(), entry.edited), (2, edited));
        drop(store);

        // Read without the lock, as pages are made; and made again from the documents when the bookkeeping was
        // written by a Loam that did not keep them.
        assert_eq!(contributions_of(dir.path())["a.md"], (vec!["Ada".to_string(), "Bo".to_string()], edited));
        let mut old = Local::open(&dir.path().join(".loam"), false).unwrap();
        for entry in old.notes.values_mut() {
            (entry.authors, entry.edited) = (Vec::new(), 0);
        }
        std::fs::write(dir.path().join(".loam/local.json"), serde_json::to_vec(&old.notes).unwrap()).unwrap();
        let _ = std::fs::remove_file(dir.path().join(".loam/local.log"));
        assert_eq!(contributions_of(dir.path())["a.md"], (Vec::new(), 0));
        let mut store = Store::open(dir.path(), "Cy").unwrap();
        store.catch_up(vec![file("a.md", b"one\r\n".to_vec())]).unwrap();
        drop(store);
        assert_eq!(contributions_of(dir.path())["a.md"], (vec!["Ada".to_string(), "Bo".to_string()], edited));
        assert!(contributions_of(&dir.path().join("nowhere")).is_empty());
    }

    #[test]
    fn changes_made_while_stopped_are_caught_up_moves_keep_history_and_deletes_are_tombstones() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        store.catch_up(notes(&[("a.md", "alpha"), ("b.md", "beta"), ("c.md", "gamma")])).unwrap();
        store.record("b.md", b"beta 2").unwrap();
        drop(store);
        // While Loam was stopped: a.md edited, b.md moved, c.md deleted, d.md made.
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        let done =
            store.catch_up(notes(&[("a.md", "alpha, edited"), ("moved/b.md", "beta 2"), ("d.md", "delta")])).unwrap();
        let touched: Vec<(&str, bool)> = done.authorship.iter().map(|(p, a)| (p.as_str(), a.is_some())).collect();
        assert_eq!(touched, [("a.md", true), ("b.md", false), ("c.md", false), ("d.md", true), ("moved/b.md", true)]);
        let authorship = done.authorship.clone();
        assert_eq!(done, CaughtUp { added: 1, changed: 1, moved: 1, deleted: 1, adopted: 0, authorship });
        assert_eq!(texts(&store, "a.md"), ["alpha", "alpha, edited"]);
        assert_eq!(texts(&store, "moved/b.md"), ["beta", "beta 2"]);
        assert!(store.entry("b.md").is_none() && store.entry("c.md").is_none());
        let index = store.index_paths().unwrap();
        let paths: Vec<(&str, bool)> = index.values().map(|(p, d)| (p.as_str(), *d)).collect();
        assert_eq!(paths.len(), 4);
        assert!(paths.contains(&("moved/b.md", false)) && paths.contains(&("c.md", true)));
        assert!(!paths.iter().any(|(p, _)| *p == "b.md"));
    }

    #[test]
    fn line_endings_and_the_byte_order_mark_are_remembered_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        store.catch_up(vec![file("w.md", b"\xEF\xBB\xBFone\r\ntwo\r\n".to_vec())]).unwrap();
        let entry = store.entry("w.md").unwrap();
        assert!(entry.crlf && entry.bom);
        assert_eq!(texts(&store, "w.md"), ["one\ntwo\n"]);
        // The same text saved with other line endings changes only the bookkeeping.
        assert!(store.record("w.md", b"one\ntwo\n").unwrap());
        assert_eq!(texts(&store, "w.md").len(), 1);
        assert!(!store.entry("w.md").unwrap().crlf);
    }

    #[test]
    fn a_store_of_a_newer_format_is_refused_not_misread() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path(), "Ada").unwrap());
        assert_eq!(std::fs::read_to_string(dir.path().join(".loam/format")).unwrap(), "1\n");
        std::fs::write(dir.path().join(".loam/format"), "2\n").unwrap();
        let error = Store::open(dir.path(), "Ada").err().unwrap().to_string();
        assert!(error.contains("newer Loam"), "{error}");
        assert!(Store::open_read_only(dir.path()).is_err());
    }

    #[test]
    fn one_writer_at_a_time_and_readers_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = Store::open(dir.path(), "Ada").unwrap();
        writer.catch_up(notes(&[("a.md", "one")])).unwrap();
        let second = Store::open(dir.path(), "Bob");
        assert!(second.is_err_and(|e| e.to_string().contains("another Loam is recording")));
        let mut reader = Store::open_read_only(dir.path()).unwrap();
        assert_eq!(texts(&reader, "a.md"), ["one"]);
        assert!(reader.record("a.md", b"two").is_err(), "a reader never writes");
        drop(writer);
        assert!(Store::open(dir.path(), "Bob").is_ok(), "the lock goes with its store");
    }

    #[test]
    fn a_file_that_is_not_utf8_is_kept_as_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        let latin1 = b"caf\xe9 au lait\n".to_vec();
        store.catch_up(vec![file("l.md", latin1.clone())]).unwrap();
        let entry = store.entry("l.md").unwrap().clone();
        let doc = DocFiles::new(&store.docs_dir(), &entry.doc).load().unwrap();
        match doc.get(ROOT, "bytes").unwrap() {
            Some((Value::Scalar(value), _)) => assert_eq!(value.as_ref(), &ScalarValue::Bytes(latin1.clone())),
            other => panic!("no bytes in the document: {other:?}"),
        }
        assert!(doc.get(ROOT, "text").unwrap().is_none());
        // Saved again as UTF-8: text from then on, and both versions in the history.
        store.record("l.md", "café au lait\n".as_bytes()).unwrap();
        assert_eq!(texts(&store, "l.md"), ["caf\u{FFFD} au lait\n", "café au lait\n"]);
        store.record("l.md", "café au lait, noir\n".as_bytes()).unwrap();
        assert_eq!(texts(&store, "l.md").last().unwrap(), "café au lait, noir\n");
    }

    #[test]
    fn a_note_larger_than_max_text_is_kept_as_whole_versions_and_as_text_again_below_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        let small = "# Big\n\nsmall at first\n".to_string();
        let large = "[[link]] and words\n".repeat(MAX_TEXT / 19 + 1);
        store.catch_up(notes(&[("big.md", &large), ("grows.md", &small)])).unwrap();
        store.record("grows.md", large.as_bytes()).unwrap();
        for path in ["big.md", "grows.md"] {
            let doc = store.loaded(&store.entry(path).unwrap().doc).unwrap();
            assert!(doc.get(ROOT, "text").unwrap().is_none(), "{path}: a large note is not text");
            assert!(doc.get(ROOT, "bytes").unwrap().is_some(), "{path}: a large note is its bytes");
        }
        assert_eq!(texts(&store, "grows.md"), [small.clone(), large.clone()]);
        // Small again: text, merged by character from then on, and every version in the history.
        store.record("grows.md", small.as_bytes()).unwrap();
        let doc = store.loaded(&store.entry("grows.md").unwrap().doc).unwrap();
        assert!(doc.get(ROOT, "bytes").unwrap().is_none());
        assert_eq!(texts(&store, "grows.md"), [small.clone(), large, small]);
    }

    #[test]
    fn bytes_win_over_a_text_made_beside_them_and_an_edit_leaves_one_of_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        store.catch_up(notes(&[("a.md", "text\n")])).unwrap();
        // Elsewhere, at the same time: one device made the note bytes, another edited its text.
        let (files, _) = remote_insert(&store, "a.md", 0, "edited ");
        let mut doc = files.load().unwrap().with_actor(ActorId::random());
        let before = doc.get_heads();
        let mut tx = doc.transaction();
        tx.put(ROOT, "bytes", ScalarValue::Bytes(b"whole\n".to_vec())).unwrap();
        tx.commit();
        assert_eq!(content_at(&doc, &[]).unwrap(), "whole\n");
        let entry = store.entry("a.md").unwrap().clone();
        assert_eq!(file_bytes(&doc, &entry).unwrap(), b"whole\n");
        // The file saved as text afterwards: text only, so that what is written is what was saved.
        let heads = doc.get_heads();
        files.append(&doc, &doc.save_after(&before)).unwrap();
        crate::lock(&store.recent).clear();
        store.local.notes.get_mut("a.md").unwrap().heads = heads.iter().map(|h| h.to_string()).collect();
        store.record("a.md", b"text again\n").unwrap();
        let doc = files.load().unwrap();
        assert!(doc.get(ROOT, "bytes").unwrap().is_none());
        assert_eq!(content_at(&doc, &[]).unwrap(), "text again\n");
    }

    #[test]
    fn an_edit_applies_at_the_heads_of_the_file_and_keeps_changes_not_yet_written_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "Ada").unwrap();
        store.catch_up(notes(&[("a.md", "first line\nsecond line\n")])).unwrap();
        // A change from elsewhere reaches the document but not yet the file.
        let (files, text) = remote_insert(&store, "a.md", 0, "REMOTE ");
        // The author edits the file, which still holds the old text: the remote words must survive.
        store.record("a.md", b"first line\nsecond line, edited\n").unwrap();
        let doc = files.load().unwrap();
        assert_eq!(doc.text(&text).unwrap(), "REMOTE first line\nsecond line, edited\n");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Texts of a few lines from a small alphabet (so that diffs find common runs), with other scripts.
    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![Just("a"), Just("b"), Just(" "), Just("\n"), Just("é"), Just("日"), Just("🙂")],
            0..60,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// A note's first change, built without a transaction, is the change a transaction makes, byte for
        /// byte; Automerge loads it as the same text, and it reads back without loading.
        #[test]
        fn a_first_change_is_the_transactions_own(text in text(), combining in proptest::bool::ANY) {
            let text = if combining { format!("{text}e\u{301}\r\u{0}") } else { text };
            let actor = ActorId::random();
            let change = first_change(&actor, &text, 1_700_000_000, "{}".into());
            let doc = Automerge::load(change.raw_bytes()).unwrap();
            prop_assert_eq!(content_at(&doc, &[]).unwrap(), text.clone());
            prop_assert_eq!(text_of_first_change(&change), Some(text.clone()));

            let mut made = Automerge::new().with_actor(actor);
            let mut tx = made.transaction();
            let object = tx.put_object(ROOT, "text", ObjType::Text).unwrap();
            tx.splice_text(&object, 0, 0, &text).unwrap();
            tx.commit_with(CommitOptions::default().with_message("{}".to_string()).with_time(1_700_000_000));
            let theirs = made.get_changes(&[]).remove(0).decode();
            let ours = change.decode();
            prop_assert_eq!(&ours.operations, &theirs.operations);
            prop_assert_eq!((ours.seq, ours.start_op, ours.deps), (theirs.seq, theirs.start_op, theirs.deps));
            prop_assert_eq!(change.hash(), made.get_changes(&[])[0].hash(), "the very same change, byte for byte");
        }

        #[test]
        fn the_splices_turn_the_old_text_into_the_new(old in text(), new in text()) {
            let edit = diff::splices(&old, &new, Duration::from_secs(1));
            prop_assert_eq!(diff::apply(&old, &edit), new);
        }

        /// A change from elsewhere that the file does not have yet (an insertion of `§`, a character the texts
        /// never hold), then a save of the file: the document ends with the file's text plus that insertion,
        /// whatever the two did.
        #[test]
        fn a_save_keeps_a_concurrent_remote_insertion(
            old in text(),
            new in text(),
            at in 0usize..64,
            remote in 1usize..4,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut store = Store::open(dir.path(), "Ada").unwrap();
            store.catch_up(vec![SourceFile { path: "n.md".into(), bytes: old.clone().into_bytes(), modified: None }]).unwrap();
            let (files, obj) = remote_insert(&store, "n.md", at.min(old.chars().count()), &"§".repeat(remote));

            // A new file can hold the same bytes as the old one; make the save a real one.
            let saved = format!("{new}.");
            store.record("n.md", saved.as_bytes()).unwrap();
            let doc = files.load().unwrap();
            let merged = doc.text(&obj).unwrap();
            prop_assert_eq!(merged.chars().filter(|&c| c == '§').count(), remote);
            prop_assert_eq!(merged.replace('§', ""), saved.clone());
            // Written back, the file holds the merged text, and reading it again records nothing.
            let file = dir.path().join("n.md");
            std::fs::write(&file, &saved).unwrap();
            crate::lock(&store.recent).clear();
            store.write_back("n.md", &file).unwrap();
            let written = std::fs::read(&file).unwrap();
            prop_assert_eq!(String::from_utf8(written.clone()).unwrap(), merged);
            prop_assert!(!store.record("n.md", &written).unwrap());
        }
    }
}
