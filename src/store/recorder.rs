//! Recording a garden's files into its store, and answering what sync asks of the store: the steps the living
//! garden (`live.rs`) takes while `loam serve` runs, and `loam sync` takes once. Nothing here is a thread or owns
//! a store: each function is given the store it works on.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::cmd::plural;
use crate::config::Scope;
use crate::diagnostic::shown;
use crate::garden::{is_ignored, is_note, Layout, SourceFile};
use crate::store::view::Share;
use crate::store::{CaughtUp, Store, ToRecord};

/// What the sync protocol asks of the garden's store; answered by the thread that owns it.
pub enum Ask {
    /// A document's whole history; `None` when the garden does not have it.
    Load { doc: String, reply: tokio::sync::oneshot::Sender<Option<Vec<u8>>> },
    /// Changes a peer sent to a document, to be taken in (and the notes written); the reply comes once they are
    /// kept on disk.
    TakeIn { doc: String, bytes: Vec<u8>, reply: tokio::sync::oneshot::Sender<()> },
    /// Whether the garden has a document (`Store::holds`).
    Holds { doc: String, reply: tokio::sync::oneshot::Sender<bool> },
    /// The heads of every note's document (`Store::heads`), or of those a peer of a scope may have.
    Heads { scope: Option<Arc<Scope>>, reply: tokio::sync::oneshot::Sender<Heads> },
    /// Every document at once, for a clone (`Store::bundle`), or those a peer of a scope may have.
    Bundle { scope: Option<Arc<Scope>>, reply: tokio::sync::oneshot::Sender<Option<Vec<u8>>> },
    /// How far a peer of a scope may go with a document (`Store::share`).
    Share { doc: String, scope: Arc<Scope>, reply: tokio::sync::oneshot::Sender<Share> },
    /// The id of a scope's view, made or brought up to date (`Store::refresh_view`).
    View { scope: Arc<Scope>, reply: tokio::sync::oneshot::Sender<Option<String>> },
    /// The document (hex) of the note at `path` (relative to the notes folder), for the preview's live editing
    /// view; `None` while the note has no history.
    Note { path: String, reply: tokio::sync::oneshot::Sender<Option<String>> },
    /// The changes of a document whose versions are redacted (`Store::redact`), as hex hashes.
    Redacted { doc: String, reply: tokio::sync::oneshot::Sender<Vec<String>> },
    /// What the preview's recent changes start from ([`Journal`]).
    Journal { reply: tokio::sync::oneshot::Sender<Journal> },
}

/// Every note the garden tracks, as its bookkeeping says, and the index document: what the preview's recent
/// changes read first, to load only the documents of the notes changed last.
#[derive(Default)]
pub struct Journal {
    /// (path, document, when its text last changed, who changed it), for every note there is.
    pub notes: Vec<(String, String, i64, Vec<String>)>,
    /// The index document's bytes (moves and deletions are its changes); `None` without a history.
    pub index: Option<Vec<u8>>,
    /// By document, its redacted changes (`Store::redact`), for the documents that have any.
    pub redacted: std::collections::HashMap<String, Vec<String>>,
}

/// The heads of documents (hex ids), each sorted: what two Loam gardens compare to sync only what differs.
pub type Heads = std::collections::BTreeMap<String, Vec<String>>;

/// How asks reach the store's thread: `false` when it is gone.
pub type AskStore = std::sync::Arc<dyn Fn(Ask) -> bool + Send + Sync>;

/// What the store's thread sends the protocol: a change made here, or a document the index lists that this
/// garden lacks, to be fetched from peers.
pub enum ToPeers {
    Change(String, Vec<u8>),
    Fetch(String),
}

/// How long a note must have been still before merged text from a peer is written into it: an editor saving as
/// someone types is not fought over.
pub const WRITE_QUIET: std::time::Duration = std::time::Duration::from_millis(1000);

/// Where the changes recorded here go, for sync to pass on to peers, with the documents to fetch from them.
pub type Push = tokio::sync::mpsc::UnboundedSender<ToPeers>;

/// Writes what peers sent to the notes, and asks the peers for notes their index names that this garden lacks.
/// Returns whether any note changed.
pub fn apply_taken(layout: &Layout, store: &mut Store, push: Option<&Push>) -> bool {
    let index_changed = store.index_taken();
    let changed = match store.apply_taken(&layout.content) {
        Ok(merged) => {
            report(&merged);
            merged != Default::default()
        }
        Err(error) => {
            tracing::warn!("sync: the notes could not be brought up to date: {error:#}");
            false
        }
    };
    if let (true, Some(push)) = (index_changed, push) {
        for doc in store.missing().unwrap_or_default() {
            let _ = push.send(ToPeers::Fetch(doc));
        }
    }
    changed
}

