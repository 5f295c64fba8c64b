//! The site's full-text search index: an inverted index of every published note's words, split in chunks by
//! word, and the notes' text for excerpts, in bundles of a few notes, all as JSON files under [`FOLDER`] that
//! `static/search.js` fetches in the reader's browser. A reader downloads the list of chunks, then only the chunks
//! holding the words of the query and the bundles of the results shown, so the index scales to very large gardens,
//! and nothing comes from another site.
//!
//! Why not pagefind, which the issue asked for first: its library adds pages one at a time under a lock, clones
//! each, and builds and gzips the index at the highest level on one thread. At 10,000 notes it took 6.2 s and
//! 1.4 GiB beside a 1.1 s build. Here a note's words are found on the rendering thread that has its HTML already,
//! and the chunks are written in parallel.
//!
//! Words are keyed the same way here and in `search.js` ([`fold_into`], then [`strip_plural`] in English): lower case,
//! accents removed, plural endings off, so `godel` finds Gödel and `worms` finds worm. Chinese and Japanese
//! characters are words of one character each: a query's run of them matches where they stand side by side, so a
//! word is found inside a sentence written without spaces. The browser test over a whole real vault checks that
//! both sides cut and key every note alike.
//!
//! Where a word is, counted in the note's words: the body from 0 up, the title from -1 down, aliases and tags
//! from [`META`] down. Pure: the files go to the caller as they are made.
//!
//! Longer than most files (about 1,100 lines) for a reason: the index is a file format with its reader in
//! `static/search.js`, and the writer's rules (how words are folded and keyed, how chunks and bundles are cut) are
//! kept in one place so that they can be read against the reader's, with the tests that pin them.

use std::sync::Mutex;

use rayon::prelude::*;
use serde_json::json;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::output::OutputFile;

/// Where the index goes in the site, beside the site's own scripts.
pub const FOLDER: &str = "static/search";

/// The shape of the files, which `search.js` checks.
const VERSION: u32 = 2;

/// How many notes' texts share one bundle file: a result shown costs one bundle, and fewer files are quicker to
/// write.
const BUNDLE: usize = 8;

/// About how many bytes of postings go in one chunk of the word index.
const CHUNK_BYTES: usize = 48 * 1024;

/// The first position of aliases and tags (counted down); the title counts down from -1 to above it.
const META: i32 = -1001;

/// The longest word indexed, in characters: longer runs (hashes, encoded data) are shown but not indexed.
const LONGEST_WORD: usize = 64;

/// How many words of a note's text are kept for excerpts (about 150 KB): every word is indexed, but a reader
/// shown a result from a note of 100 MB downloads its first words only, and a match further on shows the note's
/// start.
const SHOWN_WORDS: usize = 20_000;

/// What the index knows of one note.
pub struct Entry {
    /// The note's URL relative to the site root, without the base path (`notes/a/`): `search.js` adds the base
    /// path, so the index works wherever the site is served.
    pub url: String,
    pub title: String,
    pub aliases: Vec<String>,
    pub tags: Vec<String>,
    /// The note's body as HTML (its headings keep their ids, so results can point at a section).
    pub content: String,
}

/// One note, ready for the index: its words with where they stand, and its text as `search.js` shows it.
struct Doc {
    url: String,
    /// Each folded word once, one after another: a note's words are kept in three allocations, not
    /// two per word (at 10,000 notes, the kernel's zeroing of fresh memory for a million small ones cost more
    /// than finding the words).
    words: String,
    /// For each word, where it ends in `words` and where its positions end in `positions`.
    ends: Vec<(u32, u32)>,
    /// Each word's positions in order of appearance (body, then title, then metadata).
    positions: Vec<i32>,
    /// The note's JSON for its bundle.
    fragment: String,
}

/// The pages of a search index, collected from any thread.
pub struct Indexer {
    language: String,
    docs: Mutex<Vec<Doc>>,
}

impl Indexer {
    /// An index of pages in `language` (the site's, such as `en` or `zh`), which `search.js` is told.
    pub fn start(language: &str) -> Indexer {
        Indexer { language: language.trim().to_string(), docs: Mutex::default() }
    }

    /// Adds a note; its words are found on the calling thread.
    pub fn add(&self, entry: Entry) {
        let doc = Doc::new(entry, stems(&self.language));
        crate::lock(&self.docs).push(doc);
    }

    /// The files of the index, under [`FOLDER`]: `meta.json` (the chunks and bundles), `index/N.json` and
    /// `text/N.json`.
    #[cfg(test)]
    fn finish(self) -> Vec<OutputFile> {
        let files = Mutex::new(Vec::new());
        self.finish_into(&|file| crate::lock(&files).push(file));
        files.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    /// The files of the index, each handed to `emit` (from several threads) as soon as it is made: the index
    /// never sits in memory whole, beside the notes' words.
    pub fn finish_into(self, emit: &(dyn Fn(OutputFile) + Sync)) {
        let mut docs = self.docs.into_inner().unwrap_or_else(|e| e.into_inner());
        // Pages arrive in the order the rendering threads finish them; the same garden must give the same files.
        docs.sort_unstable_by(|a, b| a.url.cmp(&b.url));
        build(&self.language, &docs, emit);
    }
}

impl Doc {
    fn new(entry: Entry, stem: bool) -> Doc {
        thread_local! {
            /// The words of the note being read, kept from note to note so that their memory is reused.
            static WORDS: std::cell::RefCell<Words> = std::cell::RefCell::default();
        }
        WORDS.with_borrow_mut(|words| {
            words.clear();
            Doc::read(entry, words, stem)
        })
    }

