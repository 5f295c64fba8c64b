//! Sync's HTTP routes, which the preview's server merges beside its pages (`cmd/serve.rs`): `/sync` (the
//! automerge-repo protocol over a WebSocket), `/_loam/heads.json` and `/_loam/documents` (what a Loam peer asks
//! for to sync only what differs, or to clone at once), each behind the garden's tokens. The server's own guards
//! (`Host`, `Origin`) wrap them with everything else.

use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceExt;

use super::net::Peers;

/// What the routes need: the protocol's peers, and the tokens that let a peer in.
#[derive(Clone)]
pub struct SyncState {
    pub peers: Peers,
    /// Empty: no token is asked (the server listens on this machine only, see `cmd::serve::may_listen`).
    pub tokens: Arc<Vec<crate::config::Token>>,
}

#[derive(Clone)]
struct Routes {
    sync: SyncState,
    /// What answers a request at `/sync` that is not a WebSocket: the garden's own page there, if it has one.
    other: Router,
}

/// The sync routes of a garden that syncs; `other` answers what is not sync's at their paths.
pub fn routes(sync: SyncState, other: Router) -> Router {
    Router::new()
        .route("/sync", axum::routing::get(socket))
        .route("/_loam/heads.json", axum::routing::get(heads))
        .route("/_loam/documents", axum::routing::get(documents))
        .route("/_loam/peers.json", axum::routing::get(peers))
        .route("/_loam/view.json", axum::routing::get(view))
        .route("/_loam/note.json", axum::routing::get(note))
        .with_state(Routes { sync, other })
}

/// The access the token a request presents gives (`Authorization: Bearer`, or `?token=`); a refusal, logged,
/// when it gives none.
fn access_of(sync: &SyncState, parts: &Parts, from: &str) -> Result<crate::config::Grant, String> {
    let from_header =
        parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer).map(str::to_string);
    let query = parts.uri.query().and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("token="))
            .map(|t| percent_encoding::percent_decode_str(t).decode_utf8_lossy().into_owned())
    });
    let presented = from_header.or(query);
    if sync.tokens.is_empty() {
        // No token is asked of this machine's own programs. A request a reverse proxy passed on also comes from
        // this machine, on behalf of anyone who reached the proxy: it is refused until the garden sets a token.
        if let Some(proxy) = through_a_proxy(parts) {
            tracing::warn!("sync: refused {from}, passed on by a proxy ({proxy}): this garden sets no token");
            return Err(format!(
                "this garden is reached through a proxy ({proxy} is set) and sets no sync token, so it syncs with \
                 no one: set one (LOAM_TOKEN, or [[sync.tokens]] in loam.toml) and present it\n"
            ));
        }
        return Ok(crate::config::Grant::whole());
    }
    crate::config::access(&sync.tokens, presented.as_deref()).ok_or_else(|| {
        let why = if presented.is_some() { "a wrong token" } else { "no token" };
        tracing::info!("sync: refused {from}: {why}");
        format!("this garden takes a sync token, and {why} was given (Authorization: Bearer TOKEN, or ?token=TOKEN)\n")
    })
}

/// The header by which a reverse proxy says it passed a request on (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`,
/// as Caddy, nginx and the rest set one of them); `None` for a request that came straight here.
fn through_a_proxy(parts: &Parts) -> Option<&'static str> {
    ["forwarded", "x-forwarded-for", "x-real-ip"].into_iter().find(|name| parts.headers.contains_key(*name))
}

