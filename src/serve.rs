//! The live preview behind `loam serve`: the garden built in memory, rebuilt when files change, served over HTTP
//! with a live-reload event stream.
//!
//! ```text
//! watcher (watch.rs) --paths--> owner thread: Preview::rebuild --Arc<Snapshot>--> HTTP handlers (http.rs)
//! ```
//!
//! One thread owns the garden state ([`Preview`]: the parsed-note cache and the current snapshot). The HTTP
//! handlers only ever read an immutable [`Snapshot`] through a `tokio::sync::watch` channel, so serving never waits
//! on a rebuild, and a rebuild never sees a half-served state. Rebuilds run the same pipeline as `loam build`
//! (with `live_reload` on and the base URL pointing at the preview), so a page served here is the page a build
//! would write, byte for byte.

pub mod http;
pub mod watch;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use xxhash_rust::xxh3::xxh3_64;

use crate::config::{Config, ConfigError};
use crate::diagnostic::{Diagnostic, Kind, Severity};
use crate::garden::Layout;
use crate::output::{Contents, OutputFile};
use crate::pipeline::{self, NoteCache};
use crate::render::RenderOptions;

/// One file of the served site.
#[derive(Debug, Clone)]
pub enum Served {
    /// A rendered page or built-in asset, with the hash of its bytes.
    Bytes(Bytes, u64),
    /// An attachment or a garden's static file, read from disk when asked for.
    File(PathBuf),
}

impl PartialEq for Served {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Served::Bytes(a, hash_a), Served::Bytes(b, hash_b)) => hash_a == hash_b && a.len() == b.len() && a == b,
            (Served::File(a), Served::File(b)) => a == b,
            _ => false,
        }
    }
}

/// The whole site as one build made it. Immutable: a rebuild makes a new one.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Goes up by one each time what is served changes; browsers reload when it does.
    pub version: u64,
    /// The URL path the site lives under (`/`, or `/garden/` for a `base_url` with a path).
    pub base_path: String,
    /// Files by their path relative to the site's root (`notes/a/index.html`).
    pub files: HashMap<String, Served>,
    /// Errors to show over every page until they are fixed (warnings are only printed).
    pub errors: Vec<Diagnostic>,
    pub warnings: usize,
    pub notes: usize,
}

impl Snapshot {
    /// Whether a browser showing `self` would see anything different in `other`.
    fn same_as(&self, other: &Snapshot) -> bool {
        self.base_path == other.base_path && self.errors == other.errors && self.files == other.files
    }
}

/// The state the owner thread keeps between rebuilds.
pub struct Preview {
    garden: PathBuf,
    /// Where the preview is served, for the site's absolute URLs (feeds, sitemap, canonical links).
    address: SocketAddr,
    cache: NoteCache,
    current: Arc<Snapshot>,
    /// The folders of the garden as last discovered (they move when `loam.toml` names another content folder).
    pub layout: Option<Layout>,
}

/// What one rebuild did, for the log line.
pub struct Rebuilt {
    pub snapshot: Arc<Snapshot>,
    /// Whether the served site changed (and browsers were told to reload).
    pub changed: bool,
    pub pages_changed: usize,
    pub took: Duration,
}

impl Preview {
    pub fn new(garden: &Path, address: SocketAddr) -> Preview {
        Preview {
            garden: garden.to_path_buf(),
            address,
            cache: NoteCache::default(),
            current: Arc::new(Snapshot::default()),
            layout: None,
        }
    }

    pub fn current(&self) -> Arc<Snapshot> {
        self.current.clone()
    }

    /// Builds the garden again (only changed notes are parsed again). A garden that cannot be built at all (a
    /// broken `loam.toml`) keeps the last good site, with the error shown over it.
    pub fn rebuild(&mut self) -> Rebuilt {
        let started = Instant::now();
        let mut next = match self.build() {
            Ok(snapshot) => snapshot,
            Err(error) => {
                let diagnostic = match error.downcast_ref::<ConfigError>() {
                    Some(ConfigError::Parse { line, column, message, .. }) => {
                        Diagnostic::new("loam.toml", *line, Severity::Error, Kind::Other, message.clone())
                            .column(*column)
                    }
                    _ => Diagnostic::new("loam.toml", 0, Severity::Error, Kind::Other, format!("{error:#}")),
                }
                .hint("fix it and save; until then the last good site is served");
                Snapshot {
                    version: 0,
                    base_path: self.current.base_path.clone(),
                    files: self.current.files.clone(),
                    errors: vec![diagnostic],
                    warnings: self.current.warnings,
                    notes: self.current.notes,
                }
            }
        };
        let pages_changed =
            next.files.iter().filter(|(path, file)| self.current.files.get(*path) != Some(file)).count()
                + self.current.files.keys().filter(|path| !next.files.contains_key(*path)).count();
        let changed = self.current.version == 0 || !self.current.same_as(&next);
        next.version = if changed { self.current.version + 1 } else { self.current.version };
        self.current = Arc::new(next);
        Rebuilt { snapshot: self.current.clone(), changed, pages_changed, took: started.elapsed() }
    }

