//! Hand-written memo keys (H, as in Loam's site.rs) against salsa (S) for the live preview's site model at
//! 10,000 notes. `salsa-bench` times both; `salsa-bench mem h|s` runs one variant alone and prints its peak RSS.

mod hand;
mod pure;
mod sal;

use salsa::Setter;
use std::sync::Arc;
use std::time::Instant;

const NOTES: usize = 10_000;
const ROUNDS: usize = 21;

/// xorshift64*: the same garden every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "garden", "note", "the", "of", "seed", "compost", "root", "leaf", "and", "a", "grows", "under", "moss", "light",
    "water", "stone", "path", "between", "quietly", "every", "season", "soil", "worm", "bloom",
];

fn path_of(i: usize) -> String {
    format!("folder{}/Note {i}.md", i % 100)
}

fn note_text(i: usize, title: &str, body_edit: &str, rng: &mut Rng) -> String {
    let mut t = String::with_capacity(3400);
    let tags: Vec<String> = (0..5)
        .map(|j| if j == 0 { format!("area{}/sub{}", rng.below(10), rng.below(20)) } else { format!("topic{}", rng.below(150)) })
        .collect();
    t.push_str(&format!(
        "---\ntitle: {title}\ntags: [{}]\naliases: [Alias {i} a, Alias {i} b]\n---\n",
        tags.join(", ")
    ));
    let mut links = 0;
    for h in 0..10 {
        t.push_str(&format!("## Section {h} of {i}\n\n"));
        // ~300 bytes of prose per section, with a link in 8 of the 10 sections.
        let mut line = String::new();
        while line.len() < 290 {
            line.push_str(WORDS[rng.below(WORDS.len())]);
            line.push(' ');
        }
        if h < 8 {
            let target = rng.below(NOTES);
            let link = match rng.below(10) {
                0 => format!("[[Alias {target} a]]"),
                1 => format!("[[Note {target}#Section {} of {target}]]", rng.below(10)),
                2 => format!("[[Note {target}|see here]]"),
                3 if rng.below(4) == 0 => format!("[[Missing {target}]]"),
                _ => format!("[[Note {target}]]"),
            };
            let at = line.len() / 2;
            let at = line[..at].rfind(' ').unwrap_or(0);
            line.insert_str(at, &format!(" {link}"));
            links += 1;
        }
        t.push_str(&line);
        t.push_str("\n\n");
    }
    debug_assert_eq!(links, 8);
    t.push_str(body_edit);
    t.push('\n');
    t
}

/// The garden, and a way to make any note's text again with another title or body.
struct Garden {
    paths: Vec<String>,
    texts: Vec<String>,
    seeds: Vec<u64>,
}

impl Garden {
    fn new() -> Garden {
        let mut seeds = Rng(0x9E37_79B9_7F4A_7C15);
        let seeds: Vec<u64> = (0..NOTES).map(|_| seeds.next() | 1).collect();
        let paths = (0..NOTES).map(path_of).collect();
        let texts = (0..NOTES).map(|i| note_text(i, &format!("Title of note {i}"), "", &mut Rng(seeds[i]))).collect();
        Garden { paths, texts, seeds }
    }
    fn text(&self, i: usize, title: &str, body_edit: &str) -> String {
        note_text(i, title, body_edit, &mut Rng(self.seeds[i]))
    }
}

