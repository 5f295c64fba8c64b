//! The thread that owns the store while `loam serve` runs: it records what changed while Loam was stopped,
//! then every save the watcher reports, one change each. It runs beside the preview so that recording (and the
//! first import of a large garden) never delays a page.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Instant;

use crate::cmd::plural;
use crate::diagnostic::shown;
use crate::garden::{is_ignored, is_note, Layout, SourceFile};
use crate::store::{CaughtUp, Store, ToRecord};

/// What the sync protocol asks of the garden's store; answered by the thread that owns it.
pub enum Ask {
    /// A document's whole history; `None` when the garden does not have it.
    Load { doc: String, reply: tokio::sync::oneshot::Sender<Option<Vec<u8>>> },
    /// Changes a peer sent to a document, to be taken in (and the notes written); the reply comes once they are
    /// kept on disk.
    TakeIn { doc: String, bytes: Vec<u8>, reply: tokio::sync::oneshot::Sender<()> },
    /// The heads of every note's document (`Store::heads`).
    Heads { reply: tokio::sync::oneshot::Sender<Heads> },
    /// Every document at once, for a clone (`Store::bundle`).
    Bundle { reply: tokio::sync::oneshot::Sender<Option<Vec<u8>>> },
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
const WRITE_QUIET: std::time::Duration = std::time::Duration::from_millis(1000);

/// What the recorder is given to do.
pub enum Job {
    /// Paths the watcher saw change; an empty path means "look at everything".
    Paths(Vec<PathBuf>),
    /// What sync asks of the store (a document for a peer, or a peer's changes to take in).
    Ask(Ask),
}

/// Where the changes recorded here go, for sync to pass on to peers, with the documents to fetch from them.
pub type Push = tokio::sync::mpsc::UnboundedSender<ToPeers>;

/// How long the watcher's paths must stop coming before they are recorded, and the longest wait for that. Short:
/// a save reaches syncing peers only once recorded; an editor's save (temporary file, rename) and a burst such as
/// a `git checkout` come faster than this between events, so each is still recorded once.
const QUIET: std::time::Duration = std::time::Duration::from_millis(30);
const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Records the garden at `layout` until `changes` closes. Each message is the paths the watcher saw change; an
/// empty path means "look at everything" (a catch-up). After recording something, an empty list of paths goes
/// to `recorded` (the preview's owner), since pages show what the history says.
pub fn record(
    layout: Layout,
    author: String,
    changes: Receiver<Job>,
    recorded: Sender<Vec<PathBuf>>,
    push: Option<Push>,
) {
    let started = Instant::now();
    // Recording yields to the preview: its threads (this one and a pool of its own, so that its work never queues
    // in front of a rebuild's in the shared pool) run at a lower priority. A first import of a large garden takes
    // seconds of both cores.
    crate::platform::lower_thread_priority();
    let pool = match rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("loam-history-{i}"))
        .start_handler(|_| crate::platform::lower_thread_priority())
        .build()
    {
        Ok(pool) => pool,
        Err(error) => {
            tracing::error!("history is not recorded: {error}");
            return;
        }
    };
    pool.install(|| record_in(layout, author, changes, recorded, push, started));
}

fn record_in(
    layout: Layout,
    author: String,
    changes: Receiver<Job>,
    recorded: Sender<Vec<PathBuf>>,
    push: Option<Push>,
    started: Instant,
) {
    let tell = |done: CaughtUp| {
        if done != CaughtUp::default() {
            let _ = recorded.send(Vec::new());
        }
    };
    let mut store = match Store::open(&layout.root, &author) {
        Ok(store) => store,
        Err(error) => {
            tracing::error!("history is not recorded: {error:#}");
            // Sync's asks still get an answer (nothing), so that no peer waits for ever.
            while changes.recv().is_ok() {}
            return;
        }
    };
    for damage in store.damage() {
        tracing::warn!("{damage}");
    }
    // Documents set aside as damaged count as missing: the peers are asked for them at once.
    if let Some(push) = &push {
        for doc in store.missing().unwrap_or_default() {
            let _ = push.send(ToPeers::Fetch(doc));
        }
    }
    // Write-backs a crash interrupted go in place before the notes are read.
    if let Err(error) = store.finish_writes(&layout.content) {
        tracing::warn!("a note's merged text could not be put in place: {error:#}");
    }
    if push.is_some() {
        store.keep_outbox();
    }
    store.hold_back_writes(WRITE_QUIET);
    let pass_on = |store: &mut Store| {
        if let Some(push) = &push {
            for (doc, bytes) in store.take_outbox() {
                let _ = push.send(ToPeers::Change(doc, bytes));
            }
        }
    };
    tell(catch_up(&layout, &mut store, started));
    pass_on(&mut store);
    // Paths waiting to be recorded, and when the first and the last of them came.
    let mut pending: Vec<PathBuf> = Vec::new();
    let mut since: Option<(Instant, Instant)> = None;
    // When merged text held back from notes being typed into is tried again.
    let mut retry: Option<Instant> = None;
    loop {
        // Recording is not in a hurry: a burst (a `git checkout`, a sync tool) is recorded once it goes quiet,
        // so that its flushes to the disk do not slow the burst itself. Sync's asks are answered at once.
        let quiet = since
            .map(|(first, last)| QUIET.saturating_sub(last.elapsed()).min(MAX_WAIT.saturating_sub(first.elapsed())));
        let again = retry.map(|at| at.saturating_duration_since(Instant::now()));
        let job = match quiet.into_iter().chain(again).min() {
            None => match changes.recv() {
                Ok(job) => Some(job),
                Err(_) => break,
            },
            Some(wait) => match changes.recv_timeout(wait) {
                Ok(job) => Some(job),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            },
        };
        if job.is_none() && retry.is_some_and(|at| at <= Instant::now()) {
            apply_taken(&layout, &mut store, &recorded, push.as_ref());
            retry = store.has_taken().then(|| Instant::now() + WRITE_QUIET / 4);
            pass_on(&mut store);
            if since.is_none_or(|(first, last)| last.elapsed() < QUIET && first.elapsed() < MAX_WAIT) {
                continue;
            }
        }
        match job {
            Some(Job::Paths(paths)) => {
                let now = Instant::now();
                since = Some((since.map_or(now, |(first, _)| first), now));
                pending.extend(paths);
            }
            Some(Job::Ask(ask)) => {
                let mut replies: Vec<_> = answer(&mut store, ask).into_iter().collect();
                // Every ask already waiting, then the notes written once.
                while let Ok(job) = changes.try_recv() {
                    match job {
                        Job::Ask(ask) => replies.extend(answer(&mut store, ask)),
                        Job::Paths(paths) => {
                            let now = Instant::now();
                            since = Some((since.map_or(now, |(first, _)| first), now));
                            pending.extend(paths);
                        }
                    }
                }
                kept(&mut store, replies);
                apply_taken(&layout, &mut store, &recorded, push.as_ref());
                retry = store.has_taken().then(|| Instant::now() + WRITE_QUIET / 4);
                pass_on(&mut store);
            }
            None => {
                since = None;
                tell(record_paths(&layout, &mut store, std::mem::take(&mut pending)));
                pass_on(&mut store);
            }
        }
    }
    if !pending.is_empty() {
        record_paths(&layout, &mut store, pending);
    }
}

