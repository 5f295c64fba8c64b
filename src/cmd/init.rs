//! `loam init`: a new garden with settings and a few sample notes. It never overwrites anything.

use std::path::Path;

use anyhow::{bail, Context};

const LOAM_TOML: &str = r#"# Settings of this garden. Every key is optional; an unknown key is an error, so typos are caught.
title = "My Garden"
description = "Notes, growing."
# Where the site will be published; a sub-path such as https://example.org/garden/ works.
base_url = "/"
# "all" publishes every note except `draft: true` or `publish: false`; "explicit" only `publish: true`.
publish_mode = "all"

[author]
name = ""
"#;

const SAMPLES: &[(&str, &str)] = &[
    (
        "index.md",
        "---\ntitle: Welcome\ndescription: The home page of this garden.\ntags: [start]\n---\n\n# Welcome\n\nThis garden is a folder of Markdown notes. Write in any editor, then run `loam build`.\n\n- Start with [[first-note|your first note]].\n- See how [[ideas/linking]] works.\n\n> [!tip] Tip\n> Link notes with `[[double brackets]]`; Loam finds them by name, case-insensitively.\n",
    ),
    (
        "first-note.md",
        "---\ntitle: My first note\ncreated: 2026-01-01\ntags: [start, writing]\n---\n\nA note can link to [[index|the home page]] by its file name or title alias, and carry #ideas/seedling tags.\n\n==Highlights==, %%hidden comments%% and footnotes[^1] work too.\n\n[^1]: Like this one.\n",
    ),
    (
        "ideas/linking.md",
        "---\ntitle: Linking\naliases: [links]\n---\n\n## Wikilinks\n\n`[[Note]]`, `[[Note|label]]`, `[[Note#Heading]]` and `![[Note]]` all work. This sentence links back to [[first-note]]. ^linking-basics\n\n## Drafts\n\nA note with `draft: true` in its frontmatter is not published.\n",
    ),
    ("ideas/draft.md", "---\ntitle: An unfinished thought\ndraft: true\n---\n\nNot published until `draft: true` goes.\n"),
];

pub fn run(dir: &Path) -> anyhow::Result<()> {
    let config = dir.join("loam.toml");
    if config.exists() {
        bail!("`{}` already exists; `loam init` never overwrites a garden", config.display());
    }
    let content = dir.join("content");
    if content.is_dir() && std::fs::read_dir(&content)?.next().is_some() {
        bail!("`{}` already has files; `loam init` never overwrites notes", content.display());
    }
    std::fs::create_dir_all(&content).with_context(|| format!("cannot create `{}`", content.display()))?;
    write_new(&config, LOAM_TOML)?;
    for (name, text) in SAMPLES {
        let path = content.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        write_new(&path, text)?;
    }
    eprintln!("created a garden in {}: loam.toml and {} sample notes in content/", dir.display(), SAMPLES.len());
    eprintln!("next: loam build {}", dir.display());
    Ok(())
}

/// Creates a file that must not exist yet.
fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    file.write_all(text.as_bytes()).with_context(|| format!("cannot write `{}`", path.display()))
}
