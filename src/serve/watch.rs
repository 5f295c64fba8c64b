//! Watching a garden's files: notify's native events (or polling, for file systems where those are unreliable),
//! debounced, filtered to the files that can change the site, and told on as batches of paths ([`Change`]).
//!
//! Editors save in many ways: writing in place, writing a temporary file and renaming it over the note (vim,
//! VS Code, JetBrains), deleting and creating again. Each rebuild rescans the garden, so none of these needs to be
//! understood here: any event on a file that matters is enough. What is filtered out is noise: swap, backup and
//! lock files, and everything in tool folders (`.git/`, `.obsidian/`, `.loam/`) and the output folder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use std::time::SystemTime;

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer_opt, DebounceEventResult, Debouncer, RecommendedCache};
use walkdir::WalkDir;

use crate::diagnostic::shown;
use crate::garden::{is_ignored, Layout};
use crate::lock;

/// How long a path must be quiet before its events are passed on: long enough to catch an editor's
/// write-then-rename as one change, short enough not to be felt.
pub const DEBOUNCE: Duration = Duration::from_millis(10);

/// How often `--poll` looks at every file.
pub const POLL_INTERVAL: Duration = Duration::from_millis(300);

/// What the watcher tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// These files changed (made, written, renamed or deleted).
    Paths(Vec<PathBuf>),
    /// Anything may have changed: the kernel dropped events, a watch failed, or the first look of `--poll`.
    Everything,
}

/// Where the watcher tells what changed; `false` when no one listens any more.
pub type Tell = Arc<dyn Fn(Change) -> bool + Send + Sync>;

enum Inner {
    Native(Debouncer<RecommendedWatcher, RecommendedCache>),
    /// `--poll`: a thread that looks at every file's size and modification time now and then. (notify's own
    /// `PollWatcher` compares modification times in whole seconds, and so misses a second save within a second.)
    Poll(Arc<AtomicBool>),
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if let Inner::Poll(stop) = &self.inner {
            stop.store(true, Ordering::Relaxed);
        }
    }
}

/// The watches on one garden's folders; dropping it stops them.
pub struct Watcher {
    inner: Inner,
    /// (folder, recursive) currently watched.
    watched: Vec<(PathBuf, bool)>,
    /// Which folder on disk each watched path was when its watch began (device and inode): a folder moved away
    /// and back, or replaced, is another folder, and its old watch sees nothing.
    identity: HashMap<PathBuf, (u64, u64)>,
    /// The same folders, for the event handler's filter and the poller.
    roots: Arc<Mutex<Vec<(PathBuf, bool)>>>,
}