    fn read(entry: Entry, words: &mut Words, stem: bool) -> Doc {
        let mut body = Text::new(words, Field::Body, stem);
        body.push_html(&entry.content);
        let (text, words_in_text, anchors) = body.finish();
        let mut title = Text::new(words, Field::Title, stem);
        title.push(&entry.title);
        title.finish();
        let meta: Vec<&str> = entry.aliases.iter().chain(&entry.tags).map(String::as_str).collect();
        let mut meta_words = Text::new(words, Field::Meta, stem);
        meta_words.push(&meta.join(" \u{2022} "));
        meta_words.finish();

        let mut fragment = String::with_capacity(text.len() + 256);
        fragment.push_str("{\"url\":");
        push_json_string(&mut fragment, &entry.url);
        fragment.push_str(",\"title\":");
        push_json_string(&mut fragment, &entry.title);
        fragment.push_str(",\"text\":");
        push_json_string(&mut fragment, &text);
        fragment.push_str(",\"words\":");
        fragment.push_str(itoa::Buffer::new().format(words_in_text));
        fragment.push_str(",\"anchors\":");
        let anchors: Vec<_> = anchors.iter().map(|a| json!([a.position, a.id, a.title])).collect();
        fragment.push_str(&serde_json::Value::from(anchors).to_string());
        fragment.push('}');

        // In the map's order: the index sorts all words at the end, and each word's pages come in page order.
        let mut doc = Doc {
            url: entry.url,
            words: String::with_capacity(words.iter().map(|(word, _)| word.len()).sum()),
            ends: Vec::with_capacity(words.len()),
            positions: Vec::with_capacity(words.iter().map(|(_, positions)| positions.len()).sum()),
            fragment,
        };
        for (word, positions) in words.iter() {
            doc.words.push_str(word);
            doc.positions.extend_from_slice(positions);
            doc.ends.push((doc.words.len() as u32, doc.positions.len() as u32));
        }
        doc
    }

    /// Each word once, with its positions.
    fn words(&self) -> impl Iterator<Item = (&str, &[i32])> {
        let mut start = (0, 0);
        self.ends.iter().map(move |&(word_end, positions_end)| {
            let (word_start, positions_start) = std::mem::replace(&mut start, (word_end, positions_end));
            (
                &self.words[word_start as usize..word_end as usize],
                &self.positions[positions_start as usize..positions_end as usize],
            )
        })
    }
}

/// A note's folded words and their positions.
///
/// Kept by each thread from note to note: a word the thread has seen before costs no allocation (a million small
/// allocations and frees at 10,000 notes, otherwise).
#[derive(Default)]
struct Words {
    slot_of: rustc_hash::FxHashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
    positions: Vec<Vec<i32>>,
    /// The slots of the note's words, in the order they first came.
    used: Vec<u32>,
}

impl Words {
    fn push(&mut self, word: &str, position: i32) {
        let slot = match self.slot_of.get(word) {
            Some(&slot) => slot,
            None => {
                let slot = self.names.len() as u32;
                self.slot_of.insert(word.into(), slot);
                self.names.push(word.into());
                self.positions.push(Vec::new());
                slot
            }
        };
        let positions = &mut self.positions[slot as usize];
        if positions.is_empty() {
            self.used.push(slot);
        }
        positions.push(position);
    }

    /// Forgets the note's words, keeping the memory for the next note.
    fn clear(&mut self) {
        for &slot in &self.used {
            self.positions[slot as usize].clear();
        }
        self.used.clear();
    }

    fn len(&self) -> usize {
        self.used.len()
    }

