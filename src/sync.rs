//! Sync between gardens: the automerge-repo protocol (`net`), one exchange with a peer (`once`), and how a peer
//! is reached, plain or over TLS (`client`), and a relay that is not Loam
//! (`relay`: many documents over a connection of its own, and a ledger of what the relay holds). What a peer
//! may and may not make Loam do is the store's to decide, where files are written: the paths peers send are
//! checked before anything touches the disk (`store::paths`) and every note gets one place, the same on every
//! peer (`store::placement`). Sync depends on the store, never the other way. DESIGN.md, "Sync".

pub mod client;
pub mod net;
pub mod once;
pub mod relay;
pub mod routes;
pub mod status;

pub use net::{Exchanged, Heads};
pub use routes::{routes, SyncState};
