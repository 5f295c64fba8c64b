//! Link resolution: from what an author typed (`[[My note]]`, `docs/a/b.md`, `../x.png`) to a file of the
//! garden, in the order DESIGN.md gives. Pure: built from paths, answers queries.
//!
//! 1. the exact path relative to the linking note;
//! 2. the path from the garden root;
//! 3. a file whose path ends with the link's (Obsidian's shortest-path rule: a bare name anywhere,
//!    `folder/name` under any folder; a link whose folders went stale after a move resolves to nothing, as in
//!    Obsidian, and the warning names the files of that name); when several files match, the one in the linking
//!    note's folder wins, then the shortest path, then the first by name, and the ambiguity is reported;
//! 4. an alias from a note's frontmatter;
//! 5. a folder.
//!
//! Every comparison is case-insensitive and NFC-normalised; `.md` may be left out.

use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::slug::key;

/// What a link points at, by index into the lists the index was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Note(usize),
    Attachment(usize),
    /// A folder, by its path relative to the content folder.
    Folder(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub target: Option<Target>,
    /// Paths of the other files the link could have meant, when the choice was not clear.
    pub others: Vec<String>,
}

struct Entry {
    path: String,
    /// Lower-case NFC components, `.md` dropped from a note's last one.
    components: Vec<String>,
    target: Target,
}

pub struct LinkIndex {
    entries: Vec<Entry>,
    by_path: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
    by_alias: HashMap<String, Vec<usize>>,
    folders: HashSet<String>,
}

fn strip_md(name: &str) -> &str {
    name.strip_suffix(".md").or_else(|| name.strip_suffix(".markdown")).unwrap_or(name)
}

impl LinkIndex {
    /// `notes` and `attachments` are paths relative to the content folder; `aliases[i]` are note `i`'s aliases.
    pub fn new(notes: &[&str], attachments: &[&str], aliases: &[&[String]]) -> LinkIndex {
        let mut index = LinkIndex {
            entries: Vec::with_capacity(notes.len() + attachments.len()),
            by_path: HashMap::with_capacity_and_hasher(2 * (notes.len() + attachments.len()), Default::default()),
            by_name: HashMap::with_capacity_and_hasher(notes.len() + attachments.len(), Default::default()),
            by_alias: HashMap::default(),
            folders: HashSet::default(),
        };
        let files = notes
            .iter()
            .enumerate()
            .map(|(i, p)| (*p, Target::Note(i)))
            .chain(attachments.iter().enumerate().map(|(i, p)| (*p, Target::Attachment(i))));
        // Keys are the costly part and independent of each other; the maps are filled in order below.
        let files: Vec<(&str, Target)> = files.collect();
        let keyed: Vec<(String, Vec<String>)> = files
            .par_iter()
            .map(|(path, target)| {
                let lowered = key(path);
                let mut components: Vec<String> = lowered.split('/').map(str::to_string).collect();
                if matches!(target, Target::Note(_)) {
                    if let Some(last) = components.last_mut() {
                        *last = strip_md(last).to_string();
                    }
                }
                (lowered, components)
            })
            .collect();
        for ((path, target), (lowered, components)) in files.into_iter().zip(keyed) {
            let is_note = matches!(target, Target::Note(_));
            let id = index.entries.len();
            // The first file wins a path key: two files differing only in case are a collision the site
            // reports, and links to either go to the same, deterministic one.
            index.by_path.entry(lowered.clone()).or_insert(id);
            if is_note {
                index.by_path.entry(components.join("/")).or_insert(id);
            }
            let name = components.last().cloned().unwrap_or_default();
            index.by_name.entry(name).or_default().push(id);
            if is_note {
                if let Some(file) = lowered.rsplit('/').next() {
                    if file != components.last().map(String::as_str).unwrap_or("") {
                        index.by_name.entry(file.to_string()).or_default().push(id);
                    }
                }
            }
            // Once a folder is in, so are its parents; most files share their folder with the previous one.
            for depth in (1..components.len()).rev() {
                if !index.folders.insert(components[..depth].join("/")) {
                    break;
                }
            }
            index.entries.push(Entry { path: path.to_string(), components, target });
        }
        // Notes were entered first, so note `i` is entry `i`.
        for (id, list) in aliases.iter().enumerate().take(notes.len()) {
            for alias in list.iter() {
                index.by_alias.entry(key(alias.trim())).or_default().push(id);
            }
        }
        index
    }

