//! MiniJinja against Tera and Tera plus Loam's pattern renderer, rendering Loam's built-in note page for 10,000
//! notes. See README.md.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod data;
mod pattern;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use minijinja::value::{Enumerator, Kwargs, Object, ObjectRepr, Serde, Value as MjValue};
use minijinja::{context, AutoEscape, Environment};
use pulldown_cmark_escape::{escape_html, FmtWriter};
use rayon::prelude::*;
use serde_json::{json, Value};
use tera::Tera;

use data::{Date, Note, SiteData};
use pattern::{marker, Part, Pattern, NOTE_VALUES, POISON};

/// Loam's own templates, read from the repository so that the bench measures what Loam renders today.
const TEMPLATE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../templates");
/// Loam's list of built-in templates (render/templates.rs `TEMPLATES`).
const TEMPLATES: &[&str] = &[
    "base.html",
    "note.html",
    "list.html",
    "alias.html",
    "404.html",
    "graph.html",
    "feed.xml",
    "sitemap.xml",
    "parts/recent_note.html",
    "parts/toc_entry.html",
    "parts/backlink.html",
    "parts/breadcrumb.html",
    "parts/tag.html",
    "parts/note_item.html",
    "parts/note_item_tag.html",
    "parts/date.html",
    "parts/contributors.html",
];

