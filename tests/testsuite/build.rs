//! `loam build`, `check` and `init` run as a user runs them: the real binary on real gardens (the corpora in
//! `tests/corpora`, copied or built with `-o` into a temporary folder, never written to) and on small
//! gardens made here for one case each. Assertions read the files of the output folder.
//!
//! Long because each test is a whole scenario run the way a user runs it; they share the helpers of `garden.rs`.

use crate::garden::{corpus, Garden, TempGarden};
use crate::LOAM;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use regex::Regex;

/// `loam build GARDEN -o OUT --keep-going`, into the folder `out` beside the garden: the site is written even
/// where a note has an error, which these tests look for (`newcomer.rs` tests the build that stops at one), and
/// every warning is printed (`-v`), not the first few of each kind.
fn build(garden: &TempGarden) -> Run {
    let out = garden.beside("out");
    Run::of(&["build", garden.to_str().unwrap(), "-o", out.to_str().unwrap(), "--keep-going", "-v"], out.clone())
}

/// `loam check GARDEN`; its `out` is where a build would have written, to show that check writes nothing.
fn check(garden: &TempGarden) -> Run {
    Run::of(&["check", garden.to_str().unwrap()], garden.beside("out"))
}

struct Run {
    output: Output,
    out: PathBuf,
}

