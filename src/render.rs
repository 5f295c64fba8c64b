//! Pages from the site model: Tera templates (built in, or the garden's own by the same name) and the values
//! each template sees. Pure apart from reading nothing: the caller passes the garden's template texts in.
//!
//! `templates/CONTEXT.md` documents what templates see; keep it in step with the `json!` values here.

use pulldown_cmark_escape::escape_html as escape_html_into;
use rayon::prelude::*;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, OnceLock};
use tera::Tera;

use crate::diagnostic::{Diagnostic, Kind, Severity};
use crate::lock;
use crate::output::OutputFile;
use crate::page;
use crate::search::{self, Indexer};
use crate::site::{Model, Site};
use crate::slug::key;

mod graph;
mod pattern;

use pattern::{marker, Pattern, POISON};

/// The built-in templates, compiled into the binary.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("note.html", include_str!("../templates/note.html")),
    ("list.html", include_str!("../templates/list.html")),
    ("alias.html", include_str!("../templates/alias.html")),
    ("404.html", include_str!("../templates/404.html")),
    ("graph.html", include_str!("../templates/graph.html")),
    ("feed.xml", include_str!("../templates/feed.xml")),
    ("sitemap.xml", include_str!("../templates/sitemap.xml")),
];

/// The built-in assets, served under `static/`.
pub const STATIC: &[(&str, &[u8])] = &[
    ("style.css", include_bytes!("../static/style.css")),
    ("loam.js", include_bytes!("../static/loam.js")),
    ("search.js", include_bytes!("../static/search.js")),
    ("preview.js", include_bytes!("../static/preview.js")),
    ("explorer.js", include_bytes!("../static/explorer.js")),
    ("toc.js", include_bytes!("../static/toc.js")),
    ("graph.js", include_bytes!("../static/graph.js")),
    ("math.js", include_bytes!("../static/math.js")),
    ("mermaid.js", include_bytes!("../static/mermaid.js")),
];

mod vendor;

/// Every asset compiled in, by name under `static/`: the built-in ones and the vendored libraries
/// (`static/vendor/`, written by `scripts/vendor`).
pub fn static_files() -> impl Iterator<Item = (&'static str, &'static [u8])> {
    STATIC.iter().chain(vendor::VENDOR).copied()
}

/// Which of the vendored libraries a site needs: KaTeX (600 KB) only where a note has math, mermaid (5.3 MB) only
/// where a note has a diagram. `math.js` and `mermaid.js` load them only on pages that have one, so a site
/// without any never asks for them, and `loam build` leaves them out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Libraries {
    pub math: bool,
    pub mermaid: bool,
}

impl Libraries {
    pub const ALL: Libraries = Libraries { math: true, mermaid: true };

    /// What the published notes' HTML needs (a page can embed only published notes, so their HTML is all there
    /// is).
    pub fn of<'a>(html: impl IntoIterator<Item = &'a str>) -> Libraries {
        let math = memchr::memmem::Finder::new("<math");
        let mermaid = memchr::memmem::Finder::new("<pre class=\"mermaid\">");
        let mut needed = Libraries::default();
        for html in html {
            needed.math |= math.find(html.as_bytes()).is_some();
            needed.mermaid |= mermaid.find(html.as_bytes()).is_some();
            if needed.math && needed.mermaid {
                break;
            }
        }
        needed
    }

    /// Whether the site's static file `name` (as in [`static_files`]) is needed.
    pub fn has(&self, name: &str) -> bool {
        if name.starts_with("vendor/katex/") {
            self.math
        } else if name.starts_with("vendor/mermaid/") {
            self.mermaid
        } else {
            true
        }
    }
}

/// The published notes and their links, for the graph view and the explorer (see [`graph`]).
pub const GRAPH_FILE: &str = "graph.json";

/// How many notes the feed lists.
const FEED_ENTRIES: usize = 20;

pub struct Templates {
    tera: Tera,
    /// Which of the costlier lists in a note's values the templates name (see [`Named`]).
    named: Named,
    /// Whether `alias.html` is the built-in one, and `note.html` and the `base.html` it extends (see
    /// [`pattern`]).
    built_in_alias: bool,
    built_in_note: bool,
}

/// Lists in `note` that templates may use or not: building them for ten thousand pages that never show them
/// costs more than rendering some of those pages. A list is built when any template in effect names it
/// (`note.backlinks`, `x.backlinks`, `note["backlinks"]`, or anything that dumps a whole value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Named {
    backlinks: bool,
    breadcrumbs: bool,
    tags: bool,
    /// `list.items`.
    items: bool,
}

impl Named {
    fn in_sources<'t>(sources: impl Iterator<Item = &'t str> + Clone) -> Named {
        let code: Vec<&str> = sources.flat_map(tera_code).collect();
        let dumps = code.iter().any(|c| c.contains("json_encode") || c.contains("__tera_context"));
        let names = |field: &str| dumps || code.iter().any(|c| names_field(c, field));
        Named {
            backlinks: names("backlinks"),
            breadcrumbs: names("breadcrumbs"),
            tags: names("tags"),
            items: names("items"),
        }
    }
}

/// The parts of a template inside `{{ }}` and `{% %}` (comments and text left out).
fn tera_code(source: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find(['{']) {
        let after = &rest[start + 1..];
        let close = match after.as_bytes().first() {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            Some(b'#') => "#}",
            _ => {
                rest = after;
                continue;
            }
        };
        let end = after[1..].find(close).map_or(after.len(), |e| e + 1);
        if close != "#}" {
            parts.push(&after[1..end]);
        }
        rest = &after[(end + close.len()).min(after.len())..];
    }
    parts
}

/// Whether template code reads `field` of a value: `.field` or `["field"]`, not `.field_html`.
fn names_field(code: &str, field: &str) -> bool {
    code.match_indices(field).any(|(at, _)| {
        let before = &code[..at];
        let after = &code[at + field.len()..];
        let by_dot = before.ends_with('.');
        let by_key =
            (before.ends_with("[\"") && after.starts_with('"')) || (before.ends_with("['") && after.starts_with('\''));
        let whole = !after.starts_with(|c: char| c.is_alphanumeric() || c == '_');
        (by_dot || by_key) && whole
    })
}

