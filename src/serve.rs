//! The live preview behind `loam serve`: the garden built in memory, rebuilt when files change, served over HTTP
//! with a live-reload event stream.
//!
//! ```text
//! live::Garden (live.rs) --changes, bytes read--> Preview::rebuild_with --Arc<Snapshot>--> HTTP handlers (http.rs)
//! ```
//!
//! The living garden's thread owns the preview's state ([`Preview`]: the parsed-note cache and the current
//! snapshot). The HTTP
//! handlers only ever read an immutable [`Snapshot`] through a `tokio::sync::watch` channel, so serving never waits
//! on a rebuild, and a rebuild never sees a half-served state. Rebuilds run the same pipeline as `loam build`
//! (with `live_reload` on and the base URL pointing at the preview), so a page served here is the page a build
//! would write, byte for byte.

pub mod http;
pub mod search;
pub mod watch;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use indicatif::ProgressBar;
use rayon::prelude::*;

use crate::config::{Config, ConfigError};
use crate::diagnostic::{shown, Diagnostic, Kind, Severity};
use crate::garden::Layout;
use crate::lock;
use crate::memo::key_of;
use crate::output::{Contents, OutputFile};
use crate::pipeline::{self, Changes, Gathered, NoteCache};
use crate::render::{self, PageRef, Pages, Prepared, RenderMemo, RenderOptions};
use crate::site::{Site, SiteMemo};

/// One file of the served site.
#[derive(Debug, Clone, PartialEq)]
pub enum Served {
    /// A rendered page or built-in asset.
    Bytes(Bytes),
    /// An attachment or a garden's static file, read from disk when asked for.
    File(PathBuf),
}

/// The site model of one build, kept alive for rendering pages when they are asked for: the parsed garden, and
/// the [`Site`] and render preparations that borrow from it.
pub struct Live<'a> {
    pub site: Site<'a>,
    prepared: Prepared,
    /// Every page by the path of its file.
    pages: Arc<Pages>,
}

self_cell::self_cell!(
    /// A garden and the site made of it, in one value that can be shared between threads.
    pub struct LiveSite {
        owner: Gathered,
        #[covariant]
        dependent: Live,
    }
);

/// What a rendered page came to: its bytes, or the problems that kept it from being made.
pub type Rendered = Result<Bytes, Vec<Diagnostic>>;

/// The whole site as one build made it. Immutable, but for the pages rendered so far: pages are rendered when
/// first asked for (a 10,000-note garden has 20,000 pages, and a reader looks at a few), then kept.
#[derive(Default)]
pub struct Snapshot {
    /// Goes up by one each time what is served changes; browsers reload when it does.
    pub version: u64,
    /// The URL path the site lives under (`/`, or `/garden/` for a `base_url` with a path).
    pub base_path: String,
    /// The garden's root folder (where `.loam/` is), and its title.
    pub root: Option<PathBuf>,
    pub title: String,
    /// Static assets and attachments by their path relative to the site's root.
    pub files: HashMap<String, Served>,
    site: Option<Arc<LiveSite>>,
    rendered: Mutex<HashMap<String, Rendered>>,
    /// Key of everything the site is made from ([`Inputs`]), for telling whether a rebuild changed anything.
    fingerprint: u64,
    /// Key of what the history says of each note (contributors, last edit): when only that changed, pages are
    /// made again but open pages are not reloaded (it changes after every recorded save, half a second after
    /// the save's own reload).
    history: u64,
    /// Errors to show over every page until they are fixed (warnings are only printed).
    pub errors: Vec<Diagnostic>,
    /// The problems found gathering the garden (its files and templates); the notes' and the site's own are read
    /// from `site` when every problem is asked for ([`Snapshot::diagnostics`]).
    gathered: Vec<Diagnostic>,
    /// Every problem of the garden, errors and warnings, sorted, made when first asked for: a garden of 10,000
    /// notes can have as many warnings, whose sorting took a quarter of a save's rebuild, and only the status
    /// the browser asks for reads them.
    sorted: OnceLock<Vec<Diagnostic>>,
    /// What `loam build` would publish ([`Snapshot::published`]), made when first asked for.
    published: OnceLock<Arc<HashSet<String>>>,
    /// Each note's number by its path, made when first asked for (the history views look up many notes).
    by_path: OnceLock<HashMap<String, usize>>,
    pub notes: usize,
    /// The search index, made in the background and shared by every snapshot.
    pub search: Arc<search::LiveSearch>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").field("version", &self.version).field("errors", &self.errors).finish()
    }
}

