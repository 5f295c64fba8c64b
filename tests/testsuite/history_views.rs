//! What readers and authors see of a note's history: `loam diff` and `loam blame` on a garden edited by two authors
//! over several days, each edit dated explicitly (a note's file time dates the change that records it).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

use crate::garden::{Garden, TempGarden};
use crate::LOAM;

/// 2026-03-01 00:00:00 UTC.
const DAY_ONE: u64 = 1_772_323_200;

/// Saves `text` as the note `path` of `garden`, written by `author` at `day` and `seconds` into it, and records it
/// the way an author without a running preview does (`loam import`).
pub(crate) fn save(garden: &TempGarden, author: &str, path: &str, text: &str, day: u64, seconds: u64) {
    garden.write("loam.toml", format!("title = \"Bees\"\n[author]\nname = \"{author}\"\n"));
    garden.write(&format!("content/{path}"), text);
    let file = std::fs::File::options().append(true).open(garden.join("content").join(path)).unwrap();
    file.set_modified(UNIX_EPOCH + Duration::from_secs(DAY_ONE + day * 86_400 + seconds)).unwrap();
    let (ok, out) = loam(garden, &["import"]);
    assert!(ok, "{out}");
}

pub(crate) fn loam(dir: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(LOAM).current_dir(dir).args(args).output().expect("loam runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

/// The garden of these tests: `bees.md` written by Ada on day one, changed by Bo on day two, then by Ada twice
/// within a minute on day three.
pub(crate) fn bees() -> TempGarden {
    let garden = Garden::new().build();
    save(
        &garden,
        "Ada",
        "bees.md",
        "# Bees\n\nBees dance to say where flowers are.\n\n## Stings\n\nOnly females sting.\n",
        0,
        0,
    );
    save(
        &garden,
        "Bo",
        "bees.md",
        "# Bees\n\nBees dance to say where flowers are.\n\n## Stings\n\nOnly female bees sting, and rarely.\nIt hurts.\n",
        1,
        3600,
    );
    let third =
        "# Bees\n\nBees dance to say where the flowers are.\n\n## Stings\n\nOnly female bees sting, and rarely.\nIt hurts.\n";
    save(&garden, "Ada", "bees.md", third, 2, 60);
    save(&garden, "Ada", "bees.md", &format!("{third}\nThey make honey.\n"), 2, 100);
    garden
}

#[test]
fn a_note_is_named_from_where_the_command_runs_or_from_the_notes_folder() {
    let garden = bees();
    let root = garden.to_path_buf();
    let (_, log) = loam(&garden.join("content"), &["log", "bees.md"]);
    let first = log.lines().last().unwrap().split_whitespace().next().unwrap().to_string();
    // At the garden's root: `content/bees.md` as the shell completes it, or `bees.md` as the history names it.
    for name in ["content/bees.md", "bees.md"] {
        for command in [&["log", name][..], &["diff", name], &["blame", name], &["show", name, "--at", &first]] {
            let (ok, out) = loam(&root, command);
            assert!(ok, "{command:?}: {out}");
        }
    }
    let (_, from_root) = loam(&root, &["log", "bees.md"]);
    let (_, from_content) = loam(&garden.join("content"), &["log", "bees.md"]);
    assert_eq!(from_root, from_content);
    // A name that is neither says so.
    let (ok, out) = loam(&root, &["log", "wasps.md"]);
    assert!(!ok && out.contains("wasps.md"), "{out}");
}

#[test]
fn diff_shows_the_last_change_word_by_word_and_any_two_versions_by_change_or_time() {
    let garden = bees();
    let content = garden.join("content");
    let (ok, log) = loam(&content, &["log", "bees.md"]);
    assert!(ok, "{log}");
    let hashes: Vec<&str> = log.lines().map(|line| line.split_whitespace().next().unwrap()).collect();
    assert_eq!(hashes.len(), 4, "{log}");

    // By default the last change, in the text as read: the heading's `#` is not there, the added line is.
    let (ok, last) = loam(&content, &["diff", "bees.md"]);
    assert!(ok, "{last}");
    assert!(last.contains("{+They make honey.") && !last.contains("[-"), "{last}");
    assert!(last.starts_with(&format!("--- bees.md  {}", hashes[1])), "{last}");

    // Bo's change against Ada's first version, named by change; then by time (the version as it was then).
    let (_, bo) = loam(&content, &["diff", "bees.md", "--from", hashes[3], "--to", hashes[2]]);
    assert!(bo.contains("Only [-females-]{+female bees+} sting{+, and rarely.\nIt hurts+}."), "{bo}");
    assert!(bo.contains("Bo"), "{bo}");
    let (_, by_time) = loam(&content, &["diff", "bees.md", "--from", "2026-03-01 12:00", "--to", "2026-03-02 23:00"]);
    assert_eq!(by_time, bo);

    // The Markdown, line by line.
    let (_, source) = loam(&content, &["diff", "bees.md", "--from", hashes[3], "--source"]);
    assert!(source.contains("-Only females sting.\n+Only female bees sting, and rarely.\n+It hurts.\n"), "{source}");
    assert!(
        source.contains("+They make honey.\n") && source.contains("-Bees dance to say where flowers are."),
        "{source}"
    );

    let (ok, missing) = loam(&content, &["diff", "bees.md", "--from", "ffffffff"]);
    assert!(!ok && missing.contains("no version at `ffffffff`"), "{missing}");
}

#[test]
fn blame_names_who_wrote_each_line() {
    let garden = bees();
    let (ok, blame) = loam(&garden.join("content"), &["blame", "bees.md"]);
    assert!(ok, "{blame}");
    let line = |text: &str| blame.lines().find(|l| l.ends_with(text)).unwrap_or_else(|| panic!("{text}: {blame}"));
    assert!(line("# Bees").starts_with("Ada "), "{blame}");
    // Bo rewrote the line, keeping Ada's "Only female" and "sting": most of it is still hers.
    assert!(line("Only female bees sting, and rarely.").starts_with("Ada +1"), "{blame}");
    assert!(line("It hurts.").starts_with("Bo "), "{blame}");
    assert!(line("They make honey.").starts_with("Ada "), "{blame}");
    assert!(line("Bees dance to say where the flowers are.").starts_with("Ada "), "{blame}");
}

#[test]
fn the_preview_shows_a_note_s_history_compares_versions_and_says_who_wrote_what() {
    let garden = bees();
    let server = crate::serve::Server::start(&garden, &[]);
    let page = server.wait_for_text("/bees/", "History</a>");
    assert!(page.contains("href=\"/_history/bees/\""), "{page}");

    // The edits, newest first: Ada's two saves a minute apart are one edit, dated by its day.
    let (status, list) = server.get("/_history/bees/");
    assert_eq!(status, 200, "{list}");
    let at = |text: &str| list.find(text).unwrap_or_else(|| panic!("{text}: {list}"));
    assert!(at("2026-03-03") < at("2026-03-02") && at("2026-03-02") < at("2026-03-01"), "{list}");
    assert!(list.contains("2 saves") && list.contains("added “They make honey.”"), "{list}");
    assert!(list.contains("<del>females</del><ins>female bees</ins>"), "{list}");

    // Any two versions, by the start of their changes; then who wrote each line.
    let (_, log) = loam(&garden.join("content"), &["log", "bees.md"]);
    let hashes: Vec<&str> = log.lines().map(|line| line.split_whitespace().next().unwrap()).collect();
    let (status, compare) = server.get(&format!("/_history/bees/?from={}&to={}", hashes[3], hashes[0]));
    assert_eq!(status, 200, "{compare}");
    assert!(compare.contains("sting<ins>, and rarely.\nIt hurts.\nThey make honey</ins>."), "{compare}");
    assert!(compare.contains("<tr class=\"removed\">") && compare.contains("Only females sting."), "{compare}");
    let (_, blame) = server.get("/_history/bees/?blame");
    assert!(blame.contains("<td class=\"blame-author\">Bo</td>") && blame.contains("It hurts."), "{blame}");

    // Nothing for a note that is not there, or a version that is not.
    assert_eq!(server.get("/_history/wasps/").0, 404);
    assert_eq!(server.get("/_history/bees/?to=ffffffff").0, 404);
}

#[test]
fn a_note_published_only_from_its_third_version_shows_no_earlier_one() {
    let garden = Garden::new().build();
    save(&garden, "Ada", "plan.md", "---\npublish: false\n---\nmy phone is 555 0100\n", 0, 0);
    save(&garden, "Ada", "plan.md", "---\npublish: false\n---\nA secret draft.\n", 1, 0);
    save(&garden, "Ada", "plan.md", "---\npublish: true\n---\nThe plan.\n", 2, 0);
    save(&garden, "Bo", "plan.md", "---\npublish: true\n---\nThe plan, agreed.\n", 3, 0);
    let server = crate::serve::Server::start(&garden, &[]);
    server.wait_for_text("/plan/", "The plan, agreed.");
    let (status, list) = server.get("/_history/plan/");
    assert_eq!(status, 200, "{list}");
    // Without the server's own address, whose port may hold those digits.
    let list = list.replace(server.base(), "");
    assert!(list.contains("created") && list.contains("agreed"), "{list}");
    assert!(!list.contains("555") && !list.contains("secret") && !list.contains("2026-03-01"), "{list}");
    let (_, blame) = server.get("/_history/plan/?blame");
    let blame = blame.replace(server.base(), "");
    assert!(!blame.contains("555") && !blame.contains("secret"), "{blame}");
    // Nor can an unpublished version be read or compared by naming it.
    let (_, log) = loam(&garden.join("content"), &["log", "plan.md"]);
    let first = log.lines().last().unwrap().split_whitespace().next().unwrap().to_string();
    assert_eq!(server.get(&format!("/_history/plan/?at={first}")).0, 404, "{log}");
    assert_eq!(server.get(&format!("/_history/plan/?from={first}&to={first}")).0, 404);
}

#[test]
fn a_past_version_reads_as_it_was_with_its_links_against_the_garden_as_it_is() {
    let garden = Garden::new().build();
    save(&garden, "Ada", "meadow.md", "# Meadow\n\nGrass.\n", 0, 0);
    save(&garden, "Ada", "orchard.md", "# Orchard\n\nApples.\n", 0, 10);
    save(&garden, "Ada", "hive.md", "# Hive\n\nThe hive is near the [[Orchard]] and the [[Meadow]].\n", 0, 20);
    save(&garden, "Bo", "hive.md", "# Hive\n\nThe hive moved to the [[Meadow|field]].\n", 1, 0);
    std::fs::remove_file(garden.join("content/orchard.md")).unwrap();
    let (ok, out) = loam(&garden, &["import"]);
    assert!(ok, "{out}");
    let (_, log) = loam(&garden.join("content"), &["log", "hive.md"]);
    let hashes: Vec<&str> = log.lines().map(|line| line.split_whitespace().next().unwrap()).collect();
    assert_eq!(hashes.len(), 2, "{log}");

    let server = crate::serve::Server::start(&garden, &[]);
    server.wait_for_text("/hive/", "moved to the");
    let (status, list) = server.get("/_history/hive/");
    assert_eq!(status, 200, "{list}");
    assert!(list.contains(&format!("href=\"/_history/hive/?at={}\"", &hashes[1][..8])), "{list}");

    let (status, old) = server.get(&format!("/_history/hive/?at={}", hashes[1]));
    assert_eq!(status, 200, "{old}");
    // The text as it was, under a banner naming the version and leading back to the current page.
    assert!(old.contains("The hive is near the") && !old.contains("moved to the"), "{old}");
    assert!(old.contains("class=\"version-banner\"") && old.contains("2026-03-01") && old.contains("Ada"), "{old}");
    assert!(old.contains("href=\"/hive/\""), "{old}");
    // Written by Ada alone then, and last edited that day.
    assert!(old.contains("Contributor: <a class=\"author\" href=\"/_authors/ada/\">Ada</a></li>"), "{old}");
    assert!(old.contains("Last edited <time datetime=\"2026-03-01T00:00:20+00:00\">"), "{old}");
    assert!(old.contains(&format!("?from={}&amp;to={}", &hashes[1][..8], &hashes[0][..8])), "{old}");
    // A note that is still there is linked; one that is gone is marked missing.
    assert!(old.contains("<a class=\"internal\" href=\"/meadow/\">Meadow</a>"), "{old}");
    assert!(old.contains("<span class=\"link-missing\" title=\"no note called Orchard\">Orchard</span>"), "{old}");
    // The current page is as it is.
    let (_, now) = server.get("/hive/");
    assert!(now.contains("moved to the") && !now.contains("version-banner"), "{now}");
    assert_eq!(server.get("/_history/hive/?at=ffffffff").0, 404);
}

/// A garden where Ada and Bo wrote, moved and deleted notes, one of them never published.
pub(crate) fn wiki() -> TempGarden {
    let garden = Garden::new().build();
    save(&garden, "Ada", "bees.md", "---\ntags: [insects]\n---\nBees dance.\n", 0, 0);
    save(&garden, "Ada", "flowers/rose.md", "Roses are red.\n", 0, 60);
    save(&garden, "Ada", "secret.md", "---\npublish: false\n---\nA private plan.\n", 0, 120);
    save(&garden, "Bo", "bees.md", "---\ntags: [insects]\n---\nBees dance and hum.\n", 1, 0);
    save(&garden, "Bo", "flowers/tulip.md", "Tulips are many.\n", 1, 60);
    save(&garden, "Bo", "secret.md", "---\npublish: false\n---\nA private plan, agreed.\n", 1, 120);
    // Ada moves the rose and deletes the tulip.
    garden.write("loam.toml", "title = \"Bees\"\n[author]\nname = \"Ada\"\n");
    std::fs::create_dir_all(garden.join("content/garden")).unwrap();
    std::fs::rename(garden.join("content/flowers/rose.md"), garden.join("content/garden/rose.md")).unwrap();
    std::fs::remove_file(garden.join("content/flowers/tulip.md")).unwrap();
    let (ok, out) = loam(&garden, &["import"]);
    assert!(ok, "{out}");
    garden
}

#[test]
fn recent_changes_list_edits_moves_and_deletions_filtered_and_as_a_feed() {
    let garden = wiki();
    let server = crate::serve::Server::start(&garden, &[]);
    server.wait_for_text("/bees/", "hum");
    let (status, all) = server.get("/_changes/");
    assert_eq!(status, 200, "{all}");
    let at = |text: &str| all.find(text).unwrap_or_else(|| panic!("{text}: {all}"));
    // Newest first: the move and the deletion (today), Bo's edit (day two), Ada's first version (day one).
    assert!(at("moved from flowers/rose.md") < at("2026-03-02") && at("2026-03-02") < at("2026-03-01"), "{all}");
    assert!(all.contains("<span class=\"changes-note\">tulip</span>") && all.contains("deleted"), "{all}");
    assert!(all.contains("href=\"/_authors/bo/\"") && all.contains("/_history/bees/?from="), "{all}");
    // A note never published leaves no trace.
    assert!(!all.contains("secret") && !all.contains("private"), "{all}");
    assert!(all.contains("href=\"/_changes/\""), "the site's navigation leads here: {all}");

    let (_, bo) = server.get("/_changes/?author=Bo");
    assert!(bo.contains(">bees<") && !bo.contains("moved from") && !bo.contains("rose"), "{bo}");
    let (_, flowers) = server.get("/_changes/?folder=flowers");
    assert!(flowers.contains("moved from flowers/rose.md") && flowers.contains("tulip"), "{flowers}");
    assert!(!flowers.contains(">bees<"), "{flowers}");
    let (_, insects) = server.get("/_changes/?tag=insects");
    assert!(insects.contains(">bees<") && !insects.contains("rose") && !insects.contains("tulip"), "{insects}");

    let (status, feed) = server.get("/_changes/feed.xml?author=Bo");
    assert_eq!(status, 200, "{feed}");
    assert!(feed.starts_with("<?xml") && feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"), "{feed}");
    assert_eq!(
        feed.matches("<entry>").count(),
        1,
        "Bo's edit of bees (his tulip, deleted since, is not listed): {feed}"
    );
    assert!(feed.contains("<name>Bo</name>") && !feed.contains("secret"), "{feed}");
}

#[test]
fn each_author_has_a_page_and_contributors_lead_there() {
    let garden = wiki();
    let server = crate::serve::Server::start(&garden, &[]);
    let page = server.wait_for_text("/bees/", "hum");
    assert!(page.contains("<a class=\"author\" href=\"/_authors/ada/\">Ada</a>"), "{page}");
    let (status, bo) = server.get("/_authors/bo/");
    assert_eq!(status, 200, "{bo}");
    assert!(bo.contains("<h1 class=\"page-title\">Bo</h1>") && bo.contains(">bees<"), "{bo}");
    // The notes Bo changed that are published: bees (the tulip is gone, the secret never was).
    let notes = &bo[bo.find("class=\"author-notes\"").expect("Bo's notes")..];
    assert!(notes.contains(">bees<") && !notes.contains("tulip") && !notes.contains("secret"), "{notes}");
    assert_eq!(server.get("/_authors/nobody/").0, 404);
}

#[test]
fn a_redacted_version_s_text_appears_in_no_history_view() {
    let garden = Garden::new().build();
    save(&garden, "Ada", "contact.md", "Write to us.\n", 0, 0);
    save(&garden, "Bo", "contact.md", "Write to us, or call 555 0199.\n", 1, 0);
    save(&garden, "Bo", "contact.md", "Write to us, or call 555 0199 after nine.\n", 1, 60);
    save(&garden, "Ada", "contact.md", "Write to us, or call after nine.\n", 2, 0);
    let content = garden.join("content");
    let (_, log) = loam(&content, &["log", "contact.md"]);
    let hashes: Vec<&str> = log.lines().map(|line| line.split_whitespace().next().unwrap()).collect();
    assert_eq!(hashes.len(), 4, "{log}");

    // The latest version is the note itself: it is edited, not redacted.
    let (ok, refused) = loam(&content, &["redact", "contact.md", "--at", hashes[0]]);
    assert!(!ok && refused.contains("edit the note"), "{refused}");
    // Bo's two versions, as a range from the first to the last that held the number.
    let (ok, out) = loam(&content, &["redact", "contact.md", "--at", &format!("{}..{}", hashes[2], hashes[1])]);
    assert!(ok && out.contains("redacted 2 versions"), "{out}");

    let server = crate::serve::Server::start(&garden, &[]);
    server.wait_for_text("/contact/", "after nine");
    let pages = [
        "/_history/contact/".to_string(),
        format!("/_history/contact/?from={}&to={}", hashes[3], hashes[0]),
        "/_history/contact/?blame".to_string(),
        "/_changes/".to_string(),
        "/_changes/feed.xml".to_string(),
        "/_authors/ada/".to_string(),
    ];
    for page in &pages {
        let (status, body) = server.get(page);
        assert_eq!(status, 200, "{page}: {body}");
        // Without the server's own address, whose port may hold those digits (it did: 35555).
        let body = body.replace(server.base(), "");
        assert!(!body.contains("555") && !body.contains("0199"), "{page}: {body}");
    }
    let (_, list) = server.get("/_history/contact/");
    assert!(list.contains("after nine") && !list.contains(&hashes[1][..8]), "{list}");
    for hidden in &hashes[1..3] {
        assert_eq!(server.get(&format!("/_history/contact/?at={hidden}")).0, 404);
    }
}