impl Templates {
    /// The built-in templates with the garden's overrides on top. A broken override is reported and the
    /// built-in templates are used instead, so the site still builds.
    pub fn new(overrides: &[(String, String)], diagnostics: &mut Vec<Diagnostic>) -> Templates {
        let mut tera = Tera::default();
        // Tera's default escaping also turns `/` into `&#x2F;`, which is valid but makes every URL in the page
        // unreadable; escaping the five characters HTML needs is enough.
        tera.set_escape_fn(escape_html);
        tera.add_raw_templates(TEMPLATES.iter().copied()).expect("the built-in templates are valid");
        let mut named = Named::in_sources(TEMPLATES.iter().map(|(_, text)| *text));
        let (mut built_in_alias, mut built_in_note) = (true, true);
        if !overrides.is_empty() {
            let mut with_overrides = tera.clone();
            let own = overrides.iter().map(|(name, text)| (name.as_str(), text.as_str()));
            match with_overrides.add_raw_templates(own) {
                Ok(()) => {
                    let own = |name: &str| overrides.iter().any(|(own, _)| own == name);
                    built_in_alias = !own("alias.html");
                    built_in_note = !own("note.html") && !own("base.html");
                    tera = with_overrides;
                    let own = overrides.iter().map(|(_, text)| text.as_str());
                    let built_in = TEMPLATES.iter().filter(|(name, _)| !overrides.iter().any(|(own, _)| own == name));
                    named = Named::in_sources(built_in.map(|(_, text)| *text).chain(own));
                }
                Err(error) => diagnostics.push(
                    Diagnostic::new(
                        "templates",
                        0,
                        Severity::Error,
                        Kind::Other,
                        format!("the garden's templates do not compile: {}", error_chain(&error)),
                    )
                    .hint("fix the template; until then the built-in templates are used"),
                ),
            }
        }
        Templates { tera, named, built_in_alias, built_in_note }
    }

    /// The page's bytes. Rendering into bytes spares Tera's final check that its output is UTF-8.
    fn render(&self, name: &str, context: Value) -> Result<Vec<u8>, String> {
        let context = tera::Context::from_value(context).map_err(|e| error_chain(&e))?;
        let mut bytes = Vec::with_capacity(16 * 1024);
        self.tera.render_to(name, &context, &mut bytes).map_err(|e| error_chain(&e))?;
        Ok(bytes)
    }
}

fn escape_html(text: &str) -> String {
    crate::markdown::escape(text)
}

fn error_chain(error: &tera::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    message
}

/// Options that differ between `build` and `serve`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub live_reload: bool,
}

/// What the rendering of every page shares, made once per build of the site: each note's summary for lists,
/// breadcrumbs per folder, the values every template sees, and the patterns of the built-in templates.
pub struct Prepared {
    /// What list pages show of each note; made when a list is first rendered (see [`Prepared::new`]).
    lists: OnceLock<Lists>,
    /// The built-in alias and note pages, rendered once with markers (see [`pattern`]).
    alias_pattern: Option<Arc<Pattern>>,
    note_patterns: Option<Arc<Vec<Pattern>>>,
    /// By folder key: its breadcrumbs with the folder itself and without, and their HTML.
    crumbs: Arc<Crumbs>,
    /// The values every template sees, but `page_url`.
    globals: serde_json::Map<String, Value>,
}

/// By folder key: its breadcrumbs with the folder itself and without, and their HTML.
type Crumbs = rustc_hash::FxHashMap<String, [(Vec<Value>, String); 2]>;

/// Each note's summary (title, URL, tags, date), which appears on many list pages, made once per note.
struct Lists {
    /// `[with tags, without]` `<li>` of each published note for list pages.
    item_html: Vec<[String; 2]>,
    /// `item(site, i)` for each published note (`null` for the others), when a template names `list.items`;
    /// else empty.
    items: Vec<Value>,
}

impl Lists {
    fn new(site: &Site, values: bool) -> Lists {
        // Its `<li>` for `items_html`: with its tags on folder pages, without on tag pages.
        let item_html: Vec<[String; 2]> = (0..site.notes.len())
            .into_par_iter()
            .map(|i| {
                if site.published[i] {
                    [item_html(site, i, true), item_html(site, i, false)]
                } else {
                    Default::default()
                }
            })
            .collect();
        let items = if values {
            (0..site.notes.len())
                .into_par_iter()
                .map(|i| if site.published[i] { item(site, i) } else { Value::Null })
                .collect()
        } else {
            Vec::new()
        };
        Lists { item_html, items }
    }
}

impl Prepared {
    /// With `eager`, the summaries every list page needs are made at once (a build renders every page); without,
    /// when a list is first rendered (the live preview renders the pages a reader asks for, and a note's page
    /// needs only its own summary).
    pub fn new(site: &Site, templates: &Templates, options: RenderOptions, eager: bool) -> Prepared {
        Prepared::with_patterns(site, templates, options, eager, None)
    }