    /// The note's words with their positions.
    fn iter(&self) -> impl Iterator<Item = (&str, &[i32])> {
        self.used.iter().map(|&slot| (&*self.names[slot as usize], self.positions[slot as usize].as_slice()))
    }
}

/// `s` as a JSON string.
fn push_json_string(out: &mut String, s: &str) {
    use std::fmt::Write;
    out.push('"');
    let mut rest = s;
    // Runs without a character to escape are copied whole.
    while let Some(at) = rest.bytes().position(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(&rest[..at]);
        match rest.as_bytes()[at] {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            control => {
                let _ = write!(out, "\\u{control:04x}");
            }
        }
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out.push('"');
}

/// Where a word goes in the index's order: `search.js` compares strings by UTF-16 code units, so the chunks are
/// sorted that way.
fn utf16_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// A word's page and its positions there.
type Posting<'d> = (u32, &'d [i32]);

fn build(language: &str, docs: &[Doc], emit: &(dyn Fn(OutputFile) + Sync)) {
    // Every word's pages, in page order: the words are shared out by their first byte, and each share gathered
    // on its own thread.
    const SHARDS: u8 = 16;
    let mut words: Vec<(&str, Vec<Posting>)> = (0..SHARDS)
        .into_par_iter()
        .flat_map_iter(|shard| {
            let mut postings: rustc_hash::FxHashMap<&str, Vec<Posting>> = rustc_hash::FxHashMap::default();
            for (page, doc) in docs.iter().enumerate() {
                for (word, positions) in doc.words() {
                    if word.as_bytes()[0] % SHARDS == shard {
                        postings.entry(word).or_default().push((page as u32, positions));
                    }
                }
            }
            postings
        })
        .collect();
    words.par_sort_unstable_by(|a, b| utf16_order(a.0, b.0));

    // Chunks of about CHUNK_BYTES each, by the size their postings will take.
    let mut chunks: Vec<(std::ops::Range<usize>, usize)> = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (n, (word, pages)) in words.iter().enumerate() {
        bytes += word.len() + pages.iter().map(|(_, p)| 8 + 6 * p.len().min(kept(pages.len()))).sum::<usize>();
        if bytes >= CHUNK_BYTES || n + 1 == words.len() {
            chunks.push((start..n + 1, bytes));
            start = n + 1;
            bytes = 0;
        }
    }
    // Each file is written at once; what is kept of it is a hash, for the stamp below.
    let written = |path: String, bytes: String| {
        let hash = xxhash_rust::xxh3::xxh3_64(bytes.as_bytes()) ^ xxhash_rust::xxh3::xxh3_64(path.as_bytes());
        emit(OutputFile::bytes(path, bytes.into_bytes()));
        hash
    };
    let mut hashes: Vec<u64> = chunks
        .par_iter()
        .enumerate()
        .map(|(n, (range, bytes))| {
            let mut out = String::with_capacity(bytes + bytes / 4);
            out.push('[');
            for (i, (word, pages)) in words[range.clone()].iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_word(&mut out, word, pages);
            }
            out.push(']');
            written(format!("{FOLDER}/index/{n}.json"), out)
        })
        .collect();
    hashes.par_extend(docs.par_chunks(BUNDLE).enumerate().map(|(n, bundle)| {
        let mut out = String::with_capacity(bundle.iter().map(|doc| doc.fragment.len() + 1).sum::<usize>() + 2);
        out.push('[');
        for (i, doc) in bundle.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&doc.fragment);
        }
        out.push(']');
        written(format!("{FOLDER}/text/{n}.json"), out)
    }));

    // A stamp of the whole index, which `search.js` adds to the addresses it fetches: a browser never mixes a
    // cached chunk of an older index with a newer one.
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for hash in hashes {
        hasher.update(&hash.to_le_bytes());
    }
    let chunk_list: Vec<_> =
        chunks.iter().map(|(range, _)| json!([words[range.start].0, words[range.end - 1].0])).collect();
    let meta = json!({
        "version": VERSION,
        "stamp": format!("{:016x}", hasher.digest()),
        "language": language,
        "pages": docs.len(),
        "bundle": BUNDLE,
        "meta": META,
        "stem": stems(language),
        "chunks": chunk_list,
    });
    emit(OutputFile::bytes(format!("{FOLDER}/meta.json"), meta.to_string().into_bytes()));
}

/// How many positions of a word are kept on each page: all the common words' positions would make their chunks
/// huge, and a few are enough to show an excerpt; the count of all of them is kept beside.
fn kept(pages: usize) -> usize {
    if pages > 1000 {
        4
    } else {
        16
    }
}

/// `["word",[page,count,n,p1,…,pn, page,…]]`: a word, then for each page its number, how often the word is
/// there, and `n` positions: all those in the title and metadata, then the first in the body. Numbers that go up
/// are written as steps, which are shorter: each page as the step from the page before (the first from 0), and
/// each position in the body as the step from the one before (the first from 0).
fn push_word(out: &mut String, word: &str, pages: &[Posting]) {
    out.push('[');
    push_json_string(out, word);
    out.push_str(",[");
    let keep = kept(pages.len());
    let mut number = itoa::Buffer::new();
    let mut last_page = 0;
    for (i, (page, positions)) in pages.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // The title's and the metadata's positions (after the body's, below zero) all, then the body's first,
        // each as the step from the one before.
        let body = positions.iter().take_while(|&&p| p >= 0).count();
        out.push_str(number.format(page - last_page));
        last_page = *page;
        out.push(',');
        out.push_str(number.format(positions.len()));
        out.push(',');
        out.push_str(number.format(positions.len() - body + body.min(keep)));
        for position in &positions[body..] {
            out.push(',');
            out.push_str(number.format(*position));
        }
        let mut last = 0;
        for position in &positions[..body.min(keep)] {
            out.push(',');
            out.push_str(number.format(position - last));
            last = *position;
        }
    }
    out.push_str("]]");
}

/// A heading of a note's body: where its words start, its id and its text.
#[derive(Debug, PartialEq)]
struct Anchor {
    position: usize,
    id: String,
    title: String,
}

/// Which part of a note a text is, which decides where its positions count from.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    Body,
    Title,
    Meta,
}

/// A text being cut into words: each folded word goes into `words` with its position, and the body's text is
/// kept as `search.js` shows it. The text is pieces, one per word: the word as written, then the spaces and
/// punctuation after it; `search.js` cuts the text into the same pieces (a piece starts at each word's first
/// character), so the n-th piece is the word at position n.
struct Text<'w> {
    words: &'w mut Words,
    field: Field,
    /// Whether words are keyed without their plural ending ([`strip_plural`]).
    stem: bool,
    /// The pieces done (the body only).
    text: String,
    /// The piece being read, and the length of its word.
    piece: String,
    word_len: usize,
    /// How many pieces are done.
    count: usize,
    /// Whether the piece being read ends in the middle of a word, which the next text may go on with
    /// (`<em>kitchen</em>s`).
    open: bool,
    folded: String,
    anchors: Vec<Anchor>,
}

