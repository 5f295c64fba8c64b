//! `loam sync OTHER [PATH]`: exchanges history with another garden once, both ways, and prints what changed on
//! each side. OTHER is a peer's sync address (`ws://HOST:PORT/sync`, the `/sync` of a `loam serve` or any
//! automerge-repo relay that carries the garden) or a garden folder on this machine (a shared drive, a USB
//! stick, a second checkout). Notes and attachments go both ways.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::cmd::import::open_and_catch_up;
use crate::diagnostic::shown;
use crate::garden::Layout;
use crate::store::merge::Merged;
use crate::store::Store;
use crate::sync::client::Client;

/// The token for a peer: the one given, else `LOAM_PEER_TOKEN`.
pub fn peer_token(given: Option<String>) -> Option<String> {
    given.or_else(|| std::env::var("LOAM_PEER_TOKEN").ok()).filter(|t| !t.is_empty())
}

/// How a command reaches peers: trusting the private authority `ca` (from `--ca`), else the garden's `[sync] ca`,
/// else `LOAM_CA`, besides the platform's and the bundled ones.
pub fn client(ca: Option<PathBuf>, garden: Option<&Layout>) -> anyhow::Result<Client> {
    let configured = garden.and_then(|layout| Some((layout.root.as_path(), layout.config().ok()?.sync.ca?)));
    let configured = configured.as_ref().map(|(root, ca)| (*root, ca.as_str()));
    Client::new(crate::sync::client::authority(ca, configured).as_deref())
}

/// Whether `other` names a peer over the network rather than a folder.
pub fn is_url(other: &str) -> bool {
    ["ws://", "wss://", "http://", "https://"].iter().any(|scheme| other.starts_with(scheme))
}

pub fn run(
    other: &str,
    path: &Path,
    token: Option<String>,
    ca: Option<PathBuf>,
    garden: Option<String>,
) -> anyhow::Result<()> {
    if is_url(other) {
        return over_network(other, path, peer_token(token), ca, garden.as_deref());
    }
    if garden.is_some() {
        bail!("--garden names the garden to find at a peer's address; `{other}` is a folder");
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

/// `loam sync URL`: one exchange with a peer over the network.
fn over_network(
    url: &str,
    path: &Path,
    token: Option<String>,
    ca: Option<PathBuf>,
    garden: Option<&str>,
) -> anyhow::Result<()> {
    let ours = Layout::discover(path, None)?;
    let client = client(ca, Some(&ours))?;
    let address = crate::store::address_of(&ours.root);
    let about = crate::sync::once::garden_at(&client, url, token.as_deref(), garden, address.as_deref())?;
    let Some(theirs) = about.index else { bail!("{url} has no history yet: nothing to sync") };
    let fresh = address.is_none();
    if fresh {
        crate::store::adopt_url(&ours.root, &theirs)?;
    }
    // A garden without a history takes in the peer's before its own files are recorded (recording first would
    // start an index of its own, which could not merge), then sends what it recorded.
    let store = if fresh { Store::open(&ours.root, &ours.config()?.author.or_user())? } else { open(&ours)? };
    let (mut store, mut outcome) = crate::sync::once::exchange(&client, &ours, store, url, token.clone())?;
    if fresh {
        let recorded = store.catch_up(crate::store::recorder::files_to_record(&ours)?)?;
        if recorded != Default::default() {
            let (_, again) = crate::sync::once::exchange(&client, &ours, store, url, token)?;
            outcome.here.extend(again.here);
            outcome.sent.extend(again.sent);
            outcome.refused.extend(again.refused);
            outcome.stalled.extend(again.stalled);
            outcome.missing = again.missing;
            outcome.exchanged = again.exchanged.map(|n| n + outcome.exchanged.unwrap_or(0));
        }
    }
    report("here", &ours, &outcome.here);
    match outcome.exchanged {
        // A relay cannot say what it holds: its ledger did, and only the documents that differ were exchanged.
        Some(exchanged) => println!(
            "there ({url}): {} sent; {} exchanged, the others the same on both sides as the relay's ledger says",
            outcome.sent.len(),
            crate::cmd::plural(exchanged, "document")
        ),
        None => println!("there ({url}): {} sent", outcome.sent.len()),
    }
    for path in &outcome.sent {
        println!("  sent     {}", shown(path));
    }
    if !outcome.refused.is_empty() {
        tracing::warn!(
            "{url} does not take changes to these notes from this garden (a read-only token, or one that may not \
             write there): {} not sent, kept here: {}",
            crate::cmd::plural(outcome.refused.len(), "note"),
            shown(&outcome.refused.join(", "))
        );
    }
    if !outcome.missing.is_empty() {
        tracing::warn!(
            "{} the garden's index names came from neither side ({url} has not been given them yet): run `loam \
             sync` again later",
            crate::cmd::plural(outcome.missing.len(), "note")
        );
    }
    if !outcome.stalled.is_empty() {
        bail!(
            "{url} stopped answering for {}: {}; run `loam sync` again",
            crate::cmd::plural(outcome.stalled.len(), "note"),
            shown(&outcome.stalled.join(", "))
        );
    }
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
        tracing::warn!("{side}: `{}` was not written: {why}", shown(path));
    }
}
