//! `loam check`: every problem in the garden, and a non-zero exit if any would fail a CI run.

use std::path::Path;

use crate::cmd::{plural, report, Paths};
use crate::diagnostic::Kind;
use crate::garden::Layout;
use crate::pipeline;

/// Returns whether the garden passed: no errors and no broken links. Its last line says which.
pub fn run(path: &Path) -> anyhow::Result<bool> {
    let layout = Layout::discover(path, None)?;
    let config = layout.config()?;
    let options = pipeline::Options { keep_going: true, ..Default::default() };
    let built = pipeline::build(&layout, &config, options, &drop)?;
    let (errors, warnings) = report(&built.diagnostics, &Paths::of(&layout), true);
    let broken = built.diagnostics.iter().filter(|d| d.kind == Kind::BrokenLink).count();
    let failing: Vec<String> = [(errors, "error"), (broken, "broken link")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| plural(n, what))
        .collect();
    eprintln!(
        "checked {} ({} published): {}, {} ({} broken links)",
        plural(built.notes, "note"),
        built.published,
        plural(errors, "error"),
        plural(warnings, "warning"),
        broken
    );
    let passed = !built.diagnostics.iter().any(crate::diagnostic::Diagnostic::fails_check);
    match passed {
        true => eprintln!("check passed: no errors and no broken links"),
        false => eprintln!("check failed: {} (listed above)", failing.join(" and ")),
    }
    Ok(passed)
}
