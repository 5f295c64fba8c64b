//! The garden as a website, before any HTML is written: which notes are published, every page's URL, resolved
//! links, backlinks, tags, folders and aliases. Pure: notes in, [`Site`] out.
//!
//! Publishing rules are applied here, once, and everything downstream reads only what this module lets
//! through; that is how an unpublished note stays out of every page, list and feed.
//!
//! Longer than most files (about 900 lines) for a reason: the publishing rules and everything they decide (URLs,
//! links, backlinks, tags, folders, aliases) are made in one pass over the notes, and the memo that keeps the
//! model between the preview's builds sits beside what it keeps, so that a rule and its key are read together.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use xxhash_rust::xxh3::Xxh3;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::time::SystemTime;

use chrono::{DateTime, FixedOffset, Utc};
use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Kind, Severity};
use crate::lock;
use crate::markdown::{heading_id, LinkKind};
use crate::note::{self, Note};
use crate::resolve::{LinkIndex, Target};
use crate::slug::{key, slugify_path};

/// One note's links after resolution, before they are merged into the site.
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
    /// A folder page, by URL path relative to the site root.
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

/// The resolved links of every note from the last build, kept by `loam serve` (memoisation, STYLE.md rule 4). A
/// note's links resolve the same way as long as the note is the same (the same parsed note, kept by the parse
/// cache) and so is everything resolution looks at in other notes: every note's path, aliases, publishing,
/// headings and block ids, and every attachment's path. A hash of those is the key; when it changes, everything
/// is resolved again.
#[derive(Default)]
pub struct ResolveMemo {
    last: Mutex<Option<Memo>>,
    /// The tags of the last build, by the hash of what they are made from (see [`tags_key`]).
    tags: Mutex<Option<(u64, BTreeMap<String, Tag>)>>,
    /// The alias pages of the last build and the warnings about them, by the hash of what they are made from.
    aliases: Mutex<Option<(u64, KeptAliases)>>,
    /// The whole model of the last build, by the hash of what it is made from (see [`Site::model_key`]).
    model: Mutex<Option<(u64, Arc<Model>)>>,
}

/// Alias pages (URL, note) and the warnings about the aliases that got none.
type KeptAliases = (Vec<(String, usize)>, Vec<Diagnostic>);

/// The last build's resolution: its key, each note's result, and the link index.
struct Memo {
    key: u64,
    notes: Vec<Memoised>,
    index: Option<Arc<LinkIndex>>,
}

/// A note as it was resolved, and what came of it (`None` for an unpublished note).
type Memoised = (Arc<Note>, Option<Arc<Resolved>>);

/// The garden as a website: the notes it is made of, and the [`Model`] made of them. Reading a field of the model
/// goes through `Deref` (`site.urls`).
pub struct Site<'a> {
    pub config: &'a Config,
    pub base_path: String,
    pub notes: &'a [Arc<Note>],
    pub attachments: &'a [String],
    /// Each note's dates. Not part of the model: a note's file time changes with every save, and only pages
    /// (feeds, lists) read it.
    pub dates: Vec<Dates>,
    /// Each note's contributors and last edit, from the history (empty, or one per note).
    pub history: &'a [Contributions],
    model: Arc<Model>,
    /// Notes by path, made when a link is ambiguous (to name only published candidates).
    by_path: OnceLock<HashMap<String, usize>>,
}

