//! `loam clone OTHER DIR`: a new garden at DIR from another one: its notes, attachments and whole history, with
//! the same address (it is the same garden), and a `loam.toml` that remembers where it came from. OTHER is a
//! peer's sync address (`ws://HOST:PORT/sync`) or a garden folder on this machine.

use std::path::Path;

use anyhow::{bail, Context};

use crate::cmd::plural;
use crate::diagnostic::shown;
use crate::garden::Layout;
use crate::store::Store;
use crate::sync::client::Client;

pub fn run(
    other: &str,
    dir: &Path,
    token: Option<String>,
    ca: Option<std::path::PathBuf>,
    garden: Option<String>,
) -> anyhow::Result<()> {
    if dir.exists() && std::fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
        bail!("`{}` is not empty; clone into a new folder", dir.display());
    }
    if crate::cmd::sync::is_url(other) {
        let client = crate::cmd::sync::client(ca, None)?;
        let existed = dir.exists();
        let cloned = over_network(&client, other, dir, crate::cmd::sync::peer_token(token), garden.as_deref());
        // A clone that took no note leaves the folder as it found it (absent or empty: everything in it is the
        // clone's), so that it can be run again as it was.
        if cloned.is_err() && dir.join("content").read_dir().map_or(true, |mut d| d.next().is_none()) {
            let _ = std::fs::remove_dir_all(dir);
            if existed {
                let _ = std::fs::create_dir(dir);
            }
        }
        return cloned;
    }
    if garden.is_some() {
        bail!("--garden names the garden to find at a peer's address; `{other}` is a folder");
    }
    let origin = Layout::discover(Path::new(other.strip_prefix("file://").unwrap_or(other)), None)?;
    let config = origin.config()?;
    // Everything on disk in the origin is in its history first, as `loam sync` does.
    drop(crate::cmd::import::open_and_catch_up(&origin)?);

    let content = dir.join("content");
    std::fs::create_dir_all(&content).with_context(|| format!("cannot create `{}`", content.display()))?;
    let origin_path = std::path::absolute(&origin.root)?;
    let settings = format!(
        "# Cloned from {}; `loam sync` with it exchanges changes.\ntitle = {}\norigin = {}\n",
        origin_path.display(),
        toml_string(&config.title),
        toml_string(&origin_path.to_string_lossy())
    );
    std::fs::write(dir.join("loam.toml"), settings)?;
    crate::store::adopt_address(dir, &origin.root)?;
    let layout = Layout::discover(dir, None)?;
    let mut ours = Store::open(&layout.root, &layout.config()?.author.or_user())?;
    let merged = ours.merge_from(&origin.root, &layout.content)?;
    println!(
        "cloned {} into {} ({})",
        plural(merged.added.len(), "file"),
        dir.display(),
        ours.address().unwrap_or_default()
    );
    for (path, why) in &merged.refused {
        tracing::warn!("`{}` was not written: {why}", shown(path));
    }
    Ok(())
}

/// `loam clone URL DIR`: the garden a peer serves, fetched over the network.
fn over_network(
    client: &Client,
    url: &str,
    dir: &Path,
    token: Option<String>,
    garden: Option<&str>,
) -> anyhow::Result<()> {
    let about = crate::sync::once::garden_at(client, url, token.as_deref(), garden, None)?;
    let Some(address) = about.index else { bail!("{url} has no history yet: nothing to clone") };
    // A relay says nothing of the garden: its title is the folder's name until the garden's own loam.toml says.
    let from_relay = about.title.is_none();
    let folder_name = || dir.file_name().map(|n| n.to_string_lossy().into_owned());
    let content = dir.join("content");
    std::fs::create_dir_all(&content).with_context(|| format!("cannot create `{}`", content.display()))?;
    let title = about.title.or_else(folder_name).unwrap_or_else(|| "A garden".to_string());
    let settings = format!(
        "# Cloned from {url}; `loam sync` with it exchanges changes, `loam serve --peer` keeps in step.\n\
         title = {}\norigin = {}\n",
        toml_string(&title),
        toml_string(url)
    );
    std::fs::write(dir.join("loam.toml"), settings)?;
    crate::store::adopt_url(dir, &address)?;
    let layout = Layout::discover(dir, None)?;
    let mut store = Store::open(&layout.root, &layout.config()?.author.or_user())?;
    let started = std::time::Instant::now();
    // Every document at once from a Loam peer; then the protocol, for whatever changed meanwhile (or for all of
    // it, from a peer that is not Loam).
    if !from_relay {
        crate::sync::once::take_bundle(client, &layout, &mut store, url, token.as_deref())?;
    }
    let exchanged = crate::sync::once::exchange(client, &layout, store, url, token);
    let (store, outcome) = exchanged.map_err(|error| match from_relay {
        true => error.context(format!(
            "{url} does not have the garden {address}: is a member's `loam serve --peer {url}` connected to it?"
        )),
        false => error,
    })?;
    let files = store.len().max(outcome.here.added.len());
    println!(
        "cloned {} into {} in {:.1} s ({address})",
        plural(files, "file"),
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    for (path, why) in &outcome.here.refused {
        tracing::warn!("`{}` was not written: {why}", shown(path));
    }
    if !outcome.stalled.is_empty() {
        bail!("{url} stopped answering before {} came; run `loam sync {url}` in the clone", outcome.stalled.join(", "));
    }
    if !outcome.missing.is_empty() {
        bail!(
            "{url} does not have {} of the garden yet (a relay holds what members' gardens gave it); run `loam sync \
             {url}` in the clone later",
            plural(outcome.missing.len(), "document")
        );
    }
    Ok(())
}

/// A TOML string literal.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}
