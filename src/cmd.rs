//! The subcommands, one file each. They do the I/O around the pure pipeline and print what happened.

pub mod build;
pub mod check;
pub mod clone;
pub mod deploy;
pub mod import;
pub mod info;
pub mod init;
pub mod log;
pub mod repair;
pub mod serve;
pub mod sync;

use std::path::{Path, PathBuf};

use crate::diagnostic::{Base, Diagnostic, Kind, Severity};
use crate::garden::Layout;

/// How a command names a garden's files in what it prints: from the folder it runs in, so that a path can be
/// opened as it is shown (`content/bees.md` from the garden's root, `bees.md` from its notes folder).
#[derive(Debug, Clone, Default)]
pub struct Paths {
    /// What goes before a path relative to the notes folder (`content/`, `../vault/`, or nothing).
    notes: String,
    /// What goes before a path relative to the garden's root.
    root: String,
}

impl Paths {
    pub fn of(layout: &Layout) -> Paths {
        let here = std::env::current_dir().and_then(|d| d.canonicalize()).ok();
        Paths { notes: prefix(here.as_deref(), &layout.content), root: prefix(here.as_deref(), &layout.root) }
    }

    /// A folder or file of the garden (the output folder) as named from where the command runs.
    pub fn named(path: &Path) -> String {
        let here = std::env::current_dir().and_then(|d| d.canonicalize()).ok();
        let named = prefix(here.as_deref(), path);
        match named.trim_end_matches('/') {
            "" => ".".to_string(),
            named => named.to_string(),
        }
    }

    /// What goes before a path relative to the notes folder.
    pub fn notes(&self) -> &str {
        &self.notes
    }

    /// What goes before the path of `diagnostic`.
    pub fn prefix(&self, diagnostic: &Diagnostic) -> &str {
        match diagnostic.base {
            Base::Notes => &self.notes,
            Base::Root => &self.root,
        }
    }
}

/// `dir` named from `here` followed by `/`: inside it, or up to two folders up and down again; else whole.
fn prefix(here: Option<&Path>, dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let relative = here.and_then(|here| relative_path(here, &dir)).unwrap_or_else(|| dir.clone());
    let text = relative.to_string_lossy();
    let text = text.trim_end_matches('/');
    match text.is_empty() {
        true => String::new(),
        false => format!("{text}/"),
    }
}

/// `dir` from `here`, if it is inside it or up to two folders above (not through `/`).
fn relative_path(here: &Path, dir: &Path) -> Option<PathBuf> {
    let mut up = PathBuf::new();
    let mut base = here;
    for _ in 0..=2 {
        if let Ok(rest) = dir.strip_prefix(base) {
            return Some(up.join(rest));
        }
        base = base.parent().filter(|parent| parent.parent().is_some())?;
        up.push("..");
    }
    None
}

/// Up to this many warnings are all printed; more are grouped by kind.
const ALL_UP_TO: usize = 20;

/// How many of each kind of warning are printed when they are grouped.
const FIRST_OF_EACH: usize = 3;

/// Prints the diagnostics to stderr, each path named by `paths`, then returns (errors, warnings). Every error
/// is printed; the warnings too when there are few, or `every` (`loam check`) or `-v` asks for them all, else
/// grouped by kind: how many of each, and the first few. `-q` prints no warnings (they are still counted).
pub fn report(diagnostics: &[Diagnostic], paths: &Paths, every: bool) -> (usize, usize) {
    use std::io::Write;
    let warnings = diagnostics.iter().filter(|d| d.severity == Severity::Warning).count();
    let errors = diagnostics.len() - warnings;
    let quiet = crate::logging::quiet();
    let color = crate::logging::colored(&std::io::stderr());
    // A garden can have thousands of warnings; one write per line would cost more than the build.
    let mut stderr = std::io::BufWriter::new(std::io::stderr().lock());
    let print = |stderr: &mut dyn Write, d: &Diagnostic| {
        let mut line = String::new();
        let _ = d.write(&mut line, paths.prefix(d), color);
        let _ = writeln!(stderr, "{line}");
    };
    let grouped = !every && !crate::logging::verbose() && warnings > ALL_UP_TO;
    for d in diagnostics.iter().filter(|d| d.severity == Severity::Error || (!quiet && !grouped)) {
        print(&mut stderr, d);
    }
    if grouped && !quiet {
        let mut kinds: Vec<(Kind, Vec<&Diagnostic>)> = Vec::new();
        for d in diagnostics.iter().filter(|d| d.severity == Severity::Warning) {
            match kinds.iter_mut().find(|(kind, _)| *kind == d.kind) {
                Some((_, of_kind)) => of_kind.push(d),
                None => kinds.push((d.kind, vec![d])),
            }
        }
        // The most frequent kind first; the same count in the order of the kinds.
        kinds.sort_by_key(|(kind, of_kind)| (std::cmp::Reverse(of_kind.len()), *kind));
        let counts: Vec<String> = kinds.iter().map(|(kind, of_kind)| kind.count(of_kind.len())).collect();
        for (kind, of_kind) in &kinds {
            let _ = writeln!(
                stderr,
                "\n{}{}:",
                kind.count(of_kind.len()),
                match of_kind.len() > FIRST_OF_EACH {
                    true => format!(", the first {FIRST_OF_EACH}"),
                    false => String::new(),
                }
            );
            of_kind.iter().take(FIRST_OF_EACH).for_each(|d| print(&mut stderr, d));
        }
        let _ = writeln!(
            stderr,
            "\n{} in all: {} (every one: -v, or `loam check`)",
            plural(warnings, "warning"),
            counts.join(", ")
        );
    }
    (errors, warnings)
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
