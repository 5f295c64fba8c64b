//! The values each page's template sees: what every page shares, made once per build ([`Prepared`]: the
//! globals, breadcrumbs by folder, each note's summary for lists and the patterns of the built-in pages), and a
//! note's own values. `templates/CONTEXT.md` documents them; keep it in step with the values here. Pure.

use rayon::prelude::*;
use serde_json::{json, Value};
use std::sync::{Arc, OnceLock};

use super::parts::Parts;
use super::pattern::{alias_pattern, note_patterns, Pattern};
use super::{RenderMemo, RenderOptions, Renderer, Templates};
use crate::config::HistoryViews;
use crate::diagnostic::Diagnostic;
use crate::lock;
use crate::memo::key_of;
use crate::page;
use crate::site::Site;
use crate::slug::key;

/// What the rendering of every page shares, made once per build of the site: each note's summary for lists,
/// breadcrumbs per folder, the values every template sees, and the patterns of the built-in templates.
pub struct Prepared {
    /// What list pages show of each note; made when a list is first rendered (see [`Prepared::new`]).
    lists: OnceLock<Lists>,
    /// The built-in alias and note pages, rendered once with markers (see [`pattern`]).
    pub(super) alias_pattern: Option<Arc<Pattern>>,
    pub(super) note_patterns: Option<Arc<Vec<Pattern>>>,
    /// By folder key: its breadcrumbs with the folder itself and without, and their HTML.
    pub(super) crumbs: Arc<Crumbs>,
    /// The values every template sees, but `page_url`.
    pub(super) globals: serde_json::Map<String, Value>,
}

/// By folder key: its breadcrumbs with the folder itself and without, and their HTML.
pub(super) type Crumbs = rustc_hash::FxHashMap<String, [(Vec<Value>, String); 2]>;

/// Each note's summary (title, URL, tags, date), which appears on many list pages, made once per note.
struct Lists {
    /// `[with tags, without]` `<li>` of each published note for list pages.
    item_html: Vec<[String; 2]>,
    /// `item(site, i)` for each published note (`null` for the others), when a template names `list.items`;
    /// else empty.
    items: Vec<Value>,
}

impl Lists {
    /// The summaries; `list.items` only when a template names it (see `Named`).
    fn new(site: &Site, templates: &Templates) -> Lists {
        let parts = &templates.parts;
        // Its `<li>` for `items_html`: with its tags on folder pages, without on tag pages.
        let item_html: Vec<[String; 2]> = (0..site.notes.len())
            .into_par_iter()
            .map(|i| {
                if site.published[i] {
                    [parts.item_html(site, i, true), parts.item_html(site, i, false)]
                } else {
                    Default::default()
                }
            })
            .collect();
        let items = if templates.named.items {
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
            let _ = lists.set(Lists::new(site, templates));
        }
        let config = site.config;
        let globals = Globals {
            site: SiteValues {
                title: &config.title,
                description: &config.description,
                author: &config.author.name,
                language: &config.language,
                base_url: &config.base_url,
            },
            base_path: &site.base_path,
            tags_url: site.url(&site.tags_url),
            graph_url: site.url(&site.graph_url),
            changes_url: match config.history_views {
                HistoryViews::None => String::new(),
                HistoryViews::Served | HistoryViews::Built => site.url("_changes/"),
            },
            search: config.search,
            site_origin: config.site_origin(),
            recent_html: templates.parts.recent_html(site),
            loam_version: env!("CARGO_PKG_VERSION"),
            live_reload: options.live_reload,
            publish_css: site.publish_css().unwrap_or_default(),
            favicon: site.favicon().unwrap_or_else(|| site.url("static/favicon.svg")),
            fonts: site.fonts.iter().map(|path| crate::page::file_url(site, path)).collect(),
            strings: super::strings::all(config),
            strings_json: super::strings::for_scripts(config),
        };
        // What the patterns are made of: the templates and the values every page shares.
        let key = kept.map(|(_, templates_hash)| {
            key_of(&(templates_hash, templates.built_in_alias, templates.built_in_note, &globals))
        });
        let globals = match serde_json::to_value(&globals) {
            Ok(Value::Object(globals)) => globals,
            _ => unreachable!("a struct of strings and flags serialises to an object"),
        };
        // Every note of a folder has the same breadcrumbs. They are made of the folders, the titles of the notes
        // standing for them (both in the site model) and the site's title: kept while those are the same.
        let kept_crumbs = kept.and_then(|(kept, _)| {
            lock(&kept.crumbs)
                .as_ref()
                .filter(|(model, title, _)| Arc::ptr_eq(model, site.model()) && *title == crumbs_key(config))
                .map(|(_, _, crumbs)| crumbs.clone())
        });
        let crumbs = kept_crumbs.unwrap_or_else(|| {
            let crumbs: Arc<Crumbs> = Arc::new(
                site.folders
                    .par_iter()
                    .map(|(folder_key, folder)| {
                        let both = [true, false].map(|include_last| {
                            let crumbs = breadcrumbs(site, &folder.path, include_last);
                            let html = templates.parts.breadcrumbs_html(&crumbs);
                            (crumbs, html)
                        });
                        (folder_key.clone(), both)
                    })
                    .collect(),
            );
            if let Some((kept, _)) = kept {
                *lock(&kept.crumbs) = Some((site.model().clone(), crumbs_key(config), crumbs.clone()));
            }
            crumbs
        });
        let mut prepared = Prepared { lists, globals, crumbs, alias_pattern: None, note_patterns: None };
        let make = |prepared: &Prepared| {
            let renderer = Renderer { site, templates, prep: prepared, search: None, banner: "" };
            let alias = if templates.built_in_alias { alias_pattern(&renderer).map(Arc::new) } else { None };
            let notes = if templates.built_in_note { note_patterns(&renderer).map(Arc::new) } else { None };
            (alias, notes)
        };
        (prepared.alias_pattern, prepared.note_patterns) = match kept.zip(key) {
            Some(((kept, _), key)) => kept.patterns.get_or(key, || make(&prepared)),
            None => make(&prepared),
        };
        prepared
    }
}