/// `--poll`'s loop: every [`POLL_INTERVAL`], the size and modification time of every file that matters; any
/// difference from the last look is a change.
fn poll_loop(roots: &Mutex<Vec<(PathBuf, bool)>>, out: Option<&Path>, stop: &AtomicBool, tell: &Tell) {
    let mut last: Option<HashMap<PathBuf, (Option<SystemTime>, u64)>> = None;
    while !stop.load(Ordering::Relaxed) {
        let roots = lock(roots).clone();
        let dirs: Vec<PathBuf> = roots.iter().map(|(dir, _)| dir.clone()).collect();
        let mut now = HashMap::new();
        for (root, recursive) in &roots {
            let walker = WalkDir::new(root).follow_links(true).max_depth(if *recursive { usize::MAX } else { 1 });
            let walker = walker.into_iter().filter_entry(|e| e.depth() == 0 || matters(e.path(), &dirs, out));
            for entry in walker.filter_map(Result::ok) {
                if entry.file_type().is_file() {
                    if let Ok(meta) = entry.metadata() {
                        now.insert(entry.path().to_path_buf(), (meta.modified().ok(), meta.len()));
                    }
                }
            }
        }
        let changed = match &last {
            Some(last) => {
                let mut changed: Vec<PathBuf> =
                    now.iter().filter(|(path, seen)| last.get(*path) != Some(seen)).map(|(p, _)| p.clone()).collect();
                changed.extend(last.keys().filter(|path| !now.contains_key(*path)).cloned());
                (!changed.is_empty()).then_some(Change::Paths(changed))
            }
            // The first look comes after the first build began: whatever changed in between is not known.
            None if !roots.is_empty() => Some(Change::Everything),
            None => None,
        };
        if changed.is_some_and(|change| !tell(change)) {
            return;
        }
        if !roots.is_empty() {
            last = Some(now);
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

fn dirs(roots: &Mutex<Vec<(PathBuf, bool)>>) -> Vec<PathBuf> {
    lock(roots).iter().map(|(dir, _)| dir.clone()).collect()
}

impl Watcher {
    /// Starts watching; each batch of relevant paths goes to `tell`. The folders to watch are set by [`sync`].
    ///
    /// [`sync`]: Watcher::sync
    pub fn start(poll: bool, out: Option<PathBuf>, tell: Tell) -> notify::Result<Watcher> {
        let roots = Arc::new(Mutex::new(Vec::new()));
        let watched_roots = roots.clone();
        let handler_roots = roots.clone();
        let handler_tell = tell.clone();
        let handler_out = out.clone();
        let handler = move |result: DebounceEventResult| {
            let change = match result {
                Ok(events) => {
                    let rescan = events.iter().any(|e| e.need_rescan());
                    let paths: Vec<PathBuf> = events
                        .into_iter()
                        .filter(|e| changes_files(&e.event.kind))
                        .flat_map(|e| e.event.paths)
                        .filter(|p| matters(p, &dirs(&handler_roots), handler_out.as_deref()))
                        .collect();
                    match (paths.is_empty(), rescan) {
                        // The kernel dropped events: rebuild anyway, since anything may have changed.
                        (true, true) => Some(Change::Everything),
                        (true, false) => None,
                        (false, _) => Some(Change::Paths(paths)),
                    }
                }
                Err(errors) => {
                    for error in errors {
                        tracing::warn!("watching the garden: {error}");
                    }
                    Some(Change::Everything)
                }
            };
            if let Some(change) = change {
                handler_tell(change);
            }
        };
        let inner = if poll {
            let stop = Arc::new(AtomicBool::new(false));
            let (roots, stop_flag) = (roots.clone(), stop.clone());
            std::thread::Builder::new()
                .name("loam-poll".into())
                .spawn(move || poll_loop(&roots, out.as_deref(), &stop_flag, &tell))
                .map_err(|e| notify::Error::generic(&e.to_string()))?;
            Inner::Poll(stop)
        } else {
            Inner::Native(new_debouncer_opt(
                DEBOUNCE,
                None,
                handler,
                RecommendedCache::new(),
                notify::Config::default(),
            )?)
        };
        Ok(Watcher { inner, watched: Vec::new(), identity: HashMap::new(), roots: watched_roots })
    }

    /// Watches the folders `layout` names (the content recursively, `templates/` and `static/` if they exist, and
    /// the garden root for `loam.toml`), and stops watching folders it no longer names. Returns whether it began
    /// watching a folder: files written there before the watch began were not seen, so the caller rebuilds.
    pub fn sync(&mut self, layout: &Layout) -> bool {
        let mut wanted: Vec<(PathBuf, bool)> = vec![(layout.content.clone(), true)];
        for dir in [&layout.templates, &layout.static_dir].into_iter().flatten() {
            if dir.is_dir() {
                wanted.push((dir.clone(), true));
            }
        }
        if layout.root != layout.content {
            // Not recursive: it holds the output folder, and a `templates/` or `static/` made later shows here.
            wanted.push((layout.root.clone(), false));
        }
        let mut added = false;
        for (dir, recursive) in self.watched.clone() {
            let now = identity(&dir);
            let moved = now != self.identity.get(&dir).copied();
            if moved && wanted.contains(&(dir.clone(), recursive)) {
                // Gone (moved away, deleted) or another folder now: its watch is dropped, and a folder at this path
                // is watched afresh when there is one again, which the caller hears as a folder newly watched.
                match now {
                    None => tracing::warn!(
                        "`{}` is gone: not watching it until it comes back (the preview and the history \
                         wait for it)",
                        dir.display()
                    ),
                    Some(_) => tracing::info!("`{}` was replaced: watching it again", dir.display()),
                }
            }
            if moved {
                self.identity.remove(&dir);
            }
            if moved || !wanted.contains(&(dir.clone(), recursive)) {
                if let Inner::Native(d) = &mut self.inner {
                    let _ = d.unwatch(&dir);
                }
                self.watched.retain(|w| w.0 != dir || w.1 != recursive);
            }
        }
        for (dir, recursive) in wanted {
            if self.watched.contains(&(dir.clone(), recursive)) || !dir.is_dir() {
                continue;
            }
            let mode = if recursive { RecursiveMode::Recursive } else { RecursiveMode::NonRecursive };
            let result = match &mut self.inner {
                Inner::Native(d) => d.watch(&dir, mode),
                Inner::Poll(_) => Ok(()),
            };
            added = true;
            match result {
                Ok(()) => {
                    if let Some(id) = identity(&dir) {
                        self.identity.insert(dir.clone(), id);
                    }
                    self.watched.push((dir, recursive))
                }
                Err(error) => tracing::warn!(
                    "cannot watch `{}`: {error}; changes there need a restart (or try --poll)",
                    shown(&dir.to_string_lossy())
                ),
            }
        }
        *lock(&self.roots) = self.watched.clone();
        added
    }
}

/// The device and inode of the folder at `dir`, if there is one.
fn identity(dir: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(dir).ok().filter(|m| m.is_dir()).map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        dir.is_dir().then_some((0, 0))
    }
}

/// Whether an event says a file may have changed. Reads are events too (our own rebuild opens every note), and
/// reacting to them would rebuild forever.
fn changes_files(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Any | EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Other => true,
    }
}

/// Whether a change to `path` can change the site: not an editor's scratch file, not in a tool folder (below
/// one of the watched `roots`: a garden may itself live in a folder whose name starts with a dot) or the output
/// folder.
pub fn matters(path: &Path, roots: &[PathBuf], out: Option<&Path>) -> bool {
    if out.is_some_and(|out| path.starts_with(out)) {
        return false;
    }
    let below = roots.iter().filter(|r| path.starts_with(r)).max_by_key(|r| r.as_os_str().len());
    let relative = below.and_then(|r| path.strip_prefix(r).ok()).unwrap_or(path);
    if relative.components().any(|c| is_ignored(&c.as_os_str().to_string_lossy())) {
        return false;
    }
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
        return true;
    };
    !is_scratch(&name)
}

