use automerge::transaction::CommitOptions;
use proptest::prelude::*;
use serde_yaml::{Mapping, Value as Yaml};

use super::*;

/// A note's document with `text`, made by an author of its own.
fn note(text: &str) -> Automerge {
    let mut doc = Automerge::new().with_actor(ActorId::from(&[1u8; 16][..]));
    let mut tx = doc.transaction();
    let object = tx.put_object(ROOT, "text", ObjType::Text).unwrap();
    tx.splice_text(&object, 0, 0, text).unwrap();
    tx.commit_with(CommitOptions::default().with_time(100));
    doc
}

/// `doc` forked for another author (`n`).
fn author(doc: &Automerge, n: u8) -> Automerge {
    doc.fork().with_actor(ActorId::from(&[n; 16][..]))
}

/// The note saved with `new` as its text, as the store records an edit (a diff of the text), at `time`.
fn save(doc: &mut Automerge, new: &str, time: i64) {
    let (_, text) = doc.get(ROOT, "text").unwrap().unwrap();
    let old = doc.text(&text).unwrap();
    let mut tx = doc.transaction();
    for splice in diff::splices(&old, new, std::time::Duration::from_secs(60)).iter().rev() {
        tx.splice_text(&text, splice.at, splice.delete as isize, &splice.insert).unwrap();
    }
    tx.commit_with(CommitOptions::default().with_time(time));
}

fn text(doc: &Automerge) -> String {
    let (_, text) = doc.get(ROOT, "text").unwrap().unwrap();
    doc.text(&text).unwrap()
}

/// Each takes in the other's changes and settles what they merged; returns their texts.
fn exchange(a: &mut Automerge, b: &mut Automerge) {
    a.merge(&mut b.clone()).unwrap();
    b.merge(&mut a.clone()).unwrap();
    settle(a).unwrap();
    settle(b).unwrap();
}

fn frontmatter(text: &str) -> Mapping {
    let yaml = split_frontmatter(text).0.expect("the note has frontmatter");
    match serde_yaml::from_str::<Yaml>(yaml).expect("the frontmatter is valid YAML") {
        Yaml::Mapping(map) => map,
        Yaml::Null => Mapping::new(),
        other => panic!("frontmatter that is not a mapping: {other:?}"),
    }
}

#[test]
fn two_authors_adding_the_first_tags_at_once() {
    let base = note("---\ntitle: Soil\n---\nWorms live here.\n");
    let (mut ada, mut bo) = (author(&base, 2), author(&base, 3));
    save(&mut ada, "---\ntitle: Soil\ntags: [compost]\n---\nWorms live here.\n", 200);
    save(&mut bo, "---\ntitle: Soil\ntags:\n  - worms\n---\nWorms live here.\nAnd beetles.\n", 300);
    // What a merge of text alone gives: the key twice, which no YAML reader takes.
    let mut text_only = ada.clone();
    text_only.merge(&mut bo.clone()).unwrap();
    assert!(serde_yaml::from_str::<Yaml>(split_frontmatter(&text(&text_only)).0.unwrap()).is_err());

    exchange(&mut ada, &mut bo);
    assert_eq!(text(&ada), "---\ntitle: Soil\ntags:\n  - worms\n  - compost\n---\nWorms live here.\nAnd beetles.\n");
    // Both made the same change: one head, one history.
    assert_eq!(ada.get_heads(), bo.get_heads());
    assert_eq!(ada.get_heads().len(), 1);
    let change = ada.get_change_by_hash(&ada.get_heads()[0]).unwrap();
    let about: About = serde_json::from_str(change.message().unwrap()).unwrap();
    assert_eq!(about.kind, "merge of frontmatter: tags");
    assert_eq!(about.author, "");
    assert_eq!(change.timestamp(), 300);
    // Nothing more to do.
    assert_eq!(settle(&mut ada).unwrap(), None);
}

#[test]
fn a_flow_list_edited_while_an_editor_rewrote_it_as_a_block_list() {
    let base = note("---\ntags: [a, b]\n---\nBody.\n");
    let (mut ada, mut bo) = (author(&base, 2), author(&base, 3));
    save(&mut ada, "---\ntags: [a, b, c]\n---\nBody.\n", 200);
    save(&mut bo, "---\ntags:\n  - a\n  - b\n---\nBody.\n", 300);
    let mut text_only = ada.clone();
    text_only.merge(&mut bo.clone()).unwrap();
    let bogus = frontmatter(&text(&text_only));
    assert_ne!(bogus["tags"], serde_yaml::from_str::<Yaml>("[a, b, c]").unwrap(), "the text merge: {bogus:?}");

    exchange(&mut ada, &mut bo);
    assert_eq!(text(&ada), "---\ntags:\n  - a\n  - b\n  - c\n---\nBody.\n");
    assert_eq!(ada.get_heads(), bo.get_heads());
}

