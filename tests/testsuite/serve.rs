//! `loam serve` as a user runs it: the real binary on a copy of a real garden, on a free loopback port, with files
//! changed the ways editors change them, and the answers read over HTTP. Also: an incremental rebuild gives the
//! same site as a fresh one, after a random run of edits, renames and deletes.
//!
//! Long because each test is a whole scenario run the way a user runs it; they share the helpers of `garden.rs`
//! and `served.rs`.

use crate::garden::{notes_in, Garden, TempGarden};
use crate::random::Random;
use crate::served::Served;
use crate::wait::never;
use crate::LOAM;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `loam serve` on a port of its choosing, with an HTTP client for it; killed when dropped.
pub(crate) struct Server {
    served: Served,
    base: String,
    log: Arc<Mutex<String>>,
    agent: ureq::Agent,
}

impl Server {
    pub(crate) fn start(garden: &Path, extra: &[&str]) -> Server {
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

    /// The preview's address, as it printed it (without the last `/`).
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// What it printed on stderr so far.
    pub(crate) fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// (status, body) of a GET.
    pub(crate) fn get(&self, path: &str) -> (u16, String) {
        let mut response = self.agent.get(&format!("{}{path}", self.base)).call().expect("the server answers");
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_string().unwrap_or_default())
    }