    /// [`Prepared::new`], keeping the patterns in `kept` between builds: they depend only on the templates (whose
    /// hash comes along) and the values every page sees.
    pub fn with_patterns(
        site: &Site,
        templates: &Templates,
        options: RenderOptions,
        eager: bool,
        kept: Option<(&RenderMemo, u64)>,
    ) -> Prepared {
        let lists = OnceLock::new();
        if eager {
            let _ = lists.set(Lists::new(site, templates.named.items));
        }
        let config = site.config;
        let site_value = json!({
            "title": config.title,
            "description": config.description,
            "author": config.author.name,
            "language": config.language,
            "base_url": config.base_url,
        });
        let globals = [
            ("site", site_value),
            ("base_path", site.base_path.as_str().into()),
            ("tags_url", site.url("tags/").into()),
            ("graph_url", site.url("graph/").into()),
            ("search", config.search.into()),
            ("site_origin", config.site_origin().into()),
            ("recent_html", recent_html(site).into()),
            ("loam_version", env!("CARGO_PKG_VERSION").into()),
            ("live_reload", options.live_reload.into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        // Every note of a folder has the same breadcrumbs. They are made of the folders, the titles of the notes
        // standing for them (both in the site model) and the site's title: kept while those are the same.
        let kept_crumbs = kept.and_then(|(kept, _)| {
            lock(&kept.crumbs)
                .as_ref()
                .filter(|(model, title, _)| Arc::ptr_eq(model, site.model()) && *title == config.title)
                .map(|(_, _, crumbs)| crumbs.clone())
        });
        let crumbs = kept_crumbs.unwrap_or_else(|| {
            let crumbs: Arc<Crumbs> = Arc::new(
                site.folders
                    .par_iter()
                    .map(|(folder_key, folder)| {
                        let both = [true, false].map(|include_last| {
                            let crumbs = breadcrumbs(site, &folder.path, include_last);
                            let html = breadcrumbs_html(&crumbs);
                            (crumbs, html)
                        });
                        (folder_key.clone(), both)
                    })
                    .collect(),
            );
            if let Some((kept, _)) = kept {
                *lock(&kept.crumbs) = Some((site.model().clone(), config.title.clone(), crumbs.clone()));
            }
            crumbs
        });
        let mut prepared = Prepared { lists, globals, crumbs, alias_pattern: None, note_patterns: None };
        let key = kept.map(|(_, templates_hash)| {
            let globals = serde_json::to_string(&prepared.globals).unwrap_or_default();
            format!("{templates_hash:016x} {} {} {globals}", templates.built_in_alias, templates.built_in_note)
        });
        if let (Some((kept, _)), Some(key)) = (kept, &key) {
            let last = lock(&kept.patterns);
            if let Some((_, alias, notes)) = last.as_ref().filter(|(k, _, _)| k == key) {
                (prepared.alias_pattern, prepared.note_patterns) = (alias.clone(), notes.clone());
                drop(last);
                return prepared;
            }
        }
        let renderer = Renderer { site, templates, prep: &prepared, search: None };
        let alias = if templates.built_in_alias { alias_pattern(&renderer).map(Arc::new) } else { None };
        let notes = if templates.built_in_note { note_patterns(&renderer).map(Arc::new) } else { None };
        if let (Some((kept, _)), Some(key)) = (kept, key) {
            *lock(&kept.patterns) = Some((key, alias.clone(), notes.clone()));
        }
        (prepared.alias_pattern, prepared.note_patterns) = (alias, notes);
        prepared
    }
}

/// What rendering keeps between the builds of the live preview: the patterns and breadcrumbs of the last build
/// (see [`Prepared::with_patterns`]) and its page index ([`RenderMemo::pages`]), each with what it was made from.
#[derive(Default)]
pub struct RenderMemo {
    patterns: Mutex<Option<PatternsByKey>>,
    /// The breadcrumbs, with the site model and the site title they were made from.
    crumbs: Mutex<Option<KeptCrumbs>>,
    /// The page index, with the site model it was listed from (it depends on nothing else).
    pages: Mutex<Option<(Arc<Model>, Arc<Pages>)>>,
}

/// Every page of a site by the path of its file.
pub type Pages = rustc_hash::FxHashMap<String, PageRef>;

impl RenderMemo {
    /// [`pages`] of `site` by the path of their files, kept while the site model is the same.
    pub fn pages(&self, site: &Site) -> Arc<Pages> {
        let mut kept = lock(&self.pages);
        if let Some((_, pages)) = kept.as_ref().filter(|(model, _)| Arc::ptr_eq(model, site.model())) {
            return pages.clone();
        }
        let pages: Arc<Pages> = Arc::new(pages(site).into_iter().collect());
        *kept = Some((site.model().clone(), pages.clone()));
        pages
    }
}

/// (the site model, the site's title, the breadcrumbs made of them)
type KeptCrumbs = (Arc<Model>, String, Arc<Crumbs>);

/// (what they were made from, the alias pattern, the note patterns)
type PatternsByKey = (String, Option<Arc<Pattern>>, Option<Arc<Vec<Pattern>>>);

/// One page of the site, by what it shows; [`pages`] lists them with their paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRef {
    /// A tag's page, by the tag's key.
    Tag(String),
    /// A folder's page (the home page is the root folder's), by the folder's key.
    Folder(String),
    Note(usize),
    /// An alias redirect, by its index in `site.aliases`.
    Alias(usize),
    TagIndex,
    NotFound,
    Feed,
    Sitemap,
    /// `graph.json`.
    GraphData,
    /// The page of the whole garden's graph.
    Graph,
}

/// Every page of the site, with the path of the file it becomes: what [`render_site`] renders, for rendering one
/// page at a time (`loam serve` renders a page when it is asked for).
pub fn pages(site: &Site) -> Vec<(String, PageRef)> {
    let mut pages: Vec<(String, PageRef)> = Vec::new();
    pages.extend(site.tags.iter().map(|(k, tag)| (index_file(&tag.url), PageRef::Tag(k.clone()))));
    // A folder called `tags` would be published where the tag index is; the tag index keeps that place.
    pages.extend(
        site.folders
            .iter()
            .filter(|(_, f)| key(&f.url) != "tags/")
            .map(|(k, folder)| (index_file(&folder.url), PageRef::Folder(k.clone()))),
    );
    pages.extend(
        site.published_notes().filter(|&i| site.own_page[i]).map(|i| (index_file(&site.urls[i]), PageRef::Note(i))),
    );
    pages.extend(site.aliases.iter().enumerate().map(|(n, (url, _))| (index_file(url), PageRef::Alias(n))));
    pages.push(("tags/index.html".into(), PageRef::TagIndex));
    pages.push(("404.html".into(), PageRef::NotFound));
    pages.push(("feed.xml".into(), PageRef::Feed));
    pages.push(("sitemap.xml".into(), PageRef::Sitemap));
    pages.push((GRAPH_FILE.into(), PageRef::GraphData));
    if graph_page_free(site) {
        pages.push(("graph/index.html".into(), PageRef::Graph));
    }
    pages
}

/// Whether `graph/` is free for the graph page: a folder or a note of the garden at that URL keeps it.
fn graph_page_free(site: &Site) -> bool {
    let taken = |url: &str| key(url) == "graph/";
    !site.folders.values().any(|f| taken(&f.url)) && !site.published_notes().any(|i| taken(&site.urls[i]))
}

/// Renders one page; `None` when its template failed (the problem says why).
pub fn render_page(
    site: &Site,
    templates: &Templates,
    prepared: &Prepared,
    page: &PageRef,
) -> (Option<OutputFile>, Vec<Diagnostic>) {
    let renderer = Renderer { site, templates, prep: prepared, search: None };
    let single =
        |result: Result<OutputFile, Diagnostic>| result.map_or_else(|d| (None, vec![d]), |f| (Some(f), vec![]));
    match page {
        PageRef::Tag(tag) => match site.tags.get(tag) {
            Some(tag) => renderer.tag_page(tag),
            None => (None, Vec::new()),
        },
        PageRef::Folder(folder) => match site.folders.get(folder) {
            Some(folder) => renderer.folder_page(folder),
            None => (None, Vec::new()),
        },
        PageRef::Note(i) => renderer.note_page(*i),
        PageRef::Alias(n) => match site.aliases.get(*n) {
            Some((url, note)) => single(renderer.alias_page(url, *note)),
            None => (None, Vec::new()),
        },
        PageRef::TagIndex => renderer.tag_index(),
        PageRef::NotFound => single(renderer.simple("404.html", "404.html", json!({}))),
        PageRef::Feed => single(renderer.feed()),
        PageRef::Sitemap => single(renderer.sitemap(&published_pages(site))),
        PageRef::GraphData => (Some(OutputFile::bytes(GRAPH_FILE.into(), graph::json(site))), Vec::new()),
        PageRef::Graph => single(renderer.graph_page()),
    }
}

/// Published notes with pages of their own, which the sitemap lists.
fn published_pages(site: &Site) -> Vec<usize> {
    site.published_notes().filter(|&i| site.own_page[i]).collect()
}

/// Renders every file of the site except attachments and static assets, handing each to `emit` as soon as it
/// is made (`build` writes it at once, so the whole site never sits in memory), and returns the problems found.
///
/// With a `search` index, every note's text goes into it as its page is rendered.
pub fn render_site(
    site: &Site,
    templates: &Templates,
    options: RenderOptions,
    search: Option<&Indexer>,
    emit: &(dyn Fn(OutputFile) + Sync),
) -> Vec<Diagnostic> {
    let prepared = Prepared::new(site, templates, options, true);
    let renderer = Renderer { site, templates, prep: &prepared, search };
    let keep = |(file, problems): (Option<OutputFile>, Vec<Diagnostic>)| {
        if let Some(file) = file {
            emit(file);
        }
        problems
    };
    let single =
        |result: Result<OutputFile, Diagnostic>| keep(result.map_or_else(|d| (None, vec![d]), |f| (Some(f), vec![])));

    let notes = published_pages(site);
    // Every page is one job in one parallel loop, so that no core waits at the end of one kind of page for the
    // slowest page of that kind; the biggest (tag and folder lists) go first.
    // A folder called `tags` would be published where the tag index is; the tag index keeps that place.
    let jobs: Vec<Page> = site
        .tags
        .values()
        .map(Page::Tag)
        .chain(site.folders.values().filter(|f| key(&f.url) != "tags/").map(Page::Folder))
        .chain(notes.iter().map(|&i| Page::Note(i)))
        .chain(site.aliases.iter().map(|(url, note)| Page::Alias(url, *note)))
        .collect();
    // The single pages (sitemap, feed, tag index) are serial work: one thread makes them while the others
    // render the rest.
    let (mut diagnostics, singles) = rayon::join(
        || {
            jobs.par_iter()
                .flat_map_iter(|job| match *job {
                    Page::Tag(tag) => keep(renderer.tag_page(tag)),
                    Page::Folder(folder) => keep(renderer.folder_page(folder)),
                    Page::Note(i) => keep(renderer.note_page(i)),
                    Page::Alias(url, note) => single(renderer.alias_page(url, note)),
                })
                .collect::<Vec<_>>()
        },
        || {
            let mut diagnostics = keep(renderer.tag_index());
            diagnostics.extend(single(renderer.simple("404.html", "404.html", json!({}))));
            diagnostics.extend(single(renderer.feed()));
            diagnostics.extend(single(renderer.sitemap(&notes)));
            emit(OutputFile::bytes(GRAPH_FILE.into(), graph::json(site)));
            if graph_page_free(site) {
                diagnostics.extend(single(renderer.graph_page()));
            }
            diagnostics
        },
    );
    diagnostics.extend(singles);
    // Dropping the summaries is serial work too.
    rayon::spawn(move || drop(prepared));
    diagnostics
}

/// Puts every published note with a page of its own into `search`, without making the pages: what the live
/// preview indexes, since it renders pages only when they are asked for. On the calling thread alone, which the
/// preview runs at a low priority.
pub fn index_site(site: &Site, search: &Indexer) {
    for i in published_pages(site) {
        let (content, _) = page::body_html(site, i);
        index_note(site, search, i, content);
    }
}

/// Hands note `i`'s text to the search index.
fn index_note(site: &Site, search: &Indexer, i: usize, content: String) {
    let note = &site.notes[i];
    search.add(search::Entry {
        url: site.urls[i].clone(),
        title: note.title().to_string(),
        aliases: note.meta.aliases.clone(),
        tags: note_tags(site, i).map(|tag| tag.name.clone()).collect(),
        content,
    });
}

/// A rendered page and the problems found on the way; a page whose template failed is one more problem.
fn with_problems(
    page: Result<OutputFile, Diagnostic>,
    mut diagnostics: Vec<Diagnostic>,
) -> (Option<OutputFile>, Vec<Diagnostic>) {
    match page {
        Ok(file) => (Some(file), diagnostics),
        Err(d) => {
            diagnostics.push(d);
            (None, diagnostics)
        }
    }
}

/// The built-in alias page with markers for its three values (target URL, title, canonical URL): alias pages
/// differ only in those, and rendering ten thousand of them through Tera cost more than everything else about
/// them.
fn alias_pattern(renderer: &Renderer) -> Option<Pattern> {
    let alias = json!({ "target_url": marker(0), "target_title": marker(1), "canonical": marker(2) });
    let context = renderer.context(POISON, object([("alias", alias)]));
    Pattern::parse(std::str::from_utf8(&renderer.templates.render("alias.html", context).ok()?).ok()?, 3)
}

/// What a note's page shows (see [`Renderer::note_parts`]).
struct NoteParts<'r> {
    content: String,
    tags_html: String,
    breadcrumbs: &'r [Value],
    breadcrumbs_html: &'r str,
    /// The level of the shallowest heading.
    top: u8,
    toc_html: String,
    /// (sort key, linking note, sentence HTML), sorted.
    linking: Vec<(&'r str, usize, String)>,
    backlinks_html: String,
    dates_html: String,
}

/// The values of the built-in note page, in the order of their markers.
const NOTE_VALUES: usize = 9;

/// The built-in note page for each combination of what its conditions test (see [`NoteParts::variant`]), with
/// markers for its values: a note page then costs a copy of its parts instead of a Tera render.
fn note_patterns(renderer: &Renderer) -> Option<Vec<Pattern>> {
    (0..32u8)
        .into_par_iter()
        .map(|variant| {
            let has = |bit: u8| variant & (1 << bit) != 0;
            let value = |bit: u8, index: usize| if has(bit) { marker(index) } else { String::new() };
            let note = object([
                ("title", marker(0).into()),
                ("description", value(0, 1).into()),
                ("url", marker(2).into()),
                ("breadcrumbs_html", marker(3).into()),
                ("dates_html", value(1, 4).into()),
                ("tags_html", value(2, 5).into()),
                ("toc", Value::Array(if has(3) { vec![Value::Null; 2] } else { Vec::new() })),
                ("toc_html", marker(6).into()),
                ("content", marker(7).into()),
                ("backlinks_html", value(4, 8).into()),
                // Values the built-in templates do not use: if one is printed, the pattern is refused.
                ("path", POISON.into()),
                ("tags", Value::Array(Vec::new())),
                ("created", Value::Null),
                ("updated", Value::Null),
                ("date", Value::Null),
                ("backlinks", Value::Array(Vec::new())),
                ("breadcrumbs", Value::Array(Vec::new())),
                ("extra", Value::Object(serde_json::Map::new())),
            ]);
            let context = renderer.context(POISON, object([("note", note)]));
            let rendered = renderer.templates.render("note.html", context).ok()?;
            Pattern::parse(std::str::from_utf8(&rendered).ok()?, NOTE_VALUES)
        })
        .collect()
}

/// One page to render.
enum Page<'s> {
    Tag(&'s crate::site::Tag),
    Folder(&'s crate::site::Folder),
    Note(usize),
    /// (URL of the redirect page, the note it points at)
    Alias(&'s str, usize),
}

struct Renderer<'s, 'a> {
    site: &'s Site<'a>,
    templates: &'s Templates,
    prep: &'s Prepared,
    /// Where each note's text goes as it is rendered, when the build makes a search index.
    search: Option<&'s Indexer>,
}

impl Renderer<'_, '_> {
    fn lists(&self) -> &Lists {
        self.prep.lists.get_or_init(|| Lists::new(self.site, self.templates.named.items))
    }

    /// What lists sort note `i` by.
    fn sort_key(&self, i: usize) -> &str {
        &self.site.notes[i].keys.title
    }

    /// Who changed note `i`, from the history.
    fn contributors(&self, i: usize) -> &[String] {
        self.site.history.get(i).map_or(&[], |h| h.authors.as_slice())
    }

    fn is_folder_note(&self, note: usize) -> bool {
        self.site.folders.get(&self.site.notes[note].keys.folder).is_some_and(|f| f.note == Some(note))
    }

    /// The values every template sees, plus the page's own.
    fn context(&self, page_url: &str, mut own: Value) -> Value {
        if let Value::Object(own) = &mut own {
            for (k, v) in &self.prep.globals {
                if !own.contains_key(k) {
                    own.insert(k.clone(), v.clone());
                }
            }
            own.insert("page_url".into(), self.site.url(page_url).into());
        }
        own
    }
    fn render(
        &self,
        template: &str,
        out_path: String,
        page_url: &str,
        own: Value,
        source: &str,
    ) -> Result<OutputFile, Diagnostic> {
        let context = self.context(page_url, own);
        match self.templates.render(template, context) {
            Ok(bytes) => Ok(OutputFile::bytes(out_path, bytes)),
            Err(message) => Err(Diagnostic::new(
                source,
                0,
                Severity::Error,
                Kind::Other,
                format!("template `{template}` failed: {message}"),
            )
            .hint("fix the template; this page was not written")),
        }
    }

    /// What a note's page shows, before it becomes Tera values or fills the note pattern.
    fn note_parts(&self, i: usize, diagnostics: &mut Vec<Diagnostic>) -> NoteParts<'_> {
        let site = self.site;
        let note = &site.notes[i];
        let (content, problems) = page::body_html(site, i);
        diagnostics.extend(problems);
        let (breadcrumbs, breadcrumbs_html) = self.breadcrumbs(&note.keys.folder, !self.is_folder_note(i));
        let headings = &note.body.headings;
        // `depth` counts from the shallowest heading, so a note that starts at `##` is not indented.
        let top = headings.iter().map(|h| h.level).min().unwrap_or(1);
        let toc_html = toc_html(headings.iter().map(|h| (h.level - top, h.id.as_str(), h.text.as_str())));
        // One entry per linking note, with the sentence of its first link here, sorted by title.
        let mut seen = std::collections::HashSet::new();
        let mut linking: Vec<(&str, usize, String)> = Vec::new();
        for &(from, link) in &site.backlinks[i] {
            if seen.insert(from) {
                linking.push((self.sort_key(from), from, page::context_html(site, from, link)));
            }
        }
        linking.sort_by(|a, b| a.0.cmp(b.0));
        let backlinks_html = backlinks_html(
            linking
                .iter()
                .map(|(_, from, context)| (site.notes[*from].title(), site.note_url(*from), context.as_str())),
        );
        NoteParts {
            content,
            tags_html: tags_html(site, note_tags(site, i), "\n        "),
            breadcrumbs,
            breadcrumbs_html,
            top,
            toc_html,
            linking,
            backlinks_html,
            dates_html: dates_html(&site.dates[i], self.contributors(i)),
        }
    }

    fn note_value(&self, i: usize, diagnostics: &mut Vec<Diagnostic>) -> Value {
        let site = self.site;
        let note = &site.notes[i];
        let parts = self.note_parts(i, diagnostics);
        let named = self.templates.named;
        let tags = if named.tags { tag_values(site, i) } else { Value::Array(Vec::new()) };
        let toc: Vec<Value> = note
            .body
            .headings
            .iter()
            .map(|h| {
                object([
                    ("level", h.level.into()),
                    ("depth", (h.level - parts.top).into()),
                    ("id", h.id.as_str().into()),
                    ("text", h.text.as_str().into()),
                ])
            })
            .collect();
        let backlinks: Vec<Value> = parts
            .linking
            .into_iter()
            .filter(|_| named.backlinks)
            .map(|(_, from, context)| {
                object([
                    ("title", site.notes[from].title().into()),
                    ("url", site.note_url(from).into()),
                    ("context", context.into()),
                ])
            })
            .collect();
        let dates = &site.dates[i];
        object([
            ("title", note.title().into()),
            ("description", note.meta.description.clone().unwrap_or_default().into()),
            ("url", site.note_url(i).into()),
            ("path", note.path.as_str().into()),
            ("content", parts.content.into()),
            ("tags", tags),
            ("created", date_value(dates.created)),
            ("updated", date_value(dates.updated)),
            ("date", date_value(dates.date)),
            ("edited", date_value(dates.edited)),
            ("contributors", self.contributors(i).iter().map(|a| Value::from(a.as_str())).collect::<Vec<_>>().into()),
            ("dates_html", parts.dates_html.into()),
            ("toc", toc.into()),
            ("toc_html", parts.toc_html.into()),
            ("backlinks", backlinks.into()),
            ("backlinks_html", parts.backlinks_html.into()),
            ("tags_html", parts.tags_html.into()),
            ("breadcrumbs_html", parts.breadcrumbs_html.into()),
            ("breadcrumbs", if named.breadcrumbs { parts.breadcrumbs.to_vec() } else { Vec::new() }.into()),
            ("extra", Value::Object(note.meta.extra.clone())),
        ])
    }

    fn folder_title(&self, folder: &crate::site::Folder) -> String {
        folder_title(self.site, folder)
    }

    /// The breadcrumbs down to `folder` (its key), with the folder itself or without, and their HTML.
    fn breadcrumbs(&self, folder: &str, include_last: bool) -> (&[Value], &str) {
        self.prep.crumbs.get(folder).map_or((&[], ""), |both| {
            let (crumbs, html) = &both[usize::from(!include_last)];
            (crumbs.as_slice(), html.as_str())
        })
    }

    /// `list.items` and `list.items_html` for these notes, sorted by title; on tag pages (`with_tags` false)
    /// every note's other tags are noise that multiplies the page's size by the number of tags per note.
    fn items(&self, notes: &[usize], with_tags: bool) -> (Value, Value) {
        let lists = self.lists();
        let mut sorted = notes.to_vec();
        sorted.sort_by(|&a, &b| self.sort_key(a).cmp(self.sort_key(b)).then(a.cmp(&b)));
        let html: String = sorted.iter().map(|&i| lists.item_html[i][usize::from(!with_tags)].as_str()).collect();
        let values: Vec<Value> = if !self.templates.named.items {
            Vec::new()
        } else if with_tags {
            sorted.iter().map(|&i| lists.items[i].clone()).collect()
        } else {
            sorted
                .iter()
                .map(|&i| {
                    let item = &lists.items[i];
                    object([
                        ("title", item["title"].clone()),
                        ("url", item["url"].clone()),
                        ("description", item["description"].clone()),
                        ("date", item["date"].clone()),
                        ("tags", Value::Array(Vec::new())),
                    ])
                })
                .collect()
        };
        (values.into(), html.into())
    }

    fn note_page(&self, i: usize) -> (Option<OutputFile>, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let url = &self.site.urls[i];
        if let Some(patterns) = &self.prep.note_patterns {
            let note = &self.site.notes[i];
            let parts = self.note_parts(i, &mut diagnostics);
            let description = note.meta.description.as_deref().unwrap_or_default();
            let bit = |set: bool, n: u8| u8::from(set) << n;
            let variant = bit(!description.is_empty(), 0)
                | bit(!parts.dates_html.is_empty(), 1)
                | bit(!parts.tags_html.is_empty(), 2)
                | bit(note.body.headings.len() >= 2, 3)
                | bit(!parts.backlinks_html.is_empty(), 4);
            let values: [&str; NOTE_VALUES] = [
                note.title(),
                description,
                self.site.note_url(i),
                parts.breadcrumbs_html,
                &parts.dates_html,
                &parts.tags_html,
                &parts.toc_html,
                &parts.content,
                &parts.backlinks_html,
            ];
            let bytes = patterns[usize::from(variant)].fill(&values);
            self.index(i, parts.content);
            return (Some(OutputFile::bytes(index_file(url), bytes)), diagnostics);
        }
        let note = self.note_value(i, &mut diagnostics);
        if let Some(content) = note["content"].as_str() {
            self.index(i, content.to_string());
        }
        let page = self.render("note.html", index_file(url), url, object([("note", note)]), &self.site.notes[i].path);
        with_problems(page, diagnostics)
    }

    /// Hands note `i`'s text to the search index, if the build makes one.
    fn index(&self, i: usize, content: String) {
        if let Some(search) = self.search {
            index_note(self.site, search, i, content);
        }
    }

    fn folder_page(&self, folder: &crate::site::Folder) -> (Option<OutputFile>, Vec<Diagnostic>) {
        let site = self.site;
        let mut diagnostics = Vec::new();
        let is_home = folder.path.is_empty();
        let (note, content) = self.page_note(folder.note, &mut diagnostics);
        let children: Vec<Value> = folder
            .children
            .iter()
            .filter_map(|c| site.folders.get(c))
            .map(|f| json!({ "title": self.folder_title(f), "url": site.url(&f.url), "count": f.count }))
            .collect();
        // The home page with its own index.md is that note; otherwise pages list what the folder holds.
        let (children, (items, items_html)) = if is_home && folder.note.is_some() {
            (Vec::new(), (Value::Array(Vec::new()), "".into()))
        } else {
            (children, self.items(&folder.notes, true))
        };
        let list = object([
            ("kind", (if is_home { "home" } else { "folder" }).into()),
            ("title", self.folder_title(folder).into()),
            ("url", site.url(&folder.url).into()),
            ("content", content),
            ("note", note),
            ("breadcrumbs", (if is_home { Vec::new() } else { breadcrumbs(site, &folder.path, false) }).into()),
            ("children", children.into()),
            ("items_html", items_html),
            ("items", items),
        ]);
        let source = folder.note.map_or_else(|| folder.path.clone(), |n| site.notes[n].path.clone());
        let list = object([("list", with_breadcrumbs_html(list))]);
        with_problems(self.render("list.html", index_file(&folder.url), &folder.url, list, &source), diagnostics)
    }

    fn tag_page(&self, tag: &crate::site::Tag) -> (Option<OutputFile>, Vec<Diagnostic>) {
        let site = self.site;
        let mut diagnostics = Vec::new();
        let (note, content) = self.page_note(tag.note, &mut diagnostics);
        let children: Vec<Value> = tag
            .children
            .iter()
            .filter_map(|c| site.tags.get(c))
            .map(|t| json!({ "title": t.name, "url": site.url(&t.url), "count": t.count }))
            .collect();
        let (items, items_html) = self.items(&tag.notes, false);
        let list = object([
            ("kind", "tag".into()),
            ("title", format!("#{}", tag.name).into()),
            ("url", site.url(&tag.url).into()),
            ("content", content),
            ("note", note),
            (
                "breadcrumbs",
                json!([{ "title": "Home", "url": site.url("") }, { "title": "Tags", "url": site.url("tags/") }]),
            ),
            ("children", children.into()),
            ("items_html", items_html),
            ("items", items),
        ]);
        let source = tag.note.map_or("tags", |n| site.notes[n].path.as_str());
        let page = self.render(
            "list.html",
            index_file(&tag.url),
            &tag.url,
            object([("list", with_breadcrumbs_html(list))]),
            source,
        );
        with_problems(page, diagnostics)
    }

    /// `list.note` and `list.content` of a list page that stands for a note (a folder's `index.md`, a tag's note).
    fn page_note(&self, note: Option<usize>, diagnostics: &mut Vec<Diagnostic>) -> (Value, Value) {
        let note = note.map(|n| self.note_value(n, diagnostics));
        let content = note.as_ref().and_then(|n| n["content"].as_str()).unwrap_or_default().to_string();
        (note.unwrap_or(Value::Null), content.into())
    }

    fn tag_index(&self) -> (Option<OutputFile>, Vec<Diagnostic>) {
        let site = self.site;
        let mut diagnostics = Vec::new();
        let (note, content) = self.page_note(site.tag_index_note, &mut diagnostics);
        let mut children: Vec<Value> =
            site.tags.values().map(|t| json!({ "title": t.name, "url": site.url(&t.url), "count": t.count })).collect();
        children.sort_by_cached_key(|t| t["title"].as_str().map(key));
        let list = object([
            ("kind", "tags".into()),
            ("title", "Tags".into()),
            ("url", site.url("tags/").into()),
            ("content", content),
            ("note", note),
            ("breadcrumbs", json!([{ "title": "Home", "url": site.url("") }])),
            ("children", children.into()),
            ("items_html", "".into()),
            ("items", Value::Array(Vec::new())),
        ]);
        let source = site.tag_index_note.map_or("tags", |n| site.notes[n].path.as_str());
        let page = self.render(
            "list.html",
            "tags/index.html".into(),
            "tags/",
            object([("list", with_breadcrumbs_html(list))]),
            source,
        );
        with_problems(page, diagnostics)
    }

    fn alias_page(&self, url: &str, note: usize) -> Result<OutputFile, Diagnostic> {
        let target_url = self.site.note_url(note);
        let title = self.site.notes[note].title();
        // The canonical link is absolute when the garden says where it lives.
        let canonical = format!("{}{}", absolute(self.site), encode_path(&self.site.urls[note]));
        if let Some(pattern) = &self.prep.alias_pattern {
            return Ok(OutputFile::bytes(index_file(url), pattern.fill(&[target_url, title, &canonical])));
        }
        let alias = json!({ "target_url": target_url, "target_title": title, "canonical": canonical });
        self.render("alias.html", index_file(url), url, object([("alias", alias)]), &self.site.notes[note].path)
    }

    fn graph_page(&self) -> Result<OutputFile, Diagnostic> {
        self.render("graph.html", "graph/index.html".into(), "graph/", json!({}), "graph.html")
    }

    fn simple(&self, template: &str, out: &str, own: Value) -> Result<OutputFile, Diagnostic> {
        self.render(template, out.into(), out, own, template)
    }

    fn feed(&self) -> Result<OutputFile, Diagnostic> {
        let site = self.site;
        let mut notes: Vec<(chrono::DateTime<chrono::FixedOffset>, usize)> =
            site.published_notes().filter_map(|i| site.dates[i].latest().map(|d| (d, i))).collect();
        notes.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        notes.truncate(FEED_ENTRIES);
        let base = absolute(site);
        let entries: Vec<Value> = notes
            .iter()
            .map(|&(date, i)| {
                let note = &site.notes[i];
                let summary = note.meta.description.clone().unwrap_or_else(|| summary_of(&page::body_html(site, i).0));
                json!({
                    "title": note.title(),
                    "url": format!("{base}{}", encode_path(&site.urls[i])),
                    "updated": date.to_rfc3339(),
                    "summary": summary,
                })
            })
            .collect();
        let updated = notes.first().map(|(d, _)| d.to_rfc3339()).unwrap_or_else(|| "1970-01-01T00:00:00+00:00".into());
        let feed = object([
            ("updated", updated.into()),
            ("url", format!("{base}feed.xml").into()),
            ("entries", entries.into()),
        ]);
        self.simple("feed.xml", "feed.xml", object([("feed", feed)]))
    }

    /// Every page a search engine should know: notes, folders, tags (not alias redirects or the 404 page).
    fn sitemap(&self, notes: &[usize]) -> Result<OutputFile, Diagnostic> {
        let site = self.site;
        let base = absolute(site);
        let entry = |url: &str, lastmod: String| {
            object([("loc", format!("{base}{}", encode_path(url)).into()), ("lastmod", lastmod.into())])
        };
        let mut urls: Vec<Value> = Vec::with_capacity(notes.len() + site.folders.len() + site.tags.len() + 1);
        // A folder called `tags` is listed once, as the tag index below.
        for folder in site.folders.values().filter(|f| key(&f.url) != "tags/") {
            urls.push(entry(&folder.url, String::new()));
        }
        for &i in notes {
            let lastmod = site.dates[i].updated.or(site.dates[i].date).map(|d| d.format("%Y-%m-%d").to_string());
            urls.push(entry(&site.urls[i], lastmod.unwrap_or_default()));
        }
        urls.push(entry("tags/", String::new()));
        urls.extend(site.tags.values().map(|t| entry(&t.url, String::new())));
        self.simple("sitemap.xml", "sitemap.xml", object([("sitemap", object([("urls", urls.into())]))]))
    }
}

fn folder_title(site: &Site, folder: &crate::site::Folder) -> String {
    match folder.note {
        Some(n) => site.notes[n].title().to_string(),
        None if folder.path.is_empty() => site.config.title.clone(),
        None => folder.path.rsplit('/').next().unwrap_or(&folder.path).to_string(),
    }
}

/// How many notes "Recent notes" lists.
const RECENT_NOTES: usize = 8;

/// The `<li>` of the notes changed last, newest first, for every page's "Recent notes".
fn recent_html(site: &Site) -> String {
    let mut dated: Vec<(chrono::DateTime<chrono::FixedOffset>, usize)> =
        site.published_notes().filter_map(|i| site.dates[i].latest().map(|d| (d, i))).collect();
    let newest = dated.len().min(RECENT_NOTES);
    if newest == 0 {
        return String::new();
    }
    dated.select_nth_unstable_by(newest - 1, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    dated.truncate(newest);
    dated.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut html = String::new();
    for (date, i) in dated {
        html.push_str("\n      <li><a href=\"");
        escape_html_into(&mut html, site.note_url(i)).ok();
        html.push_str("\">");
        escape_html_into(&mut html, site.notes[i].title()).ok();
        html.push_str("</a> <time datetime=\"");
        html.push_str(&date.format("%Y-%m-%d").to_string());
        html.push_str("\">");
        html.push_str(&date.format("%-d %b %Y").to_string());
        html.push_str("</time></li>");
    }
    html
}

/// The breadcrumbs from the home page down to `folder` (with it, or down to its parent).
fn breadcrumbs(site: &Site, folder: &str, include_last: bool) -> Vec<Value> {
    let mut crumbs = vec![json!({ "title": "Home", "url": site.url("") })];
    let parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    let upto = if include_last { parts.len() } else { parts.len().saturating_sub(1) };
    for depth in 1..=upto {
        let path = parts[..depth].join("/");
        if let Some(f) = site.folders.get(&key(&path)) {
            crumbs.push(object([("title", folder_title(site, f).into()), ("url", site.url(&f.url).into())]));
        }
    }
    crumbs
}

/// A note as list pages show it.
fn item(site: &Site, i: usize) -> Value {
    let note = &site.notes[i];
    object([
        ("title", note.title().into()),
        ("url", site.note_url(i).into()),
        ("description", note.meta.description.clone().unwrap_or_default().into()),
        ("date", item_date(site, i).into()),
        ("tags", tag_values(site, i)),
    ])
}

/// The date list pages show beside a note: the last it was updated, else its date, else when it was created.
fn item_date(site: &Site, i: usize) -> String {
    let dates = &site.dates[i];
    dates.updated.or(dates.date).or(dates.created).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// The tags of note `i` that have pages, in the note's order.
fn note_tags<'s>(site: &'s Site, i: usize) -> impl Iterator<Item = &'s crate::site::Tag> + use<'s> {
    site.notes[i].keys.tags.iter().filter_map(|chain| site.tags.get(&chain.first()?.1))
}

/// The tags of note `i` as `{ name, url }` values for templates.
fn tag_values(site: &Site, i: usize) -> Value {
    note_tags(site, i)
        .map(|tag| object([("name", tag.name.as_str().into()), ("url", site.url(&tag.url).into())]))
        .collect::<Vec<_>>()
        .into()
}

/// The entries of the table of contents, as (depth, id, text), as `<li>` elements ready for an `<ol>`. Like
/// Hugo's `.TableOfContents`, it saves templates a loop: Tera's lookups inside loops cost more than the rest of a
/// page.
fn toc_html<'t>(entries: impl Iterator<Item = (u8, &'t str, &'t str)>) -> String {
    let mut html = String::new();
    for (depth, id, text) in entries {
        html.push_str("\n        <li class=\"toc-depth-");
        html.push_str(&depth.to_string());
        html.push_str("\"><a href=\"#");
        let _ = escape_html_into(&mut html, id);
        html.push_str("\">");
        let _ = escape_html_into(&mut html, text);
        html.push_str("</a></li>");
    }
    html
}

/// The backlinks, as (title, url, context HTML), as `<li>` elements ready for a `<ul>`; empty when there are
/// none. See [`toc_html`].
fn backlinks_html<'b>(links: impl Iterator<Item = (&'b str, &'b str, &'b str)>) -> String {
    let mut html = String::new();
    for (title, url, context) in links {
        html.push_str("\n      <li>\n        <a class=\"internal\" href=\"");
        let _ = escape_html_into(&mut html, url);
        html.push_str("\">");
        let _ = escape_html_into(&mut html, title);
        html.push_str("</a>");
        if !context.is_empty() {
            // The context is HTML already (page::context_html escapes the note's text).
            html.push_str("\n        <div class=\"backlink-context\">");
            html.push_str(context);
            html.push_str("</div>");
        }
        html.push_str("\n      </li>");
    }
    html
}

