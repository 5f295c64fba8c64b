//! Where a garden's parts are on disk, and reading them. This module and `output.rs` are the only ones that
//! touch the file system during a build.
//!
//! A garden is either a root with `loam.toml` (notes in `content/`, overrides in `templates/` and `static/`),
//! or a plain folder of notes such as an Obsidian vault, which is then the content folder itself.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use anyhow::{bail, Context};
use rayon::prelude::*;
use walkdir::WalkDir;

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Kind, Severity};

/// What a caller of [`Layout::scan_with`] already has for a note, by its path and file metadata.
pub type Known<'a, T> = dyn Fn(&str, &std::fs::Metadata) -> Option<T> + Sync + 'a;

/// The folders of one garden. Every path in it is absolute and real (symbolic links resolved): a garden's root is
/// resolved once, when it is opened, so that every part of Loam (the walk, the watcher, the recorder, sync) sees
/// paths in that one form and can compare them.
#[derive(Debug, Clone)]
pub struct Layout {
    pub root: PathBuf,
    pub content: PathBuf,
    /// `templates/` and `static/` of a garden root; a plain vault has none (its `templates/` folder, if any,
    /// holds Obsidian's note templates, not ours).
    pub templates: Option<PathBuf>,
    pub static_dir: Option<PathBuf>,
    pub out: PathBuf,
    pub config_file: Option<PathBuf>,
    /// The folders whose files the garden may read.
    pub boundary: Boundary,
}

/// The folders a garden may read, as real paths: its root, its notes folder (which `loam.toml` may put elsewhere)
/// and the outside folders `loam.toml` names in `allow_outside`. A symbolic link whose target lies elsewhere is
/// never followed: a vault cloned from someone else must not publish `/etc/passwd` because it holds a link to it.
#[derive(Debug, Clone, Default)]
pub struct Boundary {
    /// The garden's root: inside it, tool folders (`.loam/`, `.git/`) and `loam.toml` are still out of reach of a
    /// link, since they hold the history and secrets.
    root: PathBuf,
    config_file: Option<PathBuf>,
    /// Other folders whose whole contents may be read.
    others: Vec<PathBuf>,
}

impl Boundary {
    /// Whether the file or folder at the real path `real` may be read.
    pub fn admits(&self, real: &Path) -> bool {
        if let Ok(inside) = real.strip_prefix(&self.root) {
            let hidden = inside.components().any(|c| is_ignored(&c.as_os_str().to_string_lossy()));
            return !hidden && self.config_file.as_deref() != Some(real);
        }
        self.others.iter().any(|other| real.starts_with(other))
    }

    /// Where a symbolic link at `path` leads, when that is outside the boundary (or nowhere): the reason to skip
    /// it, for a warning. `None` when the link may be followed.
    pub fn refuses(&self, path: &Path) -> Option<String> {
        match std::fs::canonicalize(path) {
            Ok(real) if self.admits(&real) => None,
            Ok(real) => Some(format!(
                "is a symbolic link to `{}`, outside the garden; it is skipped (to publish an outside folder, name it \
                 in `allow_outside` in loam.toml)",
                real.display()
            )),
            Err(e) => Some(format!("is a symbolic link that cannot be followed ({e}); it is skipped")),
        }
    }
}

/// The real path of `path`: its symbolic links resolved, and for a file that does not exist (any more), its
/// folder's real path joined with its name.
pub fn real_path(path: &Path) -> std::io::Result<PathBuf> {
    match std::fs::canonicalize(path) {
        Ok(real) => Ok(real),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else { return Err(e) };
            Ok(real_path(parent)?.join(name))
        }
        Err(e) => Err(e),
    }
}

