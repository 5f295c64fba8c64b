//! Waiting for a condition, by polling it: the tests never sleep a fixed time in the hope that it holds.

/// Waits up to 20 s for `ok`, polling; panics with `what` after.
pub fn eventually(what: &str, ok: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !ok() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
