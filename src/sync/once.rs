//! One exchange with a peer over the network, for `loam sync URL` and `loam clone URL`: connect, sync the whole
//! garden both ways, write the merged notes, and say what changed on each side.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::garden::Layout;
use crate::store::merge::Merged;
use crate::store::Store;
use crate::sync::client::Client;
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
    /// Documents the garden's index names that neither side has (a relay that has not been given them yet).
    pub missing: Vec<String>,
    /// With a relay: how many documents were exchanged (the others, its ledger says, are the same on both sides).
    pub exchanged: Option<usize>,
}

/// The `/_loam/garden.json` beside a peer's `ws://HOST/…/sync`.
fn about_url(url: &str) -> anyhow::Result<String> {
    beside(url, "_loam/garden.json")
}

/// The garden to sync with the peer at `url`: the one it says it serves (a Loam peer), checked against `named`
/// (`--garden`) and `ours` (this garden's own address) when given; else, from a peer that cannot say (an
/// automerge-repo relay), the one named, else this garden's own.
pub fn garden_at(
    client: &Client,
    url: &str,
    token: Option<&str>,
    named: Option<&str>,
    ours: Option<&str>,
) -> anyhow::Result<PeerGarden> {
    if let Some(named) = named {
        if crate::store::address::id(named).is_none() {
            anyhow::bail!("`{named}` is not a garden's address (automerge:… as `loam info` prints it)");
        }
        if let Some(ours) = ours.filter(|ours| *ours != named) {
            anyhow::bail!("this garden is {ours}, not {named}: clone that one into a new folder to sync with it");
        }
    }
    match about(client, url, token) {
        Ok(about) => {
            let Some(theirs) = about.index.as_deref() else {
                anyhow::bail!("{url} has no history yet: nothing to sync")
            };
            if let Some(wanted) = named.or(ours).filter(|wanted| *wanted != theirs) {
                anyhow::bail!(
                    "{url} serves another garden ({theirs}), not {wanted}: clone it (`loam clone`) into a new folder \
                     to sync with it"
                );
            }
            Ok(about)
        }
        Err(error) if error.downcast_ref::<NotLoam>().is_some() => match named.or(ours) {
            Some(address) => Ok(PeerGarden { index: Some(address.to_string()), title: None }),
            None => Err(error.context(format!(
                "{url} does not say which garden it carries (an automerge-repo relay?): name it with --garden \
                 automerge:… (the address `loam info` prints in the garden)"
            ))),
        },
        Err(error) => Err(error),
    }
}

/// The peer answered, but not as a Loam garden does: an automerge-repo relay (or something else at that address).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotLoam(String);

/// The peer refused this garden (a token, a host name): its words say what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(String);

/// What answers at a peer's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Loam garden (`loam serve`), which may also have refused this one.
    Loam,
    /// Any other automerge-repo sync server.
    Relay,
}

/// Whether the peer at `url` is a Loam garden or a relay; an error when it cannot be reached.
pub fn kind_of(client: &Client, url: &str, token: Option<&str>) -> anyhow::Result<Kind> {
    match about(client, url, token) {
        Ok(_) => Ok(Kind::Loam),
        Err(error) if error.downcast_ref::<Refusal>().is_some() => Ok(Kind::Loam),
        Err(error) if error.downcast_ref::<NotLoam>().is_some() => Ok(Kind::Relay),
        Err(error) => Err(error),
    }
}

/// Asks the peer at `url` what garden it serves.
pub fn about(client: &Client, url: &str, token: Option<&str>) -> anyhow::Result<PeerGarden> {
    let address = about_url(url)?;
    // A refusal's text says what to do (a host the peer does not answer to names its `allowed_hosts`): keep it.
    let mut response = client.get(&address, token)?;
    let status = response.status();
    let body = response.body_mut().read_to_string().with_context(|| format!("cannot read {address}"))?;
    // A refusal (a token, a host name) is Loam's and says what to do; any other answer is not a Loam garden's.
    if matches!(status.as_u16(), 401 | 403) {
        return Err(Refusal(format!("{address} answered {status}: {}", body.trim())).into());
    }
    if !status.is_success() {
        return Err(NotLoam(format!("{address} answered {status}, not as a Loam garden does")).into());
    }
    let mut garden: PeerGarden =
        serde_json::from_str(&body).map_err(|_| NotLoam(format!("{address} does not describe a Loam garden")))?;
    // A token may see only part of the garden: then its index is its scope's own (`store::view`).
    if let Some(index) = token.and_then(|token| view_of(client, url, token)) {
        garden.index = Some(index);
    }
    Ok(garden)
}

