//! The history of a garden: every note is an Automerge document holding the whole file's text, and every save
//! is one change by its author. Lives in the garden's `.loam/` folder; deleting that folder loses history, never
//! words. This module reads notes only through what it is given and never writes a note file.
//!
//! [`Store`] is one value with three parts, each in its own file:
//! - the history itself, here: documents, the index, this device's bookkeeping, recording saves and catching
//!   up; it never touches the notes folder;
//! - the checkout (`checkout.rs`): the notes folder brought in line with the history (merged text written back,
//!   peers' moves, new notes and deletions carried out at the places `placement.rs` gives, writes a crash cut
//!   short finished), the only code that writes a note;
//! - a sync's session state (`session.rs`): what peers sent and was taken in, and the outbox of changes for them.
//!
//! Taking in another garden's documents is `merge.rs`; tests are in `tests.rs`. This file is longer than most
//! (about 1,200 lines): recording, with its moves, adoptions after lost bookkeeping, large notes and damage, is
//! one piece of logic over one set of fields, and splitting it further would spread each rule over files.
//!
//! ```text
//! .loam/format           the layout's version (1)
//! .loam/lock             held by the one process that writes
//! .loam/actor            this device's actor id (made once, never copied)
//! .loam/garden           the index document's id, made once: the garden's address (`automerge:` URL)
//! .loam/index.am|.log    the index document: document id -> { path, deleted }
//! .loam/docs/ID.am|.log  one document per note (see files.rs)
//! .loam/versions/ID     an edited note's versions kept ready to read (a cache: see versions.rs)
//! .loam/local.json|.log  this device's bookkeeping per path: document, hash of the bytes last recorded, the
//!                        heads the file corresponds to, line endings and BOM (never synced)
//! ```
//!
//! Edits are diffed against the text at the heads the file on disk corresponds to (`disk_heads`), inside a
//! transaction at those heads, never against the document's current text: that would silently undo changes from
//! elsewhere that were not written to the file yet (DESIGN.md).

pub mod address;
pub mod built;
mod checkout;
pub mod diff;
mod durable;
pub mod files;
pub mod frontmatter;
mod local;
pub mod merge;
pub mod paths;
pub mod placement;
pub mod recorder;
mod session;
pub mod versions;
pub mod view;

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
use durable::Durable;
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

/// Every version of a note's document, oldest first (see [`Store::history`]).
pub fn versions_of(doc: &Automerge) -> anyhow::Result<Vec<Version>> {
    let mut versions = Vec::new();
    let heads = doc.get_heads();
    for change in doc.get_changes(&[]) {
        let about = about_of(&change);
        let hash = change.hash();
        // The latest version is the document as it is: reading it so is much cheaper than as of a change.
        let latest = heads.as_slice() == [hash];
        let text = content_at(doc, if latest { &[] } else { std::slice::from_ref(&hash) })?;
        versions.push(Version { hash, time: change.timestamp(), about, text });
    }
    Ok(versions)
}