fn read_template(name: &str) -> String {
    std::fs::read_to_string(format!("{TEMPLATE_DIR}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

// ---------------------------------------------------------------------------------------------------------------
// Tera, set up as Loam sets it up (templates.rs `Templates::new`), and Loam's parts (parts.rs).

fn loam_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let _ = escape_html(&mut out, text);
    out
}

fn tera() -> Tera {
    let mut tera = Tera::default();
    tera.set_escape_fn(loam_escape);
    let sources: Vec<(String, String)> = TEMPLATES.iter().map(|n| (n.to_string(), read_template(n))).collect();
    tera.add_raw_templates(sources).expect("Loam's templates compile in Tera");
    tera
}

struct Parts {
    recent_note: Part,
    toc_entry: Part,
    backlink: Part,
    breadcrumb: Part,
    tag: Part,
    date: Part,
    contributors: Part,
}

impl Parts {
    fn new(tera: &Tera) -> Parts {
        let part = |name: &str, fields: &[&str], optional: &[&str]| {
            Part::new(tera, &format!("parts/{name}.html"), fields, optional).expect("a part")
        };
        Parts {
            recent_note: part("recent_note", &["url", "title", "date", "display"], &[]),
            toc_entry: part("toc_entry", &["depth", "id", "text"], &[]),
            backlink: part("backlink", &["url", "title", "context"], &["context"]),
            breadcrumb: part("breadcrumb", &["url", "title"], &[]),
            tag: part("tag", &["base_path", "url", "name"], &[]),
            date: part("date", &["label", "iso", "display"], &[]),
            contributors: part("contributors", &["several", "names"], &["several"]),
        }
    }
}

/// The `_html` values of one note page (Loam's `NoteParts`), breadcrumbs apart (made once per folder).
#[derive(Debug, Clone)]
struct NoteParts {
    toc_html: String,
    tags_html: String,
    backlinks_html: String,
    dates_html: String,
}

fn labelled_dates(note: &Note) -> impl Iterator<Item = (&'static str, &Date)> {
    [("Published", &note.date), ("Created", &note.created), ("Updated", &note.updated), ("Last edited", &note.edited)]
        .into_iter()
        .filter_map(|(label, d)| d.as_ref().map(|d| (label, d)))
}

/// Loam's `note_parts` minus the Markdown: the lists as ready HTML through the parts' patterns.
fn parts_by_patterns(parts: &Parts, site: &SiteData, note: &Note) -> NoteParts {
    let mut toc_html = String::new();
    for h in &note.headings {
        parts.toc_entry.fill_into(&mut toc_html, &[&(h.level - note.top).to_string(), &h.id, &h.text]);
    }
    let mut tags_html = String::new();
    for t in &note.tags {
        parts.tag.fill_into(&mut tags_html, &[&site.base_path, &t.url, &t.name]);
    }
    let mut backlinks_html = String::new();
    for b in &note.backlinks {
        parts.backlink.fill_into(&mut backlinks_html, &[&b.url, &b.title, &b.context]);
    }
    let mut dates_html = String::new();
    for (label, d) in labelled_dates(note) {
        parts.date.fill_into(&mut dates_html, &[label, &d.iso, &d.display]);
    }
    if !note.contributors.is_empty() {
        let several = if note.contributors.len() > 1 { "several" } else { "" };
        parts.contributors.fill_into(&mut dates_html, &[several, &note.contributors.join(", ")]);
    }
    NoteParts { toc_html, tags_html, backlinks_html, dates_html }
}

/// What every page shares (Loam's `Prepared`): globals, breadcrumbs per folder, the note patterns.
struct Prepared {
    globals: serde_json::Map<String, Value>,
    crumbs_html: Vec<String>,
    note_patterns: Vec<Pattern>,
    /// The same, as MiniJinja values.
    mj_globals: MjValue,
    mj_crumbs_html: Vec<MjValue>,
    mj_crumbs: Vec<MjValue>,
}

fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// Loam's `Renderer::context`: the page's own values plus the globals, copied per page.
fn with_globals(prep: &Prepared, page_url: &str, mut own: Value) -> Value {
    if let Value::Object(own) = &mut own {
        for (k, v) in &prep.globals {
            if !own.contains_key(k) {
                own.insert(k.clone(), v.clone());
            }
        }
        own.insert("page_url".into(), page_url.into());
    }
    own
}

fn prepare(tera: &Tera, parts: &Parts, site: &SiteData) -> Prepared {
    let mut recent_html = String::new();
    for (url, title, iso, display) in &site.recent {
        parts.recent_note.fill_into(&mut recent_html, &[url, title, iso, display]);
    }
    let globals: serde_json::Map<String, Value> = [
        (
            "site",
            json!({ "title": site.title, "description": site.description, "author": "", "language": "en",
                    "base_url": site.base_url }),
        ),
        ("base_path", site.base_path.as_str().into()),
        ("tags_url", "/tags/".into()),
        ("graph_url", "/graph/".into()),
        ("search", true.into()),
        ("site_origin", site.site_origin.as_str().into()),
        ("recent_html", recent_html.into()),
        ("loam_version", "0.1.0".into()),
        ("live_reload", false.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let crumbs_html: Vec<String> = site
        .folders
        .iter()
        .map(|f| {
            let mut html = String::new();
            for (title, url) in &f.crumbs {
                parts.breadcrumb.fill_into(&mut html, &[url, title]);
            }
            html
        })
        .collect();
    let mut prep = Prepared {
        mj_globals: MjValue::from(Serde(&globals)),
        mj_crumbs_html: crumbs_html.iter().map(|h| MjValue::from(h.as_str())).collect(),
        mj_crumbs: site
            .folders
            .iter()
            .map(|f| {
                MjValue::from(
                    f.crumbs
                        .iter()
                        .map(|(title, url)| context! { title => title.as_str(), url => url.as_str() })
                        .collect::<Vec<_>>(),
                )
            })
            .collect(),
        globals,
        crumbs_html,
        note_patterns: Vec::new(),
    };
    prep.note_patterns = note_patterns(tera, &prep);
    prep
}

/// pattern.rs `note_patterns`: note.html rendered by Tera once per combination of its conditions, with markers.
fn note_patterns(tera: &Tera, prep: &Prepared) -> Vec<Pattern> {
    (0..32u8)
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
                ("path", POISON.into()),
                ("tags", Value::Array(Vec::new())),
                ("created", Value::Null),
                ("updated", Value::Null),
                ("date", Value::Null),
                ("backlinks", Value::Array(Vec::new())),
                ("breadcrumbs", Value::Array(Vec::new())),
                ("extra", Value::Object(serde_json::Map::new())),
            ]);
            let context = with_globals(prep, POISON, object([("note", note)]));
            let context = tera::Context::from_value(context).unwrap();
            let rendered = tera.render("note.html", &context).expect("note.html renders with markers");
            Pattern::parse(&rendered, NOTE_VALUES).expect("note.html makes a pattern")
        })
        .collect()
}

fn date_value(d: &Option<Date>) -> Value {
    match d {
        Some(d) => json!({ "iso": d.iso, "display": d.display }),
        None => Value::Null,
    }
}

