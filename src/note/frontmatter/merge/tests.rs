use super::*;

fn merged(base: Option<&str>, sides: &[&str]) -> String {
    merge(base, sides).expect("every side is a mapping").yaml
}

#[test]
fn two_authors_adding_the_first_tags_keep_both() {
    let base = "title: Soil\n";
    let ada = "title: Soil\ntags: [compost]\n";
    let bo = "title: Soil\ntags: [worms]\n";
    let out = merge(Some(base), &[ada, bo]).unwrap();
    assert_eq!(out.yaml, "title: Soil\ntags: [worms, compost]\n");
    assert_eq!(out.keys, ["tags"]);
    // The text merge of the same would have written the key twice, which YAML refuses.
    assert!(serde_yaml::from_str::<Value>("title: Soil\ntags: [compost]\ntags: [worms]\n").is_err());
}

#[test]
fn a_flow_list_edited_while_an_editor_rewrote_it_as_a_block_list() {
    let base = "tags: [a, b]\n";
    let ada = "tags: [a, b, c]\n";
    let bo = "tags:\n  - a\n  - b\n";
    // Bo's rewrite came last: his style, Ada's new item.
    assert_eq!(merged(Some(base), &[ada, bo]), "tags:\n  - a\n  - b\n  - c\n");
    // Ada's edit came last: her style.
    assert_eq!(merged(Some(base), &[bo, ada]), "tags: [a, b, c]\n");
}

#[test]
fn a_block_list_keeps_its_indent() {
    let base = "tags:\n- a\n";
    assert_eq!(merged(Some(base), &["tags:\n- a\n- b\n", "tags:\n- a\n- c\n"]), "tags:\n- a\n- c\n- b\n");
}

#[test]
fn an_item_one_side_removed_stays_removed() {
    let base = "tags: [a, b, c]\n";
    assert_eq!(merged(Some(base), &["tags: [a, c]\n", "tags: [a, b, c, d]\n"]), "tags: [a, c, d]\n");
}

#[test]
fn a_scalar_changed_on_both_sides_takes_the_later_change() {
    let out = merge(Some("title: Soil\n"), &["title: Dirt\n", "title: Earth\n"]).unwrap();
    assert_eq!(out.yaml, "title: Earth\n");
    assert_eq!(out.keys, ["title"]);
}

#[test]
fn a_removal_gives_way_to_a_change() {
    let base = "title: Soil\nsummary: old\n";
    assert_eq!(merged(Some(base), &["title: Soil\nsummary: new\n", "title: Soil\n"]), "title: Soil\nsummary: new\n");
    // A removal nobody contested stands.
    assert_eq!(merged(Some(base), &["title: Soil\n", "title: Loam\nsummary: old\n"]), "title: Loam\n");
}

#[test]
fn keys_added_on_each_side_are_all_kept_in_each_sides_style() {
    let base = "title: Soil\n";
    let ada = "title: Soil\naliases:\n    - Earth\n";
    let bo = "title: Soil\ndate: 2024-05-01\n";
    assert_eq!(merged(Some(base), &[ada, bo]), "title: Soil\ndate: 2024-05-01\naliases:\n    - Earth\n");
}

#[test]
fn untouched_entries_keep_their_comments_and_quotes() {
    let base = "# the note's properties\ntitle: \"Soil: a primer\"  # quoted\ndate: '2024-01-01'\ntags: [a]\n";
    let ada = "# the note's properties\ntitle: \"Soil: a primer\"  # quoted\ndate: '2024-01-01'\ntags: [a, b]\n";
    let bo = "# the note's properties\ntitle: \"Soil: a primer\"  # quoted\ndate: '2024-01-01'\ntags: [a, c]\n";
    assert_eq!(
        merged(Some(base), &[ada, bo]),
        "# the note's properties\ntitle: \"Soil: a primer\"  # quoted\ndate: '2024-01-01'\ntags: [a, c, b]\n"
    );
}

#[test]
fn items_that_flow_syntax_would_misread_are_quoted() {
    let out = merged(Some("tags: [a]\n"), &["tags: [a, \"x, y\"]\n", "tags: [a, 'no']\n"]);
    assert_eq!(out, "tags: [a, no, \"x, y\"]\n");
    let value: Value = serde_yaml::from_str(&out).unwrap();
    assert_eq!(value["tags"][2], Value::String("x, y".into()));
    assert_eq!(value["tags"][1], Value::String("no".into()));
}

#[test]
fn a_single_tag_and_a_list_merge_as_lists() {
    assert_eq!(merged(None, &["tags: a\n", "tags: [b]\n"]), "tags: [b, a]\n");
}

#[test]
fn nested_mappings_merge_key_by_key() {
    let base = "cover:\n  image: a.png\n";
    let out = merged(Some(base), &["cover:\n  image: a.png\n  alt: Soil\n", "cover:\n  image: b.png\n"]);
    let value: Value = serde_yaml::from_str(&out).unwrap();
    assert_eq!(value["cover"]["image"], Value::String("b.png".into()));
    assert_eq!(value["cover"]["alt"], Value::String("Soil".into()));
}

#[test]
fn a_key_written_twice_by_an_earlier_merge_of_text_is_healed() {
    let broken = "title: Soil\ntags: [a]\ntags:\n  - b\n";
    assert_eq!(merged(None, &["title: Soil\n", broken]), "title: Soil\ntags: [a, b]\n");
}

#[test]
fn a_side_that_is_not_a_mapping_decides_nothing() {
    assert_eq!(merge(Some("title: a\n"), &["title: [unclosed\n", "title: b\n"]), None);
    assert_eq!(merge(None, &["- a\n- b\n", "title: b\n"]), None);
}

#[test]
fn every_key_removed_leaves_no_yaml() {
    assert_eq!(merged(Some("a: 1\nb: 2\n"), &["b: 2\n", "a: 1\n"]), "");
}
