//! The preview's history views of a note, at `_history/` followed by the note's URL (`_history/bees/`): its edits
//! newest first by day, each with what it changed (`?page=N` for older ones); two versions compared
//! (`?from=X&to=Y`, each a change's hash or the start of it, or `@TIME` for the version current at that time in
//! seconds since 1970, `from` empty for the first version); who wrote each
//! line (`?blame`); a past version's page (`?at=X`), as the note read then, its links resolved against the
//! garden as it is now, under a banner naming the version. Only versions in which the note was published are shown, and only a published note has a
//! history here.
//!
//! The note's document comes from the living garden (`live.rs`, which owns the store) as bytes; the versions are
//! read from it, and the page rendered, on a blocking thread.

use std::sync::Arc;

use axum::response::Response;
use tokio::sync::oneshot;

use crate::history::{self, Step};
use crate::render::history::{Of, View};
use crate::serve::Snapshot;
use crate::store::recorder::{Ask, AskStore};

/// Where the history views are, under the site's base path.
pub const PREFIX: &str = "_history/";

/// What a history view was asked for, and where.
struct Asked {
    /// The note's path in the notes folder, its title and its page's URL.
    note: (String, String, String),
    history_url: String,
    query: Vec<(String, String)>,
}

/// The history view at `rest` (a path under the site's base path, starting with [`PREFIX`]); `None` when there is
/// none there (not a published note's, or the history is not kept), for a 404.
pub async fn answer(
    snapshot: &Arc<Snapshot>,
    ask: Option<&AskStore>,
    rest: &str,
    query: Option<&str>,
) -> Option<Response> {
    let url = rest.strip_prefix(PREFIX)?;
    let url = percent_encoding::percent_decode_str(url).decode_utf8().ok()?.into_owned();
    let note = snapshot.note_at(&url)?;
    let query = super::query_pairs(query);
    let asked = Asked { note, history_url: format!("{}{PREFIX}{}", snapshot.base_path, encoded(&url)), query };
    let (bytes, redacted) = load(ask?, &asked.note.0).await?;
    let snapshot_ = snapshot.clone();
    let page = tokio::task::spawn_blocking(move || render(&snapshot_, &asked, &bytes, &redacted)).await.ok()??;
    Some(super::page_response(snapshot, page))
}

/// The bytes of the document of the note at `path`, from the living garden, and its redacted changes.
async fn load(ask: &AskStore, path: &str) -> Option<(Vec<u8>, Vec<String>)> {
    let (reply, doc) = oneshot::channel();
    ask(Ask::Note { path: path.to_string(), reply }).then_some(())?;
    let doc = doc.await.ok()??;
    let (reply, redacted) = oneshot::channel();
    ask(Ask::Redacted { doc: doc.clone(), reply }).then_some(())?;
    let (reply, bytes) = oneshot::channel();
    ask(Ask::Load { doc, reply }).then_some(())?;
    Some((bytes.await.ok()??, redacted.await.ok()?))
}

fn render(snapshot: &Snapshot, asked: &Asked, bytes: &[u8], redacted: &[String]) -> Option<crate::serve::Rendered> {
    let doc = automerge::Automerge::load(bytes).ok()?;
    let (path, title, url) = &asked.note;
    let versions = history::unredacted(crate::store::versions_of(&doc).ok()?, redacted);
    let shown = history::shown(versions, |text| snapshot.publishes(text));
    if shown.is_empty() {
        return None;
    }
    let steps = history::steps(shown);
    let of = Of { title, url, history_url: &asked.history_url };
    let get = |key: &str| asked.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    // A version by its change's hash or the start of it, or `@TIME` (seconds since 1970): the one current then.
    let find = |at: &str| match at.strip_prefix('@') {
        Some(time) => time.parse::<i64>().ok().and_then(|time| steps.iter().rev().find(|s| s.version.time <= time)),
        None => steps.iter().find(|step| !at.is_empty() && step.id().starts_with(&at.to_ascii_lowercase())),
    };
    if let Some(at) = get("at") {
        let step = find(at)?;
        let latest = steps.last()?;
        let config = snapshot.config()?;
        let banner = crate::render::history::banner_html(config, &of, step, latest);
        // The page as it was: edited then, by those who had written it so far.
        let edited = chrono::DateTime::from_timestamp(step.version.time, 0)?.fixed_offset();
        let mut authors: Vec<String> = Vec::new();
        for earlier in steps.iter().take_while(|s| !std::ptr::eq(*s, step)).chain([step]) {
            let author = &earlier.version.about.author;
            if !author.is_empty() && !authors.contains(author) {
                authors.push(author.clone());
            }
        }
        let then = crate::site::Contributions { authors, edited: Some(edited) };
        return snapshot.version_page(path, &step.version.text, then, &banner);
    }
    let runs;
    let view = if get("blame").is_some() {
        // The current text, which is published: the note has a page.
        runs = crate::store::blame_of(&doc).ok()?;
        View::Blame(&runs)
    } else if let Some(to) = get("to") {
        let to: &Step = find(to)?;
        let from = match get("from") {
            // A time before the first version shown: everything is new since.
            Some(from) if from.starts_with('@') => find(from),
            Some(from) if !from.is_empty() => Some(find(from)?),
            _ => None,
        };
        View::Compare { from, to }
    } else {
        let page = get("page").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).max(1) - 1;
        View::List { page }
    };
    snapshot.history_page(&of, &steps, view, path)
}

/// What a URL path may not hold as it is.
const IN_PATH: &percent_encoding::AsciiSet =
    &percent_encoding::CONTROLS.add(b' ').add(b'"').add(b'#').add(b'%').add(b'<').add(b'>').add(b'?').add(b'`');

/// A URL path percent-encoded as a link needs it.
fn encoded(url: &str) -> String {
    percent_encoding::utf8_percent_encode(url, IN_PATH).to_string()
}
