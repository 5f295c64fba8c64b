//! How long the store takes to record edits, measured inside the process (from the outside one cannot see when
//! a save is recorded). Used by `bench/history.sh`; runs on a garden whose store exists or is made now.
//!
//!     cargo run --release --example history -- GARDEN
//!
//! It adds two notes to the store (50 KB and 100 KB of text, not written to the garden), then records 50
//! one-line edits of the 50 KB note and 5 rewrites of half of the 100 KB note, and prints medians and maxima in
//! milliseconds.
use std::time::Instant;

#[path = "support/text.rs"]
mod support;
use support::text;

fn median(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], ms[ms.len() - 1])
}

fn main() -> anyhow::Result<()> {
    let garden = std::env::args().nth(1).expect("usage: history GARDEN");
    let layout = loam::garden::Layout::discover(std::path::Path::new(&garden), None)?;
    let (mut store, _) = loam::cmd::import::open_and_catch_up(&layout)?;

    let mut note = text(50, 1);
    store.record("bench/fifty.md", note.as_bytes())?;
    let mut edits = Vec::new();
    for n in 0..50 {
        // Change one line in the middle.
        let middle = note.len() / 2 + n * 40;
        let start = note[..middle].rfind('\n').map_or(0, |i| i + 1);
        let end = note[middle..].find('\n').map_or(note.len(), |i| middle + i);
        note.replace_range(start..end, &format!("an edited line, number {n}"));
        let started = Instant::now();
        assert!(store.record("bench/fifty.md", note.as_bytes())?);
        edits.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let (edit_median, edit_max) = median(edits);

    let mut big = text(100, 2);
    store.record("bench/hundred.md", big.as_bytes())?;
    let mut rewrites = Vec::new();
    for n in 0..5 {
        let half = big.len() / 2;
        let cut = big[half..].find('\n').map_or(half, |i| half + i + 1);
        big.replace_range(cut.., &text(50, 100 + n));
        let started = Instant::now();
        assert!(store.record("bench/hundred.md", big.as_bytes())?);
        rewrites.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let (rewrite_median, rewrite_max) = median(rewrites);
    println!("one-line edit of a 50 KB note: median {edit_median:.2} ms, max {edit_max:.2} ms (50 edits)");
    println!("rewrite of half of a 100 KB note: median {rewrite_median:.1} ms, max {rewrite_max:.1} ms (5 rewrites)");
    Ok(())
}
