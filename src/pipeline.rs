//! The build pipeline, stage by stage: scan -> parse -> site -> render. Each file of the site goes to an `emit`
//! callback as soon as it is made: `cmd/build.rs` writes it, `cmd/check.rs` drops it, and the live preview will
//! keep it in memory.

use rustc_hash::FxHashMap as HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use std::time::SystemTime;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use xxhash_rust::xxh3::{xxh3_64, Xxh3};

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Kind, Severity};
use crate::garden::{Attachment, Layout, Listing, SourceFile};
use crate::lock;
use crate::note::{self, Note};
use crate::output::{Contents, OutputFile};
use crate::render::{self, RenderOptions, Templates};
use crate::search;
use crate::site::{Contributions, Site};

/// What a build found and made (the files themselves went to `emit`).
pub struct Built {
    /// Every problem, sorted by file and line.
    pub diagnostics: Vec<Diagnostic>,
    pub notes: usize,
    pub published: usize,
    pub pages: usize,
    pub started: Instant,
    /// Whether the build stopped before writing anything, at errors ([`Options::keep_going`]).
    pub stopped: bool,
}

/// How `build` runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub render: RenderOptions,
    /// Show progress bars (on a terminal).
    pub progress: bool,
    /// Write the rest of the site when a note cannot be published; else stop before writing anything.
    pub keep_going: bool,
}

/// A parsed note, the hash of its bytes, and the size and time of its file when it was read.
struct Cached {
    hash: u64,
    note: Arc<Note>,
    stamp: Option<(u64, SystemTime)>,
}

/// Parsed notes kept between the builds of `loam serve`, by path and content hash. A note's parse depends on its
/// bytes and the [`note::Settings`] only (see the invariants in `lib.rs`), so an entry whose hash matches
/// is the note a fresh parse would make: memoisation, with nothing to invalidate by hand.
#[derive(Default)]
pub struct NoteCache {
    /// The settings the entries were parsed with; a change empties the cache.
    settings: Mutex<Option<note::Settings>>,
    notes: Mutex<HashMap<String, Cached>>,
    /// The files the last build found, updated from the watcher's paths instead of walking again.
    listing: Mutex<Option<Listing>>,
    /// The compiled templates and their problems, by the hash of the garden's own templates.
    templates: Mutex<Option<KeptTemplates>>,
    /// The history's contributions by note path.
    history: Mutex<Option<KeptHistory>>,
}

/// Each note's contributions by its path.
pub type History = HashMap<String, Contributions>;

/// Where the contributions a build shows come from.
enum KeptHistory {
    /// Read from the bookkeeping on disk, whose files had these sizes and times: another process records.
    Read(HistoryStamp, Arc<History>),
    /// Given by whoever records the history in this process ([`NoteCache::give_history`]): nothing is read.
    Given(Arc<History>),
}

/// Which files a build is told changed since the last one with the same cache, and what the caller already read
/// of them.
#[derive(Clone, Copy)]
pub struct Changes<'a> {
    pub paths: &'a [PathBuf],
    pub read: &'a [SourceFile],
}

/// The size and modification time of each of the history's bookkeeping files (`None`: missing).
type HistoryStamp = [Option<(u64, Option<SystemTime>)>; 2];

/// (hash of the garden's own templates, the templates compiled, their problems)
type KeptTemplates = (u64, Arc<Templates>, Vec<Diagnostic>);

impl NoteCache {
    /// Starts a build with these settings: entries parsed under other ones are dropped.
    fn begin(&self, wanted: &note::Settings) {
        let mut settings = lock(&self.settings);
        if settings.as_ref() != Some(wanted) {
            lock(&self.notes).clear();
            *lock(&self.listing) = None;
            *settings = Some(wanted.clone());
        }
    }

    /// The note for these bytes: from the cache if they are the ones parsed last time, else parsed now.
    fn parse(&self, source: &SourceFile, settings: &note::Settings) -> (Arc<Note>, u64) {
        let hash = xxh3_64(&source.bytes);
        let stamp = source.modified.map(|time| (source.bytes.len() as u64, time));
        if let Some(known) = lock(&self.notes).get_mut(&source.path) {
            if known.hash == hash {
                known.stamp = stamp;
                return (known.note.clone(), hash);
            }
        }
        let note = Arc::new(note::parse(&source.path, &source.bytes, settings));
        lock(&self.notes).insert(source.path.clone(), Cached { hash, note: note.clone(), stamp });
        (note, hash)
    }

    /// The note at `path` as it was last read, with its file's time and its hash: for a note no change was seen to.
    fn cached(&self, path: &str) -> Option<(Arc<Note>, Option<SystemTime>, u64)> {
        let notes = lock(&self.notes);
        let known = notes.get(path)?;
        Some((known.note.clone(), known.stamp.map(|(_, time)| time), known.hash))
    }

