//! The living garden behind `loam serve`: one thread owns everything that changes while it runs, the preview's
//! state ([`Preview`]: parsed notes, memos, the current snapshot) and the history ([`Store`]), and is told what
//! happens through one channel of [`Input`]s.
//!
//! ```text
//! a save:          watcher --Input::Files--> Garden: read each file once -> rebuild (Preview) -> snapshot to the
//!                      HTTP side (tokio watch) -> record the same bytes (Store) -> flushed behind (durable worker),
//!                      then the change to the peers (Push)
//!                      -> what the history says on pages (contributors, last edit) to the preview
//! a peer's change: sync connection --Input::Peer(TakeIn)--> Garden: take in, flush, reply -> write the notes
//!                      (checkout) -> rebuild -> snapshot; the watcher then sees the notes written, already recorded
//! ```
//!
//! Every other part reads or sends: HTTP handlers read immutable snapshots, sync connections send asks and await
//! their replies, the watcher sends paths. What is slow and needs no decision runs beside the owner on workers:
//! search indexing (`serve/search.rs`), the history's flushes to the disk (`store/durable.rs`: changes reach the
//! peers once flushed, and a failed flush has the history opened again from the disk), and the opening of the history at start: a worker, at a lower priority
//! than the preview, opens the store and records what changed while Loam was stopped (the first import of a large
//! garden takes seconds of both cores), then hands the store to the owner ([`Input::History`]). Meanwhile saves
//! are previewed at once, and they and peers' asks wait for the store. What the owner waits for (recording a
//! save) runs at the preview's priority: a lower one would only delay the next save.
//!
//! A save is shown first and recorded right after, from the bytes the preview read: recording a save takes a few
//! milliseconds that the page need not wait for. Recording hands the preview what it changed of the pages
//! ([`CaughtUp::authorship`]: contributors, the last edit), so the preview never reads the history's bookkeeping
//! back from disk; when that changed, the snapshot is made again and served without reloading open pages.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::pipeline::{contributions, Changes};
use crate::platform;
use crate::serve::watch::{Change, Watcher};
use crate::serve::{log_changed_warnings, log_rebuild, Preview, Rebuilt, Snapshot};
use crate::store::recorder::{self, Ask, Push, ToPeers, WRITE_QUIET};
use crate::store::{CaughtUp, Store};

/// What the living garden is told.
pub enum Input {
    /// The watcher's news: files changed, or anything may have.
    Files(Change),
    /// What a peer's sync connection asks of the store.
    Peer(Ask),
    /// The history, opened and caught up with the files by a worker at start (`None`: it could not be opened).
    History(Option<Box<Store>>),
}

/// How long a burst of changes (a `git checkout`, a sync tool) must go quiet before the batch it makes is taken in.
const BURST_QUIET: Duration = Duration::from_millis(100);
/// A burst that never goes quiet is still taken in this often.
const BURST_MAX_WAIT: Duration = Duration::from_secs(2);
/// How often a quiet garden looks whether its watched folders are still the ones on disk.
const LOOK_AGAIN: Duration = Duration::from_secs(1);
/// How long the garden must be quiet before the memory its work freed is handed back to the system: as long as
/// the allocator keeps freed memory for reuse while someone types (`main.rs`).
const GIVE_BACK_AFTER: Duration = Duration::from_secs(10);

/// Changes gathered to be taken in together.
#[derive(Default)]
struct Batch {
    paths: Vec<PathBuf>,
    /// Anything may have changed: look at everything.
    everything: bool,
}

impl Batch {
    fn add(&mut self, change: Change) {
        match change {
            Change::Paths(paths) => self.paths.extend(paths),
            Change::Everything => self.everything = true,
        }
    }
}

/// What waits while a worker opens the history.
#[derive(Default)]
struct Waiting {
    /// Files read for saves, to be recorded (`None`: a look at everything).
    reads: Vec<Option<recorder::Read>>,
    asks: Vec<Ask>,
}

