//! The garden as a website, before any HTML is written: which notes are published, every page's URL, resolved
//! links, backlinks, tags, folders and aliases. Pure: notes in, [`Site`] out.
//!
//! Publishing rules are applied here, once, and everything downstream reads only what this module lets
//! through; that is how an unpublished note stays out of every page, list and feed.
//!
//! Longer than most files (about 900 lines) for a reason: the publishing rules and everything they decide (URLs,
//! links, backlinks, tags, folders, aliases) are made in one pass over the notes, and the memo that keeps the
//! model between the preview's builds sits beside what it keeps, so that a rule and its key are read together.

mod model;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use chrono::{DateTime, FixedOffset, Utc};
use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Severity};
use crate::memo::{key_of, Kept};
use crate::note::{self, Note, Outline};
use crate::resolve::LinkIndex;
use model::Builder;

/// Files at the root of the notes folder that are the site's own, as Obsidian Publish takes them: a stylesheet
/// loaded after the theme's, and the site's icon (the first of these three there is).
pub const SITE_FILES: [&str; 4] = ["publish.css", "favicon.svg", "favicon.png", "favicon.ico"];

/// One note's links after resolution, before they are merged into the site. A problem's line is 0 here: the site
/// reads it from the note ([`Site::diagnostics`]).
#[derive(Default, Clone)]
struct Resolved {
    links: Arc<[Link]>,
    /// Problems with the note's links, each with the index of its link (see [`Model::link_diagnostics`]).
    diagnostics: Vec<(usize, Diagnostic)>,
    /// (target note, link index) for the target's backlinks.
    backlinks: Vec<(usize, usize)>,
    attachments: Vec<usize>,
}

/// A link after resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// A published note; `fragment` is the `#…` part of the URL, already in its final form.
    Note {
        note: usize,
        fragment: String,
    },
    Attachment(usize),
    /// A folder's page, by the folder's key in [`Model::folders`] (its URL is looked up when the page is made: a
    /// permalink elsewhere may move it).
    Folder(String),
    /// A note that exists but is not published. Nothing about it may be shown.
    Unpublished(usize),
    Missing,
}

#[derive(Debug, Clone, Default)]
pub struct Tag {
    /// As first written (`Area/Topic`).
    pub name: String,
    /// URL path relative to the site root (`tags/area/topic/`).
    pub url: String,
    /// `slug::key` of `url`.
    pub url_key: String,
    /// Notes carrying exactly this tag. A parent tag's page lists its child tags instead of repeating their
    /// notes, which keeps the page of a broad tag (`project/…`) readable and small.
    pub notes: Vec<usize>,
    /// Notes carrying this tag or one below it.
    pub count: usize,
    /// Keys of the tags one level below.
    pub children: Vec<String>,
    /// A published note whose own URL is this tag's page (`tags/plugin.md` for `#plugin`, as in Quartz): its
    /// text heads the tag page, which then stands for the note.
    pub note: Option<usize>,
    last_counted: Option<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct Folder {
    /// Path relative to the content folder, as on disk (`01. Personal`); empty for the root.
    pub path: String,
    pub url: String,
    /// The note standing for the folder (`index.md`), if published.
    pub note: Option<usize>,
    /// Published notes directly in the folder (not the folder's own note).
    pub notes: Vec<usize>,
    pub children: Vec<String>,
    /// Published notes anywhere below.
    pub count: usize,
}

/// Dates of a note, parsed.
#[derive(Debug, Clone, Default)]
pub struct Dates {
    pub date: Option<DateTime<FixedOffset>>,
    pub created: Option<DateTime<FixedOffset>>,
    pub updated: Option<DateTime<FixedOffset>>,
    /// The file's modification time, for feeds when the frontmatter gives no date.
    pub modified: Option<DateTime<FixedOffset>>,
    /// When the history last saw the note's text change (see [`Contributions`]).
    pub edited: Option<DateTime<FixedOffset>>,
}

impl Dates {
    /// The date a reader would call "last changed": the history's, which knows, else what the frontmatter says.
    pub fn latest(&self) -> Option<DateTime<FixedOffset>> {
        self.edited.or(self.updated).or(self.date).or(self.created).or(self.modified)
    }
}

/// What the garden's history says of a note (`store::contributions_of`): who changed its text, in the order of
/// their first change, and when it last changed. Empty for a garden without a store, or with `show_history`
/// off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Contributions {
    pub authors: Vec<String>,
    pub edited: Option<DateTime<FixedOffset>>,
}

