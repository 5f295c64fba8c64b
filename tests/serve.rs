//! `loam serve` as a user runs it: the real binary on a copy of a real garden, on a free loopback port, with files
//! changed the ways editors change them, and the answers read over HTTP. Also: an incremental rebuild gives the
//! same site as a fresh one, after a random run of edits, renames and deletes.

mod common;

use common::{copy_dir, corpus, notes_in, Random, Served};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LOAM: &str = env!("CARGO_BIN_EXE_loam");

/// A running `loam serve` on a port of its choosing, with an HTTP client for it; killed when dropped.
struct Server {
    served: Served,
    base: String,
    log: Arc<Mutex<String>>,
    agent: ureq::Agent,
}

impl Server {
    fn start(garden: &Path, extra: &[&str]) -> Server {
        let served = Served::start_with(garden, extra, &[]);
        let line = &served.first_line;
        let log = served.log.clone();
        let base = line
            .split_whitespace()
            .find(|word| word.starts_with("http://127.0.0.1:"))
            .unwrap_or_else(|| panic!("no address in {line:?}; log: {}", log.lock().unwrap()))
            .trim_end_matches('/')
            .to_string();
        let agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        Server { served, base, log, agent }
    }

    /// (status, body) of a GET.
    fn get(&self, path: &str) -> (u16, String) {
        let mut response = self.agent.get(&format!("{}{path}", self.base)).call().expect("the server answers");
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_string().unwrap_or_default())
    }

    /// Waits until the page at `path` satisfies `ok` (the server rebuilds in the background).
    fn wait_for(&self, path: &str, what: &str, ok: impl Fn(u16, &str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (status, body) = self.get(path);
            if ok(status, &body) {
                return body;
            }
            if Instant::now() > deadline {
                panic!(
                    "{path}: still not {what} after 20 s (status {status}); server log:\n{}",
                    self.log.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    fn wait_for_text(&self, path: &str, text: &str) -> String {
        self.wait_for(path, &format!("showing {text:?}"), |status, body| status == 200 && body.contains(text))
    }
}

/// Writes a file the way vim, VS Code and JetBrains editors save: a temporary file beside it, renamed over it.
fn save_by_rename(path: &Path, text: &str) {
    let temp = path.with_file_name(format!("{}___jb_tmp___", path.file_name().unwrap().to_string_lossy()));
    std::fs::write(&temp, text).unwrap();
    std::fs::rename(&temp, path).unwrap();
}

#[test]
fn every_way_an_editor_saves_updates_the_served_pages() {
    let dir = tempfile::tempdir().unwrap();
    let garden = dir.path().join("garden with spaces");
    copy_dir(&corpus("quartz-docs"), &garden);
    let server = Server::start(&garden, &[]);

    let (status, page) = server.get("/build/");
    assert_eq!(status, 200);
    assert!(page.contains("_loam/live.js"), "served pages get the live-reload script");
    assert!(!page.contains("loam-overlay"), "no overlay while the garden has no errors");

    // Written in place.
    let build = garden.join("build.md");
    let original = std::fs::read_to_string(&build).unwrap();
    std::fs::write(&build, format!("{original}\n\nWritten in place: sentinel-in-place.\n")).unwrap();
    server.wait_for_text("/build/", "sentinel-in-place");

    // Saved to a temporary file renamed over the note.
    save_by_rename(&build, &format!("{original}\n\nRenamed over: sentinel-rename-over.\n"));
    let page = server.wait_for_text("/build/", "sentinel-rename-over");
    assert!(!page.contains("sentinel-in-place"));

    // Deleted, then created again.
    std::fs::remove_file(&build).unwrap();
    std::fs::write(&build, format!("{original}\n\nCreated again: sentinel-recreated.\n")).unwrap();
    server.wait_for_text("/build/", "sentinel-recreated");

    // A new note linking to it: the linked page's backlinks show it, with the sentence around the link.
    std::fs::write(
        garden.join("Serve probe.md"),
        "---\ntags: [serve-probe-tag]\n---\nThe preview must show that [[build]] gets this backlink.\n",
    )
    .unwrap();
    let page = server.wait_for_text("/build/", "Serve probe");
    assert!(page.contains("gets this backlink"), "the backlink's sentence is shown");
    // ... and its tag page lists it.
    server.wait_for_text("/tags/serve-probe-tag/", "Serve probe");

    // Renamed to a new name: the old page is gone, the new one is there, the backlink follows.
    std::fs::rename(garden.join("Serve probe.md"), garden.join("Renamed probe.md")).unwrap();
    server.wait_for_text("/renamed-probe/", "gets this backlink");
    server.wait_for("/serve-probe/", "gone", |status, _| status == 404);
    let page = server.wait_for_text("/build/", "Renamed probe");
    assert!(!page.contains("Serve probe"));

    // Deleted: a 404, and the backlink disappears.
    std::fs::remove_file(garden.join("Renamed probe.md")).unwrap();
    server.wait_for("/renamed-probe/", "gone", |status, _| status == 404);
    server.wait_for("/build/", "without the backlink", |_, body| !body.contains("Renamed probe"));

    // Broken YAML: an overlay with file, line and message on every page; the garden keeps serving.
    std::fs::write(garden.join("Broken.md"), "---\ntitle: [unclosed\ntags: x\n---\nText.\n").unwrap();
    let page = server.wait_for_text("/build/", "loam-overlay");
    assert!(page.contains("Broken.md:3"), "the overlay names the file and line: {page}");
    assert!(page.contains("sentinel-recreated"), "the rest of the garden still serves");
    let (_, status) = server.get("/_loam/status");
    assert!(status.contains("\"path\":\"Broken.md\""), "{status}");
    // Fixed: the overlay goes.
    std::fs::write(garden.join("Broken.md"), "---\ntitle: Mended\n---\nText.\n").unwrap();
    server.wait_for("/build/", "without the overlay", |_, body| !body.contains("loam-overlay"));
    server.wait_for_text("/broken/", "Mended");

    // Scratch files of editors do not make rebuilds.
    let before = server.get("/_loam/status").1;
    std::fs::write(garden.join(".build.md.swp"), "vim swap").unwrap();
    std::fs::write(garden.join("build.md~"), "backup").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.get("/_loam/status").1, before, "a swap or backup file changed nothing");
}

#[test]
fn templates_static_files_and_loam_toml_apply_while_serving() {
    let dir = tempfile::tempdir().unwrap();
    let garden = dir.path().join("garden");
    let status = Command::new(LOAM).args(["init", garden.to_str().unwrap()]).output().unwrap();
    assert!(status.status.success());
    std::fs::write(garden.join("content/plain.md"), "# Plain\n\nA plain note.\n").unwrap();
    let server = Server::start(&garden, &[]);
    server.wait_for_text("/plain/", "A plain note.");

    // loam.toml: a new title, and a base_url with a path, which the preview then lives under.
    let config = garden.join("loam.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let mut changed = String::new();
    for line in text.lines() {
        if line.starts_with("title") {
            changed.push_str("title = \"Renamed Garden\"\n");
        } else if line.starts_with("base_url") {
            changed.push_str("base_url = \"https://example.org/sub/\"\n");
        } else {
            changed.push_str(line);
            changed.push('\n');
        }
    }
    std::fs::write(&config, changed).unwrap();
    server.wait_for_text("/sub/plain/", "Renamed Garden");
    let (status, _) = server.get("/");
    assert_eq!(status, 200, "the root redirects to the sub-path");

    // A broken loam.toml: the last good site goes on, with the error over it; fixing it clears it.
    let good = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{good}\nnot a key = = 3\n")).unwrap();
    server.wait_for_text("/sub/plain/", "loam-overlay");
    std::fs::write(&config, &good).unwrap();
    server.wait_for("/sub/plain/", "without the overlay", |_, body| !body.contains("loam-overlay"));

    // A template of the garden's own, made while serving (the folder did not exist).
    std::fs::create_dir_all(garden.join("templates")).unwrap();
    std::fs::write(
        garden.join("templates/note.html"),
        "<!doctype html><html><head><title>{{ note.title }}</title></head><body>\
         <p class=\"own\">Own template for {{ note.title }}</p>{{ note.content | safe }}</body></html>",
    )
    .unwrap();
    let page = server.wait_for_text("/sub/plain/", "Own template for plain");
    assert!(page.contains("_loam/live.js"), "a garden's own template gets the live-reload script too");

    // A template error shows in the overlay too.
    std::fs::write(garden.join("templates/note.html"), "<html><body>{{ note.title </body></html>").unwrap();
    server.wait_for_text("/sub/plain/", "loam-overlay");
    std::fs::remove_file(garden.join("templates/note.html")).unwrap();
    server.wait_for("/sub/plain/", "back on the built-in template", |_, body| {
        !body.contains("loam-overlay") && !body.contains("Own template")
    });

    // A static file.
    std::fs::create_dir_all(garden.join("static")).unwrap();
    std::fs::write(garden.join("static/extra.css"), "body { color: rebeccapurple }").unwrap();
    server.wait_for_text("/sub/static/extra.css", "rebeccapurple");
}

/// A vault of one note in a temporary folder (kept while the folder lives).
fn garden_of_one(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let garden = dir.path().join("garden");
    std::fs::create_dir_all(&garden).unwrap();
    std::fs::write(garden.join(name), text).unwrap();
    (dir, garden)
}

#[test]
fn the_preview_has_a_search_index_that_follows_saves() {
    let (_dir, garden) = garden_of_one("marigold.md", "Marigolds keep pests away.\n");
    let server = Server::start(&garden, &[]);
    server.wait_for_text("/marigold/", "Marigolds");
    // No index is made until a reader searches: the first request for it starts the indexing.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(server.get("/static/search/meta.json").0, 503, "not made before anyone searched");
    assert!(!server.log.lock().unwrap().contains("panicked"));
    server.wait_for("/static/search/meta.json", "an index of one page", |status, body| {
        status == 200 && body.contains("\"pages\":1")
    });
    let (status, chunk) = server.get("/static/search/index/0.json");
    assert_eq!(status, 200, "the word index is served beside its list of chunks");
    // "Marigolds" in the text and "marigold" in the title are one word: the title's place first, then the text's.
    assert!(chunk.contains("[\"marigold\",[0,2,2,-1,0]]"), "{chunk}");
    std::fs::write(garden.join("nasturtium.md"), "Nasturtiums climb.\n").unwrap();
    server.wait_for("/static/search/meta.json", "an index of two pages", |status, body| {
        status == 200 && body.contains("\"pages\":2")
    });
    let (status, texts) = server.get("/static/search/text/0.json");
    assert_eq!(status, 200);
    assert!(texts.contains("\"text\":\"Nasturtiums climb.\""), "{texts}");
    assert_eq!(server.get("/static/search/no-such-file").0, 404);
    assert_eq!(server.get("/static/search.js").0, 200, "the site's own script is no file of the index");
}

#[test]
fn a_burst_of_changes_is_one_rebuild_not_a_queue() {
    let (_dir, garden) = garden_of_one("start.md", "Start.\n");
    let server = Server::start(&garden, &[]);
    server.wait_for_text("/start/", "Start.");
    // 500 files at once, like a `git checkout`.
    for i in 0..500 {
        std::fs::write(garden.join(format!("burst {i}.md")), format!("Burst note {i}.\n")).unwrap();
    }
    server.wait_for_text("/burst-499/", "Burst note 499.");
    std::thread::sleep(Duration::from_millis(500));
    let rebuilds = server.log.lock().unwrap().matches("rebuilt in").count();
    assert!(rebuilds <= 4, "500 files made {rebuilds} rebuilds:\n{}", server.log.lock().unwrap());
}

#[test]
fn listening_beyond_this_machine_takes_a_token() {
    let (_dir, garden) = garden_of_one("a.md", "A.\n");
    // Refused before anything listens.
    let output = Command::new(LOAM)
        .args(["serve", garden.to_str().unwrap(), "--bind", "0.0.0.0", "--port", "0"])
        .env_remove("LOAM_TOKEN")
        .env_remove("LOAM_READ_TOKEN")
        .output()
        .expect("loam runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("set a sync token first") && stderr.contains("LOAM_TOKEN"), "{stderr}");
}

#[test]
fn polling_sees_changes_too() {
    let (_dir, garden) = garden_of_one("note.md", "First text.\n");
    let server = Server::start(&garden, &["--poll"]);
    server.wait_for_text("/note/", "First text.");
    std::fs::write(garden.join("note.md"), "Second text, seen by polling.\n").unwrap();
    server.wait_for_text("/note/", "Second text, seen by polling.");
}

#[test]
fn an_incremental_rebuild_equals_a_full_one_after_random_edits() {
    let dir = tempfile::tempdir().unwrap();
    let garden = dir.path().join("garden");
    copy_dir(&corpus("quartz-docs"), &garden);
    let address = "127.0.0.1:1111".parse().unwrap();
    // Files older than two seconds are known by size and time without being read: age them all, and give each
    // file an edit touches a time of its own, in the past, so that this path is the one taken.
    let long_ago = std::time::SystemTime::now() - Duration::from_secs(1000);
    let settle = |path: &Path, step: u64| {
        if let Ok(file) = std::fs::File::options().append(true).open(path) {
            file.set_modified(long_ago + Duration::from_secs(step + 1)).unwrap();
        }
    };
    for note in notes_in(&garden) {
        settle(&note, 0);
    }
    let mut incremental = loam::serve::Preview::new(&garden, address);
    incremental.rebuild();
    let mut random = Random(0x5eed_1234_abcd_0042);
    for step in 0..44 {
        let notes = notes_in(&garden);
        let note = &notes[random.below(notes.len())];
        let other = &notes[random.below(notes.len())];
        let other_name = other.file_stem().unwrap().to_string_lossy().to_string();
        // Every kind of change in turn, on random notes.
        let (what, touched): (&str, Vec<PathBuf>) = match step % 11 {
            0 => {
                let text = std::fs::read_to_string(note).unwrap();
                std::fs::write(note, format!("{text}\nStep {step} links to [[{other_name}]] here.\n")).unwrap();
                ("edit: add a link", vec![note.clone()])
            }
            1 => {
                std::fs::write(note, format!("---\ntitle: Retitled {step}\ntags: [step-{step}]\n---\nNew body.\n"))
                    .unwrap();
                ("edit: new title and tag", vec![note.clone()])
            }
            10 => {
                // The title alone: it names the note in lists and backlinks, and its folder in breadcrumbs when
                // the note stands for the folder. The frontmatter keeps its number of lines, so that every link
                // stays on its line and only the title differs.
                let folder_note = notes.iter().find(|n| n.ends_with("index.md") && n.parent() != Some(&garden));
                let note = folder_note.unwrap_or(note);
                let text = std::fs::read_to_string(note).unwrap();
                let (lines, body) = match text.strip_prefix("---\n").and_then(|rest| rest.split_once("\n---\n")) {
                    Some((yaml, body)) => (yaml.lines().count().max(1), body.to_string()),
                    None => (1, text.clone()),
                };
                let padding: String = (1..lines).map(|n| format!("key{n}: {n}\n")).collect();
                std::fs::write(note, format!("---\ntitle: Renamed {step}\n{padding}---\n{body}")).unwrap();
                ("edit: title only", vec![note.clone()])
            }
            2 => {
                let to = note.with_file_name(format!("moved {step}.md"));
                std::fs::rename(note, &to).unwrap();
                ("rename", vec![note.clone(), to])
            }
            3 => {
                std::fs::remove_file(note).unwrap();
                ("delete", vec![note.clone()])
            }
            4 => {
                let new = garden.join(format!("new {step}.md"));
                std::fs::write(&new, format!("---\naliases: [Alias {step}]\n---\nSee [[{other_name}]].\n")).unwrap();
                ("create", vec![new])
            }
            5 => {
                let folder = garden.join(format!("folder {step}"));
                std::fs::create_dir_all(&folder).unwrap();
                let new = folder.join("inside.md");
                std::fs::write(&new, format!("In a new folder, see [[{other_name}]].\n")).unwrap();
                ("create in a new folder", vec![folder, new])
            }
            6 => {
                std::fs::write(note, "---\ntitle: [broken\n---\nBody.\n").unwrap();
                ("break the frontmatter", vec![note.clone()])
            }
            // Edits that leave the site model as it was (text only), or change only what lists and feeds show,
            // or only the lines the links are on: the live preview keeps its model for the first two.
            7 => {
                let text = std::fs::read_to_string(note).unwrap();
                std::fs::write(note, format!("{text}\nStep {step} adds a plain sentence.\n")).unwrap();
                ("edit: text only", vec![note.clone()])
            }
            8 => {
                let text = std::fs::read_to_string(note).unwrap();
                let text = match text.strip_prefix("---\n") {
                    Some(rest) => format!("---\ndescription: Step {step} describes it\n{rest}"),
                    None => format!("---\ndescription: Step {step} describes it\n---\n{text}"),
                };
                std::fs::write(note, text).unwrap();
                ("edit: description", vec![note.clone()])
            }
            _ => {
                let text = std::fs::read_to_string(note).unwrap();
                let (head, body) = match text.strip_prefix("---\n").and_then(|rest| rest.split_once("\n---\n")) {
                    Some((yaml, body)) => (format!("---\n{yaml}\n---\n"), body.to_string()),
                    None => (String::new(), text.clone()),
                };
                std::fs::write(note, format!("{head}Step {step} pushes\n\nevery link down.\n\n{body}")).unwrap();
                ("edit: lines inserted above the links", vec![note.clone()])
            }
        };
        for path in &touched {
            settle(path, step + 1);
        }
        // Mostly as the watcher reports changes (only the files it names are looked at); now and then a full look.
        let rebuilt = if step % 3 == 2 { incremental.rebuild() } else { incremental.rebuild_after(Some(&touched)) };
        let fresh = loam::serve::Preview::new(&garden, address).rebuild();
        let (a, b) = (&rebuilt.snapshot, &fresh.snapshot);
        let (a_files, b_files) = (a.all_files(), b.all_files());
        let mut paths: Vec<&String> = a_files.keys().chain(b_files.keys()).collect();
        paths.sort();
        paths.dedup();
        assert!(paths.len() > 50, "the site has its pages");
        for path in paths {
            assert!(
                a_files.get(path) == b_files.get(path),
                "step {step} ({what} {}): `{path}` differs between the incremental and the full rebuild",
                touched[0].display()
            );
        }
        assert_eq!(a.errors, b.errors, "step {step} ({what})");
        assert_eq!(a.diagnostics, b.diagnostics, "step {step} ({what})");
    }
}

#[test]
fn ctrl_c_stops_the_server_cleanly_even_with_a_tab_listening() {
    let dir = tempfile::tempdir().unwrap();
    let garden = dir.path().join("garden");
    std::fs::create_dir_all(&garden).unwrap();
    std::fs::write(garden.join("note.md"), "Text.\n").unwrap();
    let mut server = Server::start(&garden, &[]);
    server.wait_for_text("/note/", "Text.");
    // An open live-reload stream, as an open tab has.
    let mut events = server.agent.get(&format!("{}/_loam/events", server.base)).call().unwrap();
    let mut first = [0u8; 14];
    events.body_mut().as_reader().read_exact(&mut first).unwrap();
    assert_eq!(&first, b"event: version");

    let interrupted = Command::new("kill").args(["-INT", &server.served.child.id().to_string()]).status().unwrap();
    assert!(interrupted.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.served.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running 10 s after Ctrl-C:\n{}", server.log.lock().unwrap());
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status:?}:\n{}", server.log.lock().unwrap());
}

/// `loam log` (or `show`) on a file, as a user would run it: (exit status, stdout).
fn loam(args: &[&str]) -> (bool, String) {
    let output = Command::new(LOAM).args(args).output().expect("loam runs");
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Polls `loam log FILE` until it lists `count` changes (the history is recorded beside the preview).
fn wait_for_history(file: &Path, count: usize, server: &Server) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, out) = loam(&["log", file.to_str().unwrap()]);
        let lines: Vec<String> = out.lines().map(str::to_string).collect();
        if lines.len() == count {
            return lines;
        }
        if Instant::now() > deadline {
            panic!(
                "`loam log {}` shows {out:?}, not {count} changes; server log:\n{}",
                file.display(),
                server.log.lock().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn every_save_is_recorded_with_its_author_and_a_move_keeps_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let garden = dir.path().join("garden");
    copy_dir(&corpus("quartz-docs"), &garden);
    std::fs::write(garden.join("loam.toml"), "content = \".\"\n[author]\nname = \"Tess Ter\"\n").unwrap();
    let note = garden.join("hosting.md");
    let original = std::fs::read_to_string(&note).unwrap();
    // Written long ago: the import is dated by the file, and the page says so once it is recorded.
    let file = std::fs::File::options().append(true).open(&note).unwrap();
    file.set_modified(std::time::UNIX_EPOCH + Duration::from_secs(1_600_000_000)).unwrap();
    let server = Server::start(&garden, &[]);
    let first = wait_for_history(&note, 1, &server);
    assert!(first[0].contains("Tess Ter") && first[0].contains("import"), "{first:?}");
    // The garden's address, for peers: the same from the server and from `loam info`.
    let (status, body) = server.get("/_loam/garden.json");
    let about: serde_json::Value = serde_json::from_str(&body).unwrap();
    let address = about["index"].as_str().unwrap_or_default().to_string();
    assert_eq!(status, 200);
    assert!(address.starts_with("automerge:") && address.len() > 30, "{body}");
    let (ok, info) = loam(&["info", garden.to_str().unwrap()]);
    assert!(ok && info.contains(&address) && info.contains("(notes and attachments) recorded"), "{info}");
    let page = server.wait_for_text("/hosting/", "Contributor: Tess Ter");
    assert!(page.contains("Last edited <time datetime=\"2020-09-13T12:26:40+00:00\">"), "{page}");

    // In place, then by rename over it: one change each, newest first.
    std::fs::write(&note, format!("{original}\nA first added line.\n")).unwrap();
    let edited = server.wait_for_text("/hosting/", "A first added line.");
    wait_for_history(&note, 2, &server);
    // Once recorded, the page shows the edit's date, without making open pages reload a second time.
    let dated = server.wait_for("/hosting/", "showing the new edit's date", |status, page| {
        status == 200 && page.contains("Last edited <time") && !page.contains("2020-09-13T12:26:40")
    });
    let version = |page: &str| page.split("data-loam-version=\"").nth(1).map(|v| v[..v.find('"').unwrap()].to_string());
    assert!(version(&edited).is_some(), "{edited}");
    assert_eq!(version(&dated), version(&edited), "the history's news is no new version");
    save_by_rename(&note, &format!("{original}\nA first added line.\nA second one.\n"));
    let lines = wait_for_history(&note, 3, &server);
    assert!(lines[0].contains("+1 -0") && lines[0].contains("edit") && lines[0].contains("Tess Ter"), "{lines:?}");
    let (_, patch) = loam(&["log", "--patch", note.to_str().unwrap()]);
    assert!(patch.contains("+A second one."), "{patch}");

    // The note as it was at its first change.
    let first_hash = lines[2].split_whitespace().next().unwrap();
    let (ok, text) = loam(&["show", note.to_str().unwrap(), "--at", first_hash]);
    assert!(ok);
    assert_eq!(text, original);

    // Moved to another folder: the history goes along.
    std::fs::create_dir_all(garden.join("moved")).unwrap();
    let moved = garden.join("moved/hosting.md");
    std::fs::rename(&note, &moved).unwrap();
    server.wait_for_text("/moved/hosting/", "A second one.");
    wait_for_history(&moved, 3, &server);
    let (ok, _) = loam(&["log", note.to_str().unwrap()]);
    assert!(!ok, "the old path has no history of its own");
}
