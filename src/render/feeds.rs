//! The files for machines rather than readers: the Atom feed of the notes changed last (`feed.xml`) and the
//! sitemap (`sitemap.xml`), each through its template, with absolute URLs in ASCII. Pure.

use serde_json::{json, Value};

use super::context::object;
use super::Renderer;
use crate::diagnostic::Diagnostic;
use crate::output::OutputFile;
use crate::page;
use crate::search;
use crate::site::Site;
use crate::slug::key;

/// How many notes the feed lists.
const FEED_ENTRIES: usize = 20;

impl Renderer<'_, '_> {
    pub(super) fn feed(&self) -> Result<OutputFile, Diagnostic> {
        let site = self.site;
        let mut notes: Vec<(chrono::DateTime<chrono::FixedOffset>, usize)> =
            site.published_notes().filter_map(|i| site.dates[i].latest().map(|d| (d, i))).collect();
        notes.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        notes.truncate(FEED_ENTRIES);
        let base = absolute(site);
        let entries: Vec<Value> = notes
            .iter()
            .map(|&(date, i)| {
                let note = &site.notes[i];
                let summary = note.meta.description.clone().unwrap_or_else(|| summary_of(&page::body_html(site, i).0));
                json!({
                    "title": note.title(),
                    "url": format!("{base}{}", encode_path(&site.urls[i])),
                    "updated": date.to_rfc3339(),
                    "summary": summary,
                })
            })
            .collect();
        let updated = notes.first().map(|(d, _)| d.to_rfc3339()).unwrap_or_else(|| "1970-01-01T00:00:00+00:00".into());
        let feed = object([
            ("updated", updated.into()),
            ("url", format!("{base}feed.xml").into()),
            ("entries", entries.into()),
        ]);
        self.simple("feed.xml", "feed.xml", object([("feed", feed)]))
    }

    /// Every page a search engine should know: notes, folders, tags (not alias redirects or the 404 page).
    pub(super) fn sitemap(&self, notes: &[usize]) -> Result<OutputFile, Diagnostic> {
        let site = self.site;
        let base = absolute(site);
        let entry = |url: &str, lastmod: String| {
            object([("loc", format!("{base}{}", encode_path(url)).into()), ("lastmod", lastmod.into())])
        };
        let mut urls: Vec<Value> = Vec::with_capacity(notes.len() + site.folders.len() + site.tags.len() + 1);
        // A folder called `tags` is listed once, as the tag index below.
        for folder in site.folders.values().filter(|f| key(&f.url) != site.tags_url) {
            urls.push(entry(&folder.url, String::new()));
        }
        for &i in notes {
            let lastmod = site.dates[i].updated.or(site.dates[i].date).map(|d| d.format("%Y-%m-%d").to_string());
            urls.push(entry(&site.urls[i], lastmod.unwrap_or_default()));
        }
        urls.push(entry(&site.tags_url, String::new()));
        urls.extend(site.tags.values().map(|t| entry(&t.url, String::new())));
        self.simple("sitemap.xml", "sitemap.xml", object([("sitemap", object([("urls", urls.into())]))]))
    }
}

/// The base URL with scheme and host if the garden gave one, else its path; feeds want absolute URLs.
pub(super) fn absolute(site: &Site) -> String {
    let base = site.config.base_url.clone();
    if base.contains("://") {
        base
    } else {
        site.base_path.clone()
    }
}

/// Feeds and sitemaps want URLs in ASCII: non-ASCII letters of slugs are percent-encoded there.
pub(super) fn encode_path(path: &str) -> String {
    percent_encoding::utf8_percent_encode(path, percent_encoding::CONTROLS).to_string()
}

/// The first words of a page's text, for a feed entry without a description: the text as search shows it (no
/// scripts, no TeX source, entities decoded), from the page's first 16 KB of HTML.
fn summary_of(html: &str) -> String {
    let mut end = html.len().min(16 * 1024);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    let text = search::plain_text(&html[..end]);
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut summary = words.iter().take(40).copied().collect::<Vec<_>>().join(" ");
    if words.len() > 40 {
        summary.push('…');
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_summary_is_the_first_words_of_the_text() {
        let html =
            "<p>Tom &amp; Jerry&#39;s <em>garden</em>: <math><mi>x</mi><annotation encoding=\"application/x-tex\">\
            x^2</annotation></math> grows.</p><script>hidden()</script><p>Next.</p>";
        assert_eq!(summary_of(html), "Tom & Jerry's garden: x grows. Next.");
        let long = format!("<p>{}</p>", "word ".repeat(50));
        assert_eq!(summary_of(&long), format!("{}…", ["word"; 40].join(" ")));
        let huge = format!("<p>{}é</p>", "a".repeat(16 * 1024 - 4));
        assert!(summary_of(&huge).starts_with("aaa"), "cut at a character boundary");
    }
}