/// Loam's `note_value` with the built-in templates in effect (they name no costly list, so `tags`, `backlinks`
/// and `breadcrumbs` stay empty).
fn note_value(site: &SiteData, prep: &Prepared, note: &Note, parts: NoteParts) -> Value {
    let toc: Vec<Value> = note
        .headings
        .iter()
        .map(|h| {
            object([
                ("level", h.level.into()),
                ("depth", (h.level - note.top).into()),
                ("id", h.id.as_str().into()),
                ("text", h.text.as_str().into()),
            ])
        })
        .collect();
    let _ = site;
    object([
        ("title", note.title.as_str().into()),
        ("description", note.description.as_str().into()),
        ("url", note.url.as_str().into()),
        ("path", note.path.as_str().into()),
        ("content", note.content.clone().into()),
        ("tags", Value::Array(Vec::new())),
        ("created", date_value(&note.created)),
        ("updated", date_value(&note.updated)),
        ("date", date_value(&note.date)),
        ("edited", date_value(&note.edited)),
        ("contributors", note.contributors.iter().map(|a| Value::from(a.as_str())).collect::<Vec<_>>().into()),
        ("dates_html", parts.dates_html.into()),
        ("toc", toc.into()),
        ("toc_html", parts.toc_html.into()),
        ("backlinks", Value::Array(Vec::new())),
        ("backlinks_html", parts.backlinks_html.into()),
        ("tags_html", parts.tags_html.into()),
        ("breadcrumbs_html", prep.crumbs_html[note.folder].as_str().into()),
        ("breadcrumbs", Value::Array(Vec::new())),
        ("extra", Value::Object(serde_json::Map::new())),
    ])
}

/// The whole context Loam gives Tera for a note page.
fn note_context(site: &SiteData, prep: &Prepared, note: &Note, parts: NoteParts) -> Value {
    with_globals(prep, &note.url, object([("note", note_value(site, prep, note, parts))]))
}

// ---------------------------------------------------------------------------------------------------------------
// MiniJinja.

fn minijinja_env() -> (Environment<'static>, Vec<String>) {
    let mut env = Environment::new();
    // Loam's escaping (pulldown-cmark-escape: & < > " only; MiniJinja's own also escapes ' and /).
    env.set_formatter(|out, state, value| {
        if matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe() {
            if let Some(s) = value.as_str() {
                return escape_html(FmtWriter(out), s).map_err(minijinja::Error::from);
            }
        }
        minijinja::escape_formatter(out, state, value)
    });
    // Tera keeps a template's final newline; MiniJinja drops it unless told.
    env.set_syntax(minijinja::syntax::SyntaxConfig::builder().keep_trailing_newline(true).build().unwrap());
    // Tera built-ins that list.html, feed.xml and sitemap.xml use and MiniJinja lacks.
    env.add_filter("trim_start_matches", |value: String, kwargs: Kwargs| -> Result<String, minijinja::Error> {
        let pat: String = kwargs.get("pat")?;
        kwargs.assert_all_used()?;
        Ok(value.trim_start_matches(pat.as_str()).to_string())
    });
    env.add_filter("pluralize", |value: f64| -> String { if (value.abs() - 1.0).abs() > f64::EPSILON { "s" } else { "" }.to_string() });
    env.add_filter("escape_xml", |value: String| -> String {
        let mut out = String::with_capacity(value.len());
        for c in value.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&apos;"),
                c => out.push(c),
            }
        }
        out
    });
    let mut problems = Vec::new();
    for name in TEMPLATES {
        if let Err(e) = env.add_template_owned(name.to_string(), read_template(name)) {
            problems.push(format!("{name}: {e:#}"));
        }
    }
    // The "MiniJinja alone" note page: loops over lazy lists instead of `_html` values (same output bytes).
    env.add_template_owned("note_loops.html", std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/templates-minijinja/note_loops.html")).expect("note_loops.html"))
        .unwrap_or_else(|e| panic!("note_loops.html: {e:#}"));
    // feed.xml with its one Tera-only construct changed: `default(value="en")` to `default("en")`.
    env.add_template_owned("feed_fixed.xml", std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/templates-minijinja/feed.xml")).expect("feed.xml"))
        .unwrap_or_else(|e| panic!("feed.xml: {e:#}"));
    (env, problems)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ListKind {
    Toc,
    Tags,
    Backlinks,
    Dates,
}

/// A note's list, made into values only when a template reads it.
#[derive(Debug)]
struct NoteList {
    note: Arc<Note>,
    kind: ListKind,
    base_path: &'static str,
}

impl NoteList {
    fn len(&self) -> usize {
        match self.kind {
            ListKind::Toc => self.note.headings.len(),
            ListKind::Tags => self.note.tags.len(),
            ListKind::Backlinks => self.note.backlinks.len(),
            ListKind::Dates => labelled_dates(&self.note).count(),
        }
    }
}

impl Object for NoteList {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.len())
    }
    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.len())
    }
    fn get_value(self: &Arc<Self>, key: &MjValue) -> Option<MjValue> {
        let index = key.as_usize()?;
        (index < self.len()).then(|| MjValue::from_object(Entry { list: self.clone(), index }))
    }
}

