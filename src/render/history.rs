//! The history views' values (`history.html`, see `templates/CONTEXT.md`): a note's edits by day, two versions
//! compared, who wrote each line, with the differences as ready HTML. Pure.

use chrono::DateTime;
use serde_json::{json, Value};
use similar::ChangeTag;

use crate::config::Config;
use crate::history::{self, Edit, Line, Piece, Step};
use crate::render::strings;
use crate::store::Written;

/// How many edits one page of a history lists.
pub const EDITS_PER_PAGE: usize = 50;

/// What a history view shows.
pub enum View<'a> {
    /// The edits, page `page` of them (0: the newest).
    List { page: usize },
    /// Two versions compared: the older's text (if any) and name, the newer's.
    Compare { from: Option<&'a Step>, to: &'a Step },
    /// Who wrote each line of the current text.
    Blame(&'a [Written]),
}

/// The note a history is of.
pub struct Of<'a> {
    pub title: &'a str,
    /// Its page's URL.
    pub url: &'a str,
    /// The URL of its history (`…/_history/NOTE/`).
    pub history_url: &'a str,
}

/// The `history` value of `history.html` for `view` of the note `of`, whose shown steps (oldest first) are
/// `steps`; `readable` turns a version's text into the text as read (`search::block_text` of its rendering).
pub fn context(
    config: &Config,
    of: &Of,
    steps: &[Step],
    view: View,
    readable: &(dyn Fn(&str) -> String + Sync),
) -> Value {
    let unchanged = strings::text(config, "unchanged_words");
    let mut value = json!({
        "note": { "title": of.title, "url": of.url },
        "list_url": of.history_url,
        "blame_url": format!("{}?blame", of.history_url),
        "view": "list",
    });
    match view {
        View::List { page } => {
            let edits = history::edits(steps.to_vec());
            let pages = edits.len().div_ceil(EDITS_PER_PAGE).max(1);
            let page = page.min(pages - 1);
            // The text before each edit, by the short id of the version it is (none before the first).
            let mut days: Vec<Value> = Vec::new();
            let shown = edits.iter().enumerate().skip(page * EDITS_PER_PAGE).take(EDITS_PER_PAGE);
            for (n, edit) in shown {
                // Edits are newest first: the one after this in the list is the one before it in time.
                let before = edits.get(n + 1).map(|e| e.last());
                let date = day(edit.time());
                let entry = edit_value(edit, before, readable, unchanged);
                match days.last_mut() {
                    Some(last) if last["date"] == date => {
                        last["edits"].as_array_mut().expect("edits are a list").push(entry)
                    }
                    _ => days.push(json!({ "date": date, "first": days.is_empty() && page == 0, "edits": [entry] })),
                }
            }
            let at = |p: usize| match p {
                0 => of.history_url.to_string(),
                p => format!("{}?page={}", of.history_url, p + 1),
            };
            value["days"] = json!(days);
            value["newer_url"] = json!(if page > 0 { at(page - 1) } else { String::new() });
            value["older_url"] = json!(if page + 1 < pages { at(page + 1) } else { String::new() });
        }
        View::Compare { from, to } => {
            let old = from.map_or("", |step| step.version.text.as_str());
            value["view"] = json!("compare");
            value["compare"] = json!({
                "from": from.map_or_else(|| "—".to_string(), name),
                "to": name(to),
                "from_url": from.map_or_else(String::new, |step| format!("{}?at={}", of.history_url, step.short())),
                "to_url": format!("{}?at={}", of.history_url, to.short()),
                "text_html": words_html(&history::word_diff(&readable(old), &readable(&to.version.text)), unchanged),
                "source_html": lines_html(&history::line_diff(old, &to.version.text, 3)),
            });
        }
        View::Blame(runs) => {
            value["view"] = json!("blame");
            value["blame_html"] = json!(blame_html(&history::blame_lines(runs)));
        }
    }
    value
}

