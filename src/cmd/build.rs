//! `loam build`: the garden to a static site in a folder.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context;

use crate::cmd::{plural, report, Paths};
use crate::garden::Layout;
use crate::output;
use crate::pipeline;

/// Builds the garden at `path` into `out` (else its `public/`); `base_url`, if given, in place of loam.toml's (a
/// preview deploy, a mirror at another address). Returns whether the build succeeded: with an error (a note that
/// cannot be published, a template that fails) it did not, unless `keep_going` wrote the rest of the site
/// regardless; without `keep_going`, an error found before rendering stops the build before it writes anything.
/// What `loam build`'s flags ask for beyond where and for which address.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `--keep-going`: write the rest of the site when a note has an error.
    pub keep_going: bool,
    /// `--gzip`: a gzipped copy beside each text file.
    pub gzip: bool,
}

pub fn run(path: &Path, out: Option<&Path>, base_url: Option<&str>, options: Options) -> anyhow::Result<bool> {
    let Options { keep_going, gzip } = options;
    let layout = Layout::discover(path, out)?;
    let mut config = layout.config()?;
    if let Some(url) = base_url {
        config.set_base_url(url.to_string());
    }
    let paths = Paths::of(&layout);
    // Pages are written as they are rendered, from the rendering threads, so the site never sits in memory whole.
    let writer = output::Writer::open(&layout.out)?.with_gzip(gzip);
    let progress = std::io::stderr().is_terminal() && !crate::logging::quiet();
    let run = pipeline::Options { progress, keep_going, ..Default::default() };
    let built = pipeline::build(&layout, &config, run, &|file| writer.put(file))?;
    if built.stopped {
        let (errors, warnings) = report(&built.diagnostics, &paths, false);
        eprintln!(
            "nothing was written to {}: {} ({}) in {} ({} published); `loam build --keep-going` writes the rest \
             of the site regardless",
            Paths::named(&layout.out),
            plural(errors, "error"),
            plural(warnings, "warning"),
            plural(built.notes, "note"),
            built.published,
        );
        return Ok(false);
    }
    // Printing thousands of warnings and recording what was written are independent; do both at once.
    let (stats, (errors, warnings)) = rayon::join(|| writer.finish(), || report(&built.diagnostics, &paths, false));
    let stats = stats.with_context(|| format!("cannot write the site to `{}`", layout.out.display()))?;
    eprintln!(
        "built {} ({} published) into {}: {} ({} written, {} unchanged, {} removed), {}, {} in {:.2}s",
        plural(built.notes, "note"),
        built.published,
        Paths::named(&layout.out),
        plural(built.pages, "page"),
        stats.written,
        stats.unchanged,
        stats.removed,
        plural(warnings, "warning"),
        plural(errors, "error"),
        built.started.elapsed().as_secs_f64()
    );
    match (errors, keep_going) {
        (0, _) => Ok(true),
        (_, true) => {
            eprintln!(
                "kept going past {}: what it names is left out of the site (--keep-going)",
                plural(errors, "error")
            );
            Ok(true)
        }
        (_, false) => {
            eprintln!("the build failed: {} (above); the rest of the site was written", plural(errors, "error"));
            Ok(false)
        }
    }
}