/// Opens the history of the garden at `layout`, as `author`, and records what changed while Loam was stopped.
fn open(
    layout: &crate::garden::Layout,
    author: &str,
    push: Option<&Push>,
    pool: Option<&rayon::ThreadPool>,
) -> Option<Store> {
    let started = Instant::now();
    let mut store = match Store::open(&layout.root, author) {
        Ok(store) => store,
        Err(error) => {
            tracing::error!("history is not recorded: {error:#}");
            return None;
        }
    };
    for damage in store.damage() {
        tracing::warn!("{damage}");
    }
    // Documents set aside as damaged count as missing: the peers are asked for them at once.
    if let Some(push) = push {
        for doc in store.missing().unwrap_or_default() {
            let _ = push.send(ToPeers::Fetch(doc));
        }
        store.keep_outbox();
    }
    // Write-backs a crash interrupted go in place before the notes are read.
    if let Err(error) = store.finish_writes(&layout.content) {
        tracing::warn!("a note's merged text could not be put in place: {error:#}");
    }
    store.hold_back_writes(WRITE_QUIET);
    match pool {
        Some(pool) => pool.install(|| recorder::catch_up(layout, &mut store, started)),
        None => recorder::catch_up(layout, &mut store, started),
    };
    Some(store)
}

/// The owner of a served garden.
pub struct Garden {
    preview: Preview,
    watcher: Watcher,
    /// The history, once opened; `None` when it cannot be (another process records it, or a read-only folder): the
    /// preview then reads what the history says from disk, as that process writes it.
    store: Option<Store>,
    /// While a worker opens the history: what waits for it.
    opening: Option<Waiting>,
    author: String,
    /// Where snapshots go to the HTTP side.
    publish: tokio::sync::watch::Sender<Arc<Snapshot>>,
    /// Where changes recorded here go to the peers (`None`: no sync).
    push: Option<Push>,
    /// Answers to peers' changes, sent once those are flushed to disk.
    replies: Vec<tokio::sync::oneshot::Sender<()>>,
    /// When merged text held back from notes being typed into is tried again.
    retry: Option<Instant>,
    last_taken: Option<Instant>,
    /// Since when nothing has come in, until the memory freed meanwhile is given back (then `None`).
    quiet_since: Option<Instant>,
    /// Where the worker that opens the history sends it.
    me: Option<Sender<Input>>,
}

impl Garden {
    /// The garden whose first build `preview` made (and whose folders `watcher` watches), recorded under `author`.
    pub fn new(
        preview: Preview,
        watcher: Watcher,
        author: String,
        publish: tokio::sync::watch::Sender<Arc<Snapshot>>,
        push: Option<Push>,
    ) -> Garden {
        Garden {
            preview,
            watcher,
            store: None,
            opening: None,
            author,
            publish,
            push,
            replies: Vec::new(),
            retry: None,
            last_taken: None,
            quiet_since: Some(Instant::now()),
            me: None,
        }
    }