/// One edit as the list shows it, with its difference from the version `before` it.
fn edit_value(
    edit: &Edit,
    before: Option<&Step>,
    readable: &(dyn Fn(&str) -> String + Sync),
    unchanged: &str,
) -> Value {
    let old = before.map_or(String::new(), |step| readable(&step.version.text));
    let diff_html = words_html(&history::word_diff(&old, &readable(&edit.last().version.text)), unchanged);
    // Each step's own predecessor: the step before it within the edit, else the version before the edit.
    let mut previous = before.map(|step| step.short()).unwrap_or_default();
    let steps: Vec<Value> = edit
        .steps
        .iter()
        .map(|step| {
            let value = json!({
                "short": step.short(),
                "before": previous,
                "time": iso(step.version.time),
                "clock": clock(step.version.time),
                "summary": step.summary,
                "added": step.added,
                "removed": step.removed,
            });
            previous = step.short();
            value
        })
        .rev()
        .collect();
    json!({
        "short": edit.last().short(),
        "before": before.map(|step| step.short()).unwrap_or_default(),
        "author": author(edit.author()),
        "time": iso(edit.time()),
        "clock": clock(edit.time()),
        "summary": edit.summary,
        "added": edit.added,
        "removed": edit.removed,
        "steps": steps,
        "diff_html": diff_html,
    })
}

/// The banner over the page of the past version `step` of the note `of`, whose current version is `latest`:
/// which version it is, and links to the current page, to what changed since and to the history.
pub fn banner_html(config: &Config, of: &Of, step: &Step, latest: &Step) -> String {
    let t = |key: &str| escape(strings::text(config, key));
    let time = step.version.time;
    format!(
        "<aside class=\"version-banner\" role=\"note\" aria-label=\"{old}\"><p><strong>{old}</strong>: \
         <time datetime=\"{iso}\">{day} {clock}</time> · {author} · <code>{short}</code></p><p>\
         <a href=\"{url}\">{current}</a> · <a href=\"{history}?from={short}&amp;to={latest}\">{since}</a> · \
         <a href=\"{history}\">{history_word}</a></p></aside>",
        old = t("old_version"),
        iso = iso(time),
        day = day(time),
        clock = clock(time),
        author = escape(author(&step.version.about.author)),
        short = step.short(),
        url = escape(of.url),
        current = t("current_version"),
        history = escape(of.history_url),
        latest = latest.short(),
        since = t("compare_with_current"),
        history_word = t("history"),
    )
}

/// What a page of the garden's recent changes is, beside its entries.
pub struct Changes<'a> {
    pub base_path: &'a str,
    /// The author whose page this is (`_authors/NAME/`), if it is one.
    pub author: Option<&'a str>,
    /// The filters asked for, by name (`author`, `folder`, `tag`), empty where none.
    pub filter: [(&'a str, &'a str); 3],
    /// Every author of the garden's published notes, for the filter's choices.
    pub authors: &'a [String],
    /// The next page back (empty at the end) and the Atom feed of the same.
    pub older_url: String,
    pub feed_url: String,
    /// On an author's page, the published notes they changed: (title, URL).
    pub notes: Vec<(String, String)>,
}

/// The URL of an author's page: their name as a slug, the same in the preview and a built site (where it is a
/// folder's name, so nothing of a name a peer gave reaches a path as it is). Names that make the same slug
/// (`Ada`, `ada`) share a page.
pub fn author_url(base_path: &str, name: &str) -> String {
    format!("{base_path}_authors/{}/", crate::slug::slugify(name))
}