/// What breadcrumbs are made of besides the site model: the site's title and the word for its home page.
fn crumbs_key(config: &crate::config::Config) -> String {
    format!("{}\0{}", config.title, super::strings::text(config, "home"))
}

/// The values every page's template sees. Serialised into each page's context, and hashed into the key of the
/// patterns made with them.
#[derive(serde::Serialize, Hash)]
struct Globals<'s> {
    site: SiteValues<'s>,
    base_path: &'s str,
    tags_url: String,
    graph_url: String,
    /// The garden's recent changes, where the site has them (the preview's history views); else empty.
    changes_url: String,
    search: bool,
    site_origin: &'s str,
    recent_html: String,
    loam_version: &'static str,
    live_reload: bool,
    /// The vault's own stylesheet and icon (URLs, or empty).
    publish_css: String,
    favicon: String,
    /// The fonts `publish.css` uses (WOFF2 files of the vault), which pages preload.
    fonts: Vec<String>,
    /// The interface's words in the garden's language (`strings.backlinks`).
    strings: std::collections::BTreeMap<&'static str, &'s str>,
    /// The words the scripts show, as JSON (`<html data-strings>`).
    strings_json: String,
}

/// `site.*` in templates.
#[derive(serde::Serialize, Hash)]
struct SiteValues<'s> {
    title: &'s str,
    description: &'s str,
    author: &'s str,
    language: &'s str,
    base_url: &'s str,
}

/// What a note's page shows (see [`Renderer::note_parts`]).
pub(super) struct NoteParts<'r> {
    pub(super) content: String,
    pub(super) tags_html: String,
    pub(super) breadcrumbs: &'r [Value],
    pub(super) breadcrumbs_html: &'r str,
    /// The level of the shallowest heading.
    pub(super) top: u8,
    pub(super) toc_html: String,
    /// (sort key, linking note, sentence HTML), sorted.
    pub(super) linking: Vec<(&'r str, usize, String)>,
    pub(super) backlinks_html: String,
    pub(super) dates_html: String,
    /// ` id="…"` for the page's title, when it is the heading the note's text began with; else empty.
    pub(super) title_id_attr: String,
    /// How many headings the outline lists.
    pub(super) headings: usize,
}

impl Renderer<'_, '_> {
    fn lists(&self) -> &Lists {
        self.prep.lists.get_or_init(|| Lists::new(self.site, self.templates))
    }