/// Whether `c` is a character of Chinese or Japanese script, which is a word of its own.
fn is_ideographic(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x31F0..=0x31FF    // Katakana extensions
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0xFF66..=0xFF9F    // half-width Katakana
        | 0x20000..=0x3134F) // CJK extensions B to G
}

/// Whether `c` belongs in a word (the same test as `search.js`: a letter, a digit or a combining mark).
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        c.is_alphanumeric() || is_combining_mark(c)
    }
}

/// A body's HTML as the plain text that search shows for it: text outside tags, blocks apart, without scripts,
/// styles and the TeX source of formulas, entities decoded, runs of white space as one space (the feed's
/// summaries use it too).
pub fn plain_text(html: &str) -> String {
    let mut words = Words::default();
    let mut text = Text::new(&mut words, Field::Body, false);
    text.push_html(html);
    text.finish().0
}

/// A body's HTML as text to read and compare (the history's differences): each paragraph, heading, list item,
/// table row and line of code on a line of its own, without tags, scripts, styles, the TeX source of formulas or
/// the first stage's markers (`\0S3\0`), entities decoded; outside code, runs of white space as one space.
pub fn block_text(html: &str) -> String {
    let end_line = |out: &mut String, line: &mut String, code: bool| {
        let text =
            if code { line.trim_end().to_string() } else { line.split_whitespace().collect::<Vec<_>>().join(" ") };
        if !text.is_empty() {
            out.push_str(&text);
            out.push('\n');
        }
        line.clear();
    };
    // (the text so far, the line being read, how deep in `<pre>` it is)
    let state = std::cell::RefCell::new((String::new(), String::new(), 0usize));
    walk_html(
        html,
        &mut |text| {
            let (out, line, code) = &mut *state.borrow_mut();
            for (i, part) in without_markers(&decode_entities(text)).split('\n').enumerate() {
                if i > 0 && *code > 0 {
                    end_line(out, line, true);
                } else if i > 0 {
                    line.push(' ');
                }
                line.push_str(part);
            }
        },
        &mut |tag| {
            let (out, line, code) = &mut *state.borrow_mut();
            match tag.name.as_ref() {
                "pre" => {
                    end_line(out, line, *code > 0);
                    *code = if tag.closing { code.saturating_sub(1) } else { *code + 1 };
                }
                "td" | "th" => line.push(' '),
                "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "p" | "div" | "br" | "li" | "ul" | "ol" | "dl" | "dt"
                | "dd" | "blockquote" | "table" | "tr" | "hr" | "figure" | "figcaption" | "details" | "summary"
                | "section" => end_line(out, line, *code > 0),
                _ => {}
            }
        },
    );
    let (mut out, mut line, code) = state.into_inner();
    end_line(&mut out, &mut line, code > 0);
    out
}

/// Walks a body's HTML: `text` gets what lies outside tags (entities not decoded yet), `tag` every start and end
/// tag, except comments and what scripts, styles, templates, SVG, `<noscript>` and formulas' TeX `annotation`s
/// hold, which are skipped whole. A `<` that starts no tag is text.
fn walk_html<'h>(html: &'h str, text: &mut dyn FnMut(&'h str), tag: &mut dyn FnMut(&Tag<'h>)) {
    let mut rest = html;
    // The element whose content is skipped, until its end tag.
    let mut skipping: Option<String> = None;
    while !rest.is_empty() {
        let open = rest.find('<').unwrap_or(rest.len());
        if skipping.is_none() && open > 0 {
            text(&rest[..open]);
        }
        rest = &rest[open..];
        if rest.is_empty() {
            break;
        }
        if let Some(comment) = rest.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let (found, after) = Tag::parse(rest);
        rest = after;
        let Some(found) = found else {
            if skipping.is_none() {
                text("<");
            }
            rest = &rest[1..];
            continue;
        };
        if let Some(skipped) = &skipping {
            if found.closing && found.name == *skipped {
                skipping = None;
            }
            continue;
        }
        match found.name.as_ref() {
            "script" | "style" | "annotation" | "template" | "svg" | "noscript" if !found.closing => {
                skipping = Some(found.name.to_string());
            }
            _ => tag(&found),
        }
    }
}

/// `text` without the first stage's markers (`\0` and what follows up to the next `\0`).
fn without_markers(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\0') {
        return text.into();
    }
    text.split('\0').step_by(2).collect::<String>().into()
}

/// Whether a garden in `language` keys its words without their plural ending: English only, where the rule below
/// holds (other languages' plurals need their own rules; their words are keyed as they are).
fn stems(language: &str) -> bool {
    let primary = language.split(['-', '_']).next().unwrap_or_default();
    primary.is_empty() || primary.eq_ignore_ascii_case("en")
}

/// Harman's "S" stemmer (1991), the lightest there is: `worms` → `worm`, `berries` → `berry`, `horses` → `horse`,
/// but `glass`, `bus` and words under four letters stay. It changes only the end of a word, never leaves one ending
/// in `s` it would change again, and is short enough that `search.js` does exactly the same to a query.
fn strip_plural(word: &mut String) {
    if word.len() < 4 || (!word.is_ascii() && word.chars().count() < 4) {
        return;
    }
    let w = word.as_str();
    if w.ends_with("ies") && !w.ends_with("eies") && !w.ends_with("aies") {
        word.truncate(word.len() - 3);
        word.push('y');
    } else if (w.ends_with("es") && !w.ends_with("aes") && !w.ends_with("ees") && !w.ends_with("oes"))
        || (w.ends_with('s') && !w.ends_with("us") && !w.ends_with("ss"))
    {
        // `-es` to `-e` and `-s` to nothing both drop the last letter.
        word.truncate(word.len() - 1);
    }
}

