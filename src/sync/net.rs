//! Sync over the network: the automerge-repo protocol (the one the JavaScript `@automerge/automerge-repo` client
//! speaks), spoken by the `samod` crate. Nothing of samod shows outside this module: the rest of Loam sees
//! [`Peers`] (connections and documents) and [`Ask`] (what the protocol wants of the garden's store).
//!
//! The store stays the one place documents live. samod keeps in memory only the documents a peer is syncing;
//! it reads them from the store and hands every change a peer sends to the store ([`GardenStorage`]), through
//! the thread that owns the store, which writes the merged notes back to disk. Changes made here (a save in an
//! editor) reach samod through [`Peers::push`].
//!
//! Access: a peer that connects to `/sync` has presented a token (or is on this machine with no tokens set);
//! its access, read-write or read-only, holds for the peer id it announces in its first message, which samod
//! then holds it to. A read-only peer is sent every change and none of its own is taken.
//!
//! Longer than most files (about 700 lines) for a reason: it is the one place that names samod, so the protocol's
//! storage adapter, its access rules and the connections to peers stay behind a single wall.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use samod::{BackoffConfig, DocumentId, PeerId, ShareConfig};

use crate::config::{Access, Grant};
use crate::store::view::Share;

// What the protocol asks of the store and what the store sends it are the store's own types: sync depends on
// the store, never the other way.
pub use crate::store::recorder::{Ask, AskStore, Heads, ToPeers};

pub use crate::sync::client::beside;
use crate::sync::client::Client;
use crate::sync::status::{Board, State};

/// A document id as the store names it (hex), from samod's.
pub(crate) fn hex_of(id: &DocumentId) -> String {
    hex::encode(id.as_bytes())
}

/// samod's document id for a document the store names `doc` (hex).
pub(crate) fn id_of(doc: &str) -> Option<DocumentId> {
    DocumentId::try_from(hex::decode(doc).ok()?).ok()
}

/// samod's storage, made of the garden's store. Keys are `[document, "snapshot" | "incremental", hash]`: the store
/// answers a document's snapshots with its whole history under one key and no incrementals, and takes every put
/// in as changes. Deletes (samod compacting what it wrote) touch nothing: the store compacts its own files.
#[derive(Clone)]
struct GardenStorage {
    ask: AskStore,
    /// `.loam/peer-storage`: the storage id samod announces to peers.
    id_file: PathBuf,
    /// Documents samod has read: it holds them in memory, and changes made here must reach it.
    loaded: Arc<Mutex<HashSet<String>>>,
}

impl samod::storage::Storage for GardenStorage {
    fn load(&self, key: samod::storage::StorageKey) -> impl std::future::Future<Output = Option<Vec<u8>>> + Send {
        let is_id = key == samod::storage::StorageKey::storage_id_path();
        let file = self.id_file.clone();
        async move {
            if is_id {
                return std::fs::read(file).ok();
            }
            None
        }
    }

    fn load_range(
        &self,
        prefix: samod::storage::StorageKey,
    ) -> impl std::future::Future<Output = HashMap<samod::storage::StorageKey, Vec<u8>>> + Send {
        let parts: Vec<String> = prefix.into_iter().collect();
        let this = self.clone();
        async move {
            let mut out = HashMap::new();
            let [doc, kind] = parts.as_slice() else { return out };
            if kind != "snapshot" {
                return out;
            }
            let Ok(id) = doc.parse::<DocumentId>() else { return out };
            let doc = hex_of(&id);
            let (reply, answer) = tokio::sync::oneshot::channel();
            if !(this.ask)(Ask::Load { doc: doc.clone(), reply }) {
                return out;
            }
            if let Ok(Some(bytes)) = answer.await {
                crate::lock(&this.loaded).insert(doc);
                if let Ok(key) = samod::storage::StorageKey::from_parts([parts[0].as_str(), "snapshot", "loam"]) {
                    out.insert(key, bytes);
                }
            }
            out
        }
    }

    fn put(&self, key: samod::storage::StorageKey, data: Vec<u8>) -> impl std::future::Future<Output = ()> + Send {
        let parts: Vec<String> = key.clone().into_iter().collect();
        let is_id = key == samod::storage::StorageKey::storage_id_path();
        let this = self.clone();
        async move {
            if is_id {
                if let Some(dir) = this.id_file.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                if let Err(error) = crate::store::files::write_atomic(&this.id_file, &data) {
                    tracing::warn!("sync: {error:#}");
                }
                return;
            }
            let Some(Ok(id)) = parts.first().map(|doc| doc.parse::<DocumentId>()) else { return };
            let doc = hex_of(&id);
            crate::lock(&this.loaded).insert(doc.clone());
            let (reply, done) = tokio::sync::oneshot::channel();
            if (this.ask)(Ask::TakeIn { doc, bytes: data, reply }) {
                let _ = done.await;
            }
        }
    }

    async fn delete(&self, _key: samod::storage::StorageKey) {}
}