    /// Resolves `target` written in a note in folder `from_folder` (relative to the content folder).
    pub fn resolve(&self, from_folder: &str, target: &str) -> Resolution {
        self.resolve_from_key(&key(from_folder), target)
    }

    /// [`LinkIndex::resolve`] with the linking note's folder already through [`key`], for many links of one note.
    pub fn resolve_from_key(&self, folder_key: &str, target: &str) -> Resolution {
        let none = Resolution { target: None, others: Vec::new() };
        let raw: std::borrow::Cow<str> =
            if target.contains('\\') { target.trim().replace('\\', "/").into() } else { target.trim().into() };
        if raw.is_empty() {
            return none;
        }
        let wants_folder = raw.ends_with('/');
        let cleaned = raw.trim_end_matches('/');
        let lowered = key(cleaned);

        // 1. Relative to the note, then 2. from the garden root.
        let relative = join(folder_key, &lowered);
        let rooted = normalise(lowered.trim_start_matches('/'));
        for candidate in [relative, rooted].into_iter().flatten() {
            if !wants_folder {
                if let Some(&id) = self.by_path.get(&candidate) {
                    return self.found(id, Vec::new());
                }
            }
            if wants_folder && self.folders.contains(&candidate) {
                return Resolution { target: Some(self.folder(&candidate)), others: Vec::new() };
            }
        }
        if wants_folder {
            return none;
        }

        // 3. A file whose path ends with the link's: a bare name anywhere, `folder/name` in any `folder`. A link
        //    whose folders no file has (moved since) resolves to nothing, as in Obsidian; the files of that name
        //    are kept to name in the warning.
        let wanted: Vec<&str> =
            lowered.trim_start_matches("./").split('/').filter(|c| !c.is_empty() && *c != "..").collect();
        let mut elsewhere = Vec::new();
        if let Some(last) = wanted.last() {
            let name = strip_md(last);
            let candidates = self.by_name.get(name).or_else(|| self.by_name.get(*last));
            if let Some(candidates) = candidates {
                let folders = &wanted[..wanted.len() - 1];
                let ends_with = |id: &usize| {
                    let components = &self.entries[*id].components;
                    components.len() > folders.len()
                        && components[components.len() - 1 - folders.len()..components.len() - 1] == *folders
                };
                let matching: Vec<usize> = candidates.iter().copied().filter(ends_with).collect();
                match matching.as_slice() {
                    [] => elsewhere = candidates.iter().map(|&id| self.entries[id].path.clone()).collect(),
                    [only] => return self.found(*only, Vec::new()),
                    _ => return self.choose(folder_key, &matching),
                }
            }
        }

        // 4. An alias.
        if let Some(ids) = self.by_alias.get(strip_md(&lowered)) {
            let first = ids[0];
            let others = ids[1..].iter().map(|&id| self.entries[id].path.clone()).collect();
            return self.found(first, others);
        }

        // 5. A folder.
        if let Some(folder) =
            [join(folder_key, &lowered), normalise(&lowered)].into_iter().flatten().find(|f| self.folders.contains(f))
        {
            return Resolution { target: Some(self.folder(&folder)), others: Vec::new() };
        }
        Resolution { target: None, others: elsewhere }
    }

    /// Of several files whose paths end with the link's, Obsidian's choice: the one in the linking note's own
    /// folder (`folder_key`, already through [`key`]), then the shortest path, then the first by name; the others
    /// are returned too.
    fn choose(&self, folder_key: &str, candidates: &[usize]) -> Resolution {
        let elsewhere = |entry: &Entry| {
            let folder = &entry.components[..entry.components.len() - 1];
            !folder.iter().map(String::as_str).eq(folder_key.split('/').filter(|c| !c.is_empty()))
        };
        let mut tied = candidates.to_vec();
        tied.sort_by_cached_key(|&id| {
            let entry = &self.entries[id];
            (elsewhere(entry), entry.path.chars().count(), entry.path.clone())
        });
        tied.dedup();
        let others = tied[1..].iter().map(|&id| self.entries[id].path.clone()).collect();
        self.found(tied[0], others)
    }

    fn found(&self, id: usize, others: Vec<String>) -> Resolution {
        Resolution { target: Some(self.entries[id].target.clone()), others }
    }

    /// The folder's path as written on disk (the first file under it gives the spelling).
    fn folder(&self, lowered: &str) -> Target {
        let depth = lowered.split('/').count();
        let spelled = self
            .entries
            .iter()
            .find(|e| e.components.len() > depth && e.components[..depth].join("/") == lowered)
            .map(|e| e.path.split('/').take(depth).collect::<Vec<_>>().join("/"))
            .unwrap_or_else(|| lowered.to_string());
        Target::Folder(spelled)
    }
}