/// A file of the snapshot, as the HTTP side needs it.
pub enum Found {
    File(Served),
    /// A page whose template failed: the problems, for an error page.
    Failed(Vec<Diagnostic>),
}

impl Snapshot {
    /// Every problem of the garden, errors and warnings, sorted.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        self.sorted.get_or_init(|| {
            let mut all = self.gathered.clone();
            if let Some(site) = &self.site {
                all.extend(site.borrow_owner().note_diagnostics().cloned());
                all.extend(site.borrow_dependent().site.diagnostics());
            }
            all.sort();
            all.dedup();
            all
        })
    }

    /// How many of the garden's problems are warnings.
    pub fn warnings(&self) -> usize {
        self.diagnostics().iter().filter(|d| d.severity != Severity::Error).count()
    }

    /// How many files the site has: pages, static assets and attachments.
    pub fn file_count(&self) -> usize {
        self.files.len() + self.site.as_ref().map_or(0, |s| s.borrow_dependent().pages.len())
    }

    /// The paths (in the notes folder) of every note and attachment `loam build` would publish: what a token's
    /// `published` scope lets a peer see. Made when first asked for.
    pub fn published(&self) -> Arc<HashSet<String>> {
        self.published
            .get_or_init(|| {
                let Some(site) = &self.site else { return Arc::default() };
                let (gathered, model) = (site.borrow_owner(), site.borrow_dependent().site.model());
                let notes = gathered.notes.iter().zip(&model.published).filter(|(_, yes)| **yes);
                let attachments = (gathered.attachments.iter().zip(&model.attachment_used).enumerate())
                    .filter(|(n, (_, yes))| **yes || gathered.style_files.contains(n));
                Arc::new(
                    notes
                        .map(|(note, _)| note.path.clone())
                        .chain(attachments.map(|(_, (attachment, _))| attachment.path.clone()))
                        .collect(),
                )
            })
            .clone()
    }

    /// Whether the site has a file at `path` (relative to the site's root), without rendering it.
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
            || self.site.as_ref().is_some_and(|s| s.borrow_dependent().pages.contains_key(path))
    }

    /// The file at `path`, rendering it if it is a page not rendered yet.
    pub fn get(&self, path: &str) -> Option<Found> {
        if let Some(file) = self.files.get(path) {
            return Some(Found::File(file.clone()));
        }
        let site = self.site.as_ref()?;
        let page = site.borrow_dependent().pages.get(path)?;
        if let Some(done) = lock(&self.rendered).get(path) {
            return Some(found(done));
        }
        let done = render(site, page);
        let answer = found(&done);
        lock(&self.rendered).insert(path.to_string(), done);
        Some(answer)
    }

    /// The note the page at `path` shows (its path relative to the notes folder): a note's own page, or the page
    /// of a tag or folder that a note stands for. The live editing view (`serve/http/edit.rs`) is offered there.
    pub fn note_shown(&self, path: &str) -> Option<&str> {
        let live = self.site.as_ref()?.borrow_dependent();
        let index = match live.pages.get(path)? {
            PageRef::Note(index) => *index,
            PageRef::Tag(key) => live.site.tags.get(key)?.note?,
            PageRef::Folder(key) => live.site.folders.get(key)?.note?,
            _ => return None,
        };
        live.site.notes.get(index).map(|note| note.path.as_str())
    }

    /// The number of the note at `path` in the site.
    fn note_index(&self, path: &str) -> Option<usize> {
        let live = self.site.as_ref()?.borrow_dependent();
        let by_path = self
            .by_path
            .get_or_init(|| live.site.notes.iter().enumerate().map(|(i, note)| (note.path.clone(), i)).collect());
        by_path.get(path).copied()
    }

    /// The title and page URL of the published note at `path` (relative to the notes folder); `None` for anything
    /// else, so that the live editing view names no note the preview does not show.
    pub fn published_note(&self, path: &str) -> Option<(&str, &str)> {
        let live = self.site.as_ref()?.borrow_dependent();
        let index = self.note_index(path)?;
        let published = live.site.published.get(index).copied().unwrap_or(false);
        published.then(|| (live.site.notes[index].title(), live.site.note_url(index)))
    }

    /// The note whose page is at `url` (a URL path under the site's root, `bees/`), if it is a published note's:
    /// its path in the notes folder, its title and its page's full URL.
    pub fn note_at(&self, url: &str) -> Option<(String, String, String)> {
        let path = self.note_shown(&format!("{url}index.html"))?;
        let (title, full) = self.published_note(path)?;
        Some((path.to_string(), title.to_string(), full.to_string()))
    }

    /// Whether a version of a note with this text would be published, by the garden's rules (its frontmatter and
    /// the publish mode): history views show only such versions.
    pub fn publishes(&self, text: &str) -> bool {
        let Some(site) = &self.site else { return false };
        crate::note::publishes(text, site.borrow_dependent().site.config.publish_mode)
    }

    /// A version's text as read (its properties as written, then its body rendered as text), for differences.
    pub fn readable(&self, path: &str, text: &str) -> String {
        let Some(site) = &self.site else { return String::new() };
        let settings = crate::note::Settings {
            mode: crate::config::PublishMode::All,
            ..crate::note::Settings::of(site.borrow_dependent().site.config)
        };
        crate::history::readable(path, text, &settings)
    }

    /// A page of the history views (`render::history`) of the note `of`.
    pub fn history_page(
        &self,
        of: &render::history::Of,
        steps: &[crate::history::Step],
        view: render::history::View,
        path: &str,
    ) -> Option<Rendered> {
        let site = self.site.as_ref()?;
        let live = site.borrow_dependent();
        // Each version's text is read once, though the list compares it with both its neighbours.
        let read: Mutex<HashMap<u64, String>> = Mutex::default();
        let readable = |text: &str| {
            let key = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
            if let Some(done) = lock(&read).get(&key) {
                return done.clone();
            }
            let done = self.readable(path, text);
            lock(&read).insert(key, done.clone());
            done
        };
        let own = render::history::context(live.site.config, of, steps, view, &readable);
        self.own_page("history.html", of.history_url, serde_json::json!({ "history": own }))
    }

    /// A page of the preview's own (`history.html`, `changes.html`) at `url` (under the base path) with its values.
    pub fn own_page(&self, template: &str, url: &str, own: serde_json::Value) -> Option<Rendered> {
        let site = self.site.as_ref()?;
        let (garden, live) = (site.borrow_owner(), site.borrow_dependent());
        let url = url.strip_prefix(self.base_path.as_str()).unwrap_or(url);
        Some(match render::render_own(&live.site, &garden.templates, &live.prepared, template, url, own) {
            Ok(OutputFile { contents: Contents::Bytes(bytes), .. }) => Ok(Bytes::from(bytes)),
            Ok(_) => Err(Vec::new()),
            Err(problem) => Err(vec![problem]),
        })
    }

    /// Whether the published note at `path` has the tag `tag` or one below it (`area` for `area/topic`).
    pub fn has_tag(&self, path: &str, tag: &str) -> bool {
        let Some(site) = &self.site else { return false };
        let live = site.borrow_dependent();
        let tag = tag.trim_start_matches('#').to_lowercase();
        let note = self.note_index(path);
        note.filter(|&i| live.site.published[i]).is_some_and(|i| {
            live.site.notes[i]
                .tags
                .iter()
                .map(|t| t.to_lowercase())
                .any(|t| t == tag || t.starts_with(&format!("{tag}/")))
        })
    }

    /// Every author of a published note, by name; and with `only`, the published notes that author changed (their
    /// title and URL), by title.
    pub fn authors(&self, only: Option<&str>) -> (Vec<String>, Vec<(String, String)>) {
        let Some(site) = &self.site else { return Default::default() };
        let site = &site.borrow_dependent().site;
        let mut names = std::collections::BTreeSet::new();
        let mut notes = Vec::new();
        for i in site.published_notes() {
            let Some(history) = site.history.get(i) else { continue };
            names.extend(history.authors.iter().cloned());
            if only.is_some_and(|name| history.authors.iter().any(|a| a == name)) {
                notes.push((site.notes[i].title().to_string(), site.note_url(i).to_string()));
            }
        }
        notes.sort_by_key(|(title, _)| title.to_lowercase());
        (names.into_iter().collect(), notes)
    }

    /// The garden's configuration, as the preview reads it.
    pub fn config(&self) -> Option<&Config> {
        Some(self.site.as_ref()?.borrow_dependent().site.config)
    }

    /// The page of the note at `path` as its version with this text read, with what the history said of it then
    /// (its contributors so far, that version's time) and `banner` (HTML naming the version) before its text:
    /// links resolved against the garden as it is now.
    pub fn version_page(
        &self,
        path: &str,
        text: &str,
        then: crate::site::Contributions,
        banner: &str,
    ) -> Option<Rendered> {
        let site = self.site.as_ref()?;
        let (garden, live) = (site.borrow_owner(), site.borrow_dependent());
        let i = self.note_index(path)?;
        let settings = crate::note::Settings::of(live.site.config);
        let old = Arc::new(crate::note::parse(path, text.as_bytes(), &settings));
        let past = live.site.past(i, old, then);
        let site = past.site(&live.site);
        Some(match render::render_version(&site, &garden.templates, &live.prepared, i, banner) {
            (Some(OutputFile { contents: Contents::Bytes(bytes), .. }), _) => Ok(Bytes::from(bytes)),
            (_, problems) => Err(problems.into_iter().filter(|d| d.severity == Severity::Error).collect()),
        })
    }

    /// Every file of the site, every page rendered: what `loam build` would write (tests compare these).
    pub fn all_files(&self) -> HashMap<String, Served> {
        let mut all = self.files.clone();
        if let Some(site) = &self.site {
            let pages: Vec<(&String, &PageRef)> = site.borrow_dependent().pages.iter().collect();
            let rendered: Vec<(String, Served)> = pages
                .par_iter()
                .filter_map(|(path, page)| render(site, page).ok().map(|b| ((*path).clone(), Served::Bytes(b))))
                .collect();
            all.extend(rendered);
        }
        all
    }
}

