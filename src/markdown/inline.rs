//! Obsidian's inline syntax inside plain text: `==highlight==`, `#tags`, trailing `^block-id`s, and
//! `%%comments%%` in the source. Pure functions over strings; code spans and code blocks never reach them.

use std::ops::Range;

/// A piece of a text run after the inline syntax has been found.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    MarkOpen,
    MarkClose,
    /// A tag without its `#`.
    Tag(&'a str),
}

/// Splits a text run into plain text, highlights and tags.
pub fn split(text: &str, allow_tags: bool) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let bytes = text.as_bytes();
    let mut marked = false;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'=') => {
                // Only a `==` that has a partner in the same run opens a highlight; a lone `==` (as in
                // `a == b`) stays text.
                let opens = !marked && text[i + 2..].contains("==") && bytes.get(i + 2) != Some(&b' ');
                if opens || marked {
                    pieces.push(Piece::Text(&text[start..i]));
                    pieces.push(if marked { Piece::MarkClose } else { Piece::MarkOpen });
                    marked = !marked;
                    i += 2;
                    start = i;
                    continue;
                }
                i += 2;
            }
            b'#' if allow_tags && tag_may_start(text, i) => {
                let len = tag_len(&text[i + 1..]);
                if len > 0 {
                    pieces.push(Piece::Text(&text[start..i]));
                    pieces.push(Piece::Tag(&text[i + 1..i + 1 + len]));
                    i += 1 + len;
                    start = i;
                    continue;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    pieces.push(Piece::Text(&text[start..]));
    if marked {
        pieces.push(Piece::MarkClose);
    }
    pieces.retain(|p| !matches!(p, Piece::Text("")));
    pieces
}

/// A tag starts after the beginning of the text or a space or opening punctuation, never inside a word or a
/// URL (`page#section`, `example.org/#x`, `&#39;`).
pub fn tag_may_start(text: &str, i: usize) -> bool {
    match text[..i].chars().next_back() {
        None => true,
        Some(c) => c.is_whitespace() || matches!(c, '(' | '[' | '{' | ',' | ';' | '"' | '\''),
    }
}

/// Length in bytes of the tag body at the start of `rest`, or 0. Obsidian's rule: letters, digits, `_`, `-`
/// and `/`, with at least one character that is not a digit.
pub fn tag_len(rest: &str) -> usize {
    let mut len = 0;
    let mut has_non_digit = false;
    for c in rest.chars() {
        if c.is_alphanumeric() || matches!(c, '_' | '-' | '/') || unicode_normalization::char::is_combining_mark(c) {
            if !c.is_ascii_digit() {
                has_non_digit = true;
            }
            len += c.len_utf8();
        } else {
            break;
        }
    }
    // A trailing `/` belongs to the sentence, not the tag.
    while len > 0 && rest.as_bytes()[len - 1] == b'/' {
        len -= 1;
    }
    if has_non_digit && len > 0 {
        len
    } else {
        0
    }
}

/// If `text` ends with a block id (`… ^my-id`), returns the id and the text before it.
pub fn trailing_block_id(text: &str) -> Option<(&str, &str)> {
    let trimmed = text.trim_end();
    let caret = trimmed.rfind('^')?;
    let id = &trimmed[caret + 1..];
    let before = &trimmed[..caret];
    let valid = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let separated = before.is_empty() || before.ends_with(char::is_whitespace);
    (valid && separated).then(|| (id, before.trim_end()))
}

/// Removes `%%comments%%` outside the given code ranges, keeping their line breaks so that line numbers of
/// everything after them stay right. An unclosed `%%` hides the rest of the note, as in Obsidian.
pub fn strip_comments(source: &str, code: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let mut in_comment = false;
    let bytes = source.as_bytes();
    let mut last = 0;
    while i < bytes.len() {
        if let Some(range) = code.iter().find(|r| r.contains(&i)) {
            if !in_comment {
                i = range.end.max(i + 1);
                continue;
            }
        }
        if bytes[i] == b'%' && bytes.get(i + 1) == Some(&b'%') {
            if in_comment {
                out.extend(source[last..i].chars().filter(|&c| c == '\n'));
            } else {
                out.push_str(&source[last..i]);
            }
            in_comment = !in_comment;
            i += 2;
            last = i;
            continue;
        }
        i += 1;
    }
    if in_comment {
        out.extend(source[last..].chars().filter(|&c| c == '\n'));
    } else {
        out.push_str(&source[last..]);
    }
    out
}

/// A text rewritten from a note's source, with where its lines came from.
pub struct Rewritten {
    pub text: String,
    /// (offset in `text`, line of the source there), in order: the line of an offset is the last mark's line
    /// plus the newlines between them.
    pub lines: Vec<(usize, usize)>,
}

/// Obsidian's inline footnotes, `text^[a note]`, written as ordinary ones: `text[^loam-inline-1]`, and
/// `[^loam-inline-1]: a note` at the end. Outside code; a footnote may go on over several lines of its
/// paragraph, not past a blank line. `None` when there are none. The lines record where each part came from, so
/// that a link inside a footnote is reported at its own line.
pub fn inline_footnotes(source: &str, code: &[Range<usize>]) -> Option<Rewritten> {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len() + 64);
    let mut lines = vec![(0, 1)];
    // (the footnote's text with its lines kept, the source line it starts on)
    let mut definitions: Vec<(String, usize)> = Vec::new();
    let line_at = |offset: usize| 1 + memchr::memchr_iter(b'\n', &bytes[..offset]).count();
    let (mut i, mut last) = (0, 0);
    while let Some(found) = source[i..].find("^[") {
        let at = i + found;
        if let Some(range) = code.iter().find(|r| r.contains(&at)) {
            i = range.end.max(at + 1);
            continue;
        }
        // The `]` that closes it, before the paragraph ends (a blank line).
        let mut depth = 0usize;
        let mut end = None;
        for (j, byte) in bytes[at + 1..].iter().enumerate() {
            match byte {
                b'[' => depth += 1,
                b']' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(at + 1 + j);
                        break;
                    }
                }
                b'\n' if source[at + 2 + j..].split('\n').next().is_none_or(|next| next.trim().is_empty()) => break,
                _ => {}
            }
        }
        let Some(end) = end else {
            i = at + 2;
            continue;
        };
        let text = source[at + 2..end].trim();
        if text.is_empty() {
            i = end + 1;
            continue;
        }
        out.push_str(&source[last..at]);
        out.push_str(&format!("[^loam-inline-{}]", definitions.len() + 1));
        // Each line of the footnote kept as a line of its definition, indented to stay inside it.
        let kept: Vec<&str> = text.split('\n').map(str::trim).collect();
        definitions.push((kept.join("\n    "), line_at(at)));
        last = end + 1;
        i = end + 1;
        if kept.len() > 1 {
            lines.push((out.len(), line_at(end)));
        }
    }
    if definitions.is_empty() {
        return None;
    }
    out.push_str(&source[last..]);
    for (n, (text, line)) in definitions.iter().enumerate() {
        out.push_str("\n\n");
        lines.push((out.len(), *line));
        out.push_str(&format!("[^loam-inline-{}]: ", n + 1));
        out.push_str(text);
    }
    out.push('\n');
    Some(Rewritten { text: out, lines })
}

