//! A note's own HTML through an allow-list (ammonia), with Loam's markup around it kept byte for byte. Pure:
//! HTML in, HTML out.
//!
//! In a community wiki every member writes what every reader's browser runs, so the HTML a note contains
//! (`<details>`, `<kbd>`, an `<iframe>` from a video site, and also `<script>` or `onerror=`) goes through an
//! allow-list. Only the note's raw HTML is sanitised, never what Loam writes: its markers, links, callouts,
//! MathML, highlighted code and the `data-*` attributes its scripts read stay exactly as written.
//!
//! Raw HTML is split across pulldown-cmark's events (`<details>` in one block, the Markdown inside it, then
//! `</details>`), so its pieces cannot be cleaned one by one: a lone `<details>` would be closed at once and
//! its content would fall out of it. Instead the first stage writes each raw piece as a marker (`\0R3\0`),
//! and [`clean`] builds one document in which the raw pieces are themselves and every stretch of Loam's
//! output between them is an opaque placeholder (`U+FDD0 7 U+FDD1`, noncharacters Unicode reserves for such
//! internal use). ammonia parses that document as a browser would, so the raw pieces are judged in their
//! real nesting; then each placeholder is replaced by Loam's stretch again.
//!
//! Why putting Loam's stretches back is safe: each one is HTML Loam wrote with every bit of the note's text
//! escaped, and a placeholder survives only as text between elements, where such HTML means what it meant
//! before. A placeholder that lands inside an attribute (a raw `<div title="` left open) is dropped with that
//! attribute; one the note forged (`&#xFDD0;0&#xFDD1;`) can at worst move one of the note's own stretches,
//! and each stretch is put back once at most.

use std::borrow::Cow;
use std::sync::LazyLock;

use pulldown_cmark::CowStr;

/// The characters around a placeholder's number.
const OPEN: char = '\u{FDD0}';
const CLOSE: char = '\u{FDD1}';

/// URL schemes a note's links, images and frames may use (ammonia's list, plus Obsidian's own links):
/// `javascript:`, `vbscript:` and `data:` are not among them.
const SCHEMES: &[&str] = &[
    "bitcoin",
    "ftp",
    "ftps",
    "geo",
    "http",
    "https",
    "im",
    "irc",
    "ircs",
    "magnet",
    "mailto",
    "mms",
    "mx",
    "news",
    "nntp",
    "obsidian",
    "openpgp4fpr",
    "sip",
    "sms",
    "smsto",
    "ssh",
    "tel",
    "url",
    "webcal",
    "wtai",
    "xmpp",
];

/// CSS properties a `style` attribute keeps: text and box looks. Left out are those that let a note cover the
/// page's own controls or pretend to be them (`position`, `z-index`, `transform`, negative `margin`), and those
/// that load from elsewhere (`background`, `background-image`, `list-style`, `border-image`, `cursor`).
const STYLE_PROPERTIES: &[&str] = &[
    "background-color",
    "border",
    "border-bottom",
    "border-collapse",
    "border-color",
    "border-left",
    "border-radius",
    "border-right",
    "border-style",
    "border-top",
    "border-width",
    "clear",
    "color",
    "column-count",
    "column-gap",
    "display",
    "flex",
    "flex-direction",
    "flex-wrap",
    "float",
    "font-family",
    "font-size",
    "font-style",
    "font-variant",
    "font-weight",
    "gap",
    "height",
    "justify-content",
    "letter-spacing",
    "line-height",
    "list-style-type",
    "max-height",
    "max-width",
    "min-height",
    "min-width",
    "opacity",
    "padding",
    "padding-bottom",
    "padding-left",
    "padding-right",
    "padding-top",
    "text-align",
    "text-decoration",
    "text-indent",
    "text-transform",
    "vertical-align",
    "white-space",
    "width",
    "word-break",
];

/// The allow-list, built once: ammonia's defaults (which keep `details`, `summary`, `kbd`, `sup`, `sub`,
/// `mark`, tables, `img`, `a`, and drop `script`, `style`, `form`, `input`, `object`, `embed`, `meta`, `base`,
/// `link`, every `on*` attribute and comments) plus what notes use: classes, ids and filtered inline styles,
/// `<iframe>`s from `https:` sources, `<video>` and `<audio>`.
///
/// Inline SVG stays out: its elements bring their own ways to run scripts and load documents (`<use href>`,
/// `<animate>` and `<set>` rewriting attributes, `<foreignObject>`), and ammonia's record of mutation bugs is
/// mostly about SVG and MathML. An SVG file embedded as an image (`![[drawing.svg]]`) still shows, and a
/// browser runs no script inside an image.
static POLICY: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut policy = ammonia::Builder::default();
    policy
        .add_tags(["iframe", "video", "audio", "source"])
        .add_generic_attributes(["class", "id", "dir", "style"])
        .filter_style_properties(STYLE_PROPERTIES.iter().copied().collect())
        .url_schemes(SCHEMES.iter().copied().collect())
        .add_tag_attributes("a", ["target"])
        .add_tag_attributes("img", ["loading"])
        .add_tag_attributes("details", ["open"])
        .add_tag_attributes("div", ["align"])
        .add_tag_attributes("p", ["align"])
        .add_tag_attributes("ol", ["type", "reversed"])
        .add_tag_attributes("li", ["value"])
        // No `srcdoc` (a whole document, scripts and all) and no `allow`: a frame must not ask for the camera or
        // the microphone in the garden's name.
        .add_tag_attributes(
            "iframe",
            ["src", "width", "height", "title", "loading", "allowfullscreen", "frameborder", "referrerpolicy"],
        )
        .add_tag_attributes("video", ["src", "controls", "width", "height", "poster", "loop", "muted", "playsinline"])
        .add_tag_attributes("audio", ["src", "controls", "loop", "muted"])
        .add_tag_attributes("source", ["src", "type"])
        .attribute_filter(|element, attribute, value| {
            if value.contains([OPEN, CLOSE]) {
                return None;
            }
            match (element, attribute) {
                ("iframe", "src") => is_https(value).then_some(Cow::Borrowed(value)),
                ("a", "target") => (value == "_blank").then_some(Cow::Borrowed(value)),
                (_, "style") if !style_allowed(value) => None,
                // The templates' landmarks and Loam's own ids are the page's, not the note's.
                (_, "id") if super::RESERVED_IDS.contains(&value) || value.starts_with("loam-") => None,
                _ => Some(Cow::Borrowed(value)),
            }
        });
    policy
});

