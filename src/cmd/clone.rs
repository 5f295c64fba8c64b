//! `loam clone OTHER DIR`: a new garden at DIR from another one: its notes, attachments and whole history, with
//! the same address (it is the same garden), and a `loam.toml` that remembers where it came from. OTHER is a
//! peer's sync address (`ws://HOST:PORT/sync`) or a garden folder on this machine.

use std::path::Path;

use anyhow::{bail, Context};

use crate::cmd::plural;
use crate::diagnostic::shown;
use crate::garden::Layout;
use crate::store::Store;

pub fn run(other: &str, dir: &Path, token: Option<String>) -> anyhow::Result<()> {
    if dir.exists() && std::fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
        bail!("`{}` is not empty; clone into a new folder", dir.display());
    }
    if crate::cmd::sync::is_url(other) {
        return over_network(other, dir, crate::cmd::sync::peer_token(token));
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
fn over_network(url: &str, dir: &Path, token: Option<String>) -> anyhow::Result<()> {
    let about = crate::sync::once::about(url, token.as_deref())?;
    let Some(address) = about.index else { bail!("{url} has no history yet: nothing to clone") };
    let content = dir.join("content");
    std::fs::create_dir_all(&content).with_context(|| format!("cannot create `{}`", content.display()))?;
    let title = about.title.unwrap_or_else(|| "A garden".to_string());
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
    crate::sync::once::take_bundle(&layout, &mut store, url, token.as_deref())?;
    let (store, outcome) = crate::sync::once::exchange(&layout, store, url, token)?;
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
    Ok(())
}

/// A TOML string literal.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}
