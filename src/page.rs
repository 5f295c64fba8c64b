//! The second rendering stage: a note's first-stage HTML with its markers replaced by links, images and
//! transcluded notes, now that the whole site is known. Pure: the site in, HTML out.

use crate::diagnostic::{Diagnostic, Kind, Severity};
use pulldown_cmark_escape::escape_html;

use crate::markdown::{escape, extension, is_image, Segment};
use crate::site::{Link, Site};

/// How deep transclusions may nest before Loam stops, cycles aside.
const MAX_EMBED_DEPTH: usize = 8;

/// How many transclusions one page may hold in all: notes that each embed several others, a few levels deep,
/// would otherwise multiply into a page of gigabytes.
const MAX_EMBEDS_PER_PAGE: usize = 200;

/// How many bytes of transcluded HTML one page may hold in all. The count above does not bound a page by itself:
/// a note of a few hundred bytes can make tens of kilobytes of HTML (a table's header of many columns is
/// repeated in every row), and 200 embeds of it made pages of a hundred megabytes from an input of 1 KB (found
/// by the fuzzer, `tests/testsuite/fuzz.rs`). 4 MiB holds a page that gathers a book's chapters (a hundred of
/// 40 KB each) and still renders in a fraction of a second.
const MAX_EMBEDDED_BYTES: usize = 4 << 20;

/// The parts of notes being transcluded, outermost first, how many embeds the page holds so far and how many
/// bytes of the notes' HTML they brought. A part is a note and the byte range of its first-stage HTML: a note may
/// embed a section of itself, and only an embed of a part already being expanded would go on forever.
struct Expansion {
    notes: Vec<(usize, std::ops::Range<usize>)>,
    embeds: usize,
    bytes: usize,
    /// How many images the page shows so far.
    images: usize,
}

/// An image this near the top of its note (its line), if the page's first, is fetched at once: it is likely in
/// the first screen, where a lazy image would be the last thing to appear. Every other image is lazy.
const EAGER_IMAGE_LINES: usize = 30;

/// What replaces the label of a link to an unpublished note when the label would give the note away, in the
/// garden's language.
fn hidden_label<'s>(site: &Site<'s>) -> &'s str {
    crate::render::strings::text(site.config, "unpublished")
}

/// The final HTML of a published note's body, and problems found while transcluding.
pub fn body_html(site: &Site, note: usize) -> (String, Vec<Diagnostic>) {
    let mut out = String::with_capacity(site.notes[note].body.html.len() + 256);
    let mut diagnostics = Vec::new();
    let whole = 0..site.notes[note].body.html.len();
    let mut stack = Expansion { notes: vec![(note, whole)], embeds: 0, bytes: 0, images: 0 };
    expand(site, note, &site.notes[note].body.html, &mut stack, &mut out, &mut diagnostics);
    // The footnotes' back-links were labelled in English when the note was parsed, without the garden's settings.
    let back = crate::render::strings::text(site.config, "back_to_reference");
    if back != ENGLISH_BACK && out.contains(ENGLISH_BACK) {
        out = out.replace(&format!("aria-label=\"{ENGLISH_BACK} "), &format!("aria-label=\"{} ", escape(back)));
    }
    (out, diagnostics)
}

/// How `markdown.rs` labels a footnote's link back to its reference.
const ENGLISH_BACK: &str = "Back to reference";

/// The sentence around link `link` of note `note`, as HTML, for the backlinks of the note it points at.
pub fn context_html(site: &Site, note: usize, link: usize) -> String {
    let links = &site.notes[note].body.links;
    let mut out = String::new();
    for segment in &links[link].sentence(&|m| &links[m].label) {
        match segment {
            Segment::Text(text) => {
                let _ = escape_html(&mut out, text);
            }
            Segment::Link(m) if *m == link => {
                out.push_str("<strong>");
                let _ = escape_html(&mut out, visible_label(site, note, *m));
                out.push_str("</strong>");
            }
            Segment::Link(m) => {
                let _ = escape_html(&mut out, visible_label(site, note, *m));
            }
        }
    }
    out
}

/// The label of link `m` as it may be shown. A link to an unpublished note never shows its label: the label
/// is usually the note's name, or words about it, and guessing which labels are harmless is how leaks happen.
fn visible_label<'s>(site: &'s Site, note: usize, m: usize) -> &'s str {
    match site.links[note].get(m) {
        Some(Link::Unpublished(_)) => hidden_label(site),
        _ => &site.notes[note].body.links[m].label,
    }
}

