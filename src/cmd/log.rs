//! `loam log`, `loam show`, `loam diff` and `loam blame`: the history of a note (or of the whole garden) from the
//! store, a note as it was at a time or change, what changed between two versions, and who wrote each line.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rayon::prelude::*;

use similar::ChangeTag;

use crate::diagnostic::shown;
use crate::garden::Layout;
use crate::history::Piece;
use crate::store::{Store, Version};

/// The largest text whose changes `loam log` summarises in a line.
const SUMMARISED: usize = 1 << 20;

/// What the preview's live editing view names its changes (`serve/http/edit.js`): one per keystroke.
const LIVE_EDIT: &str = "live edit";

/// The garden a path is in, the way git finds its repository: the nearest folder above it that holds `.loam/`;
/// and the path of the note relative to the garden's content folder, if `path` is a file.
fn find(path: &Path) -> anyhow::Result<(Layout, Option<String>)> {
    // A note named from the notes folder where no such file is here (`loam log bees.md` at the garden's root,
    // its notes in content/), as the history names it.
    if path.is_relative() && !path.exists() {
        if let Some(found) = in_notes_folder(path) {
            return Ok(found);
        }
    }
    // The real path, as the garden's folders are (a note deleted since has none: its folder's is used).
    let absolute = crate::garden::real_path(path).with_context(|| format!("cannot resolve `{}`", path.display()))?;
    let start =
        if absolute.is_dir() { absolute.clone() } else { absolute.parent().map(Path::to_path_buf).unwrap_or_default() };
    let root: PathBuf =
        start.ancestors().find(|dir| dir.join(".loam").is_dir()).map(Path::to_path_buf).with_context(|| {
            format!(
                "`{}` is in no garden with a history (run `loam import` or `loam serve` in the garden first)",
                path.display()
            )
        })?;
    let layout = Layout::discover(&root, None)?;
    let note = if absolute.is_dir() {
        None
    } else {
        if !absolute.starts_with(&layout.content) {
            bail!("`{}` is not in the garden's notes folder `{}`", path.display(), layout.content.display());
        }
        Some(layout.relative(&absolute))
    };
    Ok((layout, note))
}

/// The garden around the current folder and the note at `path` in its notes folder, if there is such a file.
fn in_notes_folder(path: &Path) -> Option<(Layout, Option<String>)> {
    let here = std::env::current_dir().ok()?;
    let root = here.ancestors().find(|dir| dir.join(".loam").is_dir())?;
    let layout = Layout::discover(root, None).ok()?;
    let absolute = crate::garden::real_path(&layout.content.join(path)).ok()?;
    let note = (absolute.is_file() && absolute.starts_with(&layout.content)).then(|| layout.relative(&absolute))?;
    Some((layout, Some(note)))
}

fn open(layout: &Layout) -> anyhow::Result<Store> {
    Store::open_read_only(&layout.root)
}

