//! One note: its source text read into frontmatter and a first-stage rendering. Pure: bytes in, [`Note`] out.
//!
//! Everything here depends on the note's own bytes and the [`Settings`] only, which is what lets a later stage
//! cache a parsed note by the hash of its content.

mod frontmatter;

pub use frontmatter::{parse_date, Flag, Frontmatter};

use std::borrow::Cow;

use crate::config::{Config, PublishMode};
use crate::diagnostic::{Diagnostic, Kind, Severity};
use crate::markdown::{self, RawHtml, Rendered};
use crate::slug::{key, slugify, slugify_path};

/// The parts of `loam.toml` a note's parse depends on: a change of any of them parses every note again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The path part of `base_url`, which prefixes the URLs of inline tags.
    pub base_path: String,
    pub mode: PublishMode,
    pub raw_html: RawHtml,
}

impl Settings {
    pub fn of(config: &Config) -> Settings {
        let raw_html = if config.unsafe_html { RawHtml::Kept } else { RawHtml::Sanitised };
        Settings { base_path: config.base_path(), mode: config.publish_mode, raw_html }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings { base_path: "/".into(), mode: PublishMode::All, raw_html: RawHtml::Sanitised }
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
    /// What the site model needs of the note alone, made here so that a parsed note kept by the live preview
    /// brings them along (slugs are costly at 10,000 notes).
    pub keys: Keys,
}

/// Slugs and keys that depend on the note alone.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    /// The URL the note asks for (`permalink`, else its path as a slug), before collisions are settled.
    pub url: String,
    /// `slug::key` of `url`.
    pub url_key: String,
    /// `slug::key` of the title, which lists sort by.
    pub title: String,
    /// `slug::key` of the folder.
    pub folder: String,
    /// (URL, its key) of each alias's redirect page, in the note's folder.
    pub aliases: Vec<(String, String)>,
    /// For each of the note's tags, the tag and the ones above it, deepest first, as (name, key):
    /// `a/b` gives `[("a/b", "a/b"), ("a", "a")]`.
    pub tags: Vec<Vec<(String, String)>>,
    /// The frontmatter's `date`, `created` and `updated`, read.
    pub dates: [Option<chrono::DateTime<chrono::FixedOffset>>; 3],
    /// A hash of the tag chains (names and keys), and one of the aliases (text, URL and key): what the site's
    /// tag pages and alias pages are made from, for telling whether they can be kept.
    pub tags_hash: u64,
    pub aliases_hash: u64,
    /// A hash of what resolving other notes' links to this one looks at: its path, aliases, headings and block
    /// ids (see `site::ResolveMemo`).
    pub shape: u64,
    /// [`model_input`]: what the site model reads of the note, hashed.
    pub model: u64,
}

impl Keys {
    fn of(path: &str, stem: &str, folder: &str, meta: &Frontmatter, body: &Rendered, tags: &[String]) -> Keys {
        let mut shape = xxhash_rust::xxh3::Xxh3::new();
        let mut text = |t: &str| {
            shape.update(t.as_bytes());
            shape.update(&[0]);
        };
        text(path);
        for alias in &meta.aliases {
            text(alias);
        }
        text("\u{1}");
        for heading in &body.headings {
            text(&heading.id);
            text(&heading.text);
        }
        text("\u{1}");
        for block in &body.blocks {
            text(block);
        }
        let url = wanted_url(stem, folder, meta.permalink.as_deref());
        let title = meta.title.as_deref().filter(|t| !t.trim().is_empty()).unwrap_or(stem);
        let base = if folder.is_empty() || meta.aliases.is_empty() {
            String::new()
        } else {
            format!("{}/", slugify_path(folder))
        };
        let aliases = meta
            .aliases
            .iter()
            .map(|alias| {
                let url = format!("{base}{}/", slugify(alias));
                let url_key = key(&url);
                (url, url_key)
            })
            .collect();
        let date = |text: &Option<String>| text.as_deref().and_then(frontmatter::parse_date);
        let dates = [date(&meta.date), date(&meta.created), date(&meta.updated)];
        let tags: Vec<Vec<(String, String)>> = tags
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
        let hash_of = |parts: &mut dyn Iterator<Item = &str>| {
            let mut hash = xxhash_rust::xxh3::Xxh3::new();
            for part in parts {
                hash.update(part.as_bytes());
                hash.update(&[0]);
            }
            hash.digest()
        };
        let tags_hash = hash_of(&mut tags.iter().flat_map(|chain: &Vec<(String, String)>| {
            chain.iter().flat_map(|(name, key)| [name.as_str(), key.as_str()]).chain(["\u{1}"])
        }));
        let aliases_hash = hash_of(&mut meta.aliases.iter().zip(&aliases).flat_map(
            |(alias, (url, key)): (&String, &(String, String))| [alias.as_str(), url.as_str(), key.as_str()],
        ));
        Keys {
            tags_hash,
            aliases_hash,
            url_key: key(&url),
            url,
            title: key(title),
            folder: key(folder),
            aliases,
            tags,
            dates,
            shape: shape.digest(),
            model: 0,
        }
    }
}

