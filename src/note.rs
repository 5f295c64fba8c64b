//! One note: its source text read into frontmatter and a first-stage rendering. Pure: bytes in, [`Note`] out.
//!
//! Everything here depends on the note's own bytes and the [`Settings`] only, which is what lets a later stage
//! cache a parsed note by the hash of its content.

mod frontmatter;

pub use frontmatter::{merge as merge_frontmatter, parse_date, Flag, Frontmatter, Merged as MergedFrontmatter};

use std::borrow::Cow;
use std::sync::Arc;

use crate::config::{Config, PublishMode};
use crate::diagnostic::{Diagnostic, Kind, Severity};
use crate::markdown::{self, RawHtml, Rendered};
use crate::memo::key_of;
use crate::slug::{key, slugify, slugify_path};

/// The parts of `loam.toml` a note's parse depends on: a change of any of them parses every note again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The path part of `base_url`, which prefixes the URLs of inline tags.
    pub base_path: String,
    pub mode: PublishMode,
    pub raw_html: RawHtml,
    /// Whether a single newline in a paragraph only joins its lines (Obsidian's "Strict line breaks"), rather
    /// than breaking the line, as Obsidian does by default.
    pub strict_line_breaks: bool,
    /// Whether notes marked `draft: true` are published (`loam serve --drafts`; never in a build).
    pub drafts: bool,
    /// What a screen reader calls a task's box, done and to do, in the garden's language.
    pub tasks: [String; 2],
}

impl Settings {
    pub fn of(config: &Config) -> Settings {
        let raw_html = if config.unsafe_html { RawHtml::Kept } else { RawHtml::Sanitised };
        Settings {
            base_path: config.base_path(),
            mode: config.publish_mode,
            raw_html,
            strict_line_breaks: config.strict_line_breaks.unwrap_or(false),
            drafts: config.drafts,
            tasks: ["task_done", "task_todo"].map(|key| crate::render::strings::text(config, key).to_string()),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings::of(&Config::default())
    }
}

#[derive(Debug, Clone)]
pub struct Note {
    /// Path relative to the content folder, `/`-separated, as on disk (`folder/My Note.md`).
    pub path: String,
    /// The file name without `.md`.
    pub stem: String,
    /// The folder part of `path`, empty at the root.
    pub folder: String,
    pub meta: Frontmatter,
    /// False when the frontmatter could not be read: a note whose `publish: false` we cannot see must not be
    /// published by accident.
    pub meta_ok: bool,
    pub body: Rendered,
    /// Every tag of the note, frontmatter first, without `#`, de-duplicated case-insensitively.
    pub tags: Vec<String>,
    /// Line of the body's first line in the file, to turn body lines into file lines.
    pub body_line: usize,
    pub diagnostics: Vec<Diagnostic>,
    /// The frontmatter's `date`, `created` and `updated`, read.
    pub dates: [Option<chrono::DateTime<chrono::FixedOffset>>; 3],
    /// Whether the text begins with the `description` (see [`Note::lead`]), found once when the note is parsed
    /// rather than at each render of its page.
    pub begins_with_description: bool,
    /// Whether the note's text begins with a `# Heading` that is its title: its page shows the title once, as the
    /// page's own, as Obsidian does with "Show inline title" off.
    pub begins_with_title: bool,
    /// What the site model reads of the note, made here so that a parsed note kept by the live preview brings it
    /// along (slugs are costly at 10,000 notes).
    pub outline: Arc<Outline>,
    /// The keys of the outline and its parts, for the memos of the live preview.
    pub keys: Keys,
}

/// What the site model reads of one note: where it is, the URL it asks for, whether it is published, its title,
/// what links to it can point at, its tags and aliases, and where its links go. Not its text, the words around its
/// links or the lines they are on: editing those leaves the model as it was.
///
/// `site::Model` is made of outlines alone (its builder is never handed a note), so the key it is kept under in the
/// live preview is derived from this type ([`crate::memo::key_of`]): a field added here is in the key. The random-edit
/// test in `tests/testsuite/serve.rs` compares every kept model with a fresh build.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Outline {
    /// Path relative to the content folder, `/`-separated, as on disk.
    pub path: String,
    pub folder: String,
    /// The title (frontmatter `title`, else the file name), which names the note's folder in breadcrumbs.
    pub title: String,
    /// Whether the note is published in `all` mode and in `explicit` mode: all the model reads of `publish`,
    /// `draft` and whether the frontmatter could be read.
    pub published: [bool; 2],
    /// The URL the note asks for (`permalink`, else its path as a slug), before collisions are settled.
    pub url: String,
    /// `slug::key` of `url`.
    pub url_key: String,
    /// `slug::key` of the title, which lists sort by.
    pub title_key: String,
    /// `slug::key` of the folder.
    pub folder_key: String,
    /// What a link in another note can point at in this one.
    pub anchors: Anchors,
    /// (URL, its key) of each alias's redirect page, in the note's folder, parallel to `anchors.aliases`.
    pub alias_pages: Vec<(String, String)>,
    /// (URL, its key) of the page at the note's path, when its permalink gives it another URL: a redirect to it.
    pub redirect: Option<(String, String)>,
    /// For each of the note's tags, the tag and the ones above it, deepest first, as (name, key):
    /// `a/b` gives `[("a/b", "a/b"), ("a", "a")]`.
    pub tags: Vec<Vec<(String, String)>>,
    /// Where each of the note's links goes, parallel to `body.links`.
    pub links: Vec<Target>,
}

