//! `graph.json`: the published notes and the links between them, which the graph view (`static/graph.js`) draws
//! for the whole garden on `graph/` and around one note on its page. Pure.
//!
//! The shape is small on purpose, since every page with a local graph fetches it (once, then from the cache):
//! `{"nodes":[{"title","url","tags":[tag index…],"folder":folder index,"order"?,"x"?,"y"?}…],"links":[[from,to]…],
//! "tags":["name"…],"tag_urls":[…],"folders":[{"title","url","parent","order"?}…]}`, where `order` is a place in
//! `navigation` (`loam.toml`), and `x`, `y` where the graph page draws the note, worked out here for a garden of
//! [`layout::MIN_NOTES`] notes or more (`layout.rs`). The explorer (`static/explorer.js`) builds its tree of
//! folders and notes from the same file. Node indexes are
//! positions in `nodes`, not note numbers, so that unpublished notes leave no gap or trace: they are never
//! nodes, and a link to one is no edge.

use serde::Serialize;

use super::layout;
use crate::site::{Link, Site};

#[derive(Serialize)]
struct Graph<'s> {
    nodes: Vec<Node<'s>>,
    links: Vec<[u32; 2]>,
    tags: Vec<&'s str>,
    /// Each tag's page, parallel to `tags`.
    tag_urls: Vec<String>,
    /// Folders holding published notes, parents before children; the root folder is the first.
    folders: Vec<FolderNode>,
}

#[derive(Serialize)]
struct FolderNode {
    title: String,
    url: String,
    /// The parent folder's index; `null` for the root.
    parent: Option<u32>,
    /// Its place in `navigation` (`loam.toml`), if it has one: the explorer shows it before the rest.
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<u32>,
}

#[derive(Serialize)]
struct Node<'s> {
    title: &'s str,
    url: &'s str,
    tags: Vec<u32>,
    /// The folder the note's file is in.
    folder: u32,
    /// Its place in `navigation` (`loam.toml`), if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<u32>,
    /// Where the graph page draws it, in a garden of [`layout::MIN_NOTES`] notes or more (`layout.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    x: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    y: Option<f32>,
}

/// The graph of `site` as JSON; with `placed`, with each note's place on the graph page in a large garden (`loam
/// build`: the live preview leaves the layout to the browser rather than make it again at every save).
pub fn json(site: &Site, placed: bool) -> Vec<u8> {
    let mut node_of = vec![u32::MAX; site.notes.len()];
    let published: Vec<usize> = site.published_notes().collect();
    for (n, &i) in published.iter().enumerate() {
        node_of[i] = n as u32;
    }
    let tag_of: rustc_hash::FxHashMap<&str, u32> =
        site.tags.keys().enumerate().map(|(n, key)| (key.as_str(), n as u32)).collect();
    // BTreeMap order puts every folder after its parent (a key is a prefix of its children's keys).
    let folder_of: rustc_hash::FxHashMap<&str, u32> =
        site.folders.keys().enumerate().map(|(n, key)| (key.as_str(), n as u32)).collect();
    // Places in the explorer's order, by path (a note's with or without `.md`), compared as links compare names.
    let navigation: rustc_hash::FxHashMap<String, u32> = (site.config.navigation.iter().enumerate())
        .map(|(n, path)| (crate::slug::key(path.trim_matches('/').trim_end_matches(".md")), n as u32))
        .collect();
    let order = |path: &str| navigation.get(&crate::slug::key(path.trim_end_matches(".md"))).copied();
    let folders = site
        .folders
        .iter()
        .map(|(key, folder)| FolderNode {
            title: super::folder_title(site, folder),
            url: site.url(&folder.url),
            parent: parent_key(key).and_then(|parent| folder_of.get(parent).copied()),
            order: order(&folder.path),
        })
        .collect();
    let nodes = published
        .iter()
        .map(|&i| {
            let note = &site.notes[i];
            let mut tags: Vec<u32> = note
                .outline
                .tags
                .iter()
                .filter_map(|chain| chain.first().and_then(|(_, key)| tag_of.get(key.as_str()).copied()))
                .collect();
            tags.sort_unstable();
            tags.dedup();
            let folder = folder_of.get(note.outline.folder_key.as_str()).copied().unwrap_or(0);
            Node {
                title: note.title(),
                url: site.note_url(i),
                tags,
                folder,
                order: order(&note.path),
                x: None,
                y: None,
            }
        })
        .collect::<Vec<_>>();
    let mut links = Vec::new();
    for (n, &i) in published.iter().enumerate() {
        let from = n as u32;
        let start = links.len();
        for link in site.links[i].iter() {
            if let Link::Note { note, .. } = link {
                let to = node_of[*note];
                // A link to the note itself (to one of its headings) is no edge.
                if to != u32::MAX && to != from {
                    links.push([from, to]);
                }
            }
        }
        let own = &mut links[start..];
        own.sort_unstable();
        let unique = dedup_sorted(own);
        links.truncate(start + unique);
    }
    let mut nodes = nodes;
    if placed && nodes.len() >= layout::MIN_NOTES {
        for (node, [x, y]) in nodes.iter_mut().zip(layout::positions(published.len(), &links)) {
            // A tenth of a unit is finer than a pixel at any zoom the page starts at.
            node.x = Some(((x * 10.0).round() / 10.0) as f32);
            node.y = Some(((y * 10.0).round() / 10.0) as f32);
        }
    }
    let graph = Graph {
        nodes,
        links,
        tags: site.tags.values().map(|t| t.name.as_str()).collect(),
        tag_urls: site.tags.values().map(|t| site.url(&t.url)).collect(),
        folders,
    };
    serde_json::to_vec(&graph).expect("the graph is plain data")
}

/// The key of the folder holding the folder with `key` (`a/b` -> `a`, `a` -> the root, ``); `None` for the root.
fn parent_key(key: &str) -> Option<&str> {
    if key.is_empty() {
        return None;
    }
    Some(key.rsplit_once('/').map_or("", |(parent, _)| parent))
}

/// Moves the distinct values of sorted `items` to its front; returns how many there are.
fn dedup_sorted(items: &mut [[u32; 2]]) -> usize {
    if items.is_empty() {
        return 0;
    }
    let mut kept = 1;
    for n in 1..items.len() {
        if items[n] != items[kept - 1] {
            items[kept] = items[n];
            kept += 1;
        }
    }
    kept
}
