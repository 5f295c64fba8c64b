//! Syncing with an automerge-repo relay: any sync server that is not Loam (`@automerge/automerge-repo-sync-server`,
//! a relay of one's own on automerge-repo 2.x). A relay cannot say which documents it holds or what changed in
//! them, and samod keeps every document it has synced in memory; so Loam speaks the protocol to a relay itself,
//! over a connection of its own (a [`Link`]), exchanging many documents at once while holding in memory only the
//! few in flight (Automerge's own sync, [`automerge::sync`], document by document).
//!
//! What a relay holds is written down on the relay itself, in a *ledger*: one more document, its id derived from
//! the garden's and the relay's storage id, mapping each document (hex) to the heads the relay held of it when a
//! Loam garden last finished exchanging it there. Every Loam garden that exchanges a document with the relay writes
//! its entry, after the relay said it has those heads: so a garden whose heads of a note are the ledger's has
//! nothing to send the relay and nothing to take from it that any Loam garden gave it, and a reconnect exchanges
//! only the notes that changed on either side, not the whole garden. Two gardens writing one entry at once leave
//! both values (Automerge keeps concurrent values of a key); a reader takes the union of their heads, which the
//! relay holds all of. A relay without a storage id (one that keeps nothing) gets no ledger, and every exchange
//! is whole. What a non-Loam client writes straight to the relay is not in the ledger: it comes with the next
//! exchange of that note, or at once to a garden that exchanged the note over its current connection (the relay
//! passes a document's changes to every peer that synced it).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, ChangeHash, ReadDoc, ROOT};
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use samod::DocumentId;

use crate::sync::client::Client;
use crate::sync::net::{hex_of, id_of, Ask, AskStore, Exchanged, Heads, NetError, Socket};
use crate::sync::status::{Board, State};

/// How many documents are exchanged at once: enough to keep a relay busy answering while the answers travel,
/// few enough that what is held here stays small.
const WINDOW: usize = 128;

/// How long a relay may answer for nothing in flight before the documents left are given up on for this run.
const STALLED: Duration = Duration::from_secs(20);

/// How often, at most, a kept connection writes this garden's copy of the relay's ledger.
const SAVE_EVERY: Duration = Duration::from_secs(5);

/// How many documents' exchanges end between two writes of the ledger in a whole exchange, besides the write at
/// its end: a connection that drops part way through a long first sync leaves the relay's ledger saying what it
/// already holds, and the rerun exchanges only the rest. Each such write names only the documents exchanged
/// before the write before it: a relay that stops at once loses what it took in its last moments (it saves a
/// little after answering), and its ledger must never claim those.
const LEDGER_AFTER: usize = 500;

/// How long a first message may go unanswered before it is sent again.
const UNANSWERED: Duration = Duration::from_secs(3);

/// How long the relay has to answer the handshake.
const HANDSHAKE: Duration = Duration::from_secs(30);

/// A connection to a relay, past the protocol's handshake.
pub struct Link {
    /// The peer id this connection announced, and the relay's.
    me: String,
    them: String,
    /// The relay's storage id: what its ledger is named after (`None`: a relay that keeps nothing).
    storage: Option<String>,
    incoming: futures::stream::BoxStream<'static, Result<Vec<u8>, NetError>>,
    outgoing: futures::channel::mpsc::UnboundedSender<Vec<u8>>,
}

impl Link {
    /// Connects to the relay at `url` (`ws://…`, `wss://…`) and joins: the peer id this garden announces is new
    /// for each connection, and says it keeps nothing under it (the relay need store no sync state for it).
    pub async fn open(url: &str, token: Option<String>, client: &Client, board: &Board) -> anyhow::Result<Link> {
        let parsed = crate::sync::client::sync_address(url)?;
        let opened = crate::sync::net::open(parsed, token, client.clone(), board.clone(), url.to_string()).await;
        let Socket { mut incoming, outgoing } = opened.map_err(|error| match error {
            samod::DialError::PermanentFailure(refused) => anyhow::anyhow!("{refused}"),
            samod::DialError::TransientFailure(error) => anyhow::anyhow!("{error}"),
        })?;
        let mut id = [0u8; 8];
        getrandom::fill(&mut id).map_err(|error| anyhow::anyhow!("no randomness for a peer id: {error}"))?;
        let me = format!("loam-{}", hex::encode(id));
        outgoing.unbounded_send(wire::join(&me)).map_err(|_| anyhow::anyhow!("{url} closed the connection"))?;
        let answer = async {
            while let Some(message) = incoming.next().await {
                match wire::decode(&message?) {
                    Some(wire::Message::Peer { sender, storage }) => return Ok((sender, storage)),
                    Some(wire::Message::Error(message)) => anyhow::bail!("{url} refused to sync: {message}"),
                    _ => continue,
                }
            }
            anyhow::bail!("{url} closed the connection before it answered")
        };
        let (them, storage) = tokio::time::timeout(HANDSHAKE, answer).await.map_err(|_| {
            anyhow::anyhow!("{url} did not answer the protocol's handshake in {} s", HANDSHAKE.as_secs())
        })??;
        Ok(Link { me, them, storage, incoming, outgoing })
    }