/// The garden's connections to other peers, and the documents they sync.
#[derive(Clone)]
pub struct Peers {
    repo: samod::Repo,
    /// The garden's `.loam/` folder.
    dir: PathBuf,
    /// The access of each peer that connected here, by the peer id it announced.
    access: Arc<Mutex<HashMap<PeerId, Grant>>>,
    loaded: Arc<Mutex<HashSet<String>>>,
    /// Where peers that connect here are taken in.
    acceptor: samod::AcceptorHandle,
    /// The peers this garden keeps a connection to.
    dialed: Arc<Mutex<Vec<samod::DialerHandle<Refused>>>>,
    /// Documents (hex) whose changes this garden sent over a connection it dialed.
    sent: Arc<Mutex<HashSet<String>>>,
    ask: AskStore,
    /// Documents changed here while serving, offered to every peer; and a signal each time one is added.
    announced: Arc<Mutex<HashSet<String>>>,
    news: tokio::sync::watch::Sender<u64>,
    /// How peers are reached, and which certificate authorities are trusted.
    client: Client,
    /// Where each dialed peer stands.
    board: Board,
    /// The id of the garden's index document, once known.
    index: Arc<std::sync::OnceLock<String>>,
    /// Where the documents changed here (or wanted) go to each relay this garden keeps in step with (`relay`).
    relays: Arc<Mutex<Vec<tokio::sync::mpsc::UnboundedSender<String>>>>,
}

impl Peers {
    /// Starts the protocol for the garden whose `.loam/` folder is `dir`, its store reached through `ask`, its
    /// peers reached through `client`, where each stands told on `board`.
    pub async fn start(dir: PathBuf, ask: AskStore, client: Client, board: Board) -> anyhow::Result<Peers> {
        let access: Arc<Mutex<HashMap<PeerId, Grant>>> = Default::default();
        let loaded: Arc<Mutex<HashSet<String>>> = Default::default();
        let storage =
            GardenStorage { ask: Arc::clone(&ask), id_file: dir.join("peer-storage"), loaded: Arc::clone(&loaded) };
        let announced: Arc<Mutex<HashSet<String>>> = Default::default();
        let (news, _) = tokio::sync::watch::channel(0u64);
        let policy = {
            let access = Arc::clone(&access);
            let announced = Arc::clone(&announced);
            let news = news.clone();
            let ask = Arc::clone(&ask);
            move |doc: DocumentId, peer: PeerId| -> futures::stream::BoxStream<'static, ShareConfig> {
                // Peers this garden dialed itself are not in the map: it chose them, and they hold their own keys.
                // It offers them every document it syncs. A peer that connected here is sent what it asks for and
                // what changes here while it is connected, never offered every document this garden happens to
                // hold (after a clone, all of them); and it is asked for documents this garden lacks.
                let Some(grant) = crate::lock(&access).get(&peer).cloned() else {
                    return futures::stream::iter([ShareConfig::read_write()]).boxed();
                };
                let base = match grant.access {
                    Access::ReadOnly => ShareConfig::read_only(),
                    Access::ReadWrite => ShareConfig::read_write(),
                };
                let hex = hex_of(&doc);
                if let Some(scope) = grant.scope {
                    return scoped(Arc::clone(&ask), hex, scope, news.subscribe());
                }
                if crate::lock(&announced).contains(&hex) {
                    return futures::stream::iter([base]).boxed();
                }
                // Whether the garden holds the document is the store's to say: it is asked, like everything else
                // about the store, and answers from the thread that owns it.
                let (reply, held) = tokio::sync::oneshot::channel();
                let asked = ask(Ask::Holds { doc: hex.clone(), reply });
                let (announced, news) = (Arc::clone(&announced), news.subscribe());
                let decided = async move {
                    let held = asked && held.await.unwrap_or(false);
                    if !held {
                        return futures::stream::iter([base]).boxed();
                    }
                    let first = futures::stream::iter([base.with_announce(false)]);
                    // Offered once it changes here ([`Peers::push`]).
                    let later = futures::stream::unfold(Some((news, announced, hex)), move |state| async move {
                        let (mut news, announced, hex) = state?;
                        while news.changed().await.is_ok() {
                            if crate::lock(&announced).contains(&hex) {
                                return Some((base, None));
                            }
                        }
                        None
                    });
                    first.chain(later).boxed()
                };
                futures::stream::once(decided).flatten().boxed()
            }
        };
        let repo = samod::Repo::build_tokio().with_storage(storage).with_share_policy(policy).load().await;
        let acceptor = repo
            .make_acceptor(samod::Url::parse("loam://sync").expect("a valid URL"))
            .map_err(|_| anyhow::anyhow!("sync stopped as it started"))?;
        Ok(Peers {
            repo,
            dir,
            access,
            loaded,
            acceptor,
            dialed: Default::default(),
            sent: Default::default(),
            ask,
            announced,
            news,
            client,
            board,
            index: Default::default(),
            relays: Default::default(),
        })
    }

    /// Whether any peer is connected, here or dialed.
    fn connected(&self) -> bool {
        self.acceptor.connection_count() > 0 || crate::lock(&self.dialed).iter().any(|d| d.is_connected())
    }

    /// The id (hex) of the garden's index document, for a peer to all of it.
    pub fn index(&self) -> Option<String> {
        self.index_id()
    }

    /// The id (hex) of the garden's index document, once the garden has one.
    /// Read from `.loam/garden` until there is one, then kept: a garden's address never changes, and it is asked
    /// for at every change passed on.
    fn index_id(&self) -> Option<String> {
        if let Some(id) = self.index.get() {
            return Some(id.clone());
        }
        let id = std::fs::read_to_string(self.dir.join("garden")).ok().map(|id| id.trim().to_string())?;
        Some(self.index.get_or_init(|| id).clone())
    }

    /// The heads a Loam peer at `url` (`ws://…/sync`) has, from its `/_loam/heads.json`; `None` from a peer that
    /// is not Loam (an automerge-repo relay), or that did not answer.
    pub async fn heads_of(&self, url: &str, token: Option<String>) -> Option<Heads> {
        let address = beside(url, "_loam/heads.json").ok()?;
        let client = self.client.clone();
        tokio::task::spawn_blocking(move || {
            let mut response = client.get(&address, token.as_deref()).ok()?;
            if !response.status().is_success() {
                return None;
            }
            let body = response.body_mut().read_to_string().ok()?;
            serde_json::from_str(&body).ok()
        })
        .await
        .ok()
        .flatten()
    }

    fn dial_with(&self, url: &str, token: Option<String>, retries: Option<u32>) -> anyhow::Result<Dialed> {
        let parsed = crate::sync::client::sync_address(url)?;
        self.board.set(url, State::Connecting);
        let backoff = BackoffConfig {
            initial_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
            max_retries: retries,
        };
        let handle = self
            .repo
            .dial(
                backoff,
                Arc::new(WsDialer {
                    url: parsed,
                    token: token.clone(),
                    sent: Arc::clone(&self.sent),
                    client: self.client.clone(),
                    board: self.board.clone(),
                    name: url.to_string(),
                }),
            )
            .map_err(|_| anyhow::anyhow!("sync has stopped"))?;
        crate::lock(&self.dialed).push(handle.clone());
        Ok(Dialed { handle, token })
    }

    /// Syncs document `doc` over `connection` until both sides have each other's changes (without a connection:
    /// finds it, from the peers if this garden lacks it).
    pub async fn exchange(&self, doc: &str, connection: Option<samod::ConnectionId>) -> Exchanged {
        let mut out = Exchanged::default();
        let Some(id) = id_of(doc) else { return out };
        let Ok(Some(handle)) = self.repo.find(id).await else { return out };
        out.found = true;
        let Some(connection) = connection else { return out };
        if tokio::time::timeout(WAIT, handle.we_have_their_changes(connection)).await.is_err() {
            out.stalled = true;
            return out;
        }
        let ours = handle.with_document(|document| document.get_heads());
        let Some(state) = handle.peers().0.remove(&connection) else { return out };
        if state.shared_heads.as_ref() == Some(&ours) {
            return out;
        }
        out.sent = true;
        if state.peer_read_only {
            out.refused = true;
        } else if tokio::time::timeout(WAIT, handle.they_have_our_changes(connection)).await.is_err() {
            out.stalled = true;
        }
        out
    }
}

