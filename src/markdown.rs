//! Markdown with Obsidian's syntax to HTML, before links are resolved. Pure: text in, [`Rendered`] out.
//!
//! Rendering happens in two stages so that the expensive one can be cached by the note's content alone. This
//! module is the first stage: it runs pulldown-cmark once and writes HTML in which every internal link, embed,
//! heading and block carries a marker (`\0S3\0` … `\0E3\0` around link 3, `\0M4\0` for embed 4, `\0H1\0` before
//! heading 1, `\0B0\0` … `\0b0\0` around block 0). The second stage (`page.rs`) replaces the markers once the
//! whole garden is known. NUL never occurs in pulldown-cmark's output (CommonMark turns it into U+FFFD), so a
//! marker cannot be forged by a note's text. HTML written in the note is sanitised here too, so that every later
//! stage (pages, transclusions, the feed, the search index) reads clean HTML (`markdown/sanitise.rs`).
//!
//! Longer than most files (about 900 lines) for a reason: it is one pass over pulldown-cmark's events, and the
//! pass's state (open blocks, links, embeds, headings, the block being written) is shared by every rule in it;
//! what stands alone is in `markdown/` (inline syntax, math, highlighting, sanitising, a link's sentence).

mod context;
pub mod highlight;
mod inline;
pub use inline::{written_links, written_tags, Written};
mod math;
mod sanitise;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
use pulldown_cmark_escape::{escape_href, escape_html};

use crate::slug;

/// How an internal link was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// `[[target]]` or `[label](target.md)`.
    Link,
    /// `![[target]]` or `![alt](target.png)`: an image, a file, or a transcluded note.
    Embed,
}

/// A piece of the sentence around a link, kept apart from the text so that the second stage can hide what
/// must not be shown (the name of an unpublished note).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    /// Another internal link of the same note, by index.
    Link(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLink {
    pub kind: LinkKind,
    /// The target's path, percent-decoded; empty for a link to a heading of the same note.
    pub target: String,
    /// What followed `#`, if anything: a heading or `^block-id`.
    pub fragment: Option<String>,
    /// The visible text (or the alt text of an embed), as plain text.
    pub label: String,
    /// Whether the author wrote the label (`[[a|label]]`, `[label](a.md)`) or it is the target itself.
    pub explicit_label: bool,
    /// Line in the note's body (1-based; the caller adds the frontmatter's lines).
    pub line: usize,
    /// `![[image.png|300x200]]`.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The block the link stands in, for the sentence around it that a backlink shows ([`RawLink::sentence`]).
    pub context: Context,
}

/// The block a link stands in, shared by all its links: a note of many links keeps each block's text once, and
/// the sentence around a link is cut from it only when a backlink shows it (a 25 MB note of links kept a
/// sentence per link, gigabytes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    block: std::sync::Arc<[Segment]>,
    /// Where the link's own segment is in `block`.
    at: usize,
}

impl RawLink {
    /// The sentence the link stands in, for backlinks, cut from its block; `label_of` gives the label of the
    /// note's other links (by index), which count towards its length.
    pub fn sentence<'l>(&self, label_of: &dyn Fn(usize) -> &'l str) -> Vec<Segment> {
        if self.context.block.is_empty() {
            return Vec::new();
        }
        context::sentence_around(&self.context.block, self.context.at, label_of)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// The first stage's result: HTML with markers and what the second stage needs to replace them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    pub links: Vec<RawLink>,
    pub headings: Vec<Heading>,
    /// Block ids (`^id`) in the order of their `\0B{n}\0` markers.
    pub blocks: Vec<String>,
    /// Inline tags without `#`, in order of appearance.
    pub tags: Vec<String>,
}

impl Rendered {
    /// The heading a link's `#fragment` names: by id (`#my-heading`) or by text, case-insensitively
    /// (`#My Heading`). Obsidian writes a sub-heading as `Heading#Sub`; the last part names it.
    pub fn heading_for(&self, fragment: &str) -> Option<usize> {
        heading_for(self.headings.iter().map(|h| (h.id.as_str(), h.text.as_str())), fragment)
    }
}

/// What Obsidian shows for a wikilink written without a label whose target has a `#` part: the note's name and
/// each heading (or block id) after it, joined by " > " (`[[Note#A#B]]` reads "Note > A > B"); a link within the
/// note shows only the heading (`[[#Heading]]` reads "Heading"). `None` when the link has no `#` part: then it
/// reads as written.
fn wikilink_label(dest: &str) -> Option<String> {
    let dest = dest.trim_end_matches('\\').trim();
    let (target, fragment) = dest.split_once('#')?;
    let parts = std::iter::once(target.trim())
        .chain(fragment.split('#').map(str::trim))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>();
    (!parts.is_empty()).then(|| parts.join(" > "))
}

