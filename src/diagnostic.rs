//! Problems found in a garden: what, where (file, line, column) and how to fix it. Pure data.

use std::borrow::Cow;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// What kind of problem, so that `loam check` can decide what fails a CI run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Frontmatter,
    Encoding,
    BrokenLink,
    AmbiguousLink,
    SlugCollision,
    Transclusion,
    Read,
    Other,
}

impl Kind {
    /// `n` problems of this kind (`1 broken link`, `1234 broken links`).
    pub fn count(self, n: usize) -> String {
        let (one, many) = match self {
            Kind::Frontmatter => ("frontmatter problem", "frontmatter problems"),
            Kind::Encoding => ("encoding problem", "encoding problems"),
            Kind::BrokenLink => ("broken link", "broken links"),
            Kind::AmbiguousLink => ("ambiguous link", "ambiguous links"),
            Kind::SlugCollision => ("page at the same address as another", "pages at the same address as others"),
            Kind::Transclusion => ("embed that cannot be shown", "embeds that cannot be shown"),
            Kind::Read => ("file that cannot be read", "files that cannot be read"),
            Kind::Other => ("other problem", "other problems"),
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }
}

/// The folder a diagnostic's path is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Base {
    /// The notes folder (`content/`, or the vault): every note and attachment.
    #[default]
    Notes,
    /// The garden's root: `loam.toml`, `templates/`, `.loam/`.
    Root,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// Path of the file relative to the notes folder (or to the garden's root, see `base`), with `/` separators.
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    pub kind: Kind,
    pub message: String,
    /// What the author can do about it.
    pub hint: String,
    pub base: Base,
}

impl Diagnostic {
    pub fn new(path: &str, line: usize, severity: Severity, kind: Kind, message: String) -> Self {
        Diagnostic {
            path: path.to_string(),
            line,
            column: 0,
            severity,
            kind,
            message,
            hint: String::new(),
            base: Base::Notes,
        }
    }

    /// The same problem, its path relative to the garden's root (`loam.toml`, `templates/`).
    pub fn at_root(mut self) -> Self {
        self.base = Base::Root;
        self
    }

    pub fn column(mut self, column: usize) -> Self {
        self.column = column;
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    /// Whether `loam check` must fail: every error, and every broken link.
    pub fn fails_check(&self) -> bool {
        self.severity == Severity::Error || self.kind == Kind::BrokenLink
    }
}

impl Diagnostic {
    /// The problem as a terminal shows it: `prefix` before its path (the folder it is relative to, as named from
    /// where the command runs), its level in colour if `color`.
    pub fn write(&self, f: &mut impl fmt::Write, prefix: &str, color: bool) -> fmt::Result {
        let (level, paint) = match self.severity {
            Severity::Warning => ("warning", "\x1b[1;33m"),
            Severity::Error => ("error", "\x1b[1;31m"),
        };
        write!(f, "{}{}", shown(prefix), shown(&self.path))?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        match color {
            true => write!(f, ": {paint}{level}\x1b[0m: {}", shown(&self.message))?,
            false => write!(f, ": {level}: {}", shown(&self.message))?,
        }
        if !self.hint.is_empty() {
            write!(f, "\n  = help: {}", shown(&self.hint))?;
        }
        Ok(())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, "", false)
    }
}

/// Text from a garden or a peer (a file name, a message quoting one) as it may go to a terminal. A file name can
/// hold any character but `/`: an escape sequence in it would drive the terminal (clear the screen, change the
/// title), a line break would forge a line of output, and a bidirectional override would show one name as
/// another. So control characters (C0, DEL, C1) and the overrides and isolates (U+202A to U+202E, U+2066 to
/// U+2069) are written as Rust escapes (`\u{1b}`, `\n`), which a user can still read and search for; the
/// rest, any script included, is left as it is.
pub fn shown(text: &str) -> Cow<'_, str> {
    let hidden = |c: char| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_bidi_overrides_are_shown_escaped() {
        assert_eq!(shown("Café 🌱 Ωmega.md"), "Café 🌱 Ωmega.md");
        assert!(matches!(shown("plain.md"), Cow::Borrowed(_)));
        assert_eq!(shown("a\u{1b}[2Jb\u{7f}\u{9b}.md"), "a\\u{1b}[2Jb\\u{7f}\\u{9b}.md");
        assert_eq!(shown("x\ny\tz\r"), "x\\ny\\tz\\r");
        assert_eq!(shown("evil\u{202E}dm.exe"), "evil\\u{202e}dm.exe");
        assert_eq!(shown("\u{2066}a\u{2069}"), "\\u{2066}a\\u{2069}");
        let d = Diagnostic::new("bad\u{1b}]0;pwned\u{7}.md", 3, Severity::Error, Kind::Other, "`\u{1b}` here".into())
            .hint("see \u{202e}");
        let text = d.to_string();
        assert!(!text.chars().any(|c| c == '\u{1b}' || c == '\u{7}' || c == '\u{202e}'), "{text:?}");
        assert!(text.starts_with("bad\\u{1b}]0;pwned\\u{7}.md:3: error: `\\u{1b}` here\n  = help: see \\u{202e}"));
    }
}