/// The token of an `Authorization: Bearer TOKEN` header; the scheme's name in any case, as HTTP's schemes are
/// (RFC 9110, section 11.1).
fn bearer(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// `/_loam/heads.json`: the heads of every note's document, for a Loam peer to sync only what differs.
async fn heads(State(routes): State<Routes>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let grant = match granted(&routes.sync, &parts, "a peer asking for heads") {
        Ok(grant) => grant,
        Err(refused) => return *refused,
    };
    let sync = &routes.sync;
    let heads = sync.peers.heads(grant.scope).await.map(|heads| serde_json::to_vec(&heads).unwrap_or_default());
    history_answer(heads, "application/json")
}

/// `/_loam/peers.json`: where each peer this garden keeps in step with stands (`sync::status`).
async fn peers(State(routes): State<Routes>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    if let Some(refused) = refusal(&routes.sync, &parts, "a peer asking how sync stands") {
        return refused;
    }
    let board = routes.sync.peers.board().peers();
    ([(header::CONTENT_TYPE, "application/json")], serde_json::to_vec(&board).unwrap_or_default()).into_response()
}

/// `/_loam/note.json?path=PATH`: the `automerge:` URL of the note at `PATH` (relative to the notes folder) and
/// the access the token gives, for the preview's live editing view (`serve/http/edit.rs`), which then syncs that
/// document over `/sync` like any peer. Behind the same token as `/sync`; only notes (`.md`) are answered.
async fn note(State(routes): State<Routes>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let grant = match access_of(&routes.sync, &parts, "the live editing view") {
        Ok(grant) => grant,
        Err(refusal) => return (StatusCode::UNAUTHORIZED, refusal).into_response(),
    };
    let path = parts.uri.query().and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("path="))
            .map(|p| percent_encoding::percent_decode_str(&p.replace('+', " ")).decode_utf8_lossy().into_owned())
    });
    let Some(path) = path.filter(|p| p.to_lowercase().ends_with(".md")) else {
        return (StatusCode::BAD_REQUEST, "ask for a note: /_loam/note.json?path=NOTE.md\n").into_response();
    };
    // A scoped token edits only what it may read (its document goes to it only then: `store::view`); what
    // `loam build` publishes is not known here, so a `published` scope is not offered the editor at all.
    let mut access = grant.access;
    if let Some(scope) = &grant.scope {
        if scope.published_only() || !scope.may_read(&path, true) {
            return (StatusCode::FORBIDDEN, "this token may not read this note\n").into_response();
        }
        if !scope.may_write(&path) {
            access = crate::config::Access::ReadOnly;
        }
    }
    let url = match routes.sync.peers.note(&path).await {
        None => return history_answer(None, "application/json"),
        Some(None) => return (StatusCode::NOT_FOUND, "this note has no history yet\n").into_response(),
        Some(Some(doc)) => crate::store::address::url(&doc),
    };
    let access = match access {
        crate::config::Access::ReadWrite => "read-write",
        crate::config::Access::ReadOnly => "read-only",
    };
    let body = serde_json::json!({ "url": url, "access": access });
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body.to_string())
        .into_response()
}

/// `/_loam/documents`: every document of the garden in one piece, for `loam clone` (see `Store::bundle`).
async fn documents(State(routes): State<Routes>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let grant = match granted(&routes.sync, &parts, "a peer asking for every document") {
        Ok(grant) => grant,
        Err(refused) => return *refused,
    };
    let sync = &routes.sync;
    history_answer(sync.peers.bundle(grant.scope).await, "application/octet-stream")
}

/// `/_loam/view.json`: the address of the index a peer with the token presented is to take as its garden's
/// (`loam clone` asks): the garden's own for a token to all of it, else its scope's view (`store::view`), which
/// lists only the notes it may read.
async fn view(State(routes): State<Routes>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let grant = match granted(&routes.sync, &parts, "a peer asking for its index") {
        Ok(grant) => grant,
        Err(refused) => return *refused,
    };
    let index = match grant.scope {
        Some(scope) => routes.sync.peers.view(scope).await,
        None => routes.sync.peers.index(),
    };
    let Some(index) = index.and_then(|id| crate::store::address::url(&id)) else {
        return history_answer(None, "application/json");
    };
    let body = serde_json::json!({ "index": index });
    ([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// The grant of a request a peer makes beside `/sync`, or its refusal (`what` names the request in the log).
fn granted(sync: &SyncState, parts: &Parts, what: &str) -> Result<crate::config::Grant, Box<Response>> {
    access_of(sync, parts, what).map_err(|refusal| Box::new((StatusCode::UNAUTHORIZED, refusal).into_response()))
}

/// The refusal of a request a peer makes beside `/sync` without the token `/sync` takes (`what` names the request
/// in the log); `None` when it may go on.
fn refusal(sync: &SyncState, parts: &Parts, what: &str) -> Option<Response> {
    access_of(sync, parts, what).err().map(|refusal| (StatusCode::UNAUTHORIZED, refusal).into_response())
}

/// What the history gave, as `kind`; unavailable when it gave nothing (no history is recorded here).
fn history_answer(body: Option<Vec<u8>>, kind: &'static str) -> Response {
    match body {
        Some(body) => ([(header::CONTENT_TYPE, kind)], body).into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "the history is not available\n").into_response(),
    }
}

/// `/sync`: a WebSocket speaking the automerge-repo protocol, for a peer with a valid token (as `Authorization:
/// Bearer`, or `?token=` for clients that cannot set headers, such as browsers). Anything else at `/sync` is the
/// garden's own page, if it has one.
async fn socket(State(routes): State<Routes>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &routes).await {
        Ok(upgrade) => upgrade,
        Err(_) => return routes.other.oneshot(Request::from_parts(parts, body)).await.into_response(),
    };
    let from = parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "a peer".to_string(), |ConnectInfo(address)| address.to_string());
    let grant = match access_of(&routes.sync, &parts, &from) {
        Ok(grant) => grant,
        Err(refusal) => return (StatusCode::UNAUTHORIZED, refusal).into_response(),
    };
    let sync = routes.sync;
    upgrade
        .max_message_size(256 << 20)
        .on_upgrade(move |socket| async move { sync.peers.accept(socket, grant, from).await })
        .into_response()
}
