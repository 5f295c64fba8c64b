//! Sync between gardens: the automerge-repo protocol (`net`), one exchange with a peer (`once`), and what a peer
//! may and may not make Loam do: the paths peers send are checked before anything touches the disk (`paths`) and
//! every note gets one place, the same on every peer (`layout`). DESIGN.md, "Sync".

pub mod address;
pub mod layout;
pub mod net;
pub mod once;
pub mod paths;

use std::collections::HashSet;
use std::future::Future;

use crate::config::Access;
pub use net::{Exchanged, Heads};

/// What Loam asks of a sync protocol. [`net::Peers`] (the automerge-repo protocol, spoken by the `samod` crate)
/// is the one there is; the rest of Loam reaches it only through this trait and the constructor that picks it
/// (`net::Peers::start`), so that another can take its place.
pub trait Protocol: Clone + Send + Sync + 'static {
    /// A kept connection to a peer this garden dialed.
    type Dialed: Clone + Send + Sync + 'static;

    /// Takes a WebSocket a peer opened to `/sync`, with the access its token gave; `from` names it in the log.
    fn accept(
        &self,
        socket: axum::extract::ws::WebSocket,
        access: Access,
        from: String,
    ) -> impl Future<Output = ()> + Send;
    /// Keeps a connection to the peer at `url`, reconnecting with backoff when it drops.
    fn dial(&self, url: &str, token: Option<String>) -> anyhow::Result<Self::Dialed>;
    /// Connects to the peer at `url` for one exchange: a few tries, then an error.
    fn dial_once(&self, url: &str, token: Option<String>) -> anyhow::Result<Self::Dialed>;
    /// Waits for the first connection (or its permanent failure, as a refused token).
    fn established(&self, dialed: &Self::Dialed) -> impl Future<Output = anyhow::Result<()>> + Send;
    fn close(&self, dialed: &Self::Dialed);
    /// Keeps the garden in sync with a dialed peer: the whole garden at each (re)connection, then changes as they
    /// happen.
    fn keep_in_sync(&self, dialed: &Self::Dialed, url: &str) -> impl Future<Output = ()> + Send;
    /// Syncs the whole garden over a connection, leaving out documents whose heads are `theirs` too.
    fn exchange_all(
        &self,
        over: &Self::Dialed,
        theirs: Option<Heads>,
    ) -> impl Future<Output = anyhow::Result<Vec<(String, Exchanged)>>> + Send;
    /// Passes a change made here (document id, Automerge bytes) on to the peers.
    fn push(&self, doc: &str, bytes: Vec<u8>) -> impl Future<Output = ()> + Send;
    /// Gets a document this garden lacks from the peers; whether any had it.
    fn fetch(&self, doc: &str) -> impl Future<Output = bool> + Send;
    /// The heads of this garden's note documents.
    fn heads(&self) -> impl Future<Output = Option<Heads>> + Send;
    /// Every document of this garden in one piece.
    fn bundle(&self) -> impl Future<Output = Option<Vec<u8>>> + Send;
    /// Documents whose changes went out over dialed connections.
    fn sent(&self) -> HashSet<String>;
    /// Stops every connection.
    fn stop(&self) -> impl Future<Output = ()> + Send;
}
