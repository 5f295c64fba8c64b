use super::*;

fn html(src: &str) -> Rendered {
    render(src, "/", RawHtml::Sanitised, true)
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
fn wikilinks_to_a_heading_read_as_obsidian_shows_them() {
    let r = html("[[Note#Heading]], [[#Here]], [[Note#A#B]], [[Note#^id]], [[Note]] and [[Note#H|mine]]\n");
    let labels: Vec<&str> = r.links.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(labels, ["Note > Heading", "Here", "Note > A > B", "Note > ^id", "Note", "mine"]);
    assert!(r.html.contains("\0S0\0Note &gt; Heading\0E0\0"), "{}", r.html);
    assert!(r.html.contains("\0S1\0Here\0E1\0"), "{}", r.html);
    assert_eq!((r.links[2].target.as_str(), r.links[2].fragment.as_deref()), ("Note", Some("A#B")));
}

#[test]
fn a_single_newline_breaks_the_line_unless_line_breaks_are_strict() {
    let text = "one\ntwo\n\n> [!note] Title\n> three\n> four\n";
    let obsidian = render(text, "/", RawHtml::Sanitised, false).html;
    assert!(obsidian.contains("<p>one<br />\ntwo</p>"), "{obsidian}");
    assert!(obsidian.contains("three<br />\nfour"), "{obsidian}");
    let strict = render(text, "/", RawHtml::Sanitised, true).html;
    assert!(strict.contains("<p>one\ntwo</p>") && !strict.contains("<br"), "{strict}");
}

#[test]
fn callouts_with_metadata_and_nested_ones() {
    let r = html("> [!warning|wide 2] Careful\n> Outer.\n> > [!tip]\n> > Inner.\n");
    assert!(
        r.html.contains("<div class=\"callout\" data-callout=\"warning\" data-callout-metadata=\"wide 2\">"),
        "{}",
        r.html
    );
    assert!(
        r.html.contains("<div class=\"callout\" data-callout=\"tip\"><div class=\"callout-title\"><span class=\"callout-title-inner\">Tip</span></div>"),
        "{}",
        r.html
    );
    assert!(r.html.contains("Inner.") && r.html.contains("Careful"), "{}", r.html);
}

#[test]
fn footnotes_are_gathered_at_the_end_in_the_order_they_are_read() {
    let r = html("First[^b], then inline^[said *here*], again[^b], and `^[not one]`.\n\n[^b]: The b note.\n\n[^unused]: Never read.\n\nAfter.\n");
    let (body, notes) = r.html.split_once("<section class=\"footnotes\">").expect("a footnotes section");
    assert!(body.contains("First<sup class=\"footnote-ref\"><a href=\"#fn-1\" id=\"fnref-1\">1</a></sup>"), "{body}");
    assert!(body.contains("inline<sup class=\"footnote-ref\"><a href=\"#fn-2\" id=\"fnref-2\">2</a></sup>"), "{body}");
    assert!(body.contains("again<sup class=\"footnote-ref\"><a href=\"#fn-1\" id=\"fnref-1-2\">1</a></sup>"), "{body}");
    assert!(
        body.contains("<code>^[not one]</code>") && body.contains("After.") && !body.contains("The b note"),
        "{body}"
    );
    let b = notes.find("The b note.").unwrap();
    let inline = notes.find("said <em>here</em>").unwrap();
    assert!(b < inline, "in the order of the first references: {notes}");
    assert!(notes.contains("href=\"#fnref-1\"") && notes.contains("href=\"#fnref-1-2\""), "{notes}");
    assert!(!notes.contains("Never read"), "{notes}");
}

#[test]
fn backlink_context_is_the_sentence() {
    let r = html("First sentence here. The link to [[B]] sits in this one. Last sentence.\n");
    let text: String = r.links[0]
        .sentence(&|m| &r.links[m].label)
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
    // The callouts' stylesheet comes with the first one.
    assert!(r.html.starts_with("<link rel=\"stylesheet\" href=\"/static/callouts.css\"><details class=\"callout\" data-callout=\"tip\" open><summary class=\"callout-title\"><span class=\"callout-title-inner\">Open <strong>bold</strong></span></summary><div class=\"callout-content\"><p>body</p>"), "{}", r.html);
    let r = html("> [!INFO]\n> text\n\n> [!note] Two\n> more\n");
    assert!(
        r.html.contains("<div class=\"callout-title\"><span class=\"callout-title-inner\">Info</span></div>"),
        "{}",
        r.html
    );
    assert_eq!(r.html.matches("callouts.css").count(), 1, "linked once: {}", r.html);
    let r = html("> just a quote\n");
    assert!(r.html.starts_with("<blockquote>") && !r.html.contains("callouts.css"));
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

#[test]
fn fenced_code_in_a_known_language_is_highlighted_with_classes() {
    let r = html("```rust\nfn main() { let s = \"<b>&\"; }\n```\n");
    // The colours' stylesheet comes with the first highlighted block, once.
    assert!(
        r.html.starts_with(
            "<link rel=\"stylesheet\" href=\"/static/highlight.css\">\
             <pre class=\"code\" data-lang=\"rust\"><code class=\"language-rust\"><span class=\"hl-source hl-rust\">"
        ),
        "{}",
        r.html
    );
    assert!(r.html.contains("<span class=\"hl-storage hl-type hl-function hl-rust\">fn</span>"), "{}", r.html);
    assert!(r.html.contains("&lt;b&gt;&amp;"), "code is escaped: {}", r.html);
    assert!(!r.html.contains("<b>"));
    assert!(r.html.ends_with("</span></code></pre>\n"), "{}", r.html);
    // Aliases and other words of the info string.
    for info in ["py", "sh", "shell", "yml", "js", "rust,ignore", "json title=\"x\""] {
        let r = html(&format!("```{info}\nx = 1\n```\n"));
        assert!(r.html.contains("<span class=\"hl-"), "{info}: {}", r.html);
    }
    let r = html("```rust,ignore\nx\n```\n\n```rust\ny\n```\n");
    assert!(r.html.contains("<pre class=\"code\" data-lang=\"rust,ignore\"><code class=\"language-rust,ignore\">"));
    assert_eq!(r.html.matches("highlight.css").count(), 1, "{}", r.html);
}

#[test]
fn code_without_a_known_language_stays_plain() {
    let r = html("```klingon\nqapla' <b>\n```\n\n```\nplain <i>\n```\n\n```txt\ntext\n```\n");
    assert!(r.html.contains("<pre><code class=\"language-klingon\">qapla' &lt;b&gt;\n</code></pre>"), "{}", r.html);
    assert!(r.html.contains("<pre><code>plain &lt;i&gt;\n</code></pre>"), "{}", r.html);
    assert!(r.html.contains("<pre><code class=\"language-txt\">text\n</code></pre>"), "{}", r.html);
    assert!(!r.html.contains("hl-"));
    // Indented code has no language.
    let r = html("para\n\n    fn main() {}\n");
    assert!(r.html.contains("<pre><code>fn main() {}\n</code></pre>"), "{}", r.html);
}

#[test]
fn mermaid_blocks_are_kept_as_their_source() {
    let r = html("```mermaid\ngraph TD\n  A[\"a & b\"] --> B<br/>C\n```\n");
    assert_eq!(r.html, "<pre class=\"mermaid\">graph TD\n  A[&quot;a &amp; b&quot;] --&gt; B&lt;br/&gt;C\n</pre>\n");
}

#[test]
fn highlighted_code_is_never_interpreted_and_keeps_block_ids() {
    let r = html("```python\n# [[not a link]] #tag ==no== %%kept%%\n```\n^code-id\n\nafter\n");
    assert!(r.links.is_empty() && r.tags.is_empty(), "{r:?}");
    assert!(r.html.contains("%%kept%%") && r.html.contains("[[not a link]]"), "{}", r.html);
    assert_eq!(r.blocks, vec!["code-id".to_string()]);
    assert!(
        r.html.starts_with("\0B0\0<div id=\"^code-id\"><link rel=\"stylesheet\" href=\"/static/highlight.css\"><pre class=\"code\" data-lang=\"python\">"),
        "{}",
        r.html
    );
    assert!(r.html.contains("</code></pre>\n</div>\0b0\0"), "{}", r.html);
    // In a callout and a list the block is still whole.
    let r = html("> [!note]\n> ```js\n> let a = 1;\n> let b = 2;\n> ```\n\n- item\n\n  ```js\n  let c = 3;\n  ```\n");
    assert_eq!(r.html.matches("<pre class=\"code\" data-lang=\"js\">").count(), 2, "{}", r.html);
    assert!(r.html.contains(";</span>\n<span class=\"hl-storage hl-type hl-js\">let</span>"), "{}", r.html);
}

#[test]
fn crlf_code_is_highlighted_like_lf() {
    let lf = html("```rust\n// note\nlet a = 1;\n```\n");
    let crlf = html("```rust\r\n// note\r\nlet a = 1;\r\n```\r\n");
    assert_eq!(crlf.html.replace('\r', ""), lf.html);
    assert!(lf.html.contains("<span class=\"hl-comment"), "{}", lf.html);
    let crlf = html("```mermaid\r\ngraph TD\r\n```\r\n");
    assert!(crlf.html.starts_with("<pre class=\"mermaid\">graph TD"), "{}", crlf.html);
}

#[test]
fn huge_code_blocks_are_written_plain() {
    let code = "let a = 1; // <x>\n".repeat(300 * 1024 / 18);
    let r = html(&format!("```rust\n{code}```\n"));
    assert!(r
        .html
        .starts_with("<pre class=\"code\" data-lang=\"rust\"><code class=\"language-rust\">let a = 1; // &lt;x&gt;\n"));
    assert!(!r.html.contains("hl-"));
}

/// Found by the link checker on a real vault: `- text ^id` followed by a nested list names the item, children
/// and all, as in Obsidian; the id was left in the text and the link had nowhere to land.
#[test]
fn a_list_item_with_children_takes_the_id_at_the_end_of_its_first_line() {
    let r = html("- first\n- It could be so. ^my-idea\n  - child one\n  - child two\n- last\n");
    assert_eq!(r.blocks, ["my-idea"]);
    assert!(r.html.contains("<li id=\"^my-idea\">It could be so.\n<ul>"), "{}", r.html);
    let start = r.html.find("\0B0\0").unwrap();
    let end = r.html.find("\0b0\0").unwrap();
    assert!(r.html[start..end].contains("child two") && !r.html[start..end].contains("last"), "{}", r.html);
}

/// An inline footnote may go on over the lines of its paragraph, as in Obsidian; a link inside one, moved to the
/// end of the note as a definition, is still reported at its own line, and so is every link after it.
#[test]
fn inline_footnotes_span_lines_and_their_links_keep_their_lines() {
    let r = html("Intro.\n\nA claim^[as shown in\n[[Source]] on\npage 4] and more\nsee [[After]].\n\nNot a note^[never\n\nclosed] here.\n");
    let (body, notes) = r.html.split_once("<section class=\"footnotes\">").expect("a footnotes section");
    assert!(body.contains("A claim<sup class=\"footnote-ref\">"), "{body}");
    assert!(body.contains("^[never") && body.contains("closed] here."), "a blank line ends the paragraph: {body}");
    assert!(notes.contains("as shown in") && notes.contains("page 4"), "{notes}");
    let lines: Vec<(&str, usize)> = r.links.iter().map(|l| (l.target.as_str(), l.line)).collect();
    assert!(lines.contains(&("Source", 4)) && lines.contains(&("After", 6)), "{lines:?}");
}

/// Found by the link checker on Obsidian's own help vault: `^id` on the line right under a callout, with no blank
/// line, is read by Markdown as the callout's last line; Obsidian takes it as the name of the whole callout.
#[test]
fn an_id_right_under_a_callout_names_the_callout() {
    let r = html("> [!hint] Limits\n> Names have limits.\n^the-callout\n\nAfter.\n");
    assert_eq!(r.blocks, ["the-callout"]);
    assert!(
        r.html.contains(
            "<div id=\"^the-callout\"><link rel=\"stylesheet\" href=\"/static/callouts.css\"><div class=\"callout\""
        ),
        "{}",
        r.html
    );
    assert!(!r.html.contains("^the-callout</p>"), "the id is not left in the text: {}", r.html);
    let (start, end) = (r.html.find("\0B0\0").unwrap(), r.html.find("\0b0\0").unwrap());
    assert!(r.html[start..end].contains("Names have limits.") && !r.html[start..end].contains("After."));
}