fn found(done: &Rendered) -> Found {
    match done {
        Ok(bytes) => Found::File(Served::Bytes(bytes.clone())),
        Err(problems) => Found::Failed(problems.clone()),
    }
}

fn render(site: &LiveSite, page: &PageRef) -> Rendered {
    let garden = site.borrow_owner();
    let live = site.borrow_dependent();
    match render::render_page(&live.site, &garden.templates, &live.prepared, page) {
        (Some(OutputFile { contents: Contents::Bytes(bytes), .. }), _) => Ok(Bytes::from(bytes)),
        (_, problems) => Err(problems.into_iter().filter(|d| d.severity == Severity::Error).collect()),
    }
}

/// The state the living garden (`live.rs`) keeps for the preview between rebuilds.
pub struct Preview {
    garden: PathBuf,
    /// Where the preview is served, for the site's absolute URLs (feeds, sitemap, canonical links).
    address: SocketAddr,
    cache: NoteCache,
    resolved: SiteMemo,
    rendering: RenderMemo,
    /// The stamp of each attachment and static file, as the last rebuild saw it (see [`Inputs::of`]).
    stamps: HashMap<PathBuf, Stamp>,
    current: Arc<Snapshot>,
    search: Arc<search::LiveSearch>,
    /// The folders of the garden as last discovered (they move when `loam.toml` names another content folder).
    pub layout: Option<Layout>,
    /// What the command line says in place of `loam.toml`.
    pub overrides: Overrides,
}

