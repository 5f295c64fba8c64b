//! The promises of Loam's trust model (DESIGN.md), each pinned by the case that once broke it, with the real
//! binary run the way a user runs it: from inside the garden with no PATH, with relative paths, and with absolute
//! ones. Nothing leaves the garden that should not, and no word is lost.

use crate::garden::{notes_in, Garden, TempGarden};
use crate::served::Served;
use crate::wait::eventually;
use crate::LOAM;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `loam ARGS` run in the folder `dir`: (success, stdout, stderr).
fn loam_in(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(LOAM).current_dir(dir).args(args).output().expect("loam runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

/// A `loam serve` started in `dir` with `args` exactly as given (no PATH is added), on a free port.
struct Serving(Served);

impl Serving {
    fn start(dir: &Path, args: &[&str]) -> Serving {
        Serving(Served::start_in(dir, args, &[]))
    }

    fn log(&self) -> String {
        self.0.log()
    }

    fn get(&self, path: &str) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut response = agent.get(&format!("http://127.0.0.1:{}{path}", self.0.port)).call().expect("answers");
        (response.status().as_u16(), response.body_mut().read_to_string().unwrap_or_default())
    }
}

/// A garden with `loam.toml` (Ada its author), so that its notes go in `content/`.
fn garden() -> Garden {
    Garden::new().config("title = \"Trust\"\n[author]\nname = \"Ada\"\n")
}

/// Saves the way vim and VS Code do: a temporary file beside the note, renamed over it.
fn save_by_rename(path: &Path, text: &str) {
    let temporary = path.with_extension("md.tmp~");
    std::fs::write(&temporary, text).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

/// How many changes `loam log NOTE` lists, run in `dir` with `note` as given.
fn changes_listed(dir: &Path, note: &str) -> usize {
    let (_, out, _) = loam_in(dir, &["log", note]);
    out.lines().count()
}

#[test]
fn serve_with_a_relative_path_or_none_records_every_save() {
    // The README's own first command is `loam serve` inside the garden; `.` and `../garden` and `garden` from
    // the folder above are the same garden, and each must record a save in the history.
    let root = garden().file("content/idea.md", "# Idea\n\nfirst words\n").build();
    let content = root.join("content");
    for (cwd, args) in [
        (root.to_path_buf(), vec![]),
        (root.to_path_buf(), vec!["."]),
        (root.dir().to_path_buf(), vec!["garden"]),
        (content.clone(), vec![".."]),
        (root.dir().to_path_buf(), vec![root.to_str().unwrap()]),
    ] {
        let before = changes_listed(&root, "content/idea.md");
        let server = Serving::start(&cwd, &args);
        // The first start records the note; later ones have nothing new to record.
        eventually("the note is recorded", || changes_listed(&root, "content/idea.md") >= before.max(1));
        let before = changes_listed(&root, "content/idea.md");
        let text = format!("# Idea\n\nfirst words\n\nsaved while serving {args:?} from {}\n", cwd.display());
        save_by_rename(&content.join("idea.md"), &text);
        eventually(&format!("`loam serve {args:?}` records the save; log:\n{}", server.log()), || {
            changes_listed(&root, "content/idea.md") == before + 1
        });
        // `loam log` with a path relative to where it runs, from inside the notes folder too.
        assert_eq!(changes_listed(&content, "idea.md"), before + 1);
        let (status, page) = server.get("/idea/");
        assert_eq!(status, 200);
        assert!(page.contains("saved while serving"), "{page}");
        assert!(!server.log().contains("not recorded"), "{}", server.log());
    }
}

#[test]
fn a_save_recorded_under_a_relative_path_reaches_a_peer() {
    let root = garden().file("content/idea.md", "# Idea\n\nfirst words\n").build();
    let server = Serving::start(&root, &[]);
    eventually("the first import", || changes_listed(&root, "content/idea.md") == 1);
    let url = format!("ws://127.0.0.1:{}/sync", server.0.port);
    let (ok, _, err) = loam_in(root.dir(), &["clone", &url, "copy"]);
    assert!(ok, "{err}");
    save_by_rename(&root.join("content/idea.md"), "# Idea\n\nfirst words\n\nand a second thought\n");
    eventually("the save is recorded", || changes_listed(&root, "content/idea.md") == 2);
    let copy = root.beside("copy");
    let (ok, out, err) = loam_in(&copy, &["sync", &url]);
    assert!(ok, "{out}{err}");
    let text = std::fs::read_to_string(copy.join("content/idea.md")).unwrap();
    assert!(text.contains("a second thought"), "{text}\n{out}{err}");
}

#[test]
fn a_request_a_proxy_passed_on_is_refused_when_the_garden_sets_no_token() {
    let root = garden().file("content/idea.md", "# Idea\n").build();
    let server = Serving::start(&root, &[]);
    eventually("the first import", || changes_listed(&root, "content/idea.md") == 1);
    // Straight from this machine: no token is asked.
    assert_eq!(server.get("/_loam/heads.json").0, 200);
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    for header in ["X-Forwarded-For", "Forwarded", "X-Real-IP"] {
        let address = format!("http://127.0.0.1:{}/_loam/heads.json", server.0.port);
        let mut response = agent.get(&address).header(header, "for=203.0.113.9").call().unwrap();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        assert_eq!(response.status().as_u16(), 401, "{header}: {text}");
        assert!(text.contains("proxy") && text.contains("LOAM_TOKEN"), "{text}");
    }
    // The server writes its log as it goes: the warning may come a moment after the answer.
    eventually("the refusal is logged", || server.log().contains("passed on by a proxy"));
}

/// Every file of a folder, as text, for looking for what must not be there.
#[cfg(unix)]
fn all_text(dir: &Path) -> String {
    let mut all = String::new();
    for entry in walkdir::WalkDir::new(dir).into_iter().filter_map(Result::ok) {
        if entry.file_type().is_file() {
            all.push_str(&String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap_or_default()));
        }
    }
    all
}

#[test]
#[cfg(unix)]
fn symbolic_links_out_of_the_garden_are_never_read_and_those_inside_work() {
    use std::os::unix::fs::symlink;
    let root = garden()
        .file("content/home.md", "# Home\n\n[[secret]] [[deep]] ![[key.png]] [[alias]] [[inner]]\n")
        .file("content/real/inner.md", "# Inner\n\ninner words\n")
        .build();
    // Beside the garden, not in it.
    let outside = Garden::named("outside")
        .file("secret.md", "# Secret\n\nTOP-SECRET-MARKER in a note\n")
        .file("folder/deep.md", "# Deep\n\nDEEP-SECRET-MARKER\n")
        .file("folder/key.png", "PNG-SECRET-MARKER")
        .beside(&root)
        .build();
    let content = root.join("content");
    symlink(outside.join("secret.md"), content.join("secret.md")).unwrap();
    symlink(&outside, content.join("linked")).unwrap();
    symlink("/etc", content.join("etc")).unwrap();
    symlink("/etc/passwd", content.join("passwd.md")).unwrap();
    symlink(root.join("loam.toml"), content.join("settings.md")).unwrap();
    // Inside the garden: a note under a second name, a folder under a second name, and a loop.
    symlink(content.join("real/inner.md"), content.join("alias.md")).unwrap();
    symlink(content.join("real"), content.join("also-real")).unwrap();
    symlink(&content, content.join("real/loop")).unwrap();

    for (cwd, args) in [(root.to_path_buf(), vec!["build"]), (root.dir().to_path_buf(), vec!["build", "garden"])] {
        let (ok, _, err) = loam_in(&cwd, &args);
        assert!(ok, "{err}");
        let site = all_text(&root.join("public"));
        for marker in ["TOP-SECRET-MARKER", "DEEP-SECRET-MARKER", "PNG-SECRET-MARKER", "root:x:0:0", "[author]"] {
            assert!(!site.contains(marker), "{marker} was published");
        }
        assert!(site.contains("inner words"), "a link inside the garden works");
        assert!(
            root.join("public/alias/index.html").exists() && root.join("public/also-real/inner/index.html").exists()
        );
        // Each skipped link is named with where it points.
        for (link, target) in [
            ("secret.md", outside.join("secret.md")),
            ("linked", outside.to_path_buf()),
            ("etc", PathBuf::from("/etc")),
            ("passwd.md", PathBuf::from("/etc/passwd")),
        ] {
            let target = std::fs::canonicalize(target).unwrap();
            assert!(
                err.lines()
                    .any(|l| l.contains(link) && l.contains(&*target.to_string_lossy()) && l.contains("outside")),
                "no warning for {link} -> {}:\n{err}",
                target.display()
            );
        }
        assert!(err.contains("settings.md"), "a link to loam.toml is refused too:\n{err}");
    }

    // The history records none of it, so no peer can get it.
    let (ok, _, err) = loam_in(&root, &["import"]);
    assert!(ok, "{err}");
    let (_, log, _) = loam_in(&root, &["log"]);
    assert!(log.contains("home.md") && log.contains("alias.md"), "{log}");
    for path in ["secret.md", "linked/", "etc/", "passwd.md", "settings.md"] {
        assert!(!log.contains(path), "{path} recorded:\n{log}");
    }
    let server = Serving::start(&root, &[]);
    let url = format!("ws://127.0.0.1:{}/sync", server.0.port);
    let (ok, _, err) = loam_in(root.dir(), &["clone", &url, "copy"]);
    assert!(ok, "{err}");
    let copy = all_text(&root.beside("copy/content"));
    assert!(copy.contains("inner words") && !copy.contains("SECRET-MARKER") && !copy.contains("root:x:0"), "{copy}");
    // A save through the preview of a link out of the garden is not recorded either. A save inside the garden
    // after it is the sign that the preview has taken in the first: changes are taken in the order they come.
    std::fs::write(outside.join("secret.md"), "# Secret\n\nTOP-SECRET-MARKER, edited\n").unwrap();
    root.write("content/home.md", "# Home\n\n[[secret]] [[deep]] ![[key.png]] [[alias]] [[inner]]\n\nSaved after.\n");
    eventually("the save after it is recorded", || changes_listed(&root, "content/home.md") == 2);
    let (_, log, _) = loam_in(&root, &["log"]);
    assert!(!log.contains("secret.md"), "{log}");
    let (status, _) = server.get("/secret/");
    assert_eq!(status, 404);

    // An outside folder the garden names in loam.toml is the garden's.
    std::fs::write(root.join("loam.toml"), "title = \"Trust\"\nallow_outside = [\"../outside\"]\n").unwrap();
    let (ok, _, err) = loam_in(&root, &["build"]);
    assert!(ok, "{err}");
    let site = all_text(&root.join("public"));
    assert!(site.contains("TOP-SECRET-MARKER") && site.contains("DEEP-SECRET-MARKER"), "{err}");
    assert!(!site.contains("root:x:0:0"), "/etc is still not named");
}

/// Runs `loam ARGS` in `dir` as a user who cannot read what `chmod 000` closed (as root, as `nobody`, over a
/// garden given to `nobody`): (success, stdout, stderr).
#[cfg(unix)]
fn loam_unprivileged(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let root = unsafe { libc::geteuid() } == 0;
    let mut command = if root {
        let mut command = Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups", LOAM]);
        command
    } else {
        Command::new(LOAM)
    };
    let output = command.current_dir(dir).args(args).output().expect("loam runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

#[test]
#[cfg(unix)]
fn a_note_that_cannot_be_read_is_reported_and_kept_not_deleted() {
    use std::os::unix::fs::PermissionsExt;
    let root =
        garden().file("content/locked.md", "# Locked\n\nwords to keep\n").file("content/open.md", "# Open\n").build();
    if unsafe { libc::geteuid() } == 0 {
        // The garden is given to `nobody`, who runs Loam below.
        let status = Command::new("chown").args(["-R", "65534:65534"]).arg(root.dir()).status().unwrap();
        assert!(status.success());
    }
    let (ok, _, err) = loam_unprivileged(&root, &["import"]);
    assert!(ok, "{err}");
    let locked = root.join("content/locked.md");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let (ok, _, err) = loam_unprivileged(&root, &["import"]);
    assert!(ok, "{err}");
    assert!(err.contains("locked.md") && err.contains("ermission denied"), "{err}");
    assert!(err.contains("0 deleted"), "{err}");
    // A peer that syncs with this garden keeps its copy.
    let server_dir = root.beside("copy");
    let (ok, _, err) = loam_unprivileged(root.dir(), &["clone", root.to_str().unwrap(), server_dir.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, out, err) = loam_unprivileged(&server_dir, &["sync", root.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert!(!out.contains("removed") || out.contains("0 removed"), "{out}");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(std::fs::read_to_string(&locked).unwrap(), "# Locked\n\nwords to keep\n");
    // Readable again, and the same: nothing to record.
    let (ok, _, err) = loam_unprivileged(&root, &["import"]);
    assert!(ok && err.contains("0 new, 0 changed, 0 moved, 0 deleted"), "{err}");
}

/// This device's bookkeeping of `root`: each note's path and its document id.
fn documents_of(root: &Path) -> std::collections::BTreeMap<String, String> {
    let dir = root.join(".loam");
    let mut map = std::collections::BTreeMap::new();
    if let Ok(bytes) = std::fs::read(dir.join("local.json")) {
        let all: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes).unwrap();
        for (path, entry) in all {
            map.insert(path, entry["doc"].as_str().unwrap().to_string());
        }
    }
    for line in std::fs::read_to_string(dir.join("local.log")).unwrap_or_default().lines() {
        let line: serde_json::Value = serde_json::from_str(line).unwrap();
        let path = line["path"].as_str().unwrap().to_string();
        match line["entry"]["doc"].as_str() {
            Some(doc) => map.insert(path, doc.to_string()),
            None => map.remove(&path),
        };
    }
    map
}

/// How many document files `.loam/docs` holds.
fn document_count(root: &Path) -> usize {
    let docs = std::fs::read_dir(root.join(".loam/docs")).unwrap();
    let mut ids: Vec<String> = docs
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.split('.').next().map(str::to_string))
        .collect();
    ids.sort();
    ids.dedup();
    ids.len()
}

/// A garden of three notes with its history, and a copy of it (`loam clone` from the folder) beside.
fn garden_and_copy() -> (TempGarden, PathBuf) {
    let root = garden()
        .file("content/a.md", "# A\n\nalpha\n")
        .file("content/b.md", "# B\n\nbeta\n")
        .file("content/sub/c.md", "# C\n\ngamma\n")
        .build();
    let (ok, _, err) = loam_in(&root, &["import"]);
    assert!(ok, "{err}");
    let copy = root.beside("copy");
    let (ok, _, err) = loam_in(root.dir(), &["clone", "garden", "copy"]);
    assert!(ok, "{err}");
    (root, copy)
}

/// Every note file under `dir` (outside `.loam/`), relative.
fn note_files(dir: &Path) -> Vec<String> {
    notes_in(dir).iter().map(|p| p.strip_prefix(dir).unwrap().to_string_lossy().into_owned()).collect()
}

#[test]
fn losing_the_bookkeeping_rebuilds_it_from_the_history_with_no_duplicate() {
    let (root, copy) = garden_and_copy();
    let docs_before = document_count(&root);
    let (_, log_before, _) = loam_in(&root, &["log"]);
    // Lost while Loam was stopped, and meanwhile one note edited and one moved.
    std::fs::remove_file(root.join(".loam/local.json")).ok();
    std::fs::remove_file(root.join(".loam/local.log")).ok();
    std::fs::write(root.join("content/a.md"), "# A\n\nalpha, edited while the bookkeeping was gone\n").unwrap();
    std::fs::create_dir_all(root.join("content/moved")).unwrap();
    std::fs::rename(root.join("content/b.md"), root.join("content/moved/b.md")).unwrap();
    let (ok, _, err) = loam_in(&root, &["import"]);
    assert!(ok, "{err}");
    assert!(err.contains(" 0 new,"), "no note is new:\n{err}");
    assert_eq!(document_count(&root), docs_before, "no second document for any note:\n{err}");
    let (_, log, _) = loam_in(&root, &["log"]);
    // One edit; the move is the index's, and the note's history goes along to its new path.
    assert_eq!(log.lines().count(), log_before.lines().count() + 1, "{log}");
    assert!(log.contains("moved/b.md") && !log.contains(" b.md") && !log.contains("(2)"), "{log}");
    // The copy gets the edit and the move, and no copy of any note.
    let (ok, out, err) = loam_in(&copy, &["sync", "../garden"]);
    assert!(ok, "{out}{err}");
    assert_eq!(note_files(&copy.join("content")), vec!["a.md", "moved/b.md", "sub/c.md"], "{out}{err}");
    let a = std::fs::read_to_string(copy.join("content/a.md")).unwrap();
    assert!(a.contains("edited while the bookkeeping was gone"));

    // Damaged rather than lost: set aside, and made again the same way.
    std::fs::write(root.join(".loam/local.json"), "{ not json").unwrap();
    std::fs::remove_file(root.join(".loam/local.log")).ok();
    let (ok, _, err) = loam_in(&root, &["import"]);
    assert!(ok && err.contains("local.json") && err.contains("damaged"), "{err}");
    assert_eq!(document_count(&root), docs_before, "{err}");
    assert!(root.join(".loam/local.json.damaged").exists());
}

#[test]
fn an_emptied_document_is_named_and_fetched_again_from_a_peer() {
    let (root, copy) = garden_and_copy();
    let doc = documents_of(&root)["a.md"].clone();
    let snapshot = root.join(format!(".loam/docs/{doc}.am"));
    std::fs::write(&snapshot, b"").unwrap();
    std::fs::write(root.join("content/a.md"), "# A\n\nalpha, and words typed after the damage\n").unwrap();
    let (ok, _, err) = loam_in(&root, &["import"]);
    assert!(ok, "{err}");
    assert!(err.contains("a.md") && err.contains("damaged") && err.contains("loam repair"), "{err}");
    // The note is safe, and nothing was recorded into a history that restarted.
    assert!(std::fs::read_to_string(root.join("content/a.md")).unwrap().contains("typed after the damage"));
    let (ok, out, err) = loam_in(&root, &["repair", "--from", "../copy"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("fetched 1 note's history again"), "{out}{err}");
    let (_, log, _) = loam_in(&root, &["log", "content/a.md"]);
    assert_eq!(log.lines().count(), 2, "the import from before and the edit:\n{log}");
    // Both ways sync, with no `duplicate seq` refusal, and the copy gets the words.
    let (ok, out, err) = loam_in(&copy, &["sync", "../garden"]);
    assert!(ok, "{out}{err}");
    assert!(std::fs::read_to_string(copy.join("content/a.md")).unwrap().contains("typed after the damage"));
    assert_eq!(note_files(&copy.join("content")), vec!["a.md", "b.md", "sub/c.md"]);
}

#[test]
fn a_truncated_document_without_a_peer_starts_its_history_anew_and_never_forks_a_copy() {
    let (root, copy) = garden_and_copy();
    let doc = documents_of(&root)["b.md"].clone();
    let snapshot = root.join(format!(".loam/docs/{doc}.am"));
    let bytes = std::fs::read(&snapshot).unwrap();
    std::fs::write(&snapshot, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(root.join("content/b.md"), "# B\n\nbeta, edited\n").unwrap();
    let (_, log, err) = loam_in(&root, &["log"]);
    assert!(log.contains("a.md") && log.contains("sub/c.md"), "one damaged document hides nothing else:\n{log}");
    assert!(err.contains("b.md") && err.contains("loam repair"), "{err}");
    let (ok, out, err) = loam_in(&root, &["repair"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("b.md") && out.contains("starts anew"), "{out}{err}");
    assert!(root.join(".loam/damaged").read_dir().unwrap().next().is_some(), "the damaged bytes are kept");
    let (ok, log, err) = loam_in(&root, &["log"]);
    assert!(ok, "{err}");
    assert!(log.contains("b.md"), "{log}");
    // The copy, which had the old history, ends with one b.md holding the edit.
    let (ok, out, err) = loam_in(&copy, &["sync", "../garden"]);
    assert!(ok, "{out}{err}");
    assert_eq!(note_files(&copy.join("content")), vec!["a.md", "b.md", "sub/c.md"], "{out}{err}");
    assert_eq!(std::fs::read_to_string(copy.join("content/b.md")).unwrap(), "# B\n\nbeta, edited\n");
    let (ok, _, err) = loam_in(&root, &["sync", "../copy"]);
    assert!(ok, "{err}");
    assert_eq!(note_files(&root.join("content")), vec!["a.md", "b.md", "sub/c.md"]);
}

#[test]
fn a_damaged_index_says_what_to_do_and_is_fetched_again() {
    let (root, _copy) = garden_and_copy();
    // Automerge's magic bytes, then garbage: a snapshot a failing disk could leave.
    std::fs::write(root.join(".loam/index.am"), b"\x85\x6f\x4a\x83 damaged beyond reading").unwrap();
    let (_, info, _) = loam_in(&root, &["info"]);
    assert!(info.contains("damaged") && info.contains("loam repair --from"), "{info}");
    assert!(!info.contains("none yet"), "{info}");
    let (ok, _, err) = loam_in(&root, &["log"]);
    assert!(!ok && err.contains("index") && err.contains("loam repair"), "{err}");
    let (ok, _, err) = loam_in(&root, &["repair"]);
    assert!(!ok && err.contains("--from"), "{err}");
    let (ok, out, err) = loam_in(&root, &["repair", "--from", "../copy"]);
    assert!(ok, "{out}{err}");
    let (ok, log, err) = loam_in(&root, &["log"]);
    assert!(ok && log.lines().count() == 3, "{log}{err}");
}

#[test]
fn moving_the_notes_folder_away_and_back_while_serving_recovers() {
    let root = garden().file("content/idea.md", "# Idea\n\nfirst words\n").build();
    let server = Serving::start(&root, &[]);
    eventually("the first import", || changes_listed(&root, "content/idea.md") == 1);
    std::fs::rename(root.join("content"), root.beside("away")).unwrap();
    eventually(&format!("the preview says it stopped watching; log:\n{}", server.log()), || {
        server.log().contains("is gone")
    });
    std::fs::rename(root.beside("away"), root.join("content")).unwrap();
    save_by_rename(&root.join("content/idea.md"), "# Idea\n\nfirst words\n\nwritten after the folder came back\n");
    eventually(&format!("the save is served; log:\n{}", server.log()), || {
        server.get("/idea/").1.contains("written after the folder came back")
    });
    eventually(&format!("the save is recorded; log:\n{}", server.log()), || {
        changes_listed(&root, "content/idea.md") == 2
    });
    assert_eq!(notes_in(&root.join("content")).len(), 1, "nothing was deleted or duplicated");
}

#[test]
fn a_write_of_the_history_that_fails_while_serving_is_reported_and_no_save_is_lost() {
    // The bookkeeping's journal becomes a folder, so the write behind the preview fails (as on a full or failing
    // disk): the failure is reported, the history is opened again from the disk, and once the journal can be
    // written again every save is in the history, each once.
    let root = garden().file("content/idea.md", "# Idea\n\nfirst words\n").build();
    let note = root.join("content/idea.md");
    let server = Serving::start(&root, &[]);
    eventually("the first import", || changes_listed(&root, "content/idea.md") == 1);
    save_by_rename(&note, "# Idea\n\nfirst words\n\none\n");
    eventually("the first save is recorded", || changes_listed(&root, "content/idea.md") == 2);
    let journal = root.join(".loam/local.log");
    let _ = std::fs::remove_file(&journal);
    std::fs::create_dir(&journal).unwrap();
    save_by_rename(&note, "# Idea\n\nfirst words\n\none\n\ntwo\n");
    eventually(&format!("the failure is reported; log:\n{}", server.log()), || {
        server.log().contains("opened again from the disk")
    });
    std::fs::remove_dir(&journal).unwrap();
    save_by_rename(&note, "# Idea\n\nfirst words\n\none\n\ntwo\n\nthree\n");
    eventually(&format!("every save is recorded, each once; log:\n{}", server.log()), || {
        changes_listed(&root, "content/idea.md") == 4
    });
    let (ok, patch, err) = loam_in(&root, &["log", "--patch", "content/idea.md"]);
    assert!(ok, "{err}");
    for line in ["+one", "+two", "+three"] {
        assert_eq!(patch.lines().filter(|l| *l == line).count(), 1, "{line} once:\n{patch}");
    }
}
