//! The fuzzing targets (`loam::fuzzing`) on stable, for a bounded number of cases: each target's seed corpus
//! (`fuzz/corpus/<target>/`), then seeded pseudo-random cases, half of them seeds with a few bytes changed, cut,
//! repeated or spliced from another seed (so that cases reach past the parsers), half bytes at random. A case
//! fails if it panics, takes more than `LOAM_FUZZ_SECONDS` (5 by default) or leaves the process holding more than
//! 1 GiB beyond what it held at the start; the failure names the seed and case, and the input is saved under
//! `target/fuzz-failures/`. The process is the whole test binary's: under `cargo test` the other modules' tests
//! run in it too (cargo-nextest gives each test a process of its own), and what they hold counts; those that work
//! in this process rather than in a `loam` child (the preview's random edits in `serve`, the crash test's store in
//! `history`) hold a small part of that limit.
//!
//! `LOAM_FUZZ_CASES` (300 by default) sets the number of cases per target, `LOAM_FUZZ_SEED` the seed (a fixed
//! one by default, so that a run is repeatable; `random` for a new one each run, printed), and
//! `LOAM_FUZZ_INPUT=<file>` runs each target on that file alone (a crash libFuzzer saved, for example).

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Fragments that mean something to one of the targets, spliced into cases so that random changes make syntax.
const TOKENS: &[&str] = &[
    "[[",
    "]]",
    "![[",
    "|",
    "#",
    "#^",
    "^block",
    "\n---\n",
    "---\n",
    "title: ",
    "publish: ",
    "aliases: [",
    "tags: ",
    "$$",
    "$",
    "```",
    "~~~",
    "\n> [!note]- ",
    "==",
    "%%",
    "<div>",
    "</div>",
    "<script>",
    "&amp;",
    "\n# ",
    "\n## ",
    "- [ ] ",
    "| a | b |\n|---|---|\n",
    "[^1]",
    "\n@@@ ",
    "a.md\n",
    "folder/b.md\n",
    "loam.toml\n",
    "[[a]]",
    "![[a]]",
    "![[b#Part]]",
    "![[b#^first]]",
    "[[bee]]",
    "image.png",
    " = ",
    "\"",
    "[sync]\n",
    "[[sync.tokens]]\n",
    "[serve]\n",
    "base_url",
    "\\u0000",
    "\0",
    "\u{FEFF}",
    "\r\n",
];

const DEFAULT_CASES: usize = 300;
const DEFAULT_SEED: u64 = 0x10a5_f022;
const MEMORY_LIMIT: u64 = 1 << 30;

#[test]
fn note() {
    run("note", loam::fuzzing::note);
}

#[test]
fn config() {
    run("config", loam::fuzzing::config);
}

#[test]
fn sync_message() {
    run("sync_message", loam::fuzzing::sync_message);
}

/// Every target has a test above and a seed corpus: a target added to `loam::fuzzing` must be added here too.
#[test]
fn every_target_is_run_and_has_seeds() {
    for (name, _) in loam::fuzzing::TARGETS {
        assert!(["note", "config", "sync_message"].contains(name), "no test runs the fuzzing target `{name}`");
        let seeds = corpus(name);
        assert!(seeds.len() >= 3, "`fuzz/corpus/{name}/` has {} seed files", seeds.len());
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fuzz/fuzz_targets/{name}.rs")).exists());
    }
}

fn run(name: &str, target: fn(&[u8])) {
    let limit = Duration::from_secs(env("LOAM_FUZZ_SECONDS").map_or(5, |s| s.parse().expect("a number of seconds")));
    if let Some(file) = env("LOAM_FUZZ_INPUT") {
        let input = std::fs::read(&file).expect("LOAM_FUZZ_INPUT names a file");
        return case(name, target, input, limit, &format!("LOAM_FUZZ_INPUT={file}"), 0);
    }
    let cases = env("LOAM_FUZZ_CASES").map_or(DEFAULT_CASES, |n| n.parse().expect("a number of cases"));
    let seed = match env("LOAM_FUZZ_SEED").as_deref() {
        None => DEFAULT_SEED,
        Some("random") => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64,
        Some(seed) => seed.parse().expect("LOAM_FUZZ_SEED is a number or `random`"),
    };
    let seeds: Vec<Vec<u8>> = corpus(name).iter().map(|file| std::fs::read(file).unwrap()).collect();
    let baseline = memory().0;
    let started = Instant::now();
    for (file, input) in corpus(name).iter().zip(&seeds) {
        case(name, target, input.clone(), limit, &format!("seed file {}", file.display()), baseline);
    }
    let mut rng = Rng(seed ^ xxhash(name));
    for n in 0..cases {
        let input = rng.input(&seeds);
        case(name, target, input, limit, &format!("LOAM_FUZZ_SEED={seed}, case {n}"), baseline);
    }
    let (_, peak) = memory();
    eprintln!(
        "fuzz {name}: {} seeds and {cases} cases (LOAM_FUZZ_SEED={seed}) in {:.1} s, peak resident {} MiB",
        seeds.len(),
        started.elapsed().as_secs_f64(),
        peak >> 20
    );
}

