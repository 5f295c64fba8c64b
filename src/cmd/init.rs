//! `loam init`: a new garden with settings and a few sample notes, or settings for a vault that exists. It asks
//! nothing it can find itself (the author from `git config user.name`, else the login name; the title from the
//! folder's name) and never overwrites anything.

use std::path::Path;

use anyhow::{bail, Context};

/// `loam.toml` of a new garden titled `title`, by `author`, its notes in `content` (None: `content/`).
fn loam_toml(title: &str, author: &str, content: Option<&str>) -> String {
    let quoted = |text: &str| toml::Value::String(text.to_string()).to_string();
    let content = match content {
        Some(folder) => format!("# The notes: a vault of its own.\ncontent = {}\n", quoted(folder)),
        None => String::new(),
    };
    format!(
        r#"# Settings of this garden. Every key is optional; an unknown key is an error, so typos are caught.
title = {title}
description = "Notes, growing."
{content}# Where the site will be published; a sub-path such as https://example.org/garden/ works.
base_url = "/"
# "all" publishes every note except `draft: true` or `publish: false`; "explicit" only `publish: true`.
publish_mode = "all"

[author]
# Who the changes made on this device are by, in the history.
name = {author}
"#,
        title = quoted(title),
        author = quoted(author),
    )
}

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

/// Makes a garden in `dir`: `loam.toml` and sample notes in `content/`; with `vault`, only a `loam.toml` whose notes
/// are that folder's (in the vault itself when `dir` is the vault).
///
/// With `deploy`, also the files that host needs to publish the garden on every push; in a garden that exists
/// already, only those.
pub fn run(dir: &Path, vault: Option<&Path>, deploy: Option<super::deploy::Host>) -> anyhow::Result<()> {
    let config = dir.join("loam.toml");
    if let (Some(host), true, None) = (deploy, config.exists(), vault) {
        let title = crate::config::Config::load(&config).map(|c| c.title).unwrap_or_else(|_| title_of(dir));
        return super::deploy::write(dir, host, &title);
    }
    if config.exists() {
        bail!("`{}` already exists; `loam init` never overwrites a garden", config.display());
    }
    let author = author_name();
    // A folder that already holds notes (an Obsidian vault, a folder of Markdown) is published as it is: sample
    // notes in a content/ folder beside its own would be read instead of them.
    let found = if vault.is_none() { notes_in(dir) } else { 0 };
    let vault = vault.or((found > 0).then_some(dir));
    if let Some(vault) = vault {
        if !vault.is_dir() {
            bail!("`{}` is not a folder: `--vault` names the folder of an existing vault", vault.display());
        }
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
        let same = |a: &Path, b: &Path| a.canonicalize().ok().is_some_and(|a| b.canonicalize().is_ok_and(|b| a == b));
        // The vault as the garden's folder reads it: itself, or its whole path (a relative one would be read from
        // the garden's folder, not from where this ran).
        let content = match same(dir, vault) {
            true => ".".to_string(),
            false => vault.canonicalize().map_or_else(|_| vault.display().to_string(), |v| v.display().to_string()),
        };
        write_new(&config, &loam_toml(&title_of(vault), &author, Some(&content)))?;
        if found > 0 {
            let notes = if found == 1 { "a note".to_string() } else { format!("{found} notes") };
            eprintln!(
                "this folder already holds {notes}: wrote {} to publish them as they are (what `loam init --vault` \
                 does), and no sample notes",
                config.display()
            );
        } else {
            eprintln!("wrote {}: the notes are those of {}", config.display(), vault.display());
        }
    } else {
        let content = dir.join("content");
        if content.is_dir() && std::fs::read_dir(&content)?.next().is_some() {
            bail!("`{}` already has files; `loam init` never overwrites notes", content.display());
        }
        std::fs::create_dir_all(&content).with_context(|| format!("cannot create `{}`", content.display()))?;
        write_new(&config, &loam_toml(&title_of(dir), &author, None))?;
        for (name, text) in SAMPLES {
            let path = content.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            write_new(&path, text)?;
        }
        let place = if dir == Path::new(".") { "here".to_string() } else { format!("in {}", dir.display()) };
        eprintln!("created a garden {place}: loam.toml and {} sample notes in content/", SAMPLES.len());
    }
    if author.is_empty() {
        eprintln!("no author name found (git config user.name, $USER): set `name` under [author] in loam.toml");
    }
    if let Some(host) = deploy {
        super::deploy::write(dir, host, &title_of(vault.unwrap_or(dir)))?;
    }
    let here = dir.as_os_str().is_empty() || dir == Path::new(".");
    eprintln!("next:");
    if !here {
        eprintln!("  cd {}", shell_word(&dir.display().to_string()));
    }
    eprintln!("  loam serve    preview it as you write (it prints the address; every save is recorded)");
    eprintln!("  loam build    the static site, into public/");
    Ok(())
}

/// How many notes `dir` holds at its top, not counting a repository's own README and the like; at least one for
/// an Obsidian vault (its `.obsidian` folder), whose notes may all be in folders.
fn notes_in(dir: &Path) -> usize {
    const NOT_NOTES: [&str; 5] = ["readme.md", "changelog.md", "license.md", "contributing.md", "code_of_conduct.md"];
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let notes = entries
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|entry| entry.file_name().to_str().map(str::to_lowercase))
        .filter(|name| name.ends_with(".md") && !NOT_NOTES.contains(&name.as_str()))
        .count();
    if dir.join(".obsidian").is_dir() {
        notes.max(1)
    } else {
        notes
    }
}

/// Who writes here: `git config user.name`, else the login name, else nothing.
fn author_name() -> String {
    let git = std::process::Command::new("git").args(["config", "--get", "user.name"]).output();
    let from_git = git.ok().filter(|out| out.status.success()).map(|out| String::from_utf8_lossy(&out.stdout).into());
    [from_git, std::env::var("USER").ok(), std::env::var("USERNAME").ok()]
        .into_iter()
        .flatten()
        .map(|name: String| name.trim().to_string())
        .find(|name| !name.is_empty())
        .unwrap_or_default()
}

/// A title from a folder's name: `my-garden` reads "My garden".
fn title_of(dir: &Path) -> String {
    let name = dir.canonicalize().ok().and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()));
    let name = name.unwrap_or_default().replace(['-', '_'], " ");
    let name = name.trim();
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "My Garden".to_string(),
    }
}

/// `word` as a shell reads it back: quoted when it holds anything but letters, digits and `/._-~`.
fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_alphanumeric() || "/._-~".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Creates a file that must not exist yet.
pub(crate) fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    file.write_all(text.as_bytes()).with_context(|| format!("cannot write `{}`", path.display()))
}
