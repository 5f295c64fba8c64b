//! The preview's HTTP side: files of the current [`Snapshot`], the live-reload script and its event stream, and
//! the error overlay. [`router`] needs no socket, so tests call it directly; `http/guard.rs` decides who may reach
//! it at all (`Host`, `Origin`), `http/range.rs` answers range requests, and `http/connection.rs` owns the
//! sockets (timeouts, shutdown).

mod changes;
mod connection;
mod edit;
pub mod guard;
mod history;
mod range;

pub use connection::{serve, HEADER_TIMEOUT};

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::watch;

use super::{Found, Served, Snapshot};
use crate::diagnostic::Diagnostic;
use crate::markdown::escape;

/// The script every served HTML page gets: it listens for new versions and reloads, keeping the scroll position.
const LIVE_JS: &str = include_str!("live.js");

/// What the handlers share: the current snapshot, and a signal that the server is stopping (so that event
/// streams end and a graceful shutdown does not wait for them forever).
#[derive(Clone)]
pub struct AppState {
    pub snapshot: watch::Receiver<Arc<Snapshot>>,
    pub stopping: watch::Receiver<bool>,
    /// The hosts and origins `[serve]` allows besides this machine's own.
    pub allowed: Arc<guard::Allowed>,
    /// How the history views ask the living garden for a note's document; `None`: there are none.
    pub ask: Option<crate::store::recorder::AskStore>,
}

/// The preview's whole server without sync: [`pages`], [`guarded`].
pub fn router(state: AppState) -> Router {
    let allowed = state.allowed.clone();
    guarded(pages(state), allowed)
}

/// The pages and files of the site, the live-reload stream and the garden's address: every route but sync's,
/// which `sync::routes` adds beside them.
pub fn pages(state: AppState) -> Router {
    Router::new()
        // Beside /sync whatever the site's sub-path, so that a peer finds it from the sync address alone.
        .route(
            "/_loam/garden.json",
            axum::routing::get(|State(state): State<AppState>| async move { garden(&state.snapshot.borrow().clone()) }),
        )
        .fallback(page)
        .with_state(state)
}

/// `app` behind the guards every request passes: the `Host` and `Origin` checks of `http/guard.rs` (outermost: a
/// request from a host or origin that may not reach the garden gets nothing else), and byte ranges.
pub fn guarded(app: Router, allowed: Arc<guard::Allowed>) -> Router {
    app.layer(axum::middleware::from_fn(range::ranges))
        .layer(axum::middleware::from_fn_with_state(allowed, guard::guard))
}

/// Pages and files, for reading: anything but `GET` and `HEAD` is refused (405), as there is nothing to change.
async fn page(state: State<AppState>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET, HEAD")], "the preview only serves pages\n")
            .into_response();
    }
    handle(state, uri).await
}

async fn handle(State(state): State<AppState>, uri: Uri) -> Response {
    let snapshot = state.snapshot.borrow().clone();
    let base = snapshot.base_path.as_str();
    let raw = uri.path();
    let Some(rest) = raw.strip_prefix(base).or_else(|| (raw.len() + 1 == base.len()).then_some("")) else {
        // A site previewed under its sub-path: send the root there, and anything else is not ours.
        return if raw == "/" { redirect(base) } else { not_found(&snapshot).await };
    };
    match rest {
        "_loam/live.js" => {
            return ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], LIVE_JS).into_response();
        }
        "_loam/events" => return events(state).into_response(),
        "_loam/status" => return status(&snapshot),
        "_loam/garden.json" => return garden(&snapshot),
        _ => {}
    }
    if let Some(response) = edit::answer(&snapshot, rest, uri.query()) {
        return response;
    }
    if changes::is_here(rest) {
        return match changes::answer(&snapshot, state.ask.as_ref(), rest, uri.query()).await {
            Some(response) => response,
            None => not_found(&snapshot).await,
        };
    }
    if rest.starts_with(history::PREFIX) {
        return match history::answer(&snapshot, state.ask.as_ref(), rest, uri.query()).await {
            Some(response) => response,
            None => not_found(&snapshot).await,
        };
    }
    let Ok(path) = percent_encoding::percent_decode_str(rest).decode_utf8() else {
        return not_found(&snapshot).await;
    };
    if path.split('/').any(|part| part == ".." || part == ".") || path.contains('\0') {
        return not_found(&snapshot).await;
    }
    let path = path.into_owned();
    // The search index is made in the background once a reader first searches; until it is ready, it is missing
    // (search.js says so and asks again).
    if super::search::is_index_file(&path) {
        return match snapshot.search.get(&path) {
            Some(Some(bytes)) => {
                file_response(&snapshot, &path, Found::File(Served::Bytes(bytes)), StatusCode::OK).await
            }
            Some(None) => not_found(&snapshot).await,
            None => (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "2")], "the search index is being made")
                .into_response(),
        };
    }
    let path = if path.is_empty() || path.ends_with('/') { format!("{path}index.html") } else { path };
    if let Some(found) = lookup(&snapshot, &path).await {
        return file_response(&snapshot, &path, found, StatusCode::OK).await;
    }
    if !path.ends_with("index.html") && snapshot.contains(&format!("{path}/index.html")) {
        let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
        return redirect(&format!("{raw}/{query}"));
    }
    not_found(&snapshot).await
}

