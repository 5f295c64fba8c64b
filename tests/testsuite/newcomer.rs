//! The newcomer's path: what `loam build` and `loam check` answer (exit codes, the last line, warnings grouped
//! and named from where they run, colour), the flags people expect on `serve`, the files `loam init --deploy`
//! writes for each host, the Dockerfile, and the README's first screen run as a newcomer runs it.

use std::path::Path;
use std::process::{Command, Output};

use crate::garden::{Garden, TempGarden};
use crate::serve::Server;
use crate::LOAM;

/// `loam ARGS` run in `dir`, as typed there.
fn loam_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(LOAM).args(args).current_dir(dir).env_remove("NO_COLOR").output().expect("loam runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A garden root with `loam.toml` and its notes in `content/`.
fn garden_with(notes: &[(&str, &str)]) -> TempGarden {
    let mut garden = Garden::new().file("loam.toml", "title = \"Bees\"\nbase_url = \"https://bees.example/\"\n");
    for (path, text) in notes {
        garden = garden.file(&format!("content/{path}"), *text);
    }
    garden.build()
}

#[test]
fn a_build_with_an_error_fails_and_writes_nothing_unless_told_to_keep_going() {
    let garden = garden_with(&[
        ("bad.md", "---\ntitle: Fine\ntags: [one, two\n---\nBody\n"),
        ("good.md", "Hello [[bad]] and [[nowhere]]\n"),
    ]);
    let run = loam_in(&garden, &["build"]);
    let said = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "an error fails the build: {said}");
    assert!(said.contains("content/bad.md:4:1:") && said.contains("error: cannot read the frontmatter"), "{said}");
    assert!(said.contains("nothing was written to public") && said.contains("--keep-going"), "{said}");
    assert!(!garden.join("public/good/index.html").exists(), "nothing is written");

    let run = loam_in(&garden, &["build", "--keep-going"]);
    let said = stderr(&run);
    assert!(run.status.success(), "{said}");
    assert!(said.contains("kept going past 1 error"), "it says so: {said}");
    assert!(garden.join("public/good/index.html").is_file(), "the rest is written");
    assert!(!garden.join("public/bad/index.html").exists(), "the note with the error is not");

    // check: the last line says why it failed; with the error fixed, a broken link still fails it.
    let run = loam_in(&garden, &["check"]);
    let said = stderr(&run);
    assert!(!run.status.success());
    assert_eq!(said.lines().last(), Some("check failed: 1 error and 2 broken links (listed above)"), "{said}");
    garden.write("content/bad.md", "---\ntitle: Fine\n---\nBody\n");
    let run = loam_in(&garden, &["check"]);
    assert_eq!(stderr(&run).lines().last(), Some("check failed: 1 broken link (listed above)"));
    // Warnings alone neither fail a build nor stop it.
    let run = loam_in(&garden, &["build"]);
    assert!(run.status.success(), "{}", stderr(&run));
    garden.write("content/good.md", "Hello [[bad]]\n");
    let run = loam_in(&garden, &["check"]);
    assert!(run.status.success());
    assert_eq!(stderr(&run).lines().last(), Some("check passed: no errors and no broken links"));
}