/// Runs one case on a thread of its own, so that one that runs too long can be reported (and left behind).
fn case(name: &str, target: fn(&[u8]), input: Vec<u8>, limit: Duration, which: &str, baseline: u64) {
    let (done, finished) = mpsc::channel();
    let kept = input.clone();
    std::thread::Builder::new()
        .name(format!("fuzz-{name}"))
        .spawn(move || {
            let outcome = std::panic::catch_unwind(|| target(&input));
            let _ = done.send(outcome.is_ok());
        })
        .expect("a thread for the case");
    let failure = match finished.recv_timeout(limit) {
        Ok(true) => {
            let (resident, peak) = memory();
            let grown = resident.max(peak).saturating_sub(baseline);
            (grown > MEMORY_LIMIT).then(|| format!("held {} MiB more than at the start", grown >> 20))
        }
        Ok(false) | Err(mpsc::RecvTimeoutError::Disconnected) => Some("panicked (see above)".to_string()),
        Err(mpsc::RecvTimeoutError::Timeout) => Some(format!("took more than {} s", limit.as_secs())),
    };
    if let Some(failure) = failure {
        let saved = save(name, &kept);
        panic!("fuzz target `{name}` {failure} on {which} ({} bytes, saved in {})", kept.len(), saved.display());
    }
}

/// Keeps a failing input where `LOAM_FUZZ_INPUT` can find it again.
fn save(name: &str, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join(format!("{name}-{:016x}", xxhash(input)));
    let _ = std::fs::write(&file, input);
    file
}

/// The seed files of a target, in a fixed order.
fn corpus(name: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(name);
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    files.sort();
    files
}

/// The process's resident memory and its peak so far, in bytes (`/proc/self/status`; zero where there is none).
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> u64 {
        let line = status.lines().find(|line| line.starts_with(name));
        let kib = line.and_then(|line| line.split_whitespace().nth(1)).and_then(|n| n.parse::<u64>().ok());
        kib.unwrap_or(0) * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn xxhash(bytes: impl AsRef<[u8]>) -> u64 {
    // FNV-1a: enough to tell targets and inputs apart, with nothing to add to the test's dependencies.
    bytes.as_ref().iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// SplitMix64: a seeded sequence with no dependency, the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// A case: a seed changed a few times, or random bytes (all kinds, or only printable ones and tokens).
    fn input(&mut self, seeds: &[Vec<u8>]) -> Vec<u8> {
        match self.below(4) {
            0 | 1 if !seeds.is_empty() => {
                let mut input = seeds[self.below(seeds.len())].clone();
                for _ in 0..1 + self.below(8) {
                    self.mutate(&mut input, seeds);
                }
                input
            }
            2 => {
                let n = self.below(1024);
                self.bytes(n)
            }
            _ => {
                let mut input = Vec::new();
                for _ in 0..self.below(64) {
                    if self.below(2) == 0 {
                        input.extend_from_slice(TOKENS[self.below(TOKENS.len())].as_bytes());
                    } else {
                        let n = self.below(12);
                        input.extend((0..n).map(|_| b' ' + self.below(95) as u8));
                    }
                }
                input
            }
        }
    }

    fn mutate(&mut self, input: &mut Vec<u8>, seeds: &[Vec<u8>]) {
        let at = self.below(input.len() + 1);
        match self.below(6) {
            0 if at < input.len() => input[at] ^= 1 << self.below(8),
            1 => {
                let token = TOKENS[self.below(TOKENS.len())].as_bytes();
                input.splice(at..at, token.iter().copied());
            }
            2 => {
                let end = (at + self.below(32)).min(input.len());
                input.drain(at..end);
            }
            3 => {
                // A piece repeated: nesting, long runs, many links.
                let end = (at + self.below(64)).min(input.len());
                let piece = input[at..end].to_vec();
                for _ in 0..self.below(8) {
                    input.splice(at..at, piece.iter().copied());
                }
            }
            4 => {
                let other = &seeds[self.below(seeds.len())];
                let from = self.below(other.len() + 1);
                let end = (from + self.below(256)).min(other.len());
                input.splice(at..at, other[from..end].iter().copied());
            }
            _ => {
                let n = self.below(16);
                let bytes = self.bytes(n);
                input.splice(at..at, bytes);
            }
        }
    }
}