    /// Waits until the page at `path` satisfies `ok` (the server rebuilds in the background).
    pub(crate) fn wait_for(&self, path: &str, what: &str, ok: impl Fn(u16, &str) -> bool) -> String {
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

    pub(crate) fn wait_for_text(&self, path: &str, text: &str) -> String {
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
    let garden = Garden::named("garden with spaces").corpus("quartz-docs").build();
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
    never("a swap or backup file changed the status", SCRATCH_WINDOW, || server.get("/_loam/status").1 != before);
    assert_eq!(server.get("/_loam/status").1, before, "a swap or backup file changed nothing");
}

/// How long a scratch file is watched for a rebuild it must not cause. A file the watcher let through would be
/// rebuilt after its debounce (`serve::watch::DEBOUNCE`, 10 ms) and the 100 ms a burst of changes must go quiet;
/// no event says that a file was filtered out, so the absence is watched for three times that.
const SCRATCH_WINDOW: Duration = Duration::from_millis(300);

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

    // A file served from disk that changes makes open pages reload, and so does an attachment: the version goes up.
    let before = page_version(&server.wait_for_text("/sub/plain/", "A plain note."));
    std::fs::write(garden.join("static/extra.css"), "body { color: teal; margin: 0 }").unwrap();
    let page = server.wait_for("/sub/plain/", "a new version", |_, page| page_version(page) != before);
    std::fs::write(garden.join("content/plain.md"), "# Plain\n\nA plain note.\n\n![[pic.png]]\n").unwrap();
    std::fs::write(garden.join("content/pic.png"), b"PNG one").unwrap();
    let page = server
        .wait_for("/sub/plain/", "the picture", |_, p| p.contains("pic.png") && page_version(p) != page_version(&page));
    server.wait_for_text("/sub/pic.png", "PNG one");
    std::fs::write(garden.join("content/pic.png"), b"PNG two, longer").unwrap();
    server.wait_for("/sub/plain/", "a new version", |_, p| page_version(p) != page_version(&page));
    server.wait_for_text("/sub/pic.png", "PNG two");
}

/// The version a page was served at (`data-loam-version`), which browsers reload at when it goes up.
fn page_version(page: &str) -> Option<String> {
    page.split("data-loam-version=\"").nth(1).map(|v| v[..v.find('"').unwrap()].to_string())
}

#[test]
fn turning_unsafe_html_on_while_serving_renders_every_note_again() {
    let garden = Garden::new()
        .config("content = \".\"\n")
        .file("visitor.md", "Hi <kbd>k</kbd> <img src=x onerror=\"window.pwned = 1\">\n")
        .build();
    let server = Server::start(&garden, &[]);
    let page = server.wait_for_text("/visitor/", "<kbd>k</kbd>");
    assert!(!page.contains("pwned"), "sanitised by default: {page}");
    // The note's bytes are the same, so only the setting can make the preview parse it again.
    std::fs::write(garden.join("loam.toml"), "content = \".\"\nunsafe_html = true\n").unwrap();
    server.wait_for_text("/visitor/", "onerror=\"window.pwned = 1\"");
    std::fs::write(garden.join("loam.toml"), "content = \".\"\n").unwrap();
    server.wait_for("/visitor/", "sanitised again", |status, body| status == 200 && !body.contains("pwned"));
}

#[test]
fn the_preview_has_a_search_index_that_follows_saves() {
    let garden = Garden::new().file("marigold.md", "Marigolds keep pests away.\n").build();
    let server = Server::start(&garden, &[]);
    server.wait_for_text("/marigold/", "Marigolds");
    // No index is made until a reader searches: the first request for it starts the indexing, so it cannot be
    // polled for; the test lets a window pass in which an index made unasked would have been made, then asks.
    std::thread::sleep(UNASKED_INDEX_WINDOW);
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

/// How long the preview is left alone before its search index is first asked for. An index made without being
/// asked would be made once the saves had been quiet for 800 ms (`serve/search.rs`'s `QUIET`) and would then take
/// a moment for one note; asking is what starts the indexing, so the absence is watched for this long, once.
const UNASKED_INDEX_WINDOW: Duration = Duration::from_millis(1500);

#[test]
fn a_burst_of_changes_is_one_rebuild_not_a_queue() {
    let garden = Garden::new().file("start.md", "Start.\n").build();
    let server = Server::start(&garden, &[]);
    server.wait_for_text("/start/", "Start.");
    // 500 files at once, like a `git checkout`.
    for i in 0..500 {
        std::fs::write(garden.join(format!("burst {i}.md")), format!("Burst note {i}.\n")).unwrap();
    }
    server.wait_for_text("/burst-499/", "Burst note 499.");
    // A rebuild still queued behind the one that served the last note would run in the next 100 ms (the quiet a
    // burst waits for); nothing says that none is queued, so the log is watched for a while.
    never("more than 4 rebuilds", QUEUED_REBUILD_WINDOW, || {
        server.log.lock().unwrap().matches("rebuilt in").count() > 4
    });
    let rebuilds = server.log.lock().unwrap().matches("rebuilt in").count();
    assert!(rebuilds <= 4, "500 files made {rebuilds} rebuilds:\n{}", server.log.lock().unwrap());
}

/// How long the log is watched, after the last note of a burst is served, for rebuilds queued behind it: five
/// times the 100 ms a burst must go quiet before its rebuild.
const QUEUED_REBUILD_WINDOW: Duration = Duration::from_millis(500);

#[test]
fn listening_beyond_this_machine_takes_a_token() {
    let garden = Garden::new().file("a.md", "A.\n").build();
    // Refused before anything listens: every address but 127.0.0.1 and ::1, other loopback addresses included.
    for bind in ["0.0.0.0", "127.0.0.2"] {
        let output = Command::new(LOAM)
            .args(["serve", garden.to_str().unwrap(), "--bind", bind, "--port", "0"])
            .env_remove("LOAM_TOKEN")
            .env_remove("LOAM_READ_TOKEN")
            .output()
            .expect("loam runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{bind}");
        assert!(stderr.contains(&format!("listening on {bind}")), "{stderr}");
        assert!(stderr.contains("set a sync token first") && stderr.contains("LOAM_TOKEN"), "{stderr}");
    }
}

#[test]
fn polling_sees_changes_too() {
    let garden = Garden::new().file("note.md", "First text.\n").build();
    let server = Server::start(&garden, &["--poll"]);
    server.wait_for_text("/note/", "First text.");
    std::fs::write(garden.join("note.md"), "Second text, seen by polling.\n").unwrap();
    server.wait_for_text("/note/", "Second text, seen by polling.");
}

#[test]
fn an_incremental_rebuild_equals_a_full_one_after_random_edits() {
    let garden = Garden::new().corpus("quartz-docs").build();
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
        assert_eq!(a.diagnostics(), b.diagnostics(), "step {step} ({what})");
    }
}

#[test]
fn ctrl_c_stops_the_server_cleanly_even_with_a_tab_listening() {
    let garden = Garden::new().file("note.md", "Text.\n").build();
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
    let garden = Garden::new().corpus("quartz-docs").config("content = \".\"\n[author]\nname = \"Tess Ter\"\n").build();
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
    // The contributor's name leads to their page of what they changed.
    let page =
        server.wait_for_text("/hosting/", "Contributor: <a class=\"author\" href=\"/_authors/tess-ter/\">Tess Ter</a>");
    assert!(page.contains("Last edited <time datetime=\"2020-09-13T12:26:40+00:00\">"), "{page}");

    // In place, then by rename over it: one change each, newest first.
    std::fs::write(&note, format!("{original}\nA first added line.\n")).unwrap();
    let edited = server.wait_for_text("/hosting/", "A first added line.");
    wait_for_history(&note, 2, &server);
    // Once recorded, the page shows the edit's date, without making open pages reload a second time.
    let dated = server.wait_for("/hosting/", "showing the new edit's date", |status, page| {
        status == 200 && page.contains("Last edited <time") && !page.contains("2020-09-13T12:26:40")
    });
    assert!(page_version(&edited).is_some(), "{edited}");
    assert_eq!(page_version(&dated), page_version(&edited), "the history's news is no new version");
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

/// `loam serve` on a garden of one note, `/note/` (saying "Text."), once it serves it.
fn serving_one_note() -> (TempGarden, Server) {
    let garden = Garden::new().file("note.md", "Text.\n").build();
    let server = Server::start(&garden, &[]);
    server.wait_for_text("/note/", "Text.");
    (garden, server)
}

/// An answer read off the wire: what `raw` returns.
struct Answer {
    status: u16,
    /// The status line and headers, as sent.
    head: String,
    body: String,
}

impl Answer {
    /// The value of header `name` (case-insensitive), if the answer has it.
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Sends a request made of `head_lines` (a request line, then headers; no `Host` is added) over a new connection to
/// `port`, and reads the answer: its head, and its body by its length (none for a WebSocket's 101). Unlike an HTTP
/// client library, this sends exactly what a hostile page's browser or a bare socket sends.
fn raw(port: u16, head_lines: &[&str]) -> Answer {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // One request per connection, unless the request says otherwise (a WebSocket's `Connection: Upgrade`).
    let close = match head_lines.iter().any(|line| line.to_lowercase().starts_with("connection:")) {
        true => "",
        false => "Connection: close\r\n",
    };
    let request = format!("{}\r\n{close}\r\n", head_lines.join("\r\n"));
    stream.write_all(request.as_bytes()).unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "the connection closed before an answer: {:?}", String::from_utf8_lossy(&received));
        received.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8_lossy(&received[..head_end]).into_owned();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut answer = Answer { status, head, body: String::new() };
    // A HEAD's answer says how long the body would be, and has none.
    let length: usize = match head_lines[0].starts_with("HEAD ") {
        true => 0,
        false => answer.header("content-length").and_then(|l| l.parse().ok()).unwrap_or(0),
    };
    let mut body = received[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "the body ended early");
        body.extend_from_slice(&buffer[..n]);
    }
    answer.body = String::from_utf8_lossy(&body).into_owned();
    answer
}

/// The head of a WebSocket upgrade to `/sync`, as a browser sends it, with `host` and these `extra` headers.
fn upgrade<'a>(host: &'a str, extra: &[&'a str]) -> Vec<String> {
    let mut lines = vec![
        "GET /sync HTTP/1.1".to_string(),
        format!("Host: {host}"),
        "Connection: Upgrade".into(),
        "Upgrade: websocket".into(),
        "Sec-WebSocket-Version: 13".into(),
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==".into(),
    ];
    lines.extend(extra.iter().map(|line| line.to_string()));
    lines
}

fn lines(lines: &[String]) -> Vec<&str> {
    lines.iter().map(String::as_str).collect()
}

#[test]
fn a_web_page_of_another_origin_cannot_open_sync_or_read_loam() {
    let garden = Garden::new().file("secret.md", "---\npublish: false\n---\nUnpublished words.\n").build();
    let server = Server::start(&garden, &[]);
    let port = server.served.port;
    let host = format!("127.0.0.1:{port}");

    // A page at evil.example opening ws://127.0.0.1:PORT/sync: its browser sends its Origin, and it is refused.
    let hijack = raw(port, &lines(&upgrade(&host, &["Origin: http://evil.example"])));
    assert_eq!(hijack.status, 403, "{}{}", hijack.head, hijack.body);
    assert!(hijack.body.contains("allowed_origins"), "the refusal names the setting: {}", hijack.body);
    for path in ["/_loam/documents", "/_loam/heads.json", "/_loam/status", "/_loam/events"] {
        let read = raw(port, &[&format!("GET {path} HTTP/1.1"), &format!("Host: {host}"), "Origin: null"]);
        assert_eq!(read.status, 403, "{path}: {}", read.head);
    }
    assert!(server.log.lock().unwrap().contains("refused /sync from a page of \"http://evil.example\""));

    // The preview's own pages, and programs that send no Origin, are let in as before.
    let own = raw(port, &lines(&upgrade(&host, &[&format!("Origin: http://{host}")])));
    assert_eq!(own.status, 101, "{}{}", own.head, own.body);
    let program = raw(port, &lines(&upgrade(&host, &[])));
    assert_eq!(program.status, 101, "{}{}", program.head, program.body);
    let status =
        raw(port, &["GET /_loam/status HTTP/1.1", &format!("Host: {host}"), &format!("Origin: http://{host}")]);
    assert_eq!(status.status, 200, "{}", status.head);
}

#[test]
fn a_request_naming_another_host_is_refused() {
    let (_garden, server) = serving_one_note();
    let port = server.served.port;

    // DNS rebinding: evil.example resolves to 127.0.0.1, and its page's requests name it.
    for path in ["/note/", "/", "/_loam/documents", "/_loam/garden.json", "/static/style.css"] {
        let rebound = raw(port, &[&format!("GET {path} HTTP/1.1"), "Host: evil.example"]);
        assert_eq!(rebound.status, 403, "{path}: {}", rebound.head);
        assert!(rebound.body.contains("allowed_hosts") && rebound.body.contains("evil.example"), "{}", rebound.body);
    }
    let rebound = raw(port, &lines(&upgrade(&format!("evil.example:{port}"), &[])));
    assert_eq!(rebound.status, 403, "{}", rebound.head);

    // This machine's names are answered.
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}"), format!("garden.localhost:{port}")] {
        let page = raw(port, &["GET /note/ HTTP/1.1", &format!("Host: {host}")]);
        assert_eq!((page.status, page.body.contains("Text.")), (200, true), "{host}: {}", page.head);
    }
}