    fn send(&self, kind: &str, doc: &str, data: &[u8]) {
        if let Some(id) = id_of(doc) {
            let _ = self.outgoing.unbounded_send(wire::sync(kind, &self.me, &self.them, &id, data));
        }
    }

    /// Closes the connection.
    pub fn close(self) {
        self.outgoing.close_channel();
    }
}

/// The relay's ledger of this garden: which heads it holds of each document, as Loam gardens last saw.
struct Ledger {
    id: String,
    file: PathBuf,
    doc: Automerge,
    /// Entries to write at the next [`Ledger::commit`].
    pending: BTreeMap<String, String>,
    /// Whether it changed since this garden's copy was last written, and when that was: the copy is written
    /// at the end of an exchange and now and then while serving, not at each change (it is the whole ledger, and
    /// a copy behind is only brought up to date by the relay next time).
    unsaved: bool,
    saved: Instant,
}

impl Ledger {
    /// The ledger of the garden whose index is `index` on the relay whose storage id is `storage`, as this
    /// garden last had it (in `.loam/relays/`), or empty.
    fn open(dir: &Path, index: &str, storage: &str) -> Ledger {
        let hash = xxhash_rust::xxh3::xxh3_128(format!("loam ledger\n{index}\n{storage}").as_bytes());
        let id = hex::encode(crate::store::address::uuid_shaped(hash.to_le_bytes()));
        let file = dir.join("relays").join(&id);
        let doc = match std::fs::read(&file) {
            Ok(bytes) => Automerge::load(&bytes).unwrap_or_else(|error| {
                tracing::debug!("sync: a relay's ledger here could not be read ({error}): it is fetched again");
                Automerge::new()
            }),
            Err(_) => Automerge::new(),
        };
        Ledger { id, file, doc, pending: BTreeMap::new(), unsaved: false, saved: Instant::now() }
    }

    /// The heads of each document the ledger names: the union of every value written at once.
    fn heads(&self) -> Heads {
        self.heads_of(self.doc.keys(ROOT))
    }

    /// The heads the ledger gives the documents `keys`.
    fn heads_of<K: AsRef<str>>(&self, keys: impl Iterator<Item = K>) -> Heads {
        let mut out = Heads::new();
        for key in keys {
            let key = key.as_ref().to_string();
            let mut heads: Vec<String> = Vec::new();
            for (value, _) in self.doc.get_all(ROOT, &key).unwrap_or_default() {
                if let Some(text) = value.as_str() {
                    heads.extend(text.split(',').filter(|h| !h.is_empty()).map(str::to_string));
                }
            }
            heads.sort();
            heads.dedup();
            out.insert(key, heads);
        }
        out
    }

    /// Notes that the relay holds `heads` of `doc`, to be written at the next commit unless it says so already.
    fn note(&mut self, doc: &str, heads: &[String]) {
        let value = heads.join(",");
        let values: Vec<String> = self
            .doc
            .get_all(ROOT, doc)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(value, _)| value.as_str().map(str::to_string))
            .collect();
        if values == [value.clone()] {
            self.pending.remove(doc);
        } else {
            self.pending.insert(doc.to_string(), value);
        }
    }

    /// Writes the noted entries as one change; whether there were any.
    fn commit(&mut self) -> bool {
        self.commit_where(|_| true)
    }

    /// Writes the noted entries of the documents `ripe` takes as one change, leaving the others noted; whether
    /// there were any.
    fn commit_where(&mut self, ripe: impl Fn(&str) -> bool) -> bool {
        let (pending, left): (BTreeMap<String, String>, BTreeMap<String, String>) =
            std::mem::take(&mut self.pending).into_iter().partition(|(doc, _)| ripe(doc));
        self.pending = left;
        if pending.is_empty() {
            return false;
        }
        let written = self.doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            for (doc, heads) in &pending {
                tx.put(ROOT, doc.as_str(), heads.as_str())?;
            }
            Ok(())
        });
        if let Err(error) = written {
            tracing::warn!("sync: the relay's ledger could not be written: {:?}", error.error);
            return false;
        }
        self.unsaved = true;
        true
    }

    /// Writes this garden's copy if it changed since, and `at_once` or [`SAVE_EVERY`] went by.
    fn save(&mut self, at_once: bool) {
        if !self.unsaved || (!at_once && self.saved.elapsed() < SAVE_EVERY) {
            return;
        }
        self.unsaved = false;
        self.saved = Instant::now();
        if let Some(dir) = self.file.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(error) = crate::store::files::write_atomic(&self.file, &self.doc.save()) {
            tracing::debug!("sync: the relay's ledger could not be kept here: {error:#}");
        }
    }
}

/// What a document being exchanged is to the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Note,
    Index,
    Ledger,
}

/// A document being exchanged.
struct Flight {
    doc: Automerge,
    state: sync::State,
    /// Its heads when the exchange began: what came since is taken into the store when it ends.
    began: Vec<ChangeHash>,
    /// Whether the relay was sent changes it lacked.
    sent: bool,
    kind: Kind,
    /// When the relay was last heard of for it: an exchange that stays quiet is begun again (a relay may leave
    /// unanswered a request that comes while another peer is giving it the document).
    heard: Instant,
    /// When it began.
    began_at: Instant,
}