/// Whether a `style` attribute may go on to the property filter: not if it loads anything (`url(`,
/// `image-set(`), holds Internet Explorer's `expression(`, or hides words behind CSS escapes (`u\72 l(`).
fn style_allowed(style: &str) -> bool {
    let lower = style.to_ascii_lowercase();
    !["url(", "image-set(", "expression(", "\\", "@import"].iter().any(|bad| lower.contains(bad))
}

fn is_https(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|url| url.scheme() == "https")
}

/// Whether a link's or an image's URL may stay: relative, or with a scheme of [`SCHEMES`]. The URL is read as a
/// browser reads it, so `jav&#x09;ascript:` (a tab in the scheme, which browsers drop) is `javascript:` here too.
pub(super) fn url_allowed(url: &str) -> bool {
    match url::Url::parse(url) {
        Ok(url) => SCHEMES.contains(&url.scheme()),
        Err(url::ParseError::RelativeUrlWithoutBase) => true,
        Err(_) => false,
    }
}

/// Cleans the raw pieces of a note's first-stage HTML. `html` holds `\0R{k}\0` where `raw[k]` was (see the
/// module's documentation); the result holds the pieces, sanitised, and everything else as it was.
pub(super) fn clean(html: &str, raw: &[CowStr]) -> String {
    // Loam's stretches between the raw pieces, and the document ammonia reads.
    let mut own: Vec<&str> = Vec::new();
    let mut document = String::with_capacity(html.len() + raw.iter().map(|r| r.len()).sum::<usize>());
    let mut rest = html;
    loop {
        let next = next_raw(rest);
        let stretch = next.map_or(rest, |(start, _, _)| &rest[..start]);
        if !stretch.is_empty() {
            document.push(OPEN);
            document.push_str(itoa::Buffer::new().format(own.len()));
            document.push(CLOSE);
            own.push(stretch);
        }
        let Some((_, k, end)) = next else { break };
        let piece = raw.get(k).map_or("", |piece| piece.as_ref());
        // A placeholder the note wrote itself could only move Loam's stretches about; it is not let try.
        if piece.contains([OPEN, CLOSE]) {
            document.push_str(&piece.replace([OPEN, CLOSE], "\u{FFFD}"));
        } else {
            document.push_str(piece);
        }
        rest = &rest[end..];
    }

    let cleaned = POLICY.clean(&document).to_string();

    let mut out = String::with_capacity(html.len() + cleaned.len());
    let mut used = vec![false; own.len()];
    // What ammonia wrote, less any placeholder character that is not part of a placeholder.
    let push_cleaned = |out: &mut String, text: &str| out.extend(text.split(CLOSE));
    let mut rest = cleaned.as_str();
    while let Some(at) = rest.find(OPEN) {
        push_cleaned(&mut out, &rest[..at]);
        rest = &rest[at + OPEN.len_utf8()..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if rest[digits..].starts_with(CLOSE) {
            let n = rest[..digits].parse::<usize>().ok().filter(|&n| n < own.len() && !used[n]);
            if let Some(n) = n {
                used[n] = true;
                out.push_str(own[n]);
            }
            rest = &rest[digits + CLOSE.len_utf8()..];
        }
    }
    push_cleaned(&mut out, rest);
    out
}

/// The next `\0R{k}\0` in `html`: where it starts, `k`, and where it ends. Other markers are Loam's.
fn next_raw(html: &str) -> Option<(usize, usize, usize)> {
    let mut from = 0;
    while let Some(at) = memchr::memmem::find(&html.as_bytes()[from..], b"\0R") {
        let start = from + at;
        let digits = &html[start + 2..];
        let len = digits.bytes().take_while(u8::is_ascii_digit).count();
        if len > 0 && digits[len..].starts_with('\0') {
            return Some((start, digits[..len].parse().ok()?, start + 2 + len + 1));
        }
        from = start + 2;
    }
    None
}

/// The marker the first stage writes in place of raw piece `k`.
pub(super) fn marker(k: usize) -> String {
    format!("\0R{k}\0")
}

#[cfg(test)]
mod tests;