fn expand(
    site: &Site,
    note: usize,
    html: &str,
    stack: &mut Expansion,
    out: &mut String,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut rest = html;
    while let Some(start) = rest.find('\0') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('\0') else {
            rest = after;
            break;
        };
        let marker = &after[..end];
        rest = &after[end + 1..];
        if marker.is_empty() || !marker.is_char_boundary(1) {
            continue;
        }
        let (kind, number) = marker.split_at(1);
        let Ok(n) = number.parse::<usize>() else {
            continue;
        };
        match kind {
            "S" => {
                let hide_label = link_open(site, note, n, out);
                if hide_label {
                    // Skip the label up to the matching end marker and show a neutral word instead.
                    let end_marker = format!("\0E{n}\0");
                    if let Some(at) = rest.find(&end_marker) {
                        rest = &rest[at..];
                    }
                    out.push_str(hidden_label(site));
                }
            }
            "E" => out.push_str(link_close(site, note, n)),
            "M" => {
                // A transclusion alone in its paragraph replaces the paragraph: a <div> may not sit in a <p>.
                let alone = out.ends_with("<p>") && rest.starts_with("</p>");
                let is_block = matches!(site.links[note].get(n), Some(Link::Note { .. }));
                if alone && is_block {
                    out.truncate(out.len() - 3);
                    rest = rest[4..].strip_prefix('\n').unwrap_or(&rest[4..]);
                }
                embed(site, note, n, stack, out, diagnostics);
            }
            _ => {} // Heading and block markers only delimit sections for transclusion.
        }
    }
    out.push_str(rest);
}

/// Writes the opening tag of link `n`; returns whether its label must be hidden.
fn link_open(site: &Site, note: usize, n: usize, out: &mut String) -> bool {
    let internal = |out: &mut String, parts: &[&str]| {
        out.push_str("<a class=\"internal\" href=\"");
        for part in parts {
            let _ = escape_html(&mut *out, part);
        }
        out.push_str("\">");
    };
    match site.links[note].get(n) {
        Some(Link::Note { note: target, fragment }) if *target == note && !fragment.is_empty() => {
            internal(out, &[fragment]);
        }
        Some(Link::Note { note: target, fragment }) => internal(out, &[site.note_url(*target), fragment]),
        Some(Link::Attachment(a)) => internal(out, &[&attachment_url(site, *a)]),
        Some(Link::Folder(folder)) => internal(out, &[&site.folder_url(folder)]),
        Some(Link::Unpublished(_)) => {
            out.push_str("<span class=\"link-missing\">");
            return true;
        }
        Some(Link::Missing) | None => {
            let target = &site.notes[note].body.links[n].target;
            out.push_str("<span class=\"link-missing\" title=\"no note called ");
            let _ = escape_html(&mut *out, target);
            out.push_str("\">");
        }
    }
    false
}

fn link_close(site: &Site, note: usize, n: usize) -> &'static str {
    match site.links[note].get(n) {
        Some(Link::Note { .. } | Link::Attachment(_) | Link::Folder(_)) => "</a>",
        _ => "</span>",
    }
}

/// URL of an attachment: its path in the garden, percent-encoded piece by piece.
pub fn attachment_url(site: &Site, a: usize) -> String {
    file_url(site, &site.attachments[a])
}

/// URL of the file at `path` in the notes folder, percent-encoded piece by piece.
pub fn file_url(site: &Site, path: &str) -> String {
    let encoded: Vec<String> =
        path.split('/').map(|part| percent_encoding::utf8_percent_encode(part, PATH_SEGMENT).to_string()).collect();
    site.url(&encoded.join("/"))
}

/// Characters that must be escaped in a URL path segment (space, `#`, `%`, `?`, quotes, …).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'?')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\'')
    .add(b'\\')
    .add(b'^')
    .add(b'|');