/// Sorted hex heads.
fn hex_heads(heads: &[ChangeHash]) -> Vec<String> {
    let mut heads: Vec<String> = heads.iter().map(ToString::to_string).collect();
    heads.sort();
    heads
}

/// A document's whole history, read from the store.
async fn load(ask: &AskStore, doc: String) -> (String, Option<Vec<u8>>) {
    let (reply, answer) = tokio::sync::oneshot::channel();
    if !ask(Ask::Load { doc: doc.clone(), reply }) {
        return (doc, None);
    }
    let bytes = answer.await.ok().flatten();
    (doc, bytes)
}

type Loading = FuturesUnordered<futures::future::BoxFuture<'static, (String, Option<Vec<u8>>)>>;

/// Exchanges documents with a relay over a [`Link`].
struct Engine {
    link: Link,
    ask: AskStore,
    /// The garden's index (hex).
    index: String,
    ledger: Option<Ledger>,
    flights: HashMap<String, Flight>,
    /// Documents waiting to be exchanged, and those being read from the store.
    todo: VecDeque<String>,
    /// The documents in `todo`, to tell at once whether one is queued: a first exchange queues every note of the
    /// garden, and looking through the queue for each made it quadratic (50 million comparisons at 10,000).
    queued: std::collections::HashSet<String>,
    /// The documents the ledger noted by its last write part way through an exchange, to be written at the next.
    ripening: std::collections::BTreeSet<String>,
    loading: Loading,
    /// Messages that came for a document while it was being read.
    held: HashMap<String, Vec<Vec<u8>>>,
    /// What each exchange did, in the order they ended.
    done: Vec<(String, Exchanged)>,
    /// The index as merged with the relay's, once exchanged.
    merged_index: Option<Automerge>,
    /// Replies of the store once what came is kept on disk.
    kept: Vec<tokio::sync::oneshot::Receiver<()>>,
    /// Whether messages for documents not asked for are taken (a kept connection) or dropped (one exchange).
    live: bool,
    /// Documents changed here while being exchanged: exchanged again after.
    again: std::collections::HashSet<String>,
    /// Documents whose entry in the ledger another garden changed, and whose heads here are not the ones written
    /// (nor, as far as this connection knows, the relay's): to exchange.
    ledger_changed: Vec<String>,
    /// What the ledger said the relay holds, when the documents to exchange were chosen.
    listed: Option<Heads>,
    /// The relay's sync state of a finished exchange: what it said it can read (Automerge's capabilities).
    learned: Option<sync::State>,
    /// The heads both sides had of each document at the end of its last exchange over this connection.
    shared: HashMap<String, Vec<ChangeHash>>,
}

impl Engine {
    fn new(link: Link, ask: AskStore, dir: &Path, index: String, live: bool) -> Engine {
        let ledger = link.storage.as_deref().map(|storage| Ledger::open(dir, &index, storage));
        Engine {
            link,
            ask,
            index,
            ledger,
            flights: HashMap::new(),
            todo: VecDeque::new(),
            queued: Default::default(),
            ripening: Default::default(),
            loading: FuturesUnordered::new(),
            held: HashMap::new(),
            done: Vec::new(),
            merged_index: None,
            kept: Vec::new(),
            live,
            again: Default::default(),
            ledger_changed: Vec::new(),
            listed: None,
            learned: None,
            shared: HashMap::new(),
        }
    }

    fn ledger_id(&self) -> Option<String> {
        self.ledger.as_ref().map(|ledger| ledger.id.clone())
    }

    fn busy(&self) -> bool {
        !self.flights.is_empty() || !self.loading.is_empty() || !self.todo.is_empty()
    }

    /// Queues `doc` for exchange, unless it is queued or in flight already (then it goes again after).
    /// The ledger goes before the notes waiting, or a first sync would send it only after them all.
    fn queue(&mut self, doc: String) {
        if self.flights.contains_key(&doc) || self.held.contains_key(&doc) {
            self.again.insert(doc);
        } else if self.queued.insert(doc.clone()) {
            if self.ledger.as_ref().is_some_and(|ledger| ledger.id == doc) {
                self.todo.push_front(doc);
            } else {
                self.todo.push_back(doc);
            }
        }
    }

    /// Starts reading queued documents while the window has room.
    fn pump(&mut self) {
        while self.flights.len() + self.loading.len() < WINDOW {
            let Some(doc) = self.todo.pop_front() else { break };
            self.queued.remove(&doc);
            self.start_loading(doc);
        }
    }

    fn start_loading(&mut self, doc: String) {
        self.held.entry(doc.clone()).or_default();
        if Some(&doc) == self.ledger_id().as_ref() {
            self.loading.push(Box::pin(async move { (doc, None) }));
            return;
        }
        let ask = std::sync::Arc::clone(&self.ask);
        self.loading.push(Box::pin(async move { load(&ask, doc).await }));
    }