    /// What lists sort note `i` by.
    pub(super) fn sort_key(&self, i: usize) -> &str {
        &self.site.notes[i].outline.title_key
    }

    /// Who changed note `i`, from the history.
    pub(super) fn contributors(&self, i: usize) -> &[String] {
        self.site.history.get(i).map_or(&[], |h| h.authors.as_slice())
    }

    pub(super) fn is_folder_note(&self, note: usize) -> bool {
        self.site.folders.get(&self.site.notes[note].outline.folder_key).is_some_and(|f| f.note == Some(note))
    }

    /// The values every template sees, plus the page's own.
    pub(super) fn context(&self, page_url: &str, mut own: Value) -> Value {
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

    /// What a note's page shows, before it becomes Tera values or fills the note pattern.
    pub(super) fn note_parts(&self, i: usize, diagnostics: &mut Vec<Diagnostic>) -> NoteParts<'_> {
        let site = self.site;
        let note = &site.notes[i];
        let (mut content, problems) = page::body_html(site, i);
        diagnostics.extend(problems);
        let (breadcrumbs, breadcrumbs_html) = self.breadcrumbs(&note.outline.folder_key, !self.is_folder_note(i));
        let mut headings = &note.body.headings[..];
        let mut title_id_attr = String::new();
        if note.begins_with_title {
            // The `# Title` the text begins with is the page's title, shown once, with the heading's id.
            if let Some((id, untitled)) = without_first_heading(&content) {
                title_id_attr = format!(" id=\"{id}\"");
                content = untitled;
                headings = &headings[1..];
            }
        }
        if !self.banner.is_empty() {
            content.insert_str(0, self.banner);
        }
        // `depth` counts from the shallowest heading, so a note that starts at `##` is not indented.
        let top = headings.iter().map(|h| h.level).min().unwrap_or(1);
        let toc_html =
            self.templates.parts.toc_html(headings.iter().map(|h| (h.level - top, h.id.as_str(), h.text.as_str())));
        // One entry per linking note, with the sentence of its first link here, sorted by title.
        let mut seen = std::collections::HashSet::new();
        let mut linking: Vec<(&str, usize, String)> = Vec::new();
        for &(from, link) in &site.backlinks[i] {
            if seen.insert(from) {
                linking.push((self.sort_key(from), from, page::context_html(site, from, link)));
            }
        }
        linking.sort_by(|a, b| a.0.cmp(b.0));
        let backlinks_html = self.templates.parts.backlinks_html(
            linking
                .iter()
                .map(|(_, from, context)| (site.notes[*from].title(), site.note_url(*from), context.as_str())),
        );
        NoteParts {
            content,
            tags_html: self.templates.parts.tags_html(site, note_tags(site, i)),
            breadcrumbs,
            breadcrumbs_html,
            top,
            toc_html,
            linking,
            backlinks_html,
            dates_html: self.templates.parts.dates_html(
                site.config,
                &site.dates[i],
                self.contributors(i),
                history_url(site, i).as_deref(),
            ),
            title_id_attr,
            headings: headings.len(),
        }
    }

