//! The site's full-text search index, made by pagefind's Rust library in process: every published note's title,
//! aliases, tags and text go in as they are rendered, and the index comes out as files under `pagefind/` (the
//! index in chunks, pagefind's search script and its WebAssembly), which `static/search.js` loads in the reader's
//! browser. Nothing is fetched from another site, and a reader downloads only the chunks a query needs, so the
//! index scales to very large gardens.
//!
//! Pages are collected from the rendering threads as they are made, then indexed in the order of their URLs, so
//! that the same garden always gives the same index (pagefind indexes one page at a time, so there is nothing to
//! gain from starting early). Pure: files come back as values.

use std::sync::Mutex;

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;

use crate::markdown::escape;
use crate::output::OutputFile;

/// Where the index and pagefind's scripts go in the site.
pub const FOLDER: &str = "pagefind";

/// What the index knows of one note.
pub struct Entry {
    /// The note's URL relative to the site root, without the base path (`notes/a/`): pagefind's script adds the
    /// base path it was loaded from, so the index works wherever the site is served.
    pub url: String,
    pub title: String,
    pub aliases: Vec<String>,
    pub tags: Vec<String>,
    /// The note's body as HTML (its headings keep their ids, so results can point at a section).
    pub content: String,
}

impl Entry {
    /// The page pagefind reads: the title as the `h1` it takes for the result's title, then the text. Aliases and
    /// tags are metadata, outside the indexed body: their words find the note, and they stay out of the excerpts.
    fn html(&self, language: &str) -> String {
        let mut html = String::with_capacity(self.content.len() + 256);
        html.push_str("<html lang=\"");
        html.push_str(&escape(language));
        html.push_str("\"><body>");
        if !self.aliases.is_empty() {
            html.push_str("<p data-pagefind-meta=\"aliases\">");
            html.push_str(&escape(&self.aliases.join(", ")));
            html.push_str("</p>");
        }
        if !self.tags.is_empty() {
            html.push_str("<p data-pagefind-meta=\"tags\">");
            for tag in &self.tags {
                html.push_str(" #");
                html.push_str(&escape(tag));
            }
            html.push_str("</p>");
        }
        html.push_str("<main data-pagefind-body><h1>");
        html.push_str(&escape(&self.title));
        html.push_str("</h1>");
        push_without_tex(&mut html, &self.content);
        html.push_str("</main></body></html>");
        html
    }
}