/// What the site model is: everything about the site that is not a page's text. It depends only on what
/// [`note::model_input`] hashes of each note, the publish mode, the base path and the attachments' paths, so `loam serve`
/// keeps it between builds while that hash is the same (most saves change a note's text and nothing else), and
/// shares it with every snapshot made meanwhile.
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
    /// Problems found making the model but those of links: URL collisions, aliases without a page.
    diagnostics: Vec<Diagnostic>,
    /// Problems with links (broken, ambiguous, to an unpublished note), as (note, link index, problem). The line
    /// of the problem is the link's line in the note the model was made from; [`Site::diagnostics`] reads the
    /// current one, so that a model kept while lines moved (a line typed above a link) still reports the right
    /// line. That is why link lines are not in [`note::model_input`].
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

    /// [`Site::new`], reusing the resolved links of the notes that did not change since the last build with the
    /// same `memo`.
    pub fn with_memo(
        config: &'a Config,
        notes: &'a [Arc<Note>],
        modified: &[Option<SystemTime>],
        history: &'a [Contributions],
        attachments: &'a [String],
        memo: Option<&ResolveMemo>,
    ) -> Site<'a> {
        let published: Vec<bool> =
            notes.iter().map(|n| note::is_published(&n.meta, n.meta_ok, config.publish_mode)).collect();
        let dates = (0..notes.len())
            .into_par_iter()
            .map(|i| dates(&notes[i], modified.get(i).copied().flatten(), history.get(i)))
            .collect();
        let mut site = Site {
            config,
            base_path: config.base_path(),
            notes,
            attachments,
            dates,
            history,
            model: Arc::default(),
            by_path: OnceLock::new(),
        };
        // The model of the last build, if nothing it is made from changed.
        let model_key = memo.map(|_| site.model_key(&published));
        if let (Some(memo), Some(model_key)) = (memo, model_key) {
            if let Some((_, model)) = lock(&memo.model).as_ref().filter(|(k, _)| *k == model_key) {
                site.model = model.clone();
                return site;
            }
        }
        *site = Model {
            published,
            urls: vec![String::new(); notes.len()],
            links: vec![Arc::from([]); notes.len()],
            backlinks: vec![Vec::new(); notes.len()],
            attachment_used: vec![false; attachments.len()],
            ..Model::default()
        };
        site.assign_urls();
        let full_urls = site.urls.iter().map(|u| site.url(u)).collect();
        site.full_urls = full_urls;
        site.collect_folders();
        // Tags need nothing from links: gather them while the links resolve.
        // Tag pages change only when some note's tags or publishing do: the live preview keeps the last ones.
        let tags_input = memo.map(|_| tags_key(notes, &site.published));
        let kept_tags = memo.and_then(|m| {
            let last = m.tags.lock().unwrap_or_else(|e| e.into_inner());
            last.as_ref().filter(|(k, _)| Some(*k) == tags_input).map(|(_, tags)| tags.clone())
        });
        let (resolved, tags) = rayon::join(
            || site.resolve_all(memo),
            || kept_tags.unwrap_or_else(|| collect_tags(notes, &site.published)),
        );
        if let (Some(memo), Some(input)) = (memo, tags_input) {
            *memo.tags.lock().unwrap_or_else(|e| e.into_inner()) = Some((input, tags.clone()));
        }
        site.add_links(resolved);
        site.tags = tags;
        // Every page's URL key, made once for both: most notes kept the URL they asked for, whose key they have.
        let url_keys: Vec<Cow<str>> = (0..notes.len())
            .map(|i| match (site.published[i], site.urls[i] == notes[i].keys.url) {
                (false, _) => Cow::Borrowed(""),
                (true, true) => Cow::Borrowed(notes[i].keys.url_key.as_str()),
                (true, false) => Cow::Owned(key(&site.urls[i])),
            })
            .collect();
        site.claim_shared_urls(&url_keys);
        site.collect_aliases(&url_keys, memo);
        if let (Some(memo), Some(model_key)) = (memo, model_key) {
            *lock(&memo.model) = Some((model_key, site.model.clone()));
        }
        site
    }

    /// A hash of everything the model is made from (see [`Model`]).
    fn model_key(&self, published: &[bool]) -> u64 {
        self.garden_key(published, self.base_path.as_bytes(), |note| note.keys.model)
    }

    /// A hash of `extra`, each note's `part` and publishing, and the attachments' paths.
    fn garden_key(&self, published: &[bool], extra: &[u8], part: impl Fn(&Note) -> u64) -> u64 {
        let mut hash = Xxh3::new();
        hash.update(extra);
        hash.update(&[0]);
        hash.update(&(self.notes.len() as u64).to_le_bytes());
        for (note, published) in self.notes.iter().zip(published) {
            hash.update(&part(note).to_le_bytes());
            hash.update(&[u8::from(*published)]);
        }
        for attachment in self.attachments {
            hash.update(attachment.as_bytes());
            hash.update(&[0]);
        }
        hash.digest()
    }

    pub fn url(&self, relative: &str) -> String {
        format!("{}{}", self.base_path, relative)
    }

    /// Every problem found making the site, link problems at the lines their links are on now.
    pub fn diagnostics(&self) -> impl Iterator<Item = Diagnostic> + use<'_, 'a> {
        let links = self.link_diagnostics.iter().map(|(note, link, problem)| {
            let line = self.notes[*note].body.links.get(*link).map_or(problem.line, |l| l.line);
            Diagnostic { line, ..problem.clone() }
        });
        self.model.diagnostics.iter().cloned().chain(links)
    }

    /// The model, to tell whether two sites share it (`Arc::ptr_eq`): then everything made of it alone is the same.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    pub fn note_url(&self, note: usize) -> &str {
        &self.full_urls[note]
    }

    pub fn published_notes(&self) -> impl Iterator<Item = usize> + use<'_, 'a> {
        (0..self.notes.len()).filter(|&i| self.published[i])
    }

    /// Gives every published note a URL; a collision is an error that names both files, and the later
    /// note (by path) gets a numbered URL so neither page is lost.
    fn assign_urls(&mut self) {
        // Slugs are the costly part and independent of each other; only the collision check is serial.
        let wanted: Vec<Option<(String, String)>> = (0..self.notes.len())
            .into_par_iter()
            .map(|i| self.published[i].then(|| (self.notes[i].keys.url_key.clone(), self.notes[i].keys.url.clone())))
            .collect();
        let mut taken: HashMap<String, usize> = HashMap::with_capacity_and_hasher(wanted.len(), Default::default());
        for (i, wanted) in wanted.into_iter().enumerate() {
            let Some((wanted_key, wanted)) = wanted else { continue };
            let notes = self.notes;
            let note = &notes[i];
            let mut url = wanted.clone();
            if let Some(&other) = taken.get(&wanted_key) {
                let mut n = 2;
                while taken.contains_key(&key(&url)) {
                    url = format!("{}-{n}/", wanted.trim_end_matches('/'));
                    n += 1;
                }
                let (first, this) = (&notes[other].path, &note.path);
                let forms = if only_forms_differ(first, this) { ", and differ only in Unicode form" } else { "" };
                self.diagnostics.push(
                    Diagnostic::new(
                        this,
                        1,
                        Severity::Error,
                        Kind::SlugCollision,
                        format!(
                            "{} and {} would both be published at `/{}`{forms}; this one goes to `/{}`",
                            named(first, this),
                            named(this, first),
                            wanted,
                            url
                        ),
                    )
                    .hint("rename one of the files, or give one a `permalink` in its frontmatter"),
                );
            }
            taken.insert(if url == wanted { wanted_key } else { key(&url) }, i);
            self.urls[i] = url;
        }
    }

    fn resolve_all(&self, memo: Option<&ResolveMemo>) -> Vec<Option<Arc<Resolved>>> {
        let index: OnceLock<Arc<LinkIndex>> = OnceLock::new();
        let index_of = || {
            index.get_or_init(|| {
                let note_paths: Vec<&str> = self.notes.iter().map(|n| n.path.as_str()).collect();
                let attachment_paths: Vec<&str> = self.attachments.iter().map(String::as_str).collect();
                let aliases: Vec<&[String]> = self.notes.iter().map(|n| n.meta.aliases.as_slice()).collect();
                Arc::new(LinkIndex::new(&note_paths, &attachment_paths, &aliases))
            })
        };
        let Some(memo) = memo else {
            // Each note's links resolve independently; only `add_links` touches shared state.
            return (0..self.notes.len())
                .into_par_iter()
                .map(|i| self.published[i].then(|| Arc::new(self.resolve_note(index_of(), i))))
                .collect();
        };
        let key = self.resolution_key();
        let mut last = memo.last.lock().unwrap_or_else(|e| e.into_inner());
        let previous = match last.take() {
            Some(memo) if memo.key == key => {
                if let Some(previous_index) = memo.index {
                    let _ = index.set(previous_index);
                }
                memo.notes
            }
            _ => Vec::new(),
        };
        let resolved: Vec<Option<Arc<Resolved>>> = (0..self.notes.len())
            .into_par_iter()
            .map(|i| match previous.get(i) {
                Some((note, done)) if Arc::ptr_eq(note, &self.notes[i]) => done.clone(),
                _ => self.published[i].then(|| Arc::new(self.resolve_note(index_of(), i))),
            })
            .collect();
        let memoised = self.notes.iter().cloned().zip(resolved.iter().cloned()).collect();
        *last = Some(Memo { key, notes: memoised, index: index.into_inner() });
        resolved
    }

    /// A hash of everything in the garden that the resolution of one note's links looks at, but that note: each
    /// note's shape (see [`crate::note::Keys::shape`]) and publishing, and the attachments' paths.
    fn resolution_key(&self) -> u64 {
        self.garden_key(&self.published, &[], |note| note.keys.shape)
    }

    fn add_links(&mut self, resolved: Vec<Option<Arc<Resolved>>>) {
        for (i, note) in resolved.into_iter().enumerate() {
            let Some(note) = note else { continue };
            for &(target, n) in &note.backlinks {
                self.backlinks[target].push((i, n));
            }
            for &a in &note.attachments {
                self.attachment_used[a] = true;
            }
            self.link_diagnostics.extend(note.diagnostics.iter().map(|(n, d)| (i, *n, d.clone())));
            // Shared with the memo of `loam serve`.
            self.links[i] = note.links.clone();
        }
    }

    fn resolve_note(&self, index: &LinkIndex, i: usize) -> Resolved {
        let note = &self.notes[i];
        let mut out = Resolved::default();
        let mut links = Vec::with_capacity(note.body.links.len());
        let folder_key = &note.keys.folder;
        for (n, link) in note.body.links.iter().enumerate() {
            let written = || describe(&link.target, link.fragment.as_deref());
            let warn = |kind: Kind, message: String, hint: &str| {
                (n, Diagnostic::new(&note.path, link.line, Severity::Warning, kind, message).hint(hint))
            };
            let target = if link.target.is_empty() {
                Some(Target::Note(i))
            } else {
                let r = index.resolve_from_key(folder_key, &link.target);
                if let (false, Some(chosen)) = (r.others.is_empty(), r.target.as_ref().map(|t| self.target_path(t))) {
                    // Naming the candidates is safe only if they are published.
                    let visible: Vec<String> =
                        r.others.iter().filter(|p| self.is_published_path(p)).map(|p| format!("`{p}`")).collect();
                    if !visible.is_empty() && self.is_published_path(&chosen) {
                        out.diagnostics.push(warn(
                            Kind::AmbiguousLink,
                            format!(
                                "`{}` could mean `{chosen}` or {}; using `{chosen}`",
                                written(),
                                visible.join(", ")
                            ),
                            "write more of the path, like [[folder/name]], to choose",
                        ));
                    }
                }
                r.target
            };
            let result = match target {
                Some(Target::Note(t)) if self.published[t] => {
                    let fragment = match self.fragment(t, link.fragment.as_deref()) {
                        Ok(fragment) => fragment,
                        Err((fragment, what)) => {
                            out.diagnostics.push(warn(
                                Kind::BrokenLink,
                                format!(
                                    "{what} is not in `{}`; the link goes to the top of the note",
                                    self.notes[t].path
                                ),
                                "check the heading's spelling, or add the block id",
                            ));
                            fragment
                        }
                    };
                    if t != i && link.kind == LinkKind::Link {
                        out.backlinks.push((t, n));
                    }
                    Link::Note { note: t, fragment }
                }
                Some(Target::Note(t)) => {
                    out.diagnostics.push(warn(
                        Kind::BrokenLink,
                        format!("`{}` points at a note that is not published; it is shown as plain text", written()),
                        "publish that note, or remove the link",
                    ));
                    Link::Unpublished(t)
                }
                Some(Target::Attachment(a)) => {
                    out.attachments.push(a);
                    Link::Attachment(a)
                }
                Some(Target::Folder(path)) if self.published_under(&path) => {
                    Link::Folder(format!("{}/", slugify_path(&path)))
                }
                Some(Target::Folder(_)) => Link::Missing,
                None => {
                    let what = if link.kind == LinkKind::Embed { "file or note" } else { "note" };
                    out.diagnostics.push(warn(
                        Kind::BrokenLink,
                        format!("`{}` points at no {what} in the garden; it is shown as plain text", written()),
                        "create it, fix the spelling, or remove the link",
                    ));
                    Link::Missing
                }
            };
            links.push(result);
        }
        out.links = links.into();
        out
    }

    /// The URL fragment for a link into note `target`; `Err` (with the fragment to use anyway and what is
    /// missing) when the heading or block does not exist.
    fn fragment(&self, target: usize, fragment: Option<&str>) -> Result<String, (String, String)> {
        let Some(fragment) = fragment else {
            return Ok(String::new());
        };
        let body = &self.notes[target].body;
        if let Some(block) = fragment.strip_prefix('^') {
            let url =
                format!("#%5E{}", percent_encoding::utf8_percent_encode(block, percent_encoding::NON_ALPHANUMERIC));
            return if body.blocks.iter().any(|b| b == block) {
                Ok(url)
            } else {
                Err((url, format!("block `^{block}`")))
            };
        }
        match body.heading_for(fragment) {
            Some(h) => Ok(format!("#{}", body.headings[h].id)),
            None => {
                let heading = fragment.rsplit('#').next().unwrap_or(fragment);
                Err((format!("#{}", heading_id(heading)), format!("heading `{heading}`")))
            }
        }
    }

    fn target_path(&self, target: &Target) -> String {
        match target {
            Target::Note(n) => self.notes[*n].path.clone(),
            Target::Attachment(a) => self.attachments[*a].clone(),
            Target::Folder(f) => f.clone(),
        }
    }

    fn is_published_path(&self, path: &str) -> bool {
        let by_path =
            self.by_path.get_or_init(|| self.notes.iter().enumerate().map(|(i, n)| (n.path.clone(), i)).collect());
        match by_path.get(path) {
            Some(&i) => self.published[i],
            None => true,
        }
    }

    /// Whether a published note lives in `folder` or below it (`collect_folders` must have run).
    fn published_under(&self, folder: &str) -> bool {
        !folder.is_empty() && self.folders.get(&key(folder)).is_some_and(|f| f.count > 0)
    }

    fn collect_folders(&mut self) {
        let notes = self.notes;
        let model: &mut Model = self;
        model.folders.insert(String::new(), Folder { url: String::new(), ..Folder::default() });
        // The keys of each folder and its ancestors, made once per folder rather than once per note.
        let mut chains: HashMap<&str, Vec<String>> = HashMap::default();
        for (i, note) in notes.iter().enumerate() {
            if !model.published[i] {
                continue;
            }
            let chain = chains.entry(note.folder.as_str()).or_insert_with(|| {
                let parts: Vec<&str> =
                    if note.folder.is_empty() { Vec::new() } else { note.folder.split('/').collect() };
                let mut chain = Vec::with_capacity(parts.len() + 1);
                for depth in 0..=parts.len() {
                    let path = parts[..depth].join("/");
                    let folder_key = key(&path);
                    let folder = model.folders.entry(folder_key.clone()).or_insert_with(|| Folder {
                        url: if path.is_empty() { String::new() } else { format!("{}/", slugify_path(&path)) },
                        path,
                        ..Folder::default()
                    });
                    if depth < parts.len() {
                        let child = key(&parts[..=depth].join("/"));
                        if !folder.children.contains(&child) {
                            folder.children.push(child);
                        }
                    }
                    chain.push(folder_key);
                }
                chain
            });
            for folder_key in chain.iter() {
                if let Some(folder) = model.folders.get_mut(folder_key) {
                    folder.count += 1;
                }
            }
            let folder =
                model.folders.get_mut(chain.last().expect("a chain holds at least the root")).expect("inserted above");
            if model.urls[i] == folder.url && folder.note.is_none() {
                folder.note = Some(i);
            } else {
                folder.notes.push(i);
            }
        }
    }

    /// A note whose URL is also the page of a folder (`a.md` beside `a/`), a tag (`tags/plugin.md`) or the tag
    /// index becomes the text of that page, the way `index.md` is its folder's: no page is written twice and no
    /// note is lost. `own_page` records which notes still get a page of their own.
    fn claim_shared_urls(&mut self, url_keys: &[Cow<str>]) {
        self.own_page = self.published.clone();
        let folder_by_url: HashMap<String, String> =
            self.folders.iter().map(|(k, f)| (key(&f.url), k.clone())).collect();
        let tag_by_url: HashMap<String, String> =
            self.tags.iter().map(|(k, t)| (t.url_key.clone(), k.clone())).collect();
        for (i, url) in url_keys.iter().enumerate() {
            if !self.published[i] {
                continue;
            }
            let url = url.as_ref();
            if url == "tags/" {
                if self.tag_index_note.is_none() {
                    self.tag_index_note = Some(i);
                }
                self.own_page[i] = false;
            } else if let Some(tag) = tag_by_url.get(url).and_then(|k| self.tags.get_mut(k)) {
                tag.note.get_or_insert(i);
                self.own_page[i] = false;
            } else if let Some(folder) = folder_by_url.get(url).and_then(|k| self.folders.get_mut(k)) {
                // `index.md` claimed its folder already in `collect_folders`.
                folder.note.get_or_insert(i);
                self.own_page[i] = folder.note != Some(i);
            }
        }
    }

    /// Alias pages live beside the note (`folder/alias-slug/`); one that would replace a page is skipped.
    fn collect_aliases(&mut self, url_keys: &[Cow<str>], memo: Option<&ResolveMemo>) {
        let notes = self.notes;
        let folder_keys: Vec<String> = self.folders.values().map(|f| key(&f.url)).collect();
        // What the alias pages are made from: every page's URL, and each published note's path and aliases.
        let input = memo.map(|_| {
            let mut hash = Xxh3::new();
            for (i, url) in url_keys.iter().enumerate() {
                hash.update(&[u8::from(self.published[i])]);
                hash.update(url.as_bytes());
                hash.update(&[0]);
                if self.published[i] {
                    hash.update(self.notes[i].path.as_bytes());
                    hash.update(&self.notes[i].keys.aliases_hash.to_le_bytes());
                }
            }
            for url in folder_keys.iter().chain(self.tags.values().map(|t| &t.url_key)) {
                hash.update(url.as_bytes());
                hash.update(&[0]);
            }
            hash.digest()
        });
        if let (Some(memo), Some(input)) = (memo, input) {
            let last = memo.aliases.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, (aliases, diagnostics))) = last.as_ref().filter(|(k, _)| *k == input) {
                self.aliases = aliases.clone();
                self.diagnostics.extend(diagnostics.iter().cloned());
                return;
            }
        }
        let warnings_before = self.diagnostics.len();
        let mut taken: HashSet<String> = self.published_notes().map(|i| url_keys[i].to_string()).collect();
        taken.extend(folder_keys);
        taken.extend(self.tags.values().map(|t| t.url_key.clone()));
        taken.insert("tags/".into());
        // (note, alias, URL, its key) in note order; the slugs were made when the note was parsed.
        let candidates: Vec<(usize, &str, &String, &String)> = (0..self.notes.len())
            .filter(|&i| self.published[i])
            .flat_map(|i| {
                let note = &self.notes[i];
                note.meta
                    .aliases
                    .iter()
                    .zip(&note.keys.aliases)
                    .map(move |(alias, (url, url_key))| (i, alias.as_str(), url_key, url))
            })
            .collect();
        for (i, alias, url_key, url) in candidates {
            if taken.contains(url_key) {
                if **url_key != *url_keys[i] {
                    self.diagnostics.push(
                        Diagnostic::new(
                            &notes[i].path,
                            1,
                            Severity::Warning,
                            Kind::Other,
                            format!(
                                "the alias `{alias}` would replace the page at `/{url}`; no redirect is made for it"
                            ),
                        )
                        .hint("choose an alias that is not the name of another page"),
                    );
                }
            } else {
                taken.insert(url_key.clone());
                self.aliases.push((url.clone(), i));
            }
        }
        if let (Some(memo), Some(input)) = (memo, input) {
            let warnings = self.diagnostics[warnings_before..].to_vec();
            *memo.aliases.lock().unwrap_or_else(|e| e.into_inner()) = Some((input, (self.aliases.clone(), warnings)));
        }
    }
}