/// The protocol's side of each command: what `loam serve`, `loam sync` and `loam clone` do with peers.
impl Peers {
    /// Waits for the first connection (or its permanent failure, as a refused token).
    pub async fn established(&self, dialed: &Dialed) -> anyhow::Result<()> {
        dialed.established().await
    }

    /// Closes a connection this garden dialed.
    pub fn close(&self, dialed: &Dialed) {
        dialed.close();
    }

    /// Gets a document this garden lacks from the peers; whether any had it.
    pub async fn fetch(&self, doc: &str) -> bool {
        self.to_relays(doc);
        self.exchange(doc, None).await.found
    }

    /// Keeps the garden in step with the relay at `url` (an automerge-repo sync server that is not Loam), over a
    /// connection of its own (`relay`). Ends when sync stops.
    pub async fn keep_in_step_with_relay(&self, url: String, token: Option<String>) {
        let Some(index) = self.index_id() else {
            tracing::warn!("sync: {url}: this garden has no history yet: nothing to sync");
            return;
        };
        let (changes, changed) = tokio::sync::mpsc::unbounded_channel();
        crate::lock(&self.relays).push(changes);
        let (client, ask, dir, board) =
            (self.client.clone(), Arc::clone(&self.ask), self.dir.clone(), self.board.clone());
        let here = crate::sync::relay::Here { ask, dir, index };
        crate::sync::relay::keep_in_sync(url, token, client, here, board, changed).await
    }

    /// Tells every relay this garden keeps in step with that `doc` changed here, or is wanted.
    fn to_relays(&self, doc: &str) {
        crate::lock(&self.relays).retain(|relay| relay.send(doc.to_string()).is_ok());
    }

