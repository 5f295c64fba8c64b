//! `loam clone OTHER DIR`: a new garden at DIR from another one: its notes, attachments and whole history, with
//! the same address (it is the same garden), and a `loam.toml` that remembers where it came from. OTHER is a
//! garden folder on this machine; a peer over the network comes with the sync endpoint.

use std::path::Path;

use anyhow::{bail, Context};

use crate::cmd::plural;
use crate::garden::Layout;
use crate::store::Store;

pub fn run(other: &str, dir: &Path) -> anyhow::Result<()> {
    if other.starts_with("ws://") || other.starts_with("wss://") || other.starts_with("http") {
        bail!("cloning `{other}` over the network is not built yet; give the other garden's folder instead");
    }
    let origin = Layout::discover(Path::new(other.strip_prefix("file://").unwrap_or(other)), None)?;
    if dir.exists() && std::fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
        bail!("`{}` is not empty; clone into a new folder", dir.display());
    }
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
        eprintln!("warning: `{path}` was not written: {why}");
    }
    Ok(())
}

/// A TOML string literal.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}