    fn build(&mut self) -> anyhow::Result<Snapshot> {
        let layout = Layout::discover(&self.garden, None)?;
        let mut config = layout.config()?;
        self.layout = Some(layout.clone());
        let base_path = preview_config(&mut config, self.address);
        let files = Mutex::new(HashMap::new());
        let options = RenderOptions { live_reload: true };
        let built = pipeline::build(&layout, &config, options, false, Some(&self.cache), &|file: OutputFile| {
            let served = match file.contents {
                Contents::Bytes(bytes) => {
                    let hash = xxh3_64(&bytes);
                    Served::Bytes(Bytes::from(bytes), hash)
                }
                Contents::Copy(path) => Served::File(path),
            };
            files.lock().unwrap_or_else(|e| e.into_inner()).insert(file.path, served);
        })?;
        let errors: Vec<Diagnostic> =
            built.diagnostics.iter().filter(|d| d.severity == Severity::Error).cloned().collect();
        let warnings = built.diagnostics.len() - errors.len();
        Ok(Snapshot {
            version: 0,
            base_path,
            files: files.into_inner().unwrap_or_else(|e| e.into_inner()),
            errors,
            warnings,
            notes: built.notes,
        })
    }
}

/// Points the site's absolute URLs at the preview, keeping the base URL's path so that a site meant for a
/// sub-path (`https://example.org/garden/`) is previewed under that path too. Returns the base path.
pub fn preview_config(config: &mut Config, address: SocketAddr) -> String {
    let base_path = config.base_path();
    config.base_url = format!("http://{address}{base_path}");
    base_path
}

/// How long a burst of changes (a `git checkout`, a sync tool) must go quiet before the rebuild that follows it.
const BURST_QUIET: Duration = Duration::from_millis(100);
/// A burst that never goes quiet still gets a rebuild this often.
const BURST_MAX_WAIT: Duration = Duration::from_secs(2);

/// The owner thread's loop: waits for changes, rebuilds, and publishes the new snapshot if the site changed.
/// A single save is rebuilt at once. Changes that arrive while a rebuild runs mean a burst is under way: they
/// are gathered until the burst goes quiet and then make one rebuild, never a queue of them. Ends when the
/// watcher or every reader is gone.
pub fn own(
    mut preview: Preview,
    mut watcher: watch::Watcher,
    changes: std::sync::mpsc::Receiver<Vec<PathBuf>>,
    publish: tokio::sync::watch::Sender<Arc<Snapshot>>,
) {
    // Changes that arrived during the last rebuild: a burst is under way.
    let mut during: Option<Vec<PathBuf>> = None;
    loop {
        let mut paths = match during.take() {
            Some(mut paths) => {
                let started = Instant::now();
                while let Ok(more) = changes.recv_timeout(BURST_QUIET) {
                    paths.extend(more);
                    if started.elapsed() > BURST_MAX_WAIT {
                        break;
                    }
                }
                paths
            }
            None => match changes.recv() {
                Ok(paths) => paths,
                Err(_) => return,
            },
        };
        while let Ok(more) = changes.try_recv() {
            paths.extend(more);
        }
        let mut rebuilt = preview.rebuild();
        // A folder watched only now (`templates/` made while serving) may hold files written before its watch.
        while preview.layout.as_ref().is_some_and(|layout| watcher.sync(layout)) {
            let again = preview.rebuild();
            rebuilt = Rebuilt {
                changed: rebuilt.changed || again.changed,
                pages_changed: rebuilt.pages_changed + again.pages_changed,
                took: rebuilt.took + again.took,
                snapshot: again.snapshot,
            };
        }
        log_rebuild(&rebuilt, &paths, preview.layout.as_ref());
        if rebuilt.changed && publish.send(rebuilt.snapshot).is_err() {
            return;
        }
        during = changes.try_recv().ok();
    }
}

fn log_rebuild(rebuilt: &Rebuilt, paths: &[PathBuf], layout: Option<&Layout>) {
    let mut names: Vec<String> = paths
        .iter()
        .filter(|p| !p.as_os_str().is_empty())
        .map(|p| {
            let relative = layout.and_then(|l| p.strip_prefix(&l.root).ok()).unwrap_or(p);
            relative.display().to_string()
        })
        .collect();
    names.sort();
    names.dedup();
    let what = match names.len() {
        0 => "a change".to_string(),
        1 => names[0].clone(),
        n => format!("{} and {} more", names[0], n - 1),
    };
    let snapshot = &rebuilt.snapshot;
    if rebuilt.changed {
        eprintln!(
            "{what}: rebuilt in {} ms, {} changed{}",
            rebuilt.took.as_millis(),
            crate::cmd::plural(rebuilt.pages_changed, "file"),
            match snapshot.errors.len() {
                0 => String::new(),
                n => format!(", {} (shown in the browser)", crate::cmd::plural(n, "error")),
            }
        );
        for error in &snapshot.errors {
            eprintln!("{error}");
        }
    } else {
        eprintln!("{what}: rebuilt in {} ms, nothing changed", rebuilt.took.as_millis());
    }
}