#[test]
fn many_warnings_are_grouped_by_kind_and_name_files_as_they_open_from_where_loam_runs() {
    let mut notes: Vec<(String, String)> =
        (1..=30).map(|i| (format!("notes/n{i:02}.md"), format!("See [[missing {i}]].\n"))).collect();
    // Two notes called the same in two folders make a link to that name ambiguous.
    notes.push(("a/Twin.md".into(), "one\n".into()));
    notes.push(("b/Twin.md".into(), "two\n".into()));
    notes.push(("links.md".into(), "[[Twin]]\n".into()));
    let borrowed: Vec<(&str, &str)> = notes.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let garden = garden_with(&borrowed);

    let said = stderr(&loam_in(&garden, &["build"]));
    assert!(said.contains("30 broken links, the first 3:"), "{said}");
    assert_eq!(said.matches("warning: `missing").count(), 3, "the first few of a kind: {said}");
    assert!(said.contains("1 ambiguous link:"), "{said}");
    assert!(said.contains("31 warnings in all: 30 broken links, 1 ambiguous link (every one: -v"), "{said}");
    let every = |said: &str| said.matches("warning: `missing").count();
    assert_eq!(every(&stderr(&loam_in(&garden, &["build", "-v"]))), 30, "-v prints them all");
    assert_eq!(every(&stderr(&loam_in(&garden, &["check"]))), 30, "check prints them all");

    // Each path opens as printed, from the garden's root, its notes folder, the folder above and a sub-folder.
    let path = regex::Regex::new(r"(?m)^(\S+\.md):\d+(?::\d+)?: warning:").unwrap();
    let name = garden.file_name().unwrap().to_string_lossy().into_owned();
    for (dir, prefix) in [
        (garden.to_path_buf(), "content/notes/".to_string()),
        (garden.join("content"), "notes/".to_string()),
        (garden.parent().unwrap().to_path_buf(), format!("{name}/content/notes/")),
        (garden.join("content/notes"), "../notes/".to_string()),
    ] {
        let said = stderr(&loam_in(&dir, &["check", garden.to_str().unwrap()]));
        let paths: Vec<&str> = path.captures_iter(&said).map(|c| c.get(1).unwrap().as_str()).collect();
        assert_eq!(paths.len(), 31, "{said}");
        for shown in paths {
            assert!(dir.join(shown).is_file(), "`{shown}` does not open from {}:\n{said}", dir.display());
        }
        assert!(said.contains(&format!("\n{prefix}n01.md:1: warning")), "{prefix}: {said}");
    }
}

#[test]
fn color_is_for_terminals_unless_asked_for() {
    let garden = garden_with(&[("a.md", "[[nowhere]]\n"), ("b.md", "---\ntags: [x\n---\n")]);
    let escape = |output: &Output| output.stderr.contains(&0x1b);
    assert!(!escape(&loam_in(&garden, &["check"])), "a pipe gets no colour");
    assert!(escape(&loam_in(&garden, &["check", "--color", "always"])));
    assert!(!escape(&loam_in(&garden, &["--color=never", "check"])));
    let said = stderr(&loam_in(&garden, &["check", "--color", "always"]));
    assert!(said.contains("\x1b[1;31merror\x1b[0m: ") && said.contains("\x1b[1;33mwarning\x1b[0m: "), "{said:?}");
    let refused = loam_in(&garden, &["check", "--color", "sometimes"]);
    assert_eq!(refused.status.code(), Some(2));
}

#[test]
fn serve_takes_drafts_and_a_base_url() {
    let garden = garden_with(&[
        ("index.md", "Home\n"),
        ("plan.md", "---\ndraft: true\ntitle: The plan\n---\nUnfinished [[index]].\n"),
        ("unclear.md", "---\ndraft: maybe\n---\nNot even with drafts.\n"),
    ]);
    let plain = Server::start(&garden, &[]);
    assert_eq!(plain.get("/plan/").0, 404, "a draft is not shown by default");
    drop(plain);
    let drafts = Server::start(&garden, &["--drafts"]);
    assert!(drafts.get("/plan/").1.contains("Unfinished"), "--drafts shows it");
    assert_eq!(drafts.get("/unclear/").0, 404, "an unclear `draft` still keeps a note out");
    drop(drafts);
    // The build never publishes a draft.
    let run = loam_in(&garden, &["build"]);
    assert!(!garden.join("public/plan/index.html").exists(), "{}", stderr(&run));

    // --base-url: served under its path, the absolute addresses are its own.
    let proxied = Server::start(&garden, &["--base-url", "https://preview.bees.example/garden"]);
    // The preview is at /garden/ (the address it prints, which the test server starts from).
    assert!(proxied.base().ends_with("/garden"), "{}", proxied.base());
    assert!(proxied.get("/").1.contains("Home"));
    let feed = proxied.wait_for_text("/feed.xml", "https://preview.bees.example/garden/");
    assert!(!feed.contains("127.0.0.1"), "{feed}");
    assert!(proxied.get("/plan/").0 == 404);
}

