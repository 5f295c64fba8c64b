//! The note target: a fuzzed note, in a small garden, through every stage of `loam build` but the disk.
//!
//! The input is a garden written as text, so that a seed is readable and a fuzzer's splices of seeds make
//! gardens too. It is the note `note.md` up to the first line that starts with `@@@ `; each such line opens
//! another file, named by the rest of the line:
//!
//! ```text
//! A note with [[b#Part]] and ![[a]].
//! @@@ folder/c.md
//! ---
//! aliases: [see]
//! ---
//! # C
//! @@@ loam.toml
//! publish_mode = "explicit"
//! ```
//!
//! A file whose name ends in `.md` is a note, `loam.toml` is the garden's configuration (the defaults when it
//! does not parse, as `loam build` would not start), and anything else an attachment. Beside them the garden
//! always has `a.md`, a copy of the fuzzed note (so that a note transcluding another meets its own kind of
//! text), `folder/b.md` with headings, blocks, tags and an alias, an unpublished note, and two attachments.
//!
//! Besides not panicking, a build must keep its promise about unpublished notes: the unpublished note's name and
//! title, which the input cannot contain (they are made from a hash of it), reach no file of the site. And a
//! small garden makes no huge page.

use std::sync::{Arc, Mutex, OnceLock};

use xxhash_rust::xxh3::xxh3_64;

use crate::config::Config;
use crate::note::{self, Note};
use crate::output::{Contents, OutputFile};
use crate::render::{self, RenderOptions, Templates};
use crate::search::Indexer;
use crate::site::Site;

/// The line that opens another file of the garden.
const FILE_MARK: &str = "@@@ ";

/// More files than this are left out: a garden of a few notes reaches every stage, and more only slow a case.
const MAX_FILES: usize = 24;

/// The fixed note every garden has, for links, embeds and transclusions of headings and blocks to land on.
const NOTE_B: &str = "---\ntitle: Bee\naliases: [bee, the b]\ntags: [fixed]\n---\n# B\n\nFirst paragraph. ^first\n\n\
## Part\n\nPart text with #tag and [[a]].\n\n### Deeper\n\n- item ^item\n\n## Other\n\n> [!note] Callout\n> body\n";

/// What counts as a small garden, and the most a page of one may weigh: a note's own HTML can be the square of
/// its size (a table's header is repeated in each row: a few megabytes from 4 KiB), and transclusions add at
/// most 4 MiB to a page (`page.rs`), so a larger page means a limit of the page stage does not hold.
const SMALL_INPUT: usize = 4 << 10;
const MAX_PAGE: usize = 32 << 20;

/// Runs the target on `data`.
pub fn run(data: &[u8]) {
    let garden = Garden::read(data);
    let secret = secret(data);
    let files = build(&garden.config, garden.files(&secret));
    for (path, bytes) in &files {
        assert!(
            data.len() > SMALL_INPUT || bytes.len() <= MAX_PAGE,
            "a garden of {} bytes made `{path}` of {} MiB",
            data.len(),
            bytes.len() >> 20
        );
        let text = String::from_utf8_lossy(bytes).to_lowercase();
        assert!(!text.contains(&secret[..10]), "the unpublished note's name or title reached `{path}`");
    }
}

/// A garden read from the target's input.
pub(super) struct Garden<'d> {
    pub(super) config: Config,
    /// Files by path relative to the notes folder, `/`-separated, in the order given.
    files: Vec<(String, &'d [u8])>,
}

