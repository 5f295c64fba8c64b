//! One exchange with a peer over the network, for `loam sync URL` and `loam clone URL`: connect, sync the whole
//! garden both ways, write the merged notes, and say what changed on each side.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::garden::Layout;
use crate::store::merge::Merged;
use crate::store::Store;
use crate::sync::net::{beside, Ask, AskStore, Peers};

/// What a peer says about its garden at `/_loam/garden.json`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct PeerGarden {
    /// The garden's address (`automerge:…`), `None` before its history exists.
    pub index: Option<String>,
    pub title: Option<String>,
}

/// What one exchange did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// What changed here.
    pub here: Merged,
    /// Notes (their paths) that had changes the peer lacked, sent to it.
    pub sent: Vec<String>,
    /// Notes whose changes the peer would not take (a read-only token).
    pub refused: Vec<String>,
    /// Notes the peer did not answer for in time.
    pub stalled: Vec<String>,
}

/// The `/_loam/garden.json` beside a peer's `ws://HOST/…/sync`.
fn about_url(url: &str) -> anyhow::Result<String> {
    beside(url, "_loam/garden.json")
}

/// Asks the peer at `url` what garden it serves.
pub fn about(url: &str, token: Option<&str>) -> anyhow::Result<PeerGarden> {
    let address = about_url(url)?;
    let mut request = ureq::get(&address);
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    // A refusal's text says what to do (a host the peer does not answer to names its `allowed_hosts`): keep it.
    let request = request.config().http_status_as_error(false).build();
    let mut response = request.call().with_context(|| format!("cannot reach {address}"))?;
    let status = response.status();
    let body = response.body_mut().read_to_string().with_context(|| format!("cannot read {address}"))?;
    if !status.is_success() {
        anyhow::bail!("{address} answered {status}: {}", body.trim());
    }
    serde_json::from_str(&body).with_context(|| format!("{address} does not describe a Loam garden"))
}

/// Takes in every document of the Loam peer at `url` at once (`/_loam/documents`) and writes its notes: how a
/// clone starts, far faster than one document after another through the protocol. Returns how many documents
/// came; `None` when the peer does not offer them (an automerge-repo relay), and the protocol does it all.
pub fn take_bundle(
    layout: &Layout,
    store: &mut Store,
    url: &str,
    token: Option<&str>,
) -> anyhow::Result<Option<usize>> {
    let address = beside(url, "_loam/documents")?;
    let mut request = ureq::get(&address);
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let Ok(mut response) = request.call() else { return Ok(None) };
    let bundle = response
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()
        .with_context(|| format!("cannot read {address}"))?;
    let taken = store.take_in_bundle(&bundle)?;
    store.apply_taken(&layout.content)?;
    Ok(Some(taken))
}

/// Syncs the garden at `layout` (whose store is `store`, everything on disk recorded) with the peer at `url`
/// once, both ways; returns the store and what changed.
pub fn exchange(layout: &Layout, store: Store, url: &str, token: Option<String>) -> anyhow::Result<(Store, Outcome)> {
    let paths: BTreeMap<String, String> =
        store.index_paths()?.into_iter().map(|(doc, (path, _))| (doc, path)).collect();
    let dir = layout.root.join(".loam");
    let content = layout.content.clone();
    // The store's thread answers the protocol's asks until it is sent `None`.
    let (asks, asked) = std::sync::mpsc::channel::<Option<Ask>>();
    let owner = std::thread::Builder::new().name("loam-history".into()).spawn(move || {
        let mut store = store;
        let mut here = Merged::default();
        let apply = |store: &mut Store, here: &mut Merged| match store.apply_taken(&content) {
            Ok(merged) => here.extend(merged),
            Err(error) => tracing::warn!("the notes could not be brought up to date: {error:#}"),
        };
        // The notes are written once, at the end: placing them as they come would look at the whole index for
        // each batch.
        while let Ok(Some(ask)) = asked.recv() {
            let mut replies: Vec<_> = crate::store::recorder::answer(&mut store, ask).into_iter().collect();
            let mut done = false;
            while let Ok(next) = asked.try_recv() {
                match next {
                    Some(ask) => replies.extend(crate::store::recorder::answer(&mut store, ask)),
                    None => {
                        done = true;
                        break;
                    }
                }
            }
            crate::store::recorder::kept(&mut store, replies);
            if done {
                break;
            }
        }
        apply(&mut store, &mut here);
        (store, here)
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let sender = asks.clone();
    let ask: AskStore = Arc::new(move |ask| sender.send(Some(ask)).is_ok());
    let exchanged = runtime.block_on(async {
        let peers = Peers::start(dir, ask).await?;
        let dialed = peers.dial_once(url, token.clone())?;
        let connected = tokio::time::timeout(Duration::from_secs(60), peers.established(&dialed)).await;
        let result = match connected {
            Err(_) => Err(anyhow::anyhow!("{url} did not answer within a minute")),
            Ok(Err(error)) => Err(error.context(format!("cannot sync with {url}"))),
            Ok(Ok(())) => {
                let theirs = Peers::heads_of(url, token.clone()).await;
                peers.exchange_all(&dialed, theirs).await
            }
        };
        peers.close(&dialed);
        peers.stop().await;
        result.map(|exchanged| (exchanged, peers.sent()))
    });
    let _ = asks.send(None);
    let (store, here) = owner.join().map_err(|_| anyhow::anyhow!("the history's thread failed"))?;
    let (exchanged, sent) = exchanged?;
    let mut outcome = Outcome { here, ..Outcome::default() };
    let name = |doc: &String| paths.get(doc).cloned().unwrap_or_else(|| format!("document {doc}"));
    for (doc, done) in &exchanged {
        if done.refused {
            outcome.refused.push(name(doc));
        } else if done.stalled {
            outcome.stalled.push(name(doc));
        } else if sent.contains(doc) {
            outcome.sent.push(name(doc));
        }
    }
    for list in [&mut outcome.sent, &mut outcome.refused, &mut outcome.stalled] {
        list.sort();
    }
    Ok((store, outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_garden_description_beside_the_sync_endpoint() {
        assert_eq!(about_url("ws://127.0.0.1:4000/sync").unwrap(), "http://127.0.0.1:4000/_loam/garden.json");
        assert_eq!(about_url("ws://host:80/sync").unwrap(), "http://host:80/_loam/garden.json");
        assert!(about_url("wss://host/sync").is_err());
        assert!(about_url("http://host/sync").is_err());
    }
}