/// The index a peer gives the token `token` (`/_loam/view.json`); `None` when it names none (a Loam peer older
/// than scoped tokens: its garden's own).
fn view_of(client: &Client, url: &str, token: &str) -> Option<String> {
    let address = beside(url, "_loam/view.json").ok()?;
    let mut response = client.get(&address, Some(token)).ok()?;
    if !response.status().is_success() {
        return None;
    }
    let body = response.body_mut().read_to_string().ok()?;
    let view: PeerGarden = serde_json::from_str(&body).ok()?;
    view.index
}

/// Takes in every document of the Loam peer at `url` at once (`/_loam/documents`) and writes its notes: how a
/// clone starts, far faster than one document after another through the protocol. Returns how many documents
/// came; `None` when the peer does not offer them (an automerge-repo relay), and the protocol does it all.
pub fn take_bundle(
    client: &Client,
    layout: &Layout,
    store: &mut Store,
    url: &str,
    token: Option<&str>,
) -> anyhow::Result<Option<usize>> {
    let address = beside(url, "_loam/documents")?;
    let Ok(mut response) = client.get(&address, token) else { return Ok(None) };
    if !response.status().is_success() {
        return Ok(None);
    }
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
pub fn exchange(
    client: &Client,
    layout: &Layout,
    store: Store,
    url: &str,
    token: Option<String>,
) -> anyhow::Result<(Store, Outcome)> {
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
            let mut replies: Vec<_> = crate::store::recorder::answer(&mut store, ask, &|_| false).into_iter().collect();
            let mut done = false;
            while let Ok(next) = asked.try_recv() {
                match next {
                    Some(ask) => replies.extend(crate::store::recorder::answer(&mut store, ask, &|_| false)),
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
    // A relay is spoken to by `relay`: many documents at once, and only those that changed on either side.
    let relay = kind_of(client, url, token.as_deref()).is_ok_and(|kind| kind == Kind::Relay);
    let index = std::fs::read_to_string(dir.join("garden")).map(|id| id.trim().to_string()).ok();
    let exchanged = runtime.block_on(async {
        if let (true, Some(index)) = (relay, index) {
            let done =
                crate::sync::relay::exchange_once(url, token.clone(), client, Arc::clone(&ask), &dir, index).await;
            return done.map(|done| {
                let sent = done.iter().filter(|(_, done)| done.sent).map(|(doc, _)| doc.clone()).collect();
                (done, sent)
            });
        }
        let peers = Peers::start(dir, ask, client.clone(), crate::sync::status::Board::default()).await?;
        let dialed = peers.dial_once(url, token.clone())?;
        let connected = tokio::time::timeout(Duration::from_secs(60), peers.established(&dialed)).await;
        let result = match connected {
            Err(_) => Err(anyhow::anyhow!("{url} did not answer within a minute")),
            Ok(Err(error)) => Err(error.context(format!("cannot sync with {url}"))),
            Ok(Ok(())) => {
                let theirs = peers.heads_of(url, token.clone()).await;
                if theirs.is_none() {
                    peers.warn_of_old_ids(url);
                }
                peers.exchange_all(&dialed, theirs, &crate::logging::bar("syncing", "documents")).await
            }
        };
        peers.close(&dialed);
        peers.stop().await;
        result.map(|exchanged| (exchanged, peers.sent()))
    });
    let _ = asks.send(None);
    let (store, here) = owner.join().map_err(|_| anyhow::anyhow!("the history's thread failed"))?;
    let (exchanged, sent) = exchanged?;
    let mut outcome = Outcome { here, exchanged: relay.then_some(exchanged.len()), ..Outcome::default() };
    let name = |doc: &String| paths.get(doc).cloned().unwrap_or_else(|| format!("document {doc}"));
    for (doc, done) in &exchanged {
        if !done.found {
            outcome.missing.push(name(doc));
        } else if done.refused {
            outcome.refused.push(name(doc));
        } else if done.stalled {
            outcome.stalled.push(name(doc));
        } else if sent.contains(doc) {
            outcome.sent.push(name(doc));
        }
    }
    for list in [&mut outcome.sent, &mut outcome.refused, &mut outcome.stalled, &mut outcome.missing] {
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
        assert_eq!(about_url("ws://host:80/sync").unwrap(), "http://host/_loam/garden.json");
        assert_eq!(about_url("wss://host/sync").unwrap(), "https://host/_loam/garden.json");
        assert!(about_url("ftp://host/sync").is_err());
    }
}
