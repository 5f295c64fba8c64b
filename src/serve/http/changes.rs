//! The preview's history of the whole garden: its recent changes at `_changes/` (edits, moves and deletions of
//! published notes, newest first by day; `?author=`, `?folder=` and `?tag=` filter them, `?until=TIME` pages back),
//! their Atom feed at `_changes/feed.xml` (the same filters), and a page per author at `_authors/NAME/` (what they
//! changed, and the published notes they changed).
//!
//! Only what a reader may see is listed: edits of notes published now, in versions in which they were published
//! (`history::shown`, as a note's own history); a move of a note published now; the deletion of a note whose last
//! version was published. The living garden (`live.rs`) gives every note's last edit from its bookkeeping, and the
//! documents are loaded newest-edited first, a few at a time, until the page is full: a page of a 10,000-note
//! garden reads the documents of the notes changed last, not all of them.

use std::sync::Arc;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use rayon::prelude::*;
use serde_json::{json, Value};
use tokio::sync::oneshot;

use crate::history::{self, Happened, What};
use crate::render::history::{author_url, happened_value, Changes};
use crate::serve::Snapshot;
use crate::store::recorder::{Ask, AskStore, Journal};

/// Where the recent changes are, and their feed, under the site's base path.
pub const CHANGES: &str = "_changes/";
const FEED: &str = "_changes/feed.xml";
/// Where the authors' pages are.
pub const AUTHORS: &str = "_authors/";

/// How many entries a page (or the feed) lists.
const PER_PAGE: usize = 100;
/// How many documents are loaded at once.
const BATCH: usize = 16;
/// How many of the index's changes that moved or deleted notes are looked at.
const INDEX_EVENTS: usize = 200;

/// What the entries are filtered by.
#[derive(Default)]
struct Filter {
    author: String,
    folder: String,
    tag: String,
    /// Only changes made at this time or before (seconds since the Unix epoch): the pages after the first.
    until: Option<i64>,
}

/// Whether `rest` (a path under the site's base path) is one of these views.
pub fn is_here(rest: &str) -> bool {
    rest.starts_with(CHANGES) || rest.starts_with(AUTHORS)
}

/// The view at `rest`; `None` when there is none there, for a 404.
pub async fn answer(
    snapshot: &Arc<Snapshot>,
    ask: Option<&AskStore>,
    rest: &str,
    query: Option<&str>,
) -> Option<Response> {
    let ask = ask?;
    let query = super::query_pairs(query);
    let get = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let mut filter = Filter {
        author: get("author"),
        folder: get("folder").trim_matches('/').to_string(),
        tag: get("tag").trim_start_matches('#').to_string(),
        until: get("until").parse().ok(),
    };
    let (feed, author_page) = if rest == FEED {
        (true, None)
    } else if rest == CHANGES {
        (false, None)
    } else {
        let slug = rest.strip_prefix(AUTHORS)?.strip_suffix('/')?;
        let slug = percent_encoding::percent_decode_str(slug).decode_utf8().ok()?;
        // Only someone who changed a published note has a page.
        let name = snapshot.authors(None).0.into_iter().find(|name| crate::slug::slugify(name) == slug)?;
        filter.author = name.clone();
        (false, Some(name))
    };
    let journal = journal(ask).await?;
    let entries = gather(snapshot, ask, &journal, &filter).await;
    let base = snapshot.base_path.clone();
    let note = |path: &str| snapshot.published_note(path).map(|(title, url)| (title.to_string(), url.to_string()));
    let values: Vec<Value> = entries.iter().map(|entry| happened_value(&base, entry, &note, false)).collect();
    let here = match &author_page {
        Some(name) => author_url(&base, name),
        None => format!("{base}{CHANGES}"),
    };
    let filters =
        [("author", filter.author.as_str()), ("folder", filter.folder.as_str()), ("tag", filter.tag.as_str())];
    let with = |path: &str, extra: Option<(&str, String)>| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in filters {
            // An author's page is filtered by its author already.
            if !(value.is_empty() || name == "author" && author_page.is_some()) {
                query.append_pair(name, value);
            }
        }
        if let Some((name, value)) = extra {
            query.append_pair(name, &value);
        }
        let query = query.finish();
        if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        }
    };
    let feed_url = with(&format!("{base}{FEED}"), author_page.as_ref().map(|name| ("author", name.clone())));
    if feed {
        return Some(atom(snapshot, &values, &feed_url, &filter));
    }
    let older_url = match entries.get(PER_PAGE - 1) {
        Some(last) => with(&here, Some(("until", (last.time - 1).to_string()))),
        None => String::new(),
    };
    let (authors, notes) = snapshot.authors(author_page.as_deref());
    let changes = Changes {
        base_path: &base,
        author: author_page.as_deref(),
        filter: filters,
        authors: &authors,
        older_url,
        feed_url,
        notes,
    };
    let own = crate::render::history::changes_context(&changes, &values);
    let snapshot_ = snapshot.clone();
    let page =
        tokio::task::spawn_blocking(move || snapshot_.own_page("changes.html", &here, json!({ "changes": own })))
            .await
            .ok()??;
    Some(super::page_response(snapshot, page))
}