/// `loam log [NOTE] [--patch]`.
pub fn run(path: &Path, patch: bool) -> anyhow::Result<()> {
    let (layout, note) = find(path)?;
    let store = open(&layout)?;
    // Paths are printed as they are given: the note as typed, or each of a folder's from where this runs.
    let given = shown(&path.to_string_lossy()).into_owned();
    let prefix = crate::cmd::Paths::of(&layout).notes().to_string();
    let single = note.is_some();
    let named = |path: &str| if single { given.clone() } else { format!("{}{}", shown(&prefix), shown(path)) };
    let paths: Vec<String> = match note {
        Some(note) => {
            if store.entry(&note).is_none() {
                bail!("`{given}` has no history yet");
            }
            vec![note]
        }
        None => store.paths().map(str::to_string).collect(),
    };
    // (time, path, place in the note's history, version, how many changes it stands for, the version before it),
    // newest first.
    // Each note's document is loaded on its own, so the whole garden's history loads on all cores.
    let histories: Vec<anyhow::Result<Vec<Version>>> = paths.par_iter().map(|path| store.history(path)).collect();
    let mut lines: Vec<(i64, String, usize, Version, usize, Option<String>)> = Vec::new();
    let mut damaged = 0;
    for (path, history) in paths.iter().zip(histories) {
        let history = match history {
            Ok(history) => history,
            // One damaged document does not hide the rest of the garden's history; it is named at the end.
            Err(error) if paths.len() > 1 => {
                eprintln!("warning: the history of `{}` cannot be read: {error:#}", named(path));
                damaged += 1;
                continue;
            }
            Err(error) => return Err(error.context(format!("cannot read the history of `{}`", named(path)))),
        };
        let mut before: Option<String> = None;
        for (n, (version, count)) in typing_runs(history).into_iter().enumerate() {
            let previous = before.replace(version.text.clone());
            lines.push((version.time, path.clone(), n, version, count, previous));
        }
    }
    lines.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(b.2.cmp(&a.2)));
    let mut out = String::new();
    for (time, path, _, version, count, previous) in &lines {
        let old = previous.as_deref().unwrap_or("");
        let (added, removed) = counts(old, &version.text);
        // What it did, in a line: "added “…” in “Section”" (the kind says it for a move, a deletion, a merge).
        // Not for a note of megabytes, whose lines are already compared once above.
        let small = version.text.len() < SUMMARISED && previous.as_ref().is_none_or(|p| p.len() < SUMMARISED);
        let said = if small { crate::history::summary(previous.as_deref(), version) } else { String::new() };
        let said = match said.as_str() {
            "" | "moved" | "deleted" | "created" => String::new(),
            _ if version.about.kind.starts_with("merge") => String::new(),
            _ => format!("  {}", shown(&said)),
        };
        out.push_str(&format!(
            "{}  {}  {}  {}  +{added} -{removed}  {}{}{said}\n",
            &version.hash.to_string()[..8],
            when(*time),
            // A merge every peer makes alike names no author (`store::frontmatter`), nor does a JavaScript peer.
            // What a peer calls its author is shown, not obeyed: no control character reaches the terminal.
            if version.about.author.is_empty() { "-".into() } else { shown(&version.about.author) },
            named(path),
            shown(&version.about.kind),
            if *count > 1 { format!(" ({count} changes)") } else { String::new() }
        ));
        if patch {
            let diff = similar::TextDiff::from_lines(old, &version.text);
            out.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{}", named(path)), &format!("b/{}", named(path)))
                    .to_string(),
            );
            out.push('\n');
        }
    }
    print!("{out}");
    if damaged > 0 {
        bail!(
            "the history of {} could not be read (above); run `loam repair` in the garden",
            crate::cmd::plural(damaged, "note")
        );
    }
    Ok(())
}

/// A note's history with each run of live edits (`LIVE_EDIT`: a change per keystroke, from the preview's editor),
/// each within a minute of the one before, as one version: the run's last, by every author who typed in it (in
/// the order they first did), with how many changes it stands for. People typing at once interleave their
/// changes, so a run is not one author's. Every other change stands alone.
fn typing_runs(history: Vec<Version>) -> Vec<(Version, usize)> {
    let mut runs: Vec<(Version, usize)> = Vec::new();
    for mut version in history {
        if let Some((last, count)) = runs.last_mut() {
            let typing = |v: &Version| v.about.kind == LIVE_EDIT;
            if typing(last) && typing(&version) && (0..=60).contains(&(version.time - last.time)) {
                let mut authors: Vec<&str> = last.about.author.split(", ").filter(|a| !a.is_empty()).collect();
                if !version.about.author.is_empty() && !authors.contains(&version.about.author.as_str()) {
                    authors.push(&version.about.author);
                }
                version.about.author = authors.join(", ");
                *last = version;
                *count += 1;
                continue;
            }
        }
        runs.push((version, 1));
    }
    runs
}

/// `loam show NOTE --at TIME|CHANGE`: the note's text as it was.
pub fn show(path: &Path, at: &str) -> anyhow::Result<()> {
    let (layout, note) = find(path)?;
    let note = note.with_context(|| format!("`{}` is a folder; give a note's file", path.display()))?;
    let store = open(&layout)?;
    let history = store.history(&note)?;
    let version = version_at(&path.to_string_lossy(), &history, at)?;
    print!("{}", history[version].text);
    Ok(())
}

/// The version of `history` that `at` names: a change (its hash, or the start of it) or a time (the version then).
fn version_at(note: &str, history: &[Version], at: &str) -> anyhow::Result<usize> {
    let found = match parse_time(at) {
        Some(time) => history.iter().rposition(|v| v.time <= time),
        None => history.iter().position(|v| v.hash.to_string().starts_with(&at.to_ascii_lowercase())),
    };
    found.with_context(|| {
        format!(
            "`{note}` has no version at `{at}` (give a change from `loam log`, or a time like 2026-11-29T18:00:00Z)"
        )
    })
}