    /// A document read from the store (or the ledger, from this garden's copy): its exchange begins, with the
    /// messages that came for it meanwhile; or, asked for by none, the first message goes out.
    fn loaded(&mut self, doc: String, bytes: Option<Vec<u8>>) {
        let held = self.held.remove(&doc).unwrap_or_default();
        let kind = if doc == self.index {
            Kind::Index
        } else if Some(&doc) == self.ledger_id().as_ref() {
            Kind::Ledger
        } else {
            Kind::Note
        };
        let automerge = match kind {
            Kind::Ledger => self.ledger.as_ref().map(|ledger| ledger.doc.clone()).unwrap_or_default(),
            _ => match bytes.as_deref().map(Automerge::load) {
                None => Automerge::new(),
                Some(Ok(loaded)) => loaded,
                Some(Err(error)) => {
                    tracing::warn!("sync: document {doc} could not be read: {error}");
                    self.done.push((doc, Exchanged { found: true, stalled: true, ..Exchanged::default() }));
                    return;
                }
            },
        };
        let began = automerge.get_heads();
        let mut flight = Flight {
            doc: automerge,
            state: sync::State::new(),
            began,
            sent: false,
            kind,
            heard: Instant::now(),
            began_at: Instant::now(),
        };
        // A document the relay held as it is here, when last seen: nothing to send, and the relay, which knows,
        // would say nothing back. What others gave it since comes as the relay passes it on, or with the ledger.
        let ours = hex_heads(&flight.began);
        if held.is_empty()
            && !ours.is_empty()
            && self.relay_heads(&doc).is_some_and(|theirs| hex_heads(&theirs) == ours)
        {
            self.finish(&doc, flight, ours);
            return;
        }
        if held.is_empty() {
            // A document held by neither side yet is asked for ("request"); one held here is offered.
            let kind = if flight.began.is_empty() { "request" } else { "sync" };
            // One the relay has never held, as far as the ledger says, goes whole in the first message, as if the
            // relay had said it has nothing: one round trip instead of two, and a relay that reads Automerge's
            // newer messages is sent the document as one piece, which it loads far faster than change by change.
            // (Were it there after all, the relay's answer says what it has, and the exchange goes on from there.)
            let unknown = kind == "sync"
                && flight.kind == Kind::Note
                && self.listed.as_ref().is_none_or(|listed| !listed.contains_key(&doc));
            if let Some(learned) = &self.learned {
                flight.state.their_capabilities.clone_from(&learned.their_capabilities);
            }
            if unknown {
                flight.state.their_heads = Some(Vec::new());
                flight.state.their_need = Some(Vec::new());
                flight.state.their_have = Some(vec![sync::Have::default()]);
            } else if let Some(heads) = self.relay_heads(&doc) {
                // What the relay held at the last exchange (this connection's, or the ledger's) stands for the
                // sync state Automerge would have kept: the first message carries what changed since, and the
                // relay's answer ends the exchange (or says what else it has, and it goes on).
                if heads.iter().all(|hash| flight.doc.get_change_meta_by_hash(hash).is_some()) {
                    flight.state.their_heads = Some(heads.clone());
                    flight.state.their_need = Some(Vec::new());
                    flight.state.their_have = Some(vec![sync::Have { last_sync: heads.clone(), ..Default::default() }]);
                    flight.state.shared_heads = heads;
                }
            }
            if let Some(message) = flight.doc.generate_sync_message(&mut flight.state) {
                flight.sent |= !message.changes.is_empty();
                self.link.send(kind, &doc, &message.encode());
            }
            self.flights.insert(doc, flight);
        } else {
            self.flights.insert(doc.clone(), flight);
            for data in held {
                self.received(&doc, &data);
            }
        }
    }

    /// Begins again each exchange the relay has said nothing of for [`UNANSWERED`], from a fresh sync state (as
    /// after a reconnection). The relay's ledger, asked for and not given in that time, is done without: every
    /// document is exchanged, as with no ledger.
    fn ask_again(&mut self) {
        let ledger = self.ledger_id();
        let mut given_up = Vec::new();
        for (doc, flight) in &mut self.flights {
            // The ledger is only a shortcut: one this garden never had, not come in that time, is done without.
            if Some(doc) == ledger.as_ref() && flight.began.is_empty() && flight.began_at.elapsed() >= UNANSWERED {
                given_up.push(doc.clone());
                continue;
            }
            if flight.heard.elapsed() < UNANSWERED {
                continue;
            }
            tracing::debug!("sync: relay: {doc} ({:?}) unanswered: asked again", flight.kind);
            flight.state = sync::State::new();
            flight.heard = Instant::now();
            let kind = if flight.doc.get_heads().is_empty() { "request" } else { "sync" };
            if let Some(message) = flight.doc.generate_sync_message(&mut flight.state) {
                self.link.send(kind, doc, &message.encode());
            }
        }
        for doc in given_up {
            self.flights.remove(&doc);
            self.done.push((doc, Exchanged { found: true, ..Exchanged::default() }));
        }
    }

    /// The heads the relay held of `doc` when last seen: at the end of its last exchange over this connection, or
    /// as the ledger says.
    fn relay_heads(&self, doc: &str) -> Option<Vec<ChangeHash>> {
        if let Some(heads) = self.shared.get(doc) {
            return Some(heads.clone());
        }
        let listed = self.listed.as_ref()?.get(doc)?;
        listed.iter().map(|hash| hash.parse().ok()).collect()
    }