/// Adds `breadcrumbs_html` beside a list page's `breadcrumbs`. See [`toc_html`].
fn with_breadcrumbs_html(mut list: Value) -> Value {
    let html = list["breadcrumbs"].as_array().map(|crumbs| breadcrumbs_html(crumbs)).unwrap_or_default();
    if let Value::Object(map) = &mut list {
        map.insert("breadcrumbs_html".into(), html.into());
    }
    list
}

/// The breadcrumbs (`{ title, url }`) as `<li>` elements ready for an `<ol>`. See [`toc_html`].
fn breadcrumbs_html(crumbs: &[Value]) -> String {
    link_items(crumbs, "\n        <li><a href=\"", "title", "")
}

/// Tags as `<li>` elements, each on a new line starting with `indent`. See [`toc_html`].
fn tags_html<'t>(site: &Site, tags: impl Iterator<Item = &'t crate::site::Tag>, indent: &str) -> String {
    let mut html = String::new();
    for tag in tags {
        html.push_str(indent);
        html.push_str("<li><a class=\"tag\" href=\"");
        let _ = escape_html_into(&mut html, &site.base_path);
        let _ = escape_html_into(&mut html, &tag.url);
        html.push_str("\">#");
        let _ = escape_html_into(&mut html, &tag.name);
        html.push_str("</a></li>");
    }
    html
}

