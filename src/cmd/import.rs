//! `loam import`: records every note of a garden in its store (`.loam/`), or what changed since the last time.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;

use crate::cmd::plural;
use crate::garden::Layout;
use crate::store::{CaughtUp, Store};

pub fn run(path: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let layout = Layout::discover(path, None)?;
    let (store, done) = open_and_catch_up_showing(&layout, crate::logging::bar("recording", "notes"))?;
    if done.adopted > 0 {
        eprintln!("found {} in the history again (its bookkeeping had been lost)", plural(done.adopted, "note"));
    }
    eprintln!(
        "recorded {} in {:.2} s: {} new, {} changed, {} moved, {} deleted (author: {})",
        plural(store.paths().count(), "note"),
        started.elapsed().as_secs_f64(),
        done.added,
        done.changed,
        done.moved,
        done.deleted,
        store.author()
    );
    Ok(())
}

/// Opens the garden's store and records what changed in its notes since the store last saw them.
pub fn open_and_catch_up(layout: &Layout) -> anyhow::Result<(Store, CaughtUp)> {
    open_and_catch_up_showing(layout, indicatif::ProgressBar::hidden())
}

/// [`open_and_catch_up`], showing on `bar` how far recording goes.
fn open_and_catch_up_showing(layout: &Layout, bar: indicatif::ProgressBar) -> anyhow::Result<(Store, CaughtUp)> {
    let config = layout.config()?;
    let mut store = Store::open(&layout.root, &config.author.or_user())?;
    store.show_progress(bar);
    for damage in store.damage() {
        tracing::warn!("{damage}");
    }
    store.finish_writes(&layout.content).context("cannot put a note's merged text in place")?;
    let files = crate::store::recorder::files_to_record(layout)?;
    let done = store.catch_up(files).context("cannot record the notes' history")?;
    Ok((store, done))
}