fn embed(
    site: &Site,
    note: usize,
    n: usize,
    stack: &mut Expansion,
    out: &mut String,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let raw = &site.notes[note].body.links[n];
    match site.links[note].get(n) {
        Some(Link::Attachment(a)) => {
            let url = escape(&attachment_url(site, *a));
            let name = &site.attachments[*a];
            let alt = if raw.label.is_empty() { name.rsplit('/').next().unwrap_or(name) } else { &raw.label };
            // The size written (`|300x200`), else the image's own, the other side kept in proportion: the page
            // keeps the image's place before it comes (with `height: auto` in the stylesheet).
            let own = site.image_sizes.get(*a).copied().flatten().filter(|_| is_image(name));
            let scale = |given: u32, of: u32, other: u32| {
                ((u64::from(given) * u64::from(other) + u64::from(of) / 2) / u64::from(of)) as u32
            };
            let (width, height) = match (raw.width, raw.height, own) {
                (None, None, Some((w, h))) => (Some(w), Some(h)),
                (Some(w), None, Some((ow, oh))) => (Some(w), Some(scale(w, ow, oh))),
                (None, Some(h), Some((ow, oh))) => (Some(scale(h, oh, ow)), Some(h)),
                (w, h, _) => (w, h),
            };
            let mut size = String::new();
            if let Some(w) = width {
                size.push_str(&format!(" width=\"{w}\""));
            }
            if let Some(h) = height {
                size.push_str(&format!(" height=\"{h}\""));
            }
            let alt = escape(alt);
            match extension(name).as_deref() {
                _ if is_image(name) => {
                    let eager = stack.images == 0 && stack.notes.len() == 1 && raw.line <= EAGER_IMAGE_LINES;
                    stack.images += 1;
                    let loading = if eager { "" } else { " loading=\"lazy\"" };
                    out.push_str(&format!("<img class=\"embed\" src=\"{url}\" alt=\"{alt}\"{size}{loading}>"));
                }
                Some("mp4" | "webm" | "ogv" | "mov") => out.push_str(&format!("<video class=\"embed\" src=\"{url}\" controls{size}></video>")),
                Some("mp3" | "ogg" | "wav" | "m4a" | "flac") => out.push_str(&format!("<audio class=\"embed\" src=\"{url}\" controls></audio>")),
                Some("pdf") => out.push_str(&format!(
                    "<iframe class=\"embed embed-pdf\" src=\"{url}\" title=\"{alt}\"{size}></iframe><a class=\"internal\" href=\"{url}\">{alt}</a>"
                )),
                _ => out.push_str(&format!("<a class=\"internal\" href=\"{url}\">{alt}</a>")),
            }
        }
        Some(Link::Note { note: target, fragment: _ }) => transclude(site, note, n, *target, stack, out, diagnostics),
        Some(Link::Folder(folder)) => {
            out.push_str(&format!(
                "<a class=\"internal\" href=\"{}\">{}</a>",
                escape(&site.folder_url(folder)),
                escape(&raw.target)
            ));
        }
        Some(Link::Unpublished(_)) => {
            out.push_str(&format!("<span class=\"link-missing\">{}</span>", hidden_label(site)))
        }
        Some(Link::Missing) | None => {
            let shown = if raw.label.is_empty() || raw.width.is_some() { &raw.target } else { &raw.label };
            out.push_str(&format!(
                "<span class=\"link-missing\" title=\"{}\">{}</span>",
                escape(&format!("no file called {}", raw.target)),
                escape(shown)
            ));
        }
    }
}