/// One entry of the recent changes, for the page and the feed: `note` gives a path's note as it is now (its title
/// and page URL, both under the site), `None` for a note that is not published now.
pub fn happened_value(
    base_path: &str,
    entry: &history::Happened,
    note: &dyn Fn(&str) -> Option<(String, String)>,
    built: bool,
) -> Value {
    let stem = |path: &str| path.rsplit('/').next().unwrap_or(path).trim_end_matches(".md").to_string();
    let (title, url) = note(&entry.path).unwrap_or_else(|| (stem(&entry.path), String::new()));
    // The preview's history page of the note, or (a built site) the note's page asking for its history.
    let history_url = match url.strip_prefix(base_path) {
        Some(_) if built => format!("{url}?history"),
        Some(rel) => format!("{base_path}_history/{rel}"),
        None => String::new(),
    };
    let query = if built { "&" } else { "?" };
    let mut value = json!({
        "time": iso(entry.time),
        "date": day(entry.time),
        "clock": clock(entry.time),
        "author": author(&entry.author),
        "author_url": if entry.author.is_empty() { String::new() } else { author_url(base_path, &entry.author) },
        "title": title,
        "url": url,
        "path": entry.path,
        "change": entry.change,
        "history_url": history_url,
    });
    match &entry.what {
        history::What::Edit { added, removed, summary, saves, before } => {
            value["kind"] = json!("edit");
            value["summary"] = json!(summary);
            value["added"] = json!(added);
            value["removed"] = json!(removed);
            value["saves"] = json!(saves);
            value["compare_url"] = json!(if history_url.is_empty() {
                String::new()
            } else {
                format!("{history_url}{query}from={before}&to={}", entry.change)
            });
        }
        history::What::Moved { from } => {
            value["kind"] = json!("move");
            value["from"] = json!(from);
            value["summary"] = json!(format!("moved from {from}"));
        }
        history::What::Deleted => {
            value["kind"] = json!("delete");
            value["summary"] = json!("deleted");
        }
    }
    value
}

/// The `changes` value of `changes.html` (see `templates/CONTEXT.md`): the entries (newest first) by day.
pub fn changes_context(changes: &Changes, entries: &[Value]) -> Value {
    let mut days: Vec<Value> = Vec::new();
    for entry in entries {
        match days.last_mut() {
            Some(last) if last["date"] == entry["date"] => {
                last["entries"].as_array_mut().expect("entries are a list").push(entry.clone())
            }
            _ => days.push(json!({ "date": entry["date"], "entries": [entry] })),
        }
    }
    let filter: serde_json::Map<String, Value> =
        changes.filter.iter().map(|(name, value)| (name.to_string(), json!(value))).collect();
    json!({
        "author": changes.author.unwrap_or_default(),
        "url": match changes.author {
            Some(name) => author_url(changes.base_path, name),
            None => format!("{}_changes/", changes.base_path),
        },
        "filter": filter,
        "authors": changes.authors,
        "author_links": changes
            .authors
            .iter()
            .map(|name| json!({ "name": name, "url": author_url(changes.base_path, name) }))
            .collect::<Vec<_>>(),
        "days": days,
        "older_url": changes.older_url,
        "feed_url": changes.feed_url,
        "notes": changes.notes.iter().map(|(title, url)| json!({ "title": title, "url": url })).collect::<Vec<_>>(),
    })
}

/// A version's name: its change, time and author.
fn name(step: &Step) -> String {
    format!(
        "{} · {} {} · {}",
        step.short(),
        day(step.version.time),
        clock(step.version.time),
        author(&step.version.about.author)
    )
}

fn author(name: &str) -> &str {
    if name.is_empty() {
        "—"
    } else {
        name
    }
}

fn day(time: i64) -> String {
    DateTime::from_timestamp(time, 0).map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string())
}

fn clock(time: i64) -> String {
    DateTime::from_timestamp(time, 0).map_or_else(String::new, |t| t.format("%H:%M").to_string())
}

fn iso(time: i64) -> String {
    DateTime::from_timestamp(time, 0).map_or_else(String::new, |t| t.to_rfc3339())
}

/// A word difference as HTML: `<ins>` and `<del>`, folded stretches as `<details>` saying how many words they hold.
pub fn words_html(pieces: &[Piece], unchanged: &str) -> String {
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Same { text, folded: false } => out.push_str(&escape(text)),
            Piece::Same { text, folded: true } => {
                let words = text.split_whitespace().count();
                out.push_str(&format!(
                    "<details class=\"diff-fold\"><summary>… {words} {} …</summary>{}</details>",
                    escape(unchanged),
                    escape(text)
                ));
            }
            Piece::Added(text) => out.push_str(&format!("<ins>{}</ins>", escape(text))),
            Piece::Removed(text) => out.push_str(&format!("<del>{}</del>", escape(text))),
        }
    }
    out
}