    /// The heads of this garden's note documents (for `/_loam/heads.json`), or of those a peer of `scope` may
    /// have.
    pub async fn heads(&self, scope: Option<Arc<crate::config::Scope>>) -> Option<Heads> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        if !(self.ask)(Ask::Heads { scope, reply }) {
            return None;
        }
        answer.await.ok()
    }

    /// The document (hex) of the note at `path`, for the preview's live editing view (`/_loam/note.json`): `None`
    /// when there is no history here to ask, `Some(None)` while the note has none.
    pub async fn note(&self, path: &str) -> Option<Option<String>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        if !(self.ask)(Ask::Note { path: path.to_string(), reply }) {
            return None;
        }
        answer.await.ok()
    }

    /// Every document of this garden in one piece (for `/_loam/documents`), or those a peer of `scope` may have.
    pub async fn bundle(&self, scope: Option<Arc<crate::config::Scope>>) -> Option<Vec<u8>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        if !(self.ask)(Ask::Bundle { scope, reply }) {
            return None;
        }
        answer.await.ok().flatten()
    }

    /// The id (hex) of the index a peer of `scope` is given instead of the garden's (`store::view`).
    pub async fn view(&self, scope: Arc<crate::config::Scope>) -> Option<String> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        if !(self.ask)(Ask::View { scope, reply }) {
            return None;
        }
        answer.await.ok().flatten()
    }

    /// Syncs the whole garden over `connection`: the index first, both ways, then every document the merged
    /// index lists (each with what its exchange did). With `theirs`, the heads of the peer's documents, a
    /// document whose heads are the same on both sides is left out: both have it whole. Afterwards both sides have
    /// everything, and samod holds every document exchanged, so that later changes flow as they happen.
    /// `progress` counts the documents exchanged, once their number is known.
    pub async fn exchange_all(
        &self,
        over: &Dialed,
        theirs: Option<Heads>,
        progress: &indicatif::ProgressBar,
    ) -> anyhow::Result<Vec<(String, Exchanged)>> {
        // A connection that dropped between its establishment and now (a peer killed at that moment) leaves
        // nothing to exchange over: said so, never taken for an exchange in which nothing needed to pass.
        let Some(connection) = over.connection() else {
            anyhow::bail!("the connection dropped before anything was exchanged: run the command again")
        };
        let index = self.index_id().ok_or_else(|| anyhow::anyhow!("this garden has no address yet"))?;
        let id = id_of(&index).ok_or_else(|| anyhow::anyhow!("`.loam/garden` does not hold a document id"))?;
        // A peer that never answers for the index (a relay on automerge-repo 1.x drops a document id it does not
        // accept, without a word) is given up on, not waited for.
        let handle = match tokio::time::timeout(WAIT, self.repo.find(id)).await {
            Ok(Ok(Some(handle))) => handle,
            Ok(_) => anyhow::bail!("neither this garden nor the peer has the garden's index"),
            Err(_) => anyhow::bail!("the peer did not answer for the garden's index in {} s", WAIT.as_secs()),
        };
        let both = async {
            handle.we_have_their_changes(connection).await;
            handle.they_have_our_changes(connection).await;
        };
        tokio::select! {
            exchanged = tokio::time::timeout(WAIT, both) => if exchanged.is_err() {
                anyhow::bail!("the peer did not exchange the garden's index in {} s", WAIT.as_secs());
            },
            _ = over.dropped(connection) => anyhow::bail!(
                "the connection dropped while the garden's index was exchanged; nothing else was: run the \
                 command again"
            ),
        }
        let (mut documents, deleted) = handle.with_document(|index| {
            (crate::store::merge::index_documents(index), crate::store::merge::deleted_documents(index))
        });
        if let (Some(theirs), Some(ours)) = (theirs, self.heads(None).await) {
            documents.retain(|doc| ours.get(doc).is_none_or(|heads| theirs.get(doc) != Some(heads)));
            // A deleted note the peer does not list, whose deletion saw every change of it here, has nothing to
            // give either way: the peer may not even see it any more (a scoped token's note that left its scope),
            // and would never answer for it.
            let mut settled = HashSet::new();
            for (doc, seen) in &deleted {
                if theirs.contains_key(doc) || !documents.contains(doc) {
                    continue;
                }
                let seen: Vec<automerge::ChangeHash> = seen.iter().filter_map(|h| h.parse().ok()).collect();
                // Held here (its heads are listed), it is read from this garden's store, never asked of the peer. A
                // deletion that saw changes this garden lacks is exchanged: they may be what brings the note back.
                let stands = match (ours.contains_key(doc), id_of(doc)) {
                    (true, Some(id)) => match self.repo.find(id).await {
                        Ok(Some(handle)) => handle.with_document(|d| {
                            seen.iter().all(|h| automerge::ReadDoc::get_change_by_hash(d, h).is_some())
                                && crate::store::deletion_stands(d, &seen)
                        }),
                        _ => false,
                    },
                    _ => true,
                };
                if stands {
                    settled.insert(doc.clone());
                }
            }
            documents.retain(|doc| !settled.contains(doc));
        }
        let total = documents.len();
        progress.set_length(total as u64);
        let all = documents.clone();
        let mut exchanges = futures::stream::iter(documents)
            .map(|doc| async move {
                let done = self.exchange(&doc, Some(connection)).await;
                (doc, done)
            })
            .buffer_unordered(16);
        // A connection that drops ends the exchange at once (the documents left would each wait out their
        // deadline otherwise): what was exchanged is said, and a rerun does the rest.
        let mut out = Vec::new();
        let mut answered = tokio::time::Instant::now();
        loop {
            tokio::select! {
                next = exchanges.next() => match next {
                    Some(done) => {
                        out.push(done);
                        progress.inc(1);
                        answered = tokio::time::Instant::now();
                    }
                    None => {
                        progress.finish_and_clear();
                        return Ok(out);
                    }
                },
                // A peer still connected that answers for no document at all is given up on as a whole, not after
                // each document's own deadline in turn: the documents left are said to be stalled (the command
                // names them), and a rerun exchanges them.
                _ = tokio::time::sleep_until(answered + STALLED) => {
                    progress.finish_and_clear();
                    let done: HashSet<&String> = out.iter().map(|(doc, _)| doc).collect();
                    let left: Vec<String> = all.iter().filter(|doc| !done.contains(doc)).cloned().collect();
                    tracing::warn!(
                        "sync: the peer answered for no document in {} s: {} of {total} left for another run",
                        STALLED.as_secs(),
                        left.len()
                    );
                    let stalled = Exchanged { found: true, stalled: true, ..Exchanged::default() };
                    out.extend(left.into_iter().map(|doc| (doc, stalled)));
                    return Ok(out);
                }
                _ = over.dropped(connection) => anyhow::bail!(
                    "the connection dropped after {} of {total} documents were exchanged; run the command again to \
                     exchange the rest",
                    out.len()
                ),
            }
        }
    }

    /// Takes a WebSocket a peer opened to `/sync`, with the access its token gave. The peer's first message
    /// names it; a peer id already connected with other access is refused.
    pub async fn accept(&self, socket: axum::extract::ws::WebSocket, grant: Grant, from: String) {
        let access = grant.access;
        use axum::extract::ws::Message;
        let (mut sink, mut stream) = socket.split();
        // The first message (the protocol's "join") names the peer.
        let first = loop {
            match tokio::time::timeout(Duration::from_secs(30), stream.next()).await {
                Ok(Some(Ok(Message::Binary(bytes)))) => break bytes.to_vec(),
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                _ => return,
            }
        };
        let Some(peer) = sender_of(&first) else {
            tracing::info!("sync: {from}: refused: its first message does not name it");
            let _ = sink.send(Message::Close(None)).await;
            return;
        };
        let clash = {
            let mut known = crate::lock(&self.access);
            let same = |had: &Grant| {
                had.access == access
                    && had.scope.as_ref().map(|scope| scope.key()) == grant.scope.as_ref().map(|scope| scope.key())
            };
            let clash = known.get(&peer).is_some_and(|had| !same(had));
            if !clash {
                known.insert(peer.clone(), grant.clone());
            }
            clash
        };
        if clash {
            tracing::info!("sync: {from}: refused: peer `{peer}` is connected already with other access");
            let _ = sink.send(Message::Close(None)).await;
            return;
        }
        tracing::info!(
            "sync: {from} connected as `{peer}` ({}{})",
            if access == Access::ReadOnly { "read-only: its changes are not taken" } else { "read-write" },
            if grant.scope.is_some() { ", within its token's scope" } else { "" }
        );
        let rest = frames(stream, |message| match message {
            Message::Binary(bytes) => Frame::Data(bytes.to_vec()),
            Message::Text(_) => Frame::Text,
            _ => Frame::Skip,
        });
        let incoming = futures::stream::once(async move { Ok::<_, NetError>(first) }).chain(rest);
        let outgoing = sink
            .sink_map_err(|e| NetError(e.to_string()))
            .with(|bytes: Vec<u8>| async move { Ok::<_, NetError>(Message::Binary(bytes.into())) });
        let transport = samod::Transport::new(Box::pin(incoming), Box::pin(outgoing)).with_expected_peer_id(peer);
        let _ = self.acceptor.accept(transport);
    }

    /// Keeps a connection to the peer at `url` (`ws://…/sync`), reconnecting with backoff when it drops.
    pub fn dial(&self, url: &str, token: Option<String>) -> anyhow::Result<Dialed> {
        self.dial_with(url, token, None)
    }

    /// Connects to the peer at `url` for one exchange: a few tries, then an error.
    pub fn dial_once(&self, url: &str, token: Option<String>) -> anyhow::Result<Dialed> {
        self.dial_with(url, token, Some(3))
    }

    /// Warns, syncing with `url`, a peer that is not Loam, when this garden's address is not a UUID: it was made
    /// before Loam gave its documents ids that every automerge-repo version accepts, and a relay on
    /// automerge-repo 1.x (the published sync server 0.2) drops them.
    pub fn warn_of_old_ids(&self, url: &str) {
        if let Some(index) = self.index_id().filter(|id| !crate::store::address::every_relay_accepts(id)) {
            tracing::warn!(
                "sync: {url}: this garden's address ({}) was made before Loam gave documents ids every relay \
                 accepts; a relay built on automerge-repo 1.x (such as @automerge/automerge-repo-sync-server 0.2) \
                 refuses it. A relay on automerge-repo 2.x carries it, as Loam peers do",
                crate::store::address::url(&index).unwrap_or(index)
            );
        }
    }

    /// Keeps the garden in sync with a dialed peer: the whole garden at each (re)connection, then changes as they
    /// happen. Ends when the dialer does.
    pub async fn keep_in_sync(&self, dialed: &Dialed, url: &str) {
        let mut events = dialed.handle.events();
        let exchange = || async {
            let started = std::time::Instant::now();
            let theirs = self.heads_of(url, dialed.token.clone()).await;
            if theirs.is_none() {
                self.warn_of_old_ids(url);
            }
            match self.exchange_all(dialed, theirs, &indicatif::ProgressBar::hidden()).await {
                Ok(done) => {
                    let behind = done.iter().filter(|(_, done)| done.stalled).count();
                    self.board.exchanged(url, done.len(), behind, started);
                }
                Err(error) => self.board.set(url, State::Unreachable { reason: format!("{error:#}") }),
            }
        };
        match dialed.established().await {
            Ok(()) => {
                self.board.set(url, State::Connected);
                exchange().await
            }
            Err(error) => {
                self.board.set(url, State::Refused { reason: format!("{error:#}") });
                return;
            }
        }
        // The connection just exchanged over may also come as an event: each connection is exchanged over once.
        let mut exchanged = dialed.connection();
        while let Some(event) = events.next().await {
            match event {
                samod::DialerEvent::Connected { .. } if dialed.connection() != exchanged => {
                    exchanged = dialed.connection();
                    self.board.set(url, State::Connected);
                    exchange().await
                }
                samod::DialerEvent::Connected { .. } => {}
                samod::DialerEvent::Disconnected { reason } => {
                    self.board.set(url, State::Unreachable { reason: format!("disconnected ({reason})") })
                }
                samod::DialerEvent::PermanentFailure => return,
                samod::DialerEvent::MaxRetriesReached => {
                    self.board.set(url, State::Unreachable { reason: "gave up after trying again".into() });
                    return;
                }
                samod::DialerEvent::Reconnecting { .. } => {}
            }
        }
    }

    /// Passes a change made here to samod, if it holds the document or a peer is connected: peers syncing it
    /// get it at once.
    pub async fn push(&self, doc: &str, bytes: Vec<u8>) {
        // A note waits to go out; the index changing with it is no note of its own.
        if self.index_id().as_deref() != Some(doc) {
            self.board.changed(doc);
        }
        self.to_relays(doc);
        let held = crate::lock(&self.loaded).contains(doc);
        if !held && !self.connected() {
            return;
        }
        let Some(id) = id_of(doc) else { return };
        if crate::lock(&self.announced).insert(doc.to_string()) {
            self.news.send_modify(|n| *n += 1);
        }
        if let Ok(Some(handle)) = self.repo.find(id).await {
            let _ = handle
                .with_document_async(move |document| {
                    if let Err(error) = document.load_incremental(&bytes) {
                        tracing::warn!("sync: a change could not be passed on: {error}");
                    }
                })
                .await;
        }
    }

    /// How peers are reached.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Where each dialed peer stands.
    pub fn board(&self) -> &Board {
        &self.board
    }

    /// The documents (hex) whose changes went out over the connections this garden dialed.
    pub fn sent(&self) -> HashSet<String> {
        crate::lock(&self.sent).clone()
    }

    /// Stops every connection and the protocol.
    pub async fn stop(&self) {
        self.repo.stop().await;
    }
}

