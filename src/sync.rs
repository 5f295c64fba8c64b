//! Sync between gardens (growing): what a peer may and may not make Loam do. This part checks the paths peers
//! send before anything touches the disk (DESIGN.md, "Sync"); the protocol comes beside it.

pub mod address;
pub mod layout;
pub mod net;
pub mod once;
pub mod paths;
