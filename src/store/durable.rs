//! Durable writes behind the store's owner. Recording a save writes its change to the document's log and a line
//! to the bookkeeping's journal, each flushed to the disk (`fdatasync`): a few milliseconds on a laptop's disk, far
//! more on a slow one, that the owner of the living garden (`live.rs`) need not spend waiting. While `loam serve`
//! runs, a worker does them, in the order they were asked for:
//!
//! - a document's change is written by the owner (so that anything the store reads back is there at once) and
//!   flushed by the worker ([`Durable::flush`]);
//! - the journal's lines are written and flushed by the worker ([`Durable::append`], [`Durable::replace`]), so that
//!   a line naming a change never reaches the disk before the change: the bookkeeping is never ahead of the
//!   documents, which the store would take for damage;
//! - what may only happen once those are on disk runs after them on the worker ([`Durable::then`]): changes go to
//!   peers only once this garden cannot lose them (a change a peer has and this garden lost would see its
//!   sequence number used again), and a merged note is written only after [`Durable::wait`].
//!
//! A crash therefore leaves what a crash at an earlier moment of the same work would have left, which the store
//! already recovers from. A write that fails is reported and stops everything queued after it from reaching the
//! peers; the owner then opens the history again from the disk ([`Durable::failed`]), and the notes' files, which
//! are never touched here, are recorded again. Commands that run once (`loam sync`, `loam import`) write inline:
//! each call is on disk when it returns, with its error.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use super::files::write_atomic;
use crate::lock;

/// Where a store's writes are made durable: inline, or by a worker.
#[derive(Clone, Default)]
pub struct Durable {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The worker, once started; inline until then.
    worker: Mutex<Option<Worker>>,
    shared: Arc<Shared>,
}

struct Worker {
    jobs: Sender<Job>,
    thread: JoinHandle<()>,
}

/// What the owner and the worker both see.
#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    done: Condvar,
}

#[derive(Default)]
struct State {
    queued: u64,
    done: u64,
    /// The first write that failed, as a message naming its file.
    failed: Option<String>,
}

enum Job {
    Flush(File, PathBuf),
    Append(PathBuf, Vec<u8>),
    Replace { path: PathBuf, bytes: Vec<u8>, remove: PathBuf },
    Then(Box<dyn FnOnce() + Send>),
}

impl Job {
    fn run(self) -> anyhow::Result<()> {
        match self {
            Job::Flush(file, path) => {
                file.sync_data().map_err(|e| anyhow::anyhow!("cannot flush `{}` to the disk: {e}", path.display()))
            }
            Job::Append(path, bytes) => (|| -> std::io::Result<()> {
                let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
                file.write_all(&bytes)?;
                file.sync_data()
            })()
            .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", path.display())),
            Job::Replace { path, bytes, remove } => {
                write_atomic(&path, &bytes)?;
                match std::fs::remove_file(&remove) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        Err(anyhow::anyhow!("cannot remove `{}`: {e}", remove.display()))
                    }
                    _ => Ok(()),
                }
            }
            Job::Then(then) => {
                then();
                Ok(())
            }
        }
    }
}

impl Durable {
    /// From now on, writes are made durable by a worker, in order, and calls return before they are.
    pub fn write_behind(&self) -> anyhow::Result<()> {
        let mut worker = lock(&self.inner.worker);
        if worker.is_some() {
            return Ok(());
        }
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let shared = Arc::clone(&self.inner.shared);
        let thread = std::thread::Builder::new().name("loam-durable".into()).spawn(move || {
            for job in queue {
                let failed = lock(&shared.state).failed.is_some();
                let result = match job {
                    // After a failure nothing waiting for the disk goes ahead: it may not be there.
                    Job::Then(_) if failed => Ok(()),
                    job => job.run(),
                };
                let mut state = lock(&shared.state);
                if let Err(error) = result {
                    tracing::error!("history: {error:#}");
                    state.failed.get_or_insert_with(|| format!("{error:#}"));
                }
                state.done += 1;
                shared.done.notify_all();
            }
        })?;
        *worker = Some(Worker { jobs, thread });
        Ok(())
    }