impl Layout {
    /// Finds the garden at `path`; `out` defaults to `path/public`.
    pub fn discover(path: &Path, out: Option<&Path>) -> anyhow::Result<Layout> {
        if !path.is_dir() {
            bail!(
                "`{}` is not a folder; give the garden's folder (the one with loam.toml, or a folder of notes)",
                path.display()
            );
        }
        // Resolved here, once: `loam serve`, `loam serve .` and `loam serve ../garden` must be the same garden to
        // the watcher (whose events carry the paths it watches), the recorder and the walk.
        let root =
            std::fs::canonicalize(path).with_context(|| format!("cannot resolve the folder `{}`", path.display()))?;
        let config_file = root.join("loam.toml");
        let has_config = config_file.is_file();
        let out = match out {
            Some(out) => resolve(&std::env::current_dir().context("cannot read the current folder")?, out),
            None => root.join("public"),
        };
        let layout = if has_config {
            let config = Config::load(&config_file)?;
            let content = resolve(&root, Path::new(&config.content));
            let mut others: Vec<PathBuf> = config.allow_outside.iter().map(|p| resolve(&root, Path::new(p))).collect();
            // A notes folder that `loam.toml` puts outside the root was named by the garden: it is the garden's.
            others.push(content.clone());
            Layout {
                content,
                templates: Some(root.join("templates")),
                static_dir: Some(root.join("static")),
                boundary: Boundary { root: root.clone(), config_file: Some(config_file.clone()), others },
                config_file: Some(config_file),
                root,
                out,
            }
        } else {
            let boundary = Boundary { root: root.clone(), config_file: None, others: Vec::new() };
            Layout { content: root.clone(), templates: None, static_dir: None, config_file: None, root, out, boundary }
        };
        layout.check_out_folder()?;
        Ok(layout)
    }

    /// Building into the content folder, or a folder that holds it, would mix pages with notes.
    fn check_out_folder(&self) -> anyhow::Result<()> {
        let content = self.content.canonicalize().unwrap_or_else(|_| self.content.clone());
        if let Ok(out) = self.out.canonicalize() {
            if content.starts_with(&out) {
                bail!("the output folder `{}` contains the notes; choose another folder with -o", self.out.display());
            }
        }
        Ok(())
    }

    pub fn config(&self) -> anyhow::Result<Config> {
        let config = match &self.config_file {
            Some(file) => Config::load(file)?,
            None => Config::default(),
        };
        // The vault's `.obsidian/` is in the notes folder, or beside `loam.toml` for a vault that holds one.
        let vault = [&self.content, &self.root].into_iter().find(|folder| folder.join(".obsidian").is_dir());
        Ok(match vault {
            Some(vault) => config.with_vault_settings(vault),
            None => config,
        })
    }

    /// Reads every note and lists every attachment; unreadable entries become diagnostics. Each note goes to
    /// `each` (on any thread) as soon as it is read, so that the walk through the folders and the work on the
    /// notes overlap. Notes come back in path order.
    pub fn scan<T: Send>(&self, each: impl Fn(SourceFile) -> T + Sync) -> anyhow::Result<Scan<T>> {
        self.scan_with(each, None::<&Known<'_, T>>)
    }

    /// [`scan`](Layout::scan), but each note's metadata goes to `known` first: what it returns stands for the
    /// note, which is then not read (the live preview knows the notes whose size and time did not change).
    pub fn scan_with<T: Send>(
        &self,
        each: impl Fn(SourceFile) -> T + Sync,
        known: Option<&Known<'_, T>>,
    ) -> anyhow::Result<Scan<T>> {
        if !self.content.is_dir() {
            bail!("the content folder `{}` does not exist; create it and put notes in it", self.content.display());
        }
        let out = self.out.canonicalize().ok();
        let mut diagnostics = Vec::new();
        let mut listed = Vec::new();
        let mut through_links = false;
        let found: Mutex<Vec<(usize, Result<T, Diagnostic>)>> = Mutex::new(Vec::new());
        let each = &each;
        let mut attachments = Vec::new();
        // Files and folders that are there but were not read (links out of the garden, unreadable folders): not
        // deletions.
        let mut kept = Vec::new();
        let mut refused = Vec::new();
        let walker = WalkDir::new(&self.content).follow_links(true).sort_by_file_name().into_iter();
        let walker = walker.filter_entry(|entry| {
            if entry.depth() == 0 {
                return true;
            }
            let name = entry.file_name().to_string_lossy();
            if is_ignored(&name) {
                return false;
            }
            if entry.path_is_symlink() {
                if let Some(why) = self.boundary.refuses(entry.path()) {
                    let path = self.relative(entry.path());
                    refused.push(Diagnostic::new(&path, 0, Severity::Warning, Kind::Read, format!("`{path}` {why}")));
                    kept.push(path);
                    return false;
                }
            }
            // The output folder may sit inside a vault (`vault/public`): never read our own pages as notes.
            !(entry.file_type().is_dir()
                && out.as_deref().is_some_and(|o| entry.path().canonicalize().ok().as_deref() == Some(o)))
        });
        let mut unreadable = Vec::new();
        rayon::scope(|scope| {
            let mut count = 0;
            for entry in walker {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(error) => {
                        let path = error.path().map(|p| self.relative(p)).unwrap_or_default();
                        let message = if error.loop_ancestor().is_some() {
                            "symbolic link loop; the folder is skipped".to_string()
                        } else {
                            format!("cannot read: {}", error.io_error().map_or(error.to_string(), ToString::to_string))
                        };
                        diagnostics.push(
                            Diagnostic::new(&path, 0, Severity::Warning, Kind::Read, message)
                                .hint("remove or fix the link, or check the file's permissions"),
                        );
                        unreadable.push(path);
                        continue;
                    }
                };
                through_links |= entry.path_is_symlink();
                if !entry.file_type().is_file() {
                    continue;
                }
                let path = entry.path().to_path_buf();
                let relative = self.relative(&path);
                if is_note(&relative) {
                    let (index, found) = (count, &found);
                    count += 1;
                    listed.push((relative.clone(), path.clone()));
                    scope.spawn(move |_| {
                        if let Some(known) = known {
                            if let Some(done) = entry_metadata(&path).and_then(|meta| known(&relative, &meta)) {
                                found.lock().unwrap_or_else(|e| e.into_inner()).push((index, Ok(done)));
                                return;
                            }
                        }
                        let result = read_note(relative, &path).map(each);
                        found.lock().unwrap_or_else(|e| e.into_inner()).push((index, result));
                    });
                } else {
                    attachments.push(Attachment { path: relative, file: path });
                }
            }
        });
        diagnostics.append(&mut refused);
        kept.append(&mut unreadable);
        let listing = Listing {
            notes: listed,
            attachments: attachments.clone(),
            diagnostics: diagnostics.clone(),
            through_links,
            kept: kept.clone(),
        };
        let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
        found.sort_unstable_by_key(|(index, _)| *index);
        let notes = read_or_report(found.into_iter().map(|(_, item)| item), &mut diagnostics, &mut kept);
        Ok(Scan { notes, attachments, diagnostics, listing, kept })
    }

