//! Problems found in a garden: what, where (file, line, column) and how to fix it. Pure data.

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

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// Path of the note relative to the content folder, with `/` separators.
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    pub kind: Kind,
    pub message: String,
    /// What the author can do about it.
    pub hint: String,
}

impl Diagnostic {
    pub fn new(path: &str, line: usize, severity: Severity, kind: Kind, message: String) -> Self {
        Diagnostic { path: path.to_string(), line, column: 0, severity, kind, message, hint: String::new() }
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

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{}", self.path)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        write!(f, ": {level}: {}", self.message)?;
        if !self.hint.is_empty() {
            write!(f, "\n  = help: {}", self.hint)?;
        }
        Ok(())
    }
}
