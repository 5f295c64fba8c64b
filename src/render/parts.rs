//! The lists of a page's values that come as ready HTML (`toc_html`, `backlinks_html`, `tags_html`,
//! `breadcrumbs_html`, `dates_html`, `list.items_html` and `recent_html`): Tera's lookups inside loops cost more
//! than the rest of a page, so the built-in templates print these instead of looping. Pure.

use pulldown_cmark_escape::escape_html as escape_html_into;
use serde_json::Value;

use super::context::{item_date, note_tags};
use crate::site::Site;

/// How many notes "Recent notes" lists.
const RECENT_NOTES: usize = 8;

/// The `<li>` of the notes changed last, newest first, for every page's "Recent notes".
pub(super) fn recent_html(site: &Site) -> String {
    let mut dated: Vec<(chrono::DateTime<chrono::FixedOffset>, usize)> =
        site.published_notes().filter_map(|i| site.dates[i].latest().map(|d| (d, i))).collect();
    let newest = dated.len().min(RECENT_NOTES);
    if newest == 0 {
        return String::new();
    }
    dated.select_nth_unstable_by(newest - 1, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    dated.truncate(newest);
    dated.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut html = String::new();
    for (date, i) in dated {
        html.push_str("\n      <li><a href=\"");
        escape_html_into(&mut html, site.note_url(i)).ok();
        html.push_str("\">");
        escape_html_into(&mut html, site.notes[i].title()).ok();
        html.push_str("</a> <time datetime=\"");
        html.push_str(&date.format("%Y-%m-%d").to_string());
        html.push_str("\">");
        html.push_str(&date.format("%-d %b %Y").to_string());
        html.push_str("</time></li>");
    }
    html
}

/// The entries of the table of contents, as (depth, id, text), as `<li>` elements ready for an `<ol>`. Like
/// Hugo's `.TableOfContents`, it saves templates a loop: Tera's lookups inside loops cost more than the rest of a
/// page.
pub(super) fn toc_html<'t>(entries: impl Iterator<Item = (u8, &'t str, &'t str)>) -> String {
    let mut html = String::new();
    for (depth, id, text) in entries {
        html.push_str("\n        <li class=\"toc-depth-");
        html.push_str(&depth.to_string());
        html.push_str("\"><a href=\"#");
        let _ = escape_html_into(&mut html, id);
        html.push_str("\">");
        let _ = escape_html_into(&mut html, text);
        html.push_str("</a></li>");
    }
    html
}

/// The backlinks, as (title, url, context HTML), as `<li>` elements ready for a `<ul>`; empty when there are
/// none. See [`toc_html`].
pub(super) fn backlinks_html<'b>(links: impl Iterator<Item = (&'b str, &'b str, &'b str)>) -> String {
    let mut html = String::new();
    for (title, url, context) in links {
        html.push_str("\n      <li>\n        <a class=\"internal\" href=\"");
        let _ = escape_html_into(&mut html, url);
        html.push_str("\">");
        let _ = escape_html_into(&mut html, title);
        html.push_str("</a>");
        if !context.is_empty() {
            // The context is HTML already (page::context_html escapes the note's text).
            html.push_str("\n        <div class=\"backlink-context\">");
            html.push_str(context);
            html.push_str("</div>");
        }
        html.push_str("\n      </li>");
    }
    html
}

/// The breadcrumbs (`{ title, url }`) as `<li>` elements ready for an `<ol>`. See [`toc_html`].
pub(super) fn breadcrumbs_html(crumbs: &[Value]) -> String {
    link_items(crumbs, "\n        <li><a href=\"", "title", "")
}

/// Tags as `<li>` elements, each on a new line starting with `indent`. See [`toc_html`].
pub(super) fn tags_html<'t>(site: &Site, tags: impl Iterator<Item = &'t crate::site::Tag>, indent: &str) -> String {
    let mut html = String::new();
    for tag in tags {
        html.push_str(indent);
        html.push_str("<li><a class=\"tag\" href=\"");
        let _ = escape_html_into(&mut html, &site.base_path);
        let _ = escape_html_into(&mut html, &tag.url);
        html.push_str("\">#");
        let _ = escape_html_into(&mut html, &tag.name);
        html.push_str("</a></li>");
    }
    html
}

/// `{before}URL">{mark}TEXT</a></li>` for each `{ url, <text> }` entry, both values escaped.
fn link_items(entries: &[Value], before: &str, text: &str, mark: &str) -> String {
    let mut html = String::new();
    for entry in entries {
        html.push_str(before);
        let _ = escape_html_into(&mut html, entry["url"].as_str().unwrap_or_default());
        html.push_str("\">");
        html.push_str(mark);
        let _ = escape_html_into(&mut html, entry[text].as_str().unwrap_or_default());
        html.push_str("</a></li>");
    }
    html
}

/// A note of a list page as a `<li>` element for a `<ul>` (see [`toc_html`]), with its tags or without.
pub(super) fn item_html(site: &Site, i: usize, with_tags: bool) -> String {
    let note = &site.notes[i];
    let mut html = String::new();
    html.push_str("\n      <li class=\"note-item\">\n        <div class=\"note-item-head\">\n          <a class=\"internal note-item-title\" href=\"");
    let _ = escape_html_into(&mut html, site.note_url(i));
    html.push_str("\">");
    let _ = escape_html_into(&mut html, note.title());
    html.push_str("</a>");
    let date = item_date(site, i);
    if !date.is_empty() {
        html.push_str("\n          <span class=\"note-item-date\">");
        let _ = escape_html_into(&mut html, &date);
        html.push_str("</span>");
    }
    html.push_str("\n        </div>");
    let description = note.meta.description.as_deref().unwrap_or_default();
    if !description.is_empty() {
        html.push_str("\n        <p class=\"note-item-description\">");
        let _ = escape_html_into(&mut html, description);
        html.push_str("</p>");
    }
    let tags = if with_tags { tags_html(site, note_tags(site, i), "\n          ") } else { String::new() };
    if !tags.is_empty() {
        html.push_str("\n        <ul class=\"tags\">");
        html.push_str(&tags);
        html.push_str("\n        </ul>");
    }
    html.push_str("\n      </li>");
    html
}

/// The note's dates as `<li>` elements ready for a `<ul>`; empty when it has none. See [`toc_html`].
/// The note's dates as `<li>` elements, then its last edit and contributors from the history. See [`toc_html`].
pub(super) fn dates_html(dates: &crate::site::Dates, authors: &[String]) -> String {
    let mut html = String::new();
    let labelled = [("Published", dates.date), ("Created", dates.created), ("Updated", dates.updated)];
    for (label, date) in labelled.into_iter().chain([("Last edited", dates.edited)]) {
        if let Some(d) = date {
            html.push_str(&format!(
                "\n        <li>{label} <time datetime=\"{}\">{}</time></li>",
                d.to_rfc3339(),
                d.format("%Y-%m-%d")
            ));
        }
    }
    if !authors.is_empty() {
        html.push_str("\n        <li class=\"contributors\">");
        html.push_str(if authors.len() == 1 { "Contributor: " } else { "Contributors: " });
        for (n, author) in authors.iter().enumerate() {
            if n > 0 {
                html.push_str(", ");
            }
            let _ = escape_html_into(&mut html, author);
        }
        html.push_str("</li>");
    }
    html
}