#[test]
fn hosts_and_origins_named_in_loam_toml_are_let_in() {
    let garden = Garden::new()
        .config("content = \".\"\n[serve]\nallowed_hosts = [\"laptop.lan\"]\nallowed_origins = [\"http://localhost:5173\"]\n")
        .file("note.md", "Text.\n")
        .build();
    let server = Server::start(&garden, &[]);
    let port = server.served.port;
    server.wait_for_text("/note/", "Text.");
    let page = raw(port, &["GET /note/ HTTP/1.1", &format!("Host: laptop.lan:{port}")]);
    assert_eq!(page.status, 200, "{}", page.head);
    assert_eq!(raw(port, &["GET /note/ HTTP/1.1", "Host: desktop.lan"]).status, 403);
    let app = raw(port, &lines(&upgrade(&format!("127.0.0.1:{port}"), &["Origin: http://localhost:5173"])));
    assert_eq!(app.status, 101, "{}{}", app.head, app.body);
    let other = raw(port, &lines(&upgrade(&format!("127.0.0.1:{port}"), &["Origin: http://localhost:5174"])));
    assert_eq!(other.status, 403);
}

#[test]
fn pages_answer_get_and_head_and_refuse_other_methods() {
    let (_garden, server) = serving_one_note();
    let port = server.served.port;
    let host = format!("Host: 127.0.0.1:{port}");
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        for path in ["/note/", "/static/style.css", "/_loam/documents", "/sync"] {
            let answer = raw(port, &[&format!("{method} {path} HTTP/1.1"), &host, "Content-Length: 0"]);
            assert_eq!(answer.status, 405, "{method} {path}: {}", answer.head);
            assert!(answer.header("allow").is_some_and(|allow| allow.contains("GET")), "{}", answer.head);
        }
    }
    let head = raw(port, &["HEAD /note/ HTTP/1.1", &host]);
    assert_eq!((head.status, head.body.as_str()), (200, ""), "{}", head.head);
}