#[test]
fn serve_says_which_warnings_a_save_brings_and_removes() {
    let garden = garden_with(&[("index.md", "Home\n"), ("a.md", "A\n")]);
    let server = Server::start(&garden, &[]);
    std::fs::write(garden.join("content/a.md"), "A links to [[Nowhere]]\n").unwrap();
    crate::wait::eventually("the new warning is printed", || server.log().contains("1 new warning:"));
    let log = server.log();
    assert!(log.contains("content/a.md:1:") && log.contains("`Nowhere` points at no note"), "{log}");
    // A line above moves the warning without making it new; removing the link makes it go.
    std::fs::write(garden.join("content/a.md"), "Top\n\nA links to [[Nowhere]]\n").unwrap();
    server.wait_for_text("/a/", "Top");
    std::fs::write(garden.join("content/a.md"), "A, alone\n").unwrap();
    crate::wait::eventually("the gone warning is printed", || server.log().contains("1 warning gone:"));
    assert_eq!(server.log().matches("1 new warning:").count(), 1, "{}", server.log());
}

/// What `loam init --deploy HOST` writes in a garden, by path.
fn deployed(host: &str) -> (tempfile::TempDir, Vec<(String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let run = loam_in(dir.path(), &["init", "my-garden", "--deploy", host]);
    assert!(run.status.success(), "{}", stderr(&run));
    let garden = dir.path().join("my-garden");
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(&garden).into_iter().map(Result::unwrap) {
        let relative = entry.path().strip_prefix(&garden).unwrap().to_string_lossy().into_owned();
        if entry.file_type().is_file() && !relative.starts_with("content/") && relative != "loam.toml" {
            files.push((relative, std::fs::read_to_string(entry.path()).unwrap()));
        }
    }
    files.sort();
    (dir, files)
}

fn yaml(text: &str) -> serde_yaml::Value {
    serde_yaml::from_str(text).unwrap_or_else(|e| panic!("not YAML ({e}):\n{text}"))
}

fn toml_of(text: &str) -> toml::Table {
    text.parse().unwrap_or_else(|e| panic!("not TOML ({e}):\n{text}"))
}

/// The shell lines of a GitHub workflow's job.
fn runs(job: &serde_yaml::Value) -> Vec<String> {
    let steps = job["steps"].as_sequence().expect("the job has steps");
    steps.iter().filter_map(|step| step["run"].as_str().map(str::to_string)).collect()
}

#[test]
fn init_deploy_writes_each_hosts_own_file_that_installs_loam_and_builds() {
    let install = "cargo install --locked --git ";

    let (_dir, files) = deployed("github-pages");
    assert_eq!(files.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(), [".github/workflows/loam-pages.yml"]);
    let workflow = yaml(&files[0].1);
    assert!(workflow["on"]["push"].is_mapping() && workflow["permissions"]["pages"] == "write");
    let build = &workflow["jobs"]["build"];
    let lines = runs(build);
    assert!(lines.iter().any(|l| l.starts_with(install) && l.ends_with(" loam")), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("loam build --base-url ")), "{lines:?}");
    let uses: Vec<&str> = build["steps"].as_sequence().unwrap().iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(uses.contains(&"actions/upload-pages-artifact@v3") && uses.contains(&"actions/checkout@v4"));
    let upload = build["steps"].as_sequence().unwrap().iter().find(|s| s["uses"] == "actions/upload-pages-artifact@v3");
    assert_eq!(upload.unwrap()["with"]["path"], "public");
    assert_eq!(workflow["jobs"]["deploy"]["steps"][0]["uses"], "actions/deploy-pages@v4");

    let (_dir, files) = deployed("netlify");
    assert_eq!(files[0].0, "netlify.toml");
    let netlify = toml_of(&files[0].1);
    assert_eq!(netlify["build"]["publish"].as_str(), Some("public"));
    let command = netlify["build"]["command"].as_str().unwrap();
    assert!(command.contains(install) && command.contains("loam build --base-url \"$URL/\""), "{command}");
    let preview = netlify["context"]["deploy-preview"]["command"].as_str().unwrap();
    assert!(preview.contains("$DEPLOY_PRIME_URL"), "{preview}");

    let (_dir, files) = deployed("cloudflare");
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, [".github/workflows/loam-cloudflare.yml", "wrangler.toml"]);
    let wrangler = toml_of(&files[1].1);
    assert_eq!(wrangler["name"].as_str(), Some("my-garden"));
    assert_eq!(wrangler["pages_build_output_dir"].as_str(), Some("public"));
    let workflow = yaml(&files[0].1);
    let lines = runs(&workflow["jobs"]["publish"]);
    assert!(lines.iter().any(|l| l.starts_with(install)) && lines.contains(&"loam build".to_string()), "{lines:?}");

    let (_dir, files) = deployed("gitlab");
    assert_eq!(files[0].0, ".gitlab-ci.yml");
    let ci = yaml(&files[0].1);
    let script: Vec<&str> = ci["pages"]["script"].as_sequence().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert!(script.iter().any(|l| l.contains(install)) && script.contains(&"loam build --base-url \"$CI_PAGES_URL/\""));
    assert_eq!(ci["pages"]["artifacts"]["paths"][0], "public");

    // In a garden that exists: only the host's file, never over one that is there.
    let garden = garden_with(&[("index.md", "Home\n")]);
    std::fs::write(garden.join("netlify.toml"), "# mine\n").unwrap();
    let run = loam_in(&garden, &["init", "--deploy", "netlify"]);
    assert!(!run.status.success() && stderr(&run).contains("never overwrites"), "{}", stderr(&run));
    assert_eq!(std::fs::read_to_string(garden.join("netlify.toml")).unwrap(), "# mine\n");
    let run = loam_in(&garden, &["init", "--deploy", "gitlab"]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(garden.join(".gitlab-ci.yml").is_file());
    assert_eq!(std::fs::read_to_string(garden.join("content/index.md")).unwrap(), "Home\n", "notes untouched");
    let refused = loam_in(&garden, &["init", "--deploy", "vercel"]);
    assert_eq!(refused.status.code(), Some(2), "an unknown host is refused with the list");
}