/// A line difference as HTML: a table per hunk, each line with its numbers, its changed words marked.
pub fn lines_html(hunks: &[Vec<Line>]) -> String {
    let mut out = String::new();
    for hunk in hunks {
        out.push_str("<table class=\"diff-lines\">");
        for line in hunk {
            let (class, sign, mark) = match line.tag {
                ChangeTag::Delete => ("removed", "−", "del"),
                ChangeTag::Insert => ("added", "+", "ins"),
                ChangeTag::Equal => ("same", " ", ""),
            };
            let number = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_default();
            out.push_str(&format!(
                "<tr class=\"{class}\"><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"sign\">{sign}</td><td><code>",
                number(line.old),
                number(line.new)
            ));
            for (changed, text) in &line.parts {
                match (*changed, mark.is_empty()) {
                    (true, false) => out.push_str(&format!("<{mark}>{}</{mark}>", escape(text))),
                    _ => out.push_str(&escape(text)),
                }
            }
            out.push_str("</code></td></tr>");
        }
        out.push_str("</table>");
    }
    out
}

/// Who wrote each line, as a table: the authors (most of the line's first), the line.
pub fn blame_html(lines: &[(String, Vec<String>)]) -> String {
    let mut out = String::from("<table class=\"blame\">");
    let mut last: Option<&[String]> = None;
    for (n, (text, authors)) in lines.iter().enumerate() {
        // An author is named where their lines begin, not on every line.
        let shown = if text.trim().is_empty() || last == Some(authors.as_slice()) {
            String::new()
        } else {
            authors.iter().map(|a| escape(author(a))).collect::<Vec<_>>().join(", ")
        };
        if !text.trim().is_empty() {
            last = Some(authors.as_slice());
        }
        out.push_str(&format!(
            "<tr><td class=\"blame-author\">{shown}</td><td class=\"n\">{}</td><td><code>{}</code></td></tr>",
            n + 1,
            escape(text)
        ));
    }
    out.push_str("</table>");
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let _ = pulldown_cmark_escape::escape_html(&mut out, text);
    out
}

/// A garden's history as `loam build` publishes it (`[history] publish = true`) in its recent changes and authors'
/// pages: every edit of a published note in versions in which it was published (see [`versions_json`] for each
/// note's own history), the moves of published notes, and deletions of notes whose last version was published.
#[derive(Default)]
pub struct Published {
    pub happened: Vec<history::Happened>,
}

/// A note's shown versions as the file of its history in a built site ([`versions_file`]), which `static/history.js`
/// reads to compare two versions, show a past one or who wrote each line: `{"versions": [...]}`, newest first,
/// each with its change (`id`, `short`), `time` (seconds since 1970), `author`, `kind`, `summary`, `added`,
/// `removed`, and its Markdown: the newest as `text`, each older one as `edit`, what makes it from the version
/// listed before it, line by line (a number n keeps the next n lines, -n drops them, a string is a line put in,
/// with its line break). A note's ten versions weigh little more than one. Then `edits`, newest first, the
/// versions as the history list groups them, `runs` ([`history::edit_runs`] of `steps`): each its last version
/// (`last`), how many saves it holds (`saves`), and its `summary`, `added` and `removed` over all of them.
pub fn versions_json(steps: &[Step], runs: &[history::Run]) -> Vec<u8> {
    let mut versions: Vec<Value> = Vec::with_capacity(steps.len());
    let mut newer: Option<&str> = None;
    for step in steps.iter().rev() {
        let text = step.version.text.as_str();
        let mut value = json!({
            "id": step.id(),
            "short": step.short(),
            "time": step.version.time,
            "author": step.version.about.author,
            "kind": step.version.about.kind,
            "summary": step.summary,
            "added": step.added,
            "removed": step.removed,
        });
        match newer {
            None => value["text"] = json!(text),
            Some(newer) => value["edit"] = Value::Array(line_edit(newer, text)),
        }
        versions.push(value);
        newer = Some(text);
    }
    let edits: Vec<Value> = runs
        .iter()
        .map(|run| {
            json!({
                "last": steps[run.last].short(),
                "saves": run.last - run.first + 1,
                "summary": run.summary,
                "added": run.added,
                "removed": run.removed,
            })
        })
        .collect();
    serde_json::to_vec(&json!({ "versions": versions, "edits": edits })).expect("JSON values serialise")
}