/// What the site keeps between the builds of `loam serve` (see [`crate::memo`]): the whole model, its tags and
/// alias pages, each under the key of what it was made of, and every note's resolved links.
#[derive(Default)]
pub struct SiteMemo {
    model: Kept<Arc<Model>>,
    tags: Kept<BTreeMap<String, Tag>>,
    aliases: Kept<KeptAliases>,
    resolution: Mutex<Option<ResolutionMemo>>,
}

/// Alias redirect pages (URL, note) and the warnings about the aliases that got none.
type KeptAliases = (Vec<(String, usize)>, Vec<Diagnostic>);

/// The last build's resolution. A note's links resolve the same way as long as its outline is the same and so is
/// everything resolution looks at in other notes: every note's path, anchors and publishing, and every
/// attachment's path; `key` is the key of those. When it changes, everything is resolved again.
struct ResolutionMemo {
    key: u64,
    /// Each note's outline and what came of it (`None` for an unpublished note).
    notes: Vec<(Arc<Outline>, Option<Arc<Resolved>>)>,
    index: Option<Arc<LinkIndex>>,
}

/// The garden as a website: the notes it is made of, and the [`Model`] made of them. Reading a field of the model
/// goes through `Deref` (`site.urls`).
pub struct Site<'a> {
    pub config: &'a Config,
    pub base_path: String,
    pub notes: &'a [Arc<Note>],
    pub attachments: &'a [String],
    /// Each attachment's width and height, where it is an image that says (`pipeline::image_sizes`); empty when
    /// not known.
    pub image_sizes: &'a [Option<(u32, u32)>],
    /// The fonts of the vault's `publish.css` that pages preload (`pipeline::style_files`), relative to the notes
    /// folder.
    pub fonts: &'a [String],
    /// Each note's dates. Not part of the model: a note's file time changes with every save, and only pages
    /// (feeds, lists) read it.
    pub dates: Vec<Dates>,
    /// Each note's contributors and last edit, from the history (empty, or one per note).
    pub history: &'a [Contributions],
    model: Arc<Model>,
}

/// What the site model is: everything about the site that is not a page's text. It is made of each note's
/// [`Outline`], the publish mode, the base path and the attachments' paths alone ([`model::Builder`]), so `loam
/// serve` keeps it between builds while those are the same (most saves change a note's text and nothing else),
/// and shares it with every snapshot made meanwhile.
#[derive(Clone, Default)]
pub struct Model {
    pub published: Vec<bool>,
    /// URL path of each published note relative to the site root: `""` for the home page, `a/b/` otherwise.
    pub urls: Vec<String>,
    /// `base_path` + `urls[i]`: what a link to the note points at.
    full_urls: Vec<String>,
    /// Resolved links of each published note, parallel to `note.body.links`.
    pub links: Vec<Arc<[Link]>>,
    /// For each note, the (note, link index) pairs that link to it, from published notes only.
    pub backlinks: Vec<Vec<(usize, usize)>>,
    pub tags: BTreeMap<String, Tag>,
    pub folders: BTreeMap<String, Folder>,
    /// Alias redirect pages: (URL path, note).
    pub aliases: Vec<(String, usize)>,
    pub attachment_used: Vec<bool>,
    /// Whether a published note gets a page of its own, rather than being the text of a folder's, a tag's or
    /// the tag index's page that has its URL.
    pub own_page: Vec<bool>,
    /// A published note at `tags/` (its text heads the tag index).
    pub tag_index_note: Option<usize>,
    /// Where the tag index is: `tags/`, unless a note's permalink takes that URL (see
    /// [`model::Builder::claim_shared_urls`]).
    pub tags_url: String,
    /// Where the page of the whole garden's graph is: `graph/`, unless a note or a folder has that URL (see
    /// [`model::Builder::place_graph_page`]).
    pub graph_url: String,
    /// Problems found making the model but those of links: URL collisions, aliases without a page.
    diagnostics: Vec<Diagnostic>,
    /// Problems with links (broken, ambiguous, to an unpublished note), as (note, link index, problem). The line
    /// of the problem is the link's line in the note the model was made from; [`Site::diagnostics`] reads the
    /// current one, so that a model kept while lines moved (a line typed above a link) still reports the right
    /// line. That is why link lines are not in the [`Outline`].
    link_diagnostics: Vec<(usize, usize, Diagnostic)>,
}

