//! The subcommands, one file each. They do the I/O around the pure pipeline and print what happened.

pub mod build;
pub mod check;
pub mod init;

use crate::diagnostic::{Diagnostic, Severity};

/// Prints every diagnostic to stderr, then returns (errors, warnings).
pub fn report(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let mut errors = 0;
    let mut warnings = 0;
    for d in diagnostics {
        eprintln!("{d}");
        match d.severity {
            Severity::Error => errors += 1,
            Severity::Warning => warnings += 1,
        }
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