#[derive(Debug)]
struct Entry {
    list: Arc<NoteList>,
    index: usize,
}

impl Object for Entry {
    fn get_value(self: &Arc<Self>, key: &MjValue) -> Option<MjValue> {
        self.get_value_by_str(key.as_str()?)
    }
    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<MjValue> {
        let note = &self.list.note;
        let i = self.index;
        Some(match (self.list.kind, key) {
            (ListKind::Toc, "level") => note.headings[i].level.into(),
            (ListKind::Toc, "depth") => (note.headings[i].level - note.top).into(),
            (ListKind::Toc, "id") => note.headings[i].id.as_str().into(),
            (ListKind::Toc, "text") => note.headings[i].text.as_str().into(),
            (ListKind::Tags, "name") => note.tags[i].name.as_str().into(),
            (ListKind::Tags, "url") => format!("{}{}", self.list.base_path, note.tags[i].url).into(),
            (ListKind::Backlinks, "title") => note.backlinks[i].title.as_str().into(),
            (ListKind::Backlinks, "url") => note.backlinks[i].url.as_str().into(),
            (ListKind::Backlinks, "context") => note.backlinks[i].context.as_str().into(),
            (ListKind::Dates, field) => {
                let (label, d) = labelled_dates(note).nth(i)?;
                match field {
                    "label" => label.into(),
                    "iso" => d.iso.as_str().into(),
                    "display" => d.display.as_str().into(),
                    _ => return None,
                }
            }
            _ => return None,
        })
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(match self.list.kind {
            ListKind::Toc => &["level", "depth", "id", "text"],
            ListKind::Tags => &["name", "url"],
            ListKind::Backlinks => &["title", "url", "context"],
            ListKind::Dates => &["label", "iso", "display"],
        })
    }
}

/// How a lazy note gets its `_html` values.
#[derive(Debug)]
enum HtmlParts {
    /// Made beforehand by Loam's parts (patterns), as values.
    Ready([MjValue; 4]),
    /// Rendered by MiniJinja from `templates/parts/` on first use, one render per entry.
    MiniJinja { env: &'static Environment<'static>, cache: [OnceLock<MjValue>; 4] },
}

/// `note` as a lazy MiniJinja object: a value is made when the template reads it.
#[derive(Debug)]
struct NoteObject {
    note: Arc<Note>,
    base_path: &'static str,
    crumbs_html: MjValue,
    crumbs: MjValue,
    html: HtmlParts,
}

const NOTE_KEYS: &[&str] = &[
    "title", "description", "url", "path", "content", "tags", "created", "updated", "date", "edited", "contributors",
    "dates_html", "toc", "toc_html", "backlinks", "backlinks_html", "tags_html", "breadcrumbs_html", "breadcrumbs",
    "extra",
];

fn mj_date(d: &Option<Date>) -> MjValue {
    match d {
        Some(d) => context! { iso => d.iso.as_str(), display => d.display.as_str() },
        None => MjValue::from(()),
    }
}

impl NoteObject {
    fn list(&self, kind: ListKind) -> MjValue {
        MjValue::from_object(NoteList { note: self.note.clone(), kind, base_path: self.base_path })
    }

    fn html(&self, which: usize) -> MjValue {
        match &self.html {
            HtmlParts::Ready(values) => values[which].clone(),
            HtmlParts::MiniJinja { env, cache } => cache[which]
                .get_or_init(|| MjValue::from(render_parts_minijinja(env, self.base_path, &self.note, which)))
                .clone(),
        }
    }
}

