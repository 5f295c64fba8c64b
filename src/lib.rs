//! Loam: a local-first publisher for knowledge gardens.
//!
//! # Bird's-eye view
//!
//! A garden is a folder of Markdown notes. `loam build` runs one pipeline, in one direction:
//!
//! ```text
//! scan (garden.rs) -> parse (note.rs, markdown.rs) -> resolve links (resolve.rs) -> site model (site.rs)
//!     -> render pages (render.rs, Tera) -> write (output.rs)
//! ```
//!
//! `loam serve` runs the same stages on every change, memoised (parsed notes by content hash, resolved links by
//! note and garden shape, the whole site model by a hash of what it reads of each note, templates by their text),
//! keeps the site in memory and renders a page when a browser asks for it.
//!
//! # Code map
//!
//! - `config.rs`: `loam.toml`.
//! - `garden.rs`: where a garden's folders are and which files are notes; the only module that reads them.
//! - `note.rs`, `note/frontmatter.rs`: one note's bytes to frontmatter plus first-stage HTML.
//! - `markdown.rs`: pulldown-cmark plus Obsidian syntax, writing HTML with markers where links, embeds, headings
//!   and blocks are, so the result depends on the note alone; `markdown/inline.rs` (highlights, tags, block ids,
//!   comments), `markdown/context.rs` (the sentence around a link), `markdown/math.rs` (TeX to MathML).
//! - `resolve.rs`: `LinkIndex`, which turns a link target into a file, in Obsidian's order.
//! - `site.rs`: `Site`, the whole garden after publishing rules: its `Model` (URLs, links, backlinks, tags,
//!   folders, aliases), shared between the live preview's builds while no note's site-facing parts change.
//! - `page.rs`: the second stage: markers to final HTML (links, transclusions, images).
//! - `render.rs`: Tera templates and the values each page's template sees; `render/pattern.rs` renders the
//!   built-in note and alias templates once with markers and fills them in per page (a garden's own templates
//!   always go through Tera).
//! - `output.rs`: writing the site to a folder as pages come, touching only what changed.
//! - `pipeline.rs`: the stages in order. `gather` reads and parses a garden (with `NoteCache`, notes whose bytes
//!   did not change are not parsed again); `build` runs every stage for `build` and `check`, each file going to
//!   a callback as soon as it is made.
//! - `serve.rs`: the live preview. One thread owns the garden (`Preview`): on each change it gathers the garden
//!   again (memoised) and makes a `Snapshot` holding the site model, whose pages are rendered when first asked
//!   for; `serve/http.rs` answers requests from the current snapshot (axum; the router needs no socket) and
//!   streams live-reload events; `serve/watch.rs` watches the folders (notify, or polling) and filters out
//!   editors' scratch files.
//! - `store.rs`: the history in `.loam/`: one Automerge document per note, each save one change, edits applied
//!   at the heads of the file on disk; `store/diff.rs` (the edit between two texts), `store/files.rs` (crash-safe
//!   snapshots and logs), `store/local.rs` (this device's bookkeeping), `store/recorder.rs` (the thread that
//!   records while `loam serve` runs, and answers sync's asks); `store/merge.rs` (taking in another garden's
//!   changes and bringing the notes on disk in line with the merged index).
//! - `sync.rs`: sync between gardens. `sync/net.rs` speaks the automerge-repo protocol through samod, which is
//!   kept behind it: samod's storage is the store itself (documents are read from it and every change a peer
//!   sends is merged into it by the recorder's thread, which writes the notes), so there is one copy of each
//!   document on disk; `sync/once.rs` is one exchange (`loam sync URL`, `loam clone URL`); `sync/paths.rs`
//!   refuses unsafe paths from peers, `sync/layout.rs` gives every note a place (the same on every peer),
//!   `sync/address.rs` the `automerge:` URLs.
//! - `cmd/`: one file per subcommand.
//!
//! # Invariants
//!
//! - An unpublished note leaves no trace in the output: pages, links, tags, feeds and file names come only from
//!   published notes, and a link to an unpublished note shows neither its name nor its title.
//! - One bad note never stops a build: every problem is a [`diagnostic::Diagnostic`] and the note is still built.
//! - Nothing outside the output folder is ever written, and in it only files Loam wrote before are removed.
//! - Everything but `garden.rs`, `output.rs`, `pipeline.rs`, `store.rs` and `cmd/` is pure: values in, values
//!   out.
//! - Recording history never writes a note file; only merging what a peer sent does (`Store::write_back`), and
//!   only after recording any edit not yet recorded, inside the notes folder, at a path `sync/paths.rs` let
//!   through.
//! - A note's first-stage rendering depends on its bytes, the base path and the publish mode only, so it can be
//!   cached by its hash (a change of `publish_mode` or `base_url` in loam.toml invalidates every entry).

pub mod cmd;
pub mod config;
pub mod diagnostic;
pub mod garden;
pub mod markdown;
pub mod note;
pub mod output;
pub mod page;
pub mod pipeline;
pub mod render;
pub mod resolve;
pub mod search;
pub mod serve;
pub mod site;
pub mod slug;
pub mod store;
pub mod sync;

/// A mutex's guard, even if a thread panicked while holding it: the data behind Loam's locks (caches, lists of
/// results) stays valid whatever a panicking thread did, so a panic elsewhere must not poison the rest.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
