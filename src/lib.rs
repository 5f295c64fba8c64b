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
//! `loam serve` runs the same stages on every change, memoised (`memo.rs`: parsed notes by content hash, the whole
//! site model by the key of each note's `Outline`, resolved links by outline and garden shape, templates by their
//! text; every key derived from a `#[derive(Hash)]` type, none listed by hand),
//! keeps the site in memory and renders a page when a browser asks for it. One thread owns everything that
//! changes while it runs (`live.rs`): the preview's state and the history. Everything else sends it an `Input` or
//! reads an immutable snapshot, and each path through it is a straight line:
//!
//! ```text
//! a save:          watcher --Input::Files--> live::Garden: read each changed file once
//!                      -> rebuild the preview from those bytes (serve.rs) -> snapshot --> HTTP handlers
//!                      -> record the same bytes (store) -> flushed by the store's durable worker, then the
//!                         change --> sync (sync/net.rs) --> peers
//!                      -> the contributors and date recording returned -> snapshot (no reload)
//! a peer's change: peer --> sync/net.rs --Input::Peer(TakeIn)--> live::Garden: merge into the store, flush, reply
//!                      -> write the notes (store/merge.rs) -> rebuild -> snapshot --> HTTP handlers
//! ```
//!
//! # Code map
//!
//! - `config.rs`: `loam.toml`; `config/scope.rs`: what a scoped sync token lets a peer read and write.
//! - `diagnostic.rs`: a problem with its file, line and hint; `shown` escapes control characters in whatever
//!   reaches a terminal from a garden or a peer.
//! - `garden.rs`: where a garden's folders are and which files are notes; the only module that reads them. Its
//!   `Layout` holds real paths, resolved once when a garden is opened, and its `Boundary` (the root, the notes
//!   folder, `allow_outside`) decides which symbolic links may be followed.
//! - `note.rs`, `note/frontmatter.rs`: one note's bytes to frontmatter plus first-stage HTML;
//!   `note/frontmatter/merge.rs` merges several authors' frontmatter key by key, in the note's own YAML style.
//! - `markdown.rs`: pulldown-cmark plus Obsidian syntax, writing HTML with markers where links, embeds, headings
//!   and blocks are, so the result depends on the note alone; `markdown/inline.rs` (highlights, tags, block ids,
//!   comments), `markdown/context.rs` (the sentence around a link), `markdown/math.rs` (TeX to MathML),
//!   `markdown/highlight.rs` (fenced code highlighted by syntect; mermaid kept as source),
//!   `markdown/sanitise.rs` (the note's own HTML through ammonia's allow-list, Loam's markup around it untouched).
//! - `resolve.rs`: `LinkIndex`, which turns a link target into a file, in Obsidian's order.
//! - `site.rs`: `Site`, the whole garden after publishing rules: its `Model` (URLs, links, backlinks, tags,
//!   folders, aliases), made by `site/model.rs` of each note's `note::Outline` alone (what the rules read of a
//!   note, made at parse time), and shared between the live preview's builds while no outline changes.
//! - `memo.rs`: `key_of` (the key of a `#[derive(Hash)]` value) and `Kept` (a value kept under the key of what it
//!   was made of), which the live preview's memos are built on.
//! - `history.rs`: what a reader sees of a note's history, from the store's versions: the edits people made
//!   (saves by one author close together as one), a line saying what each changed, differences word by word (of
//!   the text as read, `search::block_text`) or line by line (of the Markdown), and who wrote each line; only
//!   versions in which the note was published are shown (`history::shown`). `loam diff` and `loam blame`
//!   (`cmd/log.rs`) print them.
//! - `page.rs`: the second stage: markers to final HTML (links, transclusions, images).
//! - `render.rs`: pages from the site model (`render_site` for a build, `render_page` for the live preview), one
//!   kind of page at a time: `render/templates.rs` (the Tera templates, built in or the garden's own, and which
//!   costly lists they read), `render/context.rs` (the values each page's template sees, `templates/CONTEXT.md`),
//!   `render/parts.rs` (the lists among them that come as ready HTML, each entry's markup a template in
//!   `templates/parts/`), `render/pattern.rs` (the built-in note and alias templates and those parts rendered once
//!   with markers and filled in per page or entry; a garden's own templates always go through Tera), `render/pages.rs` (every page by its path), `render/feeds.rs` (the Atom feed and the sitemap),
//!   `render/graph.rs` (`graph.json`: notes, links, tags, folders, for the graph view and the explorer),
//!   `render/layout.rs` (where `loam build` places each note of a large garden's graph, d3-force's layout),
//!   `render/memo.rs` (what the live preview keeps between builds), `render/assets.rs` (the scripts and styles
//!   compiled in, and which libraries a site needs) with `render/vendor.rs` (generated by `scripts/vendor`:
//!   KaTeX, mermaid and force-graph; apart from them, the automerge-repo bundle of the preview's editor).
//! - `search.rs`: the full-text search index (word chunks and note texts as JSON), made from each note's text on
//!   the thread that renders its page;
//!   the browser side is `static/search.js`, with `graph.js`, `explorer.js`, `preview.js`, `toc.js`, `visits.js` ("changed since your last visit", in the browser alone), `history.js` (a built site's
//!   history views, made in the browser from each note's `_history/NOTE.json`; a past version rendered with the
//!   vendored markdown-it, its links as the build resolved them), `math.js`
//!   and `mermaid.js` beside it (every page works without them).
//! - `output.rs`: writing the site to a folder as pages come, touching only what changed (and, with `--gzip`, a
//!   gzipped copy beside each text file, kept in step the same way).
//! - `pipeline.rs`: the stages in order. `gather` reads and parses a garden (with `NoteCache`, notes whose bytes
//!   did not change are not parsed again); `build` runs every stage for `build` and `check`, each file going to
//!   a callback as soon as it is made.
//! - `live.rs`: the living garden behind `loam serve`, the one owner of what changes while it runs (the preview
//!   and the store), fed by one channel of `Input`s (files changed, anything changed, a peer's ask) and its own
//!   ticks (looking at the watched folders again, writing merged text held back from a note being typed into).
//! - `serve.rs`: the live preview (`Preview`): on each change it gathers the garden again (memoised, from the
//!   bytes `live.rs` read) and makes a `Snapshot` holding the site model, whose pages are rendered when first
//!   asked for; `serve/http.rs` answers requests from the current snapshot (axum; the router needs no socket) and
//!   streams live-reload events, behind `http/guard.rs` (only this machine's or allowed `Host` names; at `/sync`
//!   and `/_loam/`, only the preview's own or allowed `Origin`s), with `http/range.rs` (byte ranges) and
//!   `http/connection.rs` (the sockets: header and idle timeouts, graceful shutdown), `http/edit.rs` (the live
//!   editing view: a note's text in a browser editor, synced over `/sync` by the automerge-repo bundle of
//!   `render/vendor.rs`'s `EDITOR`, which only the preview serves); `serve/watch.rs` watches the folders (notify, or polling), filters out
//!   editors' scratch files and tells what changed; `serve/search.rs` makes the preview's search index, once someone searches, on a
//!   low-priority thread.
//! - `store.rs`: the history in `.loam/`: one Automerge document per note, each save one change, edits applied
//!   at the heads of the file on disk; `store/checkout.rs` (the notes folder brought in line with the history:
//!   write-backs, peers' moves and deletions, finishing interrupted writes), `store/session.rs` (a sync's state:
//!   what peers sent, the outbox for them); `store/diff.rs` (the edit between two texts), `store/files.rs` (crash-safe
//!   snapshots and logs), `store/durable.rs` (flushes to the disk made by a worker behind the owner while serving, in
//!   order, and what must wait for them run after them: changes to peers, merged notes), `store/local.rs` (this
//!   device's bookkeeping), `store/versions.rs` (each edited note's versions kept ready in `.loam/versions/`, a
//!   cache keyed by its file's heads, so that a build publishing the history loads no document), `store/built.rs`
//!   (what a build made of each note's published history, `.loam/built/`, kept for the next), `store/recorder.rs` (recording
//!   changed files, each read once, and answering sync's asks, for `live.rs` and `loam sync`); `store/merge.rs` (taking in another garden's
//!   changes and bringing the notes on disk in line with the merged index), with `store/placement.rs` (every
//!   note a place, the same on every peer) and `store/paths.rs` (refusing unsafe paths from peers) beside it;
//!   `store/view.rs` (what a peer with a scoped token sees: an index of its own listing only the notes it may
//!   read, whose changes within its write scope go into the garden's; `config/scope.rs` says what a scope
//!   allows); `store/frontmatter.rs` (frontmatter that authors changed at once, merged as data by
//!   `note/frontmatter/merge.rs` and written back as one change every peer makes alike).
//! - `sync.rs`: sync between gardens. `sync/net.rs` speaks the automerge-repo protocol through samod, which is
//!   kept behind it: samod's storage is the store itself (documents are read from it and every change a peer
//!   sends is merged into it by the living garden (`live.rs`), which writes the notes), so there is one copy of each
//!   document on disk; `sync/once.rs` is one exchange (`loam sync URL`, `loam clone URL`); `sync/relay.rs` speaks
//!   the protocol itself to a peer that is not Loam (an automerge-repo relay), many documents at once over a
//!   connection of its own, holding only those in flight, with a ledger on the relay of what it holds so that a
//!   reconnect exchanges only what changed (samod keeps every document it synced in memory, and a relay cannot
//!   say what it has);
//!   `sync/client.rs` reaches a peer (its address as a user writes it, HTTP and WebSocket, plain or TLS with
//!   rustls, trusting the platform's, the bundled and a private certificate authority); `sync/status.rs` is the
//!   board of where each dialed peer stands (printed, `/_loam/peers.json`, `.loam/peers.json` for `loam info`);
//!   `store/address.rs` gives the `automerge:` URLs and the UUID-shaped ids every automerge-repo accepts. Dependencies point one way: `cmd` -> `serve`, `sync` ->
//!   `store` -> `garden`, `config`; the messages between the protocol and the store's thread (`Ask`, `ToPeers`)
//!   are the store's types (`store/recorder.rs`).
//! - `fuzzing.rs`: fuzzing targets, each a function of a fuzzer's bytes that drives the real code
//!   (`fuzzing/note.rs`: a small garden through every stage of a build; `fuzzing/config.rs`: `loam.toml`;
//!   `fuzzing/sync_message.rs`: a peer's messages and documents into a store and its notes). `fuzz/` runs them
//!   under cargo-fuzz, `tests/testsuite/fuzz.rs` for a bounded number of seeded cases. Not Loam's API.
//! - `logging.rs`: messages that are not a command's own output, through `tracing` (`-q`, `-v`, `RUST_LOG`).
//! - `platform.rs`: the few calls to the operating system beyond std (thread priority, flushing a folder, CPU
//!   time), each behind a `cfg` with a portable fallback.
//! - `cmd/`: one file per subcommand (`cmd/repair.rs` mends a damaged history: see `store::Damage`;
//!   `cmd/deploy.rs` the hosts' build files `loam init --deploy` writes). `cmd.rs` prints diagnostics: named from
//!   where the command runs (`cmd::Paths`), grouped by kind when there are many.
//!
//! # Invariants
//!
//! - A note is published only on a clear yes: a `publish` or `draft` that is not `true` or `false`, or
//!   frontmatter that cannot be read, keeps it out in either mode (`note::is_published`).
//! - An unpublished note leaves no trace in the output: pages, links, tags, feeds, file names, the graph and the
//!   search index come only from published notes, and a link to an unpublished note shows neither its name nor
//!   its title.
//! - A built site loads nothing from another origin: every script, style and font is in its `static/`. Nothing
//!   of the preview's own (live reload, the live editing view and its automerge-repo bundle) is in a built site.
//! - One bad note never stops the rest from being read: every problem is a [`diagnostic::Diagnostic`] naming its
//!   file and line. An error (a note that cannot be published) stops `loam build` before it writes anything,
//!   unless `--keep-going` (`pipeline::Options`) writes the rest of the site; the preview shows it over the pages.
//! - Nothing outside the output folder is ever written, and in it only files Loam wrote before are removed.
//! - Everything but `garden.rs`, `output.rs`, `pipeline.rs`, `store.rs`, `live.rs`, `cmd/` (and the sync fuzzing
//!   target's scratch garden) is pure: values in, values out.
//! - While `loam serve` runs, only the thread of `live.rs` changes the garden's state: the preview's caches and
//!   the store. A saved file is read once per change, for the preview and the history; the history's news for
//!   pages (contributors, dates) comes from recording as a value, never read back from `.loam/`.
//! - Nothing whose real path lies outside the garden's `Boundary` is read: not published, recorded or sent.
//! - The history on disk is never ahead of itself: a line of bookkeeping reaches the disk only after the change it
//!   names, and a change reaches a peer, or a merged note its file, only once it is on the disk
//!   (`store/durable.rs` keeps that order when the flushes run behind the owner).
//! - Only a file that is gone is recorded as deleted; a file that cannot be read keeps its history. A document
//!   found lost or damaged is set aside and never written to again under its old heads (`store::Damage`).
//! - Recording history never writes a note file; only merging what a peer sent does (`Store::write_back`), and
//!   only after recording any edit not yet recorded, inside the notes folder, at a path `store/paths.rs` let
//!   through.
//! - A note's first-stage rendering depends on its bytes and `note::Settings` (the base path, the publish mode and
//!   `unsafe_html`) only, so it can be cached by its hash (a change of any of them in loam.toml invalidates every
//!   entry).
//! - The site model reads a note only through its `note::Outline` (the model's builder is never handed a note), so
//!   the key the preview keeps the model under is derived from what the model reads.
//! - HTML written in a note reaches a page, the feed or the search index only through `markdown/sanitise.rs`,
//!   unless `unsafe_html = true`: every later stage reads the first stage's output.

pub mod cmd;
pub mod config;
pub mod diagnostic;
#[doc(hidden)]
pub mod fuzzing;
pub mod garden;
pub mod history;
pub mod live;
pub mod logging;
pub mod markdown;
pub mod memo;
pub mod note;
pub mod output;
pub mod page;
pub mod pipeline;
pub mod platform;
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