/// What `loam serve`'s options change of `loam.toml` for the preview.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--base-url`: the address the preview is reached at (behind a proxy, from another machine), in place of
    /// its own; its path is where the preview serves the site.
    pub base_url: Option<String>,
    /// `--drafts`: show the notes marked `draft: true`.
    pub drafts: bool,
}

/// What one rebuild did, for the log line.
pub struct Rebuilt {
    pub snapshot: Arc<Snapshot>,
    /// Whether the served site changed (and browsers were told to reload).
    pub changed: bool,
    /// Whether only what the history says changed: the new snapshot is served, and open pages stay.
    pub history_changed: bool,
    pub took: Duration,
}

impl Preview {
    pub fn new(garden: &Path, address: SocketAddr) -> Preview {
        Preview {
            garden: garden.to_path_buf(),
            address,
            cache: NoteCache::default(),
            resolved: SiteMemo::default(),
            rendering: RenderMemo::default(),
            stamps: HashMap::new(),
            current: Arc::new(Snapshot::default()),
            search: Arc::default(),
            layout: None,
            overrides: Overrides::default(),
        }
    }

    pub fn current(&self) -> Arc<Snapshot> {
        self.current.clone()
    }

    /// Builds the site model again (only changed notes are parsed again; pages are rendered when asked for). A
    /// garden that cannot be built at all (a broken `loam.toml`) keeps the last good site, with the error shown
    /// over it.
    pub fn rebuild(&mut self) -> Rebuilt {
        self.rebuild_after(None)
    }

