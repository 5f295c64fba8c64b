//! Waiting, by polling: for a condition to hold (`eventually`), or, where a test must show that something does
//! not happen, for a named window to pass without it (`never`). No test sleeps a fixed time in the hope that
//! something has happened by then.
//!
//! An absence has no moment to wait for: where nothing tells the test that the thing which must not happen has
//! had its chance (a dropped message, a file event filtered out), it can only be watched for a while. Each such
//! window is a named constant beside its test, saying why it is long enough.

use std::time::{Duration, Instant};

/// Waits up to 20 s for `ok`, polling; panics with `what` after.
pub fn eventually(what: &str, ok: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Watches for `window`, polling, that `happened` stays false; panics with `what` as soon as it turns true.
pub fn never(what: &str, window: Duration, happened: impl Fn() -> bool) {
    let watched = Instant::now();
    while watched.elapsed() < window {
        assert!(!happened(), "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!happened(), "{what}");
}