/// Files editors make beside the one being edited: swap and backup files, lock files, temporary copies.
pub fn is_scratch(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.ends_with('~')                                            // Emacs, gedit, nano backups
        || (name.starts_with('#') && name.ends_with('#'))          // Emacs auto-save
        || name.starts_with(".#")                                  // Emacs lock files
        || name == "4913"                                          // vim's probe of the folder
        || [".swp", ".swo", ".swx", ".swn", ".tmp", ".temp", ".crswap", ".part", ".kate-swp"]
            .iter()
            .any(|ext| lower.ends_with(ext))
        || lower.contains("___jb_tmp___")                          // JetBrains safe write
        || lower.contains("___jb_old___")
        || lower == ".ds_store"
        || lower.starts_with(".goutputstream-")                    // GNOME's GIO
        || lower.starts_with(".~lock.") // LibreOffice
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_files_and_tool_folders_do_not_matter() {
        let roots = [PathBuf::from("/g/content"), PathBuf::from("/g")];
        for scratch in
            [".note.md.swp", "note.md~", "#note.md#", ".#note.md", "4913", "note.md.tmp", "note.md___jb_tmp___"]
        {
            assert!(is_scratch(scratch), "{scratch}");
            assert!(!matters(&Path::new("/g/content").join(scratch), &roots, None), "{scratch}");
        }
        for note in ["note.md", "My Note (draft).md", "ünïcode 🌱.md", "image.png", "loam.toml", "#tag.md"] {
            assert!(!is_scratch(note), "{note}");
            assert!(matters(&Path::new("/g/content").join(note), &roots, None), "{note}");
        }
        assert!(!matters(Path::new("/g/content/.obsidian/workspace.json"), &roots, None));
        assert!(!matters(Path::new("/g/content/.git/index"), &roots, None));
        assert!(!matters(Path::new("/g/public/index.html"), &roots, Some(Path::new("/g/public"))));
        // A garden that itself lives in a dot-folder is watched all the same.
        let hidden = [PathBuf::from("/home/ada/.notes/garden")];
        assert!(matters(Path::new("/home/ada/.notes/garden/idea.md"), &hidden, None));
        assert!(!matters(Path::new("/home/ada/.notes/garden/.git/HEAD"), &hidden, None));
    }
}
