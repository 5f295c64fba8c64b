//! The floor under recording a rewrite of half of a 100 KB note: what Automerge alone takes for it, with no
//! Loam code in the way. It makes a document holding the text `examples/history.rs` rewrites, loads it from
//! its saved bytes (as the store does), then 5 times replaces the second half with new text in one transaction
//! and times each step: inserting the new half, deleting the old one (Automerge makes and places one delete
//! operation per character), committing, and getting the change's bytes to append to the log. Then it applies
//! the same change to a copy of the document, as a change from another peer would be.
//!
//!     cargo run --release --example rewrite_floor
//!
//! Prints the median of each step in milliseconds.
use std::time::Instant;

use automerge::{transaction::Transactable, ActorId, Automerge, ObjType, ReadDoc, ROOT};

#[path = "support/text.rs"]
mod support;
use support::text;

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    let object = tx.put_object(ROOT, "text", ObjType::Text).expect("make the text");
    let mut big = text(100, 2);
    tx.splice_text(&object, 0, 0, &big).expect("write the text");
    tx.commit();
    let mut doc = Automerge::load(&doc.save()).expect("load the saved document");

    let (mut insert, mut delete, mut commit, mut bytes, mut apply) = (vec![], vec![], vec![], vec![], vec![]);
    let mut deleted = 0;
    for n in 0..5 {
        let half = big.len() / 2;
        let cut = big[half..].find('\n').map_or(half, |i| half + i + 1);
        let at = big[..cut].chars().count();
        let old = big[cut..].chars().count();
        let new = text(50, 100 + n);
        big.replace_range(cut.., &new);
        let mut peer = doc.fork().with_actor(ActorId::random());
        let before = doc.get_heads();

        let mut tx = doc.transaction();
        let started = Instant::now();
        tx.splice_text(&object, at, 0, &new).expect("insert");
        insert.push(ms(started));
        let started = Instant::now();
        tx.splice_text(&object, at + new.chars().count(), old as isize, "").expect("delete");
        delete.push(ms(started));
        let started = Instant::now();
        tx.commit();
        commit.push(ms(started));
        let started = Instant::now();
        let change = doc.save_after(&before);
        bytes.push(ms(started));
        assert!(!change.is_empty());
        deleted = old;

        let change = doc.get_last_local_change().expect("the change just made");
        let started = Instant::now();
        peer.apply_changes([change]).expect("apply");
        apply.push(ms(started));
        assert_eq!(peer.text(&object).expect("text"), big);
    }
    assert_eq!(doc.text(&object).expect("text"), big);
    let (insert, delete, commit, bytes) = (median(insert), median(delete), median(commit), median(bytes));
    println!(
        "rewrite of half of a 100 KB note ({deleted} characters deleted), median of 5: insert {insert:.1} ms, \
         delete {delete:.1} ms, commit {commit:.1} ms, change bytes {bytes:.1} ms; total {:.1} ms. \
         Applying the same change from another peer: {:.1} ms",
        insert + delete + commit + bytes,
        median(apply)
    );
}
