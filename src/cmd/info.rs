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
                Some(address) => {
                    println!("address:  {address}");
                    let index = crate::store::address::id(&address).unwrap_or_default();
                    if !crate::store::address::every_relay_accepts(&index) {
                        println!(
                            "          (made before Loam gave ids every relay accepts: relays on automerge-repo 1.x \
                             refuse it, those on 2.x and Loam peers carry it)"
                        );
                    }
                    // What a newcomer runs to join, through each peer this garden syncs with: its settings', the
                    // one it was cloned from, and those `loam serve --peer` kept in step with.
                    let board = crate::sync::status::last_written(&layout.root.join(".loam")).unwrap_or_default();
                    let peers = config.sync.peers.iter().map(|peer| peer.url.clone());
                    let mut through: Vec<String> = peers
                        .chain([config.origin.clone()])
                        .chain(board.into_iter().map(|peer| peer.url))
                        .filter(|url| crate::cmd::sync::is_url(url))
                        .collect();
                    through.sort();
                    through.dedup();
                    for url in through {
                        println!("join:     loam clone {url} NEW-FOLDER --garden {address}");
                    }
                }
                None => println!("address:  none yet (the next `loam serve` or `loam import` makes it)"),
            }
        }
        Err(_) if !layout.root.join(".loam").exists() => {
            println!("history:  none yet (`loam serve` or `loam import` records it)")
        }
        // A history that is there but cannot be read is not "none": say what is damaged and what to do.
        Err(error) => println!("history:  damaged: {error:#}"),
    }
    // Where each peer stood when `loam serve` last told (it rewrites the board at each change).
    for peer in crate::sync::status::last_written(&layout.root.join(".loam")).unwrap_or_default() {
        let waiting = match peer.waiting {
            0 => String::new(),
            n => format!(", {} waiting to go out", plural(n, "note")),
        };
        println!("peer:     {} {} since {}{waiting}", peer.url, peer.state.words(), peer.since);
    }
    Ok(())
}
