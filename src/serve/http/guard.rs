//! Who may reach the preview at all: the `Host` a request names and the `Origin` a browser sends, checked before
//! any route answers (DESIGN.md, "Trust model"). The checks are pure; [`guard`] is the middleware that applies
//! them.
//!
//! Any web page the user opens can make requests to 127.0.0.1 and open WebSockets to it, and CORS covers neither
//! a WebSocket nor a request whose answer the page does not need to read. Two doors are closed here, as Vite's
//! `server.allowedHosts`, webpack-dev-server and Jupyter close them:
//!
//! - **DNS rebinding**: a page at `evil.example` whose name is made to resolve to 127.0.0.1 reads the preview as
//!   its own origin, and its browser sends no `Origin` for a same-origin `GET`. What it cannot change is the
//!   `Host` header, which names `evil.example`. So a request must name this machine (`localhost`, any
//!   `*.localhost`, which browsers resolve to loopback themselves), an IP address, or a host of `[serve]
//!   allowed_hosts`. Every IP address is allowed: rebinding needs a name the attacker's DNS answers for, and a page
//!   that names an address directly is cross-origin, which the `Origin` check and CORS already cover.
//! - **Cross-site WebSocket hijacking** (and cross-site reads of `/_loam/`): a browser always sends `Origin` on a
//!   WebSocket upgrade and on a cross-origin request. At `/sync` and under `/_loam/`, an `Origin` must be the
//!   preview's own (`http://` or `https://` with the request's `Host`) or one of `[serve] allowed_origins`.
//!   A client that sends no `Origin` is no web page (Loam itself, Node programs): the token rules apply to it as
//!   before.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The hosts and origins `[serve]` in loam.toml adds to this machine's own, in the form requests are compared in.
#[derive(Debug, Clone, Default)]
pub struct Allowed {
    /// Lower-case names without a trailing dot; those starting with `.` allow every name under them too.
    hosts: Vec<String>,
    /// Lower-case origins without a trailing `/`.
    origins: Vec<String>,
}

impl Allowed {
    pub fn new(serve: &crate::config::Serve) -> Allowed {
        Allowed {
            hosts: serve.allowed_hosts.iter().map(|h| normal_name(h)).filter(|h| !h.is_empty()).collect(),
            origins: serve.allowed_origins.iter().map(|o| o.trim().trim_end_matches('/').to_lowercase()).collect(),
        }
    }

    /// Whether a request naming `host` (a `Host` header: a name or address, with or without a port) may be
    /// answered.
    pub fn host(&self, host: &str) -> bool {
        let Some(name) = host_name(host) else {
            return false;
        };
        if name.parse::<IpAddr>().is_ok() {
            return true;
        }
        let name = normal_name(name);
        name == "localhost"
            || name.ends_with(".localhost")
            || self.hosts.iter().any(|allowed| match allowed.strip_prefix('.') {
                Some(domain) => name == domain || name.ends_with(allowed.as_str()),
                None => name == *allowed,
            })
    }

    /// Whether a page of `origin` may use `/sync` and `/_loam/` of a server it reached as `host`.
    pub fn origin(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = origin.trim_end_matches('/').to_lowercase();
        let own = host.map(str::to_lowercase).is_some_and(|host| {
            origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host.as_str())
        });
        own || self.origins.contains(&origin)
    }
}

/// The name or address of a `Host` header, without its port (and without the brackets of an IPv6 address);
/// `None` when it is neither.
fn host_name(host: &str) -> Option<&str> {
    let port_ok =
        |port: &str| port.is_empty() || port.strip_prefix(':').is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if let Some(bracketed) = host.strip_prefix('[') {
        let (address, port) = bracketed.split_once(']')?;
        return (address.parse::<Ipv6Addr>().is_ok() && port_ok(port)).then_some(address);
    }
    let (name, port) = match host.rfind(':') {
        Some(colon) => host.split_at(colon),
        None => (host, ""),
    };
    (!name.is_empty() && !name.contains(':') && port_ok(port)).then_some(name)
}

/// A host name as it is compared: lower-case, without the trailing dot of a fully qualified name.
fn normal_name(name: &str) -> String {
    name.trim().trim_end_matches('.').to_lowercase()
}

/// Whether `path` is one a browser page must be the preview's own (or an allowed origin) to use: `/sync`, and
/// anything under a `_loam` folder (at the root, or under the site's sub-path).
fn origin_checked(path: &str) -> bool {
    path == "/sync" || path.split('/').any(|part| part == "_loam")
}

