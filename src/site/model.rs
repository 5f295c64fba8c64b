//! The publishing rules: the [`Model`] made of each note's [`Outline`], the attachments' paths, the publish mode
//! and the base path, and nothing else. The builder is never handed a note, so whatever the rules read is in the
//! outline, and the key the live preview keeps the model under ([`SiteMemo`]) is derived from what they read.
//! Pure but for the memo.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::{Folder, Link, Model, ResolutionMemo, Resolved, SiteMemo, Tag};
use crate::diagnostic::{Diagnostic, Kind, Severity};
use crate::markdown::{heading_id, LinkKind};
use crate::memo::key_of;
use crate::note::{Keys, Outline};
use crate::resolve::{LinkIndex, Target};
use crate::slug::{key, slugify_path};

/// What the model is made of, as the builder sees it.
pub(super) struct Builder<'a> {
    pub outlines: &'a [&'a Arc<Outline>],
    pub keys: &'a [Keys],
    pub attachments: &'a [String],
    pub base_path: &'a str,
    pub model: Model,
    /// Notes by path, made when a link is ambiguous (to name only published candidates).
    by_path: OnceLock<HashMap<&'a str, usize>>,
}

impl<'a> Builder<'a> {
    pub fn new(
        outlines: &'a [&'a Arc<Outline>],
        keys: &'a [Keys],
        published: Vec<bool>,
        attachments: &'a [String],
        base_path: &'a str,
    ) -> Builder<'a> {
        let n = outlines.len();
        let model = Model {
            published,
            urls: vec![String::new(); n],
            links: vec![Arc::from([]); n],
            backlinks: vec![Vec::new(); n],
            attachment_used: vec![false; attachments.len()],
            tags_url: "tags/".into(),
            ..Model::default()
        };
        Builder { outlines, keys, attachments, base_path, model, by_path: OnceLock::new() }
    }

    /// Makes the model, reusing from `memo` what was made of the same inputs.
    pub fn build(mut self, memo: Option<&SiteMemo>) -> Model {
        // A vault's own stylesheet and icon at its root are the site's, whether a note links to them or not.
        for (a, path) in self.attachments.iter().enumerate() {
            if super::SITE_FILES.contains(&path.as_str()) {
                self.model.attachment_used[a] = true;
            }
        }
        self.assign_urls();
        self.model.full_urls = self.model.urls.iter().map(|u| format!("{}{u}", self.base_path)).collect();
        self.collect_folders();
        // Tags need nothing from links: gather them while the links resolve. Tag pages change only when some
        // note's tags or publishing do: the live preview keeps the last ones.
        let tags_key =
            memo.map(|_| key_of(&(self.keys.iter().map(|k| k.tags).collect::<Vec<_>>(), &self.model.published)));
        let kept_tags = memo.zip(tags_key).and_then(|(memo, key)| memo.tags.get(key));
        let (resolved, tags) = rayon::join(
            || self.resolve_all(memo.map(|m| &m.resolution)),
            || kept_tags.unwrap_or_else(|| collect_tags(self.outlines, &self.model.published)),
        );
        if let (Some(memo), Some(key)) = (memo, tags_key) {
            memo.tags.keep(key, tags.clone());
        }
        self.add_links(resolved);
        self.model.tags = tags;
        // Every page's URL key, made once for both: most notes kept the URL they asked for, whose key they have.
        let model = &self.model;
        let url_keys: Vec<Cow<str>> = (0..self.outlines.len())
            .map(|i| match (model.published[i], model.urls[i] == self.outlines[i].url) {
                (false, _) => Cow::Borrowed(""),
                (true, true) => Cow::Borrowed(self.outlines[i].url_key.as_str()),
                (true, false) => Cow::Owned(key(&model.urls[i])),
            })
            .collect();
        self.claim_shared_urls(&url_keys);
        self.collect_aliases(&url_keys, memo);
        self.place_graph_page(&url_keys);
        self.model
    }

    /// Gives every published note a URL; a collision is an error that names both files, and the later
    /// note (by path) gets a numbered URL so neither page is lost.
    fn assign_urls(&mut self) {
        let mut taken: HashMap<String, usize> =
            HashMap::with_capacity_and_hasher(self.outlines.len(), Default::default());
        for (i, outline) in self.outlines.iter().enumerate() {
            if !self.model.published[i] {
                continue;
            }
            let wanted = &outline.url;
            let mut url = wanted.clone();
            if let Some(&other) = taken.get(&outline.url_key) {
                let mut n = 2;
                while taken.contains_key(&key(&url)) {
                    url = format!("{}-{n}/", wanted.trim_end_matches('/'));
                    n += 1;
                }
                let (first, this) = (&self.outlines[other].path, &outline.path);
                let forms = if only_forms_differ(first, this) { ", and differ only in Unicode form" } else { "" };
                self.model.diagnostics.push(
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
            taken.insert(if url == *wanted { outline.url_key.clone() } else { key(&url) }, i);
            self.model.urls[i] = url;
        }
    }

    /// The model `model` of the same garden with note `i`'s links resolved again, from its outline in `outlines`
    /// (another version's): what a past version's page links to, against the garden as it is.
    pub fn relinked(mut self, i: usize) -> Model {
        let resolved = self.resolve_note(&self.link_index(), i);
        self.model.links[i] = resolved.links;
        self.model
    }

    /// A builder of the model `model` was made by, to change a part of it ([`Builder::relinked`]).
    pub fn of_model(
        outlines: &'a [&'a Arc<Outline>],
        keys: &'a [Keys],
        model: Model,
        attachments: &'a [String],
        base_path: &'a str,
    ) -> Builder<'a> {
        Builder { outlines, keys, attachments, base_path, model, by_path: OnceLock::new() }
    }

    pub(super) fn link_index(&self) -> LinkIndex {
        let note_paths: Vec<&str> = self.outlines.iter().map(|o| o.path.as_str()).collect();
        let attachment_paths: Vec<&str> = self.attachments.iter().map(String::as_str).collect();
        let aliases: Vec<&[String]> = self.outlines.iter().map(|o| o.anchors.aliases.as_slice()).collect();
        LinkIndex::new(&note_paths, &attachment_paths, &aliases)
    }

    fn resolve_all(&self, memo: Option<&std::sync::Mutex<Option<ResolutionMemo>>>) -> Vec<Option<Arc<Resolved>>> {
        let index: OnceLock<Arc<LinkIndex>> = OnceLock::new();
        let index_of = || index.get_or_init(|| Arc::new(self.link_index()));
        let published = &self.model.published;
        let Some(memo) = memo else {
            // Each note's links resolve independently; only `add_links` touches shared state.
            return (0..self.outlines.len())
                .into_par_iter()
                .map(|i| published[i].then(|| Arc::new(self.resolve_note(index_of(), i))))
                .collect();
        };
        // Everything in the garden that resolving one note's links looks at, but that note: each note's path,
        // anchors and publishing, and the attachments' paths.
        let key = key_of(&(self.keys.iter().map(|k| k.anchors).collect::<Vec<_>>(), published, self.attachments));
        let mut last = crate::lock(memo);
        let previous = match last.take() {
            Some(memo) if memo.key == key => {
                if let Some(previous_index) = memo.index {
                    let _ = index.set(previous_index);
                }
                memo.notes
            }
            _ => Vec::new(),
        };
        let resolved: Vec<Option<Arc<Resolved>>> = (0..self.outlines.len())
            .into_par_iter()
            .map(|i| match previous.get(i) {
                // A note's links resolve the same way while its outline is the same.
                Some((outline, done)) if Arc::ptr_eq(outline, self.outlines[i]) || **outline == **self.outlines[i] => {
                    done.clone()
                }
                _ => published[i].then(|| Arc::new(self.resolve_note(index_of(), i))),
            })
            .collect();
        let memoised = self.outlines.iter().map(|o| Arc::clone(o)).zip(resolved.iter().cloned()).collect();
        *last = Some(ResolutionMemo { key, notes: memoised, index: index.into_inner() });
        resolved
    }

    fn add_links(&mut self, resolved: Vec<Option<Arc<Resolved>>>) {
        let model = &mut self.model;
        for (i, note) in resolved.into_iter().enumerate() {
            let Some(note) = note else { continue };
            for &(target, n) in &note.backlinks {
                model.backlinks[target].push((i, n));
            }
            for &a in &note.attachments {
                model.attachment_used[a] = true;
            }
            model.link_diagnostics.extend(note.diagnostics.iter().map(|(n, d)| (i, *n, d.clone())));
            // Shared with the memo of `loam serve`.
            model.links[i] = note.links.clone();
        }
    }

    /// Resolves note `i`'s links. A problem is reported on line 0: the site puts it on its link's line
    /// ([`super::Site::diagnostics`]), which the outline does not know.
    fn resolve_note(&self, index: &LinkIndex, i: usize) -> Resolved {
        self.resolve_links(index, i, &self.outlines[i].links)
    }

    /// Resolves `links` as if note `i` held them (its own, or another version's).
    pub(super) fn resolve_links(&self, index: &LinkIndex, i: usize, written: &[crate::note::Target]) -> Resolved {
        let outline = self.outlines[i];
        let published = &self.model.published;
        let mut out = Resolved::default();
        let mut links = Vec::with_capacity(written.len());
        for (n, link) in written.iter().enumerate() {
            let written = || describe(&link.target, link.fragment.as_deref());
            let warn = |kind: Kind, message: String, hint: &str| {
                (n, Diagnostic::new(&outline.path, 0, Severity::Warning, kind, message).hint(hint))
            };
            let mut elsewhere = Vec::new();
            let target = if link.target.is_empty() {
                Some(Target::Note(i))
            } else {
                let r = index.resolve_from_key(&outline.folder_key, &link.target);
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
                if r.target.is_none() {
                    elsewhere = r.others;
                }
                r.target
            };
            let result = match target {
                Some(Target::Note(t)) if published[t] => {
                    let fragment = match self.fragment(t, link.fragment.as_deref()) {
                        Ok(fragment) => fragment,
                        Err((fragment, what)) => {
                            let instead = match link.kind {
                                LinkKind::Embed => "the page says the section cannot be found",
                                _ => "the link goes to the top of the note",
                            };
                            out.diagnostics.push(warn(
                                Kind::BrokenLink,
                                format!("{what} is not in `{}`; {instead}", self.outlines[t].path),
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
                Some(Target::Folder(path)) if self.published_under(&path) => Link::Folder(key(&path)),
                Some(Target::Folder(_)) => Link::Missing,
                None => {
                    let what = if link.kind == LinkKind::Embed { "file or note" } else { "note" };
                    // A file of that name in other folders (the link's went stale in a move), named only if
                    // published.
                    let moved: Vec<String> =
                        elsewhere.iter().filter(|p| self.is_published_path(p)).map(|p| format!("`{p}`")).collect();
                    let message =
                        format!("`{}` points at no {what} in the garden; it is shown as plain text", written());
                    out.diagnostics.push(if moved.is_empty() {
                        warn(Kind::BrokenLink, message, "create it, fix the spelling, or remove the link")
                    } else {
                        let hint = format!(
                            "a file of that name is at {}: write its folders as they are now",
                            moved.join(", ")
                        );
                        warn(Kind::BrokenLink, message, &hint)
                    });
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
        let anchors = &self.outlines[target].anchors;
        if let Some(block) = fragment.strip_prefix('^') {
            let url =
                format!("#%5E{}", percent_encoding::utf8_percent_encode(block, percent_encoding::NON_ALPHANUMERIC));
            return if anchors.blocks.iter().any(|b| b == block) {
                Ok(url)
            } else {
                Err((url, format!("block `^{block}`")))
            };
        }
        match anchors.heading_for(fragment) {
            Some(h) => Ok(format!("#{}", anchors.headings[h].0)),
            None => {
                let heading = fragment.rsplit('#').next().unwrap_or(fragment);
                Err((format!("#{}", heading_id(heading)), format!("heading `{heading}`")))
            }
        }
    }

    fn target_path(&self, target: &Target) -> String {
        match target {
            Target::Note(n) => self.outlines[*n].path.clone(),
            Target::Attachment(a) => self.attachments[*a].clone(),
            Target::Folder(f) => f.clone(),
        }
    }

    fn is_published_path(&self, path: &str) -> bool {
        let by_path =
            self.by_path.get_or_init(|| self.outlines.iter().enumerate().map(|(i, o)| (o.path.as_str(), i)).collect());
        match by_path.get(path) {
            Some(&i) => self.model.published[i],
            None => true,
        }
    }

    /// Whether a published note lives in `folder` or below it (`collect_folders` must have run).
    fn published_under(&self, folder: &str) -> bool {
        !folder.is_empty() && self.model.folders.get(&key(folder)).is_some_and(|f| f.count > 0)
    }

    fn collect_folders(&mut self) {
        let outlines = self.outlines;
        let model = &mut self.model;
        model.folders.insert(String::new(), Folder { url: String::new(), ..Folder::default() });
        // The keys of each folder and its ancestors, made once per folder rather than once per note.
        let mut chains: HashMap<&str, Vec<String>> = HashMap::default();
        for (i, outline) in outlines.iter().enumerate() {
            if !model.published[i] {
                continue;
            }
            let chain = chains.entry(outline.folder.as_str()).or_insert_with(|| {
                let parts: Vec<&str> =
                    if outline.folder.is_empty() { Vec::new() } else { outline.folder.split('/').collect() };
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
        self.move_claimed_folders();
    }

    /// A note whose `permalink` is the URL of a folder it is not in takes that URL, and the folder's page moves to
    /// the first free `folder-2/`, `folder-3/`…, with a warning, as a permalink takes precedence in Obsidian Publish.
    /// (A note whose permalink is its own folder's URL is that folder's page, as `index.md` would be.)
    fn move_claimed_folders(&mut self) {
        let model = &mut self.model;
        let by_url: HashMap<String, String> =
            model.folders.iter().filter(|(k, _)| !k.is_empty()).map(|(k, f)| (key(&f.url), k.clone())).collect();
        let claims: Vec<(usize, String)> = (0..self.outlines.len())
            .filter(|&i| model.published[i] && self.outlines[i].redirect.is_some())
            .filter_map(|i| by_url.get(&key(&model.urls[i])).map(|folder| (i, folder.clone())))
            .filter(|(i, folder)| self.outlines[*i].folder_key != *folder)
            .collect();
        if claims.is_empty() {
            return;
        }
        let mut taken: HashSet<String> = (0..self.outlines.len())
            .filter(|&i| model.published[i])
            .map(|i| key(&model.urls[i]))
            .chain(by_url.keys().cloned())
            .collect();
        for (i, folder_key) in claims {
            let Some(folder) = model.folders.get_mut(&folder_key) else { continue };
            if folder.note == Some(i) {
                continue;
            }
            let url = free_url(&folder.url, |url| taken.contains(&key(url)));
            taken.insert(key(&url));
            model.diagnostics.push(moved_page(
                &self.outlines[i].path,
                format!(
                    "this note's permalink `/{}` is the page of the folder `{}`; the folder's page moves to `/{url}`",
                    folder.url, folder.path
                ),
                "give the note another `permalink` to keep the folder's page where it was",
            ));
            folder.url = url;
        }
    }

    /// A note whose URL is also the page of a folder (`a.md` beside `a/`), a tag (`tags/plugin.md`) or the tag
    /// index becomes the text of that page, the way `index.md` is its folder's: no page is written twice and no
    /// note is lost. `own_page` records which notes still get a page of their own.
    fn claim_shared_urls(&mut self, url_keys: &[Cow<str>]) {
        let model = &mut self.model;
        model.own_page = model.published.clone();
        let folder_by_url: HashMap<String, String> =
            model.folders.iter().map(|(k, f)| (key(&f.url), k.clone())).collect();
        let tag_by_url: HashMap<String, String> =
            model.tags.iter().map(|(k, t)| (t.url_key.clone(), k.clone())).collect();
        for (i, url) in url_keys.iter().enumerate() {
            if !model.published[i] {
                continue;
            }
            let url = url.as_ref();
            if url == "tags/" && self.outlines[i].redirect.is_some() && model.tags_url == "tags/" {
                // A permalink to `/tags/` takes it: the tag index moves to the first free `tags-2/`….
                let taken: HashSet<&str> = url_keys.iter().map(|u| u.as_ref()).collect();
                model.tags_url = free_url("tags/", |url| taken.contains(url) || folder_by_url.contains_key(url));
                model.diagnostics.push(moved_page(
                    &self.outlines[i].path,
                    format!(
                        "this note's permalink `/tags/` is the tag index's; the tag index moves to `/{}`",
                        model.tags_url
                    ),
                    "give the note another `permalink` to keep the tag index at `/tags/`",
                ));
            } else if url == "tags/" && model.tags_url == "tags/" {
                if model.tag_index_note.is_none() {
                    model.tag_index_note = Some(i);
                }
                model.own_page[i] = false;
            } else if let Some(tag) = tag_by_url.get(url).and_then(|k| model.tags.get_mut(k)) {
                tag.note.get_or_insert(i);
                model.own_page[i] = false;
            } else if let Some(folder) = folder_by_url.get(url).and_then(|k| model.folders.get_mut(k)) {
                // `index.md` claimed its folder already in `collect_folders`.
                folder.note.get_or_insert(i);
                model.own_page[i] = folder.note != Some(i);
            }
        }
    }

    /// The graph page's URL: `graph/`, or, when a note (by its permalink or its path) or a folder has that URL,
    /// the first of `graph-2/`, `graph-3/`… that is free, with a warning: the note keeps the URL it asked for and
    /// the generated page moves, as Obsidian Publish gives a permalink precedence.
    fn place_graph_page(&mut self, url_keys: &[Cow<str>]) {
        let model = &mut self.model;
        let mut taken: HashSet<&str> =
            (0..url_keys.len()).filter(|&i| model.published[i]).map(|i| url_keys[i].as_ref()).collect();
        let folder_keys: Vec<String> = model.folders.values().map(|f| key(&f.url)).collect();
        let alias_keys: Vec<String> = model.aliases.iter().map(|(url, _)| key(url)).collect();
        taken.extend(folder_keys.iter().chain(&alias_keys).map(String::as_str));
        let mut url = "graph/".to_string();
        if taken.contains(url.as_str()) {
            url = free_url(&url, |url| taken.contains(url));
            let by = (0..url_keys.len()).find(|&i| model.published[i] && url_keys[i] == "graph/");
            let (path, what) = match by {
                Some(i) => (self.outlines[i].path.clone(), "this note has the URL `/graph/`".to_string()),
                None => ("graph".to_string(), "the folder `graph` has the URL `/graph/`".to_string()),
            };
            model.diagnostics.push(moved_page(
                &path,
                format!("{what}; the garden's graph page moves to `/{url}`"),
                "give the note another `permalink` (or the folder another name) to keep the graph at `/graph/`",
            ));
        }
        model.graph_url = url;
    }

    /// Alias pages live beside the note (`folder/alias-slug/`); one that would replace a page is skipped.
    fn collect_aliases(&mut self, url_keys: &[Cow<str>], memo: Option<&SiteMemo>) {
        let outlines = self.outlines;
        let model = &mut self.model;
        let folder_keys: Vec<String> = model.folders.values().map(|f| key(&f.url)).collect();
        // What the alias pages are made of: every page's URL, and each published note's path and aliases.
        let input = memo.map(|_| {
            let aliases: Vec<Option<(&str, u64)>> = (0..outlines.len())
                .map(|i| model.published[i].then(|| (outlines[i].path.as_str(), self.keys[i].aliases)))
                .collect();
            let tag_urls: Vec<&String> = model.tags.values().map(|t| &t.url_key).collect();
            key_of(&(url_keys, aliases, &folder_keys, tag_urls))
        });
        if let Some((aliases, diagnostics)) = memo.zip(input).and_then(|(memo, input)| memo.aliases.get(input)) {
            model.aliases = aliases;
            model.diagnostics.extend(diagnostics);
            return;
        }
        let warnings_before = model.diagnostics.len();
        let mut taken: HashSet<String> =
            (0..outlines.len()).filter(|&i| model.published[i]).map(|i| url_keys[i].to_string()).collect();
        taken.extend(folder_keys);
        taken.extend(model.tags.values().map(|t| t.url_key.clone()));
        taken.insert("tags/".into());
        taken.insert(key(&model.tags_url));
        // (note, alias, URL, its key) in note order; the slugs were made when the note was parsed.
        // The redirect from a permalinked note's path comes after its aliases; it is named by the note's path.
        let candidates = (0..outlines.len()).filter(|&i| model.published[i]).flat_map(|i| {
            let outline = outlines[i];
            let aliases = outline.anchors.aliases.iter().map(String::as_str).zip(&outline.alias_pages);
            let redirect = outline.redirect.iter().map(|page| (outline.path.as_str(), page));
            aliases.chain(redirect).map(move |(alias, (url, url_key))| (i, alias, url_key, url))
        });
        // Which note's redirect each alias page is: a note may name the same page twice (an alias `Gifting`
        // beside it and `Folder/Gifting`, or its own path among its aliases, as Obsidian's help vault does).
        let mut own: HashMap<&str, usize> = HashMap::default();
        let mut warned: HashSet<(usize, &str)> = HashSet::default();
        for (i, alias, url_key, url) in candidates {
            if taken.contains(url_key) {
                let repeated = !warned.insert((i, url_key.as_str()));
                if **url_key != *url_keys[i] && own.get(url_key.as_str()) != Some(&i) && !repeated {
                    model.diagnostics.push(
                        Diagnostic::new(
                            &outlines[i].path,
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
                own.insert(url_key, i);
                model.aliases.push((url.clone(), i));
            }
        }
        if let (Some(memo), Some(input)) = (memo, input) {
            let warnings = model.diagnostics[warnings_before..].to_vec();
            memo.aliases.keep(input, (model.aliases.clone(), warnings));
        }
    }
}

/// The first of `url-2/`, `url-3/`… that is not `taken`: where a generated page moves when a note takes its URL.
fn free_url(url: &str, taken: impl Fn(&str) -> bool) -> String {
    let wanted = url.trim_end_matches('/');
    (2..).map(|n| format!("{wanted}-{n}/")).find(|url| !taken(url)).expect("some number is free")
}

/// The warning that a generated page moved because the note at `path` took its URL.
fn moved_page(path: &str, message: String, hint: &str) -> Diagnostic {
    Diagnostic::new(path, 1, Severity::Warning, Kind::SlugCollision, message).hint(hint)
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
pub(super) fn named(path: &str, beside: &str) -> String {
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
fn collect_tags(outlines: &[&Arc<Outline>], published: &[bool]) -> BTreeMap<String, Tag> {
    // Gathered in a hash map (a tag is looked up once per note that has it), sorted once at the end.
    let mut tags: HashMap<String, Tag> = HashMap::default();
    for (i, outline) in outlines.iter().enumerate() {
        if !published[i] {
            continue;
        }
        // Names and keys were made when the note was parsed, deepest first.
        for chain in &outline.tags {
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

fn describe(target: &str, fragment: Option<&str>) -> String {
    match fragment {
        Some(f) => format!("{target}#{f}"),
        None => target.to_string(),
    }
}