/// Where the versions of the note whose page is at `url` (relative, `bees/`) are in a built site: a file named
/// after the page, `_history/bees.json` (`_history/_index.json` for the home page), not a file in a folder per
/// note, so that a large garden's build makes one file per note and no folder. `static/history.js` finds it so.
pub fn versions_file(url: &str) -> String {
    match url.trim_end_matches('/') {
        "" => "_history/_index.json".to_string(),
        page => format!("_history/{page}.json"),
    }
}

/// What makes `to` from `from`, line by line (see [`versions_json`]).
fn line_edit(from: &str, to: &str) -> Vec<Value> {
    let (same, from_middle, to_middle) = history::changed_middle(from, to);
    let diff = similar::TextDiff::configure().algorithm(similar::Algorithm::Myers).diff_lines(from_middle, to_middle);
    let new_lines: Vec<&str> = to_middle.split_inclusive('\n').collect();
    let mut out: Vec<Value> = Vec::new();
    let count = |out: &mut Vec<Value>, n: i64| match out.last().and_then(Value::as_i64) {
        _ if n == 0 => {}
        Some(last) if last.signum() == n.signum() => *out.last_mut().expect("there is a last") = json!(last + n),
        _ => out.push(json!(n)),
    };
    count(&mut out, same as i64);
    for op in diff.ops() {
        match *op {
            similar::DiffOp::Equal { len, .. } => count(&mut out, len as i64),
            similar::DiffOp::Delete { old_len, .. } => count(&mut out, -(old_len as i64)),
            similar::DiffOp::Insert { new_index, new_len, .. } => {
                out.extend(new_lines[new_index..new_index + new_len].iter().map(|line| json!(line)))
            }
            similar::DiffOp::Replace { old_len, new_index, new_len, .. } => {
                count(&mut out, -(old_len as i64));
                out.extend(new_lines[new_index..new_index + new_len].iter().map(|line| json!(line)));
            }
        }
    }
    // The lines both end with.
    let middle_end = same_lines_len(from, same) + from_middle.len();
    count(&mut out, from[middle_end..].split_inclusive('\n').count() as i64);
    out
}

/// How many bytes the first `lines` lines of `text` take.
fn same_lines_len(text: &str, lines: usize) -> usize {
    text.split_inclusive('\n').take(lines).map(str::len).sum()
}

/// The entries of the recent changes as an Atom feed at `feed_url`, titled `title`; `origin` (the site's base URL
/// without its path) makes their links absolute.
pub fn atom(title: &str, site_title: &str, origin: &str, values: &[Value], feed_url: &str) -> String {
    let absolute =
        |url: &str| if url.is_empty() || url.contains("://") { url.to_string() } else { format!("{origin}{url}") };
    let updated = values.first().and_then(|v| v["time"].as_str()).unwrap_or("1970-01-01T00:00:00+00:00");
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <title>{}</title>\n  \
         <id>{}</id>\n  <updated>{updated}</updated>\n  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n  \
         <author><name>{}</name></author>\n",
        escape(title),
        escape(&absolute(feed_url)),
        escape(&absolute(feed_url)),
        escape(site_title),
    );
    for value in values {
        let text = |key: &str| value[key].as_str().unwrap_or_default().to_string();
        let link = [text("compare_url"), text("url")].into_iter().find(|u| !u.is_empty()).unwrap_or_default();
        // Each change its own id, though several are of one note and one change may move several.
        let id = format!("{}#{}-{}-{}", absolute(feed_url), text("kind"), text("change"), text("path"));
        xml.push_str(&format!(
            "  <entry>\n    <title>{}: {}</title>\n    <id>{}</id>\n    <updated>{}</updated>\n",
            escape(&text("title")),
            escape(&text("summary")),
            escape(&id),
            escape(&text("time")),
        ));
        if !link.is_empty() {
            xml.push_str(&format!(
                "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
                escape(&absolute(&link))
            ));
        }
        if !text("author").is_empty() {
            xml.push_str(&format!("    <author><name>{}</name></author>\n", escape(&text("author"))));
        }
        let size = match value["kind"].as_str() {
            Some("edit") => format!(" (+{} −{})", value["added"], value["removed"]),
            _ => String::new(),
        };
        xml.push_str(&format!(
            "    <summary type=\"text\">{}: {}{size}</summary>\n  </entry>\n",
            escape(&text("path")),
            escape(&text("summary"))
        ));
    }
    xml.push_str("</feed>\n");
    xml
}