/// The URL a note asks for: its `permalink`, else its path as a slug (`index.md` is its folder's page).
fn wanted_url(stem: &str, folder: &str, permalink: Option<&str>) -> String {
    if let Some(permalink) = permalink {
        let clean: Vec<&str> = permalink.split('/').filter(|p| !p.is_empty() && *p != "." && *p != "..").collect();
        if !clean.is_empty() {
            return format!("{}/", clean.iter().map(|p| slugify(p)).collect::<Vec<_>>().join("/"));
        }
    }
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
    let publish_ok = match mode {
        PublishMode::All => matches!(meta.publish, None | Some(Flag::True)),
        PublishMode::Explicit => meta.publish == Some(Flag::True),
    };
    meta_ok && publish_ok && matches!(meta.draft, None | Some(Flag::False))
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

    let mut body = if is_published(&meta, meta_ok, settings.mode) {
        markdown::render(body, &settings.base_path, settings.raw_html)
    } else {
        Rendered::default()
    };
    for link in &mut body.links {
        link.line += body_line - 1;
    }
    let tags = all_tags(&meta, &body);
    let keys = Keys::of(path, &stem, &folder, &meta, &body, &tags);
    let mut note =
        Note { path: path.to_string(), stem, folder, meta, meta_ok, body, tags, body_line, diagnostics, keys };
    note.keys.model = model_input(&note);
    note
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
fn split_frontmatter(text: &str) -> (Option<&str>, &str, usize) {
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

/// A hash of everything the site model reads of one note, made when the note is parsed ([`crate::note::Keys`]):
/// where it is and the URL it asks for, what decides whether it is published, its title (which names its folder
/// in breadcrumbs), its shape (aliases, headings, block ids), its tags and aliases with their keys, and each link's
/// kind, target and fragment. Not its text, the words around its links or the lines they are on: editing those
/// leaves the model as it was. Whatever `Site` comes to read of a note must be hashed here, or the live preview would keep a stale
/// model (the random-edit test in `tests/testsuite/serve.rs` compares it with a fresh build).
pub fn model_input(note: &Note) -> u64 {
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    let mut text = |t: &str| {
        hash.update(t.as_bytes());
        hash.update(&[0]);
    };
    text(&note.path);
    text(&note.stem);
    text(&note.folder);
    text(note.title());
    let keys = &note.keys;
    text(&keys.url);
    text(&keys.url_key);
    text(&keys.title);
    text(&keys.folder);
    for link in &note.body.links {
        text(&link.target);
        text(link.fragment.as_deref().unwrap_or("\u{1}"));
    }
    // Whether it is published under each mode is all the model reads of `publish`, `draft` and `meta_ok`.
    let flags = [PublishMode::All, PublishMode::Explicit].map(|mode| is_published(&note.meta, note.meta_ok, mode));
    hash.update(&flags.map(u8::from));
    for number in [keys.shape, keys.tags_hash, keys.aliases_hash] {
        hash.update(&number.to_le_bytes());
    }
    hash.update(&(note.body.links.len() as u64).to_le_bytes());
    for link in &note.body.links {
        hash.update(&[link.kind as u8]);
    }
    hash.digest()
}

#[cfg(test)]
mod tests {
    use super::*;

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