/// Whether a path has an empty, `.` or `..` part (one pass over its bytes: this runs twice per link).
fn needs_normalising(path: &str) -> bool {
    path.as_bytes().split(|&b| b == b'/').any(|part| matches!(part, b"" | b"." | b".."))
}

/// `folder` + `relative`, with `.` and `..` applied; `None` if it climbs out of the garden.
fn join(folder: &str, relative: &str) -> Option<String> {
    if relative.starts_with('/') {
        return None;
    }
    if folder.is_empty() {
        normalise(relative)
    } else {
        normalise_owned(format!("{folder}/{relative}"))
    }
}

fn normalise(path: &str) -> Option<String> {
    normalise_owned(path.to_string())
}

/// [`normalise`] for a path the caller owns already: most paths have nothing to normalise and are returned as
/// they are.
fn normalise_owned(path: String) -> Option<String> {
    if !needs_normalising(&path) {
        return Some(path);
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> LinkIndex {
        LinkIndex::new(
            &[
                "index.md",
                "features/index.md",
                "features/Latex.md",
                "plugins/Latex.md",
                "docs/ics/ccc/docs/B-Overview/B.01-introduction.md",
                "docs/ics/ccc/archive/v0.1/docs/B-Overview/B.01-introduction.md",
                "01. Personal/Gödel's Theorem.md",
                "notes/Alias Owner.md",
            ],
            &["images/dns records.png", "attachments/Pasted image 1.png"],
            &[&[], &[], &[], &[], &[], &[], &[], &["Other Name".to_string()]],
        )
    }

    #[test]
    fn by_name_case_insensitive_and_nfc() {
        let r = index().resolve("", "go\u{308}del's theorem");
        assert_eq!(r.target, Some(Target::Note(6)));
        assert!(r.others.is_empty());
    }

    #[test]
    fn relative_then_root_path() {
        assert_eq!(index().resolve("features", "Latex").target, Some(Target::Note(2)));
        assert_eq!(index().resolve("plugins", "Latex").target, Some(Target::Note(3)));
        assert_eq!(index().resolve("x", "plugins/Latex").target, Some(Target::Note(3)));
        assert_eq!(index().resolve("features", "../plugins/Latex.md").target, Some(Target::Note(3)));
    }

    /// As Obsidian: the file in the linking note's folder, else the shortest path (`plugins/` is shorter than
    /// `features/`), and the others are named in the warning. Found wrong by the link checker on Obsidian's
    /// help vault in Chinese, where `[[模板]]` went to the Web Clipper's templates rather than the plugin's.
    #[test]
    fn ambiguous_name_picks_the_same_folder_then_the_shortest_path_and_reports() {
        let r = index().resolve("", "Latex");
        assert_eq!(r.target, Some(Target::Note(3)));
        assert_eq!(r.others, vec!["features/Latex.md"]);
        assert_eq!(index().resolve("features/deeper", "Latex").target, Some(Target::Note(3)), "not the nearest");
    }

    /// Obsidian resolves `folder/name` only to a file in a folder of that name: a link whose folders went stale
    /// after a move is unresolved there, and here, rather than sent to another file of that name (often another
    /// version of the note). The files of that name come back, for the warning to name.
    #[test]
    fn a_stale_folder_prefix_resolves_to_nothing_and_names_the_file() {
        let r = index().resolve("docs/ics/ccc", "notes/ics/ccc/docs/B-Overview/B.01-introduction.md");
        assert_eq!(r.target, None);
        assert_eq!(r.others, vec![index().entries[4].path.clone(), index().entries[5].path.clone()]);
        assert_eq!(index().resolve("", "B-Overview/B.01-introduction").target, Some(Target::Note(4)));
    }

    #[test]
    fn attachments_spaces_and_aliases() {
        assert_eq!(index().resolve("", "dns records.png").target, Some(Target::Attachment(0)));
        assert_eq!(index().resolve("docs", "attachments/Pasted image 1.png").target, Some(Target::Attachment(1)));
        assert_eq!(index().resolve("", "other name").target, Some(Target::Note(7)));
        assert_eq!(index().resolve("", "advanced/").target, None);
        assert_eq!(index().resolve("", "features/").target, Some(Target::Folder("features".into())));
        assert_eq!(index().resolve("", "Nothing Here").target, None);
    }
}
