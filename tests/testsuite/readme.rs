//! The README's first screen, run as a newcomer runs it: in a fresh temporary HOME with nothing configured (no git
//! name, no Loam settings), its install command into a temporary prefix, then its `loam init … && loam serve …`
//! exactly as written, a note saved the way editors save, the page and the history checked, then `loam build` and
//! `loam check` as the README names them. Fails when the README and the program disagree.
//!
//! It installs Loam (a release build), so it is left out of a plain `cargo test`; `scripts/test` runs it in a step
//! of its own (`--run-ignored only readme::`), keeping the build in `target/newcomer/` for the next run.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The shell commands of the README's first screen: the lines of its code blocks before the first heading.
fn first_screen_commands(readme: &str) -> Vec<String> {
    let first_screen = readme.split("\n## ").next().unwrap();
    let mut commands = Vec::new();
    let mut inside = false;
    for line in first_screen.lines() {
        if line.starts_with("```") {
            inside = !inside;
        } else if inside && !line.trim().is_empty() {
            commands.push(line.trim().to_string());
        }
    }
    commands
}

/// Runs `command` with `bash -c` in `dir`, with `env`; panics with its output if it fails.
fn run(dir: &Path, command: &str, env: &[(String, String)]) -> String {
    match attempt(dir, command, env) {
        Ok(said) => said,
        Err(said) => panic!("`{command}` failed, as the README says to run it:\n{said}"),
    }
}

/// [`run`], with what it printed whether it failed or not.
fn attempt(dir: &Path, command: &str, env: &[(String, String)]) -> Result<String, String> {
    let output = Command::new("bash")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if output.status.success() {
        Ok(said)
    } else {
        Err(said)
    }
}