/// The view of `scope` brought up to date; its id.
fn view(store: &mut Store, scope: &Arc<Scope>, published: &dyn Fn(&str) -> bool) -> Option<String> {
    store
        .refresh_view(scope, published)
        .map_err(|error| tracing::warn!("sync: a scoped peer's view could not be made: {error:#}"))
        .ok()
}

/// Answers one of sync's asks. The answer to changes taken in is returned, to be sent once they are flushed to
/// the disk with the rest of their batch ([`Store::flush`], [`kept`]).
/// `published` says which paths `loam build` publishes, for scoped peers (`loam serve` knows; elsewhere nothing
/// is, and a `published` scope sees nothing).
pub fn answer(
    store: &mut Store,
    ask: Ask,
    published: &dyn Fn(&str) -> bool,
) -> Option<tokio::sync::oneshot::Sender<()>> {
    match ask {
        Ask::Load { doc, reply } => {
            let bytes = store.document(&doc).unwrap_or_else(|error| {
                tracing::warn!("sync: document {doc} could not be read: {error:#}");
                None
            });
            let _ = reply.send(bytes);
        }
        Ask::Holds { doc, reply } => {
            let _ = reply.send(store.holds(&doc));
        }
        Ask::Heads { scope: None, reply } => {
            let _ = reply.send(store.heads());
        }
        Ask::Heads { scope: Some(scope), reply } => {
            view(store, &scope, published);
            let _ = reply.send(store.heads_within(&scope, published));
        }
        Ask::Share { doc, scope, reply } => {
            if !store.has_view(&scope) {
                view(store, &scope, published);
            }
            let _ = reply.send(store.share(&doc, &scope, published));
        }
        Ask::View { scope, reply } => {
            let _ = reply.send(view(store, &scope, published));
        }
        Ask::Bundle { scope, reply } => {
            let bundle = match &scope {
                Some(scope) => {
                    view(store, scope, published);
                    store.bundle_within(scope, published)
                }
                None => store.bundle(),
            };
            let bundle = bundle.unwrap_or_else(|error| {
                tracing::warn!("sync: the garden's documents could not be read: {error:#}");
                Vec::new()
            });
            let _ = reply.send(Some(bundle).filter(|b| !b.is_empty()));
        }
        Ask::Redacted { doc, reply } => {
            let _ = reply.send(store.redacted_of(&doc));
        }
        Ask::Journal { reply } => {
            let _ = reply.send(store.journal());
        }
        Ask::Note { path, reply } => {
            let _ = reply.send(store.entry(&path).map(|entry| entry.doc.clone()));
        }
        Ask::TakeIn { doc, bytes, reply } => {
            if let Err(error) = store.take_in(&doc, &bytes) {
                tracing::warn!("sync: changes to document {doc} were not taken in: {error:#}");
            }
            return Some(reply);
        }
    }
    None
}

/// Flushes what a batch of asks took in, then tells their senders it is kept.
pub fn kept(store: &mut Store, replies: Vec<tokio::sync::oneshot::Sender<()>>) {
    if let Err(error) = store.flush() {
        tracing::warn!("sync: {error:#}");
    }
    for reply in replies {
        let _ = reply.send(());
    }
}

/// Says what a sync did to the notes.
pub fn report(merged: &crate::store::merge::Merged) {
    for line in merged.lines() {
        tracing::info!("sync: {line}");
    }
    for (path, why) in &merged.refused {
        tracing::warn!("sync: `{}` was not written: {why}", shown(path));
    }
}

/// What the files at the paths a watcher saw change hold now, each read once: for the history and the preview
/// alike.
#[derive(Debug, Default)]
pub struct Read {
    /// Notes and attachments that are there, with their bytes (attachments over [`MAX_ATTACHMENT`] left out).
    pub present: Vec<SourceFile>,
    /// Paths (relative to the notes folder) of files that are gone.
    pub gone: Vec<String>,
}