fn vm(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or(0)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

struct H {
    notes: Vec<Arc<hand::Note>>,
    memo: hand::Memo,
    model: Arc<pure::Model>,
}

struct S {
    /// Inputs made with MEDIUM durability and edits set with LOW (salsa's tuning knob, as rust-analyzer
    /// marks library files), or everything with the default (LOW).
    durable: bool,
    db: salsa::DatabaseImpl,
    files: Vec<sal::NoteFile>,
    garden: sal::Garden,
    model: Arc<pure::Model>,
}

fn cold_h(g: &Garden) -> H {
    let notes: Vec<Arc<hand::Note>> = g.paths.iter().zip(&g.texts).map(|(p, t)| hand::parse(p, t)).collect();
    let mut memo = hand::Memo::default();
    let model = hand::build(&notes, &mut memo);
    H { notes, memo, model }
}

/// `owned` are the garden's files, read: salsa takes them as its inputs.
fn cold_s(owned: Vec<(String, String)>, durable: bool) -> S {
    let db = salsa::DatabaseImpl::new();
    let files: Vec<sal::NoteFile> = owned
        .into_iter()
        .map(|(p, t)| match durable {
            true => sal::NoteFile::builder(p, t).durability(salsa::Durability::MEDIUM).new(&db),
            false => sal::NoteFile::new(&db, p, t),
        })
        .collect();
    let garden = match durable {
        true => sal::Garden::builder(files.clone()).durability(salsa::Durability::MEDIUM).new(&db),
        false => sal::Garden::new(&db, files.clone()),
    };
    let model = sal::model(&db, garden);
    S { durable, db, files, garden, model }
}

fn owned(g: &Garden) -> Vec<(String, String)> {
    g.paths.iter().cloned().zip(g.texts.iter().cloned()).collect()
}

#[derive(Clone, Copy, PartialEq)]
enum Scenario {
    Body,
    Title,
    Nothing,
}

/// One save and rebuild with H: the saved note is parsed again (the parse cache misses for it alone).
fn step_h(h: &mut H, g: &Garden, k: usize, text: Option<&str>) -> f64 {
    let t = Instant::now();
    if let Some(text) = text {
        h.notes[k] = hand::parse(&g.paths[k], text);
    }
    h.model = hand::build(&h.notes, &mut h.memo);
    ms(t)
}

/// One save and rebuild with S: the saved note's text is set (a new revision), then the model is asked for.
fn step_s(s: &mut S, k: usize, text: Option<String>) -> f64 {
    let t = Instant::now();
    if let Some(text) = text {
        if s.durable {
            s.files[k].set_text(&mut s.db).with_durability(salsa::Durability::LOW).to(text);
        } else {
            s.files[k].set_text(&mut s.db).to(text);
        }
    }
    s.model = sal::model(&s.db, s.garden);
    ms(t)
}

fn edit(g: &Garden, scenario: Scenario, k: usize, round: usize) -> Option<String> {
    match scenario {
        Scenario::Body => Some(g.text(k, &format!("Title of note {k}"), &format!("edit {round}"))),
        Scenario::Title => Some(g.text(k, &format!("Title of note {k} v{round}"), "")),
        Scenario::Nothing => None,
    }
}

fn bench() {
    let g = Garden::new();
    let bytes: usize = g.texts.iter().map(String::len).sum();
    let links: usize = g.texts.iter().map(|t| t.matches("[[").count()).sum();
    println!("garden: {NOTES} notes, {:.1} MB of text, {links} links", bytes as f64 / 1e6);

    // Cold: the first full build, 5 times each, taking turns, each from nothing.
    let mut cold = [Vec::new(), Vec::new(), Vec::new()];
    for rep in 0..5 {
        for turn in 0..3 {
            let v = (rep + turn) % 3;
            if v == 0 {
                let t = Instant::now();
                let h = cold_h(&g);
                cold[0].push(ms(t));
                drop(h);
            } else {
                let files = owned(&g);
                let t = Instant::now();
                let s = cold_s(files, v == 2);
                cold[v].push(ms(t));
                drop(s);
            }
        }
    }
    let mut rows = vec![("cold (first full build)", cold.map(|mut c| median(&mut c)), String::new())];

    let mut h = cold_h(&g);
    let mut ss = [cold_s(owned(&g), false), cold_s(owned(&g), true)];
    for s in &ss {
        assert_eq!(*h.model, *s.model, "the variants disagree after the cold build");
    }
    let m = &h.model;
    println!(
        "model: {} tags, {} folders, {} backlinks, {} broken",
        m.tags.len(),
        m.folders.len(),
        m.backlinks.iter().map(Vec::len).sum::<usize>(),
        m.broken.len()
    );

    // Sd: the notes about to be edited are already LOW (edited earlier in the session). The first edit of a
    // MEDIUM note lowers its durability, which salsa never backdates: that edit rebuilds the model.
    for round in 0..ROUNDS {
        for scenario in [Scenario::Body, Scenario::Title] {
            let k = (round * 7919 + 13 * scenario as usize) % NOTES;
            let text = ss[1].files[k].text(&ss[1].db).clone();
            ss[1].files[k].set_text(&mut ss[1].db).with_durability(salsa::Durability::LOW).to(text);
        }
    }
    ss[1].model = sal::model(&ss[1].db, ss[1].garden);

    for (scenario, name) in [
        (Scenario::Body, "1 body-only edit (model reused)"),
        (Scenario::Title, "2 title edit (model rebuilt)"),
        (Scenario::Nothing, "3 nothing changed (re-query)"),
    ] {
        let mut times = [Vec::new(), Vec::new(), Vec::new()];
        let mut work = String::new();
        for round in 0..ROUNDS {
            let k = (round * 7919 + 13 * scenario as usize) % NOTES;
            let text = edit(&g, scenario, k, round + 100 * scenario as usize);
            let before = [h.model.clone(), ss[0].model.clone(), ss[1].model.clone()];
            let mut counts = [[0; 4]; 3];
            for turn in 0..3 {
                let v = (round + turn) % 3;
                let c0 = pure::counters();
                times[v].push(match v {
                    0 => step_h(&mut h, &g, k, text.as_deref()),
                    _ => step_s(&mut ss[v - 1], k, text.clone()),
                });
                counts[v] = std::array::from_fn(|i| pure::counters()[i] - c0[i]);
            }
            // Every variant must give the same model, and reuse it exactly when the brief says.
            let reused = scenario != Scenario::Title;
            let after = [&h.model, &ss[0].model, &ss[1].model];
            for v in 0..3 {
                assert_eq!(**after[v], *h.model, "the variants disagree ({name}, round {round})");
                assert_eq!(Arc::ptr_eq(&before[v], after[v]), reused, "reuse of variant {v} ({name})");
            }
            if round < 2 {
                work.push_str(&format!("r{round}: H {:?} S {:?}  ", counts[0], counts[1]));
            }
            // H re-resolves the notes saved since its last model build (its resolve memo holds their old
            // Arcs: Loam does the same); S re-resolves none of those. Otherwise the same work.
            if round > 0 {
                assert_eq!(counts[0], counts[1], "the variants did different work ({name}, round {round})");
            }
            assert_eq!(counts[1], counts[2], "S and S+durability did different work ({name}, round {round})");
        }
        rows.push((name, times.map(|mut t| median(&mut t)), work));
    }

    println!("\nmedians of {ROUNDS} (cold: of 5), ms; Sd = S with durability; work = [parses, resolves, indexes, models] per rebuild");
    println!("{:34} {:>8} {:>8} {:>8} {:>8} {:>8}  work", "scenario", "H", "S", "Sd", "S-H", "Sd-H");
    for (name, [h, s, sd], work) in rows {
        println!("{name:34} {h:8.3} {s:8.3} {sd:8.3} {:8.3} {:8.3}  {work}", s - h, sd - h);
    }
}

/// One variant alone: cold build and the edit scenarios; prints the peak RSS over what the garden's text takes.
fn mem(variant: &str) {
    let g = Garden::new();
    let base = vm("VmHWM:");
    match variant {
        "h" => {
            let mut h = cold_h(&g);
            for round in 0..2 * ROUNDS {
                let (k, scenario) = ((round * 7919) % NOTES, [Scenario::Body, Scenario::Title][round % 2]);
                step_h(&mut h, &g, k, edit(&g, scenario, k, round).as_deref());
            }
            std::hint::black_box(&h.model);
        }
        "s" | "sd" => {
            let mut s = cold_s(owned(&g), variant == "sd");
            for round in 0..2 * ROUNDS {
                let (k, scenario) = ((round * 7919) % NOTES, [Scenario::Body, Scenario::Title][round % 2]);
                step_s(&mut s, k, edit(&g, scenario, k, round));
            }
            std::hint::black_box(&s.model);
        }
        _ => panic!("mem h|s"),
    }
    let peak = vm("VmHWM:");
    println!("{variant}: VmHWM {:.1} MB after the garden's text, {:.1} MB at the end, {:.1} MB for the variant", base as f64 / 1024.0, peak as f64 / 1024.0, (peak - base) as f64 / 1024.0);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("mem") => mem(args.get(2).map_or("", String::as_str)),
        _ => bench(),
    }
}