/// The index of the event that closes the link opened at `start` (its label's events are in between).
fn link_end(events: &[(Event<'_>, usize)], start: usize) -> usize {
    let mut depth = 0;
    for (j, (event, _)) in events.iter().enumerate().skip(start) {
        match event {
            Event::Start(Tag::Link { .. }) => depth += 1,
            Event::End(TagEnd::Link) => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    start + 1
}

/// Which of `headings` (id, text) a link's `#fragment` names (see [`Rendered::heading_for`]).
pub fn heading_for<'h>(mut headings: impl Iterator<Item = (&'h str, &'h str)>, fragment: &str) -> Option<usize> {
    let wanted = fragment.rsplit('#').next().unwrap_or(fragment);
    let id = heading_id(wanted);
    let wanted_key = slug::key(wanted);
    headings.position(|(heading_id, text)| heading_id == id || slug::key(text) == wanted_key)
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
        | Options::ENABLE_WIKILINKS
}

const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif", "webp", "svg", "avif", "bmp", "ico", "tif", "tiff"];

/// Ids the built-in templates use for their own landmarks; a heading never takes one of them.
const RESERVED_IDS: &[&str] =
    &["main", "content", "loam-toc-title", "loam-backlinks-title", "loam-children-title", "loam-items-title"];

/// Whether a file name is an image a browser can show.
pub fn is_image(name: &str) -> bool {
    extension(name).is_some_and(|ext| IMAGE_EXTENSIONS.contains(&ext.as_str()))
}

/// Lower-case extension of a file name, if any.
pub fn extension(name: &str) -> Option<String> {
    let file = name.rsplit('/').next().unwrap_or(name);
    let dot = file.rfind('.')?;
    (dot > 0).then(|| file[dot + 1..].to_ascii_lowercase())
}

/// The id a heading gets, and the id a link `#fragment` is looked up by.
pub fn heading_id(text: &str) -> String {
    slug::slugify(text)
}

/// What becomes of the HTML written in a note, and of its links to `javascript:` and the like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RawHtml {
    /// Through an allow-list (`markdown/sanitise.rs`): in a community wiki, what one member writes runs in every
    /// reader's browser.
    #[default]
    Sanitised,
    /// As written (`unsafe_html = true` in `loam.toml`), for a site whose authors are all trusted.
    Kept,
}

/// The ranges of `text` that are code (spans and blocks), where `%%` and `^[` mean nothing.
fn code_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    Parser::new_ext(text, options())
        .into_offset_iter()
        .filter(|(e, _)| matches!(e, Event::Code(_) | Event::Start(Tag::CodeBlock(_))))
        .map(|(_, range)| range)
        .collect()
}

/// `text` (a note's Markdown) without its `%%comments%%`, which no page shows: what a published history gives of
/// a version's source.
pub fn without_comments(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains("%%") {
        std::borrow::Cow::Owned(inline::strip_comments(text, &code_ranges(text)))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Renders a note's body (without frontmatter). `base_path` prefixes the URLs of inline tags. Unless
/// `strict_line_breaks`, a single newline in a paragraph is a line break, as Obsidian shows it by default.
pub fn render(body: &str, base_path: &str, raw_html: RawHtml, strict_line_breaks: bool) -> Rendered {
    render_with_tasks(body, base_path, raw_html, strict_line_breaks, ["done", "to do"])
}

/// [`render`], with `tasks` as what screen readers call a task's box, done and to do (the garden's language).
pub fn render_with_tasks(
    body: &str,
    base_path: &str,
    raw_html: RawHtml,
    strict_line_breaks: bool,
    tasks: [&str; 2],
) -> Rendered {
    let code = code_ranges;
    let stripped = without_comments(body);
    let source: &str = &stripped;
    let with_footnotes;
    let mut line_marks = Vec::new();
    let source = match source.contains("^[").then(|| inline::inline_footnotes(source, &code(source))).flatten() {
        Some(rewritten) => {
            with_footnotes = rewritten.text;
            line_marks = rewritten.lines;
            with_footnotes.as_str()
        }
        None => source,
    };
    let mut renderer = Renderer::new(source, base_path, raw_html);
    renderer.line_marks = line_marks;
    renderer.strict_line_breaks = strict_line_breaks;
    renderer.run(tasks)
}

/// Footnotes as Obsidian and GitHub show them: each reference numbered in the order it first appears, and the
/// definitions gathered at the end of the note in that order, each with links back to its references. A
/// definition no reference names is left out, as GitHub leaves it out.
#[derive(Default)]
struct Footnotes<'a> {
    /// Labels in the order of their first reference.
    order: Vec<String>,
    /// How many references each label has had, for their ids.
    references: HashMap<String, usize>,
    /// Each definition's events, by label.
    definitions: HashMap<String, Vec<Event<'a>>>,
    /// The definition being gathered: its label, its events so far, and how deep inside it the events are.
    open: Option<(String, Vec<Event<'a>>, usize)>,
}

impl<'a> Footnotes<'a> {
    /// What to write for `event` where it is: nothing while a definition is being gathered.
    fn pass(&mut self, event: Event<'a>) -> Option<Event<'a>> {
        let event = self.reference(event);
        if let Some((_, events, depth)) = &mut self.open {
            match &event {
                Event::Start(_) => *depth += 1,
                Event::End(TagEnd::FootnoteDefinition) if *depth == 0 => {
                    if let Some((label, events, _)) = self.open.take() {
                        self.definitions.entry(label).or_insert(events);
                    }
                    return None;
                }
                Event::End(_) => *depth = depth.saturating_sub(1),
                _ => {}
            }
            events.push(event);
            return None;
        }
        match event {
            Event::Start(Tag::FootnoteDefinition(label)) => {
                self.open = Some((label.to_string(), Vec::new(), 0));
                None
            }
            other => Some(other),
        }
    }

    /// A reference, numbered, with an id to come back to.
    fn reference(&mut self, event: Event<'a>) -> Event<'a> {
        let Event::FootnoteReference(label) = event else { return event };
        let label = label.to_string();
        let n = match self.order.iter().position(|known| *known == label) {
            Some(at) => at + 1,
            None => {
                self.order.push(label.clone());
                self.order.len()
            }
        };
        let count = self.references.entry(label).or_default();
        *count += 1;
        let id = reference_id(n, *count);
        Event::InlineHtml(CowStr::from(format!(
            "<sup class=\"footnote-ref\"><a href=\"#fn-{n}\" id=\"{id}\">{n}</a></sup>"
        )))
    }

    /// The footnotes section, in the order of the first references.
    fn section(mut self) -> Vec<Event<'a>> {
        let defined: Vec<(usize, String)> = (self.order.iter().enumerate())
            .filter(|(_, label)| self.definitions.contains_key(*label))
            .map(|(at, label)| (at + 1, label.clone()))
            .collect();
        if defined.is_empty() {
            return Vec::new();
        }
        let mut out = vec![Event::Html(CowStr::from("<section class=\"footnotes\">\n<ol>\n"))];
        for (n, label) in defined {
            out.push(Event::Html(CowStr::from(format!("<li id=\"fn-{n}\" value=\"{n}\">\n"))));
            out.extend(self.definitions.remove(&label).unwrap_or_default());
            let back: String = (1..=self.references.get(&label).copied().unwrap_or(1))
                .map(|k| {
                    let id = reference_id(n, k);
                    format!(" <a href=\"#{id}\" class=\"footnote-backref\" aria-label=\"Back to reference {n}\">↩</a>")
                })
                .collect();
            out.push(Event::Html(CowStr::from(format!("{back}\n</li>\n"))));
        }
        out.push(Event::Html(CowStr::from("</ol>\n</section>\n")));
        out
    }
}

/// The id of the `k`th reference to footnote `n`.
fn reference_id(n: usize, k: usize) -> String {
    if k == 1 {
        format!("fnref-{n}")
    } else {
        format!("fnref-{n}-{k}")
    }
}

/// Per-block state for the sentence around links.
#[derive(Default)]
struct Frame {
    segments: Vec<Segment>,
    links: Vec<usize>,
    /// Whether the block holds a link, so that its text is worth collecting.
    collect: bool,
}

impl Frame {
    fn new(collect: bool) -> Frame {
        Frame { collect, ..Frame::default() }
    }
}

enum CalloutEnd {
    Div,
    Details,
}

struct Renderer<'a> {
    source: &'a str,
    base_path: &'a str,
    /// The Markdown's events with the byte offset where each starts, read one top-level block at a time: a
    /// note's events all at once took gigabytes for a note of 25 MB.
    parser: pulldown_cmark::OffsetIter<'a, pulldown_cmark::DefaultBrokenLinkCallback>,
    /// The events of the top-level block being written (with a stand-alone `^id` paragraph after it), text runs
    /// merged; indices below count in it.
    events: Vec<(Event<'a>, usize)>,
    /// The next top-level block, read ahead to see whether it names this one with a stand-alone `^id`.
    ahead: Vec<(Event<'a>, usize)>,
    /// Block number and id by the index of the event that starts the block.
    block_at: HashMap<usize, (usize, String)>,
    /// Indices of events to drop (the paragraph of a stand-alone `^id`).
    skip: Vec<bool>,
    /// Whether the block started by each event holds a link or an image.
    has_links: Vec<bool>,
    /// Events made and not yet written as HTML: a few at a time.
    out: std::collections::VecDeque<Event<'a>>,
    result: Rendered,
    frames: Vec<Frame>,
    heading_ids: HashSet<String>,
    /// Open block quotes: `Some` for callouts.
    quotes: Vec<Option<CalloutEnd>>,
    /// The closing tag of a callout title still open (`</div>` or `</summary>`).
    callout_title_open: Option<&'static str>,
    /// Depth of links and images we are inside (no tags there).
    link_depth: usize,
    /// Depth of external images we are inside, whose content becomes their `alt` text.
    image_depth: usize,
    /// The note's own HTML so far, each piece replaced by a marker in `out` until it is sanitised; `None` when
    /// it is kept as written.
    raw: Option<Vec<CowStr<'a>>>,
    /// Our own internal link currently open, whose label goes into the context as one segment.
    open_link: Option<usize>,
    /// Whether a single newline only joins lines (see [`render`]).
    strict_line_breaks: bool,
    in_code_block: bool,
    /// The fenced block being read, when it is highlighted or a diagram rather than left to pulldown-cmark, and
    /// its text so far.
    fence: Option<(highlight::Fence, String)>,
    /// Whether the stylesheet of highlighted code is linked yet (before the note's first highlighted block).
    highlight_linked: bool,
    /// Whether the callouts' stylesheet is linked yet (before the note's first callout).
    callouts_linked: bool,
    /// Closing markers for blocks with ids, by the index of their starting event's matching end.
    block_end_at: HashMap<usize, (usize, BlockClose)>,
    /// The last (byte offset, line) asked for: links come in document order, so lines are counted onwards.
    line_cursor: (usize, usize),
    /// Where the lines of a source rewritten for inline footnotes came from ([`inline::Rewritten::lines`]); empty
    /// when the source is the note's own.
    line_marks: Vec<(usize, usize)>,
}

#[derive(Clone, Copy)]
enum BlockClose {
    Paragraph,
    Item,
    Div,
}

impl<'a> Renderer<'a> {
    fn new(source: &'a str, base_path: &'a str, raw_html: RawHtml) -> Self {
        Renderer {
            source,
            base_path,
            parser: Parser::new_ext(source, options()).into_offset_iter(),
            events: Vec::new(),
            ahead: Vec::new(),
            block_at: HashMap::default(),
            skip: Vec::new(),
            has_links: Vec::new(),
            out: std::collections::VecDeque::new(),
            result: Rendered::default(),
            frames: Vec::new(),
            heading_ids: HashSet::default(),
            quotes: Vec::new(),
            callout_title_open: None,
            link_depth: 0,
            image_depth: 0,
            raw: (raw_html == RawHtml::Sanitised).then(Vec::new),
            open_link: None,
            strict_line_breaks: true,
            in_code_block: false,
            fence: None,
            highlight_linked: false,
            callouts_linked: false,
            block_end_at: HashMap::default(),
            line_cursor: (0, 1),
            line_marks: Vec::new(),
        }
    }

    /// Reads the next top-level block's events into `into`; false at the end of the note.
    fn read_block(&mut self, into: &mut Vec<(Event<'a>, usize)>) -> bool {
        let source = self.source;
        let mut depth = 0usize;
        for (event, range) in self.parser.by_ref() {
            match &event {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth = depth.saturating_sub(1),
                _ => {}
            }
            // pulldown-cmark splits text at every character that might have been syntax; one run per stretch
            // of text makes highlights, tags and block ids visible as a whole.
            if let (Event::Text(next), Some((Event::Text(prev), _))) = (&event, into.last_mut()) {
                *prev = match (span_in(source, prev), span_in(source, next)) {
                    // Both are slices of the source, one after the other: the run is a slice too.
                    (Some((start, middle)), Some((next_start, end))) if middle == next_start => {
                        CowStr::Borrowed(&source[start..end])
                    }
                    _ => CowStr::from(format!("{prev}{next}")),
                };
            } else {
                into.push((event, range.start));
            }
            if depth == 0 {
                return true;
            }
        }
        !into.is_empty()
    }

    /// Makes the next top-level block the one being written, with the stand-alone `^id` paragraph after it if
    /// there is one (Obsidian's way to name a list, table or quote); false at the end of the note.
    fn next_block(&mut self) -> bool {
        let mut block = std::mem::take(&mut self.ahead);
        if block.is_empty() && !self.read_block(&mut block) {
            return false;
        }
        let mut ahead = std::mem::take(&mut self.events);
        ahead.clear();
        if self.read_block(&mut ahead) && is_lone_block_id(&ahead) {
            block.append(&mut ahead);
            self.read_block(&mut ahead);
        }
        self.events = block;
        self.ahead = ahead;
        self.skip.clear();
        self.skip.resize(self.events.len(), false);
        self.has_links.clear();
        self.has_links.resize(self.events.len(), false);
        self.block_at.clear();
        self.block_end_at.clear();
        self.find_block_ids();
        true
    }

    fn line_of(&mut self, offset: usize) -> usize {
        if !self.line_marks.is_empty() {
            // Inline footnotes were moved to the end: count from the last mark before the offset.
            let mark = self.line_marks.partition_point(|&(at, _)| at <= offset).saturating_sub(1);
            let (from, line) = self.line_marks[mark];
            let offset = offset.clamp(from, self.source.len());
            return line + memchr::memchr_iter(b'\n', &self.source.as_bytes()[from..offset]).count();
        }
        let (from, line) = if offset >= self.line_cursor.0 { self.line_cursor } else { (0, 1) };
        let offset = offset.min(self.source.len());
        let line = line + memchr::memchr_iter(b'\n', &self.source.as_bytes()[from..offset]).count();
        self.line_cursor = (offset, line);
        line
    }

    /// Finds `^block-id`s at the end of paragraphs and list items, and stand-alone ones after a list, table or
    /// quote (Obsidian's way of naming those), before anything is written.
    fn find_block_ids(&mut self) {
        let mut starts: Vec<usize> = Vec::new();
        let mut last_end: Option<(usize, usize)> = None; // (start index, end index) of the last closed block
        let mut items: Vec<(usize, String)> = Vec::new(); // items named on their first line, not yet closed
        for i in 0..self.events.len() {
            match &self.events[i].0 {
                Event::Start(Tag::Link { .. } | Tag::Image { .. }) => {
                    // Every block around it holds a link; the outer ones are marked already if this one is.
                    for &start in starts.iter().rev() {
                        if std::mem::replace(&mut self.has_links[start], true) {
                            break;
                        }
                    }
                    starts.push(i);
                }
                Event::Start(tag) => {
                    // A list item whose first line ends with an id and goes on with a nested list: the id names
                    // the item, children and all, as in Obsidian.
                    if let (Tag::List(_), Some(&item), Some((Event::Text(text), _))) =
                        (tag, starts.last(), i.checked_sub(1).map(|p| &self.events[p]))
                    {
                        if matches!(self.events[item].0, Event::Start(Tag::Item)) {
                            if let Some((id, before)) = inline::trailing_block_id(text) {
                                let id = id.to_string();
                                self.events[i - 1].0 = Event::Text(CowStr::from(before.to_string()));
                                items.push((item, id));
                            }
                        }
                    }
                    starts.push(i)
                }
                Event::End(end) => {
                    let start = starts.pop().unwrap_or(0);
                    if matches!(end, TagEnd::Item) && items.last().is_some_and(|(item, _)| *item == start) {
                        let (_, id) = items.pop().unwrap();
                        self.mark_block(start, i, id);
                        last_end = Some((start, i));
                        continue;
                    }
                    // `^id` on a line of its own right under a quote or callout (Obsidian's way of naming it,
                    // which Markdown reads as the last line of its last paragraph) names the whole quote.
                    if let Some((quote, id)) = self.id_under_a_quote(i, &starts) {
                        self.skip[i - 2] = true;
                        self.skip[i - 1] = true;
                        self.mark_block(quote, i + 1, id);
                        last_end = Some((start, i));
                        continue;
                    }
                    let closes_text_block = matches!(end, TagEnd::Paragraph | TagEnd::Item);
                    if closes_text_block && i > 0 {
                        if let Event::Text(text) = &self.events[i - 1].0 {
                            if let Some((id, before)) = inline::trailing_block_id(text) {
                                let id = id.to_string();
                                let stand_alone = before.is_empty() && i >= 2 && i - 2 == start;
                                if stand_alone && matches!(end, TagEnd::Paragraph) {
                                    if let Some((prev_start, prev_end)) = last_end.filter(|&(_, e)| e + 1 == start) {
                                        self.skip[start] = true;
                                        self.skip[i - 1] = true;
                                        self.skip[i] = true;
                                        self.mark_block(prev_start, prev_end, id);
                                        continue;
                                    }
                                }
                                self.events[i - 1].0 = Event::Text(CowStr::from(before.to_string()));
                                self.mark_block(start, i, id);
                            }
                        }
                    }
                    last_end = Some((start, i));
                }
                _ => {}
            }
        }
    }

    /// When the paragraph ending at event `i` is the last of a quote and its last line is a lone `^id`: the
    /// quote's start (from `starts`, the open blocks around it) and the id.
    fn id_under_a_quote(&self, i: usize, starts: &[usize]) -> Option<(usize, String)> {
        let (Event::End(TagEnd::Paragraph), Some(&quote)) = (&self.events[i].0, starts.last()) else { return None };
        if i < 3 || !matches!(self.events[i - 2].0, Event::SoftBreak | Event::HardBreak) {
            return None;
        }
        let closes_quote = matches!(self.events.get(i + 1), Some((Event::End(TagEnd::BlockQuote(_)), _)));
        let Event::Text(text) = &self.events[i - 1].0 else { return None };
        let (id, before) = inline::trailing_block_id(text)?;
        (closes_quote && before.is_empty() && matches!(self.events[quote].0, Event::Start(Tag::BlockQuote(_))))
            .then(|| (quote, id.to_string()))
    }

    fn mark_block(&mut self, start: usize, end: usize, id: String) {
        let close = match &self.events[start].0 {
            Event::Start(Tag::Paragraph) => BlockClose::Paragraph,
            Event::Start(Tag::Item) => BlockClose::Item,
            _ => BlockClose::Div,
        };
        let n = self.result.blocks.len();
        self.result.blocks.push(id.clone());
        self.block_at.insert(start, (n, id));
        self.block_end_at.insert(end, (n, close));
    }

    fn run(mut self, tasks: [&str; 2]) -> Rendered {
        let mut html = String::with_capacity(self.source.len() * 3 / 2);
        // Block by block, each event written as HTML as soon as it is made.
        let mut index = 0;
        let made = std::iter::from_fn(|| loop {
            if let Some(event) = self.out.pop_front() {
                return Some(event);
            }
            if index >= self.events.len() {
                if !self.next_block() {
                    return None;
                }
                index = 0;
                continue;
            }
            if self.skip[index] {
                index += 1;
                continue;
            }
            let events = std::mem::take(&mut self.events);
            index = self.event(&events, index);
            self.events = events;
        });
        // Footnotes are gathered at the end, numbered in the order of their first reference.
        let mut footnotes = Footnotes::default();
        pulldown_cmark::html::push_html(
            &mut html,
            made.filter_map(|event| footnotes.pass(event)).map(|e| task_box(e, tasks)),
        );
        pulldown_cmark::html::push_html(&mut html, footnotes.section().into_iter().map(|e| task_box(e, tasks)));
        self.result.html = match self.raw.as_deref() {
            Some(raw) if !raw.is_empty() => sanitise::clean(&html, raw),
            _ => html,
        };
        // The live preview keeps every note's result: what the buffers grew by in doubling would be a third of it.
        self.result.html.shrink_to_fit();
        self.result.links.shrink_to_fit();
        self.result.headings.shrink_to_fit();
        self.result.blocks.shrink_to_fit();
        self.result.tags.shrink_to_fit();
        self.result
    }

    fn html(&mut self, html: String) {
        self.out.push_back(Event::InlineHtml(CowStr::from(html)));
    }

    /// Handles the event at `i`; returns the index of the next event to handle.
    fn event(&mut self, events: &[(Event<'a>, usize)], i: usize) -> usize {
        let (event, offset) = (&events[i].0, events[i].1);
        // Most notes have no block ids; skip the lookups for them.
        let block_id = if self.block_at.is_empty() { None } else { self.block_at.get(&i).cloned() };
        if let Some((n, id)) = block_id {
            let id = escape(&format!("^{id}"));
            match event {
                Event::Start(Tag::Paragraph) => {
                    self.html(format!("\0B{n}\0<p id=\"{id}\">"));
                    self.frames.push(Frame::new(self.has_links[i]));
                    return i + 1;
                }
                Event::Start(Tag::Item) => {
                    self.html(format!("\0B{n}\0<li id=\"{id}\">"));
                    self.frames.push(Frame::new(self.has_links[i]));
                    return i + 1;
                }
                _ => self.html(format!("\0B{n}\0<div id=\"{id}\">")),
            }
        }
        match event {
            Event::Start(tag) => self.start(events, i, tag, offset),
            Event::End(end) => {
                self.end(*end);
                if let Some(&(n, close)) = (!self.block_end_at.is_empty()).then(|| self.block_end_at.get(&i)).flatten()
                {
                    match close {
                        BlockClose::Paragraph => {
                            self.html(format!("</p>\n\0b{n}\0"));
                            return i + 1;
                        }
                        BlockClose::Item => {
                            self.html(format!("</li>\n\0b{n}\0"));
                            return i + 1;
                        }
                        BlockClose::Div => {
                            self.flush_end(*end);
                            self.html(format!("</div>\0b{n}\0"));
                            return i + 1;
                        }
                    }
                }
                self.flush_end(*end);
                i + 1
            }
            Event::Text(text) => {
                if let Some((_, code)) = &mut self.fence {
                    code.push_str(text);
                } else if self.in_code_block {
                    self.out.push_back(event.clone());
                } else {
                    self.text_run(text);
                }
                i + 1
            }
            Event::Code(code) => {
                self.push_text_segment(code);
                self.out.push_back(event.clone());
                i + 1
            }
            Event::InlineMath(tex) => {
                self.push_text_segment(tex);
                self.html(math::render(tex, false));
                i + 1
            }
            Event::DisplayMath(tex) => {
                self.html(math::render(tex, true));
                i + 1
            }
            Event::SoftBreak | Event::HardBreak if self.callout_title_open.is_some() => {
                let close = self.callout_title_open.take().unwrap_or_default();
                self.html(format!("{close}<div class=\"callout-content\"><p>"));
                i + 1
            }
            Event::SoftBreak => {
                self.push_text_segment(" ");
                self.out.push_back(if self.strict_line_breaks { Event::SoftBreak } else { Event::HardBreak });
                i + 1
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                self.raw_html(html);
                i + 1
            }
            _ => {
                self.out.push_back(event.clone());
                i + 1
            }
        }
    }

    fn start(&mut self, events: &[(Event<'a>, usize)], i: usize, tag: &Tag<'a>, offset: usize) -> usize {
        match tag {
            Tag::BlockQuote(_) => {
                if let Some(next) = self.callout(events, i) {
                    return next;
                }
                self.quotes.push(None);
            }
            Tag::CodeBlock(kind) => {
                self.in_code_block = true;
                if let CodeBlockKind::Fenced(info) = kind {
                    // Its text is gathered and written whole when the block ends (`flush_end`), so that a block
                    // id after it still wraps it.
                    if let Some(fence) = highlight::fence(info) {
                        self.fence = Some((fence, String::new()));
                        return i + 1;
                    }
                }
            }
            Tag::Heading { level, .. } => return self.heading(events, i, *level),
            Tag::Paragraph | Tag::Item | Tag::TableCell => self.frames.push(Frame::new(self.has_links[i])),
            Tag::Link { link_type, dest_url, .. } => {
                self.link_depth += 1;
                if let Some(n) = self.internal_link(*link_type, dest_url, LinkKind::Link, offset) {
                    self.html(format!("\0S{n}\0"));
                    self.open_link = Some(n);
                    if let Some(frame) = self.frames.last_mut() {
                        frame.segments.push(Segment::Link(n));
                        frame.links.push(n);
                    }
                    // `[[Note#Heading]]` without a label reads "Note > Heading", as Obsidian shows it.
                    if let (LinkType::WikiLink { has_pothole: false }, Some(label)) =
                        (link_type, wikilink_label(dest_url))
                    {
                        self.push_text_segment(&label);
                        self.out.push_back(Event::Text(CowStr::from(label)));
                        return link_end(events, i);
                    }
                    return i + 1;
                }
                if self.raw.is_some() && !sanitise::url_allowed(dest_url) {
                    // A link that would run a script (`javascript:`) or open a document the note made up
                    // (`data:`) stays a link in looks only.
                    self.html("<a>".into());
                    return i + 1;
                }
            }
            Tag::Image { link_type, dest_url, .. } => {
                if let Some(n) = self.internal_link(*link_type, dest_url, LinkKind::Embed, offset) {
                    // The image's inner events are its alt text (or `300x200` for a wikilink embed).
                    let mut depth = 0;
                    let mut alt = String::new();
                    let mut j = i + 1;
                    while j < events.len() {
                        match &events[j].0 {
                            Event::Start(_) => depth += 1,
                            Event::End(_) if depth == 0 => break,
                            Event::End(_) => depth -= 1,
                            Event::Text(t) | Event::Code(t) => alt.push_str(t),
                            _ => {}
                        }
                        j += 1;
                    }
                    self.set_embed_label(n, &alt, *link_type);
                    self.html(format!("\0M{n}\0"));
                    return j + 1;
                }
                self.link_depth += 1;
                self.image_depth += 1;
                if self.raw.is_some() && !sanitise::url_allowed(dest_url) {
                    let mut image = tag.clone();
                    if let Tag::Image { dest_url, .. } = &mut image {
                        *dest_url = CowStr::Borrowed("");
                    }
                    self.out.push_back(Event::Start(image));
                    return i + 1;
                }
            }
            _ => {}
        }
        self.out.push_back(Event::Start(tag.clone()));
        i + 1
    }

    fn end(&mut self, end: TagEnd) {
        match end {
            TagEnd::CodeBlock => self.in_code_block = false,
            TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell | TagEnd::Heading(_) => {
                if let Some(frame) = self.frames.pop() {
                    self.finish_frame(frame);
                }
            }
            TagEnd::Link => self.link_depth = self.link_depth.saturating_sub(1),
            TagEnd::Image => {
                self.link_depth = self.link_depth.saturating_sub(1);
                self.image_depth = self.image_depth.saturating_sub(1);
            }
            _ => {}
        }
    }

    /// Links Loam's stylesheet `static/NAME` here, in the note's body: a page whose notes (its own or embedded)
    /// have none of what it styles does not load it.
    fn stylesheet(&mut self, name: &str) {
        let mut link = String::from("<link rel=\"stylesheet\" href=\"");
        let _ = escape_href(&mut link, &format!("{}static/{name}", self.base_path));
        link.push_str("\">");
        self.html(link);
    }

    /// Writes the end event, or our replacement of it.
    fn flush_end(&mut self, end: TagEnd) {
        match end {
            TagEnd::CodeBlock if self.fence.is_some() => {
                if let Some((fence, code)) = self.fence.take() {
                    // The colours come with the first highlighted block, so that only pages with code load them
                    // (a stylesheet linked in the body holds back what follows it until it is there: no flash).
                    let block = highlight::write(&fence, &code);
                    if !self.highlight_linked && block.contains("<span class=\"hl-") {
                        self.highlight_linked = true;
                        self.stylesheet("highlight.css");
                    }
                    self.html(block);
                }
            }
            TagEnd::Link if self.open_link.is_some() => {
                let n = self.open_link.take().unwrap_or_default();
                self.html(format!("\0E{n}\0"));
            }
            TagEnd::Paragraph if self.callout_title_open.is_some() => {
                // A callout with only a title line: the paragraph we opened it in was never written.
                let close = self.callout_title_open.take().unwrap_or_default();
                self.html(format!("{close}<div class=\"callout-content\">"));
            }
            TagEnd::BlockQuote(_) => match self.quotes.pop() {
                Some(Some(CalloutEnd::Div)) => self.html("</div></div>\n".into()),
                Some(Some(CalloutEnd::Details)) => self.html("</div></details>\n".into()),
                _ => self.out.push_back(Event::End(end)),
            },
            _ => self.out.push_back(Event::End(end)),
        }
    }

    /// `> [!type]± Title`: returns the next event index if the quote at `i` is a callout.
    fn callout(&mut self, events: &[(Event<'a>, usize)], i: usize) -> Option<usize> {
        let (Some((Event::Start(Tag::Paragraph), _)), Some((Event::Text(text), _))) =
            (events.get(i + 1), events.get(i + 2))
        else {
            return None;
        };
        let rest = text.strip_prefix("[!")?;
        let close = rest.find(']')?;
        // `[!type|metadata]`: the metadata is for the vault's CSS (`data-callout-metadata`), as in Obsidian.
        let (kind, metadata) = match rest[..close].split_once('|') {
            Some((kind, metadata)) => (kind.trim().to_lowercase(), Some(metadata.trim())),
            None => (rest[..close].trim().to_lowercase(), None),
        };
        if kind.is_empty() || !kind.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
            return None;
        }
        let mut after = &rest[close + 1..];
        let fold = match after.chars().next() {
            Some('-') => Some(false),
            Some('+') => Some(true),
            _ => None,
        };
        if fold.is_some() {
            after = &after[1..];
        }
        let mut kind_attr = escape(&kind);
        if let Some(metadata) = metadata.filter(|m| !m.is_empty()) {
            kind_attr.push_str(&format!("\" data-callout-metadata=\"{}", escape(metadata)));
        }
        // Their colours and icons come with the first callout, as highlighted code's do (see `flush_end`).
        if !self.callouts_linked {
            self.callouts_linked = true;
            self.stylesheet("callouts.css");
        }
        match fold {
            Some(open) => {
                let open = if open { " open" } else { "" };
                self.html(format!(
                    "<details class=\"callout\" data-callout=\"{kind_attr}\"{open}><summary class=\"callout-title\">\
                     <span class=\"callout-title-inner\">"
                ));
                self.quotes.push(Some(CalloutEnd::Details));
            }
            None => {
                self.html(format!(
                    "<div class=\"callout\" data-callout=\"{kind_attr}\"><div class=\"callout-title\">\
                     <span class=\"callout-title-inner\">"
                ));
                self.quotes.push(Some(CalloutEnd::Div));
            }
        }
        let title_ends_here = matches!(
            events.get(i + 3).map(|e| &e.0),
            None | Some(Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph))
        );
        // Keep the space before inline formatting that continues the title (`Title **bold**`).
        let title = if title_ends_here { after.trim() } else { after.trim_start() };
        if title.is_empty() && title_ends_here {
            let mut chars = kind.chars();
            let default: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
            self.out.push_back(Event::Text(CowStr::from(default)));
        } else {
            self.frames.push(Frame::default());
            self.text(title);
            self.frames.pop();
        }
        // The title is one inline run (`callout-title-inner`) beside the icon, so that a link or code in it flows
        // as text instead of each becoming a column of the title's row.
        self.callout_title_open = Some(if fold.is_some() { "</span></summary>" } else { "</span></div>" });
        // The title's closing tag is written when its line ends (soft break or end of paragraph).
        Some(i + 3)
    }

    fn heading(&mut self, events: &[(Event<'a>, usize)], i: usize, level: HeadingLevel) -> usize {
        let mut text = String::new();
        for (event, _) in &events[i + 1..] {
            match event {
                Event::End(TagEnd::Heading(_)) => break,
                Event::Text(t) | Event::Code(t) | Event::InlineMath(t) => text.push_str(t),
                _ => {}
            }
        }
        let text = text.trim().to_string();
        let base = heading_id(&text);
        // Repeated headings get `-1`, `-2`, … until the id is free: "Reference 1-2" and a third
        // "Reference 1" must not both become `reference-1-2`.
        let mut id = base.clone();
        let mut count = 0;
        while self.heading_ids.contains(&id) || RESERVED_IDS.contains(&id.as_str()) {
            count += 1;
            id = format!("{base}-{count}");
        }
        self.heading_ids.insert(id.clone());
        let n = self.result.headings.len();
        self.result.headings.push(Heading { level: level as u8, id: id.clone(), text });
        self.html(format!("\0H{n}\0"));
        self.out.push_back(Event::Start(Tag::Heading {
            level,
            id: Some(CowStr::from(id)),
            classes: vec![],
            attrs: vec![],
        }));
        self.frames.push(Frame::new(self.has_links[i]));
        i + 1
    }

    /// HTML written in the note: as it is, or as a marker for `sanitise::clean` to replace.
    fn raw_html(&mut self, html: &CowStr<'a>) {
        // Inside an image it is part of the `alt` text, which pulldown-cmark escapes.
        if self.image_depth > 0 {
            self.out.push_back(Event::Text(html.clone()));
            return;
        }
        let Some(raw) = &mut self.raw else {
            self.out.push_back(Event::Html(html.clone()));
            return;
        };
        // The piece's last line break stays outside the marker, so that pulldown-cmark lays out what follows
        // as it would after the piece itself.
        let (len, newline) = match html.strip_suffix('\n') {
            Some(piece) => (piece.len(), "\n"),
            None => (html.len(), ""),
        };
        let marker = sanitise::marker(raw.len());
        raw.push(match html {
            CowStr::Borrowed(html) => CowStr::Borrowed(&html[..len]),
            html => CowStr::from(html[..len].to_string()),
        });
        self.out.push_back(Event::InlineHtml(CowStr::from(marker + newline)));
    }

    /// A run of text from the document: most runs hold no Obsidian syntax and pass through without copying.
    fn text_run(&mut self, text: &CowStr<'a>) {
        if memchr::memchr2(b'=', b'#', text.as_bytes()).is_none() {
            self.push_text_segment(text);
            self.out.push_back(Event::Text(text.clone()));
            return;
        }
        self.text(text);
    }

    fn text(&mut self, text: &str) {
        let allow_tags = self.link_depth == 0;
        for piece in inline::split(text, allow_tags) {
            match piece {
                inline::Piece::Text(t) => {
                    self.push_text_segment(t);
                    self.out.push_back(Event::Text(CowStr::from(t.to_string())));
                }
                inline::Piece::MarkOpen => self.html("<mark>".into()),
                inline::Piece::MarkClose => self.html("</mark>".into()),
                inline::Piece::Tag(tag) => {
                    self.push_text_segment(&format!("#{tag}"));
                    self.result.tags.push(tag.to_string());
                    let mut href = String::new();
                    let _ = escape_href(&mut href, &format!("{}tags/{}/", self.base_path, slug::slugify_path(tag)));
                    self.html(format!("<a class=\"tag\" href=\"{href}\">#{}</a>", escape(tag)));
                }
            }
        }
    }

    /// Adds text to the sentence being collected, unless it is the label of the link it belongs to.
    fn push_text_segment(&mut self, text: &str) {
        if let Some(n) = self.open_link {
            self.result.links[n].label.push_str(text);
            return;
        }
        if let Some(frame) = self.frames.last_mut().filter(|f| f.collect) {
            match frame.segments.last_mut() {
                Some(Segment::Text(prev)) => prev.push_str(text),
                _ => frame.segments.push(Segment::Text(text.to_string())),
            }
        }
    }

    fn internal_link(&mut self, link_type: LinkType, dest: &str, kind: LinkKind, offset: usize) -> Option<usize> {
        let (explicit_label, raw, encoded) = match link_type {
            LinkType::WikiLink { has_pothole } => (has_pothole, dest.trim_end_matches('\\').trim().to_string(), false),
            LinkType::Inline | LinkType::Reference | LinkType::Collapsed | LinkType::Shortcut => {
                if !is_local(dest) {
                    return None;
                }
                (true, dest.to_string(), true)
            }
            _ => return None,
        };
        // The fragment is split off before percent-decoding, so that a `%23` in a file name stays part of it.
        let (target, fragment) = match raw.split_once('#') {
            Some((t, f)) => (t.trim().to_string(), Some(f.trim().to_string()).filter(|f| !f.is_empty())),
            None => (raw.clone(), None),
        };
        let decode = |text: String| {
            if encoded {
                percent_encoding::percent_decode_str(&text).decode_utf8().map(|d| d.into_owned()).unwrap_or(text)
            } else {
                text
            }
        };
        let (target, fragment) = (decode(target), fragment.map(decode));
        let n = self.result.links.len();
        let line = self.line_of(offset);
        self.result.links.push(RawLink {
            kind,
            target,
            fragment,
            label: String::new(),
            explicit_label,
            line,
            width: None,
            height: None,
            context: Context::default(),
        });
        Some(n)
    }

    fn set_embed_label(&mut self, n: usize, alt: &str, link_type: LinkType) {
        let link = &mut self.result.links[n];
        if matches!(link_type, LinkType::WikiLink { has_pothole: true }) {
            // `![[image.png|300]]`, `![[image.png|300x200]]`, or `![[image.png|alt text|300]]`.
            let (text, size) = match alt.rsplit_once('|') {
                Some((text, size)) => (text.to_string(), size),
                None => (String::new(), alt),
            };
            let mut dims = size.trim().splitn(2, 'x');
            let width = dims.next().and_then(|w| w.trim().parse().ok());
            let height = dims.next().and_then(|h| h.trim().parse().ok());
            if width.is_some() {
                link.width = width;
                link.height = height;
                link.label = text;
            } else {
                link.label = alt.to_string();
            }
        } else {
            link.label = alt.to_string();
            link.explicit_label = !matches!(link_type, LinkType::WikiLink { .. });
        }
    }

    /// Gives every link of a finished block the block, to cut the sentence around it from.
    fn finish_frame(&mut self, frame: Frame) {
        if frame.links.is_empty() {
            return;
        }
        let block: std::sync::Arc<[Segment]> = frame.segments.into();
        let mut links = frame.links.iter().peekable();
        for (at, segment) in block.iter().enumerate() {
            if let Segment::Link(n) = segment {
                if links.next_if_eq(&n).is_some() {
                    self.result.links[*n].context = Context { block: block.clone(), at };
                }
            }
        }
    }
}

/// Whether a top-level block is a paragraph of nothing but a `^block-id`.
fn is_lone_block_id(events: &[(Event, usize)]) -> bool {
    match events {
        [(Event::Start(Tag::Paragraph), _), (Event::Text(text), _), (Event::End(TagEnd::Paragraph), _)] => {
            inline::trailing_block_id(text).is_some_and(|(_, before)| before.is_empty())
        }
        _ => false,
    }
}

/// Where `text` lies in `source`, if it is a slice of it.
fn span_in(source: &str, text: &CowStr) -> Option<(usize, usize)> {
    let CowStr::Borrowed(text) = text else {
        return None;
    };
    let start = (text.as_ptr() as usize).checked_sub(source.as_ptr() as usize)?;
    (start + text.len() <= source.len()).then_some((start, start + text.len()))
}

/// Whether a Markdown link destination points into the garden rather than at another site.
pub fn is_local(dest: &str) -> bool {
    if dest.is_empty() || dest.starts_with("//") {
        return false;
    }
    // A scheme (`https:`, `mailto:`, `obsidian:`) is letters, digits, `+`, `-`, `.` before the first `:`.
    match dest.find(':') {
        Some(colon) => {
            let scheme = &dest[..colon];
            let is_scheme = !scheme.is_empty()
                && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            !is_scheme
        }
        None => true,
    }
}

/// HTML-escapes text for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let _ = escape_html(&mut out, text);
    out
}

/// A task's box with a name for screen readers (pulldown-cmark writes a bare `<input type="checkbox">`, which
/// they announce as an unlabelled control): `tasks` (done, to do), and disabled, as a page cannot tick it.
fn task_box<'e>(event: Event<'e>, tasks: [&str; 2]) -> Event<'e> {
    let named = |checked: &str, word: &str| {
        let word = word.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
        Event::InlineHtml(format!(r#"<input type="checkbox" disabled{checked} aria-label="{word}"> "#).into())
    };
    match event {
        Event::TaskListMarker(true) => named(" checked", tasks[0]),
        Event::TaskListMarker(false) => named("", tasks[1]),
        event => event,
    }
}

#[cfg(test)]
mod tests;