impl std::ops::Deref for Site<'_> {
    type Target = Model;
    fn deref(&self) -> &Model {
        &self.model
    }
}

impl std::ops::DerefMut for Site<'_> {
    /// Copy on write: a model shared with an earlier snapshot is never changed under it.
    fn deref_mut(&mut self) -> &mut Model {
        Arc::make_mut(&mut self.model)
    }
}

impl<'a> Site<'a> {
    pub fn new(
        config: &'a Config,
        notes: &'a [Arc<Note>],
        modified: &[Option<SystemTime>],
        history: &'a [Contributions],
        attachments: &'a [String],
    ) -> Site<'a> {
        Site::with_memo(config, notes, modified, history, attachments, None)
    }

    /// [`Site::new`], reusing from `memo` what was made of the same inputs in the last build.
    pub fn with_memo(
        config: &'a Config,
        notes: &'a [Arc<Note>],
        modified: &[Option<SystemTime>],
        history: &'a [Contributions],
        attachments: &'a [String],
        memo: Option<&SiteMemo>,
    ) -> Site<'a> {
        let base_path = config.base_path();
        let published: Vec<bool> = notes.iter().map(|n| n.outline.is_published(config.publish_mode)).collect();
        let dates = (0..notes.len())
            .into_par_iter()
            .map(|i| dates(&notes[i], modified.get(i).copied().flatten(), history.get(i)))
            .collect();
        let outlines: Vec<&Arc<Outline>> = notes.iter().map(|n| &n.outline).collect();
        let keys: Vec<note::Keys> = notes.iter().map(|n| n.keys).collect();
        let model_key = memo.map(|_| {
            let outlines: Vec<u64> = keys.iter().map(|k| k.outline).collect();
            key_of(&(&base_path, config.publish_mode, outlines, attachments))
        });
        let kept = memo.zip(model_key).and_then(|(memo, key)| memo.model.get(key));
        let model = kept.unwrap_or_else(|| {
            let model = Arc::new(Builder::new(&outlines, &keys, published, attachments, &base_path).build(memo));
            if let (Some(memo), Some(key)) = (memo, model_key) {
                memo.model.keep(key, model.clone());
            }
            model
        });
        Site { config, base_path, notes, attachments, image_sizes: &[], fonts: &[], dates, history, model }
    }

    /// This site, its pages preloading `fonts` (see [`Site::fonts`]).
    pub fn with_fonts(mut self, fonts: &'a [String]) -> Site<'a> {
        self.fonts = fonts;
        self
    }

    /// This site, its images' sizes being `sizes` (one per attachment).
    pub fn with_image_sizes(mut self, sizes: &'a [Option<(u32, u32)>]) -> Site<'a> {
        self.image_sizes = sizes;
        self
    }

    /// The URL of the vault's own stylesheet (`publish.css` at the notes folder's root), if it has one.
    pub fn publish_css(&self) -> Option<String> {
        self.attachments.iter().any(|a| a == SITE_FILES[0]).then(|| self.url(SITE_FILES[0]))
    }

    /// The URL of the site's icon (`favicon.svg`, `.png` or `.ico` at the notes folder's root), if there is one.
    pub fn favicon(&self) -> Option<String> {
        SITE_FILES[1..].iter().find(|name| self.attachments.iter().any(|a| a == *name)).map(|name| self.url(name))
    }

    pub fn url(&self, relative: &str) -> String {
        format!("{}{}", self.base_path, relative)
    }

    /// Every problem found making the site, link problems at the lines their links are on now.
    pub fn diagnostics(&self) -> impl Iterator<Item = Diagnostic> + use<'_, 'a> {
        self.diagnostics_where(|_| true)
    }

    /// The errors among [`Site::diagnostics`], without copying the rest.
    pub fn errors(&self) -> impl Iterator<Item = Diagnostic> + use<'_, 'a> {
        self.diagnostics_where(|d| d.severity == Severity::Error)
    }

    fn diagnostics_where(&self, wanted: fn(&Diagnostic) -> bool) -> impl Iterator<Item = Diagnostic> + use<'_, 'a> {
        let links =
            self.link_diagnostics.iter().filter(move |(_, _, problem)| wanted(problem)).map(|(note, link, problem)| {
                let line = self.notes[*note].body.links.get(*link).map_or(problem.line, |l| l.line);
                Diagnostic { line, ..problem.clone() }
            });
        self.model.diagnostics.iter().filter(move |d| wanted(d)).cloned().chain(links)
    }

    /// The model, to tell whether two sites share it (`Arc::ptr_eq`): then everything made of it alone is the same.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// The URL of the page of the folder with key `folder` (a [`Link::Folder`]'s).
    pub fn folder_url(&self, folder: &str) -> String {
        self.url(self.folders.get(folder).map_or("", |f| f.url.as_str()))
    }

    pub fn note_url(&self, note: usize) -> &str {
        &self.full_urls[note]
    }

    pub fn published_notes(&self) -> impl Iterator<Item = usize> + use<'_, 'a> {
        (0..self.notes.len()).filter(|&i| self.published[i])
    }

    /// Calls `f` with a function that resolves links written in some version of published note `i` against the
    /// garden as it is, as the note's own links are, giving where each goes in the site: a URL, `Ok(None)` for a
    /// link to nothing in the garden (shown as missing), `Err(())` for a link to a note that is not published
    /// (nothing of which may be shown). What a published history links to (`pipeline::published_history`).
    pub fn with_relinker<R>(&self, f: impl FnOnce(&Relinker) -> R) -> R {
        let outlines: Vec<&Arc<Outline>> = self.notes.iter().map(|n| &n.outline).collect();
        let keys: Vec<note::Keys> = self.notes.iter().map(|n| n.keys).collect();
        // What resolving reads of the model: which notes are published, and the folders.
        let model = Model { published: self.published.clone(), folders: self.folders.clone(), ..Model::default() };
        let builder = Builder::of_model(&outlines, &keys, model, self.attachments, &self.base_path);
        let index = builder.link_index();
        let relink = |i: usize, written: &[crate::note::Target]| -> Vec<Result<Option<String>, ()>> {
            let resolved = builder.resolve_links(&index, i, written);
            resolved.links.iter().map(|link| self.link_url(i, link)).collect()
        };
        f(&relink)
    }

    /// Where link `link` of note `i` goes ([`Site::with_relinker`]), as its page links it (`page::link_open`).
    fn link_url(&self, i: usize, link: &Link) -> Result<Option<String>, ()> {
        Ok(Some(match link {
            Link::Note { note, fragment } if *note == i && !fragment.is_empty() => fragment.clone(),
            Link::Note { note, fragment } => format!("{}{fragment}", self.note_url(*note)),
            // A file no page uses today is not in the site.
            Link::Attachment(a) if !self.attachment_used[*a] => return Ok(None),
            Link::Attachment(a) => crate::page::attachment_url(self, *a),
            Link::Folder(folder) => self.folder_url(folder),
            Link::Unpublished(_) => return Err(()),
            Link::Missing => return Ok(None),
        }))
    }

    /// The garden with the published note `i` as it was in an earlier version, `old` (parsed from that version's
    /// text), with what the history said of it then (`then`: its contributors so far and that version's time):
    /// its links resolved against the garden as it is now (a link to a note that is gone is shown as missing),
    /// everything else as now. For reading a past version (time travel).
    pub fn past(&self, i: usize, old: Arc<Note>, then: Contributions) -> Past {
        let mut notes = self.notes.to_vec();
        notes[i] = old;
        let outlines: Vec<&Arc<Outline>> = notes.iter().map(|n| &n.outline).collect();
        let keys: Vec<note::Keys> = notes.iter().map(|n| n.keys).collect();
        let model =
            Builder::of_model(&outlines, &keys, (*self.model).clone(), self.attachments, &self.base_path).relinked(i);
        let mut all = self.dates.clone();
        all[i] = Dates { edited: then.edited, ..dates(&notes[i], None, None) };
        let mut history = self.history.to_vec();
        if let Some(entry) = history.get_mut(i) {
            *entry = then;
        }
        Past { notes, model: Arc::new(model), dates: all, history }
    }
}

/// Resolves links written in some version of a note ([`Site::with_relinker`]).
pub type Relinker<'r> = dyn Fn(usize, &[crate::note::Target]) -> Vec<Result<Option<String>, ()>> + Sync + 'r;

/// The garden with one note as it was ([`Site::past`]); [`Past::site`] is its [`Site`].
pub struct Past {
    notes: Vec<Arc<Note>>,
    model: Arc<Model>,
    dates: Vec<Dates>,
    history: Vec<Contributions>,
}

impl Past {
    /// The site of the garden with the note as it was, `now` being the site it was made from.
    pub fn site<'s>(&'s self, now: &Site<'s>) -> Site<'s> {
        Site {
            config: now.config,
            base_path: now.base_path.clone(),
            notes: &self.notes,
            attachments: now.attachments,
            image_sizes: now.image_sizes,
            fonts: now.fonts,
            dates: self.dates.clone(),
            history: &self.history,
            model: self.model.clone(),
        }
    }
}

fn dates(note: &Note, modified: Option<SystemTime>, history: Option<&Contributions>) -> Dates {
    let [date, created, updated] = note.dates;
    let modified = modified.map(|m| DateTime::<Utc>::from(m).fixed_offset());
    Dates { date, created, updated, modified, edited: history.and_then(|h| h.edited) }
}

#[cfg(test)]
mod tests {
    use super::model::named;
    use super::*;
    use crate::config::PublishMode;
    use crate::diagnostic::Kind;

    fn site_of(files: &[(&str, &str)], mode: PublishMode) -> (Config, Vec<Arc<Note>>) {
        let config = Config { publish_mode: mode, ..Config::default() };
        let notes = files
            .iter()
            .map(|(p, t)| Arc::new(note::parse(p, t.as_bytes(), &note::Settings { mode, ..Default::default() })))
            .collect();
        (config, notes)
    }

    #[test]
    fn urls_collide_loudly() {
        let (config, notes) = site_of(&[("A Note.md", ""), ("a-note.md", "")], PublishMode::All);
        let site = Site::new(&config, &notes, &[], &[], &[]);
        assert_eq!(site.urls[0], "a-note/");
        assert_eq!(site.urls[1], "a-note-2/");
        let d = &site.diagnostics[0];
        assert_eq!(d.kind, Kind::SlugCollision);
        assert!(d.message.contains("A Note.md") && d.message.contains("a-note.md"));
    }

    #[test]
    fn names_that_differ_only_in_unicode_form_are_told_apart() {
        let (nfc, nfd) = ("Caf\u{e9}.md", "Cafe\u{301}.md");
        let (config, notes) = site_of(&[(nfc, ""), (nfd, "")], PublishMode::All);
        let site = Site::new(&config, &notes, &[], &[], &[]);
        assert_eq!(site.urls[1], "caf\u{e9}-2/", "neither page is lost");
        let d = &site.diagnostics[0];
        assert_eq!(d.kind, Kind::SlugCollision);
        let expected = format!("`{nfc}` (NFC, 8 bytes) and `{nfd}` (NFD, 9 bytes) would both be published at `/caf\u{e9}/`, and differ only in Unicode form");
        assert!(d.message.starts_with(&expected), "{}", d.message);
        // Names that differ in anything else are named plainly.
        assert_eq!(named("Note.md", "note.md"), "`Note.md`");
        assert_eq!(named(nfd, nfc), format!("`{nfd}` (NFD, 9 bytes)"));
    }

    #[test]
    fn explicit_mode_and_backlinks() {
        let (config, notes) = site_of(
            &[
                ("a.md", "---\npublish: true\n---\nsee [[b]] and [[c]]"),
                ("b.md", "---\npublish: true\n---\n"),
                ("c.md", ""),
            ],
            PublishMode::Explicit,
        );
        let site = Site::new(&config, &notes, &[], &[], &[]);
        assert_eq!(site.published, vec![true, true, false]);
        assert_eq!(site.backlinks[1], vec![(0, 0)]);
        assert_eq!(site.links[0][1], Link::Unpublished(2));
    }

    #[test]
    fn dates() {
        assert!(note::parse_date("2024-01-02").is_some());
        assert!(note::parse_date("2024-01-02 10:30").is_some());
        assert!(note::parse_date("2024-01-02T10:30:00+02:00").is_some());
        assert!(note::parse_date("someday").is_none());
    }
}