    /// A message of the protocol from the relay.
    fn message(&mut self, bytes: &[u8]) {
        match wire::decode(bytes) {
            Some(wire::Message::Sync { doc, data }) => {
                let hex = hex_of(&doc);
                if self.flights.contains_key(&hex) {
                    self.received(&hex, &data);
                } else if let Some(held) = self.held.get_mut(&hex) {
                    held.push(data);
                } else if self.live {
                    // A change another peer made, passed on by the relay: read the document, then take it in.
                    self.held.insert(hex.clone(), vec![data]);
                    if self.queued.remove(&hex) {
                        self.todo.retain(|queued| *queued != hex);
                    }
                    self.start_loading(hex);
                }
            }
            Some(wire::Message::Unavailable { doc }) => {
                let hex = hex_of(&doc);
                if let Some(flight) = self.flights.remove(&hex) {
                    if flight.kind == Kind::Ledger {
                        // No ledger on the relay yet: this garden's (if any) goes up at the end.
                        self.done.push((hex, Exchanged { found: true, ..Exchanged::default() }));
                    } else {
                        self.done.push((hex, Exchanged::default()));
                    }
                }
            }
            Some(wire::Message::Error(message)) => tracing::warn!("sync: the relay said: {message}"),
            _ => {}
        }
    }