    pub(super) fn note_value(&self, i: usize, diagnostics: &mut Vec<Diagnostic>) -> Value {
        let site = self.site;
        let note = &site.notes[i];
        let parts = self.note_parts(i, diagnostics);
        let named = self.templates.named;
        let tags = if named.tags { tag_values(site, i) } else { Value::Array(Vec::new()) };
        // The outline's headings: the title's, when the text began with it, is the page's title, not in the outline.
        let skipped = note.body.headings.len() - parts.headings;
        let toc: Vec<Value> = note.body.headings[skipped..]
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
            ("lead", note.lead().into()),
            ("title_id_attr", parts.title_id_attr.into()),
            ("cssclasses", note.meta.cssclasses.join(" ").into()),
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

    pub(super) fn folder_title(&self, folder: &crate::site::Folder) -> String {
        folder_title(self.site, folder)
    }

    /// The breadcrumbs down to `folder` (its key), with the folder itself or without, and their HTML.
    pub(super) fn breadcrumbs(&self, folder: &str, include_last: bool) -> (&[Value], &str) {
        self.prep.crumbs.get(folder).map_or((&[], ""), |both| {
            let (crumbs, html) = &both[usize::from(!include_last)];
            (crumbs.as_slice(), html.as_str())
        })
    }

    /// `list.items` and `list.items_html` for these notes, sorted by title; on tag pages (`with_tags` false)
    /// every note's other tags are noise that multiplies the page's size by the number of tags per note.
    pub(super) fn items(&self, notes: &[usize], with_tags: bool) -> (Value, Value) {
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

    /// `list.note` and `list.content` of a list page that stands for a note (a folder's `index.md`, a tag's note).
    pub(super) fn page_note(&self, note: Option<usize>, diagnostics: &mut Vec<Diagnostic>) -> (Value, Value) {
        let note = note.map(|n| self.note_value(n, diagnostics));
        let content = note.as_ref().and_then(|n| n["content"].as_str()).unwrap_or_default().to_string();
        (note.unwrap_or(Value::Null), content.into())
    }
}

pub(super) fn folder_title(site: &Site, folder: &crate::site::Folder) -> String {
    match folder.note {
        Some(n) => site.notes[n].title().to_string(),
        None if folder.path.is_empty() => site.config.title.clone(),
        None => folder.path.rsplit('/').next().unwrap_or(&folder.path).to_string(),
    }
}

/// The breadcrumbs from the home page down to `folder` (with it, or down to its parent).
pub(super) fn breadcrumbs(site: &Site, folder: &str, include_last: bool) -> Vec<Value> {
    let mut crumbs = vec![json!({ "title": super::strings::text(site.config, "home"), "url": site.url("") })];
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
pub(super) fn item_date(site: &Site, i: usize) -> String {
    let dates = &site.dates[i];
    dates.updated.or(dates.date).or(dates.created).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// The tags of note `i` that have pages, in the note's order.
pub(super) fn note_tags<'s>(site: &'s Site, i: usize) -> impl Iterator<Item = &'s crate::site::Tag> + use<'s> {
    site.notes[i].outline.tags.iter().filter_map(|chain| site.tags.get(&chain.first()?.1))
}

/// The tags of note `i` as `{ name, url }` values for templates.
pub(super) fn tag_values(site: &Site, i: usize) -> Value {
    note_tags(site, i)
        .map(|tag| object([("name", tag.name.as_str().into()), ("url", site.url(&tag.url).into())]))
        .collect::<Vec<_>>()
        .into()
}

/// Adds `breadcrumbs_html` beside a list page's `breadcrumbs`. See [`toc_html`].
pub(super) fn with_breadcrumbs_html(parts: &Parts, mut list: Value) -> Value {
    let html = list["breadcrumbs"].as_array().map(|crumbs| parts.breadcrumbs_html(crumbs)).unwrap_or_default();
    if let Value::Object(map) = &mut list {
        map.insert("breadcrumbs_html".into(), html.into());
    }
    list
}

/// A JSON object from its fields, moving them: `json!` would copy every value through serde, and a page's
/// values hold its whole HTML and long lists.
pub(super) fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

pub(super) fn date_value(date: Option<chrono::DateTime<chrono::FixedOffset>>) -> Value {
    match date {
        Some(d) => json!({ "iso": d.to_rfc3339(), "display": d.format("%Y-%m-%d").to_string() }),
        None => Value::Null,
    }
}

/// The id (as written, escaped) of the `<h1>` that `html` begins with, and `html` without it; `None` when it does
/// not begin with one.
fn without_first_heading(html: &str) -> Option<(String, String)> {
    let rest = html.trim_start();
    let id = rest.strip_prefix("<h1 id=\"")?.split('"').next()?;
    let end = rest.find("</h1>")? + "</h1>".len();
    let after = rest[end..].strip_prefix('\n').unwrap_or(&rest[end..]);
    Some((id.to_string(), after.to_string()))
}

/// Where note `i`'s history is, if the site has history views: the preview's page of it, or (a built site) the
/// note's own page asking for it.
pub fn history_url(site: &Site, i: usize) -> Option<String> {
    match site.config.history_views {
        HistoryViews::None => None,
        HistoryViews::Served => Some(format!("{}_history/{}", site.base_path, site.urls[i])),
        HistoryViews::Built => Some(format!("{}?history", site.note_url(i))),
    }
}