    /// [`rebuild`](Preview::rebuild) after changes to the files at `paths` (from the watcher): the garden's
    /// folders are not walked again, and only those files are read, when they are notes or attachments of the
    /// content folder. Anything else (a folder, settings, templates) means a full look.
    pub fn rebuild_after(&mut self, paths: Option<&[PathBuf]>) -> Rebuilt {
        self.rebuild_with(paths.map(|paths| Changes { paths, read: &[] }))
    }

    /// [`rebuild_after`](Preview::rebuild_after) the `changes`, whose files the caller may have read already: those
    /// are not read again.
    pub fn rebuild_with(&mut self, changes: Option<Changes<'_>>) -> Rebuilt {
        let started = Instant::now();
        let mut next = match self.build(changes) {
            Ok(snapshot) => snapshot,
            Err(error) => {
                let diagnostic = match error.downcast_ref::<ConfigError>() {
                    Some(ConfigError::Parse { line, column, message, .. }) => {
                        Diagnostic::new("loam.toml", *line, Severity::Error, Kind::Other, message.clone())
                            .column(*column)
                    }
                    _ => Diagnostic::new("loam.toml", 0, Severity::Error, Kind::Other, format!("{error:#}")),
                }
                .at_root()
                .hint("fix it and save; until then the last good site is served");
                let mut gathered = self.current.diagnostics().to_vec();
                gathered.push(diagnostic.clone());
                Snapshot {
                    version: 0,
                    base_path: self.current.base_path.clone(),
                    root: self.current.root.clone(),
                    title: self.current.title.clone(),
                    files: self.current.files.clone(),
                    site: self.current.site.clone(),
                    rendered: Mutex::new(lock(&self.current.rendered).clone()),
                    fingerprint: self.current.fingerprint ^ 1,
                    history: self.current.history,
                    errors: vec![diagnostic],
                    gathered,
                    sorted: OnceLock::new(),
                    published: OnceLock::new(),
                    by_path: OnceLock::new(),
                    notes: self.current.notes,
                    search: self.search.clone(),
                }
            }
        };
        let changed = self.current.version == 0
            || next.fingerprint != self.current.fingerprint
            || next.errors != self.current.errors
            || next.base_path != self.current.base_path;
        next.version = if changed { self.current.version + 1 } else { self.current.version };
        let history_changed = next.history != self.current.history;
        if !changed && !history_changed {
            // Nothing the pages are made from changed: keep the pages rendered so far.
            next.rendered = Mutex::new(std::mem::take(&mut *lock(&self.current.rendered)));
        }
        self.current = Arc::new(next);
        let searchable = self.current.site.as_ref().is_some_and(|live| live.borrow_owner().config.search);
        if changed && searchable {
            self.search.index(self.current.clone());
        }
        Rebuilt { snapshot: self.current.clone(), changed, history_changed, took: started.elapsed() }
    }

    /// The parsed-note cache, which the living garden also gives the history's contributions
    /// ([`NoteCache::give_history`]).
    pub fn cache(&self) -> &NoteCache {
        &self.cache
    }