/// Refuses, with 403 and the setting that would let it in, a request whose `Host` is not this machine's or an
/// allowed one, and a browser's request to `/sync` or `/_loam/` from a page of another origin.
pub async fn guard(State(allowed): State<Arc<Allowed>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    // A browser always sends `Host`; a request without one (HTTP/1.0 tools) is no web page's doing.
    let host = match headers.get(header::HOST).map(|h| h.to_str()) {
        None => None,
        Some(Ok(host)) if allowed.host(host) => Some(host),
        Some(host) => {
            let host = host.unwrap_or("(not text)");
            tracing::info!("refused a request for host {host:?}: not this machine's name nor in allowed_hosts");
            return refuse(format!(
                "loam serve does not answer to the host name {host:?}: if it is yours, add it to `allowed_hosts` \
                 under `[serve]` in loam.toml\n"
            ));
        }
    };
    if origin_checked(request.uri().path()) {
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("(not text)");
            if !allowed.origin(origin, host) {
                tracing::info!(
                    "refused {} from a page of {origin:?}: not the preview's origin nor in allowed_origins",
                    request.uri().path()
                );
                return refuse(format!(
                    "a page of {origin:?} may not use /sync or /_loam/: if the page is yours, add its origin to \
                     `allowed_origins` under `[serve]` in loam.toml\n"
                ));
            }
        }
    }
    next.run(request).await
}

fn refuse(message: String) -> Response {
    (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(hosts: &[&str], origins: &[&str]) -> Allowed {
        Allowed::new(&crate::config::Serve {
            allowed_hosts: hosts.iter().map(|h| h.to_string()).collect(),
            allowed_origins: origins.iter().map(|o| o.to_string()).collect(),
        })
    }

    #[test]
    fn this_machine_s_names_and_every_address_are_allowed_hosts() {
        let none = allowed(&[], &[]);
        for host in [
            "localhost",
            "localhost:1111",
            "LocalHost.:1111",
            "garden.localhost:1111",
            "127.0.0.1",
            "127.0.0.1:1111",
            "[::1]",
            "[::1]:1111",
            "192.168.1.20:1111",
            "[fe80::1]:80",
        ] {
            assert!(none.host(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:1111",
            "localhost.evil.example",
            "notlocalhost",
            "127.0.0.1.evil.example",
            "0x7f.0.0.1",
            "::1",
            "[::1",
            "[evil.example]:1111",
            "localhost:port",
            "",
            ":1111",
        ] {
            assert!(!none.host(host), "{host}");
        }
    }

    #[test]
    fn configured_hosts_are_allowed_and_a_leading_dot_allows_a_domain() {
        let some = allowed(&["Laptop.local", ".garden.example.org"], &[]);
        assert!(some.host("laptop.local:1111") && some.host("laptop.local."));
        assert!(some.host("garden.example.org") && some.host("notes.garden.example.org:443"));
        assert!(!some.host("other.local") && !some.host("evilgarden.example.org") && !some.host("laptop.local.evil"));
    }

    #[test]
    fn only_the_preview_s_own_origin_and_configured_ones_are_allowed() {
        let some = allowed(&[], &["http://localhost:5173/"]);
        assert!(some.origin("http://127.0.0.1:1111", Some("127.0.0.1:1111")));
        assert!(some.origin("https://garden.localhost", Some("Garden.localhost")), "behind a proxy with TLS");
        assert!(some.origin("http://LOCALHOST:5173", Some("127.0.0.1:1111")));
        assert!(!some.origin("http://evil.example", Some("127.0.0.1:1111")));
        assert!(!some.origin("http://127.0.0.1:2222", Some("127.0.0.1:1111")), "another port is another origin");
        assert!(!some.origin("null", Some("127.0.0.1:1111")), "sandboxed frames and files");
        assert!(!some.origin("ws://127.0.0.1:1111", Some("127.0.0.1:1111")));
        assert!(!some.origin("http://127.0.0.1:1111", None));
    }

    #[test]
    fn sync_and_everything_under_loam_is_origin_checked() {
        for path in ["/sync", "/_loam/documents", "/_loam/heads.json", "/garden/_loam/events", "/_loam/live.js"] {
            assert!(origin_checked(path), "{path}");
        }
        for path in ["/", "/sync/", "/notes/sync", "/static/loam.js", "/_loamy/"] {
            assert!(!origin_checked(path), "{path}");
        }
    }
}