/// A note's current text in stretches by who wrote them (see [`Store::blame`]).
pub fn blame_of(doc: &Automerge) -> anyhow::Result<Vec<Written>> {
    let changes = doc.get_changes(&[]);
    let text_object = match doc.get(ROOT, "text")? {
        Some((Value::Object(ObjType::Text), text)) if kept_bytes(doc, &[])?.is_none() => text,
        _ => {
            let author = changes.last().map(|change| about_of(change).author).unwrap_or_default();
            return Ok(vec![Written { author, text: content_at(doc, &[])? }]);
        }
    };
    // Each actor's changes as ranges of operation counters, with their authors.
    let mut made: std::collections::HashMap<&ActorId, Vec<(u64, u64, String)>> = Default::default();
    for change in &changes {
        let start = change.start_op().get();
        made.entry(change.actor_id()).or_default().push((start, start + change.len() as u64, about_of(change).author));
    }
    made.values_mut().for_each(|ranges| ranges.sort_unstable_by_key(|range| range.0));
    let author_of = |counter: u64, actor: &ActorId| -> &str {
        let Some(ranges) = made.get(actor) else { return "" };
        let at = ranges.partition_point(|range| range.0 <= counter);
        at.checked_sub(1).map(|i| &ranges[i]).filter(|range| counter < range.1).map_or("", |range| range.2.as_str())
    };
    let mut runs: Vec<Written> = Vec::new();
    for item in doc.list_range(&text_object, ..) {
        let automerge::ObjId::Id(counter, actor, _) = item.id() else { continue };
        let value: Value = item.value.into();
        let Some(text) = value.as_str() else { continue };
        let author = author_of(counter, &actor);
        match runs.last_mut() {
            Some(run) if run.author == author => run.text.push_str(text),
            _ => runs.push(Written { author: author.to_string(), text: text.to_string() }),
        }
    }
    Ok(runs)
}

/// Where the index document keeps, by document, the changes whose versions are redacted ([`Store::redact`]).
const REDACTED: &str = "redacted";

/// The changes (hex hashes) of document `doc` redacted in the index document `index`.
pub fn redacted_in(index: &Automerge, doc: &str) -> Vec<String> {
    let Ok(Some((Value::Object(ObjType::Map), all))) = index.get(ROOT, REDACTED) else { return Vec::new() };
    let Ok(Some((Value::Object(ObjType::Map), hidden))) = index.get(&all, doc) else { return Vec::new() };
    let set = |hash: &String| matches!(index.get(&hidden, hash.as_str()), Ok(Some((Value::Scalar(v), _))) if v.as_bool() == Some(true));
    index.keys(&hidden).filter(set).collect()
}

/// A note moved or deleted, as the index document recorded it (see [`index_events`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEvent {
    /// The change of the index, its time (seconds since the Unix epoch) and who made it.
    pub hash: ChangeHash,
    pub time: i64,
    pub author: String,
    /// The note's document (hex).
    pub doc: String,
    /// Its path before (`None`: it had none, a note made by this change).
    pub from: Option<String>,
    /// Its path after (`None`: deleted).
    pub to: Option<String>,
}

/// The moves and deletions of notes among the last `limit` changes of the index document that made any, newest
/// first. A change that moved several notes (a folder renamed) gives one event per note.
pub fn index_events(index: &Automerge, limit: usize) -> anyhow::Result<Vec<IndexEvent>> {
    let Some((_, docs)) = index.get(ROOT, "docs")? else { return Ok(Vec::new()) };
    let mut changes: Vec<automerge::Change> = index
        .get_changes(&[])
        .into_iter()
        .filter(|change| matches!(about_of(change).kind.as_str(), "move" | "delete"))
        .collect();
    changes.sort_by_key(|change| std::cmp::Reverse(change.timestamp()));
    // A note's path and whether it is deleted, as of `heads`.
    let entry_at = |doc: &str, heads: &[ChangeHash]| -> anyhow::Result<Option<(String, bool)>> {
        let Some((Value::Object(ObjType::Map), note)) = index.get_at(&docs, doc, heads)? else { return Ok(None) };
        let path = match index.get_at(&note, "path", heads)? {
            Some((Value::Scalar(value), _)) => value.as_str().map(str::to_string),
            Some((Value::Object(ObjType::Text), text)) => Some(index.text_at(&text, heads)?),
            _ => None,
        };
        let deleted =
            matches!(index.get_at(&note, "deleted", heads)?, Some((Value::Scalar(v), _)) if v.as_bool() == Some(true));
        Ok(path.map(|path| (path, deleted)))
    };
    let mut events = Vec::new();
    for change in changes.into_iter().take(limit) {
        let (hash, deps) = (change.hash(), change.deps().to_vec());
        let about = about_of(&change);
        let mut touched: Vec<String> = index
            .diff(&deps, &[hash])
            .into_iter()
            .filter_map(|patch| match patch.path.get(1) {
                Some((_, automerge::Prop::Map(doc))) => Some(doc.clone()),
                _ => match (patch.path.len(), patch.action) {
                    (1, automerge::PatchAction::PutMap { key, .. }) => Some(key),
                    _ => None,
                },
            })
            .collect();
        touched.sort();
        touched.dedup();
        for doc in touched {
            let before = entry_at(&doc, &deps)?.filter(|(_, deleted)| !deleted).map(|(path, _)| path);
            let after = entry_at(&doc, &[hash])?.filter(|(_, deleted)| !deleted).map(|(path, _)| path);
            if before != after {
                let author = about.author.clone();
                events.push(IndexEvent { hash, time: change.timestamp(), author, doc, from: before, to: after });
            }
        }
    }
    Ok(events)
}