/// Whether two paths are the same name in different Unicode forms: `Café.md` with `é` as one character (NFC,
/// as most systems write it) and as `e` plus an accent (NFD, as macOS used to). Both can exist side by side on
/// Linux and print the same, so a message naming them must tell them apart ([`named`]).
fn only_forms_differ(a: &str, b: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    a != b && a.nfc().eq(b.nfc())
}

/// A path in backticks, as a message names it; beside the same name in another form (`beside`), with its form
/// and its length in bytes, the difference a user can see with `ls | od -c` and then rename.
fn named(path: &str, beside: &str) -> String {
    if !only_forms_differ(path, beside) {
        return format!("`{path}`");
    }
    let form = if unicode_normalization::is_nfc(path) {
        "NFC"
    } else if unicode_normalization::is_nfd(path) {
        "NFD"
    } else {
        "mixed Unicode forms"
    };
    format!("`{path}` ({form}, {} bytes)", path.len())
}

/// The tags of published notes, by [`key`]; a parent tag (`a` of `a/b`) exists whenever a child does.
/// A hash of what [`collect_tags`] makes the tags from: each note's publishing and tags, in order.
fn tags_key(notes: &[Arc<Note>], published: &[bool]) -> u64 {
    let mut hash = Xxh3::new();
    for (note, published) in notes.iter().zip(published) {
        hash.update(&[u8::from(*published)]);
        hash.update(&note.keys.tags_hash.to_le_bytes());
    }
    hash.digest()
}