#[test]
fn concurrent_edits_elsewhere_are_left_to_the_text_merge() {
    let base = note("---\ntitle: Soil\n---\nOne.\n");
    let (mut ada, mut bo) = (author(&base, 2), author(&base, 3));
    save(&mut ada, "---\ntitle: Loam\n---\nOne.\n", 200);
    save(&mut bo, "---\ntitle: Soil\n---\nOne.\nTwo.\n", 300);
    ada.merge(&mut bo).unwrap();
    assert_eq!(settle(&mut ada).unwrap(), None);
    assert_eq!(text(&ada), "---\ntitle: Loam\n---\nOne.\nTwo.\n");
}

#[test]
fn both_adding_frontmatter_to_a_note_without_any() {
    let base = note("Prose.\n");
    let (mut ada, mut bo) = (author(&base, 2), author(&base, 3));
    save(&mut ada, "---\ntags: [a]\n---\nMore first.\nProse.\n", 200);
    save(&mut bo, "---\ntitle: B\n---\nProse.\n", 300);
    exchange(&mut ada, &mut bo);
    let merged = text(&ada);
    assert_eq!(frontmatter(&merged).len(), 2, "{merged}");
    assert!(merged.ends_with("---\nMore first.\nProse.\n"), "{merged}");
    assert_eq!(ada.get_heads(), bo.get_heads());
}

#[test]
fn three_authors_come_to_one_text() {
    let base = note("---\ntitle: Soil\ntags: [a]\n---\nBody.\n");
    let mut peers: Vec<Automerge> = (2..5).map(|n| author(&base, n)).collect();
    for (n, peer) in peers.iter_mut().enumerate() {
        save(peer, &format!("---\ntitle: Soil\ntags: [a, t{n}]\nkey{n}: {n}\n---\nBody.\n"), 200 + n as i64);
    }
    // Ada and Bo meet first, then Cy meets each, then all again.
    let (ada, rest) = peers.split_at_mut(1);
    let (bo, cy) = rest.split_at_mut(1);
    let (ada, bo, cy) = (&mut ada[0], &mut bo[0], &mut cy[0]);
    exchange(ada, bo);
    exchange(cy, ada);
    exchange(bo, cy);
    exchange(ada, bo);
    exchange(cy, ada);
    assert_eq!(text(ada), text(bo));
    assert_eq!(text(bo), text(cy));
    let merged = frontmatter(&text(ada));
    let tags: Vec<&str> = merged["tags"].as_sequence().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    for tag in ["a", "t0", "t1", "t2"] {
        assert!(tags.contains(&tag), "{tags:?}");
    }
    assert_eq!(tags.len(), 4, "{tags:?}");
    for n in 0..3 {
        assert!(merged.contains_key(format!("key{n}").as_str()));
    }
    assert!(text(ada).ends_with("---\nBody.\n"));
}

/// What one author does to the frontmatter.
#[derive(Debug, Clone)]
enum Edit {
    AddTag(u8),
    RemoveTag(u8),
    AddKey(u8),
    SetTitle(u8),
    /// Rewrites the tags as a flow list (`true`) or a block list.
    Restyle(bool),
    AppendLine(u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..6u8).prop_map(Edit::AddTag),
        (0..6u8).prop_map(Edit::RemoveTag),
        (0..6u8).prop_map(Edit::AddKey),
        (0..3u8).prop_map(Edit::SetTitle),
        any::<bool>().prop_map(Edit::Restyle),
        (0..3u8).prop_map(Edit::AppendLine),
    ]
}

/// A note as an author sees it: its frontmatter's entries in order, whether tags are a flow list, its body.
#[derive(Debug, Clone)]
struct Draft {
    title: Option<String>,
    tags: Option<Vec<String>>,
    flow: bool,
    keys: Vec<(String, String)>,
    body: String,
}

impl Draft {
    fn text(&self) -> String {
        let mut yaml = String::new();
        if let Some(title) = &self.title {
            yaml.push_str(&format!("title: {title}\n"));
        }
        if let Some(tags) = &self.tags {
            if self.flow {
                yaml.push_str(&format!("tags: [{}]\n", tags.join(", ")));
            } else if tags.is_empty() {
                yaml.push_str("tags: []\n");
            } else {
                yaml.push_str("tags:\n");
                tags.iter().for_each(|tag| yaml.push_str(&format!("  - {tag}\n")));
            }
        }
        for (key, value) in &self.keys {
            yaml.push_str(&format!("{key}: {value}\n"));
        }
        if yaml.is_empty() {
            self.body.clone()
        } else {
            format!("---\n{yaml}---\n{}", self.body)
        }
    }

