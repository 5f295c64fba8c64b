//! The subcommands, one file each. They do the I/O around the pure pipeline and print what happened.

pub mod build;
pub mod check;
pub mod clone;
pub mod import;
pub mod info;
pub mod init;
pub mod log;
pub mod repair;
pub mod serve;
pub mod sync;

use crate::diagnostic::{Diagnostic, Severity};

/// Prints every diagnostic to stderr, then returns (errors, warnings).
pub fn report(diagnostics: &[Diagnostic]) -> (usize, usize) {
    use std::io::Write;
    let mut errors = 0;
    let mut warnings = 0;
    // A garden can have thousands of warnings; one write per line would cost more than the build.
    let mut stderr = std::io::BufWriter::new(std::io::stderr().lock());
    // `-q` shows only errors; the warnings are still counted in the command's summary.
    let quiet = crate::logging::quiet();
    for d in diagnostics {
        match d.severity {
            Severity::Error => errors += 1,
            Severity::Warning => warnings += 1,
        }
        if !(quiet && d.severity == Severity::Warning) {
            let _ = writeln!(stderr, "{d}");
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