/// The notes and index document, from the living garden.
async fn journal(ask: &AskStore) -> Option<Journal> {
    let (reply, journal) = oneshot::channel();
    ask(Ask::Journal { reply }).then_some(())?;
    journal.await.ok()
}

/// The bytes of document `doc`, from the living garden.
async fn load(ask: &AskStore, doc: &str) -> Option<Vec<u8>> {
    let (reply, bytes) = oneshot::channel();
    ask(Ask::Load { doc: doc.to_string(), reply }).then_some(())?;
    bytes.await.ok()?
}

/// The newest entries (at most [`PER_PAGE`]) that `filter` lets through.
async fn gather(snapshot: &Arc<Snapshot>, ask: &AskStore, journal: &Journal, filter: &Filter) -> Vec<Happened> {
    let in_folder = |path: &str| filter.folder.is_empty() || path.starts_with(&format!("{}/", filter.folder));
    // Notes published now that the filter may let through, changed last first. A note's last edit bounds all of
    // its changes: once the page holds enough changes newer than the next note's last edit, it is full.
    let mut notes: Vec<&(String, String, i64, Vec<String>)> = journal
        .notes
        .iter()
        .filter(|(path, _, _, authors)| {
            snapshot.published_note(path).is_some()
                && in_folder(path)
                && (filter.author.is_empty() || authors.contains(&filter.author))
                && (filter.tag.is_empty() || snapshot.has_tag(path, &filter.tag))
        })
        .collect();
    notes.sort_by_key(|(path, _, edited, _)| (std::cmp::Reverse(*edited), path.clone()));
    let mut entries: Vec<Happened> = events(snapshot, ask, journal, filter).await;
    let full = |entries: &mut Vec<Happened>, next: Option<i64>| {
        entries.sort_by_key(|entry| std::cmp::Reverse(entry.time));
        entries.len() >= PER_PAGE && next.is_none_or(|next| entries[PER_PAGE - 1].time >= next)
    };
    for (n, batch) in notes.chunks(BATCH).enumerate() {
        // A note last edited after `until` may have edits before it; one last edited before can have no edit
        // after the page's bounds, as above.
        // Every ask of the batch at once: the living garden answers them one after another without waiting.
        let asked = batch.iter().map(|(path, doc, _, _)| async move {
            let redacted = journal.redacted.get(doc).cloned().unwrap_or_default();
            load(ask, doc).await.map(|bytes| (path.clone(), bytes, redacted))
        });
        let loaded: Vec<(String, Vec<u8>, Vec<String>)> =
            futures::future::join_all(asked).await.into_iter().flatten().collect();
        let snapshot_ = snapshot.clone();
        let (author, until) = ((!filter.author.is_empty()).then(|| filter.author.clone()), filter.until);
        let found = tokio::task::spawn_blocking(move || {
            loaded
                .par_iter()
                .flat_map(|(path, bytes, redacted)| {
                    let Some(steps) = shown_steps(&snapshot_, bytes, redacted) else { return Vec::new() };
                    history::happened(path, &steps, author.as_deref(), until)
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        entries.extend(found);
        let next = notes.get((n + 1) * BATCH).map(|(_, _, edited, _)| *edited);
        if full(&mut entries, next) {
            break;
        }
    }
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.time));
    entries.truncate(PER_PAGE);
    entries
}

/// How many documents' shown steps [`shown_steps`] keeps (about 30 KB each with 10 versions of a 3 KB note).
const KEPT: usize = 256;

/// The shown steps of each document read lately, by the key of its bytes, its redactions and the publish mode: a
/// page read again (a feed reader's poll, another filter, the next page back) loads the documents but does not read
/// their versions again.
static MADE: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<u64, Arc<[history::Step]>>>> =
    std::sync::LazyLock::new(Default::default);

/// The versions of the document `bytes` that a reader may see (published, not redacted), as steps.
fn shown_steps(snapshot: &Snapshot, bytes: &[u8], redacted: &[String]) -> Option<Arc<[history::Step]>> {
    let mode = snapshot.config()?.publish_mode;
    let key = crate::memo::key_of(&(xxhash_rust::xxh3::xxh3_64(bytes), redacted, mode));
    if let Some(steps) = crate::lock(&MADE).get(&key) {
        return Some(steps.clone());
    }
    let doc = automerge::Automerge::load(bytes).ok()?;
    let versions = history::unredacted(crate::store::versions_of(&doc).ok()?, redacted);
    let steps: Arc<[history::Step]> = history::steps(history::shown(versions, |text| snapshot.publishes(text))).into();
    let mut made = crate::lock(&MADE);
    if made.len() >= KEPT {
        made.clear();
    }
    made.insert(key, steps.clone());
    Some(steps)
}

/// The moves and deletions that `filter` lets through and a reader may see.
async fn events(snapshot: &Arc<Snapshot>, ask: &AskStore, journal: &Journal, filter: &Filter) -> Vec<Happened> {
    let Some(index) = &journal.index else { return Vec::new() };
    let Ok(index) = automerge::Automerge::load(index) else { return Vec::new() };
    let events = crate::store::index_events(&index, INDEX_EVENTS).unwrap_or_default();
    let in_folder = |path: &Option<String>| {
        filter.folder.is_empty() || path.as_ref().is_some_and(|p| p.starts_with(&format!("{}/", filter.folder)))
    };
    let mut out = Vec::new();
    for event in events {
        if !(filter.author.is_empty() || event.author == filter.author)
            || filter.until.is_some_and(|until| event.time > until)
            || !(in_folder(&event.from) || in_folder(&event.to))
        {
            continue;
        }
        // Where the note is now, if anywhere.
        let now = journal.notes.iter().find(|(_, doc, _, _)| *doc == event.doc).map(|(path, ..)| path.as_str());
        let what = match (&event.from, &event.to) {
            // A move is shown if the note is published now.
            (Some(from), Some(to)) => {
                let published = now.is_some_and(|now| snapshot.published_note(now).is_some());
                let tagged = filter.tag.is_empty() || now.is_some_and(|now| snapshot.has_tag(now, &filter.tag));
                if !published || !tagged {
                    continue;
                }
                let (time, author, change) = (event.time, event.author, event.hash.to_string()[..8].to_string());
                Happened { time, author, path: to.clone(), change, what: What::Moved { from: from.clone() } }
            }
            // A deletion, if the note's last version was published (and it is not back since); a tag filter
            // lists none, a deleted note having no tags to go by.
            (Some(from), None) if now.is_none() && filter.tag.is_empty() => {
                let Some(bytes) = load(ask, &event.doc).await else { continue };
                let Ok(doc) = automerge::Automerge::load(&bytes) else { continue };
                let Ok(versions) = crate::store::versions_of(&doc) else { continue };
                let redacted = crate::store::redacted_in(&index, &event.doc);
                let versions = history::unredacted(versions, &redacted);
                if !versions.last().is_some_and(|last| snapshot.publishes(&last.text)) {
                    continue;
                }
                let (time, author, change) = (event.time, event.author, event.hash.to_string()[..8].to_string());
                Happened { time, author, path: from.clone(), change, what: What::Deleted }
            }
            _ => continue,
        };
        out.push(what);
    }
    out
}

/// The entries as an Atom feed.
fn atom(snapshot: &Snapshot, values: &[Value], feed_url: &str, filter: &Filter) -> Response {
    let origin = snapshot.config().map(|config| config.base_url.trim_end_matches('/').to_string()).unwrap_or_default();
    // The site's base URL may hold the base path already; entries' URLs start with it.
    let origin = origin.strip_suffix(snapshot.base_path.trim_end_matches('/')).unwrap_or(&origin).to_string();
    let mut title = snapshot.title.clone();
    for part in [&filter.author, &filter.folder, &filter.tag] {
        if !part.is_empty() {
            title.push_str(&format!(" · {part}"));
        }
    }
    let recent = snapshot.config().map(|c| crate::render::strings::text(c, "recent_changes")).unwrap_or_default();
    let xml = crate::render::history::atom(&format!("{title} · {recent}"), &snapshot.title, &origin, values, feed_url);
    ([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], xml)
        .into_response()
}