/// Each entry of one `_html` list through its part template in MiniJinja (0 toc, 1 tags, 2 backlinks, 3 dates).
fn render_parts_minijinja(env: &Environment<'static>, base_path: &str, note: &Note, which: usize) -> String {
    let mut html = String::new();
    match which {
        0 => {
            let t = env.get_template("parts/toc_entry.html").unwrap();
            for h in &note.headings {
                let c = context! { depth => h.level - note.top, id => h.id.as_str(), text => h.text.as_str() };
                html.push_str(&t.render(c).unwrap());
            }
        }
        1 => {
            let t = env.get_template("parts/tag.html").unwrap();
            for tag in &note.tags {
                let c = context! { base_path => base_path, url => tag.url.as_str(), name => tag.name.as_str() };
                html.push_str(&t.render(c).unwrap());
            }
        }
        2 => {
            let t = env.get_template("parts/backlink.html").unwrap();
            for b in &note.backlinks {
                let c = context! { url => b.url.as_str(), title => b.title.as_str(), context => b.context.as_str() };
                html.push_str(&t.render(c).unwrap());
            }
        }
        _ => {
            let t = env.get_template("parts/date.html").unwrap();
            for (label, d) in labelled_dates(note) {
                let c = context! { label => label, iso => d.iso.as_str(), display => d.display.as_str() };
                html.push_str(&t.render(c).unwrap());
            }
            if !note.contributors.is_empty() {
                let t = env.get_template("parts/contributors.html").unwrap();
                let several = if note.contributors.len() > 1 { "several" } else { "" };
                html.push_str(&t.render(context! { several => several, names => note.contributors.join(", ") }).unwrap());
            }
        }
    }
    html
}

impl Object for NoteObject {
    fn get_value(self: &Arc<Self>, key: &MjValue) -> Option<MjValue> {
        self.get_value_by_str(key.as_str()?)
    }
    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<MjValue> {
        let note = &self.note;
        Some(match key {
            "title" => note.title.as_str().into(),
            "description" => note.description.as_str().into(),
            "url" => note.url.as_str().into(),
            "path" => note.path.as_str().into(),
            "content" => note.content.as_str().into(),
            "tags" => self.list(ListKind::Tags),
            "created" => mj_date(&note.created),
            "updated" => mj_date(&note.updated),
            "date" => mj_date(&note.date),
            "edited" => mj_date(&note.edited),
            "contributors" => note.contributors.iter().map(|c| MjValue::from(c.as_str())).collect::<Vec<_>>().into(),
            "toc" => self.list(ListKind::Toc),
            "backlinks" => self.list(ListKind::Backlinks),
            // Only for note_loops.html: the dates that are set, as { label, iso, display }.
            "date_entries" => self.list(ListKind::Dates),
            "toc_html" => self.html(0),
            "tags_html" => self.html(1),
            "backlinks_html" => self.html(2),
            "dates_html" => self.html(3),
            "breadcrumbs_html" => self.crumbs_html.clone(),
            "breadcrumbs" => self.crumbs.clone(),
            "extra" => MjValue::from(BTreeMap::<String, MjValue>::new()),
            _ => return None,
        })
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(NOTE_KEYS)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The ways of rendering one note page.

struct Bench<'a> {
    site: &'a SiteData,
    tera: &'a Tera,
    env: &'static Environment<'static>,
    parts: &'a Parts,
    prep: &'a Prepared,
    base_path: &'static str,
    /// Every note's `_html` values made beforehand, for the "template step only" runs.
    ready: Vec<NoteParts>,
}

#[derive(Clone, Copy, PartialEq)]
enum Method {
    /// Part fills, then a full Tera render of note.html (Loam's path for a garden's own note.html).
    Tera,
    /// Part fills, then MiniJinja with the same serde_json context (converted by serde).
    MjSerde,
    /// Part fills, then MiniJinja with `note` a lazy object.
    MjLazy,
    /// MiniJinja alone, Loam's templates unchanged: lazy object, the `_html` values rendered from parts/ by
    /// MiniJinja, one render per entry.
    MjAloneParts,
    /// MiniJinja alone, idiomatic: lazy object and note_loops.html, which loops over the lists.
    MjAloneLoops,
    /// Part fills, then the note pattern filled in (what Loam does today).
    Patterns,
}

impl Bench<'_> {
    fn parts_for(&self, i: usize, ready: bool) -> NoteParts {
        if ready {
            self.ready[i].clone()
        } else {
            parts_by_patterns(self.parts, self.site, &self.site.notes[i])
        }
    }

