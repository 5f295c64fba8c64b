//! The build pipeline, stage by stage: scan -> parse -> site -> render. Each file of the site goes to an `emit`
//! callback as soon as it is made: `cmd/build.rs` writes it, `cmd/check.rs` drops it, and the live preview will
//! keep it in memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use xxhash_rust::xxh3::xxh3_64;

use crate::config::{Config, PublishMode};
use crate::diagnostic::Diagnostic;
use crate::garden::Layout;
use crate::note::{self, Note};
use crate::output::{Contents, OutputFile};
use crate::render::{self, RenderOptions, Templates};
use crate::site::Site;

/// What a build found and made (the files themselves went to `emit`).
pub struct Built {
    /// Every problem, sorted by file and line.
    pub diagnostics: Vec<Diagnostic>,
    pub notes: usize,
    pub published: usize,
    pub pages: usize,
    pub started: Instant,
}

/// Parsed notes kept between the builds of `loam serve`, by path and content hash. A note's parse depends on its
/// bytes, the base path and the publish mode only (see the invariants in `lib.rs`), so an entry whose hash matches
/// is the note a fresh parse would make: memoisation, with nothing to invalidate by hand.
#[derive(Default)]
pub struct NoteCache {
    /// (base path, publish mode) the entries were parsed with; a change empties the cache.
    settings: Mutex<Option<(String, PublishMode)>>,
    notes: Mutex<HashMap<String, (u64, Note)>>,
}

impl NoteCache {
    /// Starts a build with these settings: entries parsed under other ones are dropped.
    fn begin(&self, base_path: &str, mode: PublishMode) {
        let mut settings = lock(&self.settings);
        if settings.as_ref() != Some(&(base_path.to_string(), mode)) {
            lock(&self.notes).clear();
            *settings = Some((base_path.to_string(), mode));
        }
    }

    /// The note for these bytes: from the cache if they are the ones parsed last time, else parsed now.
    fn parse(&self, path: &str, bytes: &[u8], base_path: &str, mode: PublishMode) -> Note {
        let hash = xxh3_64(bytes);
        if let Some((known, note)) = lock(&self.notes).get(path) {
            if *known == hash {
                return note.clone();
            }
        }
        let note = note::parse(path, bytes, base_path, mode);
        lock(&self.notes).insert(path.to_string(), (hash, note.clone()));
        note
    }

    /// Forgets notes that are gone from the garden.
    fn keep_only(&self, notes: &[Note]) {
        let present: std::collections::HashSet<&str> = notes.iter().map(|n| n.path.as_str()).collect();
        lock(&self.notes).retain(|path, _| present.contains(path.as_str()));
    }

    pub fn len(&self) -> usize {
        lock(&self.notes).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs the whole pipeline on the garden at `layout`. With a `cache`, notes whose bytes did not change since the
/// last build with that cache are not parsed again.
pub fn build(
    layout: &Layout,
    config: &Config,
    options: RenderOptions,
    progress: bool,
    cache: Option<&NoteCache>,
    emit: &(dyn Fn(OutputFile) + Sync),
) -> anyhow::Result<Built> {
    let started = Instant::now();
    let mut timings = Timings::new(started);
    let base_path = config.base_path();
    // The count of notes is known only once the walk ends: the bar grows as notes are found.
    let bar = if progress { ProgressBar::new(0) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix("building");

    // Each note is parsed as soon as it is read, while the walk goes on; compiling the templates is serial
    // work done meanwhile.
    if let Some(cache) = cache {
        cache.begin(&base_path, config.publish_mode);
    }
    let overrides = layout.template_overrides()?;
    let mut template_problems = Vec::new();
    let (scan, templates) = rayon::join(
        || {
            layout.scan(|source| {
                bar.inc_length(2);
                let note = match cache {
                    Some(cache) => cache.parse(&source.path, &source.bytes, &base_path, config.publish_mode),
                    None => note::parse(&source.path, &source.bytes, &base_path, config.publish_mode),
                };
                bar.inc(1);
                (note, source.modified)
            })
        },
        || Templates::new(&overrides, &mut template_problems),
    );
    let scan = scan?;
    let mut diagnostics = scan.diagnostics;
    diagnostics.extend(template_problems);
    timings.lap("scan and parse");
    let (notes, modified): (Vec<Note>, Vec<_>) = scan.notes.into_iter().unzip();
    if let Some(cache) = cache {
        cache.keep_only(&notes);
    }
    for note in &notes {
        diagnostics.extend(note.diagnostics.iter().cloned());
    }

    let attachment_paths: Vec<String> = scan.attachments.iter().map(|a| a.path.clone()).collect();
    let mut site = Site::new(config, &notes, &modified, &attachment_paths);
    diagnostics.append(&mut site.diagnostics);

    timings.lap("resolve links and make the site model");
    let pages = AtomicUsize::new(0);
    let count_page = |file: OutputFile| {
        pages.fetch_add(1, Ordering::Relaxed);
        emit(file);
    };
    diagnostics.extend(render::render_site(&site, &templates, options, &count_page));
    bar.inc(site.published_notes().count() as u64);
    timings.lap("render and write pages");

    // The garden's own static files replace built-in ones of the same name.
    let own_static = layout.static_files();
    for (name, bytes) in render::STATIC {
        if !own_static.iter().any(|(own, _)| own == name) {
            emit(OutputFile::bytes(format!("static/{name}"), bytes.to_vec()));
        }
    }
    for (name, file) in own_static {
        emit(OutputFile { path: format!("static/{name}"), contents: Contents::Copy(file) });
    }
    for (attachment, used) in scan.attachments.iter().zip(&site.attachment_used) {
        if *used {
            emit(OutputFile { path: attachment.path.clone(), contents: Contents::Copy(attachment.file.clone()) });
        }
    }
    bar.finish_and_clear();
    let pages = pages.into_inner();

    diagnostics.par_sort();
    diagnostics.dedup();
    let published = site.published_notes().count();
    let note_count = notes.len();
    timings.lap("static files, attachments, sorting the diagnostics");
    // Freeing tens of thousands of parsed notes takes a while; let a worker do it while the caller goes on.
    drop(site);
    rayon::spawn(move || drop(notes));
    Ok(Built { diagnostics, notes: note_count, published, pages, started })
}

/// Phase durations on stderr when `LOAM_TIMINGS` is set, for finding where a slow build spends its time: the
/// wall time of each phase and the CPU time all threads spent in it (CPU time below wall time times the number of
/// cores means cores sat idle).
pub struct Timings {
    enabled: bool,
    last: Instant,
    last_cpu: (f64, f64),
}

impl Timings {
    pub fn new(started: Instant) -> Timings {
        Timings { enabled: std::env::var_os("LOAM_TIMINGS").is_some(), last: started, last_cpu: (0.0, 0.0) }
    }

    pub fn lap(&mut self, phase: &str) {
        if self.enabled {
            let now = Instant::now();
            let cpu = cpu_seconds();
            eprintln!(
                "{:>8.1} ms  CPU {:>6.1} ms user {:>6.1} ms system  {phase}",
                (now - self.last).as_secs_f64() * 1000.0,
                (cpu.0 - self.last_cpu.0) * 1000.0,
                (cpu.1 - self.last_cpu.1) * 1000.0
            );
            self.last = now;
            self.last_cpu = cpu;
        }
    }
}

/// User and system CPU time of the whole process so far, in seconds.
fn cpu_seconds() -> (f64, f64) {
    // SAFETY: getrusage writes only into the struct it is given, which is plain data valid when zeroed.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (seconds(usage.ru_utime), seconds(usage.ru_stime))
}