/// A link as a version's Markdown writes it, found without parsing the Markdown (a past version is not parsed
/// for its links: every version of every note would be): `[[target#fragment|label]]`, `![[…]]`, and
/// `[label](dest)` / `![alt](dest)` with a destination in the garden. Links inside code are found too; they
/// resolve or not like any other, and a reader's renderer skips them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written<'a> {
    /// Where the whole link is in the text (with its `!`, its label for a Markdown link).
    pub span: std::ops::Range<usize>,
    /// What the link points at as written: a wikilink's part before `|`, trimmed; a Markdown link's destination.
    pub key: &'a str,
    /// Whether it is a Markdown link (`[label](dest)`), whose destination is percent-encoded.
    pub markdown: bool,
}

/// The links of `text` ([`Written`]), in order.
pub fn written_links(text: &str) -> Vec<Written<'_>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = memchr::memchr2(b'[', b']', &bytes[at..]) {
        let i = at + found;
        at = i + 1;
        if bytes[i] == b'[' && bytes.get(i + 1) == Some(&b'[') {
            // A wikilink: to the next `]]` on the line.
            let inner_start = i + 2;
            let line_end = memchr::memchr(b'\n', &bytes[inner_start..]).map_or(bytes.len(), |n| inner_start + n);
            let Some(close) = memchr::memmem::find(&bytes[inner_start..line_end], b"]]") else { continue };
            let inner = &text[inner_start..inner_start + close];
            let target = inner.split('|').next().unwrap_or_default().trim_end_matches('\\').trim();
            let start = if i > 0 && bytes[i - 1] == b'!' { i - 1 } else { i };
            out.push(Written { span: start..inner_start + close + 2, key: target, markdown: false });
            at = inner_start + close + 2;
        } else if bytes[i] == b']' && bytes.get(i + 1) == Some(&b'(') {
            // A Markdown link: its destination to `)` (or `<…>`), its label from the `[` before on the line.
            let dest_start = i + 2;
            let rest = &text[dest_start..];
            let (dest, after) = if let Some(angled) = rest.strip_prefix('<') {
                let Some(end) = angled.find(['>', '\n']).filter(|&e| angled[e..].starts_with('>')) else { continue };
                (&angled[..end], dest_start + 1 + end + 1)
            } else {
                let end = rest.find([')', ' ', '\t', '\n']).unwrap_or(rest.len());
                (&rest[..end], dest_start + end)
            };
            let Some(close) = text[after..].find([')', '\n']).filter(|&c| text[after + c..].starts_with(')')) else {
                continue;
            };
            let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
            let Some(open) = text[line_start..i].rfind('[').map(|o| line_start + o) else { continue };
            if dest.is_empty() || !crate::markdown::is_local(dest) {
                continue;
            }
            let start = if open > 0 && bytes[open - 1] == b'!' { open - 1 } else { open };
            out.push(Written { span: start..after + close + 1, key: dest, markdown: true });
            at = after + close + 1;
        }
    }
    out
}