/// `{before}URL">{mark}TEXT</a></li>` for each `{ url, <text> }` entry, both values escaped.
fn link_items(entries: &[Value], before: &str, text: &str, mark: &str) -> String {
    let mut html = String::new();
    for entry in entries {
        html.push_str(before);
        let _ = escape_html_into(&mut html, entry["url"].as_str().unwrap_or_default());
        html.push_str("\">");
        html.push_str(mark);
        let _ = escape_html_into(&mut html, entry[text].as_str().unwrap_or_default());
        html.push_str("</a></li>");
    }
    html
}

/// A note of a list page as a `<li>` element for a `<ul>` (see [`toc_html`]), with its tags or without.
fn item_html(site: &Site, i: usize, with_tags: bool) -> String {
    let note = &site.notes[i];
    let mut html = String::new();
    html.push_str("\n      <li class=\"note-item\">\n        <div class=\"note-item-head\">\n          <a class=\"internal note-item-title\" href=\"");
    let _ = escape_html_into(&mut html, site.note_url(i));
    html.push_str("\">");
    let _ = escape_html_into(&mut html, note.title());
    html.push_str("</a>");
    let date = item_date(site, i);
    if !date.is_empty() {
        html.push_str("\n          <span class=\"note-item-date\">");
        let _ = escape_html_into(&mut html, &date);
        html.push_str("</span>");
    }
    html.push_str("\n        </div>");
    let description = note.meta.description.as_deref().unwrap_or_default();
    if !description.is_empty() {
        html.push_str("\n        <p class=\"note-item-description\">");
        let _ = escape_html_into(&mut html, description);
        html.push_str("</p>");
    }
    let tags = if with_tags { tags_html(site, note_tags(site, i), "\n          ") } else { String::new() };
    if !tags.is_empty() {
        html.push_str("\n        <ul class=\"tags\">");
        html.push_str(&tags);
        html.push_str("\n        </ul>");
    }
    html.push_str("\n      </li>");
    html
}