fn collect_tags(notes: &[Arc<Note>], published: &[bool]) -> BTreeMap<String, Tag> {
    // Gathered in a hash map (a tag is looked up once per note that has it), sorted once at the end.
    let mut tags: HashMap<String, Tag> = HashMap::default();
    for (i, note) in notes.iter().enumerate() {
        if !published[i] {
            continue;
        }
        // Names and keys were made when the note was parsed (`note::Keys::tags`), deepest first.
        for chain in &note.keys.tags {
            let mut child: Option<&String> = None;
            for (depth, (name, tag_key)) in chain.iter().enumerate() {
                if !tags.contains_key(tag_key) {
                    let url = format!("tags/{}/", slugify_path(name));
                    let tag = Tag { name: name.clone(), url_key: key(&url), url, ..Tag::default() };
                    tags.insert(tag_key.clone(), tag);
                }
                let Some(entry) = tags.get_mut(tag_key) else { continue };
                if depth == 0 && entry.notes.last() != Some(&i) {
                    entry.notes.push(i);
                }
                if entry.last_counted != Some(i) {
                    entry.last_counted = Some(i);
                    entry.count += 1;
                }
                if let Some(c) = child.take() {
                    if !entry.children.contains(c) {
                        entry.children.push(c.clone());
                    }
                }
                child = Some(tag_key);
            }
        }
    }
    tags.into_iter().collect()
}

/// The URL path a note asks for: its permalink, or its path as a slug; `index.md` stands for its folder.
fn describe(target: &str, fragment: Option<&str>) -> String {
    match fragment {
        Some(f) => format!("{target}#{f}"),
        None => target.to_string(),
    }
}

fn dates(note: &Note, modified: Option<SystemTime>, history: Option<&Contributions>) -> Dates {
    let [date, created, updated] = note.keys.dates;
    let modified = modified.map(|m| DateTime::<Utc>::from(m).fixed_offset());
    Dates { date, created, updated, modified, edited: history.and_then(|h| h.edited) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PublishMode;

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
