//! The link-and-embed checker (issue 18): every `[[…]]` and `![[…]]` of a real vault, outside code, is resolved
//! here by Obsidian's rules, written again from Obsidian's documentation and behaviour rather than taken from
//! Loam's `resolve.rs`, and then looked for in the pages `loam build` wrote:
//!
//! - a link must be an `<a>` in the note's own text (not in an embedded note's) whose `href` leads to the page of
//!   the file Obsidian opens, with the label Obsidian shows (`Note > Heading` when it has no alias);
//! - a `#Heading` must lead to a heading of that text on the target page, a `#^block` to an element holding the
//!   block's text (when the target has that heading or block: otherwise Obsidian opens the note at its top);
//! - an embed of a note must hold that note's text, of a `#Heading` that section's text and not the next
//!   section's, of a `#^block` that block's text; an embed of an image must show a file of the output folder with
//!   the same bytes as the vault's;
//! - a link Obsidian cannot resolve must not lead anywhere.
//!
//! Loam's only part is which URL each note's page has (that is Loam's choice, not a rule of Obsidian's), read
//! from the library. The counts per corpus are printed and quoted in the README.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use regex::Regex;
use scraper::{ElementRef, Html, Selector};

use crate::garden::corpus;
use crate::LOAM;

// ---------------------------------------------------------------------------------------------------------------
// The vault, as Obsidian sees it

struct Vault {
    root: PathBuf,
    /// Every file, by its path from the vault root with `/` between folders.
    files: Vec<String>,
    lower: Vec<String>,
}

