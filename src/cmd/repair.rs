//! `loam repair [PATH] [--from PEER]`: checks a garden's history (`.loam/`) and mends what it can, saying what it
//! did and what it could not recover. The notes themselves are never changed: they are the truth the history is
//! mended from.
//!
//! - Bookkeeping (`local.json`) lost or damaged: made again from the documents (each file is the document the
//!   index has at its path, at the heads where their texts agree).
//! - A document log's torn last frame (a crash): dropped.
//! - A document lost, emptied or damaged: set aside in `.loam/damaged/`, then fetched again from `--from` (a peer's
//!   sync address or a copy of the garden on this machine); without one, its note's history starts anew from its
//!   file, so that no sequence number of this device is ever used twice.
//! - The index damaged: set aside and fetched again from `--from`; without one, nothing can mend it.

use std::path::Path;

use anyhow::{bail, Context};

use crate::cmd::plural;
use crate::cmd::sync::is_url;
use crate::garden::Layout;
use crate::store::files::DocFiles;
use crate::store::Store;

pub fn run(
    path: &Path,
    from: Option<&str>,
    token: Option<String>,
    ca: Option<std::path::PathBuf>,
) -> anyhow::Result<bool> {
    let layout = Layout::discover(path, None)?;
    let dir = layout.root.join(".loam");
    if !dir.join("docs").is_dir() {
        bail!("`{}` has no history to repair (`loam import` records one)", layout.root.display());
    }
    let author = layout.config()?.author.or_user();
    let token = crate::cmd::sync::peer_token(token);
    let mut store = match Store::open(&layout.root, &author) {
        Ok(store) => store,
        Err(error) if error.downcast_ref::<crate::store::DamagedIndex>().is_some() && from.is_some() => {
            // The index is damaged: set aside, and taken again from the peer below.
            let moved = DocFiles::new(&dir, "index").set_aside(&dir.join("damaged"))?;
            println!("index: damaged ({error:#}); set aside as {}", shown(&moved));
            Store::open(&layout.root, &author)?
        }
        Err(error) => return Err(error),
    };
    let (checked, torn) = store.check()?;
    println!("checked {}", plural(checked, "document"));
    for path in &torn {
        println!("  {path}: a change cut short by a crash was dropped (the rest is kept)");
    }
    for damage in store.damage() {
        println!("  {}: damaged ({}); set aside", damage.path, damage.what);
    }
    if let Some(from) = from {
        fetch(&layout, &mut store, from, token.as_deref(), ca)?;
    }
    let unmended = store.unmended();
    let mended = store.damage().len() - unmended.len();
    if mended > 0 {
        println!("fetched {} again from {}", plural(mended, "note's history"), from.unwrap_or("a peer"));
    }
    for damage in &unmended {
        store
            .start_anew(&damage.path, &layout.content.join(&damage.path))
            .with_context(|| format!("cannot start the history of `{}` anew", damage.path))?;
        println!(
            "  {}: its history could not be recovered{}; it starts anew from the note as it is",
            damage.path,
            if from.is_some() { " from the peer" } else { " (no --from PEER given)" }
        );
    }
    // The bookkeeping, made again from the documents where it was lost, and what changed on disk meanwhile.
    let done = store.catch_up(crate::store::recorder::files_to_record(&layout)?)?;
    if done.adopted > 0 {
        println!("bookkeeping: {} found in the history again", plural(done.adopted, "note"));
    }
    println!(
        "recorded {} new, {} changed, {} moved, {} deleted; the history of {} is sound",
        done.added,
        done.changed,
        done.moved,
        done.deleted,
        plural(store.len(), "note")
    );
    Ok(true)
}

/// Takes in the peer's documents: a whole bundle from a Loam peer's address, or every document of a copy of the
/// garden on this machine.
fn fetch(
    layout: &Layout,
    store: &mut Store,
    from: &str,
    token: Option<&str>,
    ca: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    if is_url(from) {
        let client = crate::cmd::sync::client(ca, Some(layout))?;
        match crate::sync::once::take_bundle(&client, layout, store, from, token)? {
            Some(taken) => println!("took {} from {from}", plural(taken, "document")),
            None => bail!("{from} does not hand out its documents at once; sync with it (`loam sync {from}`)"),
        }
    } else {
        let other = Layout::discover(Path::new(from.strip_prefix("file://").unwrap_or(from)), None)?;
        let merged = store.merge_from(&other.root, &layout.content)?;
        crate::store::recorder::report(&merged);
        println!("took the history of {}", other.root.display());
    }
    Ok(())
}

fn shown(paths: &[std::path::PathBuf]) -> String {
    paths.iter().map(|p| format!("`{}`", p.display())).collect::<Vec<_>>().join(" and ")
}
