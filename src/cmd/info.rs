//! `loam info`: what a garden is: where its notes are, how many, its history, and its address for peers.

use std::path::Path;

use crate::cmd::plural;
use crate::garden::Layout;
use crate::store::Store;

pub fn run(path: &Path) -> anyhow::Result<()> {
    let layout = Layout::discover(path, None)?;
    let config = layout.config()?;
    let scan = layout.scan(|source| source.path)?;
    println!("garden:   {} ({:?})", layout.root.display(), config.title);
    println!(
        "notes:    {} and {} in {}",
        plural(scan.notes.len(), "note"),
        plural(scan.attachments.len(), "attachment"),
        layout.content.display()
    );
    match Store::open_read_only(&layout.root) {
        Ok(store) => {
            println!(
                "history:  {} (notes and attachments) recorded in {}",
                plural(store.len(), "file"),
                layout.root.join(".loam").display()
            );
            match store.address() {
                Some(address) => println!("address:  {address}"),
                None => println!("address:  none yet (the next `loam serve` or `loam import` makes it)"),
            }
        }
        Err(_) if !layout.root.join(".loam").exists() => {
            println!("history:  none yet (`loam serve` or `loam import` records it)")
        }
        // A history that is there but cannot be read is not "none": say what is damaged and what to do.
        Err(error) => println!("history:  damaged: {error:#}"),
    }
    Ok(())
}
