//! The search index of the live preview. Pages are rendered when asked for, but a search index needs every
//! note's text, which is rendering every note: so the preview makes no index until a reader first searches (asks
//! for a file under `static/search/`), and from then on makes it again on a worker thread once the saves have
//! stopped for a moment, while the last index goes on answering; saves that arrive during indexing are folded into
//! one more run. The worker reads the notes alone, at a lower priority (the preview's rebuilds and pages, which a
//! writer waits for, go first); only the index's last step, about a fifth of a second at 10,000 notes, uses
//! rayon's threads. The HTTP handlers read the files under `static/search/` from here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;

use super::Snapshot;
use crate::lock;
use crate::output::Contents;
use crate::render;
use crate::search::{self, Indexer};

/// The latest search index's files by their path under the site's root, and the snapshot waiting to be indexed.
#[derive(Default)]
pub struct LiveSearch {
    files: Mutex<Option<Arc<HashMap<String, Bytes>>>>,
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    /// The newest snapshot not indexed yet.
    waiting: Option<Arc<Snapshot>>,
    /// Goes up with every snapshot asked for, so the worker can tell whether saves are still coming.
    asked: u64,
    running: bool,
    /// Whether a reader has searched: until then snapshots are kept, not indexed.
    wanted: bool,
}

/// How long the saves must have stopped before the preview is indexed again.
const QUIET: Duration = Duration::from_millis(800);

impl LiveSearch {
    /// The file of the index at `path` (`static/search/…`) from the last index made (`Some(None)` when it has no such
    /// file), or `None` while no index is ready. The first call starts the indexing of the newest snapshot.
    pub fn get(self: &Arc<Self>, path: &str) -> Option<Option<Bytes>> {
        let mut queue = lock(&self.queue);
        if !queue.wanted {
            queue.wanted = true;
            if queue.waiting.is_some() {
                drop(queue);
                self.start();
            }
            return None;
        }
        drop(queue);
        lock(&self.files).as_ref().map(|files| files.get(path).cloned())
    }

    /// Indexes `snapshot` on a worker thread (once a reader has searched), or after the run in progress, which
    /// then indexes only the newest snapshot asked for.
    pub fn index(self: &Arc<Self>, snapshot: Arc<Snapshot>) {
        let mut queue = lock(&self.queue);
        queue.waiting = Some(snapshot);
        queue.asked += 1;
        if queue.wanted {
            drop(queue);
            self.start();
        }
    }

    /// Starts the worker, unless it runs already.
    fn start(self: &Arc<Self>) {
        let mut queue = lock(&self.queue);
        if queue.running {
            return;
        }
        queue.running = true;
        drop(queue);
        let this = self.clone();
        let started = std::thread::Builder::new().name("loam-search-preview".into()).spawn(move || {
            crate::platform::lower_thread_priority();
            loop {
                // Wait for the saves to stop.
                let mut seen = lock(&this.queue).asked;
                loop {
                    std::thread::sleep(QUIET);
                    let now = lock(&this.queue).asked;
                    if now == seen {
                        break;
                    }
                    seen = now;
                }
                let next = {
                    let mut queue = lock(&this.queue);
                    match queue.waiting.take() {
                        Some(next) => next,
                        None => {
                            queue.running = false;
                            return;
                        }
                    }
                };
                if let Some(files) = index(&next) {
                    *lock(&this.files) = Some(Arc::new(files));
                }
            }
        });
        if started.is_err() {
            lock(&self.queue).running = false;
        }
    }
}

/// The index of one snapshot's site; `None` when it has no site (the preview then keeps the last index).
fn index(snapshot: &Snapshot) -> Option<HashMap<String, Bytes>> {
    let live = snapshot.site.as_ref()?;
    let site = &live.borrow_dependent().site;
    let indexer = Indexer::start(&site.config.language);
    render::index_site(site, &indexer);
    let files = Mutex::new(HashMap::new());
    indexer.finish_into(&|file| {
        if let Contents::Bytes(bytes) = file.contents {
            lock(&files).insert(file.path, Bytes::from(bytes));
        }
    });
    Some(files.into_inner().unwrap_or_else(|e| e.into_inner()))
}

/// Whether `path` (relative to the site's root) is a file of the search index.
pub fn is_index_file(path: &str) -> bool {
    path.strip_prefix(search::FOLDER).is_some_and(|rest| rest.starts_with('/'))
}
