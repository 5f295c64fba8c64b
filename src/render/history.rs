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
    let diff = history::word_diff(&old, &readable(&edit.last().version.text));
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
        "diff_html": words_html(&diff, unchanged),
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

/// The URL of an author's page.
pub fn author_url(base_path: &str, name: &str) -> String {
    format!("{base_path}_authors/{}/", percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC))
}

/// One entry of the recent changes, for the page and the feed: `note` gives a path's note as it is now (its title
/// and page URL, both under the site), `None` for a note that is not published now.
pub fn happened_value(
    base_path: &str,
    entry: &history::Happened,
    note: &dyn Fn(&str) -> Option<(String, String)>,
) -> Value {
    let stem = |path: &str| path.rsplit('/').next().unwrap_or(path).trim_end_matches(".md").to_string();
    let (title, url) = note(&entry.path).unwrap_or_else(|| (stem(&entry.path), String::new()));
    let history_url = url.strip_prefix(base_path).map(|rel| format!("{base_path}_history/{rel}")).unwrap_or_default();
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
        history::What::Edit(edit, before) => {
            value["kind"] = json!("edit");
            value["summary"] = json!(edit.summary);
            value["added"] = json!(edit.added);
            value["removed"] = json!(edit.removed);
            value["saves"] = json!(edit.steps.len());
            value["compare_url"] = json!(if history_url.is_empty() {
                String::new()
            } else {
                format!("{history_url}?from={before}&to={}", edit.last().short())
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