/// `loam diff NOTE [--from X] [--to Y] [--source]`: what changed in a note between two versions (by default, the
/// last change): word by word in its text as read (its properties as written, then its body rendered and read as
/// text), or with `--source` line by line in its Markdown.
pub fn diff(path: &Path, from: Option<&str>, to: Option<&str>, source: bool) -> anyhow::Result<()> {
    let (layout, note) = find(path)?;
    let note = note.with_context(|| format!("`{}` is a folder; give a note's file", path.display()))?;
    let store = open(&layout)?;
    let history = store.history(&note)?;
    // The note as it was given, in what is printed.
    let named = shown(&path.to_string_lossy()).into_owned();
    if history.is_empty() {
        bail!("`{named}` has no history yet");
    }
    let to = match to {
        Some(at) => version_at(&named, &history, at)?,
        None => history.len() - 1,
    };
    let from = match from {
        Some(at) => Some(version_at(&named, &history, at)?),
        None => to.checked_sub(1),
    };
    let (old, new) = (from.map_or("", |from| history[from].text.as_str()), history[to].text.as_str());
    let color = crate::logging::colored(&std::io::stdout());
    let name = |at: Option<usize>| match at {
        Some(at) => {
            let v = &history[at];
            format!("{}  {}  {}", &v.hash.to_string()[..8], when(v.time), shown(&v.about.author))
        }
        None => "(nothing: the note's first version)".into(),
    };
    let mut out = format!("--- {named}  {}\n+++ {named}  {}\n", name(from), name(Some(to)));
    if source {
        for hunk in crate::history::line_diff(old, new, 3) {
            let (first_old, first_new) =
                hunk.iter().fold((None, None), |(o, n), line| (o.or(line.old), n.or(line.new)));
            out.push_str(&paint(
                color,
                CYAN,
                &format!("@@ -{} +{} @@", first_old.unwrap_or(0), first_new.unwrap_or(0)),
            ));
            out.push('\n');
            for line in hunk {
                let (sign, tint) = match line.tag {
                    ChangeTag::Delete => ('-', RED),
                    ChangeTag::Insert => ('+', GREEN),
                    ChangeTag::Equal => (' ', ""),
                };
                out.push(sign);
                for (changed, text) in &line.parts {
                    let text = shown(text);
                    match (color, *changed) {
                        (true, true) => out.push_str(&paint(true, &format!("{tint};7"), &text)),
                        (true, false) => out.push_str(&paint(true, tint, &text)),
                        (false, _) => out.push_str(&text),
                    }
                }
                out.push('\n');
            }
        }
    } else {
        let config = layout.config()?;
        let settings =
            crate::note::Settings { mode: crate::config::PublishMode::All, ..crate::note::Settings::of(&config) };
        let (old, new) =
            (crate::history::readable(&note, old, &settings), crate::history::readable(&note, new, &settings));
        for piece in crate::history::word_diff(&old, &new) {
            match piece {
                Piece::Same { text, folded: false } => out.push_str(&shown_lines(&text)),
                Piece::Same { text, folded: true } => {
                    let words = text.split_whitespace().count();
                    out.push_str(&paint(color, CYAN, &format!(" [… {words} words unchanged …] ")));
                }
                Piece::Added(text) if color => out.push_str(&paint(true, GREEN, &shown_lines(&text))),
                Piece::Removed(text) if color => out.push_str(&paint(true, &format!("{RED};9"), &shown_lines(&text))),
                Piece::Added(text) => out.push_str(&format!("{{+{}+}}", shown_lines(&text))),
                Piece::Removed(text) => out.push_str(&format!("[-{}-]", shown_lines(&text))),
            }
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    print!("{out}");
    Ok(())
}

/// `loam blame NOTE`: each line of the note's text with who wrote it (most of it, and how many others wrote some).
pub fn blame(path: &Path) -> anyhow::Result<()> {
    let (layout, note) = find(path)?;
    let note = note.with_context(|| format!("`{}` is a folder; give a note's file", path.display()))?;
    let store = open(&layout)?;
    if store.entry(&note).is_none() {
        bail!("`{note}` has no history yet");
    }
    let lines = crate::history::blame_lines(&store.blame(&note)?);
    let names: Vec<String> = lines
        .iter()
        .map(|(_, authors)| match authors.as_slice() {
            [] => String::new(),
            [one] => shown(if one.is_empty() { "-" } else { one }).into_owned(),
            [one, rest @ ..] => format!("{} +{}", shown(if one.is_empty() { "-" } else { one }), rest.len()),
        })
        .collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0).min(24);
    let mut out = String::new();
    for (n, ((text, _), name)) in lines.iter().zip(&names).enumerate() {
        out.push_str(&format!("{name:width$} {:>4}  {}\n", n + 1, shown(text)));
    }
    print!("{out}");
    Ok(())
}

/// `loam redact NOTE --at X` (or `X..Y`): hides those versions from every published history view.
pub fn redact(path: &Path, at: &str) -> anyhow::Result<()> {
    let (layout, note) = find(path)?;
    let note = note.with_context(|| format!("`{}` is a folder; give a note's file", path.display()))?;
    let mut store = Store::open(&layout.root, &layout.config()?.author.or_user())?;
    let history = store.history(&note)?;
    if history.is_empty() {
        bail!("`{note}` has no history yet");
    }
    let (first, last) = match at.split_once("..") {
        Some((first, last)) => (version_at(&note, &history, first)?, version_at(&note, &history, last)?),
        None => (version_at(&note, &history, at)?, version_at(&note, &history, at)?),
    };
    let (first, last) = (first.min(last), first.max(last));
    if last == history.len() - 1 {
        bail!(
            "`{note}`'s latest version is the note itself, which its page shows: edit the note to take the text out, \
             then redact the versions that held it"
        );
    }
    let hidden: Vec<&Version> = history[first..=last].iter().collect();
    let count = store.redact(&note, &hidden.iter().map(|v| v.hash).collect::<Vec<_>>())?;
    store.flush()?;
    for version in &hidden {
        println!(
            "{}  {}  {}",
            &version.hash.to_string()[..8],
            when(version.time),
            if version.about.author.is_empty() { "-".into() } else { shown(&version.about.author) }
        );
    }
    println!(
        "redacted {} of `{note}` ({count} newly): they are in no history that the preview or `loam build` shows, here \
         and on peers once they sync; peers that have them keep their text",
        crate::cmd::plural(hidden.len(), "version")
    );
    Ok(())
}

const RED: &str = "31";
const GREEN: &str = "32";
const CYAN: &str = "36";

/// `text` in an ANSI colour when `color`.
fn paint(color: bool, code: &str, text: &str) -> String {
    match color && !code.is_empty() {
        true => format!("\x1b[{code}m{text}\x1b[0m"),
        false => text.to_string(),
    }
}

/// Text from a note for the terminal, its lines kept: every other control character shown escaped.
fn shown_lines(text: &str) -> String {
    text.split('\n').map(shown).collect::<Vec<_>>().join("\n")
}

/// Lines added and removed between two texts.
fn counts(old: &str, new: &str) -> (usize, usize) {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut added = 0;
    let mut removed = 0;
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    (added, removed)
}

fn when(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map_or_else(|| seconds.to_string(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// A time as `loam show --at` takes it: RFC 3339, or `YYYY-MM-DD[ HH:MM[:SS]]` in UTC.
fn parse_time(text: &str) -> Option<i64> {
    crate::note::parse_date(text).map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::About;

    fn version(n: u8, time: i64, author: &str, kind: &str) -> Version {
        Version {
            hash: automerge::ChangeHash([n; 32]),
            time,
            about: About { author: author.into(), kind: kind.into() },
            text: format!("text {n}"),
        }
    }

    #[test]
    fn a_run_of_live_edits_is_one_line_and_saves_stay_one_each() {
        let history = vec![
            version(1, 100, "Ada", "import"),
            version(2, 110, "Ada", "edit"),
            version(3, 111, "Ada", "edit"),
            version(4, 200, "Ada", LIVE_EDIT),
            version(5, 201, "", LIVE_EDIT),
            version(6, 201, "Bea", LIVE_EDIT),
            version(7, 250, "Ada", LIVE_EDIT),
            version(8, 400, "Bea", LIVE_EDIT),
            version(9, 401, "Ada", "edit"),
        ];
        let runs: Vec<(u8, usize, String)> =
            typing_runs(history).into_iter().map(|(v, count)| (v.hash.0[0], count, v.about.author)).collect();
        assert_eq!(
            runs,
            vec![
                (1, 1, "Ada".into()),
                (2, 1, "Ada".into()),
                (3, 1, "Ada".into()),
                (7, 4, "Ada, Bea".into()),
                (8, 1, "Bea".into()),
                (9, 1, "Ada".into()),
            ]
        );
    }
}