    fn build(&mut self, changes: Option<Changes<'_>>) -> anyhow::Result<Snapshot> {
        let mut timings = pipeline::Timings::new(Instant::now());
        let layout = Layout::discover(&self.garden, None)?;
        let mut config = layout.config()?;
        self.layout = Some(layout.clone());
        config.drafts |= self.overrides.drafts;
        if let Some(url) = &self.overrides.base_url {
            config.set_base_url(url.clone());
        }
        // `--base-url` with a host is where the preview is reached; a path alone only moves it.
        let reached_at = self.overrides.base_url.as_ref().is_some_and(|url| url.contains("://"));
        let base_path = preview_config(&mut config, self.address, reached_at);
        let options = RenderOptions { live_reload: true };
        let title = config.title.clone();
        let changed = changes.as_ref().map(|c| c.paths);
        let mut garden = pipeline::gather(&layout, config, &ProgressBar::hidden(), Some(&self.cache), changes)?;
        timings.lap("scan and parse (changed notes only)");
        let gathered = std::mem::take(&mut garden.diagnostics);
        let fingerprint = key_of(&Inputs::of(&garden, &mut self.stamps, changed));
        let history = key_of(&garden.history);
        timings.lap("fingerprint");
        let notes = garden.notes.len();
        let memo = &self.resolved;
        let rendering = &self.rendering;
        let live = LiveSite::new(garden, |garden| {
            let site = Site::with_memo(
                &garden.config,
                &garden.notes,
                &garden.modified,
                &garden.history,
                &garden.attachment_paths,
                Some(memo),
            )
            .with_image_sizes(&garden.image_sizes)
            .with_fonts(&garden.fonts);
            timings.lap("resolve links and make the site model");
            let kept = Some((rendering, garden.templates_hash));
            let prepared = Prepared::with_patterns(&site, &garden.templates, options, false, kept);
            let pages = rendering.pages(&site);
            timings.lap("prepare rendering");
            Live { site, prepared, pages }
        });
        // Only the errors now (they are shown over every page); every problem when asked for.
        let is_error = |d: &&Diagnostic| d.severity == Severity::Error;
        let mut errors: Vec<Diagnostic> = (gathered.iter().chain(live.borrow_owner().note_diagnostics()))
            .filter(is_error)
            .cloned()
            .chain(live.borrow_dependent().site.errors())
            .collect();
        errors.sort();
        errors.dedup();
        let files = live
            .borrow_owner()
            // A note may gain a formula or a diagram while the preview runs: it serves every library.
            .assets(&live.borrow_dependent().site.attachment_used, render::Libraries::ALL)
            .into_iter()
            .map(|file| {
                let served = match file.contents {
                    Contents::Bytes(bytes) => Served::Bytes(Bytes::from(bytes)),
                    Contents::Static(bytes) => Served::Bytes(Bytes::from_static(bytes)),
                    Contents::Copy(path) => Served::File(path),
                };
                (file.path, served)
            })
            .collect();
        timings.lap("assets and errors");
        Ok(Snapshot {
            version: 0,
            base_path,
            root: Some(layout.root.clone()),
            title,
            files,
            site: Some(Arc::new(live)),
            rendered: Mutex::new(HashMap::new()),
            fingerprint,
            history,
            errors,
            gathered,
            sorted: OnceLock::new(),
            published: OnceLock::new(),
            by_path: OnceLock::new(),
            notes,
            search: self.search.clone(),
        })
    }
}