/// How many entries a page of a built site's recent changes, or an author's page, lists.
pub const CHANGES_PER_PAGE: usize = 100;

/// How many pages back a built site's recent changes go (an author's page is one): recent changes are recent, as
/// MediaWiki's keep 90 days; older edits are in each note's history. Every change listed would be a page of HTML
/// per hundred changes, most of the output of a garden with a long history.
pub const CHANGES_PAGES: usize = 10;

/// A rendered file, or why it is not.
type Made = (Option<crate::output::OutputFile>, Vec<crate::diagnostic::Diagnostic>);

fn made(page: Result<crate::output::OutputFile, crate::diagnostic::Diagnostic>) -> Made {
    match page {
        Ok(file) => (Some(file), Vec::new()),
        Err(problem) => (None, vec![problem]),
    }
}

impl super::Renderer<'_, '_> {
    /// A built site's recent changes (`_changes/`, a page per [`CHANGES_PER_PAGE`] entries, `page/N/` after the
    /// first, [`CHANGES_PAGES`] of them), their Atom feed (`_changes/feed.xml`, the newest page's), and each
    /// author's page (`_authors/NAME/`: their newest changes, and the published notes they changed).
    pub(super) fn changes_pages(&self, published: &Published) -> Vec<Made> {
        use rayon::prelude::*;
        let site = self.site;
        let base = site.base_path.as_str();
        let by_path: std::collections::HashMap<&str, usize> =
            site.published_notes().map(|i| (site.notes[i].path.as_str(), i)).collect();
        let note =
            |path: &str| by_path.get(path).map(|&i| (site.notes[i].title().to_string(), site.note_url(i).to_string()));
        // Newest first; only those some page lists become values.
        let mut entries: Vec<&history::Happened> = published.happened.iter().collect();
        entries.par_sort_by(|a, b| b.time.cmp(&a.time).then_with(|| a.path.cmp(&b.path)));
        let value = |entry: &history::Happened| happened_value(base, entry, &note, true);
        let mut authors: Vec<String> =
            entries.iter().map(|entry| entry.author.clone()).filter(|a| !a.is_empty()).collect();
        authors.par_sort_unstable();
        authors.dedup();
        let newest: Vec<Value> = entries.iter().take(CHANGES_PER_PAGE * CHANGES_PAGES).map(|e| value(e)).collect();
        let mut out = self.changes_list(None, &newest, &authors);
        // What `static/changes.js` filters by author, folder and tag: the same changes, each with the tags its
        // note has today.
        let tags_of = |path: &str| -> Vec<String> {
            by_path.get(path).map_or_else(Vec::new, |&i| site.notes[i].tags.iter().map(|t| t.to_lowercase()).collect())
        };
        let recent: Vec<Value> = (newest.iter())
            .map(|entry| {
                let mut entry = entry.clone();
                entry["tags"] = json!(tags_of(entry["path"].as_str().unwrap_or_default()));
                entry
            })
            .collect();
        let recent = serde_json::to_vec(&json!({ "entries": recent })).expect("JSON values serialise");
        out.push((Some(crate::output::OutputFile::bytes("_changes/recent.json".into(), recent)), Vec::new()));
        let origin = site.config.base_url.trim_end_matches('/');
        let origin = origin.strip_suffix(base.trim_end_matches('/')).unwrap_or(origin);
        let recent = strings::text(site.config, "recent_changes");
        let feed_url = format!("{base}_changes/feed.xml");
        let title = format!("{} · {recent}", site.config.title);
        let xml = atom(&title, &site.config.title, origin, &newest[..newest.len().min(CHANGES_PER_PAGE)], &feed_url);
        out.push((Some(crate::output::OutputFile::bytes("_changes/feed.xml".into(), xml.into_bytes())), Vec::new()));
        // Names that make one slug share a page, as they share a URL.
        let mut by_slug: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
        for name in &authors {
            by_slug.entry(crate::slug::slugify(name)).or_default().push(name);
        }
        for names in by_slug.values() {
            let theirs: Vec<Value> = (entries.iter())
                .filter(|entry| names.contains(&entry.author.as_str()))
                .take(CHANGES_PER_PAGE)
                .map(|e| value(e))
                .collect();
            out.extend(self.changes_list(Some(names[0]), &theirs, &authors));
        }
        out
    }

