//! `loam sync` between two gardens on this machine, as a user runs it: the real binary on copies of a real
//! garden, edited apart, then synced both ways.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{copy_dir, corpus};

const LOAM: &str = env!("CARGO_BIN_EXE_loam");

fn loam(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(LOAM).args(args).output().expect("loam runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

/// Every note and attachment of a vault, with its bytes (tool folders and `loam.toml` left out).
fn notes(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_entry(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file() && e.file_name() != "loam.toml")
        .map(|e| {
            (e.path().strip_prefix(root).unwrap().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// Both vaults hold the same notes, byte for byte; the message names the ones that differ.
fn same_notes(a: &Path, b: &Path) {
    let (a, b) = (notes(a), notes(b));
    let differ: Vec<&String> = a.keys().chain(b.keys()).filter(|p| a.get(*p) != b.get(*p)).collect();
    assert!(differ.is_empty(), "notes that differ: {differ:?}");
    assert!(a.len() > 30, "the corpus's notes are there");
    assert!(a.keys().filter(|p| p.ends_with(".png")).count() >= 10, "and its images");
}

#[test]
fn two_copies_of_a_vault_edited_apart_sync_to_the_same_notes() {
    let dir = tempfile::tempdir().unwrap();
    let (ada, bo) = (dir.path().join("ada"), dir.path().join("bo"));
    copy_dir(&corpus("quartz-docs"), &ada);
    std::fs::write(ada.join("loam.toml"), "content = \".\"\n[author]\nname = \"Ada\"\n").unwrap();
    std::fs::create_dir_all(&bo).unwrap();
    std::fs::write(bo.join("loam.toml"), "content = \".\"\n[author]\nname = \"Bo\"\n").unwrap();
    let (ada_path, bo_path) = (ada.to_str().unwrap(), bo.to_str().unwrap());

    // Bo's empty garden gets every note of Ada's.
    let (ok, out, err) = loam(&["sync", ada_path, bo_path]);
    assert!(ok, "{err}");
    assert!(out.contains("here (") && out.contains("added"), "{out}");
    let before = notes(&ada);
    assert_eq!(
        notes(&bo).keys().filter(|p| p.ends_with(".md")).count(),
        before.keys().filter(|p| p.ends_with(".md")).count(),
        "{out}\n{err}"
    );

    // Apart: both edit the same note, Ada deletes one, Bo renames one and writes a new one.
    let edit = |root: &Path, note: &str, f: &dyn Fn(String) -> String| {
        let file = root.join(note);
        std::fs::write(&file, f(std::fs::read_to_string(&file).unwrap())).unwrap();
    };
    edit(&ada, "hosting.md", &|t| format!("Ada's first line.\n{t}"));
    edit(&bo, "hosting.md", &|t| format!("{t}\nBo's last line.\n"));
    std::fs::remove_file(ada.join("philosophy.md")).unwrap();
    std::fs::rename(bo.join("showcase.md"), bo.join("Showcase of gardens.md")).unwrap();
    std::fs::create_dir_all(bo.join("ideas")).unwrap();
    std::fs::write(bo.join("ideas/new from Bo.md"), "A note Bo wrote offline.\n").unwrap();
    // Both replace the same image: one version wins everywhere, and the other stays in the history.
    let image = "images/quartz-layout-desktop.png";
    std::fs::write(ada.join(image), b"\x89PNG Ada's picture \xff").unwrap();
    std::fs::write(bo.join(image), b"\x89PNG Bo's picture \xff").unwrap();

    let (ok, out, err) = loam(&["sync", bo_path, ada_path]);
    assert!(ok && !err.contains("warning"), "{err}");
    assert!(out.contains("moved    showcase.md -> Showcase of gardens.md"), "{out}");
    assert!(out.contains("removed  philosophy.md"), "{out}");
    same_notes(&ada, &bo);
    let hosting = std::fs::read_to_string(ada.join("hosting.md")).unwrap();
    assert!(hosting.starts_with("Ada's first line.\n") && hosting.ends_with("Bo's last line.\n"), "{hosting}");
    assert!(ada.join("ideas/new from Bo.md").exists() && !bo.join("philosophy.md").exists());
    let picture = std::fs::read(ada.join(image)).unwrap();
    assert!(picture == b"\x89PNG Ada's picture \xff" || picture == b"\x89PNG Bo's picture \xff");
    let (_, log, _) = loam(&["log", ada.join(image).to_str().unwrap()]);
    assert!(log.lines().count() >= 3 && log.contains("Ada") && log.contains("Bo"), "{log}");

    // Nothing new: nothing changes, and both histories say who wrote what.
    let (ok, out, _) = loam(&["sync", bo_path, ada_path]);
    assert!(ok && out.matches("0 updated, 0 added, 0 removed, 0 moved").count() == 2, "{out}");
    let (_, log, _) = loam(&["log", ada.join("hosting.md").to_str().unwrap()]);
    assert!(log.contains("Ada") && log.contains("Bo"), "{log}");

    // Refusals: a network peer is not built yet, and a garden is not synced with itself.
    let (ok, _, err) = loam(&["sync", "ws://127.0.0.1:9/sync", ada_path]);
    assert!(!ok && err.contains("not built yet"), "{err}");
    let (ok, _, err) = loam(&["sync", ada_path, ada_path]);
    assert!(!ok && err.contains("this garden itself"), "{err}");
}

#[test]
fn gardens_made_apart_are_not_synced() {
    let dir = tempfile::tempdir().unwrap();
    let (ada, bo) = (dir.path().join("ada"), dir.path().join("bo"));
    for (garden, note) in [(&ada, "a.md"), (&bo, "b.md")] {
        std::fs::create_dir_all(garden.join("content")).unwrap();
        std::fs::write(garden.join("content").join(note), "A note.\n").unwrap();
        assert!(loam(&["import", garden.to_str().unwrap()]).0);
    }
    let (ok, _, err) = loam(&["sync", ada.to_str().unwrap(), bo.to_str().unwrap()]);
    assert!(!ok && err.contains("another garden") && err.contains("loam clone"), "{err}");
    assert!(!bo.join("content/a.md").exists());
}

#[test]
fn a_clone_is_the_same_garden_with_every_note_and_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let (origin, clone) = (dir.path().join("origin"), dir.path().join("clone"));
    copy_dir(&corpus("quartz-docs"), &origin);
    std::fs::write(origin.join("loam.toml"), "title = \"Quartz docs\"\ncontent = \".\"\n[author]\nname = \"Ada\"\n")
        .unwrap();
    std::fs::write(origin.join("hosting.md"), "Edited before the clone.\n").unwrap();
    let (ok, out, err) = loam(&["clone", origin.to_str().unwrap(), clone.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("cloned") && out.contains("automerge:"), "{out}");

    // The clone's notes are the origin's, under content/, and it remembers where it came from.
    same_notes(&origin, &clone.join("content"));
    let settings = std::fs::read_to_string(clone.join("loam.toml")).unwrap();
    assert!(settings.contains("title = \"Quartz docs\"") && settings.contains("origin = "), "{settings}");
    // The same garden: the same address, and the history came along.
    let address = |garden: &Path| {
        let (_, info, _) = loam(&["info", garden.to_str().unwrap()]);
        info.lines().find(|l| l.starts_with("address:")).unwrap_or_default().to_string()
    };
    assert!(address(&origin).contains("automerge:"));
    assert_eq!(address(&origin), address(&clone));
    let (_, log, _) = loam(&["log", clone.join("content/hosting.md").to_str().unwrap()]);
    assert!(log.contains("Ada") && log.contains("import"), "{log}");
    // It builds, offline, on its own.
    let (ok, _, err) = loam(&["build", clone.to_str().unwrap(), "-o", dir.path().join("out").to_str().unwrap()]);
    assert!(ok, "{err}");

    // Changes go back and forth with `loam sync`.
    std::fs::write(clone.join("content/hosting.md"), "Edited before the clone.\nAnd in the clone.\n").unwrap();
    let (ok, _, err) = loam(&["sync", clone.to_str().unwrap(), origin.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read_to_string(origin.join("hosting.md")).unwrap(),
        "Edited before the clone.\nAnd in the clone.\n"
    );

    // A folder that is not empty is never cloned into.
    let (ok, _, err) = loam(&["clone", origin.to_str().unwrap(), clone.to_str().unwrap()]);
    assert!(!ok && err.contains("not empty"), "{err}");
}