/// What resolving a link in another note looks at in this one, besides its path: the names it goes by, its
/// headings (id, text) and block ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Anchors {
    pub aliases: Vec<String>,
    pub headings: Vec<(String, String)>,
    pub blocks: Vec<String>,
}

impl Anchors {
    /// The heading a link's `#fragment` names (see [`Rendered::heading_for`]).
    pub fn heading_for(&self, fragment: &str) -> Option<usize> {
        markdown::heading_for(self.headings.iter().map(|(id, text)| (id.as_str(), text.as_str())), fragment)
    }
}

/// One link of a note as the model reads it: its kind and where it goes, not its text or line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub kind: markdown::LinkKind,
    pub target: String,
    pub fragment: Option<String>,
}

/// The keys of a note's outline and of the parts of it that the site's smaller memos read, made once when the
/// note is parsed (hashing 10,000 outlines at every save would cost more than what the memos save).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Keys {
    /// The whole outline.
    pub outline: u64,
    /// The path and anchors: what resolving other notes' links looks at.
    pub anchors: u64,
    /// The tag chains: what tag pages are made of.
    pub tags: u64,
    /// The aliases and their pages, and the redirect from the note's path.
    pub aliases: u64,
}

impl Outline {
    fn of(
        path: &str,
        stem: &str,
        folder: &str,
        (meta, meta_ok, drafts): (&Frontmatter, bool, bool),
        body: &Rendered,
        tags: &[String],
    ) -> Outline {
        let url = wanted_url(stem, folder, meta.permalink.as_deref());
        let title = meta.title.as_deref().filter(|t| !t.trim().is_empty()).unwrap_or(stem);
        let base = if folder.is_empty() || meta.aliases.is_empty() {
            String::new()
        } else {
            format!("{}/", slugify_path(folder))
        };
        let alias_pages = meta
            .aliases
            .iter()
            .map(|alias| {
                // An alias that is a path (`Folder/Old name`) redirects from that path, from the site's root.
                let url = match alias.trim_matches('/') {
                    path if path.contains('/') => format!("{}/", slugify_path(path)),
                    name => format!("{base}{}/", slugify(name)),
                };
                let url_key = key(&url);
                (url, url_key)
            })
            .collect();
        // A note given another URL by its permalink keeps its path's URL as a redirect, as Obsidian Publish does.
        let redirect = Some(path_url(stem, folder)).filter(|old| *old != url && !old.is_empty()).map(|old| {
            let old_key = key(&old);
            (old, old_key)
        });
        let tags = tags
            .iter()
            .map(|tag| {
                let parts: Vec<&str> = tag.split('/').filter(|p| !p.is_empty()).collect();
                (1..=parts.len())
                    .rev()
                    .map(|depth| {
                        let name = parts[..depth].join("/");
                        let tag_key = key(&name);
                        (name, tag_key)
                    })
                    .collect()
            })
            .collect();
        Outline {
            path: path.to_string(),
            folder: folder.to_string(),
            title: title.to_string(),
            published: [PublishMode::All, PublishMode::Explicit]
                .map(|mode| is_published_with(meta, meta_ok, mode, drafts)),
            url_key: key(&url),
            url,
            title_key: key(title),
            folder_key: key(folder),
            anchors: Anchors {
                aliases: meta.aliases.clone(),
                headings: body.headings.iter().map(|h| (h.id.clone(), h.text.clone())).collect(),
                blocks: body.blocks.clone(),
            },
            alias_pages,
            redirect,
            tags,
            links: body
                .links
                .iter()
                .map(|l| Target { kind: l.kind, target: l.target.clone(), fragment: l.fragment.clone() })
                .collect(),
        }
    }

