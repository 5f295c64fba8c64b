//! `loam serve`: the garden built in memory and served with live reload, rebuilt on every save.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use crate::cmd::plural;
use crate::garden::Layout;
use crate::live::{Garden, Input};
use crate::serve::http::guard::Allowed;
use crate::serve::http::{guarded, pages, serve, AppState};
use crate::serve::watch::Watcher;
use crate::serve::Preview;
use crate::sync::SyncState;

pub struct Options {
    pub port: u16,
    pub bind: IpAddr,
    pub open: bool,
    pub poll: bool,
    /// Peers to keep syncing with (`--peer`), beside `[[sync.peers]]`.
    pub peers: Vec<String>,
    /// Where to write the port once listening (`--port-file`), for scripts and tests.
    pub port_file: Option<std::path::PathBuf>,
    /// A private certificate authority to trust for peers (`--ca`).
    pub ca: Option<std::path::PathBuf>,
    /// `--base-url` and `--drafts`.
    pub overrides: crate::serve::Overrides,
}

/// Whether `bind` is 127.0.0.1 or ::1, the only addresses served without a token. Other loopback addresses
/// (127.0.0.2, ...) are not: every system keeps those two for this machine alone, while what else answers at the
/// rest of 127.0.0.0/8 depends on the system and on whoever set it up (on macOS and the BSDs they exist only as
/// configured aliases, for tunnels and containers), so a user naming one is treated as naming any other address.
fn this_machine_only(bind: IpAddr) -> bool {
    bind == IpAddr::V4(std::net::Ipv4Addr::LOCALHOST) || bind == IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
}

/// Whether the server may listen on `bind`: on this machine only (127.0.0.1, ::1) always; on any other address
/// only with a sync token set, so that reaching the garden over the network takes a secret.
pub fn may_listen(bind: IpAddr, tokens: &[crate::config::Token]) -> anyhow::Result<()> {
    if this_machine_only(bind) {
        return Ok(());
    }
    if tokens.is_empty() {
        anyhow::bail!(
            "listening on {bind} would let anyone on the network reach the garden: set a sync token first \
             ([[sync.tokens]] in loam.toml, or the LOAM_TOKEN environment variable, at least {} characters), or \
             leave out --bind",
            crate::config::MIN_TOKEN
        );
    }
    if let Some(short) = tokens.iter().find(|t| t.token.len() < crate::config::MIN_TOKEN) {
        anyhow::bail!(
            "a sync token ({:?} access) is shorter than {} characters: it would be easy to guess",
            short.access,
            crate::config::MIN_TOKEN
        );
    }
    Ok(())
}