    /// The note at `path` if its file has the size and time it had when it was read, without reading it. A
    /// time within the last two seconds is not trusted: on a file system that keeps whole seconds, a second
    /// save of the same size in the same second would look unchanged ("racy git").
    fn unchanged(&self, path: &str, metadata: &std::fs::Metadata) -> Option<(Arc<Note>, Option<SystemTime>, u64)> {
        let modified = metadata.modified().ok()?;
        let settled = SystemTime::now().duration_since(modified).is_ok_and(|age| age.as_secs() >= 2);
        let notes = lock(&self.notes);
        let known = notes.get(path)?;
        (settled && known.stamp == Some((metadata.len(), modified)))
            .then(|| (known.note.clone(), Some(modified), known.hash))
    }

    /// Forgets notes that are gone from the garden.
    fn keep_only(&self, notes: &[Arc<Note>]) {
        // Every note went through the cache on its way here, so when the counts agree nothing is gone.
        if lock(&self.notes).len() == notes.len() {
            return;
        }
        let present: std::collections::HashSet<&str> = notes.iter().map(|n| n.path.as_str()).collect();
        lock(&self.notes).retain(|path, _| present.contains(path.as_str()));
    }

    /// Changes the contributions builds with this cache show, as the process that records the history knows
    /// them: from then on they are never read from disk.
    pub fn give_history(&self, change: impl FnOnce(&mut History)) {
        let mut kept = lock(&self.history);
        let mut history = match kept.take() {
            Some(KeptHistory::Given(history)) => history,
            _ => Arc::default(),
        };
        change(Arc::make_mut(&mut history));
        *kept = Some(KeptHistory::Given(history));
    }