    fn submit(&self, job: Job) -> anyhow::Result<()> {
        let worker = lock(&self.inner.worker);
        let Some(worker) = worker.as_ref() else { return job.run() };
        let mut state = lock(&self.inner.shared.state);
        if let Some(failed) = &state.failed {
            anyhow::bail!("an earlier write failed: {failed}");
        }
        state.queued += 1;
        drop(state);
        if worker.jobs.send(job).is_err() {
            let mut state = lock(&self.inner.shared.state);
            state.done += 1;
            anyhow::bail!("the history's writer stopped");
        }
        Ok(())
    }

    /// Flushes `file` (at `path`), just written, to the disk.
    pub fn flush(&self, file: File, path: &Path) -> anyhow::Result<()> {
        self.submit(Job::Flush(file, path.to_path_buf()))
    }

    /// Appends `bytes` to the file at `path`, flushed.
    pub fn append(&self, path: &Path, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.submit(Job::Append(path.to_path_buf(), bytes))
    }

    /// Replaces the file at `path` with `bytes` (atomically), then removes the file at `remove`.
    pub fn replace(&self, path: &Path, bytes: Vec<u8>, remove: &Path) -> anyhow::Result<()> {
        self.submit(Job::Replace { path: path.to_path_buf(), bytes, remove: remove.to_path_buf() })
    }

    /// Runs `then` once every write asked for before is on the disk; never, if one of them failed.
    pub fn then(&self, then: impl FnOnce() + Send + 'static) {
        if self.submit(Job::Then(Box::new(then))).is_err() {
            // Refused: an earlier write failed, and what waits for the disk does not go ahead.
        }
    }

    /// Waits until every write asked for so far is on the disk; an error if one failed.
    pub fn wait(&self) -> anyhow::Result<()> {
        let shared = &self.inner.shared;
        let mut state = lock(&shared.state);
        while state.done < state.queued {
            state = shared.done.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        match &state.failed {
            Some(failed) => Err(anyhow::anyhow!("a write of the history failed: {failed}")),
            None => Ok(()),
        }
    }

    /// The first write that failed, if one did: the store in memory is then ahead of the disk, and must be opened
    /// again from it.
    pub fn failed(&self) -> Option<String> {
        lock(&self.inner.shared.state).failed.clone()
    }
}

impl Drop for Inner {
    /// Everything asked for is written before the store goes.
    fn drop(&mut self) {
        if let Some(Worker { jobs, thread }) = lock(&self.worker).take() {
            drop(jobs);
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_behind_keep_their_order_and_what_waits_for_them_runs_after() {
        let dir = tempfile::tempdir().unwrap();
        let durable = Durable::default();
        durable.write_behind().unwrap();
        let journal = dir.path().join("journal");
        let (sent, got) = std::sync::mpsc::channel();
        for n in 0..100 {
            durable.append(&journal, format!("{n}\n").into_bytes()).unwrap();
        }
        let seen = journal.clone();
        durable.then(move || sent.send(std::fs::read_to_string(&seen).unwrap()).unwrap());
        let text = got.recv().unwrap();
        let expected: String = (0..100).map(|n| format!("{n}\n")).collect();
        assert_eq!(text, expected, "the lines, in order, all written before what waited for them");
        durable.wait().unwrap();
    }

    #[test]
    fn after_a_failed_write_nothing_that_waits_for_the_disk_goes_ahead() {
        let dir = tempfile::tempdir().unwrap();
        let durable = Durable::default();
        durable.write_behind().unwrap();
        // A folder cannot be appended to.
        durable.append(dir.path(), b"x".to_vec()).unwrap();
        let (sent, got) = std::sync::mpsc::channel::<()>();
        durable.then(move || sent.send(()).unwrap());
        assert!(durable.wait().is_err());
        assert!(got.try_recv().is_err(), "what waited for the failed write did not run");
        assert!(durable.failed().is_some_and(|f| f.contains("cannot write")));
        assert!(durable.append(&dir.path().join("later"), b"y".to_vec()).is_err(), "later writes are refused");
        // Inline, an error comes back at once.
        let inline = Durable::default();
        assert!(inline.append(dir.path(), b"x".to_vec()).is_err());
    }
}
