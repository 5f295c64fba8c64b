//! The list of a site's pages: each file `render_site` makes, by the path it is written to and by what it shows
//! ([`PageRef`]), so that the live preview can render one page when a browser asks for it. Pure.

use super::GRAPH_FILE;
use crate::site::Site;
use crate::slug::key;

/// Every page of a site by the path of its file.
pub type Pages = rustc_hash::FxHashMap<String, PageRef>;

/// One page of the site, by what it shows; [`pages`] lists them with their paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRef {
    /// A tag's page, by the tag's key.
    Tag(String),
    /// A folder's page (the home page is the root folder's), by the folder's key.
    Folder(String),
    Note(usize),
    /// An alias redirect, by its index in `site.aliases`.
    Alias(usize),
    TagIndex,
    NotFound,
    Feed,
    Sitemap,
    /// `graph.json`.
    GraphData,
    /// The page of the whole garden's graph.
    Graph,
}

/// Every page of the site, with the path of the file it becomes: what [`super::render_site`] renders, for rendering one
/// page at a time (`loam serve` renders a page when it is asked for).
pub fn pages(site: &Site) -> Vec<(String, PageRef)> {
    let mut pages: Vec<(String, PageRef)> = Vec::new();
    pages.extend(site.tags.iter().map(|(k, tag)| (index_file(&tag.url), PageRef::Tag(k.clone()))));
    // A folder called `tags` would be published where the tag index is; the tag index keeps that place.
    pages.extend(
        site.folders
            .iter()
            .filter(|(_, f)| key(&f.url) != site.tags_url)
            .map(|(k, folder)| (index_file(&folder.url), PageRef::Folder(k.clone()))),
    );
    pages.extend(
        site.published_notes().filter(|&i| site.own_page[i]).map(|i| (index_file(&site.urls[i]), PageRef::Note(i))),
    );
    pages.extend(site.aliases.iter().enumerate().map(|(n, (url, _))| (index_file(url), PageRef::Alias(n))));
    pages.push((index_file(&site.tags_url), PageRef::TagIndex));
    pages.push(("404.html".into(), PageRef::NotFound));
    pages.push(("feed.xml".into(), PageRef::Feed));
    pages.push(("sitemap.xml".into(), PageRef::Sitemap));
    pages.push((GRAPH_FILE.into(), PageRef::GraphData));
    pages.push((index_file(&site.graph_url), PageRef::Graph));
    pages
}

/// Published notes with pages of their own, which the sitemap lists.
pub(super) fn published_pages(site: &Site) -> Vec<usize> {
    site.published_notes().filter(|&i| site.own_page[i]).collect()
}

pub(super) fn index_file(url: &str) -> String {
    format!("{url}index.html")
}