pub fn run(path: &Path, options: Options) -> anyhow::Result<()> {
    if !this_machine_only(options.bind) {
        let config = Layout::discover(path, None)?.config()?;
        may_listen(options.bind, &config.sync.all_tokens(|var| std::env::var(var).ok()))?;
    }
    let listener = std::net::TcpListener::bind(SocketAddr::new(options.bind, options.port)).with_context(|| {
        format!(
            "cannot listen on {}; is another server using the port? choose another with --port",
            SocketAddr::new(options.bind, options.port)
        )
    })?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    if !this_machine_only(options.bind) {
        tracing::warn!(
            "listening on {address}: anyone who can reach this machine can read the preview; syncing takes a \
             token"
        );
    }

    // Watching starts before the first build, so that nothing saved while it runs goes unseen. Everything the
    // garden's owner is told comes on one channel: the watcher's news and peers' asks.
    let layout = Layout::discover(path, None)?;
    let (inputs_tx, inputs) = std::sync::mpsc::channel();
    let files = inputs_tx.clone();
    let tell: crate::serve::watch::Tell = Arc::new(move |change| files.send(Input::Files(change)).is_ok());
    let mut watcher = Watcher::start(options.poll, Some(layout.out.clone()), tell)
        .context("cannot watch the garden's files (try --poll)")?;
    watcher.sync(&layout);

    let mut preview = Preview::new(path, address);
    preview.overrides = options.overrides.clone();
    let first = preview.rebuild();
    if preview.layout.is_none() {
        let error = first.snapshot.errors.first().map(|d| d.to_string()).unwrap_or_default();
        anyhow::bail!("{error}");
    }
    let snapshot = first.snapshot.clone();
    for error in &snapshot.errors {
        eprintln!("{error}");
    }
    eprintln!(
        "built {} in {} ms: {}, {}{}",
        plural(snapshot.notes, "note"),
        first.took.as_millis(),
        plural(snapshot.file_count(), "file"),
        plural(snapshot.errors.len(), "error"),
        match snapshot.warnings() {
            0 => String::new(),
            n => format!(", {} (`loam check` lists them)", plural(n, "warning")),
        }
    );

    // A broken loam.toml is shown over the preview; the history goes on under the system's user name meanwhile.
    let config = layout.config().unwrap_or_default();
    let author = config.author.clone().or_user();
    let (push, pushed) = tokio::sync::mpsc::unbounded_channel();
    let tokens = config.sync.all_tokens(|var| std::env::var(var).ok());
    let allowed = Arc::new(Allowed::new(&config.serve));
    let mut dial: Vec<(String, Option<String>)> =
        config.sync.peers.iter().map(|peer| (peer.url.clone(), peer.token.clone())).collect();
    let peer_token = std::env::var("LOAM_PEER_TOKEN").ok().filter(|t| !t.is_empty());
    dial.extend(options.peers.iter().map(|url| (url.clone(), peer_token.clone())));
    let client = crate::cmd::sync::client(options.ca.clone(), Some(&layout))?;

    let (publish, snapshots) = tokio::sync::watch::channel(Arc::clone(&snapshot));
    // The history: what changed while Loam was stopped, then every save; and what sync asks of it.
    let garden = Garden::new(preview, watcher, author, publish, Some(push));
    let me = inputs_tx.clone();
    std::thread::Builder::new()
        .name("loam-garden".into())
        .spawn(move || garden.run(inputs, me))
        .context("cannot start the garden's thread")?;

    let url = format!("http://{address}{}", snapshot.base_path);
    println!("serving `{}` at {url} (Ctrl-C to stop)", layout.root.display());
    if let Some(file) = &options.port_file {
        // Whole or not at all: a script polling for the file never reads half a number.
        crate::store::files::write_atomic(file, address.port().to_string().as_bytes())
            .with_context(|| format!("cannot write the port to `{}`", file.display()))?;
    }
    if options.open {
        open_browser(&url);
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the HTTP server's runtime")?;
    let loam_dir = layout.root.join(".loam");
    let root = layout.root.clone();
    runtime.block_on(async move {
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let board = crate::sync::status::Board::written_to(loam_dir.join("peers.json"));
        let late = board.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                every.tick().await;
                late.warn_of_the_late();
            }
        });
        let ask: crate::sync::net::AskStore = Arc::new(move |ask| inputs_tx.send(Input::Peer(ask)).is_ok());
        let peers = crate::sync::net::Peers::start(loam_dir.clone(), ask.clone(), client, board.clone())
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(pass_on(peers.clone(), pushed));
        let dialed: Arc<std::sync::Mutex<Vec<_>>> = Default::default();
        for (url, token) in dial {
            tracing::info!("sync: keeping in touch with {url}");
            tokio::spawn(keep_in_touch(peers.clone(), url, token, Arc::clone(&dialed)));
        }
        // On stderr: whoever reads the first line of stdout for the address may have closed it since.
        match crate::store::address_of(&root) {
            Some(garden) => tracing::info!("sync at ws://{address}/sync, garden {garden}"),
            None => tracing::info!("sync at ws://{address}/sync"),
        }
        let sync = SyncState { peers: peers.clone(), tokens: Arc::new(tokens) };
        let pages = pages(AppState { snapshot: snapshots, stopping, allowed: allowed.clone(), ask: Some(ask) });
        let app = guarded(crate::sync::routes(sync, pages.clone()).merge(pages), allowed);
        serve(listener, app, async move {
            shutdown_signal().await;
            tracing::info!("stopping");
            let _ = stop.send(true);
        })
        .await;
        for handle in crate::lock(&dialed).iter() {
            peers.close(handle);
        }
        peers.stop().await;
        Ok::<_, std::io::Error>(())
    })?;
    Ok(())
}

