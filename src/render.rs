//! Pages from the site model, one pure stage: values in, files out (the caller passes the garden's template
//! texts in and writes what comes out). This file holds the entry points ([`render_site`] for a build,
//! [`render_page`] for the live preview) and the `Renderer` of each kind of HTML page; the parts are:
//!
//! - `render/templates.rs`: the Tera templates, built in or the garden's own, and which lists they read;
//! - `render/context.rs`: the values each page's template sees (`templates/CONTEXT.md` documents them);
//! - `render/parts.rs`: the lists among those values that come as ready HTML, their markup in `templates/parts/`;
//! - `render/pattern.rs`: the built-in note and alias pages and parts, rendered once with markers and filled in
//!   per page or entry;
//! - `render/pages.rs`: every page of a site by its path, for rendering one at a time;
//! - `render/feeds.rs`: the Atom feed and the sitemap;
//! - `render/graph.rs`: `graph.json`, for the graph view and the explorer, with `render/layout.rs` placing each
//!   note of a large garden's graph;
//! - `render/memo.rs`: what the live preview keeps between builds;
//! - `render/assets.rs` (with `render/vendor.rs`): the scripts, styles and libraries compiled in.

use rayon::prelude::*;
use serde_json::{json, Value};

use crate::diagnostic::{Diagnostic, Kind, Severity};
use crate::output::OutputFile;
use crate::page;
use crate::search::{self, Indexer};
use crate::site::Site;
use crate::slug::key;

mod assets;
mod context;
mod feeds;
mod graph;
pub mod history;
mod layout;
mod memo;
mod pages;
mod parts;
mod pattern;
pub mod strings;
mod templates;
mod vendor;

pub use assets::{static_files, Libraries, STATIC};
pub use context::Prepared;
pub use memo::RenderMemo;
pub use pages::{pages, PageRef, Pages};
pub use templates::Templates;
/// The live editing view's bundle, which `loam serve` alone serves (`serve/http/edit.rs`).
pub use vendor::EDITOR;

use context::{breadcrumbs, folder_title, note_tags, object, with_breadcrumbs_html};
use feeds::{absolute, encode_path};
use pages::{index_file, published_pages};
use pattern::NOTE_VALUES;

/// The published notes and their links, for the graph view and the explorer (see [`graph`]).
pub const GRAPH_FILE: &str = "graph.json";

/// Options that differ between `build` and `serve`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub live_reload: bool,
}

/// Renders one page; `None` when its template failed (the problem says why).
pub fn render_page(
    site: &Site,
    templates: &Templates,
    prepared: &Prepared,
    page: &PageRef,
) -> (Option<OutputFile>, Vec<Diagnostic>) {
    let renderer = Renderer { site, templates, prep: prepared, search: None, banner: "" };
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
        PageRef::GraphData => (Some(OutputFile::bytes(GRAPH_FILE.into(), graph::json(site, false))), Vec::new()),
        PageRef::Graph => single(renderer.graph_page()),
    }
}

/// Renders a page of the history views with `template` (`history.html`, `changes.html`): `own` is its own values
/// (`{"history": …}`, `{"changes": …}`, `templates/CONTEXT.md`), `url` the page's own URL path.
pub fn render_own(
    site: &Site,
    templates: &Templates,
    prepared: &Prepared,
    template: &str,
    url: &str,
    own: Value,
) -> Result<OutputFile, Diagnostic> {
    let renderer = Renderer { site, templates, prep: prepared, search: None, banner: "" };
    renderer.render(template, format!("{url}index.html"), url, own, template)
}

/// Renders the page of note `i` as a past version of it reads (`site` is [`crate::site::Site::past`]'s), with
/// `banner` (HTML naming the version) before its text; `None` when its template failed.
pub fn render_version(
    site: &Site,
    templates: &Templates,
    prepared: &Prepared,
    i: usize,
    banner: &str,
) -> (Option<OutputFile>, Vec<Diagnostic>) {
    Renderer { site, templates, prep: prepared, search: None, banner }.note_page(i)
}

