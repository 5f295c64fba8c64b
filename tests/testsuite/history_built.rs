//! The history in a built site (`[history] publish = true`): each note's versions in a small JSON file, from which
//! its page's script shows its history (`tests/browser/history.test.mjs` reads them so), the recent changes and
//! their feed, authors' pages; and nothing of a version a reader may not see in any file written.

use std::path::Path;

use crate::garden::{Garden, TempGarden};
use crate::history_views::{bees, loam, save, wiki};

/// Turns publishing the history on (`save` writes loam.toml with the author each time), builds, and returns the
/// output folder.
fn build_with_history(garden: &TempGarden) -> std::path::PathBuf {
    garden.write("loam.toml", "title = \"Bees\"\nbase_url = \"https://bees.example/\"\n[history]\npublish = true\n");
    let (ok, out) = loam(garden, &["build"]);
    assert!(ok, "{out}");
    garden.join("public")
}

fn read(out: &Path, file: &str) -> String {
    std::fs::read_to_string(out.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Every version's Markdown from a note's `_history/NOTE.json`, newest first, by applying each one's line edit.
fn versions(json: &str) -> Vec<(String, String, String)> {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut out = Vec::new();
    let mut newer: Option<String> = None;
    for version in value["versions"].as_array().unwrap() {
        let text = match (&newer, version.get("text")) {
            (None, Some(text)) => text.as_str().unwrap().to_string(),
            (Some(newer), None) => {
                let lines: Vec<&str> = newer.split_inclusive('\n').collect();
                let (mut at, mut text) = (0usize, String::new());
                for op in version["edit"].as_array().unwrap() {
                    match op {
                        serde_json::Value::Number(n) if n.as_i64().unwrap() > 0 => {
                            let n = n.as_i64().unwrap() as usize;
                            text.extend(lines[at..at + n].iter().copied());
                            at += n;
                        }
                        serde_json::Value::Number(n) => at += (-n.as_i64().unwrap()) as usize,
                        serde_json::Value::String(line) => text.push_str(line),
                        other => panic!("{other}"),
                    }
                }
                assert_eq!(at, lines.len(), "an edit goes through the whole newer version");
                text
            }
            _ => panic!("the newest version whole, the others as edits: {json}"),
        };
        let field = |key: &str| version[key].as_str().unwrap().to_string();
        out.push((field("short"), field("author"), text.clone()));
        newer = Some(text);
    }
    out
}

#[test]
fn a_built_site_has_each_note_s_history_its_versions_the_recent_changes_and_authors_only_when_asked() {
    let garden = bees();
    // Not asked for: nothing of the history but the contributors.
    let (ok, out) = loam(&garden, &["build"]);
    assert!(ok, "{out}");
    let public = garden.join("public");
    assert!(!public.join("_history").exists() && !public.join("_changes").exists());
    assert!(!read(&public, "bees/index.html").contains("/_history/"));

    let public = build_with_history(&garden);
    let page = read(&public, "bees/index.html");
    assert!(page.contains("href=\"/bees/?history\"") && page.contains(" data-history>"), "{page}");
    assert!(public.join("static/history.js").exists() && public.join("_history/_strings.json").exists());
    let json: serde_json::Value = serde_json::from_str(&read(&public, "_history/bees.json")).unwrap();
    // Three edits: Ada's, Bo's, and Ada's two saves a minute apart as one.
    let edits = json["edits"].as_array().unwrap();
    assert_eq!(edits.iter().map(|e| e["saves"].as_u64().unwrap()).collect::<Vec<_>>(), [2, 1, 1], "{json}");
    assert!(
        edits[0]["summary"].as_str().unwrap().starts_with("changed “Bees dance to say where the flowers"),
        "{json}"
    );
    assert!(json["versions"][0]["summary"].as_str().unwrap().contains("added “They make honey.”"), "{json}");

    let (_, log) = loam(&garden.join("content"), &["log", "bees.md"]);
    let hashes: Vec<&str> = log.lines().map(|line| line.split_whitespace().next().unwrap()).collect();
    let versions = versions(&read(&public, "_history/bees.json"));
    assert_eq!(versions.iter().map(|v| v.0.as_str()).collect::<Vec<_>>(), hashes, "{log}");
    for (short, author, text) in &versions {
        let (ok, shown) = loam(&garden.join("content"), &["show", "bees.md", "--at", short]);
        assert!(ok, "{shown}");
        assert_eq!(shown.trim_end(), text.trim_end(), "version {short} by {author}");
    }
    assert_eq!(versions[2].1, "Bo");

    let changes = read(&public, "_changes/index.html");
    assert!(
        changes.contains("href=\"/bees/?history&amp;from=") && changes.contains("href=\"/_authors/bo/\""),
        "{changes}"
    );
    let feed = read(&public, "_changes/feed.xml");
    assert!(
        feed.contains("<link rel=\"alternate\" type=\"text/html\" href=\"https://bees.example/bees/?history&amp;from=")
    );
    assert_eq!(feed.matches("<entry>").count(), 3, "{feed}");
    let bo = read(&public, "_authors/bo/index.html");
    assert!(bo.contains("href=\"/bees/\"") && bo.matches("class=\"changes-entry").count() == 1, "{bo}");
}

#[test]
fn moves_and_deletions_are_in_a_built_site_s_recent_changes_and_an_unpublished_note_nowhere() {
    let garden = wiki();
    let public = build_with_history(&garden);
    let changes = read(&public, "_changes/index.html");
    assert!(changes.contains("moved from flowers/rose.md") && changes.contains("deleted"), "{changes}");
    assert!(!changes.contains("secret") && !changes.contains("private"), "{changes}");
    assert!(!public.join("_history/secret").exists());
}

#[test]
fn no_file_of_a_built_site_holds_a_version_a_reader_may_not_see() {
    let garden = Garden::new().build();
    // Published only from its third version.
    save(&garden, "Ada", "plan.md", "---\npublish: false\n---\nmy phone is 555 0100\n", 0, 0);
    save(&garden, "Ada", "plan.md", "---\npublish: false\n---\nA secret draft.\n", 1, 0);
    save(&garden, "Ada", "plan.md", "---\npublish: true\n---\nThe plan.\n", 2, 0);
    save(&garden, "Bo", "plan.md", "---\npublish: true\n---\nThe plan, agreed.\n", 3, 0);
    // A number pasted by mistake, then taken out, and its versions redacted.
    save(&garden, "Ada", "contact.md", "Write to us.\n", 0, 0);
    save(&garden, "Bo", "contact.md", "Write to us, or call 555 0199.\n", 1, 0);
    save(&garden, "Ada", "contact.md", "Write to us, or call after nine.\n", 2, 0);
    let (_, log) = loam(&garden.join("content"), &["log", "contact.md"]);
    let bo = log.lines().nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let (ok, out) = loam(&garden.join("content"), &["redact", "contact.md", "--at", &bo]);
    assert!(ok, "{out}");
    // A comment, which no page shows, in every version.
    save(&garden, "Ada", "hive.md", "The hive. %%the key is under the stone%%\n", 0, 0);
    save(&garden, "Bo", "hive.md", "The hive is full. %%the key is under the stone%%\n", 1, 0);
    // A note never published, and another linking to it by name in every version: the page shows neither its
    // name nor the link's label, and nor does the history.
    save(&garden, "Ada", "diary.md", "---\npublish: false\n---\nDear diary.\n", 0, 0);
    save(&garden, "Ada", "diary.md", "---\npublish: false\n---\nDear diary, again.\n", 1, 0);
    save(&garden, "Ada", "links.md", "Read [[diary|my journal]].\n", 0, 0);
    save(&garden, "Bo", "links.md", "Read [[diary|my journal]] and [the journal](diary.md).\n", 1, 0);

    let public = build_with_history(&garden);
    assert!(read(&public, "_history/plan.json").contains("agreed"));
    assert!(read(&public, "_history/contact.json").contains("after nine"));
    assert!(read(&public, "_history/hive.json").contains("The hive is full."));
    assert!(read(&public, "_history/links.json").contains("Read unpublished note and unpublished note."));
    for entry in walkdir::WalkDir::new(&public) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let bytes = std::fs::read(entry.path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let name = entry.path().display();
        for never in
            ["555 0100", "555 0199", "secret draft", "under the stone", "Dear diary", "diary/", "[[diary", "journal"]
        {
            assert!(!text.contains(never), "{name} holds {never:?}");
        }
    }
    // The plan's history starts where it was published.
    let plan = versions(&read(&public, "_history/plan.json"));
    assert_eq!(plan.iter().map(|v| v.1.as_str()).collect::<Vec<_>>(), ["Bo", "Ada"]);
}

#[test]
fn a_rebuild_publishes_the_same_history_and_follows_what_became_published_or_not() {
    let garden = Garden::new().build();
    save(&garden, "Ada", "plans.md", "---\npublish: false\n---\nMove the hives.\n", 0, 0);
    save(&garden, "Ada", "bees.md", "Bees. See [[plans|the plans]].\n", 0, 0);
    save(&garden, "Bo", "bees.md", "Bees dance. See [[plans|the plans]] and [[gone]].\n", 1, 0);
    let public = build_with_history(&garden);
    assert!(public.join("static/vendor/markdown-it/markdown-it.min.js").is_file(), "a past version is rendered");
    let first = read(&public, "_history/bees.json");
    assert!(!first.contains("plans") && first.contains("unpublished note"), "{first}");
    let links: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(links["links"], serde_json::json!({ "gone": null }), "{first}");
    // Built again from what the first build kept (.loam/built/): the same file.
    assert!(garden.join(".loam/built").read_dir().unwrap().count() > 0);
    let public = build_with_history(&garden);
    assert_eq!(read(&public, "_history/bees.json"), first);
    // The linked note published: its name and the link's label are in the history, linked.
    garden.write("content/plans.md", "---\npublish: true\n---\nMove the hives.\n");
    let public = build_with_history(&garden);
    let now = read(&public, "_history/bees.json");
    assert!(now.contains("See [[plans|the plans]]"), "{now}");
    let links: serde_json::Value = serde_json::from_str(&now).unwrap();
    assert_eq!(links["links"]["plans"], "/plans/", "{now}");
    // And unpublished again: gone again, though the last build kept it.
    garden.write("content/plans.md", "---\npublish: false\n---\nMove the hives.\n");
    let public = build_with_history(&garden);
    assert_eq!(read(&public, "_history/bees.json"), first);
    // What was kept, damaged, is made again.
    for entry in garden.join(".loam/built").read_dir().unwrap() {
        std::fs::write(entry.unwrap().path(), b"torn").unwrap();
    }
    let public = build_with_history(&garden);
    assert_eq!(read(&public, "_history/bees.json"), first);
}