impl<'d> Garden<'d> {
    pub(super) fn read(data: &'d [u8]) -> Garden<'d> {
        let mut files = Vec::new();
        let mut config = Config::default();
        let mut path = "note.md".to_string();
        let mut rest = data;
        loop {
            let (file, next) = match find_mark(rest) {
                Some(at) => (&rest[..at], Some(&rest[at + FILE_MARK.len()..])),
                None => (rest, None),
            };
            let file = file.strip_suffix(b"\n").unwrap_or(file);
            if path == "loam.toml" {
                let parsed = std::str::from_utf8(file).ok().and_then(|text| Config::parse(text, "loam.toml").ok());
                config = parsed.unwrap_or_default();
            } else if files.len() < MAX_FILES && !files.iter().any(|(known, _)| *known == path) {
                files.push((path, file));
            }
            let Some(next) = next else { break };
            let end = next.iter().position(|&b| b == b'\n').unwrap_or(next.len());
            path = relative_path(&String::from_utf8_lossy(&next[..end]));
            rest = next.get(end + 1..).unwrap_or_default();
        }
        Garden { config, files }
    }

    /// The garden's files with the fixed ones added, where the input did not name them.
    pub(super) fn files(&self, secret: &str) -> Vec<(String, Vec<u8>)> {
        let note = self.files.first().map_or(&[][..], |(_, bytes)| *bytes);
        let private = format!(
            "---\npublish: false\ndraft: true\ntitle: {secret}\n---\n# {secret}\n\nNever on the site. ^never\n"
        );
        let b = format!("{NOTE_B}\n[[{secret}|the hidden one]] and ![[{secret}#^never]]\n");
        let fixed = [
            ("a.md".to_string(), note.to_vec()),
            ("folder/b.md".to_string(), b.into_bytes()),
            (format!("{secret}.md"), private.into_bytes()),
            ("image.png".to_string(), Vec::new()),
            ("folder/paper.pdf".to_string(), Vec::new()),
        ];
        let mut files: Vec<(String, Vec<u8>)> =
            self.files.iter().map(|(path, bytes)| (path.clone(), bytes.to_vec())).collect();
        for (path, bytes) in fixed {
            if !files.iter().any(|(known, _)| *known == path) {
                files.push((path, bytes));
            }
        }
        files
    }
}

/// Where the next line opening a file starts (after its `@@@ `), if there is one.
fn find_mark(data: &[u8]) -> Option<usize> {
    let mark = FILE_MARK.as_bytes();
    if data.starts_with(mark) {
        return Some(0);
    }
    memchr::memmem::find_iter(data, b"\n@@@ ").next().map(|at| at + 1)
}

/// A path as a scan of the garden gives it: `/`-separated, relative, without empty, `.` or `..` parts.
fn relative_path(name: &str) -> String {
    let parts: Vec<&str> = name.trim().split(['/', '\\']).filter(|part| !matches!(*part, "" | "." | "..")).collect();
    if parts.is_empty() {
        "unnamed.md".into()
    } else {
        parts.join("/")
    }
}

/// A name made of letters from a hash of the input, which the input therefore does not contain; so the site may
/// show it only by leaking the note it names.
pub(super) fn secret(data: &[u8]) -> String {
    let hash = xxh3_64(data);
    (0..16).map(|i| char::from(b'a' + ((hash >> (i * 4)) & 0xf) as u8)).collect()
}

/// The built-in templates, compiled once for every case: they are the same for all, and compiling them costs more
/// than a small garden's build.
fn templates() -> &'static Templates {
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    TEMPLATES.get_or_init(|| Templates::new(&[], &mut Vec::new()))
}

/// Builds the garden of `files` (paths relative to the notes folder) with `config`, as `pipeline::build` does:
/// parse, site model, every page (a static build's and a live preview's), the search index. Returns the site's
/// files that Loam made (not the copied attachments nor the compiled-in assets).
pub(super) fn build(config: &Config, files: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    let settings = note::Settings::of(config);
    let (notes, attachments): (Vec<_>, Vec<_>) = files.into_iter().partition(|(path, _)| crate::garden::is_note(path));
    let notes: Vec<Arc<Note>> =
        notes.iter().map(|(path, bytes)| Arc::new(note::parse(path, bytes, &settings))).collect();
    let attachments: Vec<String> = attachments.into_iter().map(|(path, _)| path).collect();
    let modified = vec![None; notes.len()];
    let site = Site::new(config, &notes, &modified, &[], &attachments);
    let _ = site.diagnostics().count();

    let made = Mutex::new(Vec::new());
    let emit = |file: OutputFile| {
        if let Contents::Bytes(bytes) = file.contents {
            crate::lock(&made).push((file.path, bytes));
        }
    };
    let search = Indexer::start(&config.language);
    let _ = render::render_site(
        &site,
        templates(),
        RenderOptions::default(),
        Some(&search),
        None,
        &indicatif::ProgressBar::hidden(),
        &emit,
    );
    search.finish_into(&emit);
    let _ = render::Libraries::of(site.published_notes().map(|i| site.notes[i].body.html.as_str()));

    // The live preview renders a page when it is asked for, with its own preparation of the site.
    let prepared = render::Prepared::new(&site, templates(), RenderOptions { live_reload: true }, false);
    for (_, page) in render::pages(&site) {
        if let (Some(file), _) = render::render_page(&site, templates(), &prepared, &page) {
            emit(file);
        }
    }
    made.into_inner().unwrap_or_else(|e| e.into_inner())
}