#[test]
fn the_dockerfile_builds_loam_from_what_the_repository_holds_and_runs_it_as_a_user() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    let ignored = std::fs::read_to_string(root.join(".dockerignore")).unwrap();
    let ignored: Vec<&str> =
        ignored.lines().map(|l| l.trim().trim_end_matches('/')).filter(|l| !l.is_empty()).collect();
    // Instructions, with continued lines joined.
    let joined = dockerfile.replace("\\\n", " ");
    let instructions: Vec<(&str, &str)> = joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once(' ').unwrap_or((l, "")))
        .collect();
    let known = ["FROM", "RUN", "COPY", "WORKDIR", "USER", "EXPOSE", "ENTRYPOINT", "CMD", "ENV", "ARG", "LABEL"];
    for (instruction, _) in &instructions {
        assert!(known.contains(instruction), "unknown instruction `{instruction}`");
    }
    let stages: Vec<&str> = instructions.iter().filter(|(i, _)| *i == "FROM").map(|(_, a)| *a).collect();
    assert_eq!(stages.len(), 2, "a build stage and a small image: {stages:?}");
    assert!(stages[0].starts_with("rust:") && stages[0].ends_with(" AS build"), "{stages:?}");
    assert!(stages[1].contains("-slim"), "a small image: {stages:?}");
    for (instruction, args) in &instructions {
        if *instruction == "COPY" && !args.starts_with("--from") {
            let words: Vec<&str> = args.split_whitespace().collect();
            for source in &words[..words.len() - 1] {
                assert!(root.join(source).exists(), "COPY {source}: not in the repository");
                assert!(!ignored.contains(source), "COPY {source}: .dockerignore leaves it out");
            }
        }
    }
    let run = instructions.iter().filter(|(i, _)| *i == "RUN").map(|(_, a)| *a).collect::<Vec<_>>().join("\n");
    assert!(run.contains("cargo build --release --locked"), "{run}");
    assert!(run.contains("apt-get update") && run.contains("ca-certificates"), "{run}");
    let last = |name: &str| instructions.iter().rev().find(|(i, _)| *i == name).map(|(_, a)| *a);
    assert!(last("COPY").unwrap().starts_with("--from=build /src/target/release/loam "));
    assert!(last("USER").is_some_and(|user| user != "root" && user != "0"), "not root");
    assert_eq!(last("ENTRYPOINT"), Some(r#"["loam"]"#));
    assert_eq!(last("WORKDIR"), Some("/garden"));
    for needed in ["target", ".loam", "public"] {
        assert!(ignored.contains(&needed), ".dockerignore should leave out {needed}");
    }
}

#[test]
fn help_groups_the_commands_with_examples() {
    let help = String::from_utf8(Command::new(LOAM).arg("--help").output().unwrap().stdout).unwrap();
    let at = |word: &str| help.find(word).unwrap_or_else(|| panic!("no {word} in\n{help}"));
    assert!(at("Writing:") < at("  init ") && at("  check ") < at("History:") && at("  log ") < at("Sharing:"));
    assert!(at("Sharing:") < at("  clone ") && at("Examples:") > at("Options:"), "{help}");
    assert!(help.contains("loam init my-garden && loam serve my-garden"));
}

#[test]
fn every_page_has_an_icon_loams_own_unless_the_garden_has_one() {
    let garden = garden_with(&[("index.md", "Home\n"), ("a.md", "A\n")]);
    let run = loam_in(&garden, &["build"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let page = |path: &str| std::fs::read_to_string(garden.join("public").join(path)).unwrap();
    for path in ["index.html", "a/index.html", "404.html", "tags/index.html", "graph/index.html"] {
        assert!(page(path).contains(r#"<link rel="icon" href="/static/favicon.svg">"#), "{path}");
    }
    assert!(page("static/favicon.svg").starts_with("<svg "));
    // The vault's own icon beside its notes, as Obsidian Publish takes it.
    std::fs::write(garden.join("content/favicon.png"), b"\x89PNG\r\n\x1a\n").unwrap();
    let run = loam_in(&garden, &["build"]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(page("a/index.html").contains(r#"<link rel="icon" href="/favicon.png">"#));
    // Or the garden's own `static/favicon.svg`, in place of Loam's.
    std::fs::remove_file(garden.join("content/favicon.png")).unwrap();
    std::fs::create_dir_all(garden.join("static")).unwrap();
    std::fs::write(garden.join("static/favicon.svg"), "<svg id=\"ours\"/>").unwrap();
    assert!(loam_in(&garden, &["build"]).status.success());
    assert_eq!(page("static/favicon.svg"), "<svg id=\"ours\"/>");
}

#[test]
fn progress_shows_on_a_terminal_with_a_total_that_does_not_grow_and_never_in_a_pipe() {
    let notes: Vec<(String, String)> = (0..400).map(|i| (format!("n{i}.md"), format!("Note {i}\n"))).collect();
    let borrowed: Vec<(&str, &str)> = notes.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let garden = garden_with(&borrowed);
    let piped = stderr(&loam_in(&garden, &["build"]));
    assert!(!piped.contains('\r') && !piped.contains("rendering") && !piped.contains('\x1b'), "{piped:?}");
    // A terminal, through util-linux's `script` (Debian's bsdutils).
    let Ok(output) = Command::new("script")
        .args(["-qec", &format!("{LOAM} build"), "/dev/null"])
        .current_dir(&garden)
        .env("TERM", "xterm")
        .output()
    else {
        panic!("`script` (util-linux) is needed to give loam a terminal");
    };
    let shown = String::from_utf8_lossy(&output.stdout).into_owned();
    let totals: std::collections::BTreeSet<&str> = regex::Regex::new(r"rendering \[[=> ]*\] \d+/(\d+) pages")
        .unwrap()
        .captures_iter(&shown)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert_eq!(totals.len(), 1, "one total, known before the first page: {totals:?} in {shown:?}");
    assert!(shown.contains("built 400 notes"), "and the summary: {shown:?}");
    let quiet = Command::new("script")
        .args(["-qec", &format!("{LOAM} build -q"), "/dev/null"])
        .current_dir(&garden)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&quiet.stdout).contains("rendering"), "-q shows no bar");
}

#[test]
fn gzip_writes_a_compressed_copy_of_each_text_file_kept_in_step_with_it() {
    use std::io::Read;
    let garden = garden_with(&[("index.md", "Home\n"), ("a.md", &"A note with words. ".repeat(40))]);
    let gz = |path: &str| garden.join("public").join(format!("{path}.gz"));
    let ungzip = |path: &str| {
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(gz(path)).unwrap()).read_to_end(&mut text).unwrap();
        text
    };
    assert!(loam_in(&garden, &["build"]).status.success());
    assert!(!gz("a/index.html").exists(), "off by default");
    let run = loam_in(&garden, &["build", "--gzip"]);
    assert!(run.status.success(), "{}", stderr(&run));
    for path in ["a/index.html", "index.html", "static/style.css", "static/loam.js", "static/search.js"] {
        assert_eq!(ungzip(path), std::fs::read(garden.join("public").join(path)).unwrap(), "{path}.gz");
    }
    assert!(!gz("static/favicon.svg").exists() || ungzip("static/favicon.svg").starts_with(b"<svg"));
    // The same bytes again: the copy is not written again; a changed page's copy follows it.
    let written = std::fs::metadata(gz("index.html")).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    garden.write("content/a.md", "Changed words.\n");
    assert!(loam_in(&garden, &["build", "--gzip"]).status.success());
    assert_eq!(std::fs::metadata(gz("index.html")).unwrap().modified().unwrap(), written);
    assert!(String::from_utf8(ungzip("a/index.html")).unwrap().contains("Changed words."));
    // A page that goes takes its copy with it; building without --gzip removes the copies.
    std::fs::remove_file(garden.join("content/a.md")).unwrap();
    assert!(loam_in(&garden, &["build", "--gzip"]).status.success());
    assert!(!gz("a/index.html").exists());
    assert!(loam_in(&garden, &["build"]).status.success());
    assert!(!gz("index.html").exists(), "copies left from a --gzip build are removed");
}

#[test]
fn task_boxes_are_named_in_the_garden_s_language() {
    let garden = Garden::new()
        .file("loam.toml", "title = \"Jardin\"\nlanguage = \"fr\"\n")
        .file("content/todo.md", "- [x] semer\n- [ ] récolter\n")
        .build();
    assert!(loam_in(&garden, &["build"]).status.success());
    let page = std::fs::read_to_string(garden.join("public/todo/index.html")).unwrap();
    assert!(page.contains(r#"<input type="checkbox" disabled checked aria-label="fait">"#), "{page}");
    assert!(page.contains(r#"<input type="checkbox" disabled aria-label="à faire">"#), "{page}");
    let english = garden_with(&[("todo.md", "- [ ] sow\n")]);
    assert!(loam_in(&english, &["build"]).status.success());
    let page = std::fs::read_to_string(english.join("public/todo/index.html")).unwrap();
    assert!(page.contains(r#"aria-label="to do">"#), "{page}");
}