/// Writes what peers sent to the notes, and asks the peers for notes their index names that this garden lacks.
fn apply_taken(layout: &Layout, store: &mut Store, recorded: &Sender<Vec<PathBuf>>, push: Option<&Push>) {
    let index_changed = store.index_taken();
    match store.apply_taken(&layout.content) {
        Ok(merged) => {
            report(&merged);
            if merged != Default::default() {
                let _ = recorded.send(Vec::new());
            }
        }
        Err(error) => tracing::warn!("sync: the notes could not be brought up to date: {error:#}"),
    }
    if let (true, Some(push)) = (index_changed, push) {
        for doc in store.missing().unwrap_or_default() {
            let _ = push.send(ToPeers::Fetch(doc));
        }
    }
}

/// Answers one of sync's asks. The answer to changes taken in is returned, to be sent once they are flushed to
/// the disk with the rest of their batch ([`Store::flush`], [`kept`]).
pub fn answer(store: &mut Store, ask: Ask) -> Option<tokio::sync::oneshot::Sender<()>> {
    match ask {
        Ask::Load { doc, reply } => {
            let bytes = store.document(&doc).unwrap_or_else(|error| {
                tracing::warn!("sync: document {doc} could not be read: {error:#}");
                None
            });
            let _ = reply.send(bytes);
        }
        Ask::Heads { reply } => {
            let _ = reply.send(store.heads());
        }
        Ask::Bundle { reply } => {
            let bundle = store.bundle().unwrap_or_else(|error| {
                tracing::warn!("sync: the garden's documents could not be read: {error:#}");
                Vec::new()
            });
            let _ = reply.send(Some(bundle).filter(|b| !b.is_empty()));
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

/// Records the paths the watcher saw change.
fn record_paths(layout: &Layout, store: &mut Store, mut paths: Vec<PathBuf>) -> CaughtUp {
    // A folder among the paths (made, moved or deleted with notes in it: the watcher may never name the notes
    // inside, as when a note is moved into a folder made a moment before) means looking at everything, as the
    // preview does.
    // A path that is gone was a folder unless it was a note or a file the history has (an attachment).
    let folder = |p: &PathBuf| {
        p.is_dir() || (!p.exists() && !is_note(&p.to_string_lossy()) && store.entry(&layout.relative(p)).is_none())
    };
    if paths.iter().any(|p| p.as_os_str().is_empty() || (p.starts_with(&layout.content) && folder(p))) {
        return catch_up(layout, store, Instant::now());
    }
    // A symbolic link among the paths: the walk decides whether it stays inside the garden.
    if paths.iter().any(|p| p.starts_with(&layout.content) && p.is_symlink()) {
        return catch_up(layout, store, Instant::now());
    }
    let mut present = Vec::new();
    let mut gone = Vec::new();
    paths.sort();
    paths.dedup();
    for path in paths {
        let Ok(inside) = path.strip_prefix(&layout.content) else {
            // The watcher also watches the garden's root (for loam.toml), templates/ and static/: not notes. A path
            // anywhere else is one the recorder cannot place, which must never pass unsaid.
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
        let too_big = !is_note(&relative) && std::fs::metadata(&path).is_ok_and(|m| m.len() > MAX_ATTACHMENT);
        if too_big {
            continue;
        }
        match std::fs::read(&path) {
            Ok(bytes) => {
                let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
                present.push(SourceFile { path: relative, bytes, modified });
            }
            // Only a file that is gone is a deletion; one that is there and cannot be read is reported and kept.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::fs::symlink_metadata(&path).is_err() => {
                gone.push(relative)
            }
            Err(e) => {
                tracing::warn!("{}: not recorded in the history: {e}; its history is kept as it was", shown(&relative))
            }
        }
    }
    if present.is_empty() && gone.is_empty() {
        return CaughtUp::default();
    }
    store.update(present, gone).unwrap_or_else(|error| {
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
fn catch_up(layout: &Layout, store: &mut Store, started: Instant) -> CaughtUp {
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
