//! `loam sync OTHER [PATH]`: exchanges history with another garden once, both ways, and prints what changed on
//! each side. OTHER is a garden folder on this machine (a shared drive, a USB stick, a second checkout); peers
//! over the network (`ws://…/sync`) come with the sync endpoint. Notes and attachments go both ways.

use std::path::Path;

use anyhow::{bail, Context};

use crate::cmd::import::open_and_catch_up;
use crate::garden::Layout;
use crate::store::merge::Merged;
use crate::store::Store;

pub fn run(other: &str, path: &Path) -> anyhow::Result<()> {
    if other.starts_with("ws://") || other.starts_with("wss://") || other.starts_with("http") {
        bail!("syncing with `{other}` over the network is not built yet; give the other garden's folder instead");
    }
    let other = other.strip_prefix("file://").unwrap_or(other);
    let ours = Layout::discover(path, None)?;
    let theirs = Layout::discover(Path::new(other), None)?;
    if ours.root.canonicalize().ok() == theirs.root.canonicalize().ok() {
        bail!("`{other}` is this garden itself");
    }
    let mut their_store = open(&theirs)?;
    // A garden without a history yet becomes a copy of the other: its address, and the other's notes taken in
    // before its own files are recorded (recording first would start an index of its own, which could not merge).
    let fresh = crate::store::address_of(&ours.root).is_none();
    let mut our_store = if fresh {
        crate::store::adopt_address(&ours.root, &theirs.root)?;
        Store::open(&ours.root, &ours.config()?.author.or_user())?
    } else {
        open(&ours)?
    };
    let here = our_store.merge_from(&theirs.root, &ours.content).context("cannot take in the other garden's notes")?;
    if fresh {
        our_store.catch_up(crate::store::recorder::files_to_record(&ours)?)?;
    }
    let there = their_store.merge_from(&ours.root, &theirs.content).context("cannot give the other garden ours")?;
    report("here", &ours, &here);
    report("there", &theirs, &there);
    Ok(())
}

/// A garden's store with everything on disk recorded, as `loam serve` has it after starting.
fn open(layout: &Layout) -> anyhow::Result<Store> {
    let (store, _) = open_and_catch_up(layout).with_context(|| format!("cannot record `{}`", layout.root.display()))?;
    Ok(store)
}

fn report(side: &str, layout: &Layout, merged: &Merged) {
    let count = |n: usize, what: &str| format!("{n} {what}");
    println!(
        "{side} ({}): {}, {}, {}, {}",
        layout.root.display(),
        count(merged.updated.len(), "updated"),
        count(merged.added.len(), "added"),
        count(merged.removed.len(), "removed"),
        count(merged.moved.len(), "moved")
    );
    for line in merged.lines() {
        println!("  {line}");
    }
    for (path, why) in &merged.refused {
        eprintln!("warning: {side}: `{path}` was not written: {why}");
    }
}
