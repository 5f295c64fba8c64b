//! The preview's live editing view: a plain-text editor in the browser bound to a note's Automerge document, so
//! that people editing one note see each other's keystrokes as they type. This module serves its page
//! (`_loam/edit?note=PATH`), its script (`edit.js`, `edit.css`) and the automerge-repo bundle the script runs on
//! (`_loam/automerge.js`, `static/vendor/automerge/`, made by `scripts/vendor`); all of it only from `loam serve`,
//! never in a built site. Pure: values in, responses out.
//!
//! The page holds no secret and no document id: the script asks `/_loam/note.json` (a sync route, behind the
//! garden's tokens) for the note's `automerge:` URL, then syncs it over `/sync` like any automerge-repo peer. Both
//! are at the server's root and behind the `Origin` check of `guard.rs`, so a page of another site can use
//! neither. When the garden sets tokens the editor asks the user for one and keeps it in `sessionStorage`.
//!
//! Edits reach the note's file as any peer's do: `live.rs` writes merged text to a note once its file has been
//! still for a second, so an editor that has the file open is never fought over.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::markdown::escape;

use crate::serve::Snapshot;

const EDIT_JS: &str = include_str!("edit.js");
const EDIT_CSS: &str = include_str!("edit.css");
/// The bundle's name under `static/` (see `vendor::EDITOR`).
const BUNDLE: &str = "vendor/automerge/automerge.min.js";

/// The page's policy: scripts only from the preview (and the bundle's WebAssembly compiled from its own bytes),
/// connections only to the preview (`/_loam/note.json`, `/sync`), and no other page may frame it (a frame could
/// trick a reader into typing into it).
const POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                      connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; \
                      frame-ancestors 'none'";

/// The answer for `rest` (a path under the site's base path) if it is one of the editor's; `None` otherwise.
pub fn answer(snapshot: &Snapshot, rest: &str, query: Option<&str>) -> Option<Response> {
    match rest {
        "_loam/edit" => Some(page(snapshot, query)),
        "_loam/edit.js" => Some(file("text/javascript; charset=utf-8", EDIT_JS.as_bytes())),
        "_loam/edit.css" => Some(file("text/css; charset=utf-8", EDIT_CSS.as_bytes())),
        "_loam/automerge.js" => {
            let mut response = file("text/javascript; charset=utf-8", bundle());
            // The page names the bundle by its hash (`?v=`), so a browser keeps it, rather than fetching 5 MB each
            // time the editor opens, and a new Loam's bundle has a new name.
            if query.is_some_and(|q| q == format!("v={}", bundle_hash())) {
                let forever = HeaderValue::from_static("public, max-age=31536000, immutable");
                response.headers_mut().insert(header::CACHE_CONTROL, forever);
            }
            Some(response)
        }
        _ => None,
    }
}

/// The automerge-repo bundle, compiled in (`render/vendor.rs`, made by `scripts/vendor`).
fn bundle() -> &'static [u8] {
    crate::render::EDITOR.iter().find(|(name, _)| *name == BUNDLE).map_or(&[], |(_, bytes)| *bytes)
}

/// The bundle's hash, as hex: its name in the page.
fn bundle_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bundle())))
}

/// The link to the live editing view of the note at `path`, relative to the site's base path.
pub fn href(base_path: &str, note: &str) -> String {
    let encoded = percent_encoding::utf8_percent_encode(note, percent_encoding::NON_ALPHANUMERIC);
    format!("{base_path}_loam/edit?note={encoded}")
}

/// The editor of the note named by `?note=PATH`, if the preview publishes it.
fn page(snapshot: &Snapshot, query: Option<&str>) -> Response {
    let note = query.and_then(|query| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("note="))
            .map(|p| percent_encoding::percent_decode_str(&p.replace('+', " ")).decode_utf8_lossy().into_owned())
    });
    let Some((note, (title, url))) = note.as_deref().and_then(|n| Some((n, snapshot.published_note(n)?))) else {
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "no such note\n")
            .into_response();
    };
    let base = escape(&snapshot.base_path);
    let (note, title, url) = (escape(note), escape(title), escape(url));
    let hash = bundle_hash();
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Editing {title} · Loam</title>
<link rel="stylesheet" href="{base}_loam/edit.css">
<script src="{base}_loam/automerge.js?v={hash}" defer></script>
<script src="{base}_loam/edit.js" defer></script>
</head>
<body>
<main id="loam-editor" data-note="{note}">
<header class="bar">
<a class="back" href="{url}"><span aria-hidden="true">&larr;</span> {title}</a>
<label class="name">Your name <input id="loam-edit-name" autocomplete="name" placeholder="for the history"></label>
<span id="loam-edit-state" class="state" role="status" aria-live="polite" data-state="connecting">Connecting&hellip;</span>
</header>
<form id="loam-edit-token" class="token" hidden>
<label for="loam-edit-token-input">This garden takes a sync token to edit its notes. Token</label>
<span class="token-row"><input id="loam-edit-token-input" type="password" autocomplete="off" required>
<button type="submit">Connect</button></span>
<span id="loam-edit-token-problem" class="problem" role="alert"></span>
</form>
<label class="label" for="loam-edit-text">Text of <code>{note}</code></label>
<textarea id="loam-edit-text" spellcheck="true" disabled aria-describedby="loam-edit-hint"></textarea>
<p id="loam-edit-hint" class="hint">What you type is shared at once with everyone editing this note, and written
to the note's file once typing pauses for a second. <noscript>The editor needs JavaScript.</noscript></p>
</main>
</body>
</html>
"#
    );
    let mut response = file("text/html; charset=utf-8", html.into_bytes());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

fn file(kind: &'static str, body: impl Into<axum::body::Body>) -> Response {
    let mut response = (StatusCode::OK, body.into()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_names_the_note_percent_encoded() {
        assert_eq!(href("/g/", "Zürich/a note&b.md"), "/g/_loam/edit?note=Z%C3%BCrich%2Fa%20note%26b%2Emd");
    }

    #[test]
    fn only_the_editor_s_paths_are_answered() {
        let snapshot = Snapshot::default();
        for own in ["_loam/edit.js", "_loam/edit.css", "_loam/automerge.js"] {
            assert_eq!(answer(&snapshot, own, None).map(|r| r.status()), Some(StatusCode::OK), "{own}");
        }
        let missing = answer(&snapshot, "_loam/edit", Some("note=nothing.md")).unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND, "a note the preview does not publish");
        assert!(answer(&snapshot, "_loam/editor", None).is_none());
        let cached = |query: &str| {
            let response = answer(&snapshot, "_loam/automerge.js", Some(query)).unwrap();
            response.headers()[header::CACHE_CONTROL].to_str().unwrap().to_string()
        };
        assert!(cached(&format!("v={}", bundle_hash())).contains("immutable"), "the bundle by its hash is kept");
        assert_eq!(cached("v=0000"), "no-cache", "another name is asked for each time");
        assert!(bundle().len() > 1 << 20, "the bundle is compiled in");
        assert!(answer(&snapshot, "notes/_loam/edit.js", None).is_none());
    }
}
