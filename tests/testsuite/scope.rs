//! Scoped tokens, as a community uses them: a reader who may see only what the site publishes, and a contributor
//! who may read the public notes and write only drafts. What must hold: a peer never receives a note outside its
//! read scope (not its text, path or title, in any file of its clone); a change outside its write scope is
//! refused, logged, and the peer is told which notes; within it, changes go in.

use std::path::Path;
use std::process::Command;

use crate::garden::Garden;
use crate::served::Served;
use crate::wait::{eventually, never};
use crate::LOAM;

fn loam(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(LOAM).args(args).output().expect("loam runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

const READER: &str = "published-reader-0123456789";
const WRITER: &str = "drafts-writer-0123456789";

/// Every byte of every file under `dir` (its `.loam/` too), as text: where a leak would show.
fn everything_in(dir: &Path) -> String {
    let mut all = String::new();
    for entry in walkdir::WalkDir::new(dir).into_iter().map(Result::unwrap).filter(|e| e.file_type().is_file()) {
        all.push_str(&entry.path().to_string_lossy());
        all.push('\n');
        all.push_str(&String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()));
        all.push('\n');
    }
    all
}

fn clone_with(url: &str, dir: &Path, token: &str) -> (bool, String, String) {
    loam(&["clone", url, dir.to_str().unwrap(), "--token", token])
}

#[test]
fn scoped_tokens_give_each_peer_only_its_part_of_the_garden() {
    let ada = Garden::named("ada")
        .config(&format!(
            "content = \"content\"\n[author]\nname = \"Ada\"\n\
             [[sync.tokens]]\ntoken = \"{READER}\"\naccess = \"read-only\"\npublished = true\n\
             [[sync.tokens]]\ntoken = \"{WRITER}\"\nread = [\"public/**\", \"drafts/**\"]\nwrite = [\"drafts/**\"]\n"
        ))
        .file("content/public/welcome.md", "---\ntitle: Welcome\n---\nEveryone may read this.\n")
        .file("content/public/plans.md", "---\ntitle: Hidden Harvest Plans\npublish: false\n---\nSECRET-PLANS-TEXT\n")
        .file("content/private/diary.md", "---\ndraft: true\n---\nPRIVATE-DIARY-TEXT\n")
        .file("content/drafts/idea.md", "An idea in the making.\n")
        .build();
    assert!(loam(&["import", ada.to_str().unwrap()]).0);
    let server = Served::start(&ada, &[]);
    let (reader, writer) = (ada.beside("reader"), ada.beside("writer"));

    // The published reader gets what `loam build` publishes, and nothing of the rest, anywhere in its clone.
    let (ok, out, err) = clone_with(&server.url(), &reader, READER);
    assert!(ok, "{out}\n{err}\n{}", server.log());
    assert!(reader.join("content/public/welcome.md").exists(), "{out}");
    assert!(reader.join("content/drafts/idea.md").exists(), "{out}");
    let cloned = everything_in(&reader);
    for secret in ["SECRET-PLANS-TEXT", "Hidden Harvest Plans", "plans.md", "PRIVATE-DIARY-TEXT", "diary"] {
        assert!(!cloned.contains(secret), "the published reader received `{secret}`");
    }
    // Its garden is its scope's: syncing again brings nothing more, and is not refused.
    let (ok, out, err) = loam(&["sync", &server.url(), reader.to_str().unwrap(), "--token", READER]);
    assert!(ok, "{out}\n{err}");
    assert!(!everything_in(&reader).contains("SECRET-PLANS-TEXT"));

    // The drafts writer reads public notes and drafts, not the private folder.
    let (ok, out, err) = clone_with(&server.url(), &writer, WRITER);
    assert!(ok, "{out}\n{err}");
    let notes = writer.join("content");
    assert!(notes.join("public/welcome.md").exists() && notes.join("public/plans.md").exists());
    assert!(!everything_in(&writer).contains("PRIVATE-DIARY-TEXT") && !everything_in(&writer).contains("diary"));
    std::fs::write(
        writer.join("loam.toml"),
        std::fs::read_to_string(writer.join("loam.toml")).unwrap() + "[author]\nname = \"Wren\"\n",
    )
    .unwrap();

    // It writes within its scope and outside it.
    let edit = |path: &str, f: &dyn Fn(String) -> String| {
        let file = notes.join(path);
        std::fs::write(&file, f(std::fs::read_to_string(&file).unwrap())).unwrap();
    };
    edit("drafts/idea.md", &|t| format!("{t}Wren adds a line.\n"));
    edit("public/welcome.md", &|t| format!("{t}Wren may not write this.\n"));
    std::fs::write(notes.join("drafts/new.md"), "A new draft by Wren.\n").unwrap();
    std::fs::write(notes.join("public/new.md"), "Wren may not publish this.\n").unwrap();
    let (ok, out, err) = loam(&["sync", &server.url(), writer.to_str().unwrap(), "--token", WRITER]);
    assert!(ok, "{out}\n{err}\n{}", server.log());
    // Told which notes were refused.
    let said = format!("{out}\n{err}");
    assert!(said.contains("public/welcome.md") && said.contains("public/new.md"), "{said}");
    // Within the scope, the changes go in.
    eventually("Wren's draft edit reaches Ada", || {
        std::fs::read_to_string(ada.join("content/drafts/idea.md")).unwrap().contains("Wren adds a line.")
    });
    eventually("Wren's new draft reaches Ada", || ada.join("content/drafts/new.md").exists());
    // Outside it, nothing does; the server logs the refusal; Wren keeps what Wren wrote.
    never("a change outside the write scope reached Ada's notes", std::time::Duration::from_millis(1500), || {
        ada.join("content/public/new.md").exists()
            || std::fs::read_to_string(ada.join("content/public/welcome.md")).unwrap().contains("Wren")
    });
    assert!(server.log().contains("refused"), "{}", server.log());
    assert!(std::fs::read_to_string(notes.join("public/welcome.md")).unwrap().contains("Wren may not write this."));
    assert!(notes.join("public/new.md").exists());

    // A note that stops being published leaves the published reader's garden at its next sync.
    let welcome = ada.join("content/public/welcome.md");
    std::fs::write(&welcome, "---\ntitle: Welcome\npublish: false\n---\nEveryone may read this. NOW-PRIVATE-TEXT\n")
        .unwrap();
    eventually("the reader loses the note no longer published", || {
        loam(&["sync", &server.url(), reader.to_str().unwrap(), "--token", READER]);
        !reader.join("content/public/welcome.md").exists()
    });
    assert!(!everything_in(&reader).contains("NOW-PRIVATE-TEXT"));
}
