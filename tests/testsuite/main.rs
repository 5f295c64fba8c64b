//! Loam's integration tests: the real `loam` binary run as a user runs it, on the corpora of `tests/corpora` and on
//! small gardens made for one case each, with files, pages and HTTP answers checked. One test binary, so that the
//! crate is linked once rather than once per file (as mdBook's `tests/testsuite` does); a module per area.
//!
//! `cargo test --test testsuite` runs them all; `cargo test --test testsuite sync::` the tests of one module.

// What the tests share.
mod garden;
mod random;
mod served;
mod wait;

// The tests, one module per area.
mod build;
mod fuzz;
mod history;
mod history_built;
mod history_views;
mod large;
mod links;
mod newcomer;
mod readme;
mod scope;
mod serve;
mod sync;
mod tls;
mod trust;

/// The `loam` binary Cargo built for these tests.
const LOAM: &str = env!("CARGO_BIN_EXE_loam");