    /// Whether the note is published under `mode`.
    pub fn is_published(&self, mode: PublishMode) -> bool {
        self.published[usize::from(mode == PublishMode::Explicit)]
    }
}

impl Keys {
    fn of(outline: &Outline) -> Keys {
        Keys {
            outline: key_of(outline),
            anchors: key_of(&(&outline.path, &outline.anchors)),
            tags: key_of(&outline.tags),
            aliases: key_of(&(&outline.anchors.aliases, &outline.alias_pages, &outline.redirect)),
        }
    }
}

/// The URL a note asks for: its `permalink`, else its path as a slug (`index.md` is its folder's page).
fn wanted_url(stem: &str, folder: &str, permalink: Option<&str>) -> String {
    if let Some(permalink) = permalink {
        // `permalink: /` makes the note the home page.
        if permalink.trim() == "/" {
            return String::new();
        }
        let clean: Vec<&str> = permalink.split('/').filter(|p| !p.is_empty() && *p != "." && *p != "..").collect();
        if !clean.is_empty() {
            return format!("{}/", clean.iter().map(|p| slugify(p)).collect::<Vec<_>>().join("/"));
        }
    }
    path_url(stem, folder)
}

/// The URL of a note by its path (`index.md` is its folder's page).
fn path_url(stem: &str, folder: &str) -> String {
    if key(stem) == "index" {
        return if folder.is_empty() { String::new() } else { format!("{}/", slugify_path(folder)) };
    }
    let path = if folder.is_empty() { stem.to_string() } else { format!("{folder}/{stem}") };
    format!("{}/", slugify_path(&path))
}

impl Note {
    /// Obsidian's rule: the frontmatter's `title`, else the file name.
    pub fn title(&self) -> &str {
        self.meta.title.as_deref().filter(|t| !t.trim().is_empty()).unwrap_or(&self.stem)
    }

    /// The frontmatter's `description` as the lead under the page's title; empty when there is none, or when the
    /// note's text already begins with it (a description copied from the first sentence is not read twice). The
    /// description is in the page's meta tags either way.
    pub fn lead(&self) -> &str {
        match self.begins_with_description {
            true => "",
            false => self.meta.description.as_deref().unwrap_or_default().trim(),
        }
    }
}

/// Whether the text of `html` (tags, the first stage's markers and spacing aside, in any case) begins with the
/// words of `text`.
fn begins_with(html: &str, text: &str) -> bool {
    let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let wanted = words(text);
    // The text at the start of `html`, a little longer than what is wanted, to see where its last word ends.
    let mut plain = String::new();
    let mut chars = html.chars();
    while plain.len() < wanted.len() + 64 {
        match chars.next() {
            None => break,
            Some('<') => {
                // A block's edge parts words; an inline element (`<em>`) does not.
                let tag: String = chars.by_ref().take_while(|&c| c != '>').collect();
                let name = tag.trim_start_matches('/').split(|c: char| c.is_whitespace() || c == '/').next();
                let inline =
                    ["a", "em", "strong", "code", "span", "mark", "del", "s", "sup", "sub", "i", "b", "u", "kbd"];
                if !name.is_some_and(|name| inline.contains(&name)) {
                    plain.push(' ');
                }
            }
            Some('\0') => {
                // A marker of the first stage (`\0S0\0`): not text.
                chars.by_ref().find(|&c| c == '\0');
            }
            Some('&') => {
                let entity: String = chars.by_ref().take_while(|&c| c != ';').collect();
                plain.push(match entity.as_str() {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "#39" | "#x27" => '\'',
                    _ => '\u{FFFD}',
                });
            }
            Some(c) => plain.push(c),
        }
    }
    let plain = words(&plain);
    plain.strip_prefix(&wanted).is_some_and(|rest| !rest.starts_with(char::is_alphanumeric))
}

/// Every tag of a note, frontmatter first, without `#`, de-duplicated case-insensitively.
fn all_tags(meta: &Frontmatter, body: &Rendered) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    meta.tags
        .iter()
        .chain(body.tags.iter())
        .map(|t| t.trim().trim_start_matches('#').trim_matches('/').to_string())
        .filter(|t| !t.is_empty() && seen.insert(crate::slug::key(t)))
        .collect()
}