    /// Reads the notes of `listing`, in its order, as [`scan`](Layout::scan) would after a walk that found these
    /// files: what `known` returns stands for a note, which is then not read.
    pub fn read_listing<T: Send>(
        &self,
        listing: &Listing,
        each: impl Fn(SourceFile) -> T + Sync,
        known: &(dyn Fn(&str) -> Option<T> + Sync),
        given: &(dyn Fn(&str) -> Option<SourceFile> + Sync),
    ) -> Scan<T> {
        // Known notes are looked up in one pass (most of them, after a single save); only the others are read,
        // on all cores.
        let mut read: Vec<Option<Result<T, Diagnostic>>> =
            listing.notes.iter().map(|(relative, _)| known(relative).map(Ok)).collect();
        let fresh: Vec<(usize, Result<T, Diagnostic>)> = read
            .iter()
            .enumerate()
            .filter(|(_, done)| done.is_none())
            .map(|(i, _)| i)
            .collect::<Vec<usize>>()
            .into_par_iter()
            .map(|i| {
                let (relative, path) = &listing.notes[i];
                // A file its caller already read is not read again.
                let source = given(relative).map_or_else(|| read_note(relative.clone(), path), Ok);
                (i, source.map(&each))
            })
            .collect();
        for (i, result) in fresh {
            read[i] = Some(result);
        }
        let read = read.into_iter().flatten();
        let mut diagnostics = listing.diagnostics.clone();
        let mut kept = listing.kept.clone();
        let notes = read_or_report(read, &mut diagnostics, &mut kept);
        Scan { notes, attachments: listing.attachments.clone(), diagnostics, listing: Listing::default(), kept }
    }

