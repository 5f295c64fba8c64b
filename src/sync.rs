//! Sync between gardens: the automerge-repo protocol (`net`), one exchange with a peer (`once`), and what a peer
//! may and may not make Loam do: the paths peers send are checked before anything touches the disk (`paths`) and
//! every note gets one place, the same on every peer (`layout`). DESIGN.md, "Sync".

pub mod address;
pub mod layout;
pub mod net;
pub mod once;
pub mod paths;
