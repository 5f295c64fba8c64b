//! `loam check`: every problem in the garden, and a non-zero exit if any would fail a CI run.

use std::path::Path;

use crate::cmd::{plural, report};
use crate::garden::Layout;
use crate::pipeline;
use crate::render::RenderOptions;

/// Returns whether the garden passed.
pub fn run(path: &Path) -> anyhow::Result<bool> {
    let layout = Layout::discover(path, None)?;
    let config = layout.config()?;
    let built = pipeline::build(&layout, &config, RenderOptions::default(), false, &drop)?;
    let (errors, warnings) = report(&built.diagnostics);
    let broken = built.diagnostics.iter().filter(|d| d.kind == crate::diagnostic::Kind::BrokenLink).count();
    let failed = built.diagnostics.iter().any(|d| d.fails_check());
    eprintln!(
        "checked {} ({} published): {}, {} ({} broken links)",
        plural(built.notes, "note"),
        built.published,
        plural(errors, "error"),
        plural(warnings, "warning"),
        broken
    );
    Ok(!failed)
}