    /// Sync data for a document in flight: taken in, answered, and the exchange ended once both sides have the
    /// same heads.
    fn received(&mut self, doc: &str, data: &[u8]) {
        let Some(flight) = self.flights.get_mut(doc) else { return };
        flight.heard = Instant::now();
        let message = match sync::Message::decode(data) {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!("sync: the relay sent document {doc} what is not sync data: {error}");
                return;
            }
        };
        if let Err(error) = flight.doc.receive_sync_message(&mut flight.state, message) {
            tracing::warn!("sync: the relay's changes to document {doc} could not be taken: {error}");
            self.flights.remove(doc);
            self.done.push((doc.to_string(), Exchanged { found: true, stalled: true, ..Exchanged::default() }));
            return;
        }
        let ours = hex_heads(&flight.doc.get_heads());
        let theirs = flight.state.their_heads.as_deref().map(hex_heads);
        if self.learned.is_none() && flight.state.their_capabilities.is_some() {
            self.learned = Some(flight.state.clone());
        }
        // Both without the document: the relay does not have it (a relay answers a request for a document it lacks
        // with no heads, as automerge-repo's peers take it; a newer one then also says "doc-unavailable").
        if ours.is_empty() && theirs.as_ref().is_some_and(Vec::is_empty) {
            let flight = self.flights.remove(doc).expect("in flight");
            let found = flight.kind == Kind::Ledger;
            // A note the ledger says the relay holds, and it does not (it lost it: restored from a backup, or
            // stopped before it saved what it took): the ledger is set right, so that a garden that has the note
            // sends it again at its next sync instead of believing the relay.
            if let (Kind::Note, Some(ledger)) = (flight.kind, &mut self.ledger) {
                if ledger.heads_of(std::iter::once(doc)).get(doc).is_some_and(|heads| !heads.is_empty()) {
                    tracing::warn!("sync: the relay has lost document {doc}: its ledger is set right");
                    ledger.note(doc, &[]);
                }
            }
            self.done.push((doc.to_string(), Exchanged { found, ..Exchanged::default() }));
            return;
        }
        if theirs.as_ref() == Some(&ours) {
            let flight = self.flights.remove(doc).expect("in flight");
            self.finish(doc, flight, ours);
            return;
        }
        if let Some(message) = flight.doc.generate_sync_message(&mut flight.state) {
            flight.sent |= !message.changes.is_empty();
            self.link.send("sync", doc, &message.encode());
        }
    }

    /// Both sides have `heads` of `doc`: what came is taken into the store, the ledger notes it.
    fn finish(&mut self, doc: &str, flight: Flight, heads: Vec<String>) {
        tracing::debug!("sync: relay: {doc} ({:?}) exchanged, sent {}", flight.kind, flight.sent);
        self.shared.insert(doc.to_string(), flight.doc.get_heads());
        match flight.kind {
            Kind::Ledger => {
                if let Some(ledger) = &mut self.ledger {
                    let before = ledger.doc.get_heads();
                    let mut theirs = flight.doc;
                    if let Err(error) = ledger.doc.merge(&mut theirs) {
                        tracing::warn!("sync: the relay's ledger could not be merged: {error}");
                    }
                    ledger.unsaved = true;
                    // The entries other gardens wrote since: only those are compared, not the whole ledger.
                    let after = ledger.doc.get_heads();
                    let changed: std::collections::BTreeSet<String> = ledger
                        .doc
                        .diff(&before, &after)
                        .into_iter()
                        .filter_map(|patch| match patch.action {
                            automerge::PatchAction::PutMap { key, .. } if patch.obj == ROOT => Some(key),
                            _ => None,
                        })
                        .collect();
                    tracing::debug!("sync: relay: the ledger changed for {changed:?}");
                    let listed = ledger.heads_of(changed.iter());
                    for (doc, heads) in listed {
                        let known = self.shared.get(&doc).map(|shared| hex_heads(shared));
                        if known.as_ref() != Some(&heads) {
                            // What the relay holds now, as the garden that wrote it saw.
                            if let Some(parsed) = heads.iter().map(|hash| hash.parse().ok()).collect() {
                                self.shared.insert(doc.clone(), parsed);
                            }
                            self.ledger_changed.push(doc);
                        }
                    }
                }
            }
            Kind::Index | Kind::Note => {
                let now = flight.doc.get_heads();
                if now != flight.began {
                    let bytes = flight.doc.save_after(&flight.began);
                    let (reply, kept) = tokio::sync::oneshot::channel();
                    if (self.ask)(Ask::TakeIn { doc: doc.to_string(), bytes, reply }) {
                        self.kept.push(kept);
                    }
                }
                if flight.kind == Kind::Index {
                    self.merged_index = Some(flight.doc);
                } else if let Some(ledger) = &mut self.ledger {
                    ledger.note(doc, &heads);
                }
            }
        }
        self.done.push((doc.to_string(), Exchanged { found: true, sent: flight.sent, ..Exchanged::default() }));
        if self.again.remove(doc) {
            self.queue(doc.to_string());
        }
    }

    /// Runs until nothing is queued or in flight. A connection that drops is an error; a relay silent for
    /// [`STALLED`] leaves what is left stalled.
    async fn settle(&mut self) -> anyhow::Result<()> {
        let total = self.todo.len() + self.flights.len() + self.loading.len();
        let mut progress = tokio::time::Instant::now();
        let mut noted = self.done.len();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            self.pump();
            if !self.busy() {
                return Ok(());
            }
            let ended = self.done.len();
            tokio::select! {
                Some((doc, bytes)) = self.loading.next(), if !self.loading.is_empty() => self.loaded(doc, bytes),
                message = self.link.incoming.next() => match message {
                    Some(Ok(bytes)) => self.message(&bytes),
                    _ => anyhow::bail!(
                        "the connection dropped after {} of {total} documents were exchanged; run the command \
                         again to exchange the rest",
                        self.done.len()
                    ),
                },
                _ = tick.tick() => self.ask_again(),
                _ = tokio::time::sleep_until(progress + STALLED) => {
                    let left: Vec<String> =
                        self.flights.drain().map(|(doc, _)| doc).chain(self.todo.drain(..)).collect();
                    self.queued.clear();
                    tracing::debug!("sync: stalled: {left:?} (index {}, ledger {:?})", self.index, self.ledger_id());
                    tracing::warn!(
                        "sync: the relay answered for no document in {} s: {} left for another run",
                        STALLED.as_secs(),
                        left.len()
                    );
                    let stalled = Exchanged { found: true, stalled: true, ..Exchanged::default() };
                    self.done.extend(left.into_iter().map(|doc| (doc, stalled)));
                    self.held.clear();
                    return Ok(());
                }
            }
            if self.done.len() != ended {
                progress = tokio::time::Instant::now();
            }
            if self.done.len() >= noted + LEDGER_AFTER {
                noted = self.done.len();
                self.write_ripe_ledger();
            }
        }
    }

    /// Writes what the ledger noted as one change and queues the ledger to go to the relay; whether it was.
    fn write_ledger(&mut self) -> bool {
        let written = self.ledger.as_mut().is_some_and(Ledger::commit);
        self.ripening.clear();
        if written {
            self.queue_ledger();
        }
        written
    }

    /// Part way through an exchange: writes what the ledger noted before the last such write, and queues it
    /// (see [`LEDGER_AFTER`]).
    fn write_ripe_ledger(&mut self) {
        let Some(ledger) = &mut self.ledger else { return };
        let ripe = std::mem::take(&mut self.ripening);
        let written = ledger.commit_where(|doc| ripe.contains(doc));
        self.ripening = ledger.pending.keys().cloned().collect();
        if written {
            self.queue_ledger();
        }
    }

    fn queue_ledger(&mut self) {
        if let Some(id) = self.ledger_id() {
            self.queue(id);
        }
    }

    /// The documents of the merged index whose heads here differ from the ledger's (all of them, without one).
    async fn differing(&mut self) -> Vec<String> {
        let Some(index) = &self.merged_index else { return Vec::new() };
        let mut documents = crate::store::merge::index_documents(index);
        let (Some(ledger), Some(ours)) = (&self.ledger, heads(&self.ask).await) else { return documents };
        let theirs = ledger.heads();
        documents.retain(|doc| ours.get(doc).is_none_or(|heads| theirs.get(doc) != Some(heads)));
        self.listed = Some(theirs);
        documents
    }

    /// Writes what the ledger noted, and sends it.
    async fn send_ledger(&mut self) -> anyhow::Result<()> {
        if !self.write_ledger() {
            return Ok(());
        }
        self.settle().await
    }

    /// Waits for the store to have kept what came.
    async fn kept(&mut self) {
        for kept in std::mem::take(&mut self.kept) {
            let _ = kept.await;
        }
    }
}

/// The heads of every note's document here.
async fn heads(ask: &AskStore) -> Option<Heads> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    if !ask(Ask::Heads { scope: None, reply }) {
        return None;
    }
    answer.await.ok()
}