/// Whether a note with this frontmatter goes on the site under `mode`. Privacy fails closed: a note whose
/// frontmatter cannot be read never does (its `publish: false` might be in the part we cannot read), and neither
/// does one whose `publish` or `draft` is unclear (`publish: off`), in either mode.
pub fn is_published(meta: &Frontmatter, meta_ok: bool, mode: PublishMode) -> bool {
    is_published_with(meta, meta_ok, mode, false)
}

/// [`is_published`], where with `drafts` a clear `draft: true` does not keep a note out (`loam serve --drafts`);
/// an unclear one still does.
fn is_published_with(meta: &Frontmatter, meta_ok: bool, mode: PublishMode, drafts: bool) -> bool {
    let publish_ok = match mode {
        PublishMode::All => matches!(meta.publish, None | Some(Flag::True)),
        PublishMode::Explicit => meta.publish == Some(Flag::True),
    };
    let draft_ok = match meta.draft {
        None | Some(Flag::False) => true,
        Some(Flag::True) => drafts,
        Some(Flag::Unclear) => false,
    };
    meta_ok && publish_ok && draft_ok
}

/// Whether a note with this text would be published in `mode`, as [`parse`] decides it (from the frontmatter
/// alone), without rendering its body: the history views ask it of every version they show.
pub fn publishes(text: &str, mode: PublishMode) -> bool {
    let (yaml, _, _) = split_frontmatter(text);
    let (meta, meta_ok) = match yaml.map(Frontmatter::parse) {
        Some(Ok((meta, _))) => (meta, true),
        Some(Err(_)) => (Frontmatter::default(), false),
        None => (Frontmatter::default(), true),
    };
    is_published(&meta, meta_ok, mode)
}

/// Reads a note from its bytes. Never fails: every problem becomes a diagnostic and the note is still made.
/// The body of a note that the publish mode does not publish is not rendered: nothing of it reaches the site,
/// and in a garden that publishes a few notes of many, rendering the rest would be most of the work.
pub fn parse(path: &str, bytes: &[u8], settings: &Settings) -> Note {
    let mut diagnostics = Vec::new();
    let text = decode(path, bytes, &mut diagnostics);
    let (stem, folder) = split_path(path);

    let (yaml, body, body_line) = split_frontmatter(&text);
    let (meta, meta_ok) = match yaml {
        // The YAML starts on the file's second line, after the opening `---`.
        Some(yaml) => match Frontmatter::parse(yaml) {
            Ok((meta, problems)) => {
                for problem in problems {
                    diagnostics.push(
                        Diagnostic::new(path, problem.line + 1, problem.severity, Kind::Frontmatter, problem.message)
                            .hint(problem.hint),
                    );
                }
                (meta, true)
            }
            Err(unreadable) => {
                diagnostics.push(
                    Diagnostic::new(
                        path,
                        unreadable.line + 1,
                        Severity::Error,
                        Kind::Frontmatter,
                        format!("cannot read the frontmatter: {}", unreadable.message),
                    )
                    .column(unreadable.column)
                    .hint("fix the YAML between the `---` lines; until then the note is not published"),
                );
                (Frontmatter::default(), false)
            }
        },
        None => (Frontmatter::default(), true),
    };

    let mut body = if is_published_with(&meta, meta_ok, settings.mode, settings.drafts) {
        let tasks = [settings.tasks[0].as_str(), settings.tasks[1].as_str()];
        markdown::render_with_tasks(body, &settings.base_path, settings.raw_html, settings.strict_line_breaks, tasks)
    } else {
        Rendered::default()
    };
    for link in &mut body.links {
        link.line += body_line - 1;
    }
    let tags = all_tags(&meta, &body);
    let outline = Outline::of(path, &stem, &folder, (&meta, meta_ok, settings.drafts), &body, &tags);
    let keys = Keys::of(&outline);
    let date = |text: &Option<String>| text.as_deref().and_then(frontmatter::parse_date);
    let dates = [date(&meta.date), date(&meta.created), date(&meta.updated)];
    let outline = Arc::new(outline);
    let description = meta.description.as_deref().unwrap_or_default().trim();
    let begins_with_description = !description.is_empty() && begins_with(&body.html, description);
    let title = meta.title.as_deref().filter(|t| !t.trim().is_empty()).unwrap_or(&stem);
    let same = |a: &str, b: &str| {
        a.split_whitespace().eq(b.split_whitespace()) || a.trim().to_lowercase() == b.trim().to_lowercase()
    };
    let begins_with_title = (body.html.trim_start().strip_prefix("\0H0\0"))
        .is_some_and(|rest| rest.trim_start().starts_with("<h1"))
        && body.headings.first().is_some_and(|h| h.level == 1 && same(&h.text, title));
    Note {
        path: path.to_string(),
        stem,
        folder,
        meta,
        meta_ok,
        body,
        tags,
        body_line,
        diagnostics,
        dates,
        begins_with_description,
        begins_with_title,
        outline,
        keys,
    }
}