    fn lazy_note(&self, i: usize, html: HtmlParts) -> MjValue {
        let note = &self.site.notes[i];
        MjValue::from_object(NoteObject {
            note: note.clone(),
            base_path: self.base_path,
            crumbs_html: self.prep.mj_crumbs_html[note.folder].clone(),
            crumbs: self.prep.mj_crumbs[note.folder].clone(),
            html,
        })
    }

    /// Note `i`'s page; with `ready`, its `_html` values come made beforehand (the template step alone).
    fn render(&self, method: Method, i: usize, ready: bool) -> Vec<u8> {
        let site = self.site;
        let note = &site.notes[i];
        match method {
            Method::Tera => {
                let context = note_context(site, self.prep, note, self.parts_for(i, ready));
                let context = tera::Context::from_value(context).unwrap();
                let mut bytes = Vec::with_capacity(16 * 1024);
                self.tera.render_to("note.html", &context, &mut bytes).unwrap();
                bytes
            }
            Method::MjSerde => {
                let context = note_context(site, self.prep, note, self.parts_for(i, ready));
                let context = MjValue::from(Serde(&context));
                self.env.get_template("note.html").unwrap().render(context).unwrap().into_bytes()
            }
            Method::MjLazy => {
                let p = if ready {
                    let p = &self.ready[i];
                    [&p.toc_html, &p.tags_html, &p.backlinks_html, &p.dates_html].map(|s| MjValue::from(s.as_str()))
                } else {
                    let p = self.parts_for(i, false);
                    [p.toc_html, p.tags_html, p.backlinks_html, p.dates_html].map(MjValue::from)
                };
                let ctx = context! { note => self.lazy_note(i, HtmlParts::Ready(p)), page_url => note.url.as_str(),
                                     ..self.prep.mj_globals.clone() };
                self.env.get_template("note.html").unwrap().render(ctx).unwrap().into_bytes()
            }
            Method::MjAloneParts => {
                let html = HtmlParts::MiniJinja { env: self.env, cache: Default::default() };
                let ctx = context! { note => self.lazy_note(i, html), page_url => note.url.as_str(),
                                     ..self.prep.mj_globals.clone() };
                self.env.get_template("note.html").unwrap().render(ctx).unwrap().into_bytes()
            }
            Method::MjAloneLoops => {
                let html = HtmlParts::MiniJinja { env: self.env, cache: Default::default() };
                let ctx = context! { note => self.lazy_note(i, html), page_url => note.url.as_str(),
                                     ..self.prep.mj_globals.clone() };
                self.env.get_template("note_loops.html").unwrap().render(ctx).unwrap().into_bytes()
            }
            Method::Patterns => {
                let owned;
                let parts = if ready {
                    &self.ready[i]
                } else {
                    owned = self.parts_for(i, false);
                    &owned
                };
                let bit = |set: bool, n: u8| u8::from(set) << n;
                let variant = bit(!note.description.is_empty(), 0)
                    | bit(!parts.dates_html.is_empty(), 1)
                    | bit(!parts.tags_html.is_empty(), 2)
                    | bit(note.headings.len() >= 2, 3)
                    | bit(!parts.backlinks_html.is_empty(), 4);
                let values: [&str; NOTE_VALUES] = [
                    &note.title,
                    &note.description,
                    &note.url,
                    &self.prep.crumbs_html[note.folder],
                    &parts.dates_html,
                    &parts.tags_html,
                    &parts.toc_html,
                    &note.content,
                    &parts.backlinks_html,
                ];
                self.prep.note_patterns[usize::from(variant)].fill(&values)
            }
        }
    }
}

fn first_difference(a: &[u8], b: &[u8]) -> Option<String> {
    if a == b {
        return None;
    }
    let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    let show = |s: &[u8]| String::from_utf8_lossy(&s[at.saturating_sub(60)..(at + 60).min(s.len())]).into_owned();
    Some(format!("at byte {at} (lengths {} vs {}):\n      tera: {:?}\n      other: {:?}", a.len(), b.len(), show(a), show(b)))
}

