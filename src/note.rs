//! One note: its source text read into frontmatter and a first-stage rendering. Pure: bytes in, [`Note`] out.
//!
//! Everything here depends on the note's own bytes (and the site's base path and publish mode) only, which is
//! what lets a later stage cache a parsed note by the hash of its content.

mod frontmatter;

pub use frontmatter::Frontmatter;

use crate::config::PublishMode;
use crate::diagnostic::{Diagnostic, Kind, Severity};
use crate::markdown::{self, Rendered};

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

/// Whether a note with this frontmatter goes on the site under `mode`. A note whose frontmatter cannot be read
/// never does: its `publish: false` might be in the part we cannot read.
pub fn is_published(meta: &Frontmatter, meta_ok: bool, mode: PublishMode) -> bool {
    meta_ok
        && match mode {
            PublishMode::All => meta.draft != Some(true) && meta.publish != Some(false),
            PublishMode::Explicit => meta.publish == Some(true) && meta.draft != Some(true),
        }
}

/// Reads a note from its bytes. Never fails: every problem becomes a diagnostic and the note is still made.
/// The body of a note that `mode` does not publish is not rendered: nothing of it reaches the site, and in a
/// garden that publishes a few notes of many, rendering the rest would be most of the work.
pub fn parse(path: &str, bytes: &[u8], base_path: &str, mode: PublishMode) -> Note {
    let mut diagnostics = Vec::new();
    let text = decode(path, bytes, &mut diagnostics);
    let (stem, folder) = split_path(path);

    let (yaml, body, body_line) = split_frontmatter(&text);
    let (meta, meta_ok) = match yaml {
        Some(yaml) => match Frontmatter::parse(yaml) {
            Ok((meta, warnings)) => {
                for (line, message) in warnings {
                    diagnostics.push(
                        Diagnostic::new(path, line + 1, Severity::Warning, Kind::Frontmatter, message)
                            .hint("see the frontmatter keys in the documentation"),
                    );
                }
                (meta, true)
            }
            Err(error) => {
                let (line, column) = error.location().map_or((0, 0), |l| (l.line(), l.column()));
                let message = format!("cannot read the frontmatter: {}", strip_location(&error.to_string()));
                diagnostics.push(
                    Diagnostic::new(path, line + 1, Severity::Error, Kind::Frontmatter, message)
                        .column(column)
                        .hint("fix the YAML between the `---` lines; until then the note is not published"),
                );
                (Frontmatter::default(), false)
            }
        },
        None => (Frontmatter::default(), true),
    };

    let mut body =
        if is_published(&meta, meta_ok, mode) { markdown::render(body, base_path) } else { Rendered::default() };
    for link in &mut body.links {
        link.line += body_line - 1;
    }
    let tags = all_tags(&meta, &body);
    Note { path: path.to_string(), stem, folder, meta, meta_ok, body, tags, body_line, diagnostics }
}

/// Bytes to text: a BOM is dropped, CRLF becomes LF, invalid UTF-8 is replaced and reported.
fn decode(path: &str, bytes: &[u8], diagnostics: &mut Vec<Diagnostic>) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(error) => {
            let valid = &bytes[..error.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            diagnostics.push(
                Diagnostic::new(path, line, Severity::Warning, Kind::Encoding, "the file is not valid UTF-8".into())
                    .hint("save the file as UTF-8; invalid bytes are shown as �"),
            );
            String::from_utf8_lossy(bytes).into_owned()
        }
    };
    // One pass finds whether there is anything to replace; most notes have neither.
    if memchr::memchr2(b'\0', b'\r', text.as_bytes()).is_some() {
        // NUL starts the markers of the first rendering stage (markdown.rs); CommonMark replaces it anyway.
        if text.contains('\0') {
            text = text.replace('\0', "\u{FFFD}");
        }
        if text.contains('\r') {
            text = text.replace("\r\n", "\n").replace('\r', "\n");
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

fn strip_location(message: &str) -> String {
    // serde_yaml appends " at line X column Y"; we print the location ourselves, relative to the file.
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_from_frontmatter_else_file_name() {
        let note = parse("a/My Note.md", b"---\ntitle: Hello\n---\nbody", "/", PublishMode::All);
        assert_eq!(note.title(), "Hello");
        let note = parse("a/My Note.md", b"body", "/", PublishMode::All);
        assert_eq!(note.title(), "My Note");
        assert_eq!(note.folder, "a");
    }

    #[test]
    fn broken_yaml_names_the_line_and_the_note_is_not_rendered() {
        let note = parse("n.md", b"---\ntitle: ok\ntags: [a, b\n---\nHello *world*", "/", PublishMode::All);
        assert!(!note.meta_ok);
        let d = &note.diagnostics[0];
        assert_eq!(d.kind, Kind::Frontmatter);
        assert!(d.line >= 3, "{d}");
        assert_eq!(note.body, Rendered::default());
    }

    #[test]
    fn only_published_notes_are_rendered() {
        let text = b"---\npublish: true\n---\nHello *world*";
        assert!(parse("n.md", text, "/", PublishMode::Explicit).body.html.contains("<em>world</em>"));
        let draft = parse("n.md", b"---\ndraft: true\ntitle: T\n---\nHello", "/", PublishMode::All);
        assert_eq!((draft.title(), draft.body.html.as_str()), ("T", ""));
        assert_eq!(parse("n.md", b"Hello", "/", PublishMode::Explicit).body, Rendered::default());
    }

    #[test]
    fn bom_and_crlf() {
        let note =
            parse("n.md", b"\xEF\xBB\xBF---\r\ntitle: T\r\n---\r\n# Head\r\n\r\ntext\r\n", "/", PublishMode::All);
        assert_eq!(note.title(), "T");
        assert!(note.body.html.contains("<h1"));
        assert!(!note.body.html.contains('\r'));
    }

    #[test]
    fn invalid_utf8_is_reported_and_rendered() {
        let note = parse("n.md", b"line one\nbad \xFF byte", "/", PublishMode::All);
        assert_eq!(note.diagnostics[0].kind, Kind::Encoding);
        assert_eq!(note.diagnostics[0].line, 2);
        assert!(note.body.html.contains("bad \u{FFFD} byte"));
    }

    #[test]
    fn empty_file() {
        let note = parse("empty.md", b"", "/", PublishMode::All);
        assert!(note.diagnostics.is_empty());
        assert_eq!(note.body.html, "");
        let note = parse("dashes.md", b"---\n", "/", PublishMode::All);
        assert_eq!(note.title(), "dashes");
    }

    #[test]
    fn link_lines_count_the_frontmatter() {
        let note = parse("n.md", b"---\ntitle: T\n---\n\nsee [[Other]]\n", "/", PublishMode::All);
        assert_eq!(note.body.links[0].line, 5);
    }
}