#[test]
#[ignore = "installs Loam with cargo install (a release build); scripts/test runs it"]
fn the_readme_first_screen_works_for_a_newcomer() {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(repository.join("README.md")).unwrap();
    let commands = first_screen_commands(&readme);
    let install = commands.iter().find(|c| c.starts_with("cargo install")).expect("the first screen installs Loam");
    let start = commands.iter().find(|c| c.starts_with("loam init")).expect("the first screen makes a garden");
    assert!(commands.iter().any(|c| c == "./scripts/test"), "the first screen runs the tests: {commands:?}");
    let garden_name = start
        .split_whitespace()
        .nth(2)
        .filter(|word| !word.starts_with('-') && *word != "&&")
        .expect("`loam init DIR && loam serve DIR`");
    assert!(start.contains("&& loam serve"), "{start}");
    assert!(readme.contains("http://127.0.0.1:1111/"), "the README names the preview's address");

    let scratch = tempfile::tempdir().unwrap();
    let (home, prefix, work) =
        (scratch.path().join("home"), scratch.path().join("prefix"), scratch.path().join("work"));
    for dir in [&home, &prefix, &work] {
        std::fs::create_dir_all(dir).unwrap();
    }
    // Rust's own folders are where they were; everything else is new. The release build is kept between runs.
    let real_home = PathBuf::from(std::env::var("HOME").unwrap());
    let cargo_home = std::env::var("CARGO_HOME").map_or_else(|_| real_home.join(".cargo"), PathBuf::from);
    let rustup_home = std::env::var("RUSTUP_HOME").map_or_else(|_| real_home.join(".rustup"), PathBuf::from);
    let path =
        format!("{}:{}:/usr/local/bin:/usr/bin:/bin", prefix.join("bin").display(), cargo_home.join("bin").display());
    let env: Vec<(String, String)> = [
        ("HOME", home.display().to_string()),
        ("USER", "newcomer".to_string()),
        ("PATH", path),
        ("CARGO_HOME", cargo_home.display().to_string()),
        ("RUSTUP_HOME", rustup_home.display().to_string()),
        ("CARGO_INSTALL_ROOT", prefix.display().to_string()),
        ("CARGO_TARGET_DIR", repository.join("target/newcomer").display().to_string()),
        ("GIT_CONFIG_NOSYSTEM", "1".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();

    // Install, from the repository as the README says (its commands run in Loam's folder).
    run(repository, install, &env);
    assert!(prefix.join("bin/loam").is_file(), "`{install}` installed no loam into the prefix");

    // `loam init my-garden && loam serve my-garden`, exactly; it serves until stopped.
    let mut serve = Command::new("bash")
        .arg("-c")
        // `exec`, so that stopping the shell stops the server.
        .arg(start.replacen("&& loam serve", "&& exec loam serve", 1))
        .current_dir(&work)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(serve.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let mut serve = Stopped(serve);
    let stop = |serve: &mut Stopped| {
        let _ = serve.0.kill();
        let _ = serve.0.wait();
    };
    let address = first.split_whitespace().find(|w| w.starts_with("http://")).map(str::to_string);
    let Some(address) = address else {
        stop(&mut serve);
        let mut said = String::new();
        let _ = std::io::Read::read_to_string(&mut serve.0.stderr.take().unwrap(), &mut said);
        panic!("`{start}` printed no address (is port 1111 taken?): {first}{said}");
    };
    assert!(address.starts_with("http://127.0.0.1:1111/"), "the README's address: {address}");
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let get = |path: &str| {
        agent
            .get(&format!("{}{path}", address.trim_end_matches('/')))
            .call()
            .ok()
            .map(|mut r| (r.status().as_u16(), r.body_mut().read_to_string().unwrap_or_default()))
    };
    let garden = work.join(garden_name);
    let notes = garden.join("content");
    let note = std::fs::read_dir(&notes)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "md") && p.file_stem().is_some_and(|s| s != "index"))
        .expect("init makes a sample note");
    let slug = note.file_stem().unwrap().to_string_lossy().to_lowercase().replace(' ', "-");
    assert!(get(&format!("/{slug}/")).is_some_and(|(status, _)| status == 200), "the sample note is served");

    // The history records the garden as `loam serve` first sees it; then a save is an edit of its own.
    let note_name = format!("{garden_name}/content/{}", note.file_name().unwrap().to_string_lossy());
    let versions = |log: &str| log.lines().filter(|l| l.contains(" newcomer ")).count();
    let deadline = Instant::now() + Duration::from_secs(30);
    // Until then, `loam log` says the note has no history yet.
    while attempt(&work, &format!("loam log {note_name}"), &env).map_or(0, |log| versions(&log)) == 0 {
        assert!(Instant::now() < deadline, "`loam serve` recorded nothing of the new garden");
        std::thread::sleep(Duration::from_millis(200));
    }

    // Saved as editors save: a temporary file renamed over the note.
    let text = std::fs::read_to_string(&note).unwrap() + "\nA sentence written by the newcomer.\n";
    let temp = note.with_extension("md.tmp");
    std::fs::write(&temp, &text).unwrap();
    std::fs::rename(&temp, &note).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !get(&format!("/{slug}/")).is_some_and(|(_, page)| page.contains("written by the newcomer")) {
        assert!(Instant::now() < deadline, "the page did not change after the save");
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = loop {
        let log = run(&work, &format!("loam log {note_name}"), &env);
        if versions(&log) >= 2 || Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(versions(&log) >= 2 && log.contains("written by the newcomer"), "the save is in the history: {log}");
    assert!(log.contains(&format!("  {note_name}  ")), "the note named as it was given: {log}");
    stop(&mut serve);

    // `loam build my-garden` and `loam check my-garden`, as the README names them.
    for (command, wants) in [("build", "loam build "), ("check", "loam check ")] {
        let line = format!("loam {command} {garden_name}");
        assert!(readme.contains(&format!("`{wants}{garden_name}`")), "the README names `{line}`");
        let said = run(&work, &line, &env);
        assert!(!said.contains(": error:"), "{said}");
    }
    let page = std::fs::read_to_string(garden.join("public").join(&slug).join("index.html")).unwrap();
    assert!(page.contains("written by the newcomer"));
}

/// A child process killed when dropped, so that a failed assertion leaves no server on the README's port.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