/// Who made a change and why, as the change's message (JSON), so that `loam log` can say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct About {
    /// Empty for a merge every peer makes alike (`frontmatter.rs`).
    pub author: String,
    /// `import`, `edit`, `move`, `delete`, or `merge of frontmatter: KEYS`.
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

/// Who wrote a stretch of a note's current text, for `loam blame` and the preview's blame view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Empty when the change that wrote it names no author (a JavaScript peer's).
    pub author: String,
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
    /// Shows how far recording many notes is (`loam import`); hidden unless a command sets one.
    progress: indicatif::ProgressBar,
    dir: PathBuf,
    actor: ActorId,
    author: String,
    index: Automerge,
    local: Local,
    /// Where the store's writes are flushed to the disk: inline, or behind the owner while serving.
    durable: Durable,
    /// The documents edited last, kept loaded: someone writing saves the same note again and again, and loading a
    /// document with its log of changes costs far more than the edit. Bounded, so a large garden's histories are
    /// never all in memory.
    recent: std::sync::Mutex<std::collections::VecDeque<(String, Automerge)>>,
    /// How many frames the log of each document edited here held, and its size, as the last edit left it: while
    /// the size is the same, the next edit need not read the log to count them.
    log_frames: std::sync::Mutex<std::collections::HashMap<String, (usize, u64)>>,
    /// `.loam/lock`, held (flock) while this store may write: one writer per garden. `None` for a reader.
    lock: Option<std::fs::File>,
    /// What a sync took in and what waits to go out to peers (`session.rs`).
    session: session::Session,
    /// The id of the garden's index document, from `.loam/garden` (read once: sync asks for it per document).
    garden: Option<String>,
    /// How long a note's file must have been still before merged text is written into it (`None`: at once).
    write_quiet: Option<std::time::Duration>,
    /// The indexes of notes scoped peers see (`view.rs`).
    views: view::Views,
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
        let durable = Durable::default();
        let local = Local::open(&dir, true, durable.clone())?;
        let garden = read_garden(&dir);
        let mut store = Store {
            progress: indicatif::ProgressBar::hidden(),
            dir,
            actor,
            author: author.to_string(),
            index,
            local,
            durable,
            recent: Default::default(),
            log_frames: Default::default(),
            lock: Some(lock),
            session: Default::default(),
            write_quiet: None,
            garden,
            damage: Vec::new(),
            views: Default::default(),
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
        let local = Local::open(&dir, false, Durable::default())?;
        let garden = read_garden(&dir);
        Ok(Store {
            progress: indicatif::ProgressBar::hidden(),
            dir,
            actor,
            author: String::new(),
            index,
            local,
            durable: Durable::default(),
            recent: Default::default(),
            log_frames: Default::default(),
            lock: None,
            session: Default::default(),
            write_quiet: None,
            garden,
            damage: Vec::new(),
            views: Default::default(),
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

    /// From now on, the store's writes are flushed to the disk by a worker ([`durable`]): calls return before they
    /// are, what must wait for them runs after them ([`Store::once_durable`]), and a failed one is told by
    /// [`Store::durability_failed`].
    pub fn write_behind(&self) -> anyhow::Result<()> {
        self.durable.write_behind()
    }

    /// Runs `then` once every write made so far is on the disk (at once, unless [`Store::write_behind`]); never, if
    /// one of them failed.
    pub fn once_durable(&self, then: impl FnOnce() + Send + 'static) {
        self.durable.then(then)
    }

    /// A write behind the owner that failed, if one did: the store in memory is then ahead of the disk and must
    /// be opened again.
    pub fn durability_failed(&self) -> Option<String> {
        self.durable.failed()
    }

    /// Whether this store has the document `id` (hex), for sync to tell which documents to offer a peer.
    pub fn holds(&self, id: &str) -> bool {
        self.doc_files(id).exists()
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

    /// Every note with its document, last edit and authors, and the index document (see [`recorder::Journal`]).
    pub fn journal(&self) -> recorder::Journal {
        let notes = self.local.notes.iter();
        let notes: Vec<(String, String, i64, Vec<String>)> =
            notes.map(|(path, e)| (path.clone(), e.doc.clone(), e.edited, e.authors.clone())).collect();
        let redacted = notes
            .iter()
            .map(|(_, doc, ..)| (doc.clone(), self.redacted_of(doc)))
            .filter(|(_, hidden)| !hidden.is_empty())
            .collect();
        recorder::Journal { notes, index: (!self.index.get_heads().is_empty()).then(|| self.index.save()), redacted }
    }

    /// The moves and deletions among the index document's last `limit` changes that made any ([`index_events`]).
    pub fn index_events(&self, limit: usize) -> anyhow::Result<Vec<IndexEvent>> {
        index_events(&self.index, limit)
    }

    /// Every version of document `doc` (a deleted note's, which the bookkeeping no longer names), oldest first.
    pub fn versions_of_doc(&self, doc: &str) -> anyhow::Result<Vec<Version>> {
        versions_of(&self.doc_files(doc).load()?)
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
    /// Shows how far recording goes on `bar` from now on (`loam import` on a terminal).
    pub fn show_progress(&mut self, bar: indicatif::ProgressBar) {
        self.progress = bar;
    }

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
        self.progress.set_length((new.len() + changed.len()) as u64);
        let step = || self.progress.inc(1);
        let made: Vec<anyhow::Result<(String, Entry)>> = new
            .par_iter()
            .map(|(path, bytes, time)| {
                let made = self.create(bytes, *time, one_by_one).map(|entry| (path.clone(), entry));
                step();
                made
            })
            .collect();
        let recorded: Vec<anyhow::Result<Option<(String, Entry)>>> = changed
            .par_iter()
            .map(|(path, bytes, time)| {
                let recorded = self.edit(path, bytes, *time).map(|e| e.map(|entry| (path.clone(), entry)));
                step();
                recorded
            })
            .collect();
        self.progress.finish_and_clear();
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
        if let Some(kept) = versions::read(&self.dir, &entry.doc, &entry.heads) {
            return Ok(kept);
        }
        let versions = versions_of(&files.load()?)?;
        versions::write(&self.dir, &entry.doc, &entry.heads, &versions);
        Ok(versions)
    }

    /// The key under which a build keeps what it made of the history of the note at `path` (`store/built.rs`):
    /// made of its heads, its redacted versions and `salt` (what else the build's output depends on), and what
    /// was kept under it, if anything. `None` when the note has no history.
    pub fn built_history(&self, path: &str, salt: &str) -> Option<(u64, Option<Vec<Vec<u8>>>)> {
        let entry = self.local.notes.get(path)?;
        let key = built::key(&entry.heads, &self.redacted_of(&entry.doc), salt);
        Some((key, built::read(&self.dir, &entry.doc, key)))
    }

    /// Keeps `parts`, what a build made of the history of the note at `path`, under `key` ([`Store::built_history`]).
    pub fn keep_built_history(&self, path: &str, key: u64, parts: &[&[u8]]) {
        if let Some(entry) = self.local.notes.get(path) {
            built::write(&self.dir, &entry.doc, key, parts);
        }
    }

    /// Hides the versions made by `changes` of the note at `path` from every published history view: the changes'
    /// hashes go into the index document under `redacted`, one change of kind `redact` that syncs to peers like any
    /// other. The note's own document is not touched (its changes stay, for sync to go on). Returns how many were
    /// not hidden already.
    pub fn redact(&mut self, path: &str, changes: &[ChangeHash]) -> anyhow::Result<usize> {
        let doc = self.local.notes.get(path).with_context(|| format!("`{path}` has no history"))?.doc.clone();
        let already = self.redacted_of(&doc);
        let new: Vec<String> =
            changes.iter().map(ChangeHash::to_string).filter(|hash| !already.contains(hash)).collect();
        if new.is_empty() {
            return Ok(0);
        }
        let heads = self.index.get_heads();
        let options = self.options("redact", now());
        let mut tx = self.index.transaction();
        let all = match tx.get(ROOT, REDACTED)? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => tx.put_object(ROOT, REDACTED, ObjType::Map)?,
        };
        let hidden = match tx.get(&all, doc.as_str())? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => tx.put_object(&all, doc.as_str(), ObjType::Map)?,
        };
        for hash in &new {
            tx.put(&hidden, hash.as_str(), true)?;
        }
        tx.commit_with(options);
        let change = self.index.save_after(&heads);
        if let Some(id) = &self.garden {
            self.to_outbox(id, &change);
        }
        DocFiles::new(&self.dir, "index").append_counted(&self.index, &change, None, &self.durable)?;
        Ok(new.len())
    }

    /// The changes (hex hashes) of document `doc` whose versions are hidden from published history views.
    pub fn redacted_of(&self, doc: &str) -> Vec<String> {
        redacted_in(&self.index, doc)
    }

    /// The current text of the note at `path` in stretches, each written by one author: the author of the change
    /// that inserted its characters (Automerge keeps, for every character, the operation that made it). A note
    /// never edited since its first change, or kept as bytes, is one stretch by whoever made its current version.
    pub fn blame(&self, path: &str) -> anyhow::Result<Vec<Written>> {
        let Some(entry) = self.local.notes.get(path) else { return Ok(Vec::new()) };
        let files = self.doc_files(&entry.doc);
        if let Some((change, text)) = files.lone_change().and_then(|c| text_of_first_change(&c).map(|t| (c, t))) {
            return Ok(vec![Written { author: about_of(&change).author, text }]);
        }
        blame_of(&files.load()?)
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
        if change.is_some() {
            versions::changed(&self.dir, &entry.doc, &doc, &before, &heads);
        }
        let change = doc.save_after(&before);
        // The log as this store last left it: a save reads no more than the note.
        let known = crate::lock(&self.log_frames).get(&entry.doc).copied();
        let frames = files.append_counted(&doc, &change, known, &self.durable)?;
        crate::lock(&self.log_frames).insert(entry.doc.clone(), frames);
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
        DocFiles::new(&self.dir, "index").append_counted(&self.index, &change, None, &self.durable).map(|_| ())
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

/// A new document id, as hex: 16 random bytes shaped as a version 4 UUID (RFC 9562), the only ids automerge-repo
/// 1.x accepts (the relays published on it refuse any other), and which 2.x accepts too.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the system's random source works");
    hex::encode(address::uuid_shaped(bytes))
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
    match Local::open(&dir, false, Durable::default()) {
        Ok(local) => local.notes.into_iter().map(|(path, entry)| (path, (entry.authors, entry.edited))).collect(),
        Err(_) => BTreeMap::new(),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests;
