//! Fuzzing targets: each takes the bytes a fuzzer makes and drives the real code with them, in memory (or in a
//! temporary folder where the real code needs one), panicking only where Loam would. Two harnesses call them:
//! `fuzz/` (cargo-fuzz and libFuzzer, on a nightly toolchain) runs them for as long as one likes, and
//! `tests/testsuite/fuzz.rs` (any toolchain) runs each over its seed corpus and a bounded number of seeded cases,
//! with a limit on each case's time and on the memory all of them hold.
//!
//! Not part of Loam's API: public only so that those harnesses, outside the crate, can reach it.
//!
//! - [`note`]: a small garden (the fuzzed note, sibling notes it can link to and transclude, attachments) through
//!   parse, link resolution, the site model, the page stage and every template: `loam build`, without the disk.
//! - [`config`]: bytes as `loam.toml`, through its parser and everything that reads a `Config`, then a build.
//! - [`sync_message`]: what a peer sends (protocol messages, sync data, documents, a clone's bundle) through the
//!   paths an incoming message takes, into a garden's store and notes folder.

pub mod config;
pub mod note;
pub mod sync_message;

pub use config::run as config;
pub use note::run as note;
pub use sync_message::run as sync_message;

/// A fuzzing target: any bytes in, a panic only where Loam has a bug.
pub type Target = fn(&[u8]);

/// Every target by name, as `fuzz/fuzz_targets/` and `tests/testsuite/fuzz.rs` call them.
pub const TARGETS: &[(&str, Target)] = &[("note", note), ("config", config), ("sync_message", sync_message)];