    /// Applies `edit` as the author `who`, noting the keys it adds.
    fn apply(&mut self, edit: &Edit, who: u8, keys: &mut Vec<String>) {
        match edit {
            Edit::AddTag(n) => {
                let tag = format!("tag{n}");
                let tags = self.tags.get_or_insert_with(Vec::new);
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
            Edit::RemoveTag(n) => {
                let tag = format!("tag{n}");
                if let Some(tags) = &mut self.tags {
                    tags.retain(|t| *t != tag);
                }
            }
            Edit::AddKey(n) => {
                let key = format!("k{who}x{n}");
                if !self.keys.iter().any(|(k, _)| *k == key) {
                    self.keys.push((key.clone(), format!("v{n}")));
                    keys.push(key);
                }
            }
            Edit::SetTitle(n) => self.title = Some(format!("Title {who}{n}")),
            Edit::Restyle(flow) => self.flow = *flow,
            Edit::AppendLine(n) => self.body.push_str(&format!("line {who}{n}\n")),
        }
    }
}

fn draft() -> impl Strategy<Value = Draft> {
    (
        proptest::option::of(Just("Soil".to_string())),
        proptest::option::of(proptest::collection::btree_set(0..6u8, 0..4)),
        any::<bool>(),
        proptest::collection::vec((0..4u8, 0..9u8), 0..3),
    )
        .prop_map(|(title, tags, flow, keys)| {
            let mut seen = BTreeSet::new();
            Draft {
                title,
                tags: tags.map(|tags| tags.into_iter().map(|n| format!("tag{n}")).collect()),
                flow,
                keys: keys
                    .into_iter()
                    .filter(|(k, _)| seen.insert(*k))
                    .map(|(k, v)| (format!("base{k}"), format!("{v}")))
                    .collect(),
                body: "Body.\n".into(),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Random concurrent edits of one note's frontmatter by two authors, each saving after every edit, always
    /// end in the same text on both, with valid YAML holding every key and tag either added, none either
    /// removed, and both authors' lines in the body.
    #[test]
    fn concurrent_frontmatter_edits_always_end_in_valid_yaml_holding_every_addition(
        start in draft(),
        ada_edits in proptest::collection::vec(edit(), 1..6),
        bo_edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let base = note(&start.text());
        let (mut ada, mut bo) = (author(&base, 2), author(&base, 3));
        let (mut added, mut removed, mut keys, mut lines) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (doc, edits, who) in [(&mut ada, &ada_edits, 2u8), (&mut bo, &bo_edits, 3u8)] {
            let mut draft = start.clone();
            for (n, edit) in edits.iter().enumerate() {
                draft.apply(edit, who, &mut keys);
                if let Edit::AppendLine(line) = edit {
                    lines.push(format!("line {who}{line}\n"));
                }
                save(doc, &draft.text(), 200 + 10 * who as i64 + n as i64);
            }
            // What the author did in the end, against the note as it began.
            let (before, after) = (start.tags.clone().unwrap_or_default(), draft.tags.clone().unwrap_or_default());
            added.extend(after.iter().filter(|tag| !before.contains(tag)).cloned());
            removed.extend(before.iter().filter(|tag| !after.contains(tag)).cloned());
        }
        exchange(&mut ada, &mut bo);
        let merged = text(&ada);
        prop_assert_eq!(&merged, &text(&bo));
        prop_assert_eq!(ada.get_heads(), bo.get_heads());
        let changed_front = !added.is_empty() || !removed.is_empty() || !keys.is_empty();
        if changed_front || start.title.is_some() || start.tags.is_some() || !start.keys.is_empty() {
            let front = frontmatter(&merged);
            let tags: Vec<String> = match front.get("tags") {
                Some(Yaml::Sequence(tags)) => tags.iter().map(|t| t.as_str().unwrap().to_string()).collect(),
                _ => Vec::new(),
            };
            for tag in &added {
                prop_assert!(tags.contains(tag), "{} lost from {}", tag, merged);
            }
            for tag in removed.iter().filter(|tag| !added.contains(tag)) {
                prop_assert!(!tags.contains(tag), "{} came back in {}", tag, merged);
            }
            let mut unique = tags.clone();
            unique.dedup();
            prop_assert_eq!(unique.len(), tags.len());
            for key in &keys {
                prop_assert!(front.contains_key(key.as_str()), "{} lost from {}", key, merged);
            }
        }
        for line in &lines {
            prop_assert!(merged.contains(line.as_str()), "{} lost from {}", line, merged);
        }
        prop_assert!(merged.contains("Body.\n"));
    }
}
