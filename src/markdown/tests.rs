use super::*;

fn html(src: &str) -> Rendered {
    render(src, "/")
}

#[test]
fn repeated_headings_get_free_ids() {
    let r = html("### Reference 1-2\n\n### Reference 1\n\n### Reference 1\n\n### Reference 1\n\n# Main\n");
    let ids: Vec<&str> = r.headings.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, vec!["reference-1-2", "reference-1", "reference-1-1", "reference-1-3", "main-1"]);
}

#[test]
fn wikilinks_record_target_fragment_label_and_line() {
    let r = html("one\n\nsee [[Note#Part|the part]] and [[Other]].\n");
    assert_eq!(r.links.len(), 2);
    assert_eq!(r.links[0].target, "Note");
    assert_eq!(r.links[0].fragment.as_deref(), Some("Part"));
    assert_eq!(r.links[0].label, "the part");
    assert!(r.links[0].explicit_label && !r.links[1].explicit_label);
    assert_eq!(r.links[0].line, 3);
    assert!(r.html.contains("\0S0\0the part\0E0\0"));
}

#[test]
fn backlink_context_is_the_sentence() {
    let r = html("First sentence here. The link to [[B]] sits in this one. Last sentence.\n");
    let text: String = r.links[0]
        .context
        .iter()
        .map(|s| match s {
            Segment::Text(t) => t.clone(),
            Segment::Link(_) => "[B]".into(),
        })
        .collect();
    assert_eq!(text, "The link to [B] sits in this one.");
}

#[test]
fn callouts_with_titles_and_folding() {
    let r = html("> [!tip]+ Open **bold**\n> body\n");
    assert!(r.html.starts_with("<details class=\"callout\" data-callout=\"tip\" open><summary class=\"callout-title\">Open <strong>bold</strong></summary><div class=\"callout-content\"><p>body</p>"), "{}", r.html);
    let r = html("> [!INFO]\n> text\n");
    assert!(r.html.contains("<div class=\"callout-title\">Info</div>"), "{}", r.html);
    let r = html("> just a quote\n");
    assert!(r.html.starts_with("<blockquote>"));
}

#[test]
fn code_is_never_interpreted() {
    let r = html("`[[a]] #t ==h== %%c%%`\n\n```\n![[b]] #t\n```\n");
    assert!(r.links.is_empty() && r.tags.is_empty());
    assert!(r.html.contains("%%c%%"));
}

#[test]
fn embeds_read_their_size() {
    let r = html("![[pic.png|300x200]] ![[pic.png|40]] ![alt text](a%20b.png)\n");
    assert_eq!((r.links[0].width, r.links[0].height), (Some(300), Some(200)));
    assert_eq!(r.links[1].width, Some(40));
    assert_eq!(r.links[2].target, "a b.png");
    assert_eq!(r.links[2].label, "alt text");
}