/// What a peer of `scope` may do with document `doc` (hex), as the store says (`Store::share`), asked again each
/// time a change here is passed on: a note that leaves the scope stops going to the peer.
fn scoped(
    ask: AskStore,
    doc: String,
    scope: Arc<crate::config::Scope>,
    news: tokio::sync::watch::Receiver<u64>,
) -> futures::stream::BoxStream<'static, ShareConfig> {
    let decide = move |ask: AskStore, doc: String, scope: Arc<crate::config::Scope>| async move {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let share = if ask(Ask::Share { doc, scope, reply }) { answer.await.unwrap_or(Share::No) } else { Share::No };
        share
    };
    let config = |share: Share| match share {
        Share::No => ShareConfig::none(),
        Share::Read => ShareConfig::read_only(),
        Share::ReadWrite => ShareConfig::read_write(),
    };
    futures::stream::unfold(
        (ask, doc, scope, news, None::<Share>),
        move |(ask, doc, scope, mut news, last)| async move {
            loop {
                if last.is_some() && news.changed().await.is_err() {
                    return None;
                }
                let share = decide(Arc::clone(&ask), doc.clone(), Arc::clone(&scope)).await;
                if Some(share) != last {
                    return Some((config(share), (ask, doc, scope, news, Some(share))));
                }
            }
        },
    )
    .boxed()
}