/// One whole exchange with the relay over `link`: the index and the ledger first, then every document whose
/// heads here differ from what the ledger says the relay holds, then the ledger brought up to date. Returns what
/// each document's exchange did (the index and the ledger left out) and the engine, to go on with.
async fn sweep(
    link: Link,
    ask: AskStore,
    dir: &Path,
    index: String,
    live: bool,
) -> (Engine, anyhow::Result<Vec<(String, Exchanged)>>) {
    let mut engine = Engine::new(link, ask, dir, index.clone(), live);
    let result = async {
        engine.queue(index.clone());
        if let Some(id) = engine.ledger_id() {
            engine.queue(id);
        }
        engine.settle().await?;
        if engine.merged_index.is_none() {
            anyhow::bail!("neither this garden nor the relay has the garden's index");
        }
        let before = engine.done.len();
        for doc in engine.differing().await {
            engine.queue(doc);
        }
        engine.settle().await?;
        let exchanged: Vec<(String, Exchanged)> = engine.done[before..].to_vec();
        engine.send_ledger().await?;
        if let Some(ledger) = &mut engine.ledger {
            ledger.save(true);
        }
        engine.kept().await;
        let ledger = engine.ledger_id();
        Ok(exchanged.into_iter().filter(|(doc, _)| *doc != index && Some(doc) != ledger.as_ref()).collect())
    }
    .await;
    (engine, result)
}

/// `loam sync` and `loam clone` with a relay: one whole exchange.
pub async fn exchange_once(
    url: &str,
    token: Option<String>,
    client: &Client,
    ask: AskStore,
    dir: &Path,
    index: String,
) -> anyhow::Result<Vec<(String, Exchanged)>> {
    let link =
        Link::open(url, token, client, &Board::default()).await.with_context(|| format!("cannot sync with {url}"))?;
    let (engine, result) = sweep(link, ask, dir, index, false).await;
    engine.link.close();
    result
}

/// The garden a relay link works for: its store (asked), its `.loam/` folder and its index (hex).
pub struct Here {
    pub ask: AskStore,
    pub dir: PathBuf,
    pub index: String,
}

/// `loam serve --peer RELAY`: keeps in step with the relay, a whole exchange at each (re)connection, then each
/// change made here as it is recorded (`changes`: documents, hex) and each change another garden made as the
/// relay passes it on (the ledger tells of those the relay would not pass on). Where it stands is on `board`.
pub async fn keep_in_sync(
    url: String,
    token: Option<String>,
    client: Client,
    here: Here,
    board: Board,
    mut changes: tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    let Here { ask, dir, index } = here;
    let mut delay = Duration::from_millis(200);
    loop {
        board.set(&url, State::Connecting);
        let link = match Link::open(&url, token.clone(), &client, &board).await {
            Ok(link) => link,
            Err(error) => {
                board.set(&url, State::Unreachable { reason: format!("{error:#}") });
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
                continue;
            }
        };
        delay = Duration::from_millis(200);
        board.set(&url, State::Connected);
        let started = Instant::now();
        let (mut engine, swept) = sweep(link, std::sync::Arc::clone(&ask), &dir, index.clone(), true).await;
        match swept {
            Ok(done) => {
                let behind = done.iter().filter(|(_, done)| done.stalled).count();
                board.exchanged(&url, done.len(), behind, started);
            }
            Err(error) => {
                board.set(&url, State::Unreachable { reason: format!("{error:#}") });
                engine.link.close();
                tokio::time::sleep(delay).await;
                continue;
            }
        }
        if let Err(error) = live(&mut engine, &mut changes).await {
            board.set(&url, State::Unreachable { reason: format!("{error:#}") });
        }
        if let Some(ledger) = &mut engine.ledger {
            ledger.save(true);
        }
        engine.link.close();
        tokio::time::sleep(delay).await;
    }
}

/// After a whole exchange: each change made here goes to the relay, each the relay passes on comes in, and the
/// ledger is kept; until the connection drops.
async fn live(engine: &mut Engine, changes: &mut tokio::sync::mpsc::UnboundedReceiver<String>) -> anyhow::Result<()> {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        engine.pump();
        tokio::select! {
            Some((doc, bytes)) = engine.loading.next(), if !engine.loading.is_empty() => engine.loaded(doc, bytes),
            message = engine.link.incoming.next() => match message {
                Some(Ok(bytes)) => engine.message(&bytes),
                _ => anyhow::bail!("the connection dropped"),
            },
            doc = changes.recv() => match doc {
                Some(doc) => engine.queue(doc),
                None => return Ok(()),
            },
            _ = tick.tick() => {
                engine.ask_again();
                engine.done.clear();
                engine.kept.clear();
            }
        }
        // What ended is written in the ledger once nothing is in flight (a burst of saves makes one change of
        // it), and a ledger another garden changed is compared with this garden at once.
        if !engine.busy() {
            let committed = match &mut engine.ledger {
                Some(ledger) => ledger.commit().then(|| ledger.id.clone()),
                None => None,
            };
            if let Some(id) = committed {
                engine.queue(id);
            }
            if let Some(ledger) = &mut engine.ledger {
                ledger.save(false);
            }
        }
        for doc in std::mem::take(&mut engine.ledger_changed) {
            engine.queue(doc);
        }
    }
}

/// The automerge-repo protocol's messages, as far as Loam speaks it to a relay (CBOR maps).
mod wire {
    use super::DocumentId;