/// `word` as the index keys it, into `out`: lower case, decomposed, without the accents of Latin, Greek and
/// Cyrillic letters (`Gödel` → `godel`); other scripts' marks stay (`が` is not `か`). `search.js` does the same
/// with `toLowerCase`, `normalize("NFD")` and `/[\u0300-\u036f]/g`.
fn fold_into(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        out.push_str(word);
        out.make_ascii_lowercase();
    } else {
        out.extend(word.to_lowercase().nfd().filter(|c| !('\u{300}'..='\u{36f}').contains(c)));
    }
}

impl<'w> Text<'w> {
    fn new(words: &'w mut Words, field: Field, stem: bool) -> Text<'w> {
        Text {
            words,
            field,
            stem,
            text: String::new(),
            piece: String::new(),
            word_len: 0,
            count: 0,
            open: false,
            folded: String::new(),
            anchors: Vec::new(),
        }
    }

    /// The text kept for excerpts, its number of words, and the anchors.
    fn finish(mut self) -> (String, usize, Vec<Anchor>) {
        let words = self.piece.trim_end().len();
        self.piece.truncate(words);
        self.end_piece();
        for anchor in &mut self.anchors {
            anchor.title = anchor.title.split_whitespace().collect::<Vec<_>>().join(" ");
        }
        (std::mem::take(&mut self.text), self.count.min(SHOWN_WORDS), std::mem::take(&mut self.anchors))
    }

    /// Indexes the word of the piece being read and adds the piece to the JSON.
    fn end_piece(&mut self) {
        if self.piece.is_empty() {
            return;
        }
        let position = match self.field {
            Field::Body => Some(self.count as i32),
            Field::Title => Some(-1 - self.count as i32).filter(|&p| p > META),
            Field::Meta => Some(META - self.count as i32),
        };
        fold_into(&self.piece[..self.word_len], &mut self.folded);
        if self.stem {
            strip_plural(&mut self.folded);
        }
        let indexable = !self.folded.is_empty()
            && self.folded.len() <= LONGEST_WORD
            && (self.folded.is_ascii() || self.folded.chars().count() <= LONGEST_WORD);
        if let (Some(position), true) = (position, indexable) {
            self.words.push(&self.folded, position);
        }
        if self.field == Field::Body && self.count < SHOWN_WORDS {
            self.text.push_str(&self.piece);
        }
        self.count += 1;
        self.piece.clear();
        self.word_len = 0;
    }

    /// The position the next word will have.
    fn next_position(&self) -> usize {
        self.count + usize::from(!self.piece.is_empty())
    }

    /// Appends `text`: its words become pieces, and what lies between them joins the piece before.
    fn push(&mut self, text: &str) {
        let mut rest = text;
        while !rest.is_empty() {
            let Some(start) = rest.find(is_word_char) else {
                self.trail(rest);
                return;
            };
            if start > 0 {
                self.trail(&rest[..start]);
            }
            rest = &rest[start..];
            let first = rest.chars().next().unwrap_or_default();
            let end = if is_ideographic(first) {
                first.len_utf8()
            } else {
                rest.find(|c: char| !is_word_char(c) || is_ideographic(c)).unwrap_or(rest.len())
            };
            let word = &rest[..end];
            // A word split by inline markup (`<em>kitchen</em>s`) is one word.
            let goes_on =
                self.open && !is_ideographic(first) && !self.piece.chars().next_back().is_some_and(is_ideographic);
            if !goes_on {
                self.end_piece();
            }
            self.piece.push_str(word);
            self.word_len = self.piece.len();
            self.open = end == rest.len();
            rest = &rest[end..];
        }
    }

    /// Text without words: it follows the last word (what comes before the first word is not shown).
    fn trail(&mut self, text: &str) {
        self.open = false;
        if self.piece.is_empty() {
            return;
        }
        // Runs of white space, including the line breaks of the HTML, show as one space.
        for c in text.chars() {
            if c.is_whitespace() {
                if !self.piece.ends_with(' ') {
                    self.piece.push(' ');
                }
            } else {
                self.piece.push(c);
            }
        }
    }

    /// The words of a note's body HTML: text outside tags, with the blocks apart, without scripts, styles and
    /// the TeX source of formulas, and with the headings that have ids as anchors.
    fn push_html(&mut self, html: &str) {
        // A heading with an id being read: its anchor's index.
        let heading: std::cell::Cell<Option<usize>> = std::cell::Cell::new(None);
        let this = std::cell::RefCell::new(self);
        walk_html(html, &mut |text| this.borrow_mut().push_decoded(text, heading.get()), &mut |tag| {
            let mut this = this.borrow_mut();
            match tag.name.as_ref() {
                "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                    this.trail(" ");
                    heading.set(None);
                    if let (false, Some(id)) = (tag.closing, tag.id()) {
                        let position = this.next_position();
                        this.anchors.push(Anchor { position, id, title: String::new() });
                        heading.set(Some(this.anchors.len() - 1));
                    }
                }
                name if is_block(name) => this.trail(" "),
                _ => {}
            }
        });
    }