/// Keeps in step with the peer at `url`: through samod when it is a Loam garden, or over a connection of its own
/// when it is a relay (`sync::relay`), once it says which it is (asked again, later and later, while it cannot be
/// reached). A connection samod keeps is added to `dialed`, to be closed at the end.
async fn keep_in_touch(
    peers: crate::sync::net::Peers,
    url: String,
    token: Option<String>,
    dialed: Arc<std::sync::Mutex<Vec<crate::sync::net::Dialed>>>,
) {
    use crate::sync::once::Kind;
    let mut delay = std::time::Duration::from_millis(200);
    let kind = loop {
        let (client, asked, token) = (peers.client().clone(), url.clone(), token.clone());
        let probe = tokio::task::spawn_blocking(move || crate::sync::once::kind_of(&client, &asked, token.as_deref()));
        match probe.await {
            Ok(Ok(kind)) => break kind,
            Ok(Err(error)) => {
                // Why it cannot be reached, in the words a connection's failure has (a name not found, a port
                // refused, TLS), when it is that; else what the question of what it is met.
                let reason = match crate::sync::client::sync_address(&url) {
                    Ok(address) => match peers.client().connect(&address).await {
                        Err(failed) => failed.to_string(),
                        Ok(_) => format!("{error:#}"),
                    },
                    Err(_) => format!("{error:#}"),
                };
                peers.board().set(&url, crate::sync::status::State::Unreachable { reason })
            }
            Err(_) => return,
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(std::time::Duration::from_secs(30));
    };
    match kind {
        Kind::Relay => peers.keep_in_step_with_relay(url, token).await,
        Kind::Loam => match peers.dial(&url, token) {
            Ok(handle) => {
                crate::lock(&dialed).push(handle.clone());
                peers.keep_in_sync(&handle, &url).await
            }
            Err(error) => tracing::warn!("sync: {error:#}"),
        },
    }
}

/// Passes each change recorded here on to the peers syncing its document.
async fn pass_on(
    peers: crate::sync::net::Peers,
    mut changes: tokio::sync::mpsc::UnboundedReceiver<crate::sync::net::ToPeers>,
) {
    while let Some(change) = changes.recv().await {
        match change {
            crate::sync::net::ToPeers::Change(doc, bytes) => peers.push(&doc, bytes).await,
            crate::sync::net::ToPeers::Fetch(doc) => {
                let peers = peers.clone();
                tokio::spawn(async move { peers.fetch(&doc).await });
            }
        }
    }
}

/// Ctrl-C, or a polite `kill` (SIGTERM).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

fn open_browser(url: &str) {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(error) = std::process::Command::new(program).arg(url).spawn() {
        tracing::warn!("cannot open a browser ({program}: {error}); open {url} yourself");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Access, Token};

    #[test]
    fn only_loopback_goes_without_a_token() {
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let any: IpAddr = "0.0.0.0".parse().unwrap();
        let token = |t: &str| Token::whole(t.into(), Access::ReadOnly);
        assert!(may_listen(loopback, &[]).is_ok());
        assert!(may_listen("::1".parse().unwrap(), &[]).is_ok());
        assert!(may_listen("127.0.0.2".parse().unwrap(), &[]).is_err(), "only 127.0.0.1 and ::1 are this machine's");
        let refused = may_listen(any, &[]).unwrap_err().to_string();
        assert!(refused.contains("LOAM_TOKEN") && refused.contains("[[sync.tokens]]"), "{refused}");
        assert!(may_listen(any, &[token("long enough secret!")]).is_ok());
        assert!(may_listen(any, &[token("short")]).unwrap_err().to_string().contains("shorter"));
    }
}