impl Run {
    fn of(args: &[&str], out: PathBuf) -> Run {
        let output = Command::new(LOAM).args(args).output().expect("loam runs");
        Run { output, out }
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    fn ok(self) -> Run {
        assert!(self.output.status.success(), "loam failed:\n{}", self.stderr());
        self
    }

    fn page(&self, path: &str) -> String {
        let file = self.out.join(path);
        std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{} should exist ({e}); stderr:\n{}", file.display(), self.stderr()))
    }

    fn exists(&self, path: &str) -> bool {
        self.out.join(path).exists()
    }

    fn files(&self) -> Vec<PathBuf> {
        walkdir::WalkDir::new(&self.out)
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect()
    }

    /// Every `href`/`src` in the site's HTML that stays inside the site but names no file of it.
    fn dangling_links(&self, base_path: &str) -> Vec<String> {
        // Inside a tag only: code blocks show `href="…"` as text, with `<` escaped.
        let attribute = Regex::new(r#"<[a-zA-Z][^<>]*?\s(?:href|src)="([^"]*)""#).unwrap();
        let mut dangling = Vec::new();
        for file in self.files() {
            if file.extension().is_none_or(|e| e != "html") {
                continue;
            }
            let html = std::fs::read_to_string(&file).unwrap();
            for capture in attribute.captures_iter(&html) {
                let raw = capture[1].replace("&amp;", "&").replace("&#39;", "'").replace("&quot;", "\"");
                if raw.contains("://") || raw.starts_with("mailto:") || raw.starts_with('#') || raw.starts_with("data:")
                {
                    continue;
                }
                let path = raw.split(['#', '?']).next().unwrap_or("");
                let decoded = percent_decode(path);
                let target = if let Some(inside) = decoded.strip_prefix(base_path) {
                    self.out.join(inside)
                } else if decoded.starts_with('/') {
                    dangling.push(format!("{}: {raw} (outside base path {base_path})", file.display()));
                    continue;
                } else {
                    file.parent().unwrap().join(&decoded)
                };
                let target =
                    if decoded.is_empty() || decoded.ends_with('/') { target.join("index.html") } else { target };
                if !target.is_file() {
                    dangling.push(format!("{}: {raw}", file.strip_prefix(&self.out).unwrap().display()));
                }
            }
        }
        dangling
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn build_corpus(name: &str) -> (tempfile::TempDir, Run) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let vault = corpus(name);
    let args = ["build", vault.to_str().unwrap(), "-o", out.to_str().unwrap(), "--keep-going", "-v"];
    let run = Run::of(&args, out.clone()).ok();
    (dir, run)
}

fn all_text(run: &Run) -> String {
    run.files()
        .iter()
        .map(|f| String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------------------------------
// The corpora

#[test]
fn quartz_docs_pages_links_images_and_the_draft() {
    let (_dir, run) = build_corpus("quartz-docs");
    assert!(run.exists("index.html"));
    assert!(run.exists("features/callouts/index.html"));
    assert!(run.exists("advanced/creating-components/index.html"));
    assert!(run.exists("images/quartz transform pipeline.png"), "embedded images are copied");
    // The draft note is absent: no page, no title anywhere.
    assert!(!run.exists("features/upcoming-features/index.html"));
    let everything = all_text(&run);
    assert!(!everything.contains("upcoming-features"), "the draft's slug leaked");
    // Wikilinks with labels and headings resolve to the right page.
    let wikilinks = run.page("features/wikilinks/index.html");
    assert!(wikilinks.contains(r#"href="/"#));
    let callouts = run.page("features/callouts/index.html");
    assert!(callouts.contains(r#"data-callout="warning""#), "callouts render");
    assert!(callouts.contains("<details class=\"callout\""), "foldable callouts render as details");
    // Literal examples in code are not interpreted.
    let compat = run.page("features/obsidian-compatibility/index.html");
    assert!(!compat.contains("\0"));
    let dangling = run.dangling_links("/");
    assert!(dangling.is_empty(), "dangling internal links:\n{}", dangling.join("\n"));
}

#[test]
fn superbenefit_vault_root_and_stale_links_resolve() {
    let (_dir, run) = build_corpus("superbenefit-ccc");
    // A vault-root `.md` link, written in a note of another folder.
    let index = run.page("docs/ics/ccc/archive/v0-19/g-future/index.html");
    assert!(
        index.contains(r#"href="/docs/ics/ccc/archive/v0-19/g-future/g-01-scaling-strategy/""#),
        "vault-root link should point at its page"
    );
    // A link whose folders went stale (`notes/ics/ccc/v0.2/…`) is unresolved, as in Obsidian, rather than sent to
    // another version of the note; the warning names the file of that name when it is published, never otherwise.
    let readme = run.page("docs/ics/ccc/archive/v0-19/b-overview/readme/index.html");
    assert!(!readme.contains("b-01-introduction/\""), "a stale link is not sent to a file of the same name");
    assert!(readme.contains("class=\"link-missing\""), "a stale link is shown as unresolved");
    assert!(
        run.stderr().contains(
            "`notes/ics/ccc/v0.2/G-Future/G.05-ics-credit-backing-model.md` points at no note in the garden; it is \
             shown as plain text\n  = help: a file of that name is at \
             `docs/ics/ccc/archive/v0.19/G-Future/G.05-ics-credit-backing-model.md`"
        ) && !run.stderr().contains("is at `docs/ics/ccc/archive/v0.2/B-Overview/B.01-introduction.md`"),
        "{}",
        run.stderr()
    );
    let dangling = run.dangling_links("/");
    assert!(dangling.is_empty(), "dangling internal links:\n{}", dangling.join("\n"));
}

#[test]
fn superbenefit_in_explicit_mode_publishes_nothing_and_leaks_nothing() {
    let garden = Garden::new()
        .corpus("superbenefit-ccc")
        .config("title = \"Commons\"\npublish_mode = \"explicit\"\ncontent = \".\"\n")
        .build();
    let run = build(&garden).ok();
    let everything = all_text(&run);
    for entry in walkdir::WalkDir::new(&garden) {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(stem) = name.strip_suffix(".md") else { continue };
        if stem.len() >= 8 {
            assert!(!everything.contains(stem), "the name `{stem}` leaked");
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        if let Some(title) = text.lines().find_map(|l| l.strip_prefix("title: ")) {
            let title = title.trim_matches('"');
            if title.len() >= 8 {
                assert!(!everything.contains(title), "the title `{title}` leaked");
            }
        }
    }
    assert!(!run.files().iter().any(|f| f.extension().is_some_and(|e| e == "png")), "no attachment is copied");
    let pages = run.files().iter().filter(|f| f.ends_with("index.html")).count();
    assert_eq!(pages, 3, "only the home page, the tag index and the graph page: {:?}", run.files());
    let graph = run.page("graph.json");
    assert!(graph.starts_with("{\"nodes\":[],\"links\":[],\"tags\":[]"), "the graph has no node: {graph}");
    // The search index (read above with every other file, for names and titles) lists no page either.
    let search = run.page("static/search/meta.json");
    assert!(search.contains("\"pages\":0") && search.contains("\"chunks\":[]"), "{search}");
}

#[test]
fn vault_of_knowledge_crlf_empty_and_other_scripts() {
    let (_dir, run) = build_corpus("vault-of-knowledge");
    let stderr = run.stderr();
    assert!(stderr.contains("built 2721 notes"), "{}", stderr.lines().last().unwrap_or(""));
    // Non-ASCII and emoji paths get readable slugs.
    let godel = walkdir::WalkDir::new(&run.out)
        .into_iter()
        .map(Result::unwrap)
        .find(|e| e.file_name().to_string_lossy().starts_with("gödel"))
        .expect("a page for Gödel's Incompleteness Theorem");
    assert!(godel.path().join("index.html").is_file());
    // Empty notes render as pages with their file name as title.
    let dangling = run.dangling_links("/");
    assert!(
        dangling.is_empty(),
        "{} dangling internal links, first:\n{}",
        dangling.len(),
        dangling.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
    // CRLF notes: no stray carriage returns in pages.
    let crlf_page = run
        .files()
        .into_iter()
        .filter(|f| f.ends_with("index.html"))
        .find(|f| std::fs::read_to_string(f).unwrap().contains('\r'));
    assert!(crlf_page.is_none(), "carriage return in {:?}", crlf_page);
    // Missing targets are reported and shown as text, never as links.
    assert!(stderr.contains("points at no note"), "broken links are reported");
}

// ---------------------------------------------------------------------------------------------------------------
// Privacy

#[test]
fn an_unpublished_note_leaves_no_trace() {
    let garden = Garden::new()
        .file("loam.toml", "title = \"Commons Garden\"\n")
        .file(
            "content/Secret Plan.md",
            "---\ntitle: Operation Nightjar\npublish: false\ntags: [covert-ops]\naliases: [Hidden Agenda]\n---\nThe code word is XYZZY-7781.\n\nIt links to [[Public]] too.\n",
        )
        .file(
            "content/Public.md",
            "---\ntags: [open]\n---\nSee [[Secret Plan]] and [[Secret Plan|the nightjar plan]] and [[Hidden Agenda]] and [[Secret Plan|details]] and [x](Secret%20Plan.md).\n\n![[Secret Plan]]\n\n#open\n",
        )
        .file("content/Other.md", "Links to [[Public]].\n")
        .build();
    let run = build(&garden).ok();
    let everything = all_text(&run).to_lowercase();
    for secret in ["xyzzy-7781", "secret plan", "secret-plan", "nightjar", "covert", "hidden agenda", "hidden-agenda"] {
        assert!(!everything.contains(secret), "`{secret}` leaked into the site");
    }
    let names: Vec<String> = run.files().iter().map(|f| f.to_string_lossy().to_lowercase()).collect();
    assert!(names.iter().all(|n| !n.contains("secret") && !n.contains("covert") && !n.contains("hidden")), "{names:?}");
    // The public note still renders; every link to the private note is neutral plain text.
    let public = run.page("public/index.html");
    assert!(public.contains("<span class=\"link-missing\">unpublished note</span>"));
    assert!(run.stderr().contains("not published"), "the link to the private note is reported");
}

/// A note written to act in every reader's browser, each attack naming `pwned` where only a script would.
const HOSTILE_NOTE: &str = "---\ndate: 2024-05-01\n---\n# Visitor\n\n\
    <script>window.pwned = 1</script>\n\n\
    Hello <img src=x onerror=\"window.pwned = 2\"> and <a href=\"javascript:window.pwned = 3\">a link</a>, \
    [markdown](javascript:pwned4) and <a href=\"jav&#x09;ascript:pwned5\">a tab</a>.\n\n\
    <iframe srcdoc=\"<script>parent.pwned = 6</script>\"></iframe>\n\n\
    <svg onload=\"window.pwned = 7\"><circle r=\"3\"/></svg>\n\n\
    <div style=\"background: url(javascript:pwned8)\">styled</div>\n\n\
    <!-- <script>pwned9</script> -->\n\n\
    <details><summary>More</summary>\n\nPress <kbd>Ctrl</kbd>, x<sup>2</sup> and [[Host]].\n\n</details>\n";

#[test]
fn a_notes_scripts_reach_no_page_feed_or_search_index() {
    let garden = Garden::new()
        .file("loam.toml", "title = \"Commons\"\nbase_url = \"https://example.org/\"\n")
        .file("content/Visitor.md", HOSTILE_NOTE)
        .file("content/Host.md", "---\ndate: 2024-05-02\n---\nIt embeds the visitor:\n\n![[Visitor]]\n")
        .build();
    let run = build(&garden).ok();
    assert!(run.exists("feed.xml") && run.exists("static/search/meta.json"));
    let everything = all_text(&run);
    assert!(everything.contains("Press <kbd>Ctrl</kbd>"), "the note's harmless HTML is kept");
    assert!(!everything.to_lowercase().contains("pwned"), "a script of the note reached the site");
    let page = run.page("visitor/index.html");
    assert!(page.contains("<details><summary>More</summary>"), "{page}");
    assert!(page.contains("<a class=\"internal\" href=\"/host/\">Host</a>"), "Loam's own links are kept: {page}");
    assert!(page.contains("<img src=\"x\">") && page.contains("<a>markdown</a>"), "{page}");
    assert!(run.page("host/index.html").contains("Press <kbd>Ctrl</kbd>"), "the transclusion is the clean note");
    let feed = run.page("feed.xml");
    assert!(feed.contains("Hello and a link"), "the feed's summary is the note's text: {feed}");
}

#[test]
fn unsafe_html_publishes_a_notes_html_as_written() {
    let garden = Garden::new()
        .file("loam.toml", "title = \"Mine\"\nunsafe_html = true\n")
        .file("content/Visitor.md", HOSTILE_NOTE)
        .file("content/Host.md", "Host.\n")
        .build();
    let run = build(&garden).ok();
    let page = run.page("visitor/index.html");
    for raw in [
        "<script>window.pwned = 1</script>",
        "<img src=x onerror=\"window.pwned = 2\">",
        "href=\"javascript:pwned4\"",
        "<svg onload=\"window.pwned = 7\">",
    ] {
        assert!(page.contains(raw), "`{raw}` is not in {page}");
    }
}

#[test]
fn pages_and_the_feed_show_contributors_and_the_last_edit_from_the_history() {
    let settings = |name: &str, extra: &str| format!("title = \"Commons\"\n{extra}[author]\nname = \"{name}\"\n");
    let garden = Garden::new()
        .config(&settings("Ada <Lovelace>", ""))
        .file("content/Plan.md", "---\ndate: 2020-01-02\n---\nThe plan.\n")
        .file("content/Other.md", "Other.\n")
        .build();
    let dated = |path: &str, secs: u64| {
        let file = std::fs::File::options().append(true).open(garden.join(path)).unwrap();
        file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)).unwrap();
    };
    // Written long before Loam saw them: the history dates each note by its file.
    dated("content/Plan.md", 1_600_000_000);
    dated("content/Other.md", 1_600_000_000);
    let import = |garden: &TempGarden| Run::of(&["import", garden.to_str().unwrap()], garden.beside("out")).ok();
    import(&garden);
    // Someone else edits the plan on this machine.
    garden
        .write("loam.toml", settings("Bo", ""))
        .write("content/Plan.md", "---\ndate: 2020-01-02\n---\nThe plan, revised.\n");
    dated("content/Plan.md", 1_700_000_000);
    import(&garden);

    let run = build(&garden).ok();
    let plan = run.page("plan/index.html");
    assert!(plan.contains("Last edited <time datetime=\"2023-11-14T22:13:20+00:00\">2023-11-14</time>"), "{plan}");
    assert!(plan.contains("Contributors: Ada &lt;Lovelace&gt;, Bo"), "{plan}");
    assert!(plan.contains("Published <time datetime=\"2020-01-02"), "the frontmatter's date stays");
    let other = run.page("other/index.html");
    assert!(other.contains("Contributor: Ada &lt;Lovelace&gt;") && other.contains(">2020-09-13</time>"), "{other}");
    // The feed dates the plan by its last edit, and lists it first.
    let feed = run.page("feed.xml");
    let (plan_at, other_at) = (feed.find("/plan/").unwrap(), feed.find("/other/").unwrap());
    assert!(plan_at < other_at && feed.contains("2023-11-14T22:13:20+00:00"), "{feed}");

    // Turned off: no names and no history dates anywhere.
    garden.write("loam.toml", settings("Bo", "show_history = false\n"));
    let run = build(&garden).ok();
    let everything = all_text(&run);
    assert!(!everything.contains("Lovelace") && !everything.contains("Last edited"));
    assert!(!everything.contains("2023-11-14"), "the feed goes back to the notes' own dates");
}

// ---------------------------------------------------------------------------------------------------------------
// Bad input: a clear message, and the build goes on

/// `loam build --keep-going` run from inside `dir` with no PATH argument, as a user in the garden's folder types
/// it; the site goes to `dir/public`, the rest of it written where notes have errors.
fn build_here_keep_going(dir: &std::path::Path) -> Run {
    let output = Command::new(LOAM).args(["build", "--keep-going"]).current_dir(dir).output().expect("loam runs");
    Run { output, out: dir.join("public") }
}

#[test]
fn unclear_publish_or_draft_leaves_the_note_unpublished_with_an_error_at_its_line_in_both_modes() {
    let mut garden = Garden::new();
    // (file stem, frontmatter line on line 3 of the file); every stem holds `hush`, which no published file may.
    let unclear = [
        ("hush-off", "publish: off"),
        ("hush-zero", "publish: 0"),
        ("hush-n", "publish: n"),
        ("hush-tilde", "publish: ~"),
        ("hush-empty", "publish:"),
        ("hush-list", "publish: [false]"),
        ("hush-yes-quoted", "publish: \"yes\""),
        ("hush-draft-one", "draft: 1"),
        ("hush-draft-on", "draft: on"),
        ("hush-draft-y", "draft: y"),
    ];
    for (stem, line) in unclear {
        // `publish: true` on line 2 is clear, so in explicit mode only the unclear line keeps the note out.
        let publish = if line.starts_with("draft") { "publish: true" } else { "tags: [hushtag]" };
        garden = garden.file(
            &format!("content/{stem}.md"),
            format!("---\n{publish}\n{line}\ntitle: Hushed {stem}\n---\nThe hushword is {stem}.\n\n[[Open]]\n"),
        );
    }
    let links: String = unclear.iter().map(|(stem, _)| format!("[[{stem}]] ")).collect();
    let garden = garden
        .file("content/Open.md", format!("---\npublish: TRUE\ndraft: \"False\"\n---\nOpen links to {links}\n"))
        .file("content/Closed.md", "---\npublish: \"FALSE\"\n---\nclosed\n")
        .build();
    for mode in ["all", "explicit"] {
        garden.write("loam.toml", format!("title = \"Quiet\"\npublish_mode = \"{mode}\"\n"));
        let run = build_here_keep_going(&garden).ok();
        let stderr = run.stderr();
        for (stem, line) in unclear {
            let key = line.split(':').next().unwrap();
            let expected = format!("{stem}.md:3: error: `{key}` is ");
            assert!(stderr.contains(&expected), "{mode}: no `{expected}` in\n{stderr}");
        }
        assert!(stderr.contains("not published") && stderr.contains("write `publish: true` or `publish: false`"));
        assert!(!stderr.contains("Open.md:2") && !stderr.contains("Closed.md"), "clear values are fine: {stderr}");
        let everything = all_text(&run).to_lowercase();
        assert!(!everything.contains("hush"), "{mode}: an unclear note reached the site");
        let names: Vec<String> = run.files().iter().map(|f| f.to_string_lossy().to_lowercase()).collect();
        assert!(names.iter().all(|n| !n.contains("hush")), "{mode}: {names:?}");
        // The site was made, with every place a note could show up in, and the clear `publish: TRUE` is in it.
        for file in ["open/index.html", "graph.json", "feed.xml", "sitemap.xml", "static/search/text/0.json"] {
            assert!(run.page(file).contains("open"), "{mode}: {file} should list the open note");
        }
        assert!(run.page("static/search/meta.json").contains("\"pages\":1,"), "{mode}: one page is searched");
        assert!(!run.exists("closed/index.html"), "`publish: \"FALSE\"` is a clear no");
        assert!(run.page("open/index.html").contains("link-missing"), "links to unclear notes are neutral");
    }
}

#[test]
fn broken_yaml_names_file_line_and_column_and_the_rest_builds() {
    let garden = Garden::new()
        .file("bad.md", "---\ntitle: Fine\ntags: [one, two\nmore: x\n---\nBody text\n")
        .file("good.md", "Hello [[bad]]\n")
        .build();
    let run = build(&garden).ok();
    let stderr = run.stderr();
    assert!(Regex::new(r"bad\.md:\d+:\d+: error: cannot read the frontmatter").unwrap().is_match(&stderr), "{stderr}");
    assert!(run.exists("good/index.html"));
    assert!(!run.exists("bad/index.html"), "a note whose frontmatter cannot be read is not published");
    let check = check(&garden);
    assert!(!check.output.status.success(), "check fails on broken YAML");
}

#[test]
fn encodings_line_endings_and_empty_files() {
    let garden = Garden::new()
        .file("latin1.md", b"caf\xe9 au lait\n".as_slice())
        .file("bom.md", "\u{feff}---\ntitle: With BOM\n---\n# Heading\n")
        .file("crlf.md", "---\r\ntitle: Windows\r\n---\r\nLine one\r\nline two [[bom]]\r\n")
        .file("empty.md", "")
        .file("blank.md", "\n\n   \n")
        .build();
    let run = build(&garden).ok();
    assert!(run.stderr().contains("latin1.md:1: warning: the file is not valid UTF-8"), "{}", run.stderr());
    assert!(run.page("latin1/index.html").contains("caf\u{fffd} au lait"));
    assert!(run.page("bom/index.html").contains("<h1 class=\"page-title\">With BOM</h1>"));
    let crlf = run.page("crlf/index.html");
    assert!(crlf.contains("Windows") && !crlf.contains('\r'));
    assert!(crlf.contains("href=\"/bom/\""));
    assert!(run.page("empty/index.html").contains(">empty</h1>"));
    assert!(run.exists("blank/index.html"));
}

#[test]
fn huge_and_deeply_nested_notes() {
    let paragraph = "Some words in a paragraph with a [[link]] and `code` and *emphasis*.\n\n";
    let big = paragraph.repeat(100 * 1024 * 1024 / paragraph.len());
    let mut nested = String::new();
    for depth in 0..10_000 {
        nested.push_str(&"  ".repeat(depth));
        nested.push_str("- item\n");
    }
    let garden = Garden::new()
        .file("huge.md", &big)
        .file("link.md", "small")
        .file("nested.md", &nested)
        .file("quotes.md", ">".repeat(10_000) + " deep")
        .build();
    let run = build(&garden).ok();
    assert!(run.page("huge/index.html").len() > 100 * 1024 * 1024);
    assert!(run.page("nested/index.html").contains("<li>item"));
    assert!(run.exists("quotes/index.html"));
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_reported_and_skipped() {
    let garden = Garden::new().file("notes/a.md", "A").build();
    std::os::unix::fs::symlink(garden.join("notes"), garden.join("notes/loop")).unwrap();
    let run = build(&garden).ok();
    assert!(run.stderr().contains("symbolic link loop"), "{}", run.stderr());
    assert!(run.exists("notes/a/index.html"));
}

#[test]
fn odd_file_names_and_slug_collisions() {
    let garden = Garden::new()
        .file(
            "with spaces.md",
            "x [[it's \"quoted\"]] [c](C%23%20%26%20100%25.md) [[🌱 Seedling]] [[Ωmega Ψ]] [[with spaces]]",
        )
        .file("it's \"quoted\".md", "q")
        .file("C# & 100%.md", "c")
        .file("🌱 Seedling.md", "s")
        .file("Ωmega Ψ.md", "o")
        .file("Note.md", "one")
        .file("sub/../note.md", "")
        .file("NOTE.markdown", "two")
        .build();
    let run = build(&garden).ok();
    let page = run.page("with-spaces/index.html");
    for href in ["/its-quoted/", "/c-100/", "/seedling/", "/ωmega-ψ/", "/with-spaces/"] {
        assert!(page.contains(&format!("href=\"{href}\"")), "missing {href} in {page}");
    }
    let stderr = run.stderr();
    assert!(stderr.contains("error") && stderr.contains("would both be published"), "{stderr}");
    assert!(stderr.contains("NOTE.markdown") && stderr.contains("Note.md"), "the collision names both files: {stderr}");
    assert!(run.exists("note/index.html") && run.exists("note-2/index.html"), "neither page is lost");
    assert!(run.dangling_links("/").is_empty());
}

#[test]
fn self_links_and_transclusion_cycles() {
    let garden = Garden::new()
        .file("a.md", "# Top\n\nSee [[a]] and [[#Top]].\n\n![[b]]\n")
        .file("b.md", "## Part\n\nFrom b. ![[a]]\n")
        .file("c.md", "![[c]]\n")
        .build();
    let run = build(&garden).ok();
    assert!(run.stderr().contains("would repeat forever"), "{}", run.stderr());
    let a = run.page("a/index.html");
    assert!(a.contains("From b."), "b is transcluded into a");
    assert!(a.contains("embed-cycle"));
    assert!(run.page("c/index.html").contains("embed-cycle"));
}

#[test]
fn transclusion_fan_out_cannot_blow_up_a_page() {
    // Ten notes that each embed the next one ten times: unchecked, the first page would hold 10^9 copies.
    let mut garden = Garden::new().file("n10.md", "bottom");
    for level in 0..10 {
        let embeds = format!("![[n{}]]\n\n", level + 1).repeat(10);
        garden = garden.file(&format!("n{level}.md"), format!("Level {level}\n\n{embeds}"));
    }
    let garden = garden.build();
    let run = build(&garden).ok();
    assert!(run.page("n0/index.html").len() < 5_000_000);
    assert!(run.stderr().contains("embeds in one page"), "{}", run.stderr());
}

// ---------------------------------------------------------------------------------------------------------------
// Markdown and Obsidian syntax, end to end

/// The first bytes of a PNG of `w` by `h` pixels: as far as any reader of sizes goes.
fn png(w: u32, h: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend(w.to_be_bytes());
    bytes.extend(h.to_be_bytes());
    bytes.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

#[test]
fn images_keep_their_place_with_their_own_size_and_only_the_first_near_the_top_comes_at_once() {
    let mut gif = b"GIF89a".to_vec();
    gif.extend(20u16.to_le_bytes());
    gif.extend(10u16.to_le_bytes());
    gif.extend([0; 8]);
    let garden = Garden::new()
        .file(
            "n.md",
            "# Pictures\n\n![[wide.png]]\n\n![[wide.png|300]] ![[wide.png|x100]] ![[wide.png|50x50]]\n\n\
             ![small](pics/small.gif) ![[broken.png]]\n",
        )
        .file("far.md", format!("# Far\n\n{}![[wide.png]]\n", "Words.\n\n".repeat(30)))
        .file("wide.png", png(800, 400))
        .file("pics/small.gif", gif)
        .file("broken.png", b"not an image".as_slice())
        .build();
    let run = build(&garden).ok();
    let page = run.page("n/index.html");
    let imgs: Vec<&str> =
        page.match_indices("<img ").map(|(at, _)| &page[at..at + page[at..].find('>').unwrap()]).collect();
    assert_eq!(imgs.len(), 6, "{imgs:#?}");
    // The first, near the top of the note: at once, in its own size.
    assert_eq!(imgs[0], "<img class=\"embed\" src=\"/wide.png\" alt=\"wide.png\" width=\"800\" height=\"400\"");
    // A width or a height written: the other side in proportion; both written: as written. Lazy from here on.
    assert!(imgs[1].ends_with("width=\"300\" height=\"150\" loading=\"lazy\""), "{}", imgs[1]);
    assert!(imgs[3].ends_with("width=\"50\" height=\"50\" loading=\"lazy\""), "{}", imgs[3]);
    assert!(
        imgs[4].contains("src=\"/pics/small.gif\" alt=\"small\" width=\"20\" height=\"10\" loading=\"lazy\""),
        "{}",
        imgs[4]
    );
    // A file that is no image it can read: no size, rather than a wrong one.
    assert!(imgs[5].contains("broken.png") && !imgs[5].contains("width="), "{}", imgs[5]);
    // The first image of a note, far down: lazy too.
    assert!(run.page("far/index.html").contains("width=\"800\" height=\"400\" loading=\"lazy\""));
}

#[test]
fn obsidian_syntax_renders_and_code_stays_literal() {
    let garden = Garden::new()
        .file(
            "n.md",
            "---\ntitle: Syntax\ntags: [area/topic]\n---\n# Title\n\n> [!warning]- Careful\n> folded body\n\n> [!NOTE]\n> plain\n\n\
             Text ==marked== and #inline-tag and %%secretcomment%% words. ^para-id\n\n\
             `[[not a link]] #nottag ==no==` and\n\n```\n[[also not]] %%kept%% #nope\n```\n\n\
             ![[img.png|300]] ![[other#Section]] [[other#^blk|block]] $e^x$\n\n[^1]\n\n[^1]: foot\n",
        )
        .file("other.md", "## Section\n\nSection text.\n\n## Next\n\nnot included\n\nA block. ^blk\n")
        .file("img.png", b"\x89PNG fake".as_slice())
        .build();
    let run = build(&garden).ok();
    let page = run.page("n/index.html");
    assert!(page.contains(
        "<details class=\"callout\" data-callout=\"warning\"><summary class=\"callout-title\"><span class=\"callout-title-inner\">Careful</span></summary>"
    ));
    assert!(page.contains("data-callout=\"note\""));
    assert!(page.contains("<mark>marked</mark>"));
    assert!(page.contains("href=\"/tags/inline-tag/\""));
    assert!(!page.contains("secretcomment"), "comments never reach the output");
    assert!(page.contains("id=\"^para-id\""));
    assert!(page.contains("<code>[[not a link]] #nottag ==no==</code>"));
    assert!(page.contains("[[also not]] %%kept%% #nope"));
    assert!(page.contains("<img class=\"embed\" src=\"/img.png\" alt=\"img.png\" width=\"300\""));
    assert!(page.contains("Section text.") && !page.contains("not included"), "a heading's section is transcluded");
    assert!(page.contains("href=\"/other/#%5Eblk\""));
    assert!(page.contains("math-inline"));
    assert!(run.exists("img.png"));
    assert!(run.exists("tags/area/topic/index.html") && run.exists("tags/area/index.html"));
    // Backlinks carry the sentence around the link.
    let other = run.page("other/index.html");
    assert!(other.contains("href=\"/n/\""), "backlink to n");
}

// ---------------------------------------------------------------------------------------------------------------
// The output folder

#[test]
fn rebuilds_touch_only_what_changed_and_never_foreign_files() {
    let garden = Garden::new().file("a.md", "A [[b]]").file("b.md", "B").file("c.md", "C").build();
    let out = garden.beside("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("CNAME"), "example.org").unwrap();
    std::fs::create_dir_all(out.join("c")).unwrap();
    std::fs::write(out.join("c/keep.txt"), "mine").unwrap();
    build(&garden).ok();
    // Dated long ago, so that a page written again shows by its time, however coarse the clock.
    let page = std::fs::File::options().append(true).open(out.join("a/index.html")).unwrap();
    page.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000)).unwrap();
    let before = std::fs::metadata(out.join("a/index.html")).unwrap().modified().unwrap();
    let run = build(&garden).ok();
    assert!(run.stderr().contains("0 written"), "{}", run.stderr());
    assert_eq!(std::fs::metadata(out.join("a/index.html")).unwrap().modified().unwrap(), before);
    std::fs::remove_file(garden.join("c.md")).unwrap();
    let run = build(&garden).ok();
    assert!(!run.exists("c/index.html"), "the deleted note's page is removed");
    assert!(run.exists("c/keep.txt") && run.exists("CNAME"), "files Loam did not write stay");
}

#[test]
fn base_url_with_a_sub_path() {
    let garden = Garden::new()
        .file("loam.toml", "title = \"G\"\nbase_url = \"https://example.org/garden/\"\n")
        .file("content/index.md", "Home [[a]] #t")
        .file("content/folder/a.md", "---\naliases: [Alpha]\ntags: [x/y]\n---\nA ![[pic.png]] [[index]]")
        .file("content/folder/pic.png", "png")
        .build();
    let run = build(&garden).ok();
    let dangling = run.dangling_links("/garden/");
    assert!(dangling.is_empty(), "{}", dangling.join("\n"));
    assert!(run.page("index.html").contains("href=\"/garden/folder/a/\""));
    assert!(run.page("feed.xml").contains("https://example.org/garden/"));
    assert!(run.page("sitemap.xml").contains("<loc>https://example.org/garden/folder/a/</loc>"));
    assert!(run.page("folder/alpha/index.html").contains("/garden/folder/a/"), "alias redirect");
}

// ---------------------------------------------------------------------------------------------------------------
// check, init, configuration, templates

#[test]
fn check_fails_on_broken_links_and_passes_on_our_docs() {
    let garden = Garden::new().file("a.md", "[[nowhere]]").build();
    let run = check(&garden);
    assert!(!run.output.status.success());
    assert!(run.stderr().contains("a.md:1: warning: `nowhere` points at no note"), "{}", run.stderr());
    assert!(!garden.beside("out").exists(), "check writes nothing");

    let docs = Run::of(&["check", env!("CARGO_MANIFEST_DIR")], PathBuf::new());
    assert!(docs.output.status.success(), "the repository's own garden has problems:\n{}", docs.stderr());
}

#[test]
fn quiet_shows_errors_and_counts_warnings_without_listing_them() {
    let garden = Garden::new().file("a.md", "[[nowhere]]").file("b.md", "---\npublish: maybe\n---\nb").build();
    let out = garden.beside("out");
    let run = Run::of(&["build", "-q", garden.to_str().unwrap(), "-o", out.to_str().unwrap()], out.clone());
    let stderr = run.stderr();
    assert!(!stderr.contains("warning: `nowhere` points at no note"), "{stderr}");
    assert!(stderr.contains("b.md:2: error:"), "errors are still shown: {stderr}");
    // That link's, and the base URL's (a plain folder has none: the sitemap can list only paths).
    assert!(stderr.contains("2 warnings"), "the warnings are still counted: {stderr}");
}

#[test]
fn init_makes_a_garden_that_builds_cleanly_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let garden = dir.path().join("my garden");
    Run::of(&["init", garden.to_str().unwrap()], PathBuf::new()).ok();
    assert!(garden.join("loam.toml").is_file() && garden.join("content/index.md").is_file());
    let out = dir.path().join("out");
    let run = Run::of(&["build", garden.to_str().unwrap(), "-o", out.to_str().unwrap()], out.clone()).ok();
    // One thing to set before publishing: where the site will be.
    assert!(run.stderr().contains("1 warning, 0 errors"), "{}", run.stderr());
    assert!(run.stderr().contains("loam.toml:5: warning: base_url `/` has no scheme and host"), "{}", run.stderr());
    assert!(run.page("sitemap.xml").contains("<loc>/first-note/</loc>"));
    assert!(!run.exists("ideas/draft/index.html"), "the sample draft stays unpublished");
    let out = dir.path().join("out-at");
    let args = ["build", garden.to_str().unwrap(), "-o", out.to_str().unwrap(), "-u", "https://garden.example/"];
    let run = Run::of(&args, out.clone()).ok();
    assert!(run.stderr().contains("0 warnings, 0 errors"), "{}", run.stderr());
    assert!(run.page("sitemap.xml").contains("<loc>https://garden.example/first-note/</loc>"));
    std::fs::write(garden.join("content/index.md"), "my words").unwrap();
    let again = Run::of(&["init", garden.to_str().unwrap()], PathBuf::new());
    assert!(!again.output.status.success());
    assert_eq!(std::fs::read_to_string(garden.join("content/index.md")).unwrap(), "my words");
}

/// `loam init ARGS` run in `cwd` with a HOME of its own (`home`, where git reads its settings) and `USER`.
fn init_in(cwd: &Path, home: &Path, user: &str, args: &[&str]) -> Output {
    Command::new(LOAM)
        .arg("init")
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env("USER", user)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_CONFIG_GLOBAL")
        .output()
        .expect("loam runs")
}

#[test]
fn init_finds_the_author_and_title_itself_works_where_it_is_run_and_takes_a_vault_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let (home, empty_home) = (dir.path().join("home"), dir.path().join("empty-home"));
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&empty_home).unwrap();
    // Quotes in a name, which git reads escaped and loam.toml must quote.
    std::fs::write(
        home.join(".gitconfig"),
        r#"[user]
	name = Ada \"Countess\" Lovelace
"#,
    )
    .unwrap();

    // No DIR: the current folder, titled after it; the author from git.
    let garden = dir.path().join("bee-notes");
    std::fs::create_dir(&garden).unwrap();
    let run = init_in(&garden, &home, "someone", &[]);
    let said = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{said}");
    assert!(said.contains("next:") && said.contains("  loam serve"), "the next steps, serve first: {said}");
    let toml = std::fs::read_to_string(garden.join("loam.toml")).unwrap();
    assert!(toml.contains("title = \"Bee notes\""), "{toml}");
    assert!(
        toml.contains(r#"name = 'Ada "Countess" Lovelace'"#) || toml.contains(r#"name = "Ada \"Countess\" Lovelace""#),
        "{toml}"
    );
    let out = dir.path().join("out");
    let args = ["build", garden.to_str().unwrap(), "-o", out.to_str().unwrap(), "-u", "https://bees.example/"];
    let built = Run::of(&args, out.clone()).ok();
    assert!(built.stderr().contains("0 warnings, 0 errors"), "{}", built.stderr());
    assert!(built.page("index.html").contains("Bee notes"));

    // Without git's name: the login name; a DIR given is where it goes, and the next steps say to go there.
    let run = init_in(dir.path(), &empty_home, "bo", &["second"]);
    let said = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success() && said.contains("  cd second\n  loam serve"), "{said}");
    assert!(std::fs::read_to_string(dir.path().join("second/loam.toml")).unwrap().contains("name = \"bo\""));

    // A vault as it is: only loam.toml, in the vault, whose notes are the vault's; nothing else written.
    let vault = dir.path().join("Vault");
    std::fs::create_dir_all(vault.join(".obsidian")).unwrap();
    std::fs::write(vault.join("Bees.md"), "# Bees\n\nThey dance.\n").unwrap();
    let run = init_in(dir.path(), &home, "ada", &["--vault", "Vault"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let toml = std::fs::read_to_string(vault.join("loam.toml")).unwrap();
    assert!(toml.contains("content = \".\"") && toml.contains("title = \"Vault\""), "{toml}");
    assert!(!vault.join("content").exists() && !vault.join("index.md").exists());
    let out = dir.path().join("vault-out");
    let built = Run::of(&["build", vault.to_str().unwrap(), "-o", out.to_str().unwrap()], out.clone()).ok();
    assert!(built.page("bees/index.html").contains("They dance."));
    // Or a garden elsewhere whose notes are the vault's.
    let run = init_in(dir.path(), &home, "ada", &["site", "--vault", "Vault"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let toml = std::fs::read_to_string(dir.path().join("site/loam.toml")).unwrap();
    assert!(toml.contains(&format!("content = \"{}\"", vault.canonicalize().unwrap().display())), "{toml}");
    let out = dir.path().join("site-out");
    let built =
        Run::of(&["build", dir.path().join("site").to_str().unwrap(), "-o", out.to_str().unwrap()], out.clone());
    assert!(built.ok().page("bees/index.html").contains("They dance."));
    // A folder of notes, `loam init` run in it as for a new garden: its notes are published as they are, with no
    // sample notes beside them (which would be all the site showed); a repository's README alone is no garden.
    let notes = dir.path().join("notes");
    std::fs::create_dir_all(&notes).unwrap();
    std::fs::write(notes.join("Wasps.md"), "# Wasps\n\nThey build.\n").unwrap();
    std::fs::write(notes.join("README.md"), "About these notes.\n").unwrap();
    let run = init_in(&notes, &home, "ada", &[]);
    let said = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(
        run.status.success() && said.contains("already holds a note") && said.contains("no sample notes"),
        "{said}"
    );
    assert!(std::fs::read_to_string(notes.join("loam.toml")).unwrap().contains("content = \".\""));
    assert!(!notes.join("content").exists());
    let out = dir.path().join("notes-out");
    let built = Run::of(&["build", notes.to_str().unwrap(), "-o", out.to_str().unwrap()], out.clone()).ok();
    assert!(built.page("wasps/index.html").contains("They build."));
    let repository = dir.path().join("repository");
    std::fs::create_dir_all(&repository).unwrap();
    std::fs::write(repository.join("README.md"), "A program.\n").unwrap();
    assert!(init_in(&repository, &home, "ada", &[]).status.success());
    assert!(repository.join("content/index.md").is_file(), "a README alone gets a new garden");
    // Never over a garden, nor for a vault that is not there.
    assert!(!init_in(dir.path(), &home, "ada", &["--vault", "Vault"]).status.success());
    assert!(!init_in(dir.path(), &home, "ada", &["third", "--vault", "Nowhere"]).status.success());
}

#[test]
fn the_version_names_its_commit_and_completions_are_written_for_each_shell() {
    let out = Command::new(LOAM).arg("--version").output().unwrap();
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(out.status.success() && line.starts_with(&format!("loam {} (", env!("CARGO_PKG_VERSION"))), "{line}");
    let commit = line.rsplit('(').next().unwrap().trim_end_matches(')');
    let hash = commit.trim_end_matches("+changes");
    let head =
        Command::new("git").args(["rev-parse", "--short=10", "HEAD"]).current_dir(env!("CARGO_MANIFEST_DIR")).output();
    match head {
        Ok(head) if head.status.success() => assert_eq!(hash, String::from_utf8_lossy(&head.stdout).trim(), "{line}"),
        _ => assert!(commit == "unknown commit" || hash.chars().all(|c| c.is_ascii_hexdigit()), "{line}"),
    }

    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = Command::new(LOAM).args(["completions", shell]).output().unwrap();
        let script = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
        for word in ["serve", "build", "init", "vault", "completions"] {
            assert!(script.contains(word), "{shell}'s script completes {word}");
        }
        std::fs::write(dir.path().join(shell), &script).unwrap();
    }
    // Bash reads its script without a syntax error (where there is a bash).
    if let Ok(checked) = Command::new("bash").arg("-n").arg(dir.path().join("bash")).output() {
        assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));
    }
    assert!(!Command::new(LOAM).args(["completions", "tcsh"]).output().unwrap().status.success());
}

#[test]
fn base_url_on_the_command_line_takes_the_place_of_loam_toml_s() {
    let garden = Garden::new()
        .file("loam.toml", "title = \"Bees\"\nbase_url = \"https://bees.example/\"\n")
        .file("content/index.md", "# Bees\n\nSee [[Hive]].\n")
        .file("content/Hive.md", "# Hive\n")
        .build();
    for flag in ["-u", "--base-url"] {
        let out = garden.beside(&format!("out{flag}"));
        let args =
            ["build", garden.to_str().unwrap(), "-o", out.to_str().unwrap(), flag, "https://preview.example/pr-7"];
        let run = Run::of(&args, out.clone()).ok();
        assert!(run.page("index.html").contains("href=\"/pr-7/hive/\""), "{}", run.page("index.html"));
        assert!(run.page("sitemap.xml").contains("<loc>https://preview.example/pr-7/hive/</loc>"));
        assert!(!run.page("sitemap.xml").contains("bees.example"));
    }
}

#[test]
fn a_garden_chooses_its_code_themes_and_an_unknown_one_is_named_with_the_choice() {
    let note = "```rust\nfn main() {}\n```\n";
    let garden = Garden::new()
        .file(
            "loam.toml",
            "title = \"x\"\n\n[highlight]\nlight = \"Solarized (light)\"\ndark = \"base16-mocha.dark\"\n",
        )
        .file("content/a.md", note)
        .build();
    let run = build(&garden).ok();
    let css = run.page("static/highlight.css");
    assert!(
        css.contains("Solarized (light) when the reader picked light") && css.contains("base16-mocha.dark"),
        "{css}"
    );
    assert!(css.contains("@layer loam {"));
    assert_ne!(css, include_str!("../../static/highlight.css"));

    let garden = Garden::new()
        .file("loam.toml", "title = \"x\"\n\n[highlight]\ndark = \"Monokai\"\n")
        .file("content/a.md", note)
        .build();
    let run = build(&garden);
    assert!(!run.output.status.success());
    let err = run.stderr();
    assert!(
        err.contains("loam.toml:4") && err.contains("\"Monokai\"") && err.contains("\"Solarized (dark)\""),
        "{err}"
    );
}

#[test]
fn the_files_publish_css_uses_are_published_and_its_fonts_preloaded() {
    let css = "@font-face { font-family: Inter; src: url(\"fonts/Inter%20Var.woff2\") format(\"woff2\"), url(fonts/inter.woff); }\n\
               @font-face { font-family: Far; src: url('../../etc/far.woff2'); }\n\
               body { background: url( 'img/paper.png?v=2' ); } h1 { background: url(https://cdn.example/x.png); }\n";
    let garden = Garden::new()
        .file("loam.toml", "title = \"Fonts\"\n")
        .file("content/publish.css", css)
        .file("content/fonts/Inter Var.woff2", "wOF2")
        .file("content/fonts/inter.woff", "wOFF")
        .file("content/img/paper.png", png(4, 4))
        .file("content/img/unused.png", png(4, 4))
        .file("content/a.md", "# A\n")
        .build();
    let run = build(&garden).ok();
    for used in ["fonts/Inter Var.woff2", "fonts/inter.woff", "img/paper.png", "publish.css"] {
        assert!(run.exists(used), "{used} is published with the stylesheet");
    }
    assert!(!run.exists("img/unused.png"), "what nothing uses stays unpublished");
    let page = run.page("a/index.html");
    assert!(
        page.contains(
            "<link rel=\"preload\" href=\"/fonts/Inter%20Var.woff2\" as=\"font\" type=\"font/woff2\" crossorigin>"
        ),
        "{page}"
    );
    assert_eq!(page.matches("rel=\"preload\"").count(), 1, "only WOFF2 fonts are preloaded");
}

#[test]
fn unknown_config_key_is_an_error_naming_it() {
    let garden =
        Garden::new().file("loam.toml", "title = \"x\"\npublsh_mode = \"all\"\n").file("content/a.md", "a").build();
    let run = build(&garden);
    assert!(!run.output.status.success());
    assert!(run.stderr().contains("publsh_mode") && run.stderr().contains("loam.toml:2"), "{}", run.stderr());
}

#[test]
fn a_gardens_templates_and_static_files_override_the_built_in_ones() {
    let garden = Garden::new()
        .file("loam.toml", "title = \"Own\"\n")
        .file("content/a.md", "---\nmood: sunny\n---\nText")
        .file("templates/note.html", "<h1>{{ note.title }}</h1><p>{{ note.extra.mood }}</p>{{ note.content | safe }}")
        .file("static/style.css", "body { color: green }")
        .file("static/extra.js", "1")
        .build();
    let run = build(&garden).ok();
    assert_eq!(run.page("a/index.html"), "<h1>a</h1><p>sunny</p><p>Text</p>\n");
    assert_eq!(run.page("static/style.css"), "body { color: green }");
    assert!(run.exists("static/extra.js") && run.exists("static/loam.js"));
}

#[test]
fn a_template_that_loops_over_backlinks_tags_and_breadcrumbs_gets_them() {
    let garden = Garden::new()
        .file("loam.toml", "")
        .file("content/f/a.md", "---\ntags: [x, y]\n---\nText")
        .file("content/b.md", "See [[a]] here.")
        .file(
            "templates/note.html",
            "{% for b in note.backlinks %}[{{ b.title }}: {{ b.context | safe }}]{% endfor %}\
             {% for t in note[\"tags\"] %}#{{ t.name }}{% endfor %}\
             {% for c in note.breadcrumbs %}/{{ c.title }}{% endfor %}",
        )
        .file(
            "templates/list.html",
            "{% for i in list.items %}{{ i.title }}{% for t in i.tags %}#{{ t.name }}{% endfor %},{% endfor %}",
        )
        .build();
    let run = build(&garden).ok();
    assert_eq!(run.page("f/a/index.html"), "[b: See <strong>a</strong> here.]#x#y/Home/f");
    assert_eq!(run.page("f/index.html"), "a#x#y,");
    assert_eq!(run.page("tags/x/index.html"), "a,");
}

#[test]
fn control_characters_in_file_names_reach_the_terminal_escaped() {
    let mut garden = Garden::new().file("Links.md", "[[nowhere\u{1b}[0m]]\n");
    // An escape sequence that would clear the screen and colour what follows, a bell, and a right-to-left override
    // that would show the rest of the name reversed, so that it reads as another.
    let names = ["esc\u{1b}[2J\u{1b}[31mred\u{7}.md", "bidi\u{202e}txt.md", "line\nfeed.md"];
    for name in names {
        garden = garden.file(name, "---\npublish: off\n---\nhidden\n");
    }
    let garden = garden.build();
    let run = build_here_keep_going(&garden).ok();
    let stderr = &run.output.stderr;
    assert!(!stderr.contains(&0x1b) && !stderr.contains(&0x07), "a raw control byte reached the terminal");
    let text = run.stderr();
    assert!(!text.contains('\u{202e}'), "a raw bidi override reached the terminal");
    for shown in
        ["esc\\u{1b}[2J\\u{1b}[31mred\\u{7}.md:2: error:", "bidi\\u{202e}txt.md:2: error:", "line\\nfeed.md:2:"]
    {
        assert!(text.contains(shown), "no `{shown}` in\n{text}");
    }
    assert!(text.contains("`nowhere\\u{1b}[0m`"), "a link's target is escaped too: {text}");
}

#[test]
fn names_that_differ_only_in_unicode_form_are_told_apart() {
    // `Café` typed with `é` as one character (NFC) and as `e` plus a combining accent (NFD): on Linux both files
    // can exist, and a terminal prints them alike.
    let garden = Garden::new()
        .file("Caf\u{e9}.md", "one character")
        .file("Cafe\u{301}.md", "with an accent")
        .file("Menu.md", "[[Café]]")
        .build();
    let run = build_here_keep_going(&garden).ok();
    let stderr = run.stderr();
    // Notes go in the order of their paths' bytes, where `e` comes before `é`.
    let expected = "`Cafe\u{301}.md` (NFD, 9 bytes) and `Caf\u{e9}.md` (NFC, 8 bytes) would both be published at \
                    `/caf\u{e9}/`, and differ only in Unicode form";
    assert!(stderr.contains(expected), "{stderr}");
    assert!(run.page("caf\u{e9}/index.html").contains("with an accent"));
    assert!(run.page("caf\u{e9}-2/index.html").contains("one character"), "neither page is lost");
}

#[test]
fn a_note_whose_url_is_a_folder_or_tag_page_becomes_its_text_and_nothing_is_written_twice() {
    let garden = Garden::new()
        .file("loam.toml", "")
        .file("content/Area.md", "All about the area.")
        .file("content/Area/inside.md", "Inside #plugin")
        .file("content/tags/plugin.md", "What plugins are.")
        .file("content/tags.md", "Every tag we use.")
        .build();
    let run = build(&garden).ok();
    let area = run.page("area/index.html");
    assert!(area.contains("All about the area.") && area.contains("inside/"), "{area}");
    let tag = run.page("tags/plugin/index.html");
    assert!(tag.contains("What plugins are.") && tag.contains("/area/inside/"), "{tag}");
    assert!(run.page("tags/index.html").contains("Every tag we use."));
    let manifest = run.page(".loam-manifest");
    let mut paths: Vec<&str> = manifest.lines().filter_map(|l| l.splitn(3, ' ').nth(2)).collect();
    let count = paths.len();
    paths.dedup();
    assert_eq!(paths.len(), count, "a file was written twice:\n{manifest}");
    assert_eq!(run.dangling_links("/"), Vec::<String>::new());
}

#[test]
fn alias_pages_are_the_same_bytes_whether_made_from_the_built_in_pattern_or_by_tera() {
    let notes = [
        ("content/Tom & Jerry.md", "---\naliases: [\"<Cat> & 'Mouse'\", Tom \"T\" J, Über Ärger]\n---\nText"),
        ("content/f/Plain.md", "---\naliases: plain alias\n---\nText"),
    ];
    let config = "title = \"A <b> & 'c'\"\nbase_url = \"https://example.org/g a/\"\n";
    let mut garden = Garden::new().config(config);
    for (path, text) in notes {
        garden = garden.file(path, text);
    }
    // The same template as a garden's own goes through Tera every time.
    let slow = garden.clone().file("templates/alias.html", include_str!("../../templates/alias.html")).build();
    let fast = garden.build();
    let (fast, slow) = (build(&fast).ok(), build(&slow).ok());
    let aliases = ["cat-mouse/index.html", "tom-t-j/index.html", "über-ärger/index.html", "f/plain-alias/index.html"];
    for alias in aliases {
        assert_eq!(fast.page(alias), slow.page(alias), "{alias}");
    }
    assert!(fast.page("cat-mouse/index.html").contains("Tom &amp; Jerry"));
}

/// The built-in note and alias pages are filled-in patterns (src/render/pattern.rs); the same templates given as
/// a garden's own go through Tera for every page. Both must give the same site, byte for byte.
#[test]
fn pages_from_the_built_in_patterns_are_the_pages_tera_makes() {
    for name in ["quartz-docs", "vault-of-knowledge"] {
        let garden = Garden::new()
            .corpus_at("content", name)
            .config("title = \"Q & <A>\"\nbase_url = \"https://example.org/sub dir/\"\n");
        let slow = garden
            .clone()
            .file("templates/note.html", include_str!("../../templates/note.html"))
            .file("templates/alias.html", include_str!("../../templates/alias.html"))
            .build();
        let fast = garden.build();
        let (fast, slow) = (build(&fast).ok(), build(&slow).ok());
        let relative = |run: &Run| -> Vec<PathBuf> {
            let mut files: Vec<PathBuf> =
                run.files().into_iter().map(|f| f.strip_prefix(&run.out).unwrap().to_path_buf()).collect();
            files.sort();
            files
        };
        let files = relative(&fast);
        assert!(files.len() > 50, "{name}: {} files", files.len());
        assert_eq!(files, relative(&slow), "{name}");
        // The feed dates notes without dates by their files' times, which differ between the two copies.
        let differ: Vec<_> = files
            .iter()
            .filter(|f| !matches!(f.to_str(), Some("feed.xml" | ".loam-manifest")))
            .filter(|f| std::fs::read(fast.out.join(f)).unwrap() != std::fs::read(slow.out.join(f)).unwrap())
            .collect();
        assert!(differ.is_empty(), "{name}: {differ:?} differ");
    }
}

#[test]
fn math_and_diagram_libraries_are_written_only_for_a_garden_that_uses_them() {
    let garden =
        Garden::new().file("content/Plain.md", "No formulas here, and no diagrams: a $5 bill and $10.\n").build();
    let run = build(&garden).ok();
    let out = run.out.clone();
    assert!(out.join("static/vendor/force-graph/force-graph.min.js").is_file(), "the graph is on every site");
    assert!(out.join("static/math.js").is_file() && out.join("static/mermaid.js").is_file());
    assert!(!out.join("static/vendor/katex").exists(), "no math, no KaTeX");
    assert!(!out.join("static/vendor/mermaid").exists(), "no diagram, no mermaid");
    assert!(!out.join("static/vendor/markdown-it").exists(), "no published history, no markdown-it");

    // An unpublished note's formula is on no page.
    garden.write("content/Secret.md", "---\npublish: false\n---\nEuler: $e^{i\\pi} + 1 = 0$\n");
    build(&garden).ok();
    assert!(!out.join("static/vendor/katex").exists(), "an unpublished formula needs no KaTeX");

    garden
        .write("content/Formula.md", "Euler: $e^{i\\pi} + 1 = 0$\n")
        .write("content/Plain.md", "![[Formula]]\n\n```mermaid\ngraph TD\n  A --> B\n```\n");
    build(&garden).ok();
    assert!(out.join("static/vendor/katex/katex.min.js").is_file());
    assert!(out.join("static/vendor/katex/katex.min.css").is_file());
    assert!(out.join("static/vendor/mermaid/mermaid.min.js").is_file());
}

#[test]
fn line_breaks_follow_the_vault_s_obsidian_setting() {
    // A plain vault (no loam.toml): Obsidian's default shows a single newline as a line break.
    let text = "# Poem\n\nfirst line\nsecond line\n";
    let vault = Garden::new().file("Poem.md", text).build();
    let page = build(&vault).ok().page("poem/index.html");
    assert!(page.contains("first line<br />\nsecond line"), "{page}");
    // The vault's own "Strict line breaks" (.obsidian/app.json) joins them, as Obsidian then shows them.
    let strict =
        Garden::new().file("Poem.md", text).file(".obsidian/app.json", r#"{"strictLineBreaks": true}"#).build();
    let page = build(&strict).ok().page("poem/index.html");
    assert!(page.contains("first line\nsecond line") && !page.contains("first line<br"), "{page}");
    // loam.toml has the last word, for a vault whose `.obsidian/` is beside it too.
    let told = Garden::new()
        .config("content = \".\"\nstrict_line_breaks = false\n")
        .file("Poem.md", text)
        .file(".obsidian/app.json", r#"{"strictLineBreaks": true}"#)
        .build();
    let page = build(&told).ok().page("poem/index.html");
    assert!(page.contains("first line<br />\nsecond line"), "{page}");
}

#[test]
fn a_description_is_in_the_meta_tags_and_shown_once() {
    let garden = Garden::new()
        .file("Lead.md", "---\ndescription: A short summary.\n---\nThe body says something else.\n")
        .file(
            "Same.md",
            "---\ndescription: The first sentence, copied.\n---\nThe first   sentence, *copied*. And more.\n",
        )
        .file("Prefix.md", "---\ndescription: The cat\n---\nThe caterpillar eats.\n")
        .build();
    let run = build(&garden).ok();
    let lead = run.page("lead/index.html");
    assert!(lead.contains("<meta name=\"description\" content=\"A short summary.\">"), "{lead}");
    assert!(lead.contains("<p class=\"page-description\">A short summary.</p>"), "{lead}");
    // The text begins with the description: the page does not say it twice, the meta tags still have it.
    let same = run.page("same/index.html");
    assert!(same.contains("<meta name=\"description\" content=\"The first sentence, copied.\">"), "{same}");
    assert!(!same.contains("page-description"), "{same}");
    // "The cat" is not how "The caterpillar" begins.
    assert!(run.page("prefix/index.html").contains("<p class=\"page-description\">The cat</p>"));
}

#[test]
fn a_vault_s_css_classes_stylesheet_and_icon_are_the_site_s() {
    let garden = Garden::new()
        .file("Styled.md", "---\ncssclasses: [wide, no-title]\ncssclass: old-style\n---\nText.\n")
        .file("Bad.md", "---\ncssclasses: \"ok x<y\"\n---\nText.\n")
        .file("Plain.md", "Text.\n")
        .file("publish.css", "body { color: teal }")
        .file("favicon.png", b"\x89PNG")
        .build();
    let run = build(&garden).ok();
    assert!(run.page("styled/index.html").contains("<article class=\"note wide no-title old-style\">"));
    assert!(run.page("plain/index.html").contains("<article class=\"note\">"));
    let bad = run.page("bad/index.html");
    assert!(bad.contains("<article class=\"note ok\">"), "{bad}");
    assert!(run.stderr().contains("Bad.md") && run.stderr().contains("not a class name"), "{}", run.stderr());
    // No note links to them, and they are published: after the theme's stylesheet, and as the icon.
    let page = run.page("plain/index.html");
    let theme = page.find("static/style.css").unwrap();
    let own = page.find("<link rel=\"stylesheet\" href=\"/publish.css\">").expect("publish.css is linked");
    assert!(own > theme, "the vault's stylesheet comes after the theme's");
    assert!(page.contains("<link rel=\"icon\" href=\"/favicon.png\">"), "{page}");
    assert_eq!(run.page("publish.css"), "body { color: teal }");
    assert!(run.exists("favicon.png"));
}

#[test]
fn sections_and_blocks_of_every_kind_embed_exactly_and_missing_ones_say_so() {
    let host = "# Host\n\n## Intro\n\nIntro words.\n\n## Repeat\n\nSee again: ![[#Intro]]\n\n![[Host#Repeat]]\n\n\
                ## Blocks\n\n![[Blocks#^callout]]\n\n![[Blocks#^list]]\n\n![[Blocks#^table]]\n\n![[Blocks#^code]]\n\n\
                ![[Blocks#^nothing]]\n\n![[#No such heading]]\n";
    let blocks = "# Blocks\n\nBefore.\n\n> [!tip] A [[Host|linked]] title\n> Inside the callout.\n\n^callout\n\n\
                  - one\n- two\n\n^list\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n^table\n\n```\nlet x = 1;\n```\n\n^code\n\n\
                  After.\n";
    let garden = Garden::new().file("Host.md", host).file("Blocks.md", blocks).build();
    let run = build(&garden).ok();
    let page = run.page("host/index.html");
    let content = &page[page.find("<div class=\"content\">").unwrap()..page.find("class=\"backlinks\"").unwrap()];
    // A section of the same note is embedded; the one that would hold itself is a link, once.
    assert_eq!(content.matches("Intro words.").count(), 3, "{content}");
    assert_eq!(content.matches("embed-cycle").count(), 1, "{content}");
    // Each block by its id: exactly that block, a callout with its box and its title's link.
    let embeds: Vec<&str> = content.split("<div class=\"embed\">").skip(1).collect();
    let callout = embeds.iter().find(|e| e.contains("Inside the callout.")).expect("the callout is embedded");
    assert!(callout.contains("callout") && callout.contains(">linked</a>"), "{callout}");
    assert!(!callout.contains("Before.") && !callout.contains("After."), "{callout}");
    assert!(embeds.iter().any(|e| e.contains("<li>one</li>") && !e.contains("Inside the callout")), "{content}");
    assert!(embeds.iter().any(|e| e.contains("<td>1</td>") && !e.contains("<li>")), "{content}");
    assert!(embeds.iter().any(|e| e.contains("let") && !e.contains("<td>")), "{content}");
    // Missing ones are said so, with a warning each, and never embed the whole note.
    assert_eq!(content.matches("Unable to find section").count(), 2, "{content}");
    assert!(!embeds.iter().any(|e| e.contains("Before.")), "{content}");
    let stderr = run.stderr();
    assert!(stderr.contains("block `^nothing` is not in `Blocks.md`"), "{stderr}");
    assert!(stderr.contains("heading `No such heading` is not in `Host.md`"), "{stderr}");
}

#[test]
fn a_permalink_makes_the_home_page_and_the_old_paths_redirect() {
    let garden = Garden::new()
        .file("Welcome.md", "---\npermalink: /\ntitle: Welcome\ncssclasses: front\n---\nThe front door.\n")
        .file("notes/Moved.md", "---\npermalink: elsewhere\naliases: [Archive/Old name, Short]\n---\nMoved here.\n")
        .build();
    let run = build(&garden).ok();
    let home = run.page("index.html");
    assert!(home.contains("The front door."), "{home}");
    assert_eq!(home.matches(">Welcome</h1>").count(), 1, "one title: {home}");
    assert!(home.contains("<article class=\"list list-home front\">"), "the note's classes: {home}");
    assert!(run.page("elsewhere/index.html").contains("Moved here."));
    // The note's path redirects to its permalink; a path alias from that path, a name beside the note.
    for old in ["notes/moved/index.html", "archive/old-name/index.html", "notes/short/index.html"] {
        assert!(run.page(old).contains("/elsewhere/"), "{old} redirects");
    }
    assert!(!run.exists("welcome/index.html") || run.page("welcome/index.html").contains("url=/\""));
}

#[test]
fn the_explorer_follows_the_navigation_order_of_loam_toml() {
    let garden = Garden::new()
        .config("content = \".\"\nnavigation = [\"Start here.md\", \"Guides\", \"Guides/Second\"]\n")
        .file("Apple.md", "a")
        .file("Start here.md", "s")
        .file("Guides/First.md", "f")
        .file("Guides/Second.md", "s")
        .build();
    let run = build(&garden).ok();
    let graph: serde_json::Value = serde_json::from_str(&run.page("graph.json")).unwrap();
    let order_of = |list: &str, title: &str| {
        let items = graph[list].as_array().unwrap();
        items.iter().find(|item| item["title"] == title).unwrap_or_else(|| panic!("{title} in {graph}"))["order"]
            .clone()
    };
    assert_eq!(order_of("nodes", "Start here"), 0);
    assert_eq!(order_of("folders", "Guides"), 1);
    assert_eq!(order_of("nodes", "Second"), 2);
    assert_eq!(order_of("nodes", "Apple"), serde_json::Value::Null, "the rest in natural order");
}

#[test]
fn a_permalink_over_the_graph_page_moves_the_graph_with_a_warning() {
    let garden =
        Garden::new().file("G.md", "---\npermalink: graph\n---\nMy graph note.\n").file("Other.md", "x").build();
    let run = build(&garden).ok();
    assert!(run.page("graph/index.html").contains("My graph note."));
    let moved = run.page("graph-2/index.html");
    assert!(moved.contains("data-graph=\"global\""), "{moved}");
    assert!(run.page("other/index.html").contains("href=\"/graph-2/\""), "the header's link follows it");
    let stderr = run.stderr();
    assert!(stderr.contains("G.md") && stderr.contains("graph page moves to `/graph-2/`"), "{stderr}");
}

#[test]
fn a_permalink_over_the_tag_index_or_a_folder_moves_that_page_with_a_warning() {
    let garden = Garden::new()
        .file("Tag list.md", "---\npermalink: tags\n---\nMy own list of tags.\n")
        .file("Overview.md", "---\npermalink: guides\n---\nMy guide overview, not the folder's list.\n")
        .file("Guides/One.md", "#plant The first guide. See [[Guides/]].\n")
        .file("Guides/Two.md", "The second guide.\n")
        .build();
    let run = build(&garden).ok();
    let stderr = run.stderr();
    // The tag index.
    let note = run.page("tags/index.html");
    assert!(note.contains("My own list of tags.") && !note.contains("href=\"/tags/plant/\""), "{note}");
    let index = run.page("tags-2/index.html");
    assert!(index.contains("href=\"/tags/plant/\""), "the tag index moved whole: {index}");
    assert!(run.page("tags/plant/index.html").contains("href=\"/guides/one/\""), "tag pages stay");
    assert!(run.page("guides/one/index.html").contains("href=\"/tags-2/\""), "the header's link follows it");
    assert!(stderr.contains("Tag list.md") && stderr.contains("the tag index moves to `/tags-2/`"), "{stderr}");
    // The folder.
    let note = run.page("guides/index.html");
    assert!(note.contains("My guide overview") && !note.contains("The second guide"), "{note}");
    let folder = run.page("guides-2/index.html");
    assert!(folder.contains("href=\"/guides/two/\""), "the folder's page moved whole: {folder}");
    assert!(run.page("guides/two/index.html").contains("The second guide."), "its notes keep their URLs");
    assert!(run.page("guides/one/index.html").contains("href=\"/guides-2/\""), "a link to the folder follows it");
    let graph: serde_json::Value = serde_json::from_str(&run.page("graph.json")).unwrap();
    assert!(graph["folders"].as_array().unwrap().iter().any(|f| f["url"] == "/guides-2/"), "the explorer's too");
    assert!(stderr.contains("Overview.md") && stderr.contains("the folder's page moves to `/guides-2/`"), "{stderr}");
}

#[test]
fn embedded_notes_bring_their_own_footnotes_with_ids_of_their_own() {
    let garden = Garden::new()
        .config("content = \".\"\nlanguage = \"fr\"\n")
        .file("Host.md", "Host claim[^1].\n\n![[Source]]\n\n![[Source#Second]]\n\n[^1]: The host's note.\n")
        .file(
            "Source.md",
            "# First\n\nOne[^a].\n\n# Second\n\nTwo^[inline in second] and [[Host]].\n\n[^a]: Note of the first part.\n",
        )
        .build();
    let run = build(&garden).ok();
    let page = run.page("host/index.html");
    let ids: Vec<&str> = page.split("id=\"").skip(1).map(|rest| rest.split('"').next().unwrap()).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "no id twice on the page: {ids:?}");
    // Every footnote link leads to an element of the page.
    for href in page.split("href=\"#").skip(1).map(|rest| rest.split('"').next().unwrap()) {
        if href.contains("fn") {
            assert!(ids.contains(&href), "#{href} leads nowhere: {page}");
        }
    }
    assert_eq!(page.matches("Note of the first part.").count(), 1, "the whole note's embed has it, the section's not");
    assert_eq!(page.matches("inline in second").count(), 2, "both embeds hold the second part's footnote");
    assert_eq!(page.matches("The host's note.").count(), 1);
    assert!(page.contains("aria-label=\"Retour à la référence 1\""), "{page}");
    assert!(!page.contains("Back to reference"), "{page}");
}

/// As in Obsidian's help vault: a permalinked note lists its own path among its aliases, and names one page
/// twice (`Gifting` beside it and `Payment/Gifting`). Both redirects go to the note; nothing to warn about.
#[test]
fn aliases_naming_the_note_s_own_path_or_one_page_twice_are_no_conflict() {
    let garden = Garden::new()
        .file(
            "Payment/Credit.md",
            "---\naliases:\n  - Payment/Credit\n  - Gifting\n  - Payment/Gifting\npermalink: credit\n---\nCredit.\n",
        )
        .file("Zed.md", "---\naliases: [Payment/Gifting, Payment/gifting]\n---\nAnother note wants the same page.\n")
        .build();
    let run = build(&garden).ok();
    let stderr = run.stderr();
    assert!(run.page("payment/credit/index.html").contains("/credit/"), "the path redirects to the permalink");
    assert!(run.page("payment/gifting/index.html").contains("/credit/"), "the alias redirects to the note");
    assert!(!stderr.contains("Payment/Credit.md:1: warning"), "{stderr}");
    assert!(stderr.contains("Zed.md:1: warning: the alias `Payment/Gifting` would replace the page"), "{stderr}");
    assert_eq!(stderr.matches("would replace the page").count(), 1, "one warning for one page: {stderr}");
}

/// Many vaults begin each note with `# Its title` (written before Obsidian showed an inline title): the page
/// shows the title once, with the heading's id, so that `[[Alpha#Alpha]]` still lands; the outline leaves it out.
#[test]
fn a_note_beginning_with_its_title_as_a_heading_shows_it_once() {
    let garden = Garden::new()
        .file("Alpha.md", "# Alpha\n\nThe alpha text.\n\n## Part\n\nMore.\n\n## Two\n\nx\n")
        .file("Beta.md", "# Something else\n\nSee [[Alpha#Alpha]].\n")
        .build();
    let run = build(&garden).ok();
    let alpha = run.page("alpha/index.html");
    assert_eq!(alpha.matches("<h1").count(), 1, "{alpha}");
    assert!(alpha.contains("<h1 class=\"page-title\" id=\"alpha\">Alpha</h1>"), "{alpha}");
    assert!(!alpha.contains("href=\"#alpha\""), "the outline leaves the title out: {alpha}");
    let beta = run.page("beta/index.html");
    assert!(beta.contains("href=\"/alpha/#alpha\""), "{beta}");
    assert!(beta.contains("<h1 class=\"page-title\">Beta</h1>") && beta.contains(">Something else</h1>"), "{beta}");
}

#[test]
fn folder_and_tag_counts_are_in_the_garden_s_language() {
    let garden = Garden::new()
        .config("content = \".\"\nlanguage = \"de\"\n")
        .file("Ordner/A.md", "#pflanze eins\n")
        .file("Ordner/B.md", "zwei\n")
        .file("Einzeln/C.md", "drei\n")
        .build();
    let run = build(&garden).ok();
    let home = run.page("index.html");
    assert!(home.contains("2 Notizen</span>") && home.contains("1 Notiz</span>"), "{home}");
    assert!(run.page("tags/index.html").contains("1<span class=\"visually-hidden\"> Notiz</span>"));
}

#[test]
fn the_interface_speaks_the_garden_s_language_and_its_own_words() {
    let garden = Garden::new()
        .config(
            "content = \".\"\nlanguage = \"fr\"\n[strings]\nbacklinks_title = \"Ils en parlent\"\nbaclinks = \"x\"\n",
        )
        .file("Note.md", "---\ncreated: 2024-01-02\n---\n## One\n\nSee [[Other]] and [[Hidden]].\n\n## Two\n\nMore.\n")
        .file("Other.md", "Back to [[Note]].\n")
        .file("Hidden.md", "---\npublish: false\n---\nSecret.\n")
        .build();
    let run = build(&garden).ok();
    let page = run.page("note/index.html");
    assert!(page.contains("<html lang=\"fr\""), "{page}");
    for words in [
        "placeholder=\"Rechercher\"",
        ">Sommaire<",
        ">Ils en parlent<",
        ">Graphe<",
        "Créé <time",
        "note non publiée",
        "aria-label=\"Fil d’Ariane\"",
    ] {
        assert!(page.contains(words), "{words}: {page}");
    }
    assert!(run.page("404.html").contains("Page introuvable"));
    let graph = run.page("graph/index.html");
    for words in ["Toutes les notes publiées", "data-label=\"Graphe des notes", "dessiné avec JavaScript"] {
        assert!(graph.contains(words), "{words}: {graph}");
    }
    assert!(graph.contains("&quot;show_tags&quot;:&quot;Afficher les étiquettes&quot;"), "for graph.js: {graph}");
    let tags = run.page("tags/index.html");
    assert!(tags.contains("<a href=\"/\">Accueil</a>") && tags.contains(">Étiquettes</h1>"), "{tags}");
    let stderr = run.stderr();
    assert!(stderr.contains("loam.toml") && stderr.contains("`baclinks`"), "a misspelt key is reported: {stderr}");
}