/// A JSON object from its fields, moving them: `json!` would copy every value through serde, and a page's
/// values hold its whole HTML and long lists.
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// The base URL with scheme and host if the garden gave one, else its path; feeds want absolute URLs.
fn absolute(site: &Site) -> String {
    let base = site.config.base_url.clone();
    if base.contains("://") {
        base
    } else {
        site.base_path.clone()
    }
}

/// Feeds and sitemaps want URLs in ASCII: non-ASCII letters of slugs are percent-encoded there.
fn encode_path(path: &str) -> String {
    percent_encoding::utf8_percent_encode(path, percent_encoding::CONTROLS).to_string()
}

fn index_file(url: &str) -> String {
    format!("{url}index.html")
}

/// The note's dates as `<li>` elements ready for a `<ul>`; empty when it has none. See [`toc_html`].
/// The note's dates as `<li>` elements, then its last edit and contributors from the history. See [`toc_html`].
fn dates_html(dates: &crate::site::Dates, authors: &[String]) -> String {
    let mut html = String::new();
    let labelled = [("Published", dates.date), ("Created", dates.created), ("Updated", dates.updated)];
    for (label, date) in labelled.into_iter().chain([("Last edited", dates.edited)]) {
        if let Some(d) = date {
            html.push_str(&format!(
                "\n        <li>{label} <time datetime=\"{}\">{}</time></li>",
                d.to_rfc3339(),
                d.format("%Y-%m-%d")
            ));
        }
    }
    if !authors.is_empty() {
        html.push_str("\n        <li class=\"contributors\">");
        html.push_str(if authors.len() == 1 { "Contributor: " } else { "Contributors: " });
        for (n, author) in authors.iter().enumerate() {
            if n > 0 {
                html.push_str(", ");
            }
            let _ = escape_html_into(&mut html, author);
        }
        html.push_str("</li>");
    }
    html
}