    fn push_decoded(&mut self, text: &str, heading: Option<usize>) {
        let text = decode_entities(text);
        if let Some(anchor) = heading.and_then(|n| self.anchors.get_mut(n)) {
            anchor.title.push_str(&text);
        }
        self.push(&text);
    }
}

/// Elements that stand apart from the text around them.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "pre"
            | "blockquote"
            | "table"
            | "tr"
            | "td"
            | "th"
            | "hr"
            | "section"
            | "article"
            | "aside"
            | "header"
            | "footer"
            | "nav"
            | "figure"
            | "figcaption"
            | "details"
            | "summary"
            | "img"
            | "math"
            | "mtd"
            | "mrow"
            | "sup"
    )
}

/// A start or end tag: its lower-case name and its `id`.
struct Tag<'a> {
    /// Lower case (copied only when it is not already).
    name: std::borrow::Cow<'a, str>,
    closing: bool,
    attributes: &'a str,
}

impl<'a> Tag<'a> {
    /// Reads the tag that `html` starts with (at its `<`), and returns it with what follows it; `None` when the
    /// `<` starts no tag.
    fn parse(html: &'a str) -> (Option<Tag<'a>>, &'a str) {
        let bytes = html.as_bytes();
        let closing = bytes.get(1) == Some(&b'/');
        let name_start = if closing { 2 } else { 1 };
        let name_len = bytes[name_start..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            return (None, html);
        }
        let name = &html[name_start..name_start + name_len];
        let name =
            if name.bytes().any(|b| b.is_ascii_uppercase()) { name.to_ascii_lowercase().into() } else { name.into() };
        // The end of the tag: the first `>` outside a quoted attribute value.
        let mut quote = None;
        let mut end = html.len();
        for (i, b) in bytes.iter().enumerate().skip(name_start + name_len) {
            match (quote, b) {
                (None, b'"' | b'\'') => quote = Some(*b),
                (Some(q), _) if q == *b => quote = None,
                (None, b'>') => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let attributes = &html[name_start + name_len..end];
        (Some(Tag { name, closing, attributes }), html.get(end + 1..).unwrap_or(""))
    }

    fn id(&self) -> Option<String> {
        attribute(self.attributes, "id").map(|id| decode_entities(id).into_owned())
    }
}

/// The value of attribute `name` in a tag's attributes as the renderer writes them (`name="value"`).
fn attribute<'a>(attributes: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = attributes;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + name.len()..];
        if before.is_some_and(char::is_whitespace) {
            if let Some(value) = after.strip_prefix("=\"") {
                return value.find('"').map(|end| &value[..end]);
            }
            if let Some(value) = after.strip_prefix("='") {
                return value.find('\'').map(|end| &value[..end]);
            }
        }
        rest = after;
    }
    None
}

