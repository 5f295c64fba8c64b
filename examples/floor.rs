//! The floor under `loam build` on this machine: how long the three things no build can skip take on their own.
//!
//! Reading every note of a garden, rendering every note with pulldown-cmark on one core (plain CommonMark, then
//! with the extensions Loam turns on; no frontmatter, no links resolved, no template), and writing one small file per note into its own folder. `bench/README.md`
//! quotes the numbers the targets were set against; running this on the machine at hand tells how much faster
//! or slower it is than that one, whatever else Loam does.
//!
//!     cargo run --release --example floor -- GARDEN [RUNS]
//!
//! Prints the median of RUNS (default 5) for each step, in seconds.
use std::path::{Path, PathBuf};
use std::time::Instant;

fn notes(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read the garden") {
        let entry = entry.expect("read a folder entry");
        let path = entry.path();
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() && !entry.file_name().to_string_lossy().starts_with('.') {
            notes(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

/// The extensions `loam build` turns on (src/markdown.rs).
const GFM: pulldown_cmark::Options = pulldown_cmark::Options::ENABLE_TABLES
    .union(pulldown_cmark::Options::ENABLE_FOOTNOTES)
    .union(pulldown_cmark::Options::ENABLE_STRIKETHROUGH)
    .union(pulldown_cmark::Options::ENABLE_TASKLISTS)
    .union(pulldown_cmark::Options::ENABLE_MATH)
    .union(pulldown_cmark::Options::ENABLE_WIKILINKS);

fn render(texts: &[String], options: pulldown_cmark::Options) -> Vec<String> {
    texts
        .iter()
        .map(|text| {
            let mut page = String::with_capacity(text.len() * 3 / 2);
            pulldown_cmark::html::push_html(&mut page, pulldown_cmark::Parser::new_ext(text, options));
            page
        })
        .collect()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let garden = PathBuf::from(args.next().expect("usage: floor GARDEN [RUNS]"));
    let runs: usize = args.next().map_or(5, |r| r.parse().expect("RUNS is a number"));
    let mut paths = Vec::new();
    notes(&garden, &mut paths);
    paths.sort();
    let scratch = std::env::temp_dir().join(format!("loam-floor-{}", std::process::id()));
    let (mut read, mut plain, mut gfm, mut write) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..=runs {
        let start = Instant::now();
        let texts: Vec<String> = paths.iter().map(|p| std::fs::read_to_string(p).expect("read a note")).collect();
        let read_s = start.elapsed().as_secs_f64();

        let start = Instant::now();
        let html = render(&texts, pulldown_cmark::Options::empty());
        let plain_s = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let html_gfm = render(&texts, GFM);
        let render_s = start.elapsed().as_secs_f64();
        drop(html_gfm);

        let out = scratch.join(run.to_string());
        let start = Instant::now();
        for (i, page) in html.iter().enumerate() {
            let dir = out.join(format!("n{i}"));
            std::fs::create_dir_all(&dir).expect("make a folder");
            std::fs::write(dir.join("index.html"), page).expect("write a page");
        }
        let write_s = start.elapsed().as_secs_f64();
        if run > 0 {
            read.push(read_s);
            plain.push(plain_s);
            gfm.push(render_s);
            write.push(write_s);
        }
    }
    // Removed only at the end: deleting many files slows the file creations that follow on some file systems.
    std::fs::remove_dir_all(&scratch).expect("remove the scratch folder");
    println!(
        "notes {}  read {:.3} s  render on one core: CommonMark {:.3} s, with Loam's extensions {:.3} s  write {:.3} s",
        paths.len(),
        median(read),
        median(plain),
        median(gfm),
        median(write)
    );
}
