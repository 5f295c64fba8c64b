//! The history survives crashes: `loam serve` is killed with SIGKILL at random moments while notes are being
//! saved, again and again, and after each kill the store must open, its last text of every note must equal the
//! file once the next start has caught up, and no change recorded before the kill may be gone.
//!
//! 100 rounds by default (`LOAM_CRASH_ROUNDS` sets another number).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::garden::{notes_in, Garden};
use crate::random::Random;
use crate::LOAM;

/// Every note's history in the store (change hashes, oldest first) and its last text, after the catch-up a
/// start does.
fn store_after_catch_up(garden: &Path) -> BTreeMap<String, (Vec<String>, String)> {
    let layout = loam::garden::Layout::discover(garden, None).unwrap();
    let (store, _) = loam::cmd::import::open_and_catch_up(&layout).expect("the store opens and catches up");
    let paths: Vec<String> = store.paths().map(str::to_string).collect();
    paths
        .into_iter()
        .map(|path| {
            let history = store.history(&path).unwrap();
            let hashes = history.iter().map(|v| v.hash.to_string()).collect();
            let last = history.last().map(|v| v.text.clone()).unwrap_or_default();
            (path, (hashes, last))
        })
        .collect()
}

#[test]
fn the_history_survives_being_killed_at_any_moment() {
    let rounds: usize = std::env::var("LOAM_CRASH_ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(100);
    let garden = Garden::new().corpus("quartz-docs").build();
    let mut random = Random(0xdead_beef_cafe_f00d);
    let mut known: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for round in 0..rounds {
        let mut server = Command::new(LOAM)
            .args(["serve", garden.to_str().unwrap(), "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("loam serve starts");
        let mut line = String::new();
        BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.contains("http://127.0.0.1:"), "round {round}: {line:?}");

        // A burst of saves, in place and by rename, killed at a random moment.
        let notes = notes_in(&garden);
        let kill_at = Instant::now() + Duration::from_millis(random.below(400) as u64);
        while Instant::now() < kill_at {
            let note = &notes[random.below(notes.len())];
            let text = std::fs::read_to_string(note).unwrap();
            let edited = format!("{text}\nRound {round} adds line {}.\n", random.below(1000));
            if random.below(2) == 0 {
                std::fs::write(note, edited).unwrap();
            } else {
                let temp = note.with_extension("md.tmp");
                std::fs::write(&temp, edited).unwrap();
                std::fs::rename(&temp, note).unwrap();
            }
            std::thread::sleep(Duration::from_millis(random.below(30) as u64));
        }
        server.kill().unwrap();
        server.wait().unwrap();

        let store = store_after_catch_up(&garden);
        for note in notes_in(&garden) {
            let path = note.strip_prefix(&garden).unwrap().to_string_lossy().replace('\\', "/");
            let (hashes, last) =
                store.get(&path).unwrap_or_else(|| panic!("round {round}: `{path}` is not in the store"));
            assert_eq!(
                last,
                &std::fs::read_to_string(&note).unwrap(),
                "round {round}: `{path}` in the store and on disk"
            );
            let seen = known.entry(path.clone()).or_default();
            let now: BTreeSet<String> = hashes.iter().cloned().collect();
            assert!(seen.is_subset(&now), "round {round}: `{path}` lost changes it had before the kill");
            *seen = now;
        }
    }
}
