//! The pure functions both variants share: parsing a note, the name index, resolving one note's links, and
//! the site model made of every note's outline and resolution.

use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// How often each pure function ran (to check that both variants do the same work).
pub static PARSES: AtomicUsize = AtomicUsize::new(0);
pub static RESOLVES: AtomicUsize = AtomicUsize::new(0);
pub static INDEXES: AtomicUsize = AtomicUsize::new(0);
pub static MODELS: AtomicUsize = AtomicUsize::new(0);

pub fn counters() -> [usize; 4] {
    [PARSES.load(Relaxed), RESOLVES.load(Relaxed), INDEXES.load(Relaxed), MODELS.load(Relaxed)]
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LinkRef {
    pub target: String,
    pub fragment: Option<String>,
}

/// What the site model reads of one note (Loam's `model_input`). Not the body.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Outline {
    pub path: String,
    pub title: String,
    pub tags: Vec<String>,
    pub aliases: Vec<String>,
    /// Heading anchors (slugs).
    pub headings: Vec<String>,
    pub links: Vec<LinkRef>,
}

/// What resolving other notes' links looks at in this note (Loam's `Keys::shape`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Keys this note can be linked by: its file stem and its aliases, lowercased.
    pub names: Vec<String>,
    /// Heading anchors, sorted.
    pub headings: Vec<String>,
}

pub fn stem(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.strip_suffix(".md").unwrap_or(file)
}

pub fn folder(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(f, _)| f)
}

pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut dash = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else if c == '/' {
            out.push('/');
            dash = false;
        } else {
            dash = true;
        }
    }
    out
}

fn list(value: &str) -> Vec<String> {
    value
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Parses a note: its outline, and its body (which the model does not read).
pub fn parse(path: &str, text: &str) -> (Outline, String) {
    PARSES.fetch_add(1, Relaxed);
    let mut outline = Outline {
        path: path.to_string(),
        title: stem(path).to_string(),
        tags: Vec::new(),
        aliases: Vec::new(),
        headings: Vec::new(),
        links: Vec::new(),
    };
    let mut body = text;
    if let Some(rest) = text.strip_prefix("---\n") {
        if let Some(end) = rest.find("\n---\n") {
            for line in rest[..end].lines() {
                let Some((key, value)) = line.split_once(':') else { continue };
                match key.trim() {
                    "title" => outline.title = value.trim().to_string(),
                    "tags" => outline.tags = list(value),
                    "aliases" => outline.aliases = list(value),
                    _ => {}
                }
            }
            body = &rest[end + 5..];
        }
    }
    for line in body.lines() {
        if let Some(heading) = line.strip_prefix('#') {
            outline.headings.push(slugify(heading.trim_start_matches('#')));
        }
        let mut rest = line;
        while let Some(start) = rest.find("[[") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("]]") else { break };
            let inner = &after[..end];
            let inner = inner.split_once('|').map_or(inner, |(t, _)| t);
            let (target, fragment) = match inner.split_once('#') {
                Some((t, f)) => (t, Some(slugify(f))),
                None => (inner, None),
            };
            outline.links.push(LinkRef { target: target.trim().to_string(), fragment });
            rest = &after[end + 2..];
        }
    }
    (outline, body.to_string())
}

pub fn shape_of(outline: &Outline) -> Shape {
    let mut names = vec![stem(&outline.path).to_lowercase()];
    names.extend(outline.aliases.iter().map(|a| a.to_lowercase()));
    let mut headings = outline.headings.clone();
    headings.sort();
    Shape { names, headings }
}

/// Every note by each of its names (first one wins), and each note's headings.
#[derive(Debug, PartialEq, Eq)]
pub struct NameIndex {
    pub by_name: FxHashMap<String, u32>,
    pub headings: Vec<Vec<String>>,
}

pub fn build_index<'a>(shapes: impl ExactSizeIterator<Item = &'a Shape>) -> NameIndex {
    INDEXES.fetch_add(1, Relaxed);
    let mut by_name = FxHashMap::with_capacity_and_hasher(shapes.len() * 3, Default::default());
    let mut headings = Vec::with_capacity(shapes.len());
    for (i, shape) in shapes.enumerate() {
        for name in &shape.names {
            by_name.entry(name.clone()).or_insert(i as u32);
        }
        headings.push(shape.headings.clone());
    }
    NameIndex { by_name, headings }
}

/// One note's links, resolved: for each link, its target note and whether its fragment names a heading there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    pub targets: Vec<Option<(u32, bool)>>,
}

pub fn resolve_note(index: &NameIndex, outline: &Outline) -> Resolved {
    RESOLVES.fetch_add(1, Relaxed);
    let targets = outline
        .links
        .iter()
        .map(|link| {
            let target = *index.by_name.get(&link.target.to_lowercase())?;
            let ok = match &link.fragment {
                None => true,
                Some(f) => index.headings[target as usize].binary_search(f).is_ok(),
            };
            Some((target, ok))
        })
        .collect();
    Resolved { targets }
}

/// The site model: everything about the site that is not a page's text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Model {
    pub urls: Vec<String>,
    /// Tag -> notes having it (a/b also counts for a).
    pub tags: BTreeMap<String, Vec<u32>>,
    /// Folder -> its notes, sorted by title.
    pub folders: BTreeMap<String, Vec<u32>>,
    /// For each note, the (note, link index) pairs linking to it.
    pub backlinks: Vec<Vec<(u32, u32)>>,
    /// (note, link index) of broken links and fragments.
    pub broken: Vec<(u32, u32)>,
}

pub fn build_model(outlines: &[&Outline], resolved: &[&Resolved]) -> Model {
    MODELS.fetch_add(1, Relaxed);
    let n = outlines.len();
    let urls = outlines.iter().map(|o| format!("{}/", slugify(o.path.strip_suffix(".md").unwrap_or(&o.path)))).collect();
    let mut tags: FxHashMap<String, Vec<u32>> = FxHashMap::default();
    let mut folders: FxHashMap<&str, Vec<u32>> = FxHashMap::default();
    for (i, o) in outlines.iter().enumerate() {
        for tag in &o.tags {
            let mut end = tag.len();
            loop {
                let entry = tags.entry(tag[..end].to_lowercase()).or_default();
                if entry.last() != Some(&(i as u32)) {
                    entry.push(i as u32);
                }
                match tag[..end].rfind('/') {
                    Some(slash) => end = slash,
                    None => break,
                }
            }
        }
        folders.entry(folder(&o.path)).or_default().push(i as u32);
    }
    let folders = folders
        .into_iter()
        .map(|(f, mut notes)| {
            notes.sort_by_cached_key(|&i| (outlines[i as usize].title.to_lowercase(), i));
            (f.to_string(), notes)
        })
        .collect();
    let mut backlinks = vec![Vec::new(); n];
    let mut broken = Vec::new();
    for (i, r) in resolved.iter().enumerate() {
        for (l, t) in r.targets.iter().enumerate() {
            match t {
                Some((target, true)) => backlinks[*target as usize].push((i as u32, l as u32)),
                _ => broken.push((i as u32, l as u32)),
            }
        }
    }
    Model { urls, tags: tags.into_iter().collect(), folders, backlinks, broken }
}