/// The `#tags` of `text` as written (without `#`), found as [`written_links`] finds links.
pub fn written_tags(text: &str) -> Vec<&str> {
    memchr::memchr_iter(b'#', text.as_bytes())
        .filter(|&i| tag_may_start(text, i))
        .filter_map(|i| {
            let len = tag_len(&text[i + 1..]);
            (len > 0).then(|| &text[i + 1..i + 1 + len])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_need_a_pair() {
        assert_eq!(
            split("a ==b== c", true),
            vec![Piece::Text("a "), Piece::MarkOpen, Piece::Text("b"), Piece::MarkClose, Piece::Text(" c")]
        );
        assert_eq!(split("if a == b then", true), vec![Piece::Text("if a == b then")]);
    }

    #[test]
    fn tags_follow_obsidian() {
        assert_eq!(split("#rough idea", true), vec![Piece::Tag("rough"), Piece::Text(" idea")]);
        assert_eq!(
            split("see #area/topic/.", true),
            vec![Piece::Text("see "), Piece::Tag("area/topic"), Piece::Text("/.")]
        );
        assert_eq!(split("issue #123 and page#x", true), vec![Piece::Text("issue #123 and page#x")]);
        assert_eq!(split("#todo-think-completed", true), vec![Piece::Tag("todo-think-completed")]);
        assert_eq!(split("#rough", false), vec![Piece::Text("#rough")]);
        assert_eq!(split("#Gödel", true), vec![Piece::Tag("Gödel")]);
    }

    #[test]
    fn block_ids() {
        assert_eq!(trailing_block_id("An idea. ^my-idea"), Some(("my-idea", "An idea.")));
        assert_eq!(trailing_block_id("^solo"), Some(("solo", "")));
        assert_eq!(trailing_block_id("x^2"), None);
        assert_eq!(trailing_block_id("2^10 is ^"), None);
    }

    #[test]
    fn comments_disappear_but_lines_stay() {
        assert_eq!(strip_comments("a %%secret%% b", &[]), "a  b");
        assert_eq!(strip_comments("a\n%%\nsecret\n%%\nb", &[]), "a\n\n\n\nb");
        let src = "`%%kept%%` %%gone%%";
        let code = vec![Range { start: 0, end: 10 }];
        assert_eq!(strip_comments(src, &code), "`%%kept%%` ");
        assert_eq!(strip_comments("a %%never closed\nsecret", &[]), "a \n");
    }

    #[test]
    fn written_links_are_found_with_their_spans_and_keys() {
        let text =
            "See [[Bees#Stings|stings]], ![[comb.png]], [the hive](Hive%20notes.md#top) and [web](https://a.b).\n\
                    [[broken\n]] and [x](<My note.md>).";
        let found: Vec<(&str, &str, bool)> =
            written_links(text).iter().map(|l| (&text[l.span.clone()], l.key, l.markdown)).collect();
        assert_eq!(
            found,
            [
                ("[[Bees#Stings|stings]]", "Bees#Stings", false),
                ("![[comb.png]]", "comb.png", false),
                ("[the hive](Hive%20notes.md#top)", "Hive%20notes.md#top", true),
                ("[x](<My note.md>)", "My note.md", true),
            ]
        );
        // In a table, `\|` separates the label.
        assert_eq!(written_links("| [[a\\|b]] |")[0].key, "a");
        assert_eq!(written_tags("#one two#not (#three) #42 #4b"), ["one", "three", "4b"]);
    }
}