/// Text with its character references replaced: the ones HTML escaping writes, numeric ones, and the named ones
/// people type; any other `&` stays as it is.
fn decode_entities(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('&') {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[1..].find(';').map(|e| e + 1).filter(|&e| e <= 32);
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = if let Some(number) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                u32::from_str_radix(number, 16).ok().and_then(char::from_u32)
            } else if let Some(number) = name.strip_prefix('#') {
                number.parse().ok().and_then(char::from_u32)
            } else {
                Some(match name {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    "nbsp" => '\u{a0}',
                    "ndash" => '–',
                    "mdash" => '—',
                    "hellip" => '…',
                    "lsquo" => '‘',
                    "rsquo" => '’',
                    "ldquo" => '“',
                    "rdquo" => '”',
                    "copy" => '©',
                    "middot" => '·',
                    "times" => '×',
                    _ => return None,
                })
            };
            c.map(|c| (c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(word: &str) -> String {
        let mut out = String::new();
        fold_into(word, &mut out);
        out
    }

    /// The pieces of a text as `search.js` cuts it.
    fn pieces_of(text: &str) -> Vec<String> {
        let mut pieces: Vec<String> = Vec::new();
        let mut in_word = false;
        for c in text.chars() {
            if is_word_char(c) && (is_ideographic(c) || !in_word) {
                pieces.push(c.to_string());
                in_word = !is_ideographic(c);
            } else {
                in_word &= is_word_char(c);
                if let Some(last) = pieces.last_mut() {
                    last.push(c);
                }
            }
        }
        pieces
    }

    /// The words of `text` in order, and its pieces and anchors.
    fn cut(text: &str, html: bool) -> (Vec<String>, Vec<String>, Vec<Anchor>) {
        let mut words = Words::default();
        let mut cutter = Text::new(&mut words, Field::Body, false);
        if html {
            cutter.push_html(text);
        } else {
            cutter.push(text);
        }
        let (joined, count, anchors) = cutter.finish();
        let mut positions: Vec<(i32, String)> =
            words.iter().flat_map(|(w, ps)| ps.iter().map(move |&p| (p, w.to_string()))).collect();
        positions.sort();
        let pieces = pieces_of(&joined);
        assert_eq!(pieces.len(), count, "{joined}");
        (positions.into_iter().map(|(_, w)| w).collect(), pieces, anchors)
    }

    #[test]
    fn english_plurals_meet_their_singular() {
        let stem = |word: &str| {
            let mut word = word.to_string();
            strip_plural(&mut word);
            word
        };
        for (word, expected) in [
            ("worms", "worm"),
            ("worm", "worm"),
            ("berries", "berry"),
            ("horses", "horse"),
            ("glass", "glass"),
            ("bus", "bus"),
            ("status", "status"),
            ("is", "is"),
            ("was", "was"),
            ("toes", "toe"),
            ("shoes", "shoe"),
            ("bees", "bee"),
            ("cafés", "café"),
        ] {
            assert_eq!(stem(word), expected, "{word}");
            assert_eq!(stem(&stem(word)), stem(word), "stemming {word} twice changes nothing");
        }
        assert!(stems("en-GB") && stems("EN") && stems(""));
        assert!(!stems("de") && !stems("zh"));
        let indexer = Indexer::start("en");
        indexer.add(Entry {
            url: "a/".into(),
            title: "Worms".into(),
            aliases: vec![],
            tags: vec![],
            content: "<p>Two worms and a worm.</p>".into(),
        });
        let files = indexer.finish();
        let chunk = files.iter().find(|f| f.path.ends_with("index/0.json")).unwrap();
        let crate::output::Contents::Bytes(bytes) = &chunk.contents else { unreachable!() };
        let text = String::from_utf8_lossy(bytes);
        // Page 0; three times; the title's place, then the text's 1 and 4 (4 as the step from 1).
        assert!(text.contains(r#"["worm",[0,3,3,-1,1,3]]"#), "{text}");
    }

    #[test]
    fn a_huge_note_is_indexed_whole_and_shown_in_part() {
        let words: Vec<String> = (0..SHOWN_WORDS + 5000).map(|n| format!("w{n}")).collect();
        let (indexed, pieces, _) = cut(&words.join(" "), false);
        assert_eq!(indexed.len(), SHOWN_WORDS + 5000, "every word is indexed");
        assert_eq!(indexed.last().map(String::as_str), Some("w24999"));
        assert_eq!(pieces.len(), SHOWN_WORDS, "the text keeps the first words");
        assert_eq!(pieces.last().map(String::as_str), Some("w19999 "));
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut out = String::new();
        push_json_string(&mut out, "a \"b\" \\ c\n\u{1}é");
        assert_eq!(out, r#""a \"b\" \\ c\u000a\u0001é""#);
        assert_eq!(serde_json::from_str::<String>(&out).unwrap(), "a \"b\" \\ c\n\u{1}é");
    }

    #[test]
    fn words_are_folded_as_search_js_folds_them() {
        assert_eq!(fold("Gödel"), "godel");
        assert_eq!(fold("ΛCDM"), "λcdm");
        assert_eq!(fold("ÉCOLE"), "ecole");
        assert_eq!(fold("İstanbul"), "istanbul");
        let (words, pieces, _) = cut("Gödel's theorem, 2024 — ΛCDM!", false);
        assert_eq!(words, ["godel", "s", "theorem", "2024", "λcdm"]);
        assert_eq!(pieces, ["Gödel'", "s ", "theorem, ", "2024 — ", "ΛCDM!"]);
    }

    #[test]
    fn chinese_and_japanese_characters_are_words_of_their_own() {
        let (words, pieces, _) = cut("土壤，蚯蚓帮助 worms ひらがなabc", false);
        assert_eq!(words, ["土", "壤", "蚯", "蚓", "帮", "助", "worms", "ひ", "ら", "か\u{3099}", "な", "abc"]);
        assert_ne!(fold("が"), fold("か"), "marks of other scripts stay");
        assert_eq!(pieces.concat(), "土壤，蚯蚓帮助 worms ひらがなabc");
    }

    #[test]
    fn the_text_of_html_keeps_blocks_apart_and_leaves_out_scripts_and_tex() {
        let html = "<p>Worms&nbsp;turn <em>kitchen</em>scraps</p><p>into &amp; soil</p>\
            <h2 id=\"care-&amp;-feeding\">Care &amp; <code>feeding</code></h2><p>Keep it <!-- not this --> moist.</p>\
            <script>var hidden = 1;</script><p><math><mi>e</mi><annotation encoding=\"application/x-tex\">e^{i\\pi}\
            </annotation></math> a &lt;b&gt; c &bogus; 3 < 4</p>";
        let (words, pieces, anchors) = cut(html, true);
        assert_eq!(
            words,
            [
                "worms",
                "turn",
                "kitchenscraps",
                "into",
                "soil",
                "care",
                "feeding",
                "keep",
                "it",
                "moist",
                "e",
                "a",
                "b",
                "c",
                "bogus",
                "3",
                "4"
            ]
        );
        assert_eq!(anchors, [Anchor { position: 5, id: "care-&-feeding".into(), title: "Care & feeding".into() }]);
        assert_eq!(pieces[4], "soil ", "blocks are apart");
        assert_eq!(pieces[14], "bogus; ", "an unknown reference stays as written");
    }

    #[test]
    fn an_index_is_chunked_by_word_with_texts_in_bundles() {
        let indexer = Indexer::start("en-GB");
        for n in 0..20 {
            indexer.add(Entry {
                url: format!("notes/{n:02}/"),
                title: format!("Compost <heaps> {n}"),
                aliases: vec!["Humus".into()],
                tags: vec!["soil".into()],
                content: format!(
                    "<p>Worms turn scraps into soil{n}.</p><h2 id=\"care\">Care</h2><p>Keep it moist.</p>"
                ),
            });
        }
        let files = indexer.finish();
        let file = |path: &str| -> serde_json::Value {
            let found = files.iter().find(|f| f.path == format!("{FOLDER}/{path}")).expect(path);
            match &found.contents {
                crate::output::Contents::Bytes(bytes) => serde_json::from_slice(bytes).unwrap(),
                _ => unreachable!("the index is made in memory"),
            }
        };
        let meta = file("meta.json");
        assert_eq!(meta["pages"], 20);
        assert_eq!(meta["language"], "en-GB");
        assert_eq!(meta["chunks"].as_array().unwrap().len(), 1, "a small index is one chunk");
        let chunk = file("index/0.json");
        let entries = chunk.as_array().unwrap();
        let keys: Vec<&str> = entries.iter().map(|e| e[0].as_str().unwrap()).collect();
        let mut sorted = keys.clone();
        sorted.sort_by(|a, b| utf16_order(a, b));
        assert_eq!(keys, sorted, "words in order");
        let humus = entries.iter().find(|e| e[0] == "humus").unwrap();
        // Page 0, once, one position: the first of the metadata.
        assert_eq!(humus[1].as_array().unwrap()[..4], [json!(0), json!(1), json!(1), json!(META)]);
        let heaps = entries.iter().find(|e| e[0] == "heap").unwrap();
        assert_eq!(heaps[1].as_array().unwrap()[..4], [json!(0), json!(1), json!(1), json!(-2)], "the title's words");
        let soil = entries.iter().find(|e| e[0] == "soil").unwrap();
        assert_eq!(soil[1].as_array().unwrap()[..4], [json!(0), json!(1), json!(1), json!(META - 1)], "the last tag");
        let compost = entries.iter().find(|e| e[0] == "compost").unwrap();
        assert_eq!(compost[1].as_array().unwrap()[..4], [json!(0), json!(1), json!(1), json!(-1)]);
        let soil7 = entries.iter().find(|e| e[0] == "soil7").unwrap();
        assert_eq!(soil7[1], json!([7, 1, 1, 4]), "page 7, body position 4");
        let bundle = file("text/0.json");
        assert_eq!(bundle.as_array().unwrap().len(), BUNDLE);
        assert_eq!(bundle[1]["url"], "notes/01/");
        assert_eq!(bundle[1]["title"], "Compost <heaps> 1");
        assert_eq!(bundle[1]["anchors"], json!([[5, "care", "Care"]]));
        assert_eq!(bundle[1]["text"], "Worms turn scraps into soil1. Care Keep it moist.");
        assert_eq!(bundle[1]["words"], 9);
        assert!(files.iter().any(|f| f.path == format!("{FOLDER}/text/2.json")), "20 notes, 3 bundles");
    }

    #[test]
    fn common_words_keep_a_few_positions_and_big_indexes_have_many_chunks() {
        let indexer = Indexer::start("en");
        for n in 0..1200 {
            let words: Vec<String> = (0..40).map(|w| format!("w{}x{}", n % 300, w)).collect();
            indexer.add(Entry {
                url: format!("{n:04}/"),
                title: String::new(),
                aliases: vec![],
                tags: vec![],
                content: format!("<p>the the the the the the {}</p>", words.join(" ")),
            });
        }
        let files = indexer.finish();
        let chunks = files.iter().filter(|f| f.path.starts_with(&format!("{FOLDER}/index/"))).count();
        assert!(chunks > 4, "{chunks} chunks");
        let the = files
            .iter()
            .filter_map(|f| match &f.contents {
                crate::output::Contents::Bytes(b) if f.path.contains("/index/") => {
                    serde_json::from_slice::<Vec<serde_json::Value>>(b).ok()
                }
                _ => None,
            })
            .flatten()
            .find(|e| e[0] == "the")
            .unwrap();
        assert_eq!(
            the[1].as_array().unwrap()[..7],
            [json!(0), json!(6), json!(4), json!(0), json!(1), json!(1), json!(1)]
        );
        assert_eq!(the[1][7], json!(1), "the next page, as the step from page 0");
    }

    #[test]
    fn the_same_pages_in_any_order_give_the_same_files() {
        let make = |order: &[usize]| {
            let indexer = Indexer::start("en");
            for &n in order {
                indexer.add(Entry {
                    url: format!("{n}/"),
                    title: format!("Note {n}"),
                    aliases: vec![],
                    tags: vec![],
                    content: format!("<p>text {n}</p>"),
                });
            }
            let mut files: Vec<(String, Vec<u8>)> = indexer
                .finish()
                .into_iter()
                .map(|f| match f.contents {
                    crate::output::Contents::Bytes(b) => (f.path, b),
                    _ => unreachable!("the index is made in memory"),
                })
                .collect();
            files.sort();
            files
        };
        assert_eq!(make(&[1, 2, 3, 4]), make(&[3, 1, 4, 2]));
    }

    #[test]
    fn block_text_puts_each_block_and_line_of_code_on_a_line_of_its_own() {
        let html = "<h2 id=\"a\">Bees &amp; wasps</h2>\n<p>They   \0S0\0<a href=\"x\">dance</a>\0E0\0\nwell.</p>\n\
                    <ul><li>one</li><li>two</li></ul><pre><code>fn main() {\n    go();\n}\n</code></pre>\
                    <table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>\
                    <script>no()</script><p>x<sup>2</sup></p>";
        assert_eq!(
            block_text(html),
            "Bees & wasps\nThey dance well.\none\ntwo\nfn main() {\n    go();\n}\nk v\na 1\nx2\n"
        );
    }
}