#[test]
fn a_range_of_a_file_or_page_is_answered_with_206_and_past_the_end_with_416() {
    // A garden with a loam.toml, whose `static/` is served as it is.
    let garden = Garden::new()
        .config("title = \"Ranges\"\n")
        .file("content/note.md", "Text.\n")
        .file("static/clip.txt", "0123456789")
        .build();
    let server = Server::start(&garden, &[]);
    let port = server.served.port;
    server.wait_for_text("/static/clip.txt", "0123456789");
    let host = format!("Host: 127.0.0.1:{port}");
    let get = |range: &str| raw(port, &["GET /static/clip.txt HTTP/1.1", &host, &format!("Range: {range}")]);

    let whole = raw(port, &["GET /static/clip.txt HTTP/1.1", &host]);
    assert_eq!((whole.status, whole.header("accept-ranges")), (200, Some("bytes")), "{}", whole.head);
    for (range, part, content_range) in
        [("bytes=2-5", "2345", "bytes 2-5/10"), ("bytes=7-", "789", "bytes 7-9/10"), ("bytes=-2", "89", "bytes 8-9/10")]
    {
        let answer = get(range);
        assert_eq!((answer.status, answer.body.as_str()), (206, part), "{range}: {}", answer.head);
        assert_eq!(answer.header("content-range"), Some(content_range));
    }
    let past = get("bytes=10-");
    assert_eq!((past.status, past.header("content-range")), (416, Some("bytes */10")), "{}", past.head);
    assert_eq!(get("bytes=0-1,4-5").status, 200, "several ranges: the whole file");

    let page = raw(port, &["GET /note/ HTTP/1.1", &host, "Range: bytes=0-14"]);
    assert_eq!((page.status, page.body.as_str()), (206, "<!doctype html>"), "{}", page.head);
}