fn date_value(date: Option<chrono::DateTime<chrono::FixedOffset>>) -> Value {
    match date {
        Some(d) => json!({ "iso": d.to_rfc3339(), "display": d.format("%Y-%m-%d").to_string() }),
        None => Value::Null,
    }
}

/// The first words of a page's text, for a feed entry without a description: the text as search shows it (no
/// scripts, no TeX source, entities decoded), from the page's first 16 KB of HTML.
fn summary_of(html: &str) -> String {
    let mut end = html.len().min(16 * 1024);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    let text = search::plain_text(&html[..end]);
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut summary = words.iter().take(40).copied().collect::<Vec<_>>().join(" ");
    if words.len() > 40 {
        summary.push('…');
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_summary_is_the_first_words_of_the_text() {
        let html =
            "<p>Tom &amp; Jerry&#39;s <em>garden</em>: <math><mi>x</mi><annotation encoding=\"application/x-tex\">\
            x^2</annotation></math> grows.</p><script>hidden()</script><p>Next.</p>";
        assert_eq!(summary_of(html), "Tom & Jerry's garden: x grows. Next.");
        let long = format!("<p>{}</p>", "word ".repeat(50));
        assert_eq!(summary_of(&long), format!("{}…", ["word"; 40].join(" ")));
        let huge = format!("<p>{}é</p>", "a".repeat(16 * 1024 - 4));
        assert!(summary_of(&huge).starts_with("aaa"), "cut at a character boundary");
    }

    #[test]
    fn the_built_in_templates_name_no_costly_list() {
        let named = Named::in_sources(TEMPLATES.iter().map(|(_, text)| *text));
        assert_eq!(named, Named { backlinks: false, breadcrumbs: false, tags: false, items: false });
    }

    #[test]
    fn a_list_is_named_by_a_path_or_a_key_in_template_code_only() {
        let named = |text: &str| Named::in_sources([text].into_iter());
        assert!(named("{% for b in note.backlinks %}{% endfor %}").backlinks);
        assert!(named("{{ n.breadcrumbs | length }}").breadcrumbs);
        assert!(named("{% for t in note[\"tags\"] %}{% endfor %}").tags);
        assert!(named("{{ note | json_encode }}").backlinks);
        assert!(named("{% if list.items | length > 0 %}{% endif %}").items);
        let none = Named { backlinks: false, breadcrumbs: false, tags: false, items: false };
        assert_eq!(named("{{ note.backlinks_html | safe }} <p class=\"tags\">.backlinks</p>"), none);
        assert_eq!(named("{# note.backlinks #}{{ list.kind == \"tags\" }}"), none);
    }
}