fn walk(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue; // .obsidian, .trash, .loam: Obsidian's and Loam's own folders
            }
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                folders.push(path);
            } else {
                files.push(path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    files.sort();
    files
}

fn folder_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// `a/b/../c/./d` as `a/c/d`; `None` when it climbs out of the vault.
fn normalise(path: &str) -> Option<String> {
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
    Some(parts.join("/"))
}

#[derive(Debug, Clone, PartialEq)]
enum Resolved {
    /// No file: Obsidian shows the link as unresolved (clicking it would create the note).
    None,
    One(String),
    /// Several files could be meant; Obsidian opens the first, by its rule.
    Ambiguous(String),
}

impl Vault {
    fn open(root: &Path) -> Vault {
        let files = walk(root);
        let lower = files.iter().map(|f| f.to_lowercase()).collect();
        Vault { root: root.to_path_buf(), files, lower }
    }

    fn exact(&self, path: &str) -> Option<&String> {
        let path = path.to_lowercase();
        let with_md = format!("{path}.md");
        self.lower.iter().position(|f| *f == with_md || *f == path).map(|i| &self.files[i])
    }

    /// Obsidian's rules for the path part of a link (`getFirstLinkpathDest`): the empty path is the note itself;
    /// a path starting with `./` or `../` is taken from the note's folder, one starting with `/` from the vault
    /// root; another is tried from the note's folder, then from the vault root; otherwise any file whose path ends with the link's
    /// (a bare name matches a file of that name in any folder), `.md` added when the link has no extension of a
    /// file that exists. Case does not matter. Of several, the one in the note's own folder, else the shortest path.
    fn resolve(&self, link: &str, source: &str) -> Resolved {
        let link = link.trim();
        if link.is_empty() {
            return Resolved::One(source.to_string());
        }
        let relative = normalise(&format!("{}/{}", folder_of(source), link));
        if link.starts_with("./") || link.starts_with("../") {
            return match relative.and_then(|p| self.exact(&p).cloned()) {
                Some(file) => Resolved::One(file),
                None => Resolved::None,
            };
        }
        if let Some(file) = relative.filter(|_| !link.starts_with('/')).and_then(|p| self.exact(&p)) {
            return Resolved::One(file.clone());
        }
        let link = link.strip_prefix('/').unwrap_or(link);
        if let Some(file) = self.exact(link) {
            return Resolved::One(file.clone());
        }
        let lower = link.to_lowercase();
        let with_md = format!("{lower}.md");
        let mut found: Vec<&String> = (0..self.files.len())
            .filter(|&i| {
                let f = &self.lower[i];
                [&lower, &with_md].iter().any(|want| f == *want || f.ends_with(&format!("/{want}")))
            })
            .map(|i| &self.files[i])
            .collect();
        match found.len() {
            0 => Resolved::None,
            1 => Resolved::One(found[0].clone()),
            _ => {
                let here = folder_of(source);
                if let Some(same) = found.iter().find(|f| folder_of(f) == here) {
                    return Resolved::Ambiguous((*same).clone());
                }
                found.sort_by_key(|f| (f.chars().count(), f.to_string()));
                Resolved::Ambiguous(found[0].clone())
            }
        }
    }

    /// The folder a link names (`folder/`, `./folder`, `/folder`), from the note's folder or the vault root.
    fn folder(&self, link: &str, source: &str) -> Option<String> {
        let link = link.trim().trim_end_matches('/');
        let candidates = [normalise(&format!("{}/{}", folder_of(source), link)), normalise(link)];
        candidates.into_iter().flatten().filter(|f| !f.is_empty()).find(|f| {
            let prefix = format!("{}/", f.to_lowercase());
            self.lower.iter().any(|p| p.starts_with(&prefix))
        })
    }

    /// The notes that list `name` among their `aliases`.
    fn aliased(&self, name: &str) -> Vec<String> {
        let wanted = name.trim().to_lowercase();
        let wanted = wanted.strip_suffix(".md").unwrap_or(&wanted);
        let list = Regex::new(r"(?m)^aliases:\s*\[(.*)\]|^aliases:\s*((?:\n\s*-\s*.*)+)|^aliases:\s*(\S.*)$").unwrap();
        self.files
            .iter()
            .filter(|f| is_note(f))
            .filter(|f| {
                let text = self.text(f);
                let Some(front) = text.strip_prefix("---").and_then(|t| t.split("\n---").next()) else { return false };
                list.captures_iter(front).any(|c| {
                    let values = c.get(1).or(c.get(2)).or(c.get(3)).unwrap().as_str();
                    values
                        .split([',', '\n'])
                        .map(|v| v.trim().trim_start_matches('-').trim().trim_matches(['"', '\'']).to_lowercase())
                        .any(|v| v == wanted)
                })
            })
            .cloned()
            .collect()
    }

    fn text(&self, path: &str) -> String {
        String::from_utf8_lossy(&std::fs::read(self.root.join(path)).unwrap()).into_owned()
    }
}

fn is_note(path: &str) -> bool {
    let lower = path.to_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

fn is_image(path: &str) -> bool {
    let lower = path.to_lowercase();
    ["png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "avif"].iter().any(|ext| lower.ends_with(&format!(".{ext}")))
}

// ---------------------------------------------------------------------------------------------------------------
// A note's text, as Obsidian reads it

/// The note's lines with frontmatter, fenced code, inline code, `%%comments%%` and math blanked out (same length,
/// so that positions still hold): what is left is where links and headings count.
fn outside_code(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n");
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    // Frontmatter.
    if lines.first().is_some_and(|l| l.trim_end() == "---") {
        if let Some(end) = lines.iter().skip(1).position(|l| l.trim_end() == "---" || l.trim_end() == "...") {
            for line in lines.iter_mut().take(end + 2) {
                line.clear();
            }
        }
    }
    // Fenced code blocks and display math.
    let mut fence: Option<(char, usize)> = None;
    let mut math = false;
    for line in lines.iter_mut() {
        let body = line.trim_start_matches(['>', ' ', '\t']);
        if let Some((ch, len)) = fence {
            let run = body.chars().take_while(|c| *c == ch).count();
            if run >= len && body[run * ch.len_utf8()..].trim().is_empty() {
                fence = None;
            }
            line.clear();
            continue;
        }
        let run = body.chars().take_while(|c| *c == '`').count().max(body.chars().take_while(|c| *c == '~').count());
        if run >= 3 {
            fence = Some((body.chars().next().unwrap(), run));
            line.clear();
            continue;
        }
        let dollars = body.trim() == "$$" || (body.trim_start().starts_with("$$") && !body.trim().ends_with("$$"));
        if math {
            if body.contains("$$") {
                math = false;
            }
            line.clear();
            continue;
        }
        if dollars {
            math = true;
            line.clear();
            continue;
        }
    }
    // Inline code, comments and inline math, within the whole text (comments may span lines).
    let mut joined = lines.join("\n");
    for pattern in [r"(?s)%%.*?%%", r"(`+)[^`].*?(`+)", r"\$\$[^\n]*?\$\$", r"\$[^\s$][^\n$]*?\$"] {
        let re = Regex::new(pattern).unwrap();
        joined = re
            .replace_all(&joined, |c: &regex::Captures| {
                // A space per byte: the blanked text keeps every offset of the original.
                c[0].chars()
                    .map(|ch| if ch == '\n' { "\n".to_string() } else { " ".repeat(ch.len_utf8()) })
                    .collect::<String>()
            })
            .into_owned();
    }
    joined.split('\n').map(str::to_string).collect()
}

#[derive(Debug, Clone)]
struct WikiLink {
    embed: bool,
    /// `[text](path.md#Heading)` rather than `[[…]]`: the alias is the text, the path and fragment are decoded.
    markdown: bool,
    /// A `[[target|alias]]` in a table row with its `|` not escaped: the table splits it into two cells, and
    /// Obsidian shows no link (its documentation says to write `\|`).
    split_by_table: bool,
    path: String,
    /// After the first `#`, as typed (`A#B`, `^block`).
    fragment: Option<String>,
    alias: Option<String>,
    line: usize,
}

/// The links of a note, found in `lines` (its text with code blanked out, [`outside_code`]) and read from
/// `original` (its text as written, line by line): code inside a link's text (`[[Note|`code`]]`) is part of it.
fn wikilinks(lines: &[String], original: &[&str]) -> Vec<WikiLink> {
    let re = Regex::new(r"(!?)\[\[([^\[\]\n]+?)\]\]").unwrap();
    let markdown =
        Regex::new(r#"(!?)\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\((?:<([^>\n]+)>|([^()\s]+))(?:\s+"[^"]*")?\)"#).unwrap();
    // The rows of tables: a delimiter row (`| --- | :-: |`), the header row above it and the rows under it.
    let delimiter = Regex::new(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$").unwrap();
    let mut table_rows = HashSet::new();
    for (n, line) in lines.iter().enumerate() {
        if n > 0 && line.contains('-') && delimiter.is_match(line) && lines[n - 1].contains('|') {
            table_rows.insert(n - 1);
            table_rows.extend((n + 1..lines.len()).take_while(|&m| lines[m].contains('|')));
        }
    }
    let mut links = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        for c in re.captures_iter(line) {
            let written = original.get(n).and_then(|o| o.get(c.get(2).unwrap().range())).unwrap_or(&c[2]);
            let inner = written.replace("\\|", "|");
            let (target, alias) = match inner.split_once('|') {
                Some((t, a)) => (t.to_string(), Some(a.trim().to_string())),
                None => (inner.clone(), None),
            };
            let (path, fragment) = match target.split_once('#') {
                Some((p, f)) => (p.trim().to_string(), Some(f.trim().to_string())),
                None => (target.trim().to_string(), None),
            };
            let split_by_table = table_rows.contains(&n) && written.replace("\\|", "").contains('|');
            let embed = !c[1].is_empty();
            links.push(WikiLink { embed, markdown: false, split_by_table, path, fragment, alias, line: n + 1 });
        }
        for c in markdown.captures_iter(line) {
            let url = c.get(3).or(c.get(4)).unwrap().as_str();
            if url.contains(':') || url.starts_with("//") {
                continue; // https:, mailto:, obsidian: ...
            }
            let (path, fragment) = match url.split_once('#') {
                Some((p, f)) => (percent_decode(p), Some(percent_decode(f))),
                None => (percent_decode(url), None),
            };
            let embed = !c[1].is_empty();
            let alias = Some(c[2].to_string());
            links.push(WikiLink { embed, markdown: true, split_by_table: false, path, fragment, alias, line: n + 1 });
        }
    }
    links
}

struct Heading {
    level: usize,
    text: String,
    line: usize,
}

/// The headings of a note: found in `lines` (code blanked out), their text read from `original` (code in a
/// heading, `` ### `move` ``, is part of it).
fn headings(lines: &[String], original: &[&str]) -> Vec<Heading> {
    let re = Regex::new(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$").unwrap();
    lines
        .iter()
        .enumerate()
        .filter_map(|(n, line)| {
            let c = re.captures(line)?;
            let written = original.get(n).and_then(|o| re.captures(o));
            let text = written.as_ref().map_or(&c[2], |w| w.get(2).unwrap().as_str());
            Some(Heading { level: c[1].len(), text: text.to_string(), line: n })
        })
        .collect()
}

/// Lower case, letters and digits only, single spaces: how two texts are compared, whatever markup, smart quotes
/// or entities came between.
fn words(text: &str) -> String {
    let mut out = String::new();
    for ch in text.chars().flat_map(char::to_lowercase) {
        if ch.is_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.trim().to_string()
}

/// Obsidian matches a heading in a link as its API's `stripHeading` does: punctuation (``!"#$%&()*+,.:;<=>?@^`{|}~/\[]``)
/// becomes a space and runs of spaces one, case aside; a hyphen still counts (`Datei-Eigenschaften` is not
/// `Dateieigenschaften`).
fn same_heading(a: &str, b: &str) -> bool {
    let strip = |s: &str| {
        let spaced: String = s
            .chars()
            .map(|c| if "!\"#$%&()*+,.:;<=>?@^`{|}~/\\[]".contains(c) { ' ' } else { c })
            .flat_map(char::to_lowercase)
            .collect();
        spaced.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    strip(a) == strip(b)
}

/// A line of plain prose from `lines` (no markup a renderer would change), as [`words`]: text that must appear in
/// a page that shows those lines.
fn prose(lines: &[String]) -> Option<String> {
    let plain = Regex::new(r"^[\p{L}\p{N} ,.;:!?()'’“”-]+$").unwrap();
    let marker = Regex::new(r"^\s*(?:>\s*)*(?:[-*+]\s+|\d+[.)]\s+|#{1,6}\s+)?").unwrap();
    let block_id = Regex::new(r"\s+\^[A-Za-z0-9-]+\s*$").unwrap();
    lines.iter().find_map(|line| {
        let line = marker.replace(line, "");
        let line = block_id.replace(&line, "");
        let line = line.trim();
        (plain.is_match(line) && line.chars().count() >= 16 && line.split_whitespace().count() >= 3)
            .then(|| words(line))
    })
}

/// The lines of the block a `^id` names: the line it ends, with the paragraph above it, or, on a line of its own,
/// the block just above (a list, table, quote, callout or code).
fn block_lines(lines: &[String], id: &str) -> Option<(usize, usize)> {
    // After a space, or right after an embed (`![[image.png]]^id`, as Obsidian's help vault writes it).
    let re = Regex::new(&format!(r"(^|\s|\]\])\^{}\s*$", regex::escape(id))).unwrap();
    let at = lines.iter().position(|l| re.is_match(l))?;
    let alone = lines[at].trim() == format!("^{id}");
    let end = if alone { at } else { at + 1 };
    let mut start = if alone { at.checked_sub(1)? } else { at };
    if alone {
        while start > 0 && lines[start].trim().is_empty() {
            start -= 1;
        }
    }
    if lines[start].starts_with('#') {
        return Some((start, start + 1)); // a heading is a block of its own
    }
    let list_item = Regex::new(r"^\s*([-*+]|\d+[.)])\s").unwrap();
    if !alone && list_item.is_match(&lines[at]) {
        return Some((at, at + 1));
    }
    while start > 0 && !lines[start - 1].trim().is_empty() && !lines[start - 1].starts_with('#') {
        start -= 1;
    }
    Some((start, end))
}

// ---------------------------------------------------------------------------------------------------------------
// The pages Loam wrote

struct Site {
    out: PathBuf,
    /// Each published note's page, by the note's path from the vault root.
    urls: HashMap<String, String>,
    pages: HashMap<String, Html>,
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

impl Site {
    fn of(root: &Path, out: &Path) -> Site {
        let layout = loam::garden::Layout::discover(root, Some(out)).unwrap();
        let config = layout.config().unwrap();
        let bar = indicatif::ProgressBar::hidden();
        let gathered = loam::pipeline::gather(&layout, config, &bar, None, None).unwrap();
        let site = loam::site::Site::new(
            &gathered.config,
            &gathered.notes,
            &gathered.modified,
            &gathered.history,
            &gathered.attachment_paths,
        );
        let prefix = layout.content.strip_prefix(&layout.root).unwrap().to_string_lossy().replace('\\', "/");
        let urls = site
            .published_notes()
            .map(|i| {
                let path = &gathered.notes[i].path;
                let path = if prefix.is_empty() { path.clone() } else { format!("{prefix}/{path}") };
                (path, site.note_url(i).to_string())
            })
            .collect();
        Site { out: out.to_path_buf(), urls, pages: HashMap::new() }
    }

    /// The file of the output folder a site URL (`/a/b/`, `/img/x.png`) is served from.
    fn file(&self, url: &str) -> PathBuf {
        let path = percent_decode(url.trim_start_matches('/'));
        let file = self.out.join(&path);
        if url.ends_with('/') || file.is_dir() {
            file.join("index.html")
        } else {
            file
        }
    }

    fn page(&mut self, url: &str) -> Option<&Html> {
        if !self.pages.contains_key(url) {
            let text = std::fs::read_to_string(self.file(url)).ok()?;
            self.pages.insert(url.to_string(), Html::parse_document(&text));
        }
        self.pages.get(url)
    }
}

/// `href` as found on the page at `page` (a URL path), made absolute: path and fragment, decoded.
fn absolute(page: &str, href: &str) -> (String, Option<String>) {
    let (path, fragment) = match href.split_once('#') {
        Some((p, f)) => (p, Some(percent_decode(f))),
        None => (href, None),
    };
    let path = path.split('?').next().unwrap();
    let path = if path.is_empty() {
        page.to_string()
    } else if path.starts_with('/') {
        path.to_string()
    } else {
        let base = &page[..page.rfind('/').map_or(0, |i| i + 1)];
        let slash = path.ends_with('/');
        let joined = normalise(&format!("{base}{path}")).unwrap_or_default();
        format!("/{joined}{}", if slash && !joined.is_empty() { "/" } else { "" })
    };
    (percent_decode(&path), fragment)
}

fn select(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

fn inside_embed(element: &ElementRef) -> bool {
    element.ancestors().filter_map(ElementRef::wrap).any(|a| a.value().classes().any(|c| c == "embed"))
}

fn text_of(element: &ElementRef) -> String {
    element.text().collect::<String>()
}

// ---------------------------------------------------------------------------------------------------------------
// The check

#[derive(Default)]
struct Counts {
    total: usize,
    right: usize,
    wrong_target: usize,
    missing_anchor: usize,
    dead: usize,
    /// Links Obsidian does not resolve either, shown as text (counted among the right).
    unresolved: usize,
    /// Of the right: links Obsidian leaves unresolved that Loam sends to a folder's page or to the note with
    /// that alias.
    extension: usize,
    /// Of the right: several files share the name, and the page is the one Obsidian opens.
    ambiguous: usize,
    /// Of the right: the heading or block is not in the target, so Obsidian (and Loam) open its top.
    no_such_anchor: usize,
    /// Of the right: links to a note that is not published, shown as text.
    unpublished: usize,
    /// Of the right: embeds whose content was compared with the text of what they embed.
    content_checked: usize,
    /// Where a link's heading or block is not in its target (the link opens the target's top).
    absent: Vec<String>,
    /// Left out of the total: `[[a|b]]` in a table row, which the table splits (no link in Obsidian either).
    split_by_table: usize,
    /// Links whose page and anchor are right but whose label is not Obsidian's.
    label_differs: usize,
    problems: Vec<String>,
}

impl Counts {
    fn wrong(&mut self, kind: &str, source: &str, link: &WikiLink, why: String) {
        match kind {
            "wrong target" => self.wrong_target += 1,
            "missing anchor" => self.missing_anchor += 1,
            _ => self.dead += 1,
        }
        let typed = format!(
            "{}[[{}{}{}]]",
            if link.embed { "!" } else { "" },
            link.path,
            link.fragment.as_deref().map(|f| format!("#{f}")).unwrap_or_default(),
            link.alias.as_deref().map(|a| format!("|{a}")).unwrap_or_default()
        );
        self.problems.push(format!("{kind}: {source}:{}: {typed}: {why}", link.line));
    }
}

/// The label Obsidian shows for a link without an alias: `Note > A > B`, `A` for `[[#A]]`.
fn label_of(link: &WikiLink) -> String {
    if let Some(alias) = &link.alias {
        if !alias.is_empty() {
            return alias.clone();
        }
    }
    let mut parts: Vec<&str> = Vec::new();
    if !link.path.is_empty() {
        parts.push(&link.path);
    }
    if let Some(fragment) = &link.fragment {
        parts.extend(fragment.split('#').map(str::trim).filter(|p| !p.is_empty()));
    }
    parts.join(" > ")
}

/// Whether a link's text on the page is the label Obsidian shows: exactly for a wikilink, by its words for a
/// Markdown link or an alias with Markdown in it (`[[Note|`code`]]`), whose text is rendered.
fn same_label(link: &WikiLink, shown: &str) -> bool {
    let marked_up = link.alias.as_deref().is_some_and(|a| a.contains(['`', '*', '_', '=', '~']));
    if link.markdown || marked_up {
        words(shown) == words(&label_of(link))
    } else {
        shown == label_of(link)
    }
}

/// Builds the vault at `root` with `loam build` into a new folder.
fn build(root: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let status = std::process::Command::new(LOAM)
        .args(["-q", "build", root.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success(), "loam build {} failed", root.display());
    (dir, out)
}

/// Checks every link and embed of the vault at `root` in the site Loam built into `out`.
fn check_site(root: &Path, out: &Path) -> Counts {
    let vault = Vault::open(root);
    let mut site = Site::of(root, out);
    let mut counts = Counts::default();
    let content = select("article > .content");
    let anchors = select("a[href]");
    let embeds = select("div.embed");
    // An embed's first link: its title's, or the one link of an embed shown as a link or a missing section.
    let embed_link = select("a[href]");
    let media = select("img[src], video[src], audio[src], iframe[src], embed[src], object[data], a[href]");
    let missing = select(".link-missing, .embed-missing, .embed-cycle");
    let heading_tags: HashSet<&str> = ["h1", "h2", "h3", "h4", "h5", "h6"].into();

    for source in vault.files.iter().filter(|f| is_note(f)) {
        let text = vault.text(source);
        let lines = outside_code(&text);
        let original = text.replace("\r\n", "\n");
        let original: Vec<&str> = original.split('\n').collect();
        let links = wikilinks(&lines, &original);
        if links.is_empty() {
            continue;
        }
        let Some(page_url) = site.urls.get(source).cloned() else { continue };
        let page = std::fs::read_to_string(site.file(&page_url))
            .map(|text| Html::parse_document(&text))
            .unwrap_or_else(|e| panic!("no page for {source} at {page_url}: {e}"));
        let Some(body) = page.select(&content).next() else { panic!("{source}: no article .content") };
        // The note's own links, each used once, in the order of the page.
        let own: Vec<(String, Option<String>, String)> = body
            .select(&anchors)
            .filter(|a| !inside_embed(a))
            .map(|a| {
                let (path, fragment) = absolute(&page_url, a.value().attr("href").unwrap());
                (path, fragment, text_of(&a).split_whitespace().collect::<Vec<_>>().join(" "))
            })
            .collect();
        let mut used = vec![false; own.len()];
        let top_embeds: Vec<ElementRef> = body.select(&embeds).filter(|e| !inside_embed(e)).collect();
        let mut embed_used = vec![false; top_embeds.len()];
        let media_urls: Vec<String> = body
            .select(&media)
            .filter(|e| !inside_embed(e))
            .filter_map(|e| {
                let v = e.value();
                v.attr("src")
                    .or(v.attr("data"))
                    .or(v.attr("href"))
                    .filter(|u| !u.contains("://"))
                    .map(|u| absolute(&page_url, u).0)
            })
            .collect();
        let shown_missing: Vec<String> = body.select(&missing).map(|e| words(&text_of(&e))).collect();

        for link in &links {
            if link.split_by_table {
                counts.split_by_table += 1;
                continue;
            }
            counts.total += 1;
            let resolved = vault.resolve(&link.path, source);
            let target = match &resolved {
                Resolved::None => {
                    // Obsidian shows it unresolved: the page must not link it anywhere.
                    let label = label_of(link);
                    let linked = own.iter().enumerate().find(|(i, (_, _, l))| !used[*i] && same_label(link, l));
                    if link.embed && is_image(&link.path) && media_urls.iter().any(|u| u.ends_with(&link.path)) {
                        counts.wrong("wrong target", source, link, "an image Obsidian does not find is shown".into());
                    } else if let (Some((i, (path, _, _))), false) =
                        (linked, shown_missing.iter().any(|m| m.contains(&words(&label))))
                    {
                        used[i] = true;
                        // Loam's two additions to Obsidian's rules: a link to a folder opens the folder's page, a
                        // link by one of a note's aliases opens the note.
                        let folder = vault.folder(&link.path, source).is_some()
                            && site
                                .page(path)
                                .is_some_and(|p| p.select(&select("article.list-folder")).next().is_some());
                        let by_alias = vault.aliased(&link.path).iter().any(|n| site.urls.get(n) == Some(path));
                        if folder || by_alias {
                            counts.right += 1;
                            counts.extension += 1;
                        } else {
                            counts.wrong(
                                "wrong target",
                                source,
                                link,
                                format!("Obsidian resolves nothing; Loam links {path}"),
                            );
                        }
                    } else {
                        counts.right += 1;
                        counts.unresolved += 1;
                    }
                    continue;
                }
                Resolved::One(file) => file.clone(),
                Resolved::Ambiguous(file) => file.clone(),
            };
            let ambiguous = matches!(resolved, Resolved::Ambiguous(_));

            // An attachment: a link to it or an embed showing it, the vault's own bytes.
            if !is_note(&target) {
                let wanted = vault.root.join(&target);
                let found = media_urls
                    .iter()
                    .find(|u| std::fs::read(site.file(u)).is_ok_and(|bytes| bytes == std::fs::read(&wanted).unwrap()));
                if found.is_some() {
                    counts.right += 1;
                    counts.ambiguous += ambiguous as usize;
                } else {
                    counts.wrong("dead", source, link, format!("no element shows {target} with its bytes"));
                }
                continue;
            }

            let Some(target_url) = site.urls.get(&target).cloned() else {
                // Not published: nothing may lead to it.
                let leaks = own.iter().any(|(p, _, l)| same_label(link, l) && !p.starts_with("/tags/"))
                    && !shown_missing.iter().any(|m| m.contains(&words(&label_of(link))));
                if leaks && !link.embed {
                    counts.wrong("wrong target", source, link, format!("{target} is not published but is linked"));
                } else {
                    counts.right += 1;
                    counts.unpublished += 1;
                }
                continue;
            };
            let target_text = vault.text(&target).replace("\r\n", "\n");
            let target_lines = outside_code(&target_text);
            let target_original: Vec<&str> = target_text.split('\n').collect();
            let target_headings = headings(&target_lines, &target_original);
            let fragment = link.fragment.clone().filter(|f| !f.is_empty());
            let block = fragment.as_deref().and_then(|f| f.strip_prefix('^')).map(str::to_string);
            let heading = fragment
                .as_deref()
                .filter(|f| !f.starts_with('^'))
                .map(|f| f.rsplit('#').next().unwrap().trim().to_string())
                .filter(|h| !h.is_empty());
            let heading_at =
                heading.as_ref().and_then(|h| target_headings.iter().position(|t| same_heading(&t.text, h)));
            let block_at = block.as_ref().and_then(|b| block_lines(&target_lines, b));
            let has_anchor = heading_at.is_some() || block_at.is_some();
            if fragment.is_some() && !has_anchor {
                counts.no_such_anchor += 1;
                let fragment = fragment.as_deref().unwrap_or_default();
                counts.absent.push(format!("{source}:{}: `#{fragment}` is not in {target}", link.line));
            }

            if link.embed {
                let Some(k) = (0..top_embeds.len()).find(|&k| {
                    !embed_used[k]
                        && top_embeds[k]
                            .select(&embed_link)
                            .next()
                            .is_some_and(|a| absolute(&page_url, a.value().attr("href").unwrap()).0 == target_url)
                }) else {
                    counts.wrong("dead", source, link, format!("no embed of {target_url} on {page_url}"));
                    continue;
                };
                embed_used[k] = true;
                let embed = top_embeds[k];
                let says_missing = embed.value().classes().any(|c| c == "embed-missing");
                if fragment.is_some() && !has_anchor {
                    // Obsidian finds no such section either, and says so where the embed would be.
                    if says_missing {
                        counts.right += 1;
                    } else {
                        counts.wrong(
                            "wrong target",
                            source,
                            link,
                            "Obsidian finds no such section; Loam embeds".into(),
                        );
                    }
                    continue;
                }
                if says_missing {
                    counts.wrong("missing anchor", source, link, "the embed says the section is missing".into());
                    continue;
                }
                if embed.value().classes().any(|c| c == "embed-cycle") {
                    counts.right += 1; // an embed that would hold itself, shown as a link
                    continue;
                }
                let shown = words(&text_of(&embed));
                let (inside, after): (Vec<String>, Vec<String>) = match (heading_at, block_at) {
                    (Some(h), _) => {
                        let level = target_headings[h].level;
                        let start = target_headings[h].line;
                        let end = target_headings[h + 1..]
                            .iter()
                            .find(|t| t.level <= level)
                            .map_or(target_lines.len(), |t| t.line);
                        (target_lines[start..end].to_vec(), target_lines[end..].to_vec())
                    }
                    (None, Some((start, end))) => {
                        let mut next = end;
                        while next < target_lines.len() && !target_lines[next].trim().is_empty() {
                            next += 1;
                        }
                        (target_lines[start..end].to_vec(), target_lines[next..].to_vec())
                    }
                    (None, None) => (target_lines.clone(), Vec::new()),
                };
                if let Some(h) = heading_at {
                    if !shown.contains(&words(&target_headings[h].text)) {
                        counts.wrong("missing anchor", source, link, "the embed lacks the section's heading".into());
                        continue;
                    }
                }
                let inside_text = words(&inside.join("\n"));
                match prose(&inside) {
                    Some(sample) if !shown.contains(&sample) => {
                        counts.wrong("wrong target", source, link, format!("the embed lacks `{sample}`"));
                        continue;
                    }
                    Some(_) => counts.content_checked += 1,
                    None => {}
                }
                if let Some(sample) = prose(&after).filter(|s| !inside_text.contains(s.as_str())) {
                    if shown.contains(&sample) {
                        counts.wrong("wrong target", source, link, format!("the embed holds more: `{sample}`"));
                        continue;
                    }
                }
                counts.right += 1;
                counts.ambiguous += ambiguous as usize;
                continue;
            }

            // A link: the first unused <a> with Obsidian's label, else any unused one to the right page.
            let label = label_of(link);
            let to_page = |(path, _, _): &(String, Option<String>, String)| *path == target_url;
            let pick = (0..own.len())
                .find(|&i| !used[i] && same_label(link, &own[i].2) && to_page(&own[i]))
                .or_else(|| (0..own.len()).find(|&i| !used[i] && same_label(link, &own[i].2)))
                .or_else(|| (0..own.len()).find(|&i| !used[i] && to_page(&own[i])));
            let Some(i) = pick else {
                counts.wrong("dead", source, link, format!("no <a> labelled `{label}` or leading to {target_url}"));
                continue;
            };
            used[i] = true;
            let (path, anchor, shown_label) = own[i].clone();
            if path != target_url {
                counts.wrong("wrong target", source, link, format!("leads to {path}, Obsidian opens {target_url}"));
                continue;
            }
            if has_anchor {
                let Some(id) = anchor else {
                    counts.wrong("missing anchor", source, link, "the href has no #fragment".into());
                    continue;
                };
                let target_page = site.page(&target_url).unwrap();
                let found = target_page.select(&select("[id]")).find(|e| e.value().attr("id") == Some(id.as_str()));
                let Some(element) = found else {
                    counts.wrong("missing anchor", source, link, format!("no id `{id}` on {target_url}"));
                    continue;
                };
                let ok = match (heading_at, block_at) {
                    (Some(h), _) => {
                        heading_tags.contains(element.value().name())
                            && same_heading(&text_of(&element), &target_headings[h].text)
                    }
                    (None, Some((start, end))) => {
                        prose(&target_lines[start..end]).is_none_or(|s| words(&text_of(&element)).contains(&s))
                    }
                    _ => true,
                };
                if !ok {
                    counts.wrong("missing anchor", source, link, format!("`#{id}` on {target_url} is not that part"));
                    continue;
                }
            }
            if !same_label(link, &shown_label) {
                counts.label_differs += 1;
                counts
                    .problems
                    .push(format!("label: {source}:{}: `{shown_label}`, Obsidian shows `{label}`", link.line));
            }
            counts.right += 1;
            counts.ambiguous += ambiguous as usize;
        }
    }
    counts
}

fn report(name: &str, counts: &Counts) -> String {
    let mut out = String::new();
    writeln!(
        out,
        "{name}: {} links and embeds: {} right, {} wrong target, {} missing anchor, {} dead \
         (of the right: {} unresolved in Obsidian too, {} to a folder or by an alias, {} to unpublished notes, {} ambiguous names, {} to a heading or \
         block the target lacks, {} embeds compared by content; {} labels differ; {} left out, split by a table)",
        counts.total,
        counts.right,
        counts.wrong_target,
        counts.missing_anchor,
        counts.dead,
        counts.unresolved,
        counts.extension,
        counts.unpublished,
        counts.ambiguous,
        counts.no_such_anchor,
        counts.content_checked,
        counts.label_differs,
        counts.split_by_table
    )
    .unwrap();
    for absent in counts.absent.iter().take(15) {
        writeln!(out, "  absent: {absent}").unwrap();
    }
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for problem in &counts.problems {
        let kind = problem.split(':').next().unwrap();
        let shown = by_kind.entry(kind).or_default();
        *shown += 1;
        if *shown <= 15 {
            writeln!(out, "  {problem}").unwrap();
        }
    }
    out
}

fn check(name: &str) {
    let root = corpus(name);
    let (_dir, out) = build(&root);
    let counts = check_site(&root, &out);
    let report = report(name, &counts);
    println!("{report}");
    assert_eq!(counts.total, counts.right + counts.wrong_target + counts.missing_anchor + counts.dead);
    assert!(counts.total > 0, "{name}: no links found");
    assert!(counts.problems.is_empty(), "{report}");
}

#[test]
fn every_link_and_embed_of_quartz_docs_lands_where_obsidian_would() {
    check("quartz-docs");
}

#[test]
fn every_link_and_embed_of_superbenefit_ccc_lands_where_obsidian_would() {
    check("superbenefit-ccc");
}

#[test]
fn every_link_and_embed_of_vault_of_knowledge_lands_where_obsidian_would() {
    check("vault-of-knowledge");
}

/// A small vault with every kind of link and embed the corpora have few of: sections, blocks of each kind,
/// ambiguous names, labels, images, Markdown links with a heading, a missing heading.
fn made_up_vault() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files: &[(&str, &str)] = &[
        (
            "Home.md",
            "# Home\n\nLinks: [[Target]], [[Target#Second section]], [[Target#First section#Deeper part]], \
             [[Target#^quoted]], [[Target#^table-id|the table]], [[Target#No such heading]], [[folder/Dup]], \
             [[Dup]], [[Nothing at all]], [in Markdown](Target.md#Second%20section), [[#Local heading]].\n\n\
             ![[Target#Second section]]\n\n![[Target#^quoted]]\n\n![[Target#^listed]]\n\n![[Short]]\n\n\
             ![[pic.png]]\n\n## Local heading\n\nThe home page keeps its own words here.\n",
        ),
        (
            "Target.md",
            "# First section\n\nWords of the first section stay out of other embeds.\n\n\
             ## Deeper part\n\nA deeper paragraph about moss and lichen.\n\n\
             # Second section\n\nThe second section speaks of ferns and rain.\n\n\
             > [!note] A quoted callout\n> Callout words about mushrooms after rain.\n\n^quoted\n\n\
             - one item of a list about birds\n- another item about the sparrow ^listed\n  - a child item of the sparrow\n\n\
             | a | b |\n|---|---|\n| table cell words here | other |\n\n^table-id\n\n\
             # Third section\n\nThe third section never shows in an embed of the second.\n",
        ),
        ("Short.md", "A short note that is embedded whole by the home page.\n"),
        ("a/Dup.md", "The note called Dup in folder a, chosen for the shorter path.\n"),
        ("folder/Dup.md", "The folder note called Dup, chosen by its folder.\n"),
        ("sub/Other.md", "From a sub folder: [[Dup]] and [[folder/Dup|the folder one]].\n"),
    ];
    for (path, text) in files {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    std::fs::write(dir.path().join("pic.png"), b"\x89PNG\r\n\x1a\n made-up image bytes").unwrap();
    dir
}

#[test]
fn the_checker_passes_every_kind_of_link_of_a_made_up_vault() {
    let vault = made_up_vault();
    let (_dir, out) = build(vault.path());
    let counts = check_site(vault.path(), &out);
    let report = report("made-up", &counts);
    assert!(counts.problems.is_empty(), "{report}");
    assert_eq!(counts.total, 18, "{report}");
    assert_eq!(counts.content_checked, 4, "{report}");
    assert_eq!((counts.unresolved, counts.no_such_anchor, counts.ambiguous), (1, 1, 2), "{report}");
}

/// The checker can fail: each page broken on purpose is caught, in its own count.
#[test]
fn the_checker_catches_a_wrong_page_a_lost_id_a_wrong_embed_and_a_missing_image() {
    let vault = made_up_vault();
    let (_dir, out) = build(vault.path());
    let edit = |page: &str, from: &str, to: &str| {
        let file = out.join(page);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(from), "{from} not in {page}");
        std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
    };
    edit("target/index.html", "id=\"second-section\"", "id=\"moved\"");
    edit("home/index.html", "href=\"/a/dup/\"", "href=\"/folder/dup/\"");
    edit("home/index.html", "ferns and rain", "something else");
    edit("home/index.html", "src=\"/pic.png\"", "src=\"/gone.png\"");
    let counts = check_site(vault.path(), &out);
    let report = report("broken on purpose", &counts);
    println!("{report}");
    assert_eq!(counts.missing_anchor, 2, "{report}"); // the heading link and the Markdown link to it
    assert_eq!(counts.wrong_target, 2, "{report}"); // [[Dup]] sent to the folder's, and the embed's words
    assert_eq!(counts.dead, 1, "{report}"); // the image
}

/// The checker over any vault: `LOAM_LINKS_VAULT=path/to/vault cargo test --test testsuite links::any_vault --
/// --ignored --nocapture` prints its counts and every problem.
#[test]
#[ignore = "needs LOAM_LINKS_VAULT"]
fn any_vault() {
    let root = PathBuf::from(std::env::var("LOAM_LINKS_VAULT").expect("LOAM_LINKS_VAULT names a vault"));
    let (_dir, out) = build(&root);
    let counts = check_site(&root, &out);
    let report = report(&root.display().to_string(), &counts);
    println!("{report}");
    assert!(counts.problems.is_empty(), "{report}");
}