    /// Has the history opened (by a worker, which sends it on `me`), then takes in every input until the channel
    /// closes or no one reads the snapshots any more. A single save is taken in at once; changes that come while
    /// one is taken in mean a burst is under way, and are gathered until it goes quiet.
    pub fn run(mut self, inputs: Receiver<Input>, me: Sender<Input>) {
        self.me = Some(me.clone());
        self.open_history(me);
        // Changes that came while the last batch was taken in: a burst under way.
        let mut during: Option<Batch> = None;
        loop {
            let mut batch = match during.take() {
                Some(batch) => batch,
                None => {
                    let wait = self.retry.map_or(LOOK_AGAIN, |at| at.saturating_duration_since(Instant::now()));
                    match inputs.recv_timeout(wait.min(LOOK_AGAIN)) {
                        Ok(input) => {
                            let Some(change) = self.files_of(input, &inputs) else { continue };
                            let mut batch = Batch::default();
                            batch.add(change);
                            // Soon after the last batch: a burst too, whose gaps are longer than taking one in.
                            if self.last_taken.is_none_or(|at| at.elapsed() >= BURST_QUIET) {
                                if !self.take(batch) {
                                    return;
                                }
                                during = self.more_files(&inputs);
                                continue;
                            }
                            batch
                        }
                        Err(RecvTimeoutError::Timeout) => {
                            if !self.tick() {
                                return;
                            }
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            };
            if !self.until_quiet(&inputs, &mut batch) || !self.take(batch) {
                return;
            }
            during = self.more_files(&inputs);
        }
    }

    /// Files that came while the last batch was taken in (answering peers' asks among them).
    fn more_files(&mut self, inputs: &Receiver<Input>) -> Option<Batch> {
        let mut batch: Option<Batch> = None;
        while let Ok(input) = inputs.try_recv() {
            if let Some(change) = self.files_of(input, inputs) {
                batch.get_or_insert_with(Batch::default).add(change);
            }
        }
        batch
    }

    /// Adds to `batch` whatever else changes until nothing has come for [`BURST_QUIET`] (or [`BURST_MAX_WAIT`] has
    /// passed), answering peers meanwhile. Returns `false` when the inputs are gone.
    fn until_quiet(&mut self, inputs: &Receiver<Input>, batch: &mut Batch) -> bool {
        let started = Instant::now();
        loop {
            match inputs.recv_timeout(BURST_QUIET) {
                Ok(input) => {
                    if let Some(change) = self.files_of(input, inputs) {
                        batch.add(change);
                    }
                }
                Err(RecvTimeoutError::Timeout) => return true,
                Err(RecvTimeoutError::Disconnected) => return false,
            }
            if started.elapsed() > BURST_MAX_WAIT {
                return true;
            }
        }
    }

    /// The watcher's news in `input`, for the caller to gather; any other input is dealt with here (a peer's ask
    /// answered, the opened history taken).
    fn files_of(&mut self, input: Input, inputs: &Receiver<Input>) -> Option<Change> {
        self.quiet_since = Some(Instant::now());
        match input {
            Input::Files(change) => return Some(change),
            Input::Peer(ask) => self.answer(ask, inputs),
            Input::History(store) => self.opened(store),
        }
        None
    }

    /// Has a worker open the garden's history and record what changed while Loam was stopped; it sends the
    /// store on `me` when done.
    fn open_history(&mut self, me: Sender<Input>) {
        let Some(layout) = self.preview.layout.clone() else { return };
        self.opening = Some(Waiting::default());
        let (author, fetch) = (self.author.clone(), self.push.clone());
        let opening = move || {
            // The history's opening yields to the preview: its threads (this one and a pool of its own, so that its
            // work never queues in front of a rebuild's in the shared pool) run at a lower priority.
            platform::lower_thread_priority();
            let pool = rayon::ThreadPoolBuilder::new()
                .thread_name(|i| format!("loam-history-{i}"))
                .start_handler(|_| platform::lower_thread_priority())
                .build()
                .map_err(|error| tracing::warn!("the history opens at the preview's priority: {error}"))
                .ok();
            let store = open(&layout, &author, fetch.as_ref(), pool.as_ref());
            let _ = me.send(Input::History(store.map(Box::new)));
        };
        if let Err(error) = std::thread::Builder::new().name("loam-history".into()).spawn(opening) {
            tracing::error!("history is not recorded: {error}");
            self.opening = None;
        }
    }

    /// The history, opened: what waited for it is done now. (A snapshot no one reads any more ends the loop at the
    /// next batch.)
    fn opened(&mut self, store: Option<Box<Store>>) {
        let waiting = self.opening.take().unwrap_or_default();
        let Some(store) = store else {
            // The asks are dropped unanswered: each peer is told there is nothing.
            return;
        };
        // From now on the history's flushes to the disk run on a worker, behind the owner (`store/durable.rs`).
        if let Err(error) = store.write_behind() {
            tracing::warn!("the history is flushed to the disk by the preview's thread: {error}");
        }
        self.store = Some(*store);
        for read in waiting.reads {
            match (read, self.store.as_mut()) {
                (Some(read), Some(store)) => {
                    recorder::record(store, read);
                }
                (None, _) => self.catch_up(),
                (Some(_), None) => {}
            }
        }
        self.history_from_store();
        self.pass_on();
        let published = self.preview.current().published();
        if let Some(store) = self.store.as_mut() {
            for ask in waiting.asks {
                self.replies.extend(recorder::answer(store, ask, &|path| published.contains(path)));
            }
        }
        self.settle();
        let rebuilt = self.preview.rebuild_with(Some(Changes { paths: &[], read: &[] }));
        self.publish(rebuilt);
    }

    /// Takes in a batch of changed files: each read once, recorded, then the preview rebuilt from the same bytes
    /// and published. Returns `false` when no one reads the snapshots any more.
    fn take(&mut self, batch: Batch) -> bool {
        let layout = self.preview.layout.clone();
        // What changed, each file read once, for the preview and the history; `None`: only a look at everything
        // tells what changed (a folder, a symbolic link).
        let read = match (&layout, batch.everything) {
            (Some(layout), false) => recorder::read_changed(layout, self.store.as_ref(), &batch.paths),
            _ => None,
        };
        let changes = (!batch.everything).then(|| Changes {
            paths: &batch.paths,
            read: read.as_ref().map_or(&[][..], |read| read.present.as_slice()),
        });
        let before = self.preview.current();
        let mut rebuilt = self.preview.rebuild_with(changes);
        // A folder watched only now (`templates/` made while serving, the notes folder back in its place) may hold
        // files written before its watch: the history and the preview look at everything.
        while self.preview.layout.as_ref().is_some_and(|layout| self.watcher.sync(layout)) {
            self.catch_up();
            let again = self.preview.rebuild();
            rebuilt = Rebuilt {
                changed: rebuilt.changed || again.changed,
                history_changed: rebuilt.history_changed || again.history_changed,
                took: rebuilt.took + again.took,
                snapshot: again.snapshot,
            };
        }
        let named = if batch.everything { &[][..] } else { batch.paths.as_slice() };
        log_rebuild(&rebuilt, named, self.preview.layout.as_ref());
        if rebuilt.changed {
            // Sorting every warning of a large garden takes a while: after the page is served, not before.
            let (after, paths) = (rebuilt.snapshot.clone(), self.preview.layout.as_ref().map(crate::cmd::Paths::of));
            rayon::spawn(move || log_changed_warnings(&before, &after, &paths.unwrap_or_default()));
        }
        self.last_taken = Some(Instant::now());
        if !self.publish(rebuilt) {
            return false;
        }
        // Then the history, from the same bytes: the page shows a save without waiting for it to be recorded (or
        // once it is open again, after a write behind the owner failed).
        self.reopen_if_failed();
        if let Some(waiting) = &mut self.opening {
            waiting.reads.push(read);
            return true;
        }
        let started = Instant::now();
        let recorded = match (self.store.as_mut(), &layout, read) {
            (Some(store), _, Some(read)) => {
                let done = recorder::record(store, read);
                let recorded = done != CaughtUp::default();
                self.history_changed(done);
                recorded
            }
            (Some(store), Some(layout), None) => {
                let recorded = recorder::catch_up(layout, store, Instant::now()) != CaughtUp::default();
                self.history_from_store();
                recorded
            }
            _ => false,
        };
        if !recorded {
            return true;
        }
        self.pass_on();
        tracing::debug!("recorded in {:.1} ms", started.elapsed().as_secs_f64() * 1000.0);
        // What pages say of the history (contributors, the last edit) changed: served from now on, without
        // reloading the pages open.
        let rebuilt = self.preview.rebuild_with(Some(Changes { paths: &[], read: &[] }));
        self.publish(rebuilt)
    }

    /// Records whatever changed in the whole garden.
    fn catch_up(&mut self) {
        let (Some(store), Some(layout)) = (self.store.as_mut(), self.preview.layout.as_ref()) else { return };
        recorder::catch_up(layout, store, Instant::now());
        self.history_from_store();
        self.pass_on();
    }

    /// Sends a rebuilt snapshot to the HTTP side if what it serves changed. `false` when no one reads them.
    fn publish(&mut self, rebuilt: Rebuilt) -> bool {
        if !(rebuilt.changed || rebuilt.history_changed) {
            return true;
        }
        // What scoped peers see follows what changed: a note moved out of a scope, or no longer published, leaves
        // their views.
        if let Some(store) = self.store.as_mut() {
            let published = rebuilt.snapshot.published();
            store.refresh_views(&|path| published.contains(path));
        }
        self.pass_on();
        self.publish.send(rebuilt.snapshot).is_ok()
    }

    /// What a quiet garden does now and then: gives the memory its last work freed back to the system, looks whether its watched folders are still the ones on disk (a
    /// notes folder moved away and back sends nothing to a watch that was on it), and writes merged text held
    /// back from notes being typed into.
    fn tick(&mut self) -> bool {
        if self.quiet_since.is_some_and(|since| since.elapsed() >= GIVE_BACK_AFTER) {
            self.quiet_since = None;
            let before = platform::resident_mib();
            platform::give_back_freed_memory();
            tracing::debug!("gave freed memory back: {before} -> {} MiB resident", platform::resident_mib());
        }
        self.reopen_if_failed();
        if self.retry.is_some_and(|at| at <= Instant::now()) {
            self.settle();
        }
        match self.preview.layout.as_ref().is_some_and(|layout| self.watcher.sync(layout)) {
            true => self.take(Batch { paths: Vec::new(), everything: true }),
            false => true,
        }
    }

    /// Answers one of a peer's asks, and every other ask already waiting, then writes what they brought to the
    /// notes. Files changed meanwhile are taken in after.
    fn answer(&mut self, ask: Ask, inputs: &Receiver<Input>) {
        if let Some(waiting) = &mut self.opening {
            waiting.asks.push(ask);
            return;
        }
        let Some(store) = self.store.as_mut() else {
            // No history here: dropping the ask answers "nothing", so that no peer waits for ever.
            return;
        };
        let published = self.preview.current().published();
        let published = |path: &str| published.contains(path);
        self.replies.extend(recorder::answer(store, ask, &published));
        let mut files = Vec::new();
        while let Ok(input) = inputs.try_recv() {
            match input {
                Input::Peer(ask) => self.replies.extend(recorder::answer(store, ask, &published)),
                Input::Files(change) => files.push(change),
                // Only ever sent once, while no store is here.
                Input::History(_) => {}
            }
        }
        self.settle();
        if !files.is_empty() {
            let mut batch = Batch::default();
            files.into_iter().for_each(|change| batch.add(change));
            self.take(batch);
        }
    }

    /// Flushes what peers sent and answers them, then writes merged text to the notes whose files have been still
    /// long enough (the others are tried again soon), and rebuilds the preview if a note changed.
    fn settle(&mut self) {
        let Some(layout) = self.preview.layout.clone() else { return };
        let Some(store) = self.store.as_mut() else { return };
        recorder::kept(store, std::mem::take(&mut self.replies));
        let written = recorder::apply_taken(&layout, store, self.push.as_ref());
        self.retry = store.has_taken().then(|| Instant::now() + WRITE_QUIET / 4);
        self.pass_on();
        if written {
            // The notes written are recorded as they are: the watcher's news of them will find nothing new.
            self.history_from_store();
            let rebuilt = self.preview.rebuild_with(Some(Changes { paths: &[], read: &[] }));
            self.publish(rebuilt);
        }
    }

    /// Passes the changes recorded here on to the peers, once they are on the disk: a peer never holds a change
    /// this garden could still lose (its sequence number would be used again).
    fn pass_on(&mut self) {
        if let (Some(store), Some(push)) = (self.store.as_mut(), &self.push) {
            let changes = store.take_outbox();
            if changes.is_empty() {
                return;
            }
            let push = push.clone();
            store.once_durable(move || {
                for (doc, bytes) in changes {
                    let _ = push.send(ToPeers::Change(doc, bytes));
                }
            });
        }
    }

    /// A write of the history that failed behind the owner (a full disk, a failing one) leaves the store in memory
    /// ahead of the disk: it is dropped and opened again from the disk, which records the notes' files again.
    /// Nothing it held that was not on the disk reached a peer.
    fn reopen_if_failed(&mut self) {
        let Some(failed) = self.store.as_ref().and_then(Store::durability_failed) else { return };
        tracing::error!("history: a write failed ({failed}); the history is opened again from the disk");
        self.store = None;
        if let Some(me) = self.me.clone() {
            self.open_history(me);
        }
    }

    /// Gives the preview what recording changed of the notes' contributors and dates.
    fn history_changed(&mut self, done: CaughtUp) {
        self.preview.cache().give_history(|history| {
            for (path, authorship) in done.authorship {
                match authorship {
                    Some(authorship) => history.insert(path, contributions(authorship)),
                    None => history.remove(&path),
                };
            }
        });
    }

    /// Gives the preview every note's contributors and date, as the history now has them.
    fn history_from_store(&mut self) {
        let Some(store) = &self.store else { return };
        self.preview.cache().give_history(|history| {
            history.clear();
            history.extend(store.authorship().map(|(path, authorship)| (path.to_string(), contributions(authorship))));
        });
    }
}