#[test]
fn a_lowercase_bearer_scheme_is_accepted() {
    let garden = Garden::new().file("note.md", "Text.\n").build();
    let token = "a-read-write-token-0123456789";
    let served = Served::start(&garden, &[("LOAM_TOKEN", token)]);
    let host = format!("Host: 127.0.0.1:{}", served.port);
    let heads =
        |authorization: &str| raw(served.port, &["GET /_loam/heads.json HTTP/1.1", &host, authorization]).status;
    for scheme in ["Bearer", "bearer", "BEARER"] {
        assert_eq!(heads(&format!("Authorization: {scheme} {token}")), 200, "{scheme}");
    }
    assert_eq!(heads("Authorization: bearer not-the-token-0123456789"), 401);
    assert_eq!(heads(&format!("Authorization: Basic {token}")), 401, "another scheme is no token");
}

#[test]
fn a_connection_that_sends_nothing_or_half_a_request_is_closed() {
    use std::io::Write;
    let garden = Garden::new().file("note.md", "Text.\n").build();
    let server = Server::start(&garden, &[]);
    let port = server.served.port;
    let timeout = loam::serve::http::HEADER_TIMEOUT;
    let closed_within = |stream: &mut std::net::TcpStream| {
        let opened = Instant::now();
        stream.set_read_timeout(Some(timeout + Duration::from_secs(10))).unwrap();
        let mut buffer = [0u8; 1024];
        // The server may say 408 before closing; what matters is that it closes.
        while stream.read(&mut buffer).expect("closed, not timed out on this side") > 0 {}
        opened.elapsed()
    };
    let mut silent = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut half = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    half.write_all(format!("GET /note/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n").as_bytes()).unwrap();
    // A kept-alive connection that asked once and then fell silent.
    let mut idle = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    idle.write_all(format!("GET /_loam/status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes()).unwrap();
    for (what, stream) in [("silent", &mut silent), ("half a request", &mut half), ("idle", &mut idle)] {
        let took = closed_within(stream);
        assert!(took <= timeout + Duration::from_secs(2), "{what}: closed after {took:?}");
    }
    // The server goes on answering.
    assert_eq!(server.get("/note/").0, 200);
}

#[test]
fn a_note_page_offers_the_live_editing_view_which_finds_the_note_s_document() {
    let garden = Garden::new()
        .file("note.md", "Text.\n")
        .file("secret.md", "---\npublish: false\n---\nUnpublished words.\n")
        .build();
    let server = Server::start(&garden, &[]);
    let port = server.served.port;
    let host = format!("Host: 127.0.0.1:{port}");
    let page = server.wait_for_text("/note/", "Text.");
    assert!(page.contains("data-loam-edit=\"/_loam/edit?note=note%2Emd\""), "the note's page links to its editor");

    // The editor of a published note: no frame may hold it, and it holds no document id (nor token).
    let editor = raw(port, &["GET /_loam/edit?note=note.md HTTP/1.1", &host]);
    assert_eq!(editor.status, 200, "{}", editor.head);
    assert!(editor.header("content-security-policy").is_some_and(|p| p.contains("frame-ancestors 'none'")));
    assert!(editor.body.contains("Text of <code>note.md</code>") && !editor.body.contains("automerge:"));
    // Nothing for a note the preview does not publish, nor for anything else.
    for hidden in ["secret.md", "missing.md", "..%2Floam.toml", ""] {
        let (status, body) = server.get(&format!("/_loam/edit?note={hidden}"));
        assert_eq!(status, 404, "{hidden}");
        assert!(!body.contains("secret") && !body.contains("Unpublished"), "{body}");
    }

    // The note's document, once the history has recorded it, as automerge-repo names it.
    let found = server.wait_for("/_loam/note.json?path=note.md", "the note's document", |status, _| status == 200);
    let found: serde_json::Value = serde_json::from_str(&found).unwrap();
    let url = found["url"].as_str().unwrap();
    assert!(loam::store::address::id(url).is_some(), "{found}");
    assert_eq!(found["access"], "read-write");
    assert_eq!(server.get("/_loam/note.json?path=loam.toml").0, 400, "only notes");
    assert_eq!(server.get("/_loam/note.json?path=missing.md").0, 404);

    // A page of another site can read neither the document's address nor the editor's script.
    for path in ["/_loam/note.json?path=note.md", "/_loam/automerge.js", "/_loam/edit.js"] {
        let foreign = raw(port, &[&format!("GET {path} HTTP/1.1"), &host, "Origin: http://evil.example"]);
        assert_eq!(foreign.status, 403, "{path}: {}", foreign.head);
    }
    let bundle = raw(port, &["HEAD /_loam/automerge.js HTTP/1.1", &host]);
    assert_eq!(bundle.status, 200, "{}", bundle.head);
    assert!(bundle.header("content-length").and_then(|l| l.parse::<usize>().ok()).is_some_and(|l| l > 1 << 20));
}