    pub fn len(&self) -> usize {
        lock(&self.notes).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The width and height of each attachment that is an image, read from the first bytes of its file (PNG, JPEG,
/// GIF, WebP, AVIF and others; not SVG), so that pages give each `<img>` its size and do not move as images come.
/// `None` where the file is not an image, cannot be read or says no size.
pub fn image_sizes(attachments: &[Attachment]) -> Vec<Option<(u32, u32)>> {
    /// What was read of each image, with its file's time and length then: the live preview gathers the garden at
    /// every save, and reads again only the images that changed (a stat each instead of an open and a read).
    type Known = (Option<SystemTime>, u64, Option<(u32, u32)>);
    static KNOWN: std::sync::LazyLock<Mutex<std::collections::HashMap<PathBuf, Known>>> =
        std::sync::LazyLock::new(Default::default);
    attachments
        .par_iter()
        .map(|a| {
            if !crate::markdown::is_image(&a.path) {
                return None;
            }
            let meta = std::fs::metadata(&a.file).ok()?;
            let stamp = (meta.modified().ok(), meta.len());
            let known = KNOWN.lock().unwrap_or_else(|e| e.into_inner()).get(&a.file).copied();
            if let Some((_, _, size)) = known.filter(|k| (k.0, k.1) == stamp) {
                return size;
            }
            let size = imagesize::size(&a.file).ok().and_then(|size| {
                let (w, h) = (u32::try_from(size.width).ok()?, u32::try_from(size.height).ok()?);
                (w > 0 && h > 0).then_some((w, h))
            });
            KNOWN.lock().unwrap_or_else(|e| e.into_inner()).insert(a.file.clone(), (stamp.0, stamp.1, size));
            size
        })
        .collect()
}

/// At most this many of `publish.css`'s fonts are preloaded: a page needs its text's regular and bold, not every
/// weight the stylesheet offers.
const MAX_PRELOADED_FONTS: usize = 3;

/// The attachments that the vault's `publish.css` (at the notes folder's root) refers to with `url(...)`: fonts and
/// images beside the notes, which a page needs as much as the stylesheet. Addresses elsewhere (`https:`, `data:`,
/// an absolute path) and those leading out of the notes folder are not files of the vault.
pub fn style_files(attachments: &[Attachment]) -> Vec<usize> {
    let Some(sheet) = attachments.iter().find(|a| a.path == crate::site::SITE_FILES[0]) else { return Vec::new() };
    let Ok(css) = std::fs::read_to_string(&sheet.file) else { return Vec::new() };
    let index: HashMap<&str, usize> = attachments.iter().enumerate().map(|(n, a)| (a.path.as_str(), n)).collect();
    let mut found = Vec::new();
    for (at, _) in css.match_indices("url(") {
        let rest = &css[at + 4..];
        let Some(end) = rest.find(')') else { break };
        let raw = rest[..end].trim().trim_matches(|c| c == '"' || c == '\'');
        let path = raw.split(['?', '#']).next().unwrap_or("");
        if path.is_empty() || path.starts_with('/') || path.contains(':') {
            continue;
        }
        let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        let mut parts: Vec<&str> = Vec::new();
        let mut inside = true;
        for part in decoded.split('/') {
            match part {
                "" | "." => {}
                ".." => inside &= parts.pop().is_some(),
                part => parts.push(part),
            }
        }
        if let Some(&n) = index.get(parts.join("/").as_str()).filter(|_| inside) {
            if !found.contains(&n) {
                found.push(n);
            }
        }
    }
    found
}

/// A garden read and parsed: everything its site is made from.
pub struct Gathered {
    pub config: Config,
    pub notes: Vec<Arc<Note>>,
    /// Modification time of each note's file.
    pub modified: Vec<Option<SystemTime>>,
    /// Hash of each note's bytes (0 when parsed without a cache).
    pub hashes: Vec<u64>,
    /// Each note's contributors and last edit from the garden's history: one per note, or none at all (no
    /// history, or `show_history = false`).
    pub history: Vec<Contributions>,
    pub attachments: Vec<Attachment>,
    pub attachment_paths: Vec<String>,
    /// Each attachment's width and height in pixels, when it is an image whose header says (see [`image_sizes`]).
    pub image_sizes: Vec<Option<(u32, u32)>>,
    /// The attachments the vault's `publish.css` refers to (its fonts, its images): published with it.
    pub style_files: Vec<usize>,
    /// Of those, the fonts (WOFF2), which pages preload: paths relative to the content folder.
    pub fonts: Vec<String>,
    pub templates: Arc<Templates>,
    /// The garden's own `static/` files, by name.
    pub static_files: Vec<(String, PathBuf)>,
    /// Problems of reading the files and of the templates; each note's own are in the note
    /// ([`Gathered::note_diagnostics`]).
    pub diagnostics: Vec<Diagnostic>,
    /// Hash of the garden's own templates, for telling whether anything changed.
    pub templates_hash: u64,
}

impl Gathered {
    /// The problems of the notes, in the notes' order.
    pub fn note_diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.notes.iter().flat_map(|note| note.diagnostics.iter())
    }

    /// The static assets (built-in, replaced by the garden's own of the same name) and the attachments that
    /// published notes use, as files of the site.
    /// The site's static files (without the libraries it does not need) and the attachments its notes use.
    pub fn assets(&self, attachment_used: &[bool], needed: render::Libraries) -> Vec<OutputFile> {
        let mut files = Vec::new();
        // `[highlight]` themes of the garden's choosing: their colours instead of the built-in ones (checked when
        // loam.toml was read; a failure here keeps the built-in colours).
        let highlight = self.config.highlight.stylesheet().and_then(Result::ok);
        for (name, bytes) in render::static_files() {
            if !self.static_files.iter().any(|(own, _)| own == name) && needed.has(name) {
                let contents = match &highlight {
                    Some(css) if name == "highlight.css" => Contents::Bytes(css.clone().into_bytes()),
                    _ => Contents::Static(bytes),
                };
                files.push(OutputFile { path: format!("static/{name}"), contents });
            }
        }
        for (name, file) in &self.static_files {
            files.push(OutputFile { path: format!("static/{name}"), contents: Contents::Copy(file.clone()) });
        }
        for (n, (attachment, used)) in self.attachments.iter().zip(attachment_used).enumerate() {
            if *used || self.style_files.contains(&n) {
                files.push(OutputFile {
                    path: attachment.path.clone(),
                    contents: Contents::Copy(attachment.file.clone()),
                });
            }
        }
        files
    }
}

/// Reads and parses the garden at `layout`: the first stages of the pipeline, shared by `build` and `serve`. With
/// a `cache`, notes whose bytes did not change since the last call with that cache are not parsed again.
pub fn gather(
    layout: &Layout,
    config: Config,
    bar: &ProgressBar,
    cache: Option<&NoteCache>,
    changes: Option<Changes<'_>>,
) -> anyhow::Result<Gathered> {
    let settings = note::Settings::of(&config);
    if let Some(cache) = cache {
        cache.begin(&settings);
    }
    // Each note is parsed as soon as it is read, while the walk goes on; compiling the templates is serial
    // work done meanwhile.
    // Symbolic links out of the garden among the templates and static files, skipped.
    let mut outside = Vec::new();
    let overrides = layout.template_overrides(&mut outside)?;
    let mut templates_hash = Xxh3::new();
    for (name, text) in &overrides {
        templates_hash.update(name.as_bytes());
        templates_hash.update(&[0]);
        templates_hash.update(text.as_bytes());
        templates_hash.update(&[0]);
    }
    let templates_hash = templates_hash.digest();
    // Compiled templates depend on their text alone: the live preview keeps them while it is the same.
    let kept_templates = cache.and_then(|cache| {
        lock(&cache.templates)
            .as_ref()
            .filter(|(hash, _, _)| *hash == templates_hash)
            .map(|(_, t, p)| (t.clone(), p.clone()))
    });
    let known = |path: &str, metadata: &std::fs::Metadata| cache.and_then(|cache| cache.unchanged(path, metadata));
    let each = |source: SourceFile| {
        let (note, hash) = match cache {
            Some(cache) => cache.parse(&source, &settings),
            None => (Arc::new(note::parse(&source.path, &source.bytes, &settings)), 0),
        };
        bar.inc(1);
        (note, source.modified, hash)
    };
    // With the watcher's paths, the last walk is updated instead of walking again, and only the notes at those
    // paths are read.
    let listed = match (cache, changes) {
        (Some(cache), Some(changes)) => lock(&cache.listing).take().and_then(|mut listing| {
            let changed = layout.update_listing(&mut listing, changes.paths)?;
            Some((listing, changed))
        }),
        _ => None,
    };
    let (scan, templates) = rayon::join(
        || match (cache, listed) {
            (Some(cache), Some((listing, changed))) => {
                let known = |path: &str| if changed.contains(path) { None } else { cache.cached(path) };
                let read: HashMap<&str, &SourceFile> =
                    changes.iter().flat_map(|c| c.read).map(|file| (file.path.as_str(), file)).collect();
                let given = |path: &str| read.get(path).map(|file| (*file).clone());
                let scan = layout.read_listing(&listing, each, &known, &given);
                *lock(&cache.listing) = Some(listing);
                Ok(scan)
            }
            (Some(cache), None) => {
                let scan = layout.scan_with(each, Some(&known));
                if let Ok(scan) = &scan {
                    *lock(&cache.listing) = Some(scan.listing.clone());
                }
                scan
            }
            (None, _) => layout.scan(each),
        },
        || {
            kept_templates.unwrap_or_else(|| {
                let mut problems = Vec::new();
                let templates = Arc::new(Templates::new(&overrides, &mut problems));
                if let Some(cache) = cache {
                    *lock(&cache.templates) = Some((templates_hash, templates.clone(), problems.clone()));
                }
                (templates, problems)
            })
        },
    );
    let (templates, template_problems) = templates;
    let scan = scan?;
    let mut diagnostics = scan.diagnostics;
    diagnostics.extend(template_problems);
    let static_files = layout.static_files(&mut outside);
    // A misspelt key of `[strings]` would be silently ignored.
    for key in config.strings.keys().filter(|key| !crate::render::strings::is_key(key)) {
        diagnostics.push(
            Diagnostic::new("loam.toml", 0, Severity::Warning, Kind::Other, format!("`[strings]` has no word `{key}`"))
                .at_root()
                .hint("the keys are listed in templates/CONTEXT.md (`strings`)"),
        );
    }
    diagnostics.append(&mut outside);
    let mut notes = Vec::with_capacity(scan.notes.len());
    let mut modified = Vec::with_capacity(scan.notes.len());
    let mut hashes = Vec::with_capacity(scan.notes.len());
    for (note, time, hash) in scan.notes {
        notes.push(note);
        modified.push(time);
        hashes.push(hash);
    }
    if let Some(cache) = cache {
        cache.keep_only(&notes);
    }
    let attachment_paths = scan.attachments.iter().map(|a| a.path.clone()).collect();
    let image_sizes = image_sizes(&scan.attachments);
    let style_files = style_files(&scan.attachments);
    let fonts = style_files
        .iter()
        .map(|&a| scan.attachments[a].path.clone())
        .filter(|path| path.to_ascii_lowercase().ends_with(".woff2"))
        .take(MAX_PRELOADED_FONTS)
        .collect();
    let history = if config.show_history { history_of(layout, cache, &notes) } else { Vec::new() };
    Ok(Gathered {
        config,
        notes,
        modified,
        hashes,
        history,
        attachments: scan.attachments,
        attachment_paths,
        image_sizes,
        style_files,
        fonts,
        templates,
        static_files,
        diagnostics,
        templates_hash,
    })
}

/// Each note's contributions from the garden's history, in the notes' order; empty when the garden has no
/// history. Given by the process recording it, if it is this one ([`NoteCache::give_history`]); else read from
/// the bookkeeping (`store::contributions_of`), with a cache only when its files changed.
fn history_of(layout: &Layout, cache: Option<&NoteCache>, notes: &[Arc<Note>]) -> Vec<Contributions> {
    let given = cache.and_then(|cache| match lock(&cache.history).as_ref() {
        Some(KeptHistory::Given(history)) => Some(history.clone()),
        _ => None,
    });
    let by_path = match given {
        Some(history) => history,
        None => {
            let dir = layout.root.join(".loam");
            let stamp = |name: &str| std::fs::metadata(dir.join(name)).ok().map(|m| (m.len(), m.modified().ok()));
            let stamps = [stamp("local.json"), stamp("local.log")];
            if stamps == [None, None] {
                return Vec::new();
            }
            let known = cache.and_then(|cache| match lock(&cache.history).as_ref() {
                Some(KeptHistory::Read(known, by_path)) if *known == stamps => Some(by_path.clone()),
                _ => None,
            });
            known.unwrap_or_else(|| {
                let read: History = crate::store::contributions_of(&layout.root)
                    .into_iter()
                    .map(|(path, authorship)| (path, contributions(authorship)))
                    .collect();
                let read = Arc::new(read);
                if let Some(cache) = cache {
                    *lock(&cache.history) = Some(KeptHistory::Read(stamps, read.clone()));
                }
                read
            })
        }
    };
    notes.iter().map(|note| by_path.get(&note.path).cloned().unwrap_or_default()).collect()
}

/// What pages show of a note's [`Authorship`](crate::store::Authorship).
pub fn contributions((authors, edited): crate::store::Authorship) -> Contributions {
    let edited = chrono::DateTime::from_timestamp(edited, 0).filter(|_| edited > 0);
    Contributions { authors, edited: edited.map(|d| d.fixed_offset()) }
}

/// Runs the whole pipeline on the garden at `layout`.
pub fn build(
    layout: &Layout,
    config: &Config,
    options: Options,
    emit: &(dyn Fn(OutputFile) + Sync),
) -> anyhow::Result<Built> {
    let started = Instant::now();
    let mut timings = Timings::new(started);
    // The count of notes is known only once the walk ends: while it goes on, a count of the notes read; then a
    // bar of the pages to render, whose total is known before the first.
    let counter = match options.progress {
        true => ProgressBar::new_spinner()
            .with_style(
                ProgressStyle::with_template("{prefix:>9} {pos} notes")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            )
            .with_prefix("reading"),
        false => ProgressBar::hidden(),
    };
    let mut garden = gather(layout, config.clone(), &counter, None, None)?;
    counter.finish_and_clear();
    let mut diagnostics = std::mem::take(&mut garden.diagnostics);
    diagnostics.extend(garden.note_diagnostics().cloned());
    timings.lap("scan and parse");

    // The history is published only when asked for, and only where there is one.
    if garden.config.history.publish && layout.root.join(".loam").join("docs").is_dir() {
        garden.config.history_views = crate::config::HistoryViews::Built;
    }
    let site = Site::new(&garden.config, &garden.notes, &garden.modified, &garden.history, &garden.attachment_paths)
        .with_image_sizes(&garden.image_sizes)
        .with_fonts(&garden.fonts);
    diagnostics.extend(site.diagnostics());
    diagnostics.extend(relative_base_url(layout, &site));
    timings.lap("resolve links and make the site model");
    let published = site.published_notes().count();
    let note_count = garden.notes.len();
    if !options.keep_going && diagnostics.iter().any(|d| d.severity == Severity::Error) {
        diagnostics.par_sort();
        diagnostics.dedup();
        drop(site);
        return Ok(Built { diagnostics, notes: note_count, published, pages: 0, started, stopped: true });
    }
    // Drawn first when the renderer sets its total.
    let bar = match options.progress {
        true => ProgressBar::new(0)
            .with_style(
                ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos}/{len} pages")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            )
            .with_prefix("rendering"),
        false => ProgressBar::hidden(),
    };
    let pages = AtomicUsize::new(0);
    let count_page = |file: OutputFile| {
        pages.fetch_add(1, Ordering::Relaxed);
        emit(file);
    };
    let history = if site.config.history_views == crate::config::HistoryViews::Built {
        let (history, problems) = published_history(layout, &site, &count_page);
        diagnostics.extend(problems);
        timings.lap("read and write the history to publish");
        Some(history)
    } else {
        None
    };
    // Each note's text goes to the search index as its page renders; the index is made once they are all in.
    let search = garden.config.search.then(|| search::Indexer::start(&garden.config.language));
    diagnostics.extend(render::render_site(
        &site,
        &garden.templates,
        options.render,
        search.as_ref(),
        history.as_ref(),
        &bar,
        &count_page,
    ));
    timings.lap("render and write pages");
    if let Some(search) = search {
        search.finish_into(&emit);
        timings.lap("search index");
    }

    let mut libraries = render::Libraries::of(site.published_notes().map(|i| site.notes[i].body.html.as_str()));
    libraries.history = history.is_some();
    for file in garden.assets(&site.attachment_used, libraries) {
        emit(file);
    }
    bar.finish_and_clear();
    let pages = pages.into_inner();

    diagnostics.par_sort();
    diagnostics.dedup();
    timings.lap("static files, attachments, sorting the diagnostics");
    // Freeing tens of thousands of parsed notes takes a while; let a worker do it while the caller goes on.
    drop(site);
    rayon::spawn(move || drop(garden));
    Ok(Built { diagnostics, notes: note_count, published, pages, started, stopped: false })
}

/// The version of what a build keeps of each note's published history (see `published_history`).
const BUILT_FORMAT: u32 = 2;

/// What the shown versions of a note link to, as written ([`crate::markdown::written_links`]: each key and
/// whether it is a Markdown link's destination), and their tags, each once.
#[derive(serde::Serialize, serde::Deserialize)]
struct Written {
    links: Vec<(String, bool)>,
    tags: Vec<String>,
}

impl Written {
    fn of(versions: &[crate::store::Version]) -> Written {
        let mut links = std::collections::BTreeSet::new();
        let mut tags = std::collections::BTreeSet::new();
        for version in versions {
            links.extend(crate::markdown::written_links(&version.text).into_iter().map(|l| (l.key, l.markdown)));
            tags.extend(crate::markdown::written_tags(&version.text));
        }
        Written {
            links: links.into_iter().map(|(key, markdown)| (key.to_string(), markdown)).collect(),
            tags: tags.into_iter().map(str::to_string).collect(),
        }
    }
}

/// A link written as `key` (a Markdown link's destination if `markdown`, percent-encoded) as the site resolves it.
fn link_target(key: &str, markdown: bool) -> crate::note::Target {
    let decoded = match markdown {
        true => percent_encoding::percent_decode_str(key).decode_utf8_lossy().into_owned(),
        false => key.to_string(),
    };
    let (target, fragment) = match decoded.split_once('#') {
        Some((target, fragment)) => (target.trim().to_string(), Some(fragment.trim().to_string())),
        None => (decoded.trim().to_string(), None),
    };
    crate::note::Target { kind: crate::markdown::LinkKind::Link, target, fragment }
}

/// The links of `links` that go to notes that are not published (`goes`, [`Site::with_relinker`]).
fn hidden_of(links: &[(String, bool)], goes: &[Result<Option<String>, ()>]) -> Vec<(String, bool)> {
    links.iter().zip(goes).filter(|(_, go)| go.is_err()).map(|(link, _)| link.clone()).collect()
}

/// `versions` with each link to an unpublished note (`hidden`) replaced by `label`, as the note's page shows it:
/// nothing of a note that is not published is published, not even its name in another's history.
fn without_hidden_links(
    mut versions: Vec<crate::store::Version>,
    hidden: &[(String, bool)],
    label: &str,
) -> Vec<crate::store::Version> {
    if hidden.is_empty() {
        return versions;
    }
    for version in &mut versions {
        let text = &version.text;
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for link in crate::markdown::written_links(text) {
            if hidden.iter().any(|(key, markdown)| key == link.key && *markdown == link.markdown) {
                out.push_str(&text[at..link.span.start]);
                out.push_str(label);
                at = link.span.end;
            }
        }
        out.push_str(&text[at..]);
        version.text = out;
    }
    versions
}

/// A note's history file (`render::history::versions_json`) with where its versions' links and tags go in the
/// site as it is (`links`: a URL, or null for a link to nothing; `tags`: by lower-case name, those with a page)
/// and whether a line break in a paragraph is one (`breaks`), for `static/history.js` to show a past version as
/// its page was. Made at every build: the site changes under a note's history.
fn with_links(site: &Site, file: &[u8], written: &Written, goes: &[Result<Option<String>, ()>]) -> Vec<u8> {
    let links: serde_json::Map<String, serde_json::Value> = (written.links.iter().zip(goes))
        .filter_map(|((key, _), go)| Some((key.clone(), serde_json::json!(go.as_ref().ok()?))))
        .collect();
    let tags: serde_json::Map<String, serde_json::Value> = (written.tags.iter())
        .filter_map(|name| {
            let tag = site.tags.get(&crate::slug::key(name))?;
            Some((name.to_lowercase(), serde_json::json!(site.url(&tag.url))))
        })
        .collect();
    let breaks = !site.config.strict_line_breaks.unwrap_or(false);
    let extra = serde_json::json!({ "links": links, "tags": tags, "breaks": breaks }).to_string();
    // Both are JSON objects: the fields go in before the file's closing brace.
    let mut out = Vec::with_capacity(file.len() + extra.len());
    out.extend_from_slice(&file[..file.len() - 1]);
    out.push(b',');
    out.extend_from_slice(&extra.as_bytes()[1..]);
    out
}

/// A warning when the site's base URL has no scheme and host (`/`, as `loam init` writes it; `garden/`): the
/// sitemap and the feed must list whole addresses, and can only list paths (`/first-note/`), which search engines
/// and feed readers cannot follow. Pages themselves work at any address.
fn relative_base_url(layout: &Layout, site: &Site) -> Option<Diagnostic> {
    let url = site.config.base_url.as_str();
    if url.contains("://") || site.published_notes().next().is_none() {
        return None;
    }
    let written = std::fs::read_to_string(layout.root.join("loam.toml")).unwrap_or_default();
    let line = written.lines().position(|l| l.trim_start().starts_with("base_url")).map_or(0, |n| n + 1);
    let example = site.published_notes().next().map(|i| site.note_url(i).to_string()).unwrap_or_default();
    let message = format!(
        "base_url `{url}` has no scheme and host: the sitemap and the feed will list addresses like `{example}`, \
         which search engines and feed readers cannot follow"
    );
    let hint = "set base_url = \"https://your.site/\" in loam.toml where the site will be published, or build with \
                --base-url URL";
    Some(Diagnostic::new("loam.toml", line, Severity::Warning, Kind::Other, message).at_root().hint(hint))
}

/// How many of the index document's changes that moved or deleted notes a built site's recent changes look at.
const INDEX_EVENTS: usize = 1000;

/// What `loam build` publishes of the garden's history (`[history] publish = true`): each published note's
/// versions in which it was published, none redacted, without `%%comments%%`, handed to `emit` as the file of its
/// history (`render::history::versions_json`) as soon as they are read, so that no more than a few notes' versions
/// are in memory at once; and for the recent changes, their edits, the moves of published notes and the deletions
/// of notes whose last version was published. Read from the store beside a `loam serve` that may be running; the
/// versions of each edited note come from what the store keeps ready (`store/versions.rs`), read from its
/// document only when that is missing or stale.
fn published_history(
    layout: &Layout,
    site: &Site,
    emit: &(dyn Fn(OutputFile) + Sync),
) -> (render::history::Published, Vec<Diagnostic>) {
    use crate::history;
    let mut problems = Vec::new();
    let store = match crate::store::Store::open_read_only(&layout.root) {
        Ok(store) => store,
        Err(error) => {
            let problem = Diagnostic::new(".loam", 0, Severity::Warning, Kind::Other, format!("{error:#}"))
                .at_root()
                .hint("the site is built without its history");
            return (render::history::Published::default(), vec![problem]);
        }
    };
    let mode = site.config.publish_mode;
    // What a note's published history depends on besides its versions and their redactions: what is kept of it
    // from the last build is used only if these are the same (`store/built.rs`). A change to what this function
    // or `render::history::versions_json` makes of the versions bumps BUILT_FORMAT.
    let salt = format!("{BUILT_FORMAT} {} {mode:?}", env!("CARGO_PKG_VERSION"));
    let shown = |versions: Vec<crate::store::Version>, doc: &str| -> Vec<crate::store::Version> {
        let versions = history::unredacted(versions, &store.redacted_of(doc));
        // A note's versions mostly share their frontmatter: it is read once for them.
        let read: std::cell::RefCell<Option<(String, bool)>> = Default::default();
        let publishes = |text: &str| {
            let front = crate::note::split_frontmatter(text).0.unwrap_or_default();
            if let Some((known, published)) = &*read.borrow() {
                if known == front {
                    return *published;
                }
            }
            let published = crate::note::publishes(text, mode);
            *read.borrow_mut() = Some((front.to_string(), published));
            published
        };
        let mut versions = history::shown(versions, publishes);
        for version in &mut versions {
            if let std::borrow::Cow::Owned(text) = crate::markdown::without_comments(&version.text) {
                version.text = text;
            }
        }
        versions
    };
    let hidden_label = render::strings::text(site.config, "unpublished");
    let salt = format!("{salt} {hidden_label}");
    let read: Vec<(Vec<history::Happened>, Option<Diagnostic>)> = site.with_relinker(|relink| {
        (0..site.notes.len())
            .into_par_iter()
            .map(|i| {
                let path = &site.notes[i].path;
                let Some(entry) = store.entry(path).filter(|_| site.published[i]) else { return (Vec::new(), None) };
                let goes = |links: &[(String, bool)]| {
                    let targets: Vec<crate::note::Target> =
                        links.iter().map(|(key, markdown)| link_target(key, *markdown)).collect();
                    relink(i, &targets)
                };
                let emit_file = |file: &[u8], written: &Written, goes: &[Result<Option<String>, ()>]| {
                    if !file.is_empty() {
                        let file = with_links(site, file, written, goes);
                        emit(OutputFile::bytes(render::history::versions_file(&site.urls[i]), file));
                    }
                };
                // What the last build made of this note, if nothing it depends on changed since: neither the note
                // nor which of the notes it ever linked to are unpublished (their names were taken out of it).
                let (key, kept) = store.built_history(path, &salt).unzip();
                if let Some([written, hidden, file, edits]) = kept.flatten().as_deref() {
                    let written: Option<Written> = serde_json::from_slice(written).ok();
                    let hidden: Option<Vec<(String, bool)>> = serde_json::from_slice(hidden).ok();
                    let edits: Option<Vec<history::Happened>> = serde_json::from_slice(edits).ok();
                    if let (Some(written), Some(hidden), Some(mut edits)) = (written, hidden, edits) {
                        let now = goes(&written.links);
                        if hidden_of(&written.links, &now) == hidden {
                            emit_file(file, &written, &now);
                            edits.iter_mut().for_each(|edit| edit.path = path.clone());
                            return (edits, None);
                        }
                    }
                }
                let versions = match store.history(path) {
                    Ok(versions) => shown(versions, &entry.doc),
                    Err(error) => {
                        let problem = Diagnostic::new(path, 0, Severity::Warning, Kind::Other, format!("{error:#}"))
                            .hint("its history is not published; `loam repair` mends a damaged history");
                        return (Vec::new(), Some(problem));
                    }
                };
                let written = Written::of(&versions);
                let now = goes(&written.links);
                let hidden = hidden_of(&written.links, &now);
                let versions = without_hidden_links(versions, &hidden, hidden_label);
                let steps = history::steps(versions);
                let (file, edits) = if steps.is_empty() {
                    (Vec::new(), Vec::new())
                } else {
                    let runs = history::edit_runs(&steps);
                    (render::history::versions_json(&steps, &runs), history::happened_in(path, &steps, runs))
                };
                let parts = (serde_json::to_vec(&written), serde_json::to_vec(&hidden), serde_json::to_vec(&edits));
                if let (Some(key), (Ok(written), Ok(hidden), Ok(edits))) = (key, parts) {
                    store.keep_built_history(path, key, &[&written, &hidden, &file, &edits]);
                }
                emit_file(&file, &written, &now);
                (edits, None)
            })
            .collect()
    });
    let mut happened = Vec::new();
    for (edits, problem) in read {
        happened.extend(edits);
        problems.extend(problem);
    }
    // Moves of notes published now; deletions of notes whose last version shown was published.
    let published_at: HashMap<&str, usize> = site.published_notes().map(|i| (site.notes[i].path.as_str(), i)).collect();
    let path_of: HashMap<&str, &str> =
        store.paths().filter_map(|path| Some((store.entry(path)?.doc.as_str(), path))).collect();
    for event in store.index_events(INDEX_EVENTS).unwrap_or_default() {
        let now = path_of.get(event.doc.as_str()).copied();
        let change = event.hash.to_string()[..8].to_string();
        let (what, path) = match (&event.from, &event.to) {
            (Some(from), Some(to)) if now.is_some_and(|now| published_at.contains_key(now)) => {
                (history::What::Moved { from: from.clone() }, to.clone())
            }
            (Some(from), None) if now.is_none() => {
                let last_published = store
                    .versions_of_doc(&event.doc)
                    .map(|versions| history::unredacted(versions, &store.redacted_of(&event.doc)))
                    .is_ok_and(|versions| versions.last().is_some_and(|last| crate::note::publishes(&last.text, mode)));
                if !last_published {
                    continue;
                }
                (history::What::Deleted, from.clone())
            }
            _ => continue,
        };
        happened.push(history::Happened { time: event.time, author: event.author, path, change, what });
    }
    (render::history::Published { happened }, problems)
}

/// Phase durations on stderr when `LOAM_TIMINGS` is set, for finding where a slow build spends its time: the
/// wall time of each phase and the CPU time all threads spent in it (CPU time below wall time times the number of
/// cores means cores sat idle).
pub struct Timings {
    enabled: bool,
    last: Instant,
    last_cpu: (f64, f64),
}

impl Timings {
    pub fn new(started: Instant) -> Timings {
        Timings { enabled: std::env::var_os("LOAM_TIMINGS").is_some(), last: started, last_cpu: (0.0, 0.0) }
    }

    pub fn lap(&mut self, phase: &str) {
        if self.enabled {
            let now = Instant::now();
            let cpu = crate::platform::cpu_seconds();
            tracing::info!(
                "{:>8.1} ms  CPU {:>6.1} ms user {:>6.1} ms system  RSS {:>5} MiB  {phase}",
                (now - self.last).as_secs_f64() * 1000.0,
                (cpu.0 - self.last_cpu.0) * 1000.0,
                (cpu.1 - self.last_cpu.1) * 1000.0,
                crate::platform::resident_mib()
            );
            self.last = now;
            self.last_cpu = cpu;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32, extra: usize) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        bytes.extend(w.to_be_bytes());
        bytes.extend(h.to_be_bytes());
        bytes.extend(vec![0; 9 + extra]);
        bytes
    }

    /// The preview gathers the garden at every save: an image is read again when it changed, not before.
    #[test]
    fn an_image_is_read_again_when_its_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pic.png");
        std::fs::write(&file, png(800, 400, 0)).unwrap();
        let attachments = [
            Attachment { path: "pic.png".into(), file: file.clone() },
            Attachment { path: "notes.txt".into(), file: dir.path().join("notes.txt") },
        ];
        assert_eq!(image_sizes(&attachments), [Some((800, 400)), None]);
        assert_eq!(image_sizes(&attachments), [Some((800, 400)), None]);
        std::fs::write(&file, png(30, 60, 5)).unwrap();
        assert_eq!(image_sizes(&attachments), [Some((30, 60)), None]);
        std::fs::remove_file(&file).unwrap();
        assert_eq!(image_sizes(&attachments), [None, None]);
    }
}