    /// Updates `listing` for changes to the files at `paths` (created, written or deleted in the content
    /// folder), as a new walk would find them. Returns the notes to read again (relative paths), or `None` when
    /// only a new walk can tell: a folder or a symbolic link changed, a file outside the content folder did
    /// (settings, templates), or the paths are many.
    pub fn update_listing(
        &self,
        listing: &mut Listing,
        paths: &[PathBuf],
    ) -> Option<std::collections::HashSet<String>> {
        if paths.len() > 1000 || listing.through_links {
            return None;
        }
        let out = self.out.canonicalize().ok();
        let mut changed = std::collections::HashSet::new();
        for path in paths {
            let inside = path.strip_prefix(&self.content).ok()?;
            if inside.as_os_str().is_empty() {
                return None;
            }
            let relative = self.relative(path);
            if relative.split('/').any(is_ignored) || out.as_deref().is_some_and(|o| path.starts_with(o)) {
                continue;
            }
            match std::fs::symlink_metadata(path) {
                Ok(meta) if meta.file_type().is_file() => {
                    if is_note(&relative) {
                        let at = listing.notes.binary_search_by(|(p, _)| walk_order(p, &relative));
                        if let Err(at) = at {
                            listing.notes.insert(at, (relative.clone(), path.clone()));
                        }
                        changed.insert(relative);
                    } else {
                        let at = listing.attachments.binary_search_by(|a| walk_order(&a.path, &relative));
                        if let Err(at) = at {
                            listing.attachments.insert(at, Attachment { path: relative, file: path.clone() });
                        }
                    }
                }
                Ok(_) => return None,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    // A folder that went away takes files with it that no event named.
                    let below = format!("{relative}/");
                    if listing.notes.iter().any(|(p, _)| p.starts_with(&below))
                        || listing.attachments.iter().any(|a| a.path.starts_with(&below))
                    {
                        return None;
                    }
                    listing.notes.retain(|(p, _)| *p != relative);
                    listing.attachments.retain(|a| a.path != relative);
                }
                Err(_) => return None,
            }
        }
        Some(changed)
    }

    /// `/`-separated path relative to the content folder.
    pub fn relative(&self, path: &Path) -> String {
        let relative = path.strip_prefix(&self.content).unwrap_or(path);
        // The walk gives clean paths, already `/`-separated on Unix: no need to take them apart.
        #[cfg(unix)]
        if let Some(text) = relative.to_str() {
            if !text.starts_with('/') && !text.contains("//") && !text.starts_with("./") && !text.contains("/./") {
                return text.to_string();
            }
        }
        relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
    }

    /// Reads the bytes of a garden's own templates, by name relative to `templates/`. Links out of the garden are
    /// skipped, each with a warning in `problems`.
    pub fn template_overrides(&self, problems: &mut Vec<Diagnostic>) -> anyhow::Result<Vec<(String, String)>> {
        let Some(dir) = self.templates.as_ref().filter(|d| d.is_dir()) else {
            return Ok(Vec::new());
        };
        let mut templates = Vec::new();
        for entry in self.walk_inside(dir, problems) {
            let entry = entry.with_context(|| format!("cannot read `{}`", dir.display()))?;
            let file_name = entry.file_name().to_string_lossy();
            // Notes about the templates (a README, `CONTEXT.md`), dot files and editor leftovers are not templates.
            if entry.file_type().is_file() && !is_note(&file_name) && !is_ignored(&file_name) {
                let text = std::fs::read_to_string(entry.path())
                    .with_context(|| format!("cannot read the template `{}`", entry.path().display()))?;
                templates.push((slash_path(entry.path(), dir), text));
            }
        }
        Ok(templates)
    }

    /// Files of the garden's `static/`, as (path relative to it, file). Links out of the garden are skipped, each
    /// with a warning in `problems`.
    pub fn static_files(&self, problems: &mut Vec<Diagnostic>) -> Vec<(String, PathBuf)> {
        let Some(dir) = self.static_dir.as_ref().filter(|d| d.is_dir()) else {
            return Vec::new();
        };
        self.walk_inside(dir, problems)
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| (slash_path(e.path(), dir), e.path().to_path_buf()))
            .collect()
    }

    /// A sorted walk of `dir` that follows symbolic links only where they stay inside the garden's
    /// [`Boundary`]; each link it does not follow is a warning in `problems`, named from the garden's root.
    fn walk_inside<'a>(
        &'a self,
        dir: &Path,
        problems: &'a mut Vec<Diagnostic>,
    ) -> impl Iterator<Item = walkdir::Result<walkdir::DirEntry>> + 'a {
        WalkDir::new(dir).follow_links(true).sort_by_file_name().into_iter().filter_entry(move |entry| {
            if entry.depth() == 0 || !entry.path_is_symlink() {
                return true;
            }
            let Some(why) = self.boundary.refuses(entry.path()) else { return true };
            let path = slash_path(entry.path(), &self.root);
            let problem = Diagnostic::new(&path, 0, Severity::Warning, Kind::Read, format!("`{path}` {why}"));
            problems.push(problem.at_root());
            false
        })
    }
}