/// Renders every file of the site except attachments and static assets, handing each to `emit` as soon as it
/// is made (`build` writes it at once, so the whole site never sits in memory), and returns the problems found.
///
/// With a `search` index, every note's text goes into it as its page is rendered. With `history` (`[history]
/// publish = true`), the recent changes and the authors' pages are made too (each note's own history is written
/// as the build reads it: `pipeline::published_history`).
pub fn render_site(
    site: &Site,
    templates: &Templates,
    options: RenderOptions,
    search: Option<&Indexer>,
    history: Option<&history::Published>,
    progress: &indicatif::ProgressBar,
    emit: &(dyn Fn(OutputFile) + Sync),
) -> Vec<Diagnostic> {
    let prepared = Prepared::new(site, templates, options, true);
    let renderer = Renderer { site, templates, prep: &prepared, search, banner: "" };
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
        .chain(site.folders.values().filter(|f| key(&f.url) != site.tags_url).map(Page::Folder))
        .chain(notes.iter().map(|&i| Page::Note(i)))
        .chain(site.aliases.iter().map(|(url, note)| Page::Alias(url, *note)))
        .collect();
    progress.set_length(jobs.len() as u64);
    // The single pages (sitemap, feed, tag index) are serial work: one thread makes them while the others
    // render the rest.
    let (mut diagnostics, singles) = rayon::join(
        || {
            jobs.par_iter()
                .flat_map_iter(|job| {
                    let problems = match *job {
                        Page::Tag(tag) => keep(renderer.tag_page(tag)),
                        Page::Folder(folder) => keep(renderer.folder_page(folder)),
                        Page::Note(i) => keep(renderer.note_page(i)),
                        Page::Alias(url, note) => single(renderer.alias_page(url, note)),
                    };
                    progress.inc(1);
                    problems
                })
                .collect::<Vec<_>>()
        },
        || {
            let mut diagnostics = keep(renderer.tag_index());
            diagnostics.extend(single(renderer.simple("404.html", "404.html", json!({}))));
            diagnostics.extend(single(renderer.feed()));
            diagnostics.extend(single(renderer.sitemap(&notes)));
            emit(OutputFile::bytes(GRAPH_FILE.into(), graph::json(site, true)));
            diagnostics.extend(single(renderer.graph_page()));
            if let Some(history) = history {
                diagnostics.extend(renderer.changes_pages(history).into_iter().flat_map(keep));
                let words = strings::for_history(site.config).into_bytes();
                emit(OutputFile::bytes("_history/_strings.json".into(), words));
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
    /// HTML put before a note's text on its page: the banner of a past version's page, else empty.
    banner: &'s str,
}

impl Renderer<'_, '_> {
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

    fn note_page(&self, i: usize) -> (Option<OutputFile>, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let url = &self.site.urls[i];
        if let Some(patterns) = &self.prep.note_patterns {
            let note = &self.site.notes[i];
            let parts = self.note_parts(i, &mut diagnostics);
            let description = note.meta.description.as_deref().unwrap_or_default();
            let lead = note.lead();
            let bit = |set: bool, n: u8| u8::from(set) << n;
            let variant = bit(!description.is_empty(), 0)
                | bit(!parts.dates_html.is_empty(), 1)
                | bit(!parts.tags_html.is_empty(), 2)
                | bit(parts.headings >= 2, 3)
                | bit(!parts.backlinks_html.is_empty(), 4)
                | bit(!lead.is_empty(), 5)
                | bit(!note.meta.cssclasses.is_empty(), 6);
            let cssclasses = note.meta.cssclasses.join(" ");
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
                note.lead(),
                &cssclasses,
                &parts.title_id_attr,
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
        let list = object([("list", with_breadcrumbs_html(&self.templates.parts, list))]);
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
                json!([
                    { "title": strings::text(site.config, "home"), "url": site.url("") },
                    { "title": strings::text(site.config, "tags_title"), "url": site.url(&site.tags_url) }
                ]),
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
            object([("list", with_breadcrumbs_html(&self.templates.parts, list))]),
            source,
        );
        with_problems(page, diagnostics)
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
            ("title", strings::text(site.config, "tags_title").into()),
            ("url", site.url(&site.tags_url).into()),
            ("content", content),
            ("note", note),
            ("breadcrumbs", json!([{ "title": strings::text(site.config, "home"), "url": site.url("") }])),
            ("children", children.into()),
            ("items_html", "".into()),
            ("items", Value::Array(Vec::new())),
        ]);
        let source = site.tag_index_note.map_or("tags", |n| site.notes[n].path.as_str());
        let page = self.render(
            "list.html",
            index_file(&site.tags_url),
            &site.tags_url,
            object([("list", with_breadcrumbs_html(&self.templates.parts, list))]),
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
        let url = &self.site.graph_url;
        self.render("graph.html", index_file(url), url, json!({}), "graph.html")
    }

    fn simple(&self, template: &str, out: &str, own: Value) -> Result<OutputFile, Diagnostic> {
        self.render(template, out.into(), out, own, template)
    }
}