/// A page made on request (not one of the snapshot's), or the error page of its failed template.
fn page_response(snapshot: &Snapshot, page: crate::serve::Rendered) -> Response {
    match page {
        Ok(bytes) => html_response(snapshot, &snapshot.errors, &bytes, StatusCode::OK, None),
        Err(problems) => {
            let page = b"<!doctype html><html><head><title>Template error</title></head><body></body></html>";
            html_response(snapshot, &problems, page, StatusCode::INTERNAL_SERVER_ERROR, None)
        }
    }
}

/// The file at `path`, rendered on a blocking thread if it is a page not rendered yet.
async fn lookup(snapshot: &Arc<Snapshot>, path: &str) -> Option<Found> {
    if !snapshot.contains(path) {
        return None;
    }
    let (snapshot, path) = (snapshot.clone(), path.to_string());
    tokio::task::spawn_blocking(move || snapshot.get(&path)).await.ok().flatten()
}

fn redirect(to: &str) -> Response {
    let mut response = StatusCode::PERMANENT_REDIRECT.into_response();
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

async fn not_found(snapshot: &Arc<Snapshot>) -> Response {
    match lookup(snapshot, "404.html").await {
        Some(Found::File(Served::Bytes(bytes))) => {
            html_response(snapshot, &snapshot.errors, &bytes, StatusCode::NOT_FOUND, None)
        }
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

async fn file_response(snapshot: &Arc<Snapshot>, path: &str, found: Found, status: StatusCode) -> Response {
    let file = match found {
        Found::File(file) => file,
        Found::Failed(problems) => {
            // The page's template failed: say so over an empty page, with the problems in the overlay.
            let page = b"<!doctype html><html><head><title>Template error</title></head><body></body></html>";
            return html_response(snapshot, &problems, page, StatusCode::INTERNAL_SERVER_ERROR, None);
        }
    };
    let bytes = match file {
        Served::Bytes(bytes) => bytes,
        Served::File(on_disk) => match tokio::fs::read(&on_disk).await {
            Ok(bytes) => Bytes::from(bytes),
            Err(_) => return (StatusCode::NOT_FOUND, "not found").into_response(),
        },
    };
    if path.ends_with(".html") {
        return html_response(snapshot, &snapshot.errors, &bytes, status, snapshot.note_shown(path));
    }
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let content_type = match mime.type_() {
        mime_guess::mime::TEXT => format!("{mime}; charset=utf-8"),
        _ if mime.subtype() == "javascript" || mime.subtype() == "json" || mime.subtype() == "xml" => {
            format!("{mime}; charset=utf-8")
        }
        _ => mime.to_string(),
    };
    let mut response = (status, Body::from(bytes)).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// An HTML page with the live-reload script and, while there are `errors`, the overlay that lists them; a page
/// that shows a `note` offers its live editing view.
fn html_response(
    snapshot: &Snapshot,
    errors: &[Diagnostic],
    page: &[u8],
    status: StatusCode,
    note: Option<&str>,
) -> Response {
    let page = inject(snapshot, errors, page, note);
    let mut response = (status, Body::from(page)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Adds the live-reload script (before `</head>`) and the error overlay (before `</body>`) to a page; on a page
/// that shows a `note`, the script adds a link to its live editing view (`http/edit.rs`). A garden's own
/// templates get them too, whatever they contain; `loam build` output never does.
pub fn inject(snapshot: &Snapshot, errors: &[Diagnostic], page: &[u8], note: Option<&str>) -> Vec<u8> {
    let edit = note.map(|note| format!(" data-loam-edit=\"{}\"", escape(&edit::href(&snapshot.base_path, note))));
    let script = format!(
        "<script src=\"{}_loam/live.js\" data-loam-version=\"{}\"{} defer></script>\n",
        snapshot.base_path,
        snapshot.version,
        edit.unwrap_or_default()
    );
    let overlay = overlay(errors);
    let mut out = Vec::with_capacity(page.len() + script.len() + overlay.len());
    let head_end = memchr::memmem::find(page, b"</head>").unwrap_or(0);
    out.extend_from_slice(&page[..head_end]);
    out.extend_from_slice(script.as_bytes());
    let rest = &page[head_end..];
    match memchr::memmem::rfind(rest, b"</body>") {
        Some(body_end) => {
            out.extend_from_slice(&rest[..body_end]);
            out.extend_from_slice(overlay.as_bytes());
            out.extend_from_slice(&rest[body_end..]);
        }
        None => {
            out.extend_from_slice(rest);
            out.extend_from_slice(overlay.as_bytes());
        }
    }
    out
}

/// How the file and line of an error look in the overlay, whatever the site's own style sheet (light or dark) says
/// of `code`: white on dark red, 13:1 and more.
const PLACE: &str = "color:#ffffff;background:#5a1616;padding:.1em .35em;border-radius:3px;font:inherit;\
                     font-weight:600;border:0";

/// The errors of the garden over the page: file, line and message of each, until they are fixed.
fn overlay(errors: &[Diagnostic]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let mut html = String::from(
        "<div id=\"loam-overlay\" role=\"alert\" style=\"position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;\
         z-index:2147483647;margin:0;padding:1rem 1.25rem;background:#2b0b0b;color:#ffe9e9;\
         font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;border-top:4px solid #e5484d;\
         box-shadow:0 -4px 24px rgba(0,0,0,.4)\">\
         <button type=\"button\" onclick=\"this.parentNode.remove()\" aria-label=\"Hide\" style=\"float:right;\
         background:none;border:1px solid #ffe9e9;color:inherit;border-radius:4px;cursor:pointer\">Hide</button>",
    );
    let count = if errors.len() == 1 { "1 error".to_string() } else { format!("{} errors", errors.len()) };
    html.push_str(&format!(
        "<strong style=\"display:block;margin-bottom:.5rem\">Loam: {count} in the garden (the rest keeps \
         serving; fix and save to clear this)</strong><ol style=\"margin:0;padding-left:1.5rem\">"
    ));
    for error in errors {
        let mut place = error.path.clone();
        if error.line > 0 {
            place.push_str(&format!(":{}", error.line));
            if error.column > 0 {
                place.push_str(&format!(":{}", error.column));
            }
        }
        html.push_str(&format!(
            "<li class=\"loam-error\" style=\"color:#ffe9e9\"><code class=\"loam-error-place\" style=\"{PLACE}\">{}</code>: \
             <span class=\"loam-error-message\" style=\"color:#ffe9e9;background:none\">{}</span>",
            escape(&place),
            escape(&error.message)
        ));
        if !error.hint.is_empty() {
            html.push_str(&format!(
                "<br><em style=\"color:#ffd7d7;background:none\">help: {}</em>",
                escape(&error.hint)
            ));
        }
        html.push_str("</li>");
    }
    html.push_str("</ol></div>\n");
    html
}

/// Server-sent events: the current version at once, then each new one; the stream ends when the server stops.
fn events(state: AppState) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut snapshots = state.snapshot.clone();
    let first = snapshots.borrow_and_update().version;
    let later = stream::unfold(snapshots, |mut snapshots| async move {
        snapshots.changed().await.ok()?;
        let version = snapshots.borrow_and_update().version;
        Some((version, snapshots))
    });
    let mut stopping = state.stopping.clone();
    let stop = async move {
        while !*stopping.borrow_and_update() {
            if stopping.changed().await.is_err() {
                break;
            }
        }
    };
    let versions = stream::once(async move { first })
        .chain(later)
        .map(|version| Ok(Event::default().event("version").data(version.to_string())))
        .take_until(Box::pin(stop));
    Sse::new(versions).keep_alive(KeepAlive::default())
}

/// The preview's state as JSON, for tools and tests: version, errors, counts.
/// What a peer needs to find the garden from its sync URL alone: the `automerge:` URL of its index document
/// (null before its history is first recorded) and its title.
fn garden(snapshot: &Snapshot) -> Response {
    let index = snapshot.root.as_deref().and_then(crate::store::address_of);
    let body = serde_json::json!({ "index": index, "title": snapshot.title });
    ([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn status(snapshot: &Snapshot) -> Response {
    let errors: Vec<_> = snapshot
        .errors
        .iter()
        .map(|d| {
            serde_json::json!({
                "path": d.path, "line": d.line, "column": d.column, "message": d.message, "hint": d.hint
            })
        })
        .collect();
    let body = serde_json::json!({
        "version": snapshot.version,
        "notes": snapshot.notes,
        "files": snapshot.file_count(),
        "warnings": snapshot.warnings(),
        "errors": errors,
    });
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A URL's query as (name, value) pairs, decoded; none without one.
fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query.map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Kind, Severity};
    use axum::body::to_bytes;
    use axum::http::Request;
    use tower::ServiceExt;

    fn snapshot(base_path: &str, errors: Vec<Diagnostic>) -> Snapshot {
        let page = |text: &str| Served::Bytes(Bytes::from(format!("<html><head></head><body>{text}</body></html>")));
        let mut files = std::collections::HashMap::new();
        files.insert("index.html".to_string(), page("home"));
        files.insert("zürich notes/index.html".to_string(), page("grüezi"));
        files.insert("404.html".to_string(), page("no such page"));
        files.insert("static/style.css".to_string(), Served::Bytes(Bytes::from_static(b"body{}")));
        Snapshot { version: 7, base_path: base_path.into(), files, errors, notes: 2, ..Snapshot::default() }
    }

    async fn get(snapshot: Snapshot, uri: &str) -> (StatusCode, Option<String>, String) {
        let (_publish, snapshots) = watch::channel(Arc::new(snapshot));
        let (_stop, stopping) = watch::channel(false);
        let app = router(AppState { snapshot: snapshots, stopping, allowed: Default::default(), ask: None });
        let response = app.oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
        let status = response.status();
        let location = response.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_string());
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, location, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn pages_redirects_and_not_found() {
        let (status, _, body) = get(snapshot("/", vec![]), "/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("home") && body.contains("_loam/live.js\" data-loam-version=\"7\""), "{body}");
        assert!(!body.contains("loam-overlay"));

        let (status, _, body) = get(snapshot("/", vec![]), "/z%C3%BCrich%20notes/").await;
        assert_eq!((status, body.contains("grüezi")), (StatusCode::OK, true));
        let (status, location, _) = get(snapshot("/", vec![]), "/z%C3%BCrich%20notes?x=1").await;
        assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
        assert_eq!(location.as_deref(), Some("/z%C3%BCrich%20notes/?x=1"));

        let (status, _, body) = get(snapshot("/", vec![]), "/missing/").await;
        assert_eq!((status, body.contains("no such page")), (StatusCode::NOT_FOUND, true));
        for sneaky in ["/../etc/passwd", "/static/../index.html", "/%2e%2e/index.html", "/a%00b"] {
            let (status, _, _) = get(snapshot("/", vec![]), sneaky).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{sneaky}");
        }
        let (status, _, body) = get(snapshot("/", vec![]), "/static/style.css").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "body{}"), "assets are served as they are");
    }

    #[tokio::test]
    async fn a_site_under_a_sub_path() {
        let (status, location, _) = get(snapshot("/garden/", vec![]), "/").await;
        assert_eq!((status, location.as_deref()), (StatusCode::PERMANENT_REDIRECT, Some("/garden/")));
        let (status, _, body) = get(snapshot("/garden/", vec![]), "/garden/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("src=\"/garden/_loam/live.js\""));
        let (status, _, _) = get(snapshot("/garden/", vec![]), "/garden/_loam/live.js").await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, _) = get(snapshot("/garden/", vec![]), "/elsewhere/").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn errors_show_over_every_page_escaped() {
        let error = Diagnostic::new("notes/<b>.md", 3, Severity::Error, Kind::Frontmatter, "bad `<yaml>`".into())
            .column(9)
            .hint("fix it");
        let (_, _, body) = get(snapshot("/", vec![error.clone()]), "/").await;
        assert!(body.contains("loam-overlay"));
        assert!(body.contains("notes/&lt;b&gt;.md:3:9") && body.contains("bad `&lt;yaml&gt;`"), "{body}");
        let (_, _, status) = get(snapshot("/", vec![error]), "/_loam/status").await;
        let status: serde_json::Value = serde_json::from_str(&status).unwrap();
        assert_eq!(status["version"], 7);
        assert_eq!(status["errors"][0]["line"], 3);
    }

    #[tokio::test]
    async fn the_garden_s_address_is_null_until_it_has_a_history() {
        let dir = tempfile::tempdir().unwrap();
        let garden =
            Snapshot { root: Some(dir.path().to_path_buf()), title: "Commons".into(), ..snapshot("/g/", vec![]) };
        let (status, _, body) = get(garden, "/g/_loam/garden.json").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&body).unwrap(),
            serde_json::json!({ "index": null, "title": "Commons" })
        );
        crate::store::Store::open(dir.path(), "Ada").unwrap();
        let garden = Snapshot { root: Some(dir.path().to_path_buf()), ..snapshot("/g/", vec![]) };
        let (_, _, body) = get(garden, "/g/_loam/garden.json").await;
        let index = serde_json::from_str::<serde_json::Value>(&body).unwrap()["index"].as_str().unwrap().to_string();
        assert_eq!(crate::store::address::url(&crate::store::address::id(&index).unwrap()), Some(index));
    }
}