/// The other built-in templates, with small contexts, through both engines: where do they differ?
fn check_other_templates(tera: &Tera, env: &Environment, prep: &Prepared) {
    let item = "\n      <li class=\"note-item\">x</li>";
    let list = |kind: &str, children: Value, items_html: &str, content: &str| {
        object([(
            "list",
            json!({ "kind": kind, "title": "Café & Zürich", "url": "/café/", "content": content, "note": null,
                    "breadcrumbs": [], "breadcrumbs_html": "\n        <li><a href=\"/\">Home</a></li>",
                    "children": children, "items_html": items_html, "items": [] }),
        )])
    };
    let folders = json!([{ "title": "Sub 'one'", "url": "/café/sub/", "count": 1 }, { "title": "Two", "url": "/café/two/", "count": 12 }]);
    let tags = json!([{ "title": "#rust", "url": "/tags/rust/", "count": 3 }]);
    let cases: Vec<(&str, &str, Value)> = vec![
        ("list.html (home)", "list.html", list("home", json!([]), item, "")),
        ("list.html (folder)", "list.html", list("folder", folders, item, "<p>hi</p>")),
        ("list.html (tag)", "list.html", list("tag", tags.clone(), item, "")),
        ("list.html (tags)", "list.html", list("tags", tags, "", "")),
        ("alias.html", "alias.html", object([("alias", json!({ "target_url": "/a/", "target_title": "A & B", "canonical": "https://example.org/a/" }))])),
        ("404.html", "404.html", json!({})),
        ("graph.html", "graph.html", json!({})),
        ("feed.xml", "feed.xml", object([("feed", json!({ "updated": "2024-01-01T00:00:00+00:00", "url": "https://example.org/feed.xml",
            "entries": [{ "title": "A & 'B'", "url": "https://example.org/a/", "updated": "2024-01-01T00:00:00+00:00", "summary": "<x>" }] }))])),
        ("sitemap.xml", "sitemap.xml", object([("sitemap", json!({ "urls": [{ "loc": "https://example.org/a/", "lastmod": "2024-01-01" }, { "loc": "https://example.org/b/", "lastmod": "" }] }))])),
    ];
    let feed = cases.iter().find(|c| c.1 == "feed.xml").unwrap().2.clone();
    let mut cases = cases;
    cases.push(("feed.xml, default(\"en\") in MiniJinja", "feed.xml", feed));
    for (label, name, own) in cases {
        let page_url = if label == "list.html (home)" { "/" } else { "/café/" };
        let context = with_globals(prep, page_url, own);
        let t = tera.render(name, &tera::Context::from_value(context.clone()).unwrap());
        let mj_name = if label.starts_with("feed.xml, ") { "feed_fixed.xml" } else { name };
        let m = env.get_template(mj_name).and_then(|t| t.render(MjValue::from(Serde(&context))));
        match (t, m) {
            (Ok(t), Ok(m)) => match first_difference(t.as_bytes(), m.as_bytes()) {
                None => println!("  {label}: identical ({} bytes)", t.len()),
                Some(d) => println!("  {label}: DIFFERS {d}"),
            },
            (t, m) => println!("  {label}: tera {:?} / minijinja {:?}", t.err().map(|e| e.to_string()), m.err().map(|e| format!("{e:#}"))),
        }
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let n: usize = std::env::args().nth(1).map_or(10_000, |a| a.parse().expect("number of notes"));
    let reps: usize = std::env::args().nth(2).map_or(7, |a| a.parse().expect("repetitions"));
    let threads = rayon::current_num_threads();

    let t = Instant::now();
    let site = data::generate(n);
    let tera = tera();
    let parts = Parts::new(&tera);
    let prep = prepare(&tera, &parts, &site);
    let (env, problems) = minijinja_env();
    let env: &'static Environment<'static> = Box::leak(Box::new(env));
    let ready: Vec<NoteParts> = site.notes.iter().map(|note| parts_by_patterns(&parts, &site, note)).collect();
    let bench = Bench { site: &site, tera: &tera, env, parts: &parts, prep: &prep, base_path: "/", ready };
    let content: Vec<usize> = site.notes.iter().map(|n| n.content.len()).collect();
    let mut sorted = content.clone();
    sorted.sort();
    let mut backlinks: Vec<usize> = site.notes.iter().map(|n| n.backlinks.len()).collect();
    backlinks.sort();
    println!(
        "{n} notes generated in {:.0} ms; content HTML median {} B, mean {} B, max {} B; backlinks median {}, max {}; \
         toc shown on {}; rayon threads: {threads}",
        t.elapsed().as_secs_f64() * 1e3,
        sorted[n / 2],
        content.iter().sum::<usize>() / n,
        sorted[n - 1],
        backlinks[n / 2],
        backlinks[n - 1],
        site.notes.iter().filter(|n| n.headings.len() >= 2).count(),
    );

    println!("\nTemplates in MiniJinja 3.1.0 (loaded unchanged from templates/):");
    if problems.is_empty() {
        println!("  all {} compile", TEMPLATES.len());
    }
    for p in &problems {
        println!("  does not compile: {p}");
    }
    check_other_templates(&tera, env, &prep);

    // Same bytes? Every note page, every method, against the full Tera render.
    let methods: [(Method, bool, &str); 10] = [
        (Method::Tera, false, "a  Tera full render"),
        (Method::MjSerde, false, "b1 MiniJinja, serde_json context"),
        (Method::MjLazy, false, "b2 MiniJinja, lazy note object"),
        (Method::MjAloneParts, false, "b3 MiniJinja alone, parts/ rendered by MJ"),
        (Method::MjAloneLoops, false, "b4 MiniJinja alone, loops (note_loops.html)"),
        (Method::Patterns, false, "c  Tera+patterns (Loam today)"),
        (Method::Tera, true, "a' Tera full render"),
        (Method::MjSerde, true, "b1' MiniJinja, serde_json context"),
        (Method::MjLazy, true, "b2' MiniJinja, lazy note object"),
        (Method::Patterns, true, "c' pattern fill"),
    ];
    println!("\nOutput bytes against (a) Tera, all {n} note pages:");
    let reference: Vec<Vec<u8>> = (0..n).into_par_iter().map(|i| bench.render(Method::Tera, i, false)).collect();
    for &(method, ready, label) in &methods[1..6] {
        let diffs: Vec<(usize, String)> = (0..n)
            .into_par_iter()
            .filter_map(|i| first_difference(&reference[i], &bench.render(method, i, ready)).map(|d| (i, d)))
            .collect();
        match diffs.first() {
            None => println!("  {label}: identical on all {n}"),
            Some((i, d)) => println!("  {label}: {} pages differ; first, note {i}, {d}", diffs.len()),
        }
    }
    let total_bytes: usize = reference.iter().map(Vec::len).sum();
    println!("  total output {:.1} MB, {:.1} KB per page", total_bytes as f64 / 1e6, total_bytes as f64 / n as f64 / 1e3);
    drop(reference);

    // Timing: one warm-up, then `reps` rounds taking turns.
    let run = |method: Method, ready: bool| -> (f64, usize) {
        let t = Instant::now();
        let bytes: usize = (0..n).into_par_iter().map(|i| bench.render(method, i, ready).len()).sum();
        (t.elapsed().as_secs_f64() * 1e3, bytes)
    };
    for &(m, r, _) in &methods {
        run(m, r);
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); methods.len()];
    for _ in 0..reps {
        for (k, &(m, r, _)) in methods.iter().enumerate() {
            times[k].push(run(m, r).0);
        }
    }
    let meds: Vec<f64> = times.iter_mut().map(|t| median(t)).collect();
    println!("\n{n} note pages, {threads} rayon thread(s), median of {reps} rounds (min-max):");
    println!("  {:<46} {:>9} {:>10} {:>17} {:>8}", "method", "ms", "µs/page", "min-max ms", "vs c");
    for (k, &(_, ready, label)) in methods.iter().enumerate() {
        if k == 6 {
            println!("  -- template step only (_html values made beforehand, outside the timing) --");
        }
        let c = if ready { meds[9] } else { meds[5] };
        let (lo, hi) = (times[k][0], times[k][times[k].len() - 1]);
        println!(
            "  {:<46} {:>9.1} {:>10.2} {:>8.1}-{:<8.1} {:>7.2}x",
            label,
            meds[k],
            meds[k] * 1e3 / n as f64,
            lo,
            hi,
            meds[k] / c
        );
    }
}