    /// The pages of a list of changes, the garden's (`author` `None`) or an author's.
    fn changes_list(&self, author: Option<&str>, values: &[Value], authors: &[String]) -> Vec<Made> {
        let site = self.site;
        let base = site.base_path.as_str();
        let relative = match author {
            Some(name) => author_url("", name),
            None => "_changes/".to_string(),
        };
        // An author's page lists the published notes they changed.
        let notes: Vec<(String, String)> = author.map_or_else(Vec::new, |name| {
            let slug = crate::slug::slugify(name);
            let mut notes: Vec<(String, String)> = site
                .published_notes()
                .filter(|&i| {
                    site.history.get(i).is_some_and(|h| h.authors.iter().any(|a| crate::slug::slugify(a) == slug))
                })
                .map(|i| (site.notes[i].title().to_string(), site.note_url(i).to_string()))
                .collect();
            notes.sort_by_key(|(title, _)| title.to_lowercase());
            notes
        });
        let chunks: Vec<&[Value]> =
            if values.is_empty() { vec![&[]] } else { values.chunks(CHANGES_PER_PAGE).collect() };
        let page_url = |page: usize| match page {
            0 => relative.clone(),
            page => format!("{relative}page/{}/", page + 1),
        };
        chunks
            .iter()
            .enumerate()
            .map(|(page, chunk)| {
                let changes = Changes {
                    base_path: base,
                    author,
                    filter: [("author", ""), ("folder", ""), ("tag", "")],
                    authors,
                    older_url: if page + 1 < chunks.len() {
                        format!("{base}{}", page_url(page + 1))
                    } else {
                        String::new()
                    },
                    feed_url: format!("{base}_changes/feed.xml"),
                    notes: if page == 0 { notes.clone() } else { Vec::new() },
                };
                let mut own = changes_context(&changes, chunk);
                own["built"] = json!(true);
                let url = page_url(page);
                made(self.render(
                    "changes.html",
                    super::pages::index_file(&url),
                    &url,
                    json!({ "changes": own }),
                    "changes.html",
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `to` again, from `from` and the line edit between them, as `static/history.js` makes it.
    fn apply(from: &str, edit: &[Value]) -> String {
        let lines: Vec<&str> = from.split_inclusive('\n').collect();
        let (mut at, mut out) = (0, String::new());
        for op in edit {
            match op {
                Value::String(line) => out.push_str(line),
                Value::Number(n) if n.as_i64().unwrap() > 0 => {
                    let n = n.as_i64().unwrap() as usize;
                    out.extend(lines[at..at + n].iter().copied());
                    at += n;
                }
                Value::Number(n) => at += (-n.as_i64().unwrap()) as usize,
                other => panic!("{other}"),
            }
        }
        assert_eq!(at, lines.len(), "{from:?} {edit:?}");
        out
    }

    #[test]
    fn a_line_edit_makes_the_older_version_from_the_newer() {
        let texts = ["", "a\n", "a\nb\n", "b\na\n", "a\nb\na\n", "a\nb", "ab\n", "\n\n", "a\n\nb\n", "x\na\nb\nc\ny\n"];
        for from in texts {
            for to in texts {
                assert_eq!(apply(from, &line_edit(from, to)), to, "{from:?} -> {to:?}");
            }
        }
    }
}
