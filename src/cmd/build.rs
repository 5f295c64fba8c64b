//! `loam build`: the garden to a static site in a folder.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context;

use crate::cmd::{plural, report};
use crate::garden::Layout;
use crate::output;
use crate::pipeline;
use crate::render::RenderOptions;

/// Builds the garden at `path` into `out` (else its `public/`); `base_url`, if given, in place of loam.toml's (a
/// preview deploy, a mirror at another address).
pub fn run(path: &Path, out: Option<&Path>, base_url: Option<&str>) -> anyhow::Result<()> {
    let layout = Layout::discover(path, out)?;
    let mut config = layout.config()?;
    if let Some(url) = base_url {
        config.set_base_url(url.to_string());
    }
    // Pages are written as they are rendered, from the rendering threads, so the site never sits in memory whole.
    let writer = output::Writer::open(&layout.out)?;
    let built =
        pipeline::build(&layout, &config, RenderOptions::default(), std::io::stderr().is_terminal(), &|file| {
            writer.put(file)
        })?;
    // Printing thousands of warnings and recording what was written are independent; do both at once.
    let (stats, (errors, warnings)) = rayon::join(|| writer.finish(), || report(&built.diagnostics));
    let stats = stats.with_context(|| format!("cannot write the site to `{}`", layout.out.display()))?;
    eprintln!(
        "built {} ({} published) into {}: {} ({} written, {} unchanged, {} removed), {}, {} in {:.2}s",
        plural(built.notes, "note"),
        built.published,
        layout.out.display(),
        plural(built.pages, "page"),
        stats.written,
        stats.unchanged,
        stats.removed,
        plural(warnings, "warning"),
        plural(errors, "error"),
        built.started.elapsed().as_secs_f64()
    );
    Ok(())
}