/// How often a connection this garden dialed pings its peer, and how long a peer may stay silent (no message,
/// no pong) before the connection counts as dropped.
const PING_EVERY: Duration = Duration::from_secs(3);
const SILENCE: Duration = Duration::from_secs(10);

/// How long an exchange of the whole garden waits for any one document to be exchanged before giving up.
const STALLED: Duration = Duration::from_secs(20);

/// How long an exchange of one document waits for the peer before giving up on it.
const WAIT: Duration = Duration::from_secs(30);

/// What an exchange of one document did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Exchanged {
    /// Either side had it.
    pub found: bool,
    /// This garden had changes the peer lacked.
    pub sent: bool,
    /// The peer said it does not take this garden's changes (a read-only token).
    pub refused: bool,
    /// The peer did not answer in time.
    pub stalled: bool,
}

/// A kept connection to a peer.
#[derive(Clone)]
pub struct Dialed {
    handle: samod::DialerHandle<Refused>,
    token: Option<String>,
}

impl Dialed {
    /// Waits for the first connection (or its permanent failure, as a refused token).
    async fn established(&self) -> anyhow::Result<()> {
        self.handle.established().await.map(|_| ()).map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// Resolves once `connection` is no longer this dialer's (it dropped).
    async fn dropped(&self, connection: samod::ConnectionId) {
        while self.handle.is_connected() && self.handle.connection_id() == Some(connection) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The current connection, to sync documents over.
    fn connection(&self) -> Option<samod::ConnectionId> {
        self.handle.connection_id()
    }

    fn close(&self) {
        self.handle.close();
    }
}

/// The peer id a protocol message names as its sender (`senderId` in its CBOR map).
pub(crate) fn sender_of(message: &[u8]) -> Option<PeerId> {
    let mut decoder = minicbor::Decoder::new(message);
    let fields = decoder.map().ok()??;
    for _ in 0..fields {
        let key = decoder.str().ok()?;
        if key == "senderId" {
            let sender = decoder.str().ok()?;
            return (!sender.is_empty() && sender.len() <= 256).then(|| PeerId::from(sender));
        }
        decoder.skip().ok()?;
    }
    None
}

/// What a WebSocket message is to the protocol.
enum Frame {
    Data(Vec<u8>),
    /// The protocol is binary: a text message is an error.
    Text,
    /// Pings, pongs and the close handshake, which the socket handles.
    Skip,
}

/// The protocol's messages from a WebSocket's stream, whatever the WebSocket library.
fn frames<M: 'static, E: std::fmt::Display + 'static>(
    stream: impl futures::Stream<Item = Result<M, E>> + Send + 'static,
    kind: fn(M) -> Frame,
) -> impl futures::Stream<Item = Result<Vec<u8>, NetError>> + Send + 'static {
    stream.filter_map(move |message| {
        let frame = match message {
            Ok(message) => match kind(message) {
                Frame::Data(bytes) => Some(Ok(bytes)),
                Frame::Text => Some(Err(NetError("a text message: the protocol is binary".into()))),
                Frame::Skip => None,
            },
            Err(e) => Some(Err(NetError(e.to_string()))),
        };
        futures::future::ready(frame)
    })
}

/// The document (hex) whose changes a protocol message carries: a `sync` message whose Automerge sync data
/// holds changes; `None` for anything else.
fn changes_for(message: &[u8]) -> Option<String> {
    let (document, sync) = sync_data(message)?;
    (!sync.changes.is_empty()).then(|| hex_of(&document))
}

/// The document and the Automerge sync data of a protocol `sync` message; `None` for any other message, or one
/// that does not decode.
pub(crate) fn sync_data(message: &[u8]) -> Option<(DocumentId, automerge::sync::Message)> {
    let mut decoder = minicbor::Decoder::new(message);
    let fields = decoder.map().ok()??;
    let (mut kind, mut document, mut data) = (None, None, None);
    for _ in 0..fields {
        match decoder.str().ok()? {
            "type" => kind = Some(decoder.str().ok()?),
            "documentId" => document = Some(decoder.str().ok()?),
            "data" => data = Some(decoder.bytes().ok()?),
            _ => decoder.skip().ok()?,
        }
    }
    if kind? != "sync" {
        return None;
    }
    let sync = automerge::sync::Message::decode(data?).ok()?;
    Some((document?.parse::<DocumentId>().ok()?, sync))
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct NetError(pub String);

/// A peer that refused this garden (a wrong token): no use trying again.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(String);

/// Dials a peer's `/sync` with tokio-tungstenite, presenting the token as `Authorization: Bearer`.
struct WsDialer {
    url: samod::Url,
    token: Option<String>,
    /// Where the documents whose changes go out are noted.
    sent: Arc<Mutex<HashSet<String>>>,
    client: Client,
    /// Where why a connection failed is told, under the peer's address as the user gave it (`name`).
    board: Board,
    name: String,
}

impl samod::Dialer for WsDialer {
    type Error = Refused;

    fn url(&self) -> samod::Url {
        self.url.clone()
    }

    fn connect(&self) -> futures::future::BoxFuture<'static, Result<samod::Transport, samod::DialError<Self::Error>>> {
        let opened =
            open(self.url.clone(), self.token.clone(), self.client.clone(), self.board.clone(), self.name.clone());
        let sent = Arc::clone(&self.sent);
        Box::pin(async move {
            let Socket { incoming, outgoing } = opened.await?;
            let outgoing = outgoing.sink_map_err(|e| NetError(e.to_string())).with(move |bytes: Vec<u8>| {
                if let Some(doc) = changes_for(&bytes) {
                    crate::lock(&sent).insert(doc);
                }
                async move { Ok::<_, NetError>(bytes) }
            });
            Ok(samod::Transport::new(incoming, Box::pin(outgoing)))
        })
    }
}

/// A WebSocket to a peer's `/sync`, as the protocol uses it: the binary messages that come (ending when the
/// connection drops, or the peer falls silent), and where messages to send go (closing it closes the socket).
pub(crate) struct Socket {
    pub incoming: futures::stream::BoxStream<'static, Result<Vec<u8>, NetError>>,
    pub outgoing: futures::channel::mpsc::UnboundedSender<Vec<u8>>,
}

/// Opens a WebSocket to `url` with tokio-tungstenite, presenting `token` as `Authorization: Bearer`; why it could
/// not is told on `board` under `name` (the peer's address as the user gave it). A refusal (a wrong token, an
/// address that cannot be) is permanent; anything else may pass.
pub(crate) fn open(
    url: samod::Url,
    token: Option<String>,
    client: Client,
    board: Board,
    name: String,
) -> impl std::future::Future<Output = Result<Socket, samod::DialError<Refused>>> + Send + 'static {
    use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Error, Message};
    let failed = move |state: State| board.set(&name, state);
    async move {
        let mut request = url.as_str().into_client_request().map_err(samod::DialError::transient)?;
        if let Some(token) = token {
            let value = format!("Bearer {token}")
                .parse()
                .map_err(|_| samod::DialError::PermanentFailure(Refused("the token is not valid text".into())))?;
            request.headers_mut().insert("authorization", value);
        }
        let stream = match client.connect(&url).await {
            Ok(stream) => stream,
            Err(error @ crate::sync::client::ConnectError::Address(_)) => {
                failed(State::Refused { reason: error.to_string() });
                return Err(samod::DialError::PermanentFailure(Refused(error.to_string())));
            }
            Err(error) => {
                failed(State::Unreachable { reason: error.to_string() });
                return Err(samod::DialError::transient(error));
            }
        };
        let upgrade = tokio_tungstenite::client_async(request, stream);
        let Ok(upgraded) = tokio::time::timeout(crate::sync::client::CONNECT_TIMEOUT, upgrade).await else {
            let reason = format!("{url} did not answer the WebSocket upgrade in time");
            failed(State::Unreachable { reason: reason.clone() });
            return Err(samod::DialError::transient(NetError(reason)));
        };
        let (socket, _) = match upgraded {
            Ok(connected) => connected,
            Err(Error::Http(response)) if matches!(response.status().as_u16(), 401 | 403) => {
                let body = response.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default();
                let reason = format!("{url} refused this garden ({}): {}", response.status(), body.trim());
                failed(State::Refused { reason: reason.clone() });
                return Err(samod::DialError::PermanentFailure(Refused(reason)));
            }
            Err(Error::Http(response)) => {
                let reason = format!("{url} answered HTTP {}, not a WebSocket", response.status());
                failed(State::Unreachable { reason: reason.clone() });
                return Err(samod::DialError::transient(NetError(reason)));
            }
            Err(error) => {
                failed(State::Unreachable { reason: format!("{url}: {error}") });
                return Err(samod::DialError::transient(error));
            }
        };
        let (mut sink, stream) = socket.split();
        // Keepalive: a ping every few seconds, and a peer not heard from (not even a pong) for longer than
        // `SILENCE` is gone, as a peer whose machine died or whose network dropped without closing anything
        // is: its stream ends, so that samod and the command see the connection drop at once.
        let heard = Arc::new(Mutex::new(std::time::Instant::now()));
        let (dead, gone) = tokio::sync::oneshot::channel::<()>();
        let incoming = frames(
            stream.inspect({
                let heard = Arc::clone(&heard);
                move |_| *crate::lock(&heard) = std::time::Instant::now()
            }),
            |message| match message {
                Message::Binary(bytes) => Frame::Data(bytes.to_vec()),
                Message::Text(_) => Frame::Text,
                _ => Frame::Skip,
            },
        )
        .take_until(gone);
        let (outgoing, mut to_send) = futures::channel::mpsc::unbounded::<Vec<u8>>();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(PING_EVERY);
            loop {
                tokio::select! {
                    bytes = to_send.next() => match bytes {
                        Some(bytes) => {
                            if sink.send(Message::Binary(bytes.into())).await.is_err() {
                                break;
                            }
                        }
                        None => {
                            let _ = sink.close().await;
                            break;
                        }
                    },
                    _ = ticks.tick() => {
                        if crate::lock(&heard).elapsed() > SILENCE {
                            let _ = dead.send(());
                            let _ = sink.close().await;
                            break;
                        }
                        if sink.send(Message::Ping(Vec::new().into())).await.is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Ok(Socket { incoming: incoming.boxed(), outgoing })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sender_of_a_join_message() {
        // {"type": "join", "senderId": "peer-1", "supportedProtocolVersions": ["1"]}
        let mut bytes = Vec::new();
        let mut encoder = minicbor::Encoder::new(&mut bytes);
        encoder.map(3).unwrap();
        encoder.str("type").unwrap().str("join").unwrap();
        encoder.str("supportedProtocolVersions").unwrap().array(1).unwrap().str("1").unwrap();
        encoder.str("senderId").unwrap().str("peer-1").unwrap();
        assert_eq!(sender_of(&bytes), Some(PeerId::from("peer-1")));
        assert_eq!(sender_of(b"not cbor"), None);
        assert_eq!(sender_of(&[0xa0]), None);
    }

    #[test]
    fn document_ids_both_ways() {
        let doc = "00112233445566778899aabbccddeeff";
        assert_eq!(hex_of(&id_of(doc).unwrap()), doc);
        assert!(id_of("not hex").is_none());
        assert!(id_of("0011").is_none());
    }
}