/// Bytes to text: a BOM is dropped, CRLF becomes LF, invalid UTF-8 is replaced and reported.
/// Most notes need none of that and are borrowed as they are.
fn decode<'b>(path: &str, bytes: &'b [u8], diagnostics: &mut Vec<Diagnostic>) -> Cow<'b, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut text = match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(error) => {
            let valid = &bytes[..error.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            diagnostics.push(
                Diagnostic::new(path, line, Severity::Warning, Kind::Encoding, "the file is not valid UTF-8".into())
                    .hint("save the file as UTF-8; invalid bytes are shown as �"),
            );
            String::from_utf8_lossy(bytes)
        }
    };
    // One pass finds whether there is anything to replace; most notes have neither.
    if memchr::memchr2(b'\0', b'\r', text.as_bytes()).is_some() {
        // NUL starts the markers of the first rendering stage (markdown.rs); CommonMark replaces it anyway.
        if text.contains('\0') {
            text = Cow::Owned(text.replace('\0', "\u{FFFD}"));
        }
        if text.contains('\r') {
            text = Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"));
        }
    }
    text
}

fn split_path(path: &str) -> (String, String) {
    let (folder, file) = match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    };
    let stem = file.strip_suffix(".md").or_else(|| file.strip_suffix(".markdown")).unwrap_or(file);
    (stem.to_string(), folder.to_string())
}