/// Appends `content` without the TeX source that MathML carries in `<annotation>`: the formula's MathML text is
/// indexed once, not twice, and excerpts do not show `e^{i\pi}` beside the formula.
fn push_without_tex(out: &mut String, content: &str) {
    const OPEN: &str = "<annotation encoding=\"application/x-tex\">";
    const CLOSE: &str = "</annotation>";
    let mut rest = content;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        match rest[start..].find(CLOSE) {
            Some(end) => rest = &rest[start + end + CLOSE.len()..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
}

/// The pages of a search index, collected from any thread.
pub struct Indexer {
    language: String,
    entries: Mutex<Vec<Entry>>,
}

impl Indexer {
    /// An index of pages in `language` (the site's, an ISO 639 code such as `en` or `zh`: Chinese and Japanese
    /// text is split into words by ICU's segmenter, which pagefind's `extended` feature brings).
    pub fn start(language: &str) -> Indexer {
        Indexer { language: primary_subtag(language), entries: Mutex::default() }
    }

    pub fn add(&self, entry: Entry) {
        crate::lock(&self.entries).push(entry);
    }

    /// The files of the index, under [`FOLDER`].
    pub fn finish(self) -> Result<Vec<OutputFile>, String> {
        let entries = self.entries.into_inner().unwrap_or_else(|e| e.into_inner());
        index(&self.language, entries)
    }
}

/// `en` of `en-GB`: pagefind keeps one index per language, and its stemmers know languages, not regions.
fn primary_subtag(language: &str) -> String {
    let primary = language.split(['-', '_']).next().unwrap_or_default().trim().to_ascii_lowercase();
    if primary.is_empty() {
        "en".into()
    } else {
        primary
    }
}

fn index(language: &str, mut entries: Vec<Entry>) -> Result<Vec<OutputFile>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| format!("cannot start the search indexer: {e}"))?;
    runtime.block_on(async {
        let options = PagefindServiceConfig::builder().force_language(language.to_string()).build();
        let mut index = PagefindIndex::new(Some(options)).map_err(|e| format!("cannot start pagefind: {e}"))?;
        // Pages arrive in the order the rendering threads finish them; pagefind's index depends on the order it
        // is given, and the same garden must give the same files (a rebuild rewrites only what changed).
        entries.sort_unstable_by(|a, b| a.url.cmp(&b.url));
        for entry in entries {
            let html = entry.html(language);
            // pagefind refuses a page only on a fault of its own; the build reports it and writes no index.
            if let Err(error) = index.add_html_file(None, Some(format!("/{}", entry.url)), html).await {
                return Err(format!("pagefind could not index `{}`: {error}", entry.url));
            }
        }
        let files = index.get_files().await.map_err(|e| format!("pagefind could not write the index: {e}"))?;
        Ok(files
            .into_iter()
            // pagefind's own search interfaces: the site has its own (`static/search.js`).
            .filter(|file| {
                let name = file.filename.to_string_lossy();
                !name.contains("-ui.") && !name.starts_with("pagefind-highlight")
            })
            .map(|file| {
                let name = file.filename.to_string_lossy().replace('\\', "/");
                OutputFile::bytes(format!("{FOLDER}/{name}"), file.contents)
            })
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_is_written_with_pagefinds_script() {
        let indexer = Indexer::start("en-GB");
        indexer.add(Entry {
            url: "notes/compost/".into(),
            title: "Compost <heaps>".into(),
            aliases: vec!["Humus".into()],
            tags: vec!["soil".into()],
            content: "<p>Worms turn kitchen scraps into soil.</p><h2 id=\"care\">Care</h2><p>Keep it moist.</p>".into(),
        });
        let files = indexer.finish().unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert!(names.contains(&"pagefind/pagefind.js"), "{names:?}");
        assert!(names.contains(&"pagefind/pagefind-entry.json"), "{names:?}");
        assert!(names.iter().any(|n| n.starts_with("pagefind/index/en")), "{names:?}");
        assert!(names.iter().any(|n| n.starts_with("pagefind/fragment/en")), "{names:?}");
        assert!(!names.iter().any(|n| n.contains("-ui") || n.contains("highlight")), "no UI of pagefind's: {names:?}");
    }

    #[test]
    fn the_page_pagefind_reads_escapes_names() {
        let entry = Entry {
            url: "a/".into(),
            title: "A <b> & c".into(),
            aliases: vec![],
            tags: vec!["x\"y".into()],
            content: "<p>text</p>".into(),
        };
        let html = entry.html("en");
        assert!(html.contains("<h1>A &lt;b&gt; &amp; c</h1>"), "{html}");
        assert!(html.contains("<p data-pagefind-meta=\"tags\"> #x&quot;y</p><main"), "tags are metadata: {html}");
        assert!(!html.contains("aliases"), "no aliases, no alias line: {html}");
        assert_eq!(primary_subtag("zh_Hant"), "zh");
        assert_eq!(primary_subtag(""), "en");
    }

    #[test]
    fn formulas_are_indexed_without_their_tex() {
        let mut out = String::new();
        let math =
            "<p>a <math><mi>e</mi><annotation encoding=\"application/x-tex\">e^{i\\pi}</annotation></math> b</p>";
        push_without_tex(&mut out, math);
        assert_eq!(out, "<p>a <math><mi>e</mi></math> b</p>");
        out.clear();
        push_without_tex(&mut out, "<annotation encoding=\"application/x-tex\">never closed");
        assert_eq!(out, "");
    }
}