    /// A message from the relay.
    pub enum Message {
        /// The handshake's answer: the relay's peer id and storage id.
        Peer {
            sender: String,
            storage: Option<String>,
        },
        /// Sync data for a document (`sync`, or a `request` for it).
        Sync {
            doc: DocumentId,
            data: Vec<u8>,
        },
        /// The relay does not have the document, and knows nobody who does.
        Unavailable {
            doc: DocumentId,
        },
        Error(String),
        Other,
    }

    /// `join`: this side's peer id, protocol version 1, and that it keeps nothing under a storage id.
    pub fn join(me: &str) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut encoder = minicbor::Encoder::new(&mut bytes);
        let _ = encoder
            .map(4)
            .and_then(|e| e.str("type")?.str("join"))
            .and_then(|e| e.str("senderId")?.str(me))
            .and_then(|e| e.str("supportedProtocolVersions")?.array(1)?.str("1"))
            .and_then(|e| e.str("peerMetadata")?.map(1)?.str("isEphemeral")?.bool(true));
        bytes
    }

    /// A `sync` (or `request`) message carrying Automerge sync data for a document.
    pub fn sync(kind: &str, me: &str, them: &str, doc: &DocumentId, data: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(data.len() + 128);
        let mut encoder = minicbor::Encoder::new(&mut bytes);
        let _ = encoder
            .map(5)
            .and_then(|e| e.str("type")?.str(kind))
            .and_then(|e| e.str("documentId")?.str(&doc.to_string()))
            .and_then(|e| e.str("senderId")?.str(me))
            .and_then(|e| e.str("targetId")?.str(them))
            .and_then(|e| e.str("data")?.bytes(data));
        bytes
    }

    /// A message's meaning; `None` when it is not a CBOR map with a type.
    pub fn decode(bytes: &[u8]) -> Option<Message> {
        let mut decoder = minicbor::Decoder::new(bytes);
        let fields = decoder.map().ok()??;
        let (mut kind, mut sender, mut doc, mut data, mut storage, mut text) = (None, None, None, None, None, None);
        for _ in 0..fields {
            match decoder.str().ok()? {
                "type" => kind = Some(decoder.str().ok()?.to_string()),
                "senderId" => sender = Some(decoder.str().ok()?.to_string()),
                "documentId" => {
                    doc = match decoder.datatype().ok()? {
                        minicbor::data::Type::Bytes => DocumentId::try_from(decoder.bytes().ok()?.to_vec()).ok(),
                        _ => decoder.str().ok()?.parse::<DocumentId>().ok(),
                    }
                }
                "data" => data = Some(decoder.bytes().ok()?.to_vec()),
                "message" => text = Some(decoder.str().ok()?.to_string()),
                "peerMetadata" => {
                    let entries = decoder.map().ok()??;
                    for _ in 0..entries {
                        match decoder.str().ok()? {
                            "storageId" if decoder.datatype().ok()? == minicbor::data::Type::String => {
                                storage = Some(decoder.str().ok()?.to_string())
                            }
                            _ => decoder.skip().ok()?,
                        }
                    }
                }
                _ => decoder.skip().ok()?,
            }
        }
        Some(match kind?.as_str() {
            "peer" => Message::Peer { sender: sender?, storage },
            "sync" | "request" => Message::Sync { doc: doc?, data: data? },
            "doc-unavailable" => Message::Unavailable { doc: doc? },
            "error" => Message::Error(text.unwrap_or_default()),
            _ => Message::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_of_the_protocol_both_ways() {
        let doc = id_of("00112233445566778899aabbccddeeff").unwrap();
        let bytes = wire::sync("sync", "loam-1", "relay", &doc, b"data");
        match wire::decode(&bytes) {
            Some(wire::Message::Sync { doc: got, data }) => {
                assert_eq!(got, doc);
                assert_eq!(data, b"data");
            }
            _ => panic!("not a sync message"),
        }
        assert_eq!(crate::sync::net::sender_of(&wire::join("loam-1")).map(|p| p.to_string()), Some("loam-1".into()));
        assert!(wire::decode(b"not cbor").is_none());
    }

    #[test]
    fn a_ledger_reads_every_value_written_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut ada = Ledger::open(dir.path(), "index", "relay");
        let mut bo = Ledger::open(dir.path(), "index", "relay");
        assert_eq!(ada.id, bo.id, "the ledger's id is the garden's and the relay's");
        assert!(crate::store::address::every_relay_accepts(&ada.id));
        ada.note("doc", &["a".into()]);
        bo.note("doc", &["b".into()]);
        assert!(ada.commit() && bo.commit());
        ada.doc.merge(&mut bo.doc).unwrap();
        assert_eq!(ada.heads().get("doc"), Some(&vec!["a".to_string(), "b".to_string()]));
        // A later entry, written knowing both, stands alone; one that says what the ledger says is not written.
        ada.note("doc", &["c".into()]);
        assert!(ada.commit());
        assert_eq!(ada.heads().get("doc"), Some(&vec!["c".to_string()]));
        ada.note("doc", &["c".into()]);
        assert!(!ada.commit());
        assert_ne!(Ledger::open(dir.path(), "index", "another relay").id, ada.id);
    }
}