/// Splits `---\nyaml\n---\nbody` into the YAML, the body and the body's first line number. A `---` that is
/// never closed is a thematic break, not frontmatter.
pub fn split_frontmatter(text: &str) -> (Option<&str>, &str, usize) {
    let Some(rest) = text.strip_prefix("---\n").or_else(|| (text.trim_end() == "---").then_some("")) else {
        return (None, text, 1);
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            let yaml = &rest[..offset];
            let body = &rest[offset + line.len()..];
            let body_line = 2 + yaml.matches('\n').count() + 1;
            return (Some(yaml), body, body_line);
        }
        offset += line.len();
    }
    (None, text, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whether_a_text_is_published_is_decided_as_parsing_decides_it() {
        let texts = [
            "no frontmatter",
            "---\npublish: true\n---\nx",
            "---\npublish: false\n---\nx",
            "---\npublish: off\n---\nx",
            "---\ndraft: true\n---\nx",
            "---\ntags: [a, b\n---\nbroken YAML",
            "---\ntitle: t\n---\n",
        ];
        for mode in [PublishMode::All, PublishMode::Explicit] {
            for text in texts {
                let note = parse("n.md", text.as_bytes(), &Settings { mode, ..Settings::default() });
                assert_eq!(publishes(text, mode), is_published(&note.meta, note.meta_ok, mode), "{mode:?} {text:?}");
            }
        }
    }

    #[test]
    fn title_from_frontmatter_else_file_name() {
        let note = parse("a/My Note.md", b"---\ntitle: Hello\n---\nbody", &Settings::default());
        assert_eq!(note.title(), "Hello");
        let note = parse("a/My Note.md", b"body", &Settings::default());
        assert_eq!(note.title(), "My Note");
        assert_eq!(note.folder, "a");
    }

    #[test]
    fn broken_yaml_names_the_line_and_the_note_is_not_rendered() {
        let note = parse("n.md", b"---\ntitle: ok\ntags: [a, b\n---\nHello *world*", &Settings::default());
        assert!(!note.meta_ok);
        let d = &note.diagnostics[0];
        assert_eq!(d.kind, Kind::Frontmatter);
        assert!(d.line >= 3, "{d}");
        assert_eq!(note.body, Rendered::default());
    }

    #[test]
    fn only_published_notes_are_rendered() {
        let explicit = Settings { mode: PublishMode::Explicit, ..Settings::default() };
        let text = b"---\npublish: true\n---\nHello *world*";
        assert!(parse("n.md", text, &explicit).body.html.contains("<em>world</em>"));
        let draft = parse("n.md", b"---\ndraft: true\ntitle: T\n---\nHello", &Settings::default());
        assert_eq!((draft.title(), draft.body.html.as_str()), ("T", ""));
        assert_eq!(parse("n.md", b"Hello", &explicit).body, Rendered::default());
    }

    #[test]
    fn clear_publish_and_draft_values_in_both_modes() {
        // (frontmatter, published in `all` mode, published in `explicit` mode)
        for (yaml, all, explicit) in [
            ("title: T", true, false),
            ("publish: true", true, true),
            ("publish: TRUE", true, true),
            ("publish: \"true\"", true, true),
            ("publish: false", false, false),
            ("publish: \"FALSE\"", false, false),
            ("draft: false", true, false),
            ("draft: \"false\"", true, false),
            ("draft: true", false, false),
            ("publish: true\ndraft: false", true, true),
            ("publish: true\ndraft: true", false, false),
        ] {
            for (mode, expected) in [(PublishMode::All, all), (PublishMode::Explicit, explicit)] {
                let note = parse(
                    "n.md",
                    format!("---\n{yaml}\n---\nbody").as_bytes(),
                    &Settings { mode, ..Settings::default() },
                );
                assert_eq!(is_published(&note.meta, note.meta_ok, mode), expected, "{yaml} in {mode:?}");
                assert!(note.diagnostics.is_empty(), "{yaml}: {:?}", note.diagnostics);
            }
        }
    }

    #[test]
    fn unclear_publish_or_draft_is_unpublished_in_both_modes_with_an_error_at_its_line() {
        let unclear = [
            ("publish", "off"),
            ("publish", "0"),
            ("publish", "n"),
            ("publish", "~"),
            ("publish", ""),
            ("publish", "[false]"),
            ("publish", "\"yes\""),
            ("publish", "yes"),
            ("draft", "1"),
            ("draft", "on"),
            ("draft", "y"),
            ("draft", "~"),
            ("draft", "[true]"),
        ];
        for (key, value) in unclear {
            for mode in [PublishMode::All, PublishMode::Explicit] {
                // In explicit mode a clear `publish: true` beside an unclear draft must not publish either.
                let other = if key == "draft" { "publish: true" } else { "draft: false" };
                let text = format!("---\ntitle: T\n{other}\n{key}: {value}\n---\nbody *here*");
                let note = parse("dir/n.md", text.as_bytes(), &Settings { mode, ..Settings::default() });
                assert!(!is_published(&note.meta, note.meta_ok, mode), "{key}: {value} in {mode:?}");
                assert_eq!(note.body, Rendered::default(), "{key}: {value} was rendered");
                let [d] = note.diagnostics.as_slice() else { panic!("{key}: {value}: {:?}", note.diagnostics) };
                assert_eq!((d.severity, d.kind), (Severity::Error, Kind::Frontmatter));
                assert!(d.to_string().starts_with("dir/n.md:4: error: "), "{d}");
            }
        }
    }

    #[test]
    fn bom_and_crlf() {
        let note = parse("n.md", b"\xEF\xBB\xBF---\r\ntitle: T\r\n---\r\n# Head\r\n\r\ntext\r\n", &Settings::default());
        assert_eq!(note.title(), "T");
        assert!(note.body.html.contains("<h1"));
        assert!(!note.body.html.contains('\r'));
    }

    #[test]
    fn invalid_utf8_is_reported_and_rendered() {
        let note = parse("n.md", b"line one\nbad \xFF byte", &Settings::default());
        assert_eq!(note.diagnostics[0].kind, Kind::Encoding);
        assert_eq!(note.diagnostics[0].line, 2);
        assert!(note.body.html.contains("bad \u{FFFD} byte"));
    }

    #[test]
    fn empty_file() {
        let note = parse("empty.md", b"", &Settings::default());
        assert!(note.diagnostics.is_empty());
        assert_eq!(note.body.html, "");
        let note = parse("dashes.md", b"---\n", &Settings::default());
        assert_eq!(note.title(), "dashes");
    }

    #[test]
    fn link_lines_count_the_frontmatter() {
        let note = parse("n.md", b"---\ntitle: T\n---\n\nsee [[Other]]\n", &Settings::default());
        assert_eq!(note.body.links[0].line, 5);
    }
}