/// What a garden's pages are made of, as far as telling whether a rebuild changed anything: the settings, the
/// templates, each note's path, bytes and modification time, and the size and time of each attachment and static
/// file (served from disk as they are). Its [`key_of`] is the snapshot's fingerprint.
#[derive(Hash)]
struct Inputs<'g> {
    config: &'g Config,
    templates: u64,
    notes: Vec<(&'g str, u64, Option<SystemTime>)>,
    files: Vec<(&'g str, Stamp)>,
}

/// A served file's size and modification time (`None`: it could not be looked at).
type Stamp = Option<(u64, Option<SystemTime>)>;

impl<'g> Inputs<'g> {
    /// The inputs of `garden`. A file's stamp is looked up on disk only when it is new to `stamps` or among the
    /// changed paths; `stamps` is left holding the garden's files, so a save does not look at every attachment.
    fn of(garden: &'g Gathered, stamps: &mut HashMap<PathBuf, Stamp>, changed: Option<&[PathBuf]>) -> Inputs<'g> {
        match changed {
            Some(paths) => {
                for path in paths {
                    stamps.remove(path);
                }
            }
            None => stamps.clear(),
        }
        let mut kept = std::mem::take(stamps);
        let files = garden
            .attachments
            .iter()
            .map(|a| (&a.path, &a.file))
            .chain(garden.static_files.iter().map(|(n, f)| (n, f)));
        let files = files
            .map(|(name, file)| {
                let stamp = kept
                    .remove(file)
                    .unwrap_or_else(|| std::fs::metadata(file).ok().map(|meta| (meta.len(), meta.modified().ok())));
                stamps.insert(file.clone(), stamp);
                (name.as_str(), stamp)
            })
            .collect();
        let notes = garden.notes.iter().zip(&garden.hashes).zip(&garden.modified);
        Inputs {
            config: &garden.config,
            templates: garden.templates_hash,
            notes: notes.map(|((note, hash), modified)| (note.path.as_str(), *hash, *modified)).collect(),
            files,
        }
    }
}

/// Points the site's absolute URLs at the preview, keeping the base URL's path so that a site meant for a
/// sub-path (`https://example.org/garden/`) is previewed under that path too; with `keep_base_url`
/// (`--base-url` naming where the preview is reached) they stay as they are. Returns the base path.
pub fn preview_config(config: &mut Config, address: SocketAddr, keep_base_url: bool) -> String {
    let base_path = config.base_path();
    if !keep_base_url {
        config.base_url = format!("http://{address}{base_path}");
    }
    config.history_views =
        if config.show_history { crate::config::HistoryViews::Served } else { crate::config::HistoryViews::None };
    base_path
}

/// How many of the warnings a save brings or removes are printed; the rest are counted.
const CHANGED_WARNINGS_SHOWN: usize = 5;

/// Prints the warnings that `after` has and `before` had not ("1 new warning: …"), and those it no longer has
/// ("2 warnings gone: …"). A warning is told apart by its file, kind and message, not its line: a line written
/// above a broken link moves it without making it new.
pub fn log_changed_warnings(before: &Snapshot, after: &Snapshot, paths: &crate::cmd::Paths) {
    let key = |d: &Diagnostic| {
        let mut hash = xxhash_rust::xxh3::Xxh3::new();
        hash.update(d.path.as_bytes());
        hash.update(&[0, d.kind as u8, d.base as u8]);
        hash.update(d.message.as_bytes());
        hash.digest()
    };
    let warnings = |s: &Snapshot| -> Vec<Diagnostic> {
        s.diagnostics().iter().filter(|d| d.severity == Severity::Warning).cloned().collect()
    };
    // Each side's warnings less as many of each as the other side has.
    let beyond = |these: &[Diagnostic], those: &[Diagnostic]| -> Vec<Diagnostic> {
        let mut left: HashMap<u64, usize> = HashMap::new();
        for d in those {
            *left.entry(key(d)).or_default() += 1;
        }
        these
            .iter()
            .filter(|d| match left.get_mut(&key(d)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            })
            .cloned()
            .collect()
    };
    let (old, new) = (warnings(before), warnings(after));
    for (changed, what) in [(beyond(&new, &old), "new"), (beyond(&old, &new), "gone")] {
        if changed.is_empty() {
            continue;
        }
        let noun = if changed.len() == 1 { "warning" } else { "warnings" };
        let mut text = match what {
            "new" => format!("{} new {noun}:", changed.len()),
            _ => format!("{} {noun} gone:", changed.len()),
        };
        for d in changed.iter().take(CHANGED_WARNINGS_SHOWN) {
            text.push('\n');
            let _ = d.write(&mut text, paths.prefix(d), false);
        }
        if changed.len() > CHANGED_WARNINGS_SHOWN {
            text.push_str(&format!(
                "\n… and {} more (`loam check` lists every warning)",
                changed.len() - CHANGED_WARNINGS_SHOWN
            ));
        }
        tracing::info!("{text}");
    }
}

pub fn log_rebuild(rebuilt: &Rebuilt, paths: &[PathBuf], layout: Option<&Layout>) {
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
        tracing::info!(
            "{}: rebuilt in {} ms{}",
            shown(&what),
            rebuilt.took.as_millis(),
            match snapshot.errors.len() {
                0 => String::new(),
                n => format!(", {} (shown in the browser)", crate::cmd::plural(n, "error")),
            }
        );
        for error in &snapshot.errors {
            tracing::info!("{error}");
        }
    } else {
        tracing::info!("{}: rebuilt in {} ms, nothing changed", shown(&what), rebuilt.took.as_millis());
    }
}