/// What changed at `paths`: the files, each read once, or `None` when only looking at everything tells (a folder
/// made, moved or deleted with notes in it, whose notes the watcher may never name; a symbolic link, which the
/// walk decides about). Paths outside the notes folder are not notes: the watcher also watches the garden's root
/// (for loam.toml), `templates/` and `static/`.
pub fn read_changed(layout: &Layout, store: Option<&Store>, paths: &[PathBuf]) -> Option<Read> {
    // A path that is gone was a folder unless it was a note or a file the history has (an attachment).
    let folder = |p: &PathBuf| {
        p.is_dir()
            || (!p.exists()
                && !is_note(&p.to_string_lossy())
                && store.is_none_or(|store| store.entry(&layout.relative(p)).is_none()))
    };
    if paths.iter().any(|p| p.as_os_str().is_empty() || (p.starts_with(&layout.content) && folder(p))) {
        return None;
    }
    if paths.iter().any(|p| p.starts_with(&layout.content) && p.is_symlink()) {
        return None;
    }
    let mut read = Read::default();
    let mut paths = paths.to_vec();
    paths.sort();
    paths.dedup();
    for path in paths {
        let Ok(inside) = path.strip_prefix(&layout.content) else {
            // A path anywhere else than the garden is one the recorder cannot place, which must never pass unsaid.
            if !path.starts_with(&layout.root) {
                tracing::error!(
                    "`{}` changed, but it is not in the garden `{}`; it is not recorded in the history",
                    shown(&path.to_string_lossy()),
                    shown(&layout.root.to_string_lossy())
                );
            }
            continue;
        };
        let relative = layout.relative(&path);
        let ignored = inside.components().any(|c| is_ignored(&c.as_os_str().to_string_lossy()));
        // Notes and attachments; a folder is never a file to record.
        if ignored || path.is_dir() {
            continue;
        }
        // A file in a linked folder is read only if the folder really is inside the garden.
        match crate::garden::real_path(&path) {
            Ok(real) if layout.boundary.admits(&real) => {}
            Ok(real) => {
                tracing::warn!("{relative}: not recorded: its real path `{}` is outside the garden", real.display());
                continue;
            }
            Err(e) => {
                tracing::warn!("{}: not recorded in the history: {e}", shown(&relative));
                continue;
            }
        }
        let metadata = std::fs::metadata(&path);
        if !is_note(&relative) && metadata.as_ref().is_ok_and(|m| m.len() > MAX_ATTACHMENT) {
            continue;
        }
        match std::fs::read(&path) {
            Ok(bytes) => {
                let modified = metadata.and_then(|m| m.modified()).ok();
                read.present.push(SourceFile { path: relative, bytes, modified });
            }
            // Only a file that is gone is a deletion; one that is there and cannot be read is reported and kept.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::fs::symlink_metadata(&path).is_err() => {
                read.gone.push(relative)
            }
            Err(e) => {
                tracing::warn!("{}: not recorded in the history: {e}; its history is kept as it was", shown(&relative))
            }
        }
    }
    Some(read)
}

/// Records files read by [`read_changed`].
pub fn record(store: &mut Store, read: Read) -> CaughtUp {
    if read.present.is_empty() && read.gone.is_empty() {
        return CaughtUp::default();
    }
    store.update(read.present, read.gone).unwrap_or_else(|error| {
        tracing::warn!("a change was not recorded in the history: {error:#}");
        CaughtUp::default()
    })
}

/// The files of the garden the history records ([`ToRecord`]).
pub fn files_to_record(layout: &Layout) -> anyhow::Result<ToRecord> {
    let scan = layout.scan(|source| source)?;
    for problem in scan.diagnostics.iter().filter(|d| d.kind == crate::diagnostic::Kind::Read) {
        tracing::info!("{problem}");
    }
    let mut files = scan.notes;
    let mut kept = scan.kept;
    for attachment in scan.attachments {
        // A vault that is its own notes folder has its settings among its files: they are not the garden's.
        if layout.content == layout.root && attachment.path == "loam.toml" {
            continue;
        }
        let metadata = match std::fs::metadata(&attachment.file) {
            Ok(metadata) => metadata,
            Err(e) => {
                tracing::warn!("{}: not recorded in the history: {e}", shown(&attachment.path));
                kept.push(attachment.path);
                continue;
            }
        };
        if metadata.len() > MAX_ATTACHMENT {
            tracing::warn!(
                "{}: not recorded in the history: larger than {} MiB",
                shown(&attachment.path),
                MAX_ATTACHMENT >> 20
            );
            kept.push(attachment.path);
            continue;
        }
        match std::fs::read(&attachment.file) {
            Ok(bytes) => files.push(SourceFile { path: attachment.path, bytes, modified: metadata.modified().ok() }),
            Err(e) => {
                tracing::warn!("{}: not recorded in the history: {e}", shown(&attachment.path));
                kept.push(attachment.path);
            }
        }
    }
    Ok(ToRecord { files, kept })
}

/// Largest attachment the history records: a video or a large PDF would make every copy of the garden carry it
/// whole in every version.
pub const MAX_ATTACHMENT: u64 = 32 << 20;

/// Records what changed in the whole garden; returns what was recorded.
pub fn catch_up(layout: &Layout, store: &mut Store, started: Instant) -> CaughtUp {
    let notes = match files_to_record(layout) {
        Ok(notes) => notes,
        Err(error) => {
            tracing::warn!("the history could not look at the notes: {error:#}");
            return CaughtUp::default();
        }
    };
    let done = store.catch_up(notes);
    match &done {
        Ok(done) if done.added + done.changed + done.moved + done.deleted > 0 => tracing::info!(
            "history: recorded {} new, {} changed, {} moved and {} deleted in {:.1} s",
            plural(done.added, "note"),
            done.changed,
            done.moved,
            done.deleted,
            started.elapsed().as_secs_f64()
        ),
        Ok(_) => {}
        Err(error) => tracing::warn!("the history is not up to date: {error:#}"),
    }
    done.unwrap_or_default()
}