/// `path` relative to `dir`, `/`-separated.
fn slash_path(path: &Path, dir: &Path) -> String {
    let name = path.strip_prefix(dir).unwrap_or(path);
    name.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Tool folders and editor droppings are never notes: `.obsidian/`, `.git/`, `.loam/`, `.trash/`, swap and
/// backup files.
pub fn is_ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".tmp")
        || name.ends_with(".swp")
        || (name.starts_with('#') && name.ends_with('#'))
        || name == "node_modules"
}

pub fn is_note(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub bytes: Vec<u8>,
    pub modified: Option<SystemTime>,
}

#[derive(Debug, Clone)]
pub struct Attachment {
    pub path: String,
    pub file: PathBuf,
}

#[derive(Debug, Default)]
pub struct Scan<T> {
    pub notes: Vec<T>,
    pub attachments: Vec<Attachment>,
    pub diagnostics: Vec<Diagnostic>,
    /// What the walk found, for updating it later without walking again.
    pub listing: Listing,
    /// Paths relative to the content folder of files and folders that are there but were not read (a symbolic
    /// link out of the garden, a file or folder without read permission): whatever the history has of them stays
    /// as it is, since a file that cannot be read is not a deleted one.
    pub kept: Vec<String>,
}

/// The files a walk of the content folder found, in the walk's order, kept by the live preview so that a save
/// updates it instead of walking every folder again.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// (path relative to the content folder, path on disk) of each note.
    pub notes: Vec<(String, PathBuf)>,
    pub attachments: Vec<Attachment>,
    /// Problems of the walk itself (symbolic link loops, unreadable folders).
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the walk followed a symbolic link: a file is then reachable under two paths, and only a new walk
    /// keeps both right.
    pub through_links: bool,
    /// What the walk found there but did not read (see [`Scan::kept`]).
    pub kept: Vec<String>,
}

/// The order of a walk with sorted file names: folder by folder, each folder's entries by name.
fn walk_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.split('/').cmp(b.split('/'))
}

/// The notes that could be read; a problem for each one that could not, whose path goes to `kept` (it is there:
/// not a deletion).
fn read_or_report<T>(
    items: impl IntoIterator<Item = Result<T, Diagnostic>>,
    diagnostics: &mut Vec<Diagnostic>,
    kept: &mut Vec<String>,
) -> Vec<T> {
    let mut notes = Vec::new();
    for item in items {
        match item {
            Ok(note) => notes.push(note),
            Err(diagnostic) => {
                kept.push(diagnostic.path.clone());
                diagnostics.push(diagnostic);
            }
        }
    }
    notes
}

fn entry_metadata(path: &Path) -> Option<std::fs::Metadata> {
    std::fs::metadata(path).ok()
}

/// One note's bytes and modification time, from one open, one fstat and reads of the size fstat gave (std's
/// `read_to_end` would ask the size again and probe for more); a file that grows meanwhile is read in full on the
/// next build.
fn read_note(relative: String, path: &Path) -> Result<SourceFile, Diagnostic> {
    let read = || -> std::io::Result<(Vec<u8>, Option<SystemTime>)> {
        use std::io::Read;
        let mut file = std::fs::File::open(path)?;
        let metadata = file.metadata()?;
        let mut bytes = vec![0; metadata.len() as usize];
        let mut filled = 0;
        while filled < bytes.len() {
            match file.read(&mut bytes[filled..])? {
                0 => break,
                n => filled += n,
            }
        }
        bytes.truncate(filled);
        Ok((bytes, metadata.modified().ok()))
    };
    match read() {
        Ok((bytes, modified)) => Ok(SourceFile { path: relative, bytes, modified }),
        Err(e) => Err(Diagnostic::new(&relative, 0, Severity::Error, Kind::Read, format!("cannot read the note: {e}"))
            .hint("check the file's permissions")),
    }
}

/// `path` (relative to `root`, or absolute) as a real path when it exists, else with `.` and `..` taken out.
fn resolve(root: &Path, path: &Path) -> PathBuf {
    let joined = root.join(path);
    std::fs::canonicalize(&joined).unwrap_or_else(|_| {
        let mut clean = PathBuf::new();
        for component in joined.components() {
            match component {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir => {
                    clean.pop();
                }
                other => clean.push(other),
            }
        }
        clean
    })
}