fn transclude(
    site: &Site,
    note: usize,
    n: usize,
    target: usize,
    stack: &mut Expansion,
    out: &mut String,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let raw = &site.notes[note].body.links[n];
    let title = site.notes[target].title();
    let href = escape(site.note_url(target));
    let body = &site.notes[target].body;
    let section = match raw.fragment.as_deref() {
        Some(fragment) => match section(site, target, fragment) {
            Some(section) => section,
            None => {
                // The link's resolution warned about it already; the page says so where the embed would be.
                let what = fragment.rsplit('#').next().unwrap_or(fragment);
                out.push_str(&format!(
                    "<div class=\"embed embed-missing\">{} <code>#{}</code> \
                     (<a class=\"internal\" href=\"{href}\">{}</a>)</div>",
                    escape(crate::render::strings::text(site.config, "missing_section")),
                    escape(what),
                    escape(title)
                ));
                return;
            }
        },
        None => &body.html,
    };
    // Where the section lies in the note's HTML: it tells this part from another part of the same note.
    let start = section.as_ptr() as usize - body.html.as_ptr() as usize;
    let part = (target, start..start + section.len());
    let chain = || stack.notes.iter().map(|(i, _)| site.notes[*i].path.as_str()).collect::<Vec<_>>().join(" -> ");
    let why = if stack.notes.contains(&part) {
        Some(format!("would repeat forever ({} -> {})", chain(), site.notes[target].path))
    } else if stack.notes.len() > MAX_EMBED_DEPTH {
        Some(format!("would nest deeper than {MAX_EMBED_DEPTH} levels"))
    } else if stack.embeds >= MAX_EMBEDS_PER_PAGE {
        Some(format!("would pass {MAX_EMBEDS_PER_PAGE} embeds in one page"))
    } else if stack.bytes + section.len() > MAX_EMBEDDED_BYTES {
        Some(format!("would pass {} MiB of transcluded text in one page", MAX_EMBEDDED_BYTES >> 20))
    } else {
        None
    };
    if let Some(why) = why {
        diagnostics.push(
            Diagnostic::new(
                &site.notes[note].path,
                raw.line,
                Severity::Warning,
                Kind::Transclusion,
                format!("transcluding `{}` {why}; it is shown as a link", site.notes[target].path),
            )
            .hint("remove one of the ![[…]] embeds in the chain"),
        );
        out.push_str(&format!(
            "<div class=\"embed embed-cycle\"><a class=\"internal\" href=\"{href}\">{}</a></div>",
            escape(title)
        ));
        return;
    }
    out.push_str(&format!(
        "<div class=\"embed\"><div class=\"embed-title\"><a class=\"internal\" href=\"{href}\">{}</a></div>\n",
        escape(title)
    ));
    stack.notes.push(part);
    stack.embeds += 1;
    let k = stack.embeds;
    // Counted as each section starts, not when it is done: what its own embeds bring is counted by them.
    stack.bytes += section.len();
    let mut embedded = String::with_capacity(section.len());
    let with_notes = with_its_footnotes(section, &body.html);
    expand(site, target, &with_notes, stack, &mut embedded, diagnostics);
    stack.notes.pop();
    let embedded = own_footnote_ids(&without_block_ids(&without_heading_ids(&embedded)), k);
    out.push_str(&embedded);
    out.push_str("</div>\n");
}

const FOOTNOTES: &str = "<section class=\"footnotes\">";

/// An embedded part of a note with the footnotes its references name, and no others: a section of a note
/// stops at the next heading, so its footnotes (gathered at the end of the note) are brought in; the whole note
/// brings them all.
fn with_its_footnotes<'h>(part: &'h str, note_html: &str) -> std::borrow::Cow<'h, str> {
    let main = part.find(FOOTNOTES).map_or(part, |at| &part[..at]);
    if !main.contains("href=\"#fn-") {
        return std::borrow::Cow::Borrowed(main);
    }
    let Some(notes) = note_html.find(FOOTNOTES).map(|at| &note_html[at..]) else {
        return std::borrow::Cow::Borrowed(main);
    };
    let mut out = String::with_capacity(main.len() + notes.len());
    out.push_str(main);
    out.push_str(FOOTNOTES);
    out.push_str("\n<ol>\n");
    for item in notes.split("<li id=\"fn-").skip(1) {
        let n = item.split('"').next().unwrap_or_default();
        if main.contains(&format!("href=\"#fn-{n}\"")) {
            let item = item.split("</ol>\n</section>").next().unwrap_or(item);
            out.push_str("<li id=\"fn-");
            out.push_str(item);
        }
    }
    out.push_str("</ol>\n</section>\n");
    std::borrow::Cow::Owned(out)
}

/// The footnote ids of the `k`th embed of a page made its own (`e3-fn-1`), so that they clash neither with the
/// host page's nor with another embed's.
fn own_footnote_ids(html: &str, k: usize) -> String {
    if !html.contains("\"fn-") && !html.contains("\"fnref-") && !html.contains("\"#fn") {
        return html.to_string();
    }
    html.replace("id=\"fn-", &format!("id=\"e{k}-fn-"))
        .replace("href=\"#fn-", &format!("href=\"#e{k}-fn-"))
        .replace("id=\"fnref-", &format!("id=\"e{k}-fnref-"))
        .replace("href=\"#fnref-", &format!("href=\"#e{k}-fnref-"))
}

/// Transcluded blocks lose their ids (`id="^name"`) too: the block may be on the host page itself, and an id may
/// appear only once in a page.
fn without_block_ids(html: &str) -> std::borrow::Cow<'_, str> {
    if !html.contains(" id=\"^") {
        return std::borrow::Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(" id=\"^") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 6..];
        rest = after.find('"').map_or(after, |end| &after[end + 1..]);
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Transcluded headings lose their ids: the host page has its own headings, often with the same names, and an
/// id may appear only once in a page (the table of contents and `#links` point at the host's).
fn without_heading_ids(html: &str) -> std::borrow::Cow<'_, str> {
    let mut out = String::new();
    let mut rest = html;
    let mut changed = false;
    while let Some(at) = rest.find("<h") {
        let tag = &rest[at..];
        let bytes = tag.as_bytes();
        let is_heading = bytes.len() > 8 && (b'1'..=b'6').contains(&bytes[2]) && tag[3..].starts_with(" id=\"");
        let end = is_heading.then(|| tag[8..].find('"')).flatten();
        match end {
            Some(end) => {
                out.push_str(&rest[..at + 3]);
                rest = &tag[8 + end + 1..];
                changed = true;
            }
            None => {
                out.push_str(&rest[..at + 2]);
                rest = &rest[at + 2..];
            }
        }
    }
    if !changed {
        return std::borrow::Cow::Borrowed(html);
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// The part of a note's first-stage HTML under a heading (up to the next heading of the same or a higher
/// level) or inside a block with an id.
fn section<'h>(site: &'h Site, note: usize, fragment: &str) -> Option<&'h str> {
    let body = &site.notes[note].body;
    let html = body.html.as_str();
    if let Some(block) = fragment.strip_prefix('^') {
        let b = body.blocks.iter().position(|id| id == block)?;
        let start = html.find(&format!("\0B{b}\0"))?;
        let end = html[start..].find(&format!("\0b{b}\0")).map_or(html.len(), |e| start + e);
        return Some(&html[start..end]);
    }
    let h = body.heading_for(fragment)?;
    let level = body.headings[h].level;
    let start = html.find(&format!("\0H{h}\0"))?;
    let next = body.headings[h + 1..].iter().position(|other| other.level <= level).map(|k| h + 1 + k);
    let end = next.and_then(|k| html.find(&format!("\0H{k}\0"))).unwrap_or(html.len());
    Some(&html[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use crate::config::Config;
    use crate::note::{self, Note};

    /// Found by the fuzzer: notes of a few hundred bytes, each transcluding the next fourteen times, made a page of
    /// 20 MB (and a build of many seconds) within the limit of 200 embeds, since one of them makes 100 KB of HTML.
    #[test]
    fn a_fan_out_of_transclusions_stops_at_a_size_and_says_where() {
        let wide_table = format!("|{}\n|{}\n{}", "a|".repeat(100), "-|".repeat(100), "|x\n".repeat(100));
        let files =
            [("top.md", "![[middle]]".repeat(14)), ("middle.md", "![[leaf]]".repeat(14)), ("leaf.md", wide_table)];
        let config = Config::default();
        let notes: Vec<Arc<Note>> = files
            .iter()
            .map(|(path, text)| Arc::new(note::parse(path, text.as_bytes(), &note::Settings::default())))
            .collect();
        assert!(notes[2].body.html.len() > 64 << 10, "the leaf is not large enough to show anything");
        let site = Site::new(&config, &notes, &[], &[], &[]);
        let started = std::time::Instant::now();
        let (html, diagnostics) = body_html(&site, 0);
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "took {:?}", started.elapsed());
        assert!(html.len() < MAX_EMBEDDED_BYTES + (256 << 10), "a page of {} bytes", html.len());
        assert!(html.contains("embed-cycle"), "the embeds past the limit are not links");
        let over = diagnostics.iter().find(|d| d.message.contains("MiB of transcluded text")).expect("a diagnostic");
        assert_eq!(over.path, "middle.md");
        assert!(over.message.contains("`leaf.md`"), "{}", over.message);
    }

    #[test]
    fn transcluded_headings_lose_their_ids() {
        assert_eq!(
            without_heading_ids("<h2 id=\"part\">Part</h2>\n<p>x <hr> <h3 id=\"sub\">S</h3><html>"),
            "<h2>Part</h2>\n<p>x <hr> <h3>S</h3><html>"
        );
        assert_eq!(without_heading_ids("<p>no headings</p>"), "<p>no headings</p>");
        assert_eq!(without_block_ids("<div id=\"^a\"><p id=\"^b-c\">x</p></div>"), "<div><p>x</p></div>");
    }
}
