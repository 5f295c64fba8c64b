//! What a reader sees of a note's history: its versions as the edits people made, a line saying what each
//! changed, the difference between any two versions (word by word in the text as read, or line by line in the
//! Markdown), and who wrote what. Pure: versions in (from [`crate::store::Store::history`]), values out; the
//! preview's history pages, `loam diff` and `loam blame` show them.
//!
//! Privacy: the versions given here are the ones the caller may show. [`shown`] keeps those in which the note was
//! published, so that a note made public today does not publish its private drafts.

use similar::{ChangeTag, DiffTag, TextDiff};

use crate::store::{Version, Written};

/// Saves by one author this close together (seconds between one and the next) are one edit: a writer saving as
/// they go, an editor saving on every pause, the live editing view on every keystroke.
pub const GROUPED_WITHIN: i64 = 5 * 60;

/// How many unchanged words a difference shows on each side of a change; longer unchanged stretches are folded.
const CONTEXT_WORDS: usize = 12;

/// The longest quotation of a note's text a summary makes.
const QUOTE_CHARS: usize = 72;

/// One version as history shows it: the change that made it, what it added and removed against the version shown
/// before it, and a line saying what it did.
#[derive(Debug, Clone)]
pub struct Step {
    pub version: Version,
    pub added: usize,
    pub removed: usize,
    pub summary: String,
}

impl Step {
    /// The change's hash as text.
    pub fn id(&self) -> String {
        self.version.hash.to_string()
    }

    /// The first 8 characters of [`Step::id`], as `loam log` shows and every history view accepts.
    pub fn short(&self) -> String {
        self.id()[..8].to_string()
    }
}

/// Consecutive steps by one author, each within [`GROUPED_WITHIN`] of the one before: one edit, whose lines
/// counted and summary are those of the whole run (the text before its first step against the text after its
/// last).
#[derive(Debug, Clone)]
pub struct Edit {
    /// Oldest first; never empty.
    pub steps: Vec<Step>,
    pub added: usize,
    pub removed: usize,
    pub summary: String,
}

impl Edit {
    pub fn last(&self) -> &Step {
        self.steps.last().expect("an edit has a step")
    }

    pub fn first(&self) -> &Step {
        &self.steps[0]
    }

    pub fn author(&self) -> &str {
        &self.first().version.about.author
    }

    /// When its last step was made (seconds since the Unix epoch).
    pub fn time(&self) -> i64 {
        self.last().version.time
    }
}

/// The versions of `history` (oldest first) in which the note was published, by `published` (which reads a
/// version's text with the garden's publishing rules). A version in which the note was not published leaves no
/// trace: the next shown version is compared with the last shown one before it.
pub fn shown(history: Vec<Version>, published: impl Fn(&str) -> bool) -> Vec<Version> {
    history.into_iter().filter(|version| published(&version.text)).collect()
}

/// `history` without the versions made by the `redacted` changes (hex hashes, `Store::redact`): they leave no trace
/// in any published history view, as an unpublished version does not.
pub fn unredacted(mut history: Vec<Version>, redacted: &[String]) -> Vec<Version> {
    if !redacted.is_empty() {
        history.retain(|version| !redacted.contains(&version.hash.to_string()));
    }
    history
}

/// Each version of `versions` (oldest first) as a [`Step`] against the one before it.
pub fn steps(versions: Vec<Version>) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::with_capacity(versions.len());
    for version in versions {
        let before = steps.last().map(|step| step.version.text.as_str());
        let (added, removed) = lines_changed(before.unwrap_or(""), &version.text);
        let summary = summary(before, &version);
        steps.push(Step { version, added, removed, summary });
    }
    steps
}

/// The steps (oldest first) gathered into edits, newest first: consecutive saves (`edit` or `live edit`) by one
/// author, each within [`GROUPED_WITHIN`] of the one before, are one edit. The first version, moves, deletions and
/// merges stand alone.
pub fn edits(steps: Vec<Step>) -> Vec<Edit> {
    let runs = edit_runs(&steps);
    let mut steps = steps;
    // Newest first: each run is the tail of what is left.
    runs.into_iter()
        .map(|run| {
            let mine = steps.split_off(run.first);
            Edit { steps: mine, added: run.added, removed: run.removed, summary: run.summary }
        })
        .collect()
}

/// What an edit is (see [`edits`]) without its versions: where its steps are among the steps (oldest first), and
/// what it changed over all of them.
#[derive(Debug, Clone)]
pub struct Run {
    /// Its first and last step, by their place among the steps.
    pub first: usize,
    pub last: usize,
    pub added: usize,
    pub removed: usize,
    pub summary: String,
}

/// The edits of `steps` (oldest first) as [`Run`]s, newest first, copying no text.
pub fn edit_runs(steps: &[Step]) -> Vec<Run> {
    let saves = |s: &Step| matches!(s.version.about.kind.as_str(), "edit" | "live edit");
    let mut bounds: Vec<(usize, usize)> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        if let Some((_, last)) = bounds.last_mut() {
            let previous = &steps[*last];
            if saves(previous)
                && saves(step)
                && previous.version.about.author == step.version.about.author
                && (0..=GROUPED_WITHIN).contains(&(step.version.time - previous.version.time))
            {
                *last = i;
                continue;
            }
        }
        bounds.push((i, i));
    }
    // Each run is counted against the text before it: the last version of the run before.
    let mut runs: Vec<Run> = bounds
        .iter()
        .map(|&(first, last)| {
            let step = &steps[last];
            let (added, removed, summary) = if first == last {
                (step.added, step.removed, step.summary.clone())
            } else {
                let before = first.checked_sub(1).map(|i| steps[i].version.text.as_str());
                let (added, removed) = lines_changed(before.unwrap_or(""), &step.version.text);
                (added, removed, summary(before, &step.version))
            };
            Run { first, last, added, removed, summary }
        })
        .collect();
    runs.reverse();
    runs
}

/// One entry of the garden's recent changes: an edit of a note, its move or its deletion. Kept without its path by
/// a build (`store/built.rs`), which knows it.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Happened {
    /// When (seconds since the Unix epoch) and by whom.
    pub time: i64,
    pub author: String,
    /// The note's path after it (before it, for a deletion).
    #[serde(skip)]
    pub path: String,
    /// The change that made it (the first 8 hex digits of its hash).
    pub change: String,
    pub what: What,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub enum What {
    /// An edit (see [`edit_runs`]): what it changed, how many saves it holds, and the short id of the version
    /// before it (empty for the first).
    Edit {
        added: usize,
        removed: usize,
        summary: String,
        saves: usize,
        before: String,
    },
    Moved {
        from: String,
    },
    Deleted,
}

/// A note's edits as entries of the garden's recent changes, newest first: those by `author` (if given) and made
/// at `until` or before (if given).
pub fn happened(path: &str, steps: &[Step], author: Option<&str>, until: Option<i64>) -> Vec<Happened> {
    let runs = edit_runs(steps).into_iter().filter(|run| {
        let (first, last) = (&steps[run.first].version, &steps[run.last].version);
        author.is_none_or(|a| first.about.author == a) && until.is_none_or(|u| last.time <= u)
    });
    happened_in(path, steps, runs)
}

/// The edits `runs` of the note at `path`, whose steps they are ([`edit_runs`]), as entries of the garden's
/// recent changes.
pub fn happened_in(path: &str, steps: &[Step], runs: impl IntoIterator<Item = Run>) -> Vec<Happened> {
    runs.into_iter()
        .map(|run| {
            let (first, last) = (&steps[run.first], &steps[run.last]);
            let before = run.first.checked_sub(1).map(|i| steps[i].short()).unwrap_or_default();
            Happened {
                time: last.version.time,
                author: first.version.about.author.clone(),
                path: path.to_string(),
                change: last.short(),
                what: What::Edit {
                    added: run.added,
                    removed: run.removed,
                    summary: run.summary,
                    saves: run.last - run.first + 1,
                    before,
                },
            }
        })
        .collect()
}

/// A version's text as differences compare it: its properties as written, then its body as read (rendered
/// whatever its properties say about publishing, then as text: `search::block_text`).
pub fn readable(path: &str, text: &str, settings: &crate::note::Settings) -> String {
    let (front, body, _) = crate::note::split_frontmatter(text);
    let parsed = crate::note::parse(path, body.as_bytes(), settings);
    let mut out = front.map(|front| format!("{}\n\n", front.trim_end())).unwrap_or_default();
    out.push_str(&crate::search::block_text(&parsed.body.html));
    out
}

/// How many bytes `a` and `b` begin with in common, compared eight at a time: what most of a history's cost was,
/// a note's versions being mostly the same text.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let word = |bytes: &[u8], at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
    let mut at = 0;
    while at + 8 <= n {
        let differ = word(a, at) ^ word(b, at);
        if differ != 0 {
            return at + differ.trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    at + a[at..n].iter().zip(&b[at..n]).take_while(|(x, y)| x == y).count()
}

/// How many bytes `a` and `b`, of one length, end with in common.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let word = |bytes: &[u8], end: usize| u64::from_le_bytes(bytes[end - 8..end].try_into().expect("eight bytes"));
    let mut same = 0;
    while same + 8 <= n {
        let differ = word(a, n - same) ^ word(b, n - same);
        if differ != 0 {
            return same + differ.leading_zeros() as usize / 8;
        }
        same += 8;
    }
    same + a[..n - same].iter().rev().zip(b[..n - same].iter().rev()).take_while(|(x, y)| x == y).count()
}

/// Two texts without the whole lines they begin and end with in common: how many lines they begin with in
/// common, and the rest of each up to the lines they end with in common. Differences line by line are made of
/// these middles: most edits change a few lines of a long note, and a difference costs what its texts hold.
pub fn changed_middle<'a>(old: &'a str, new: &'a str) -> (usize, &'a str, &'a str) {
    let (o, n) = (old.as_bytes(), new.as_bytes());
    // The bytes in common at the start, back to the end of the last whole line among them.
    let common = common_prefix(o, n);
    let start = memchr::memrchr(b'\n', &o[..common]).map_or(0, |at| at + 1);
    let lines = memchr::memchr_iter(b'\n', &o[..start]).count();
    // The bytes in common at the end (after `start` on both sides), forward to the start of a line on both.
    let room = (o.len() - start).min(n.len() - start);
    let tail = common_suffix(&o[o.len() - room..], &n[n.len() - room..]);
    let (mut old_end, mut new_end) = (o.len() - tail, n.len() - tail);
    let line_start = |bytes: &[u8], at: usize| at == start || bytes[at - 1] == b'\n';
    while old_end < o.len() && !(line_start(o, old_end) && line_start(n, new_end)) {
        old_end += 1;
        new_end += 1;
    }
    if old_end == o.len() {
        (old_end, new_end) = (o.len(), n.len());
    }
    (lines, &old[start..old_end], &new[start..new_end])
}

/// Lines added and removed between two texts.
pub fn lines_changed(old: &str, new: &str) -> (usize, usize) {
    let (_, old, new) = changed_middle(old, new);
    let diff = TextDiff::from_lines(old, new);
    let (mut added, mut removed) = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Insert => added += 1,
            ChangeTag::Delete => removed += 1,
            ChangeTag::Equal => {}
        }
    }
    (added, removed)
}

/// A line saying what `version` did to the text `before` it (`None`: it is the first shown): "created",
/// "moved", "deleted", or what it added, removed or changed, quoted from the text, and in which section.
pub fn summary(before: Option<&str>, version: &Version) -> String {
    match version.about.kind.as_str() {
        "move" => return "moved".into(),
        "delete" => return "deleted".into(),
        kind if kind.starts_with("merge of frontmatter") => return format!("merged the properties ({})", merged(kind)),
        _ => {}
    }
    let Some(before) = before else { return "created".into() };
    let new = &version.text;
    let (old_front, old_body) = front_and_body(before);
    let (new_front, new_body) = front_and_body(new);
    if old_body == new_body {
        return match old_front == new_front {
            true => "no change to the text".into(),
            false => "changed the properties".into(),
        };
    }
    let (skipped, old_middle, new_middle) = changed_middle(old_body, new_body);
    let diff = TextDiff::from_lines(old_middle, new_middle);
    let mut first_added: Option<(usize, &str)> = None;
    let mut first_removed: Option<&str> = None;
    let (mut added, mut removed) = (0, 0);
    for change in diff.iter_all_changes() {
        let line = change.value();
        let meaningful = !line.trim().is_empty();
        match change.tag() {
            ChangeTag::Insert => {
                added += usize::from(meaningful);
                if meaningful && first_added.is_none() {
                    first_added = change.new_index().map(|at| (skipped + at, line));
                }
            }
            ChangeTag::Delete => {
                removed += usize::from(meaningful);
                if meaningful && first_removed.is_none() {
                    first_removed = Some(line);
                }
            }
            ChangeTag::Equal => {}
        }
    }
    let more = |n: usize| match n {
        0 | 1 => String::new(),
        2 => " and 1 more line".into(),
        n => format!(" and {} more lines", n - 1),
    };
    let section =
        |at: usize| section_of(new_body, at).map(|heading| format!(" in “{}”", quote(heading))).unwrap_or_default();
    let heading =
        |line: &str| line.trim_start().starts_with('#') && line.trim_start().trim_start_matches('#').starts_with(' ');
    match (first_added, first_removed) {
        (Some((_, line)), None) if heading(line) => format!("added the section “{}”{}", quote(line), more(added)),
        (Some((at, line)), None) => format!("added “{}”{}{}", quote(line), more(added), section(at)),
        (None, Some(line)) => format!("removed “{}”{}", quote(line), more(removed)),
        (Some((at, line)), Some(_)) => format!("changed “{}”{}{}", quote(line), more(added), section(at)),
        // Only blank lines changed.
        (None, None) => "changed the spacing".into(),
    }
}

/// The keys a frontmatter merge names (`merge of frontmatter: tags, aliases`).
fn merged(kind: &str) -> &str {
    kind.split_once(':').map_or("", |(_, keys)| keys.trim())
}

/// A note's frontmatter and body.
fn front_and_body(text: &str) -> (&str, &str) {
    let (front, body, _) = crate::note::split_frontmatter(text);
    (front.unwrap_or(""), body)
}

/// The heading above line `at` of `body` (the nearest `#` heading before it, or on it), as written.
fn section_of(body: &str, at: usize) -> Option<&str> {
    let mut fenced = false;
    let mut heading = None;
    for line in body.lines().take(at) {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
        } else if !fenced && trimmed.starts_with('#') {
            let text = trimmed.trim_start_matches('#');
            if text.starts_with(' ') {
                heading = Some(text.trim());
            }
        }
    }
    heading.filter(|h| !h.is_empty())
}

/// A line of a note as a summary quotes it: without the Markdown that starts it (`#`, `-`, `>`, `1.`, a task's
/// box), on one line, cut at [`QUOTE_CHARS`] characters.
fn quote(line: &str) -> String {
    let mut text = line.trim();
    loop {
        let before = text;
        text = text.trim_start_matches(['#', '>', '-', '*', '+']).trim_start();
        for task in ["[ ] ", "[x] ", "[X] "] {
            text = text.strip_prefix(task).unwrap_or(text);
        }
        let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 && text[digits..].starts_with(['.', ')']) {
            text = text[digits + 1..].trim_start();
        }
        if text == before {
            break;
        }
    }
    // Inline emphasis, code and wikilink brackets go too: "They make honey", not "They make **honey**".
    let text = text.replace("[[", "").replace("]]", "").replace("==", "");
    let text: String =
        text.chars().filter(|c| !matches!(c, '*' | '`')).map(|c| if c.is_control() { ' ' } else { c }).collect();
    match text.char_indices().nth(QUOTE_CHARS) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text,
    }
}

/// A stretch of a difference between two texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// In both; `folded` when it is the middle of a long unchanged stretch, which views fold away.
    Same {
        text: String,
        folded: bool,
    },
    Added(String),
    Removed(String),
}

/// The difference between two texts word by word (see [`tokens`]; a change of one letter marks the whole word),
/// adjacent pieces of a kind joined, with the middle of every unchanged stretch
/// longer than twice [`CONTEXT_WORDS`] words marked as folded.
pub fn word_diff(old: &str, new: &str) -> Vec<Piece> {
    let (old, new) = (tokens(old), tokens(new));
    let diff = TextDiff::configure().algorithm(similar::Algorithm::Patience).diff_slices(&old, &new);
    let mut pieces: Vec<Piece> = Vec::new();
    let mut push = |piece: Piece| match (pieces.last_mut(), piece) {
        (Some(Piece::Added(a)), Piece::Added(b)) | (Some(Piece::Removed(a)), Piece::Removed(b)) => a.push_str(&b),
        (Some(Piece::Same { text: a, .. }), Piece::Same { text: b, .. }) => a.push_str(&b),
        (_, piece) => pieces.push(piece),
    };
    for op in diff.ops() {
        for change in diff.iter_changes(op) {
            let value = change.value().to_string();
            push(match change.tag() {
                ChangeTag::Equal => Piece::Same { text: value, folded: false },
                ChangeTag::Insert => Piece::Added(value),
                ChangeTag::Delete => Piece::Removed(value),
            });
        }
    }
    fold(pieces)
}

/// The units a word difference compares: runs of letters and digits (a word), runs of white space, and every
/// other character alone, so that "sting." and "sting," share their word.
fn tokens(text: &str) -> Vec<&str> {
    let kind = |c: char| match c {
        c if c.is_alphanumeric() => 0,
        c if c.is_whitespace() => 1,
        _ => 2,
    };
    let mut tokens = Vec::new();
    let mut start = 0;
    let mut last: Option<u8> = None;
    for (at, c) in text.char_indices() {
        let k = kind(c);
        if last.is_some_and(|l| l != k || k == 2) {
            tokens.push(&text[start..at]);
            start = at;
        }
        last = Some(k);
    }
    if start < text.len() {
        tokens.push(&text[start..]);
    }
    tokens
}

/// Splits each long unchanged stretch into its first and last [`CONTEXT_WORDS`] words (none before the first
/// change or after the last) around a folded middle.
fn fold(pieces: Vec<Piece>) -> Vec<Piece> {
    let count = pieces.len();
    let mut out = Vec::with_capacity(count + 4);
    for (i, piece) in pieces.into_iter().enumerate() {
        let Piece::Same { text, .. } = piece else {
            out.push(piece);
            continue;
        };
        let keep_before = if i == 0 { 0 } else { CONTEXT_WORDS };
        let keep_after = if i + 1 == count { 0 } else { CONTEXT_WORDS };
        let bounds: Vec<usize> = word_starts(&text);
        if bounds.len() <= keep_before + keep_after + 4 {
            out.push(Piece::Same { text, folded: false });
            continue;
        }
        let head_end = bounds.get(keep_before).copied().unwrap_or(0);
        let tail_start = bounds[bounds.len() - keep_after];
        let tail_start = if keep_after == 0 { text.len() } else { tail_start };
        let head_end = if keep_before == 0 { 0 } else { head_end };
        if head_end > 0 {
            out.push(Piece::Same { text: text[..head_end].to_string(), folded: false });
        }
        out.push(Piece::Same { text: text[head_end..tail_start].to_string(), folded: true });
        if tail_start < text.len() {
            out.push(Piece::Same { text: text[tail_start..].to_string(), folded: false });
        }
    }
    out
}

/// Where each word of `text` starts (a word: a run of anything but white space).
fn word_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut in_word = false;
    for (at, c) in text.char_indices() {
        match (c.is_whitespace(), in_word) {
            (false, false) => {
                starts.push(at);
                in_word = true;
            }
            (true, true) => in_word = false,
            _ => {}
        }
    }
    starts
}

/// One line of a difference of two texts line by line, its changed words marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub tag: ChangeTag,
    /// Its number in the old text (1-based), if it is there.
    pub old: Option<usize>,
    /// Its number in the new text, if it is there.
    pub new: Option<usize>,
    /// The line without its end, in stretches: `true` for the words changed within it.
    pub parts: Vec<(bool, String)>,
}

/// The difference of two texts line by line, in hunks of changed lines with `context` unchanged lines around
/// them, each changed line with its changed words marked.
pub fn line_diff(old: &str, new: &str, context: usize) -> Vec<Vec<Line>> {
    let diff = TextDiff::from_lines(old, new);
    let mut hunks = Vec::new();
    for group in diff.grouped_ops(context) {
        let mut lines = Vec::new();
        for op in &group {
            for change in diff.iter_inline_changes(op) {
                let parts = change
                    .iter_strings_lossy()
                    .map(|(emphasised, text)| {
                        (emphasised && op.tag() != DiffTag::Equal, text.trim_end_matches(['\n', '\r']).to_string())
                    })
                    .filter(|(_, text)| !text.is_empty())
                    .collect();
                lines.push(Line {
                    tag: change.tag(),
                    old: change.old_index().map(|n| n + 1),
                    new: change.new_index().map(|n| n + 1),
                    parts,
                });
            }
        }
        hunks.push(lines);
    }
    hunks
}

/// The authors of each line of a text written in `runs` (the stretches of the text in order, by who typed each):
/// each line with the authors who wrote a fifth of it or more (of its characters other than white space), the one
/// who wrote most of it first. A character reused by a later edit (a diff keeps what it can) names no author.
pub fn blame_lines(runs: &[Written]) -> Vec<(String, Vec<String>)> {
    let mut lines: Vec<(String, Vec<(String, usize)>)> = vec![(String::new(), Vec::new())];
    for run in runs {
        for (i, part) in run.text.split('\n').enumerate() {
            if i > 0 {
                lines.push((String::new(), Vec::new()));
            }
            let (text, shares) = lines.last_mut().expect("one line at least");
            text.push_str(part);
            let weight = part.chars().filter(|c| !c.is_whitespace()).count();
            if weight == 0 {
                continue;
            }
            match shares.iter_mut().find(|(author, _)| *author == run.author) {
                Some((_, n)) => *n += weight,
                None => shares.push((run.author.clone(), weight)),
            }
        }
    }
    // A text ending in a newline has no line after it.
    if lines.len() > 1 && lines.last().is_some_and(|(text, _)| text.is_empty()) {
        lines.pop();
    }
    lines
        .into_iter()
        .map(|(text, mut shares)| {
            shares.sort_by_key(|share| std::cmp::Reverse(share.1));
            let total: usize = shares.iter().map(|(_, n)| n).sum();
            let authors = shares
                .into_iter()
                .enumerate()
                .filter(|(i, (_, n))| *i == 0 || n * 5 >= total)
                .map(|(_, (author, _))| author)
                .collect();
            (text, authors)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_starts_and_ends_are_counted_eight_bytes_at_a_time_and_exactly() {
        let long = "abcdefghijklmnopqrstuvwxyz".repeat(3);
        for cut in 0..long.len() {
            let mut other = long.clone().into_bytes();
            other[cut] = b'#';
            assert_eq!(common_prefix(long.as_bytes(), &other), cut);
            assert_eq!(common_suffix(long.as_bytes(), &other), long.len() - cut - 1);
        }
        assert_eq!(common_prefix(b"same", b"same and more"), 4);
        assert_eq!(common_suffix(b"0123456789", b"0123456789"), 10);
        assert_eq!(common_suffix(b"", b""), 0);
    }

    #[test]
    fn the_changed_middle_leaves_out_whole_lines_in_common_and_counts_as_a_whole_difference() {
        assert_eq!(changed_middle("a\nb\nc\n", "a\nB\nc\n"), (1, "b\n", "B\n"));
        assert_eq!(changed_middle("a\nb", "a\nb\nc"), (1, "b", "b\nc"));
        assert_eq!(changed_middle("same\n", "same\n"), (1, "", ""));
        assert_eq!(changed_middle("", "new\n"), (0, "", "new\n"));
        // A line in common at the end must be a whole line on both sides.
        assert_eq!(changed_middle("x\nend\n", "xend\n"), (0, "x\nend\n", "xend\n"));
        assert_eq!(changed_middle("a\na\n", "a\n"), (1, "a\n", ""));
        let texts = ["", "a\n", "a\nb\n", "b\na\n", "a\nb\na\n", "a\nb", "ab\n", "\n\n", "a\n\nb\n"];
        for old in texts {
            for new in texts {
                let whole = TextDiff::from_lines(old, new);
                let (mut added, mut removed) = (0, 0);
                for change in whole.iter_all_changes() {
                    match change.tag() {
                        ChangeTag::Insert => added += 1,
                        ChangeTag::Delete => removed += 1,
                        ChangeTag::Equal => {}
                    }
                }
                assert_eq!(lines_changed(old, new), (added, removed), "{old:?} -> {new:?}");
            }
        }
    }
    use crate::store::About;

    fn version(n: u8, time: i64, author: &str, kind: &str, text: &str) -> Version {
        Version {
            hash: automerge::ChangeHash([n; 32]),
            time,
            about: About { author: author.into(), kind: kind.into() },
            text: text.into(),
        }
    }

    #[test]
    fn saves_by_one_author_close_together_are_one_edit_and_others_stand_alone() {
        let history = vec![
            version(1, 0, "Ada", "import", "# Bees\n\nThey dance.\n"),
            version(2, 1000, "Ada", "edit", "# Bees\n\nThey dance.\n\nThey sting.\n"),
            version(3, 1100, "Ada", "edit", "# Bees\n\nThey dance.\n\nThey sting rarely.\n"),
            version(4, 1150, "Bo", "edit", "# Bees\n\nThey dance well.\n\nThey sting rarely.\n"),
            version(5, 5000, "Bo", "edit", "# Bees\n\nThey dance well.\n"),
            version(6, 5010, "Bo", "move", "# Bees\n\nThey dance well.\n"),
        ];
        let edits = edits(steps(history));
        let shape: Vec<(Vec<u8>, &str, usize, usize)> = edits
            .iter()
            .map(|e| (e.steps.iter().map(|s| s.version.hash.0[0]).collect(), e.author(), e.added, e.removed))
            .collect();
        assert_eq!(
            shape,
            vec![
                (vec![6], "Bo", 0, 0),
                (vec![5], "Bo", 0, 2),
                (vec![4], "Bo", 1, 1),
                (vec![2, 3], "Ada", 2, 0),
                (vec![1], "Ada", 3, 0),
            ]
        );
        let summaries: Vec<&str> = edits.iter().map(|e| e.summary.as_str()).collect();
        assert_eq!(
            summaries,
            vec![
                "moved",
                "removed “They sting rarely.”",
                "changed “They dance well.” in “Bees”",
                "added “They sting rarely.” in “Bees”",
                "created",
            ]
        );
    }

    #[test]
    fn versions_in_which_the_note_was_not_published_leave_no_trace() {
        let history = vec![
            version(1, 0, "Ada", "import", "---\npublish: false\n---\nmy phone is 555\n"),
            version(2, 10, "Ada", "edit", "---\npublish: false\n---\ndraft\n"),
            version(3, 20, "Ada", "edit", "---\npublish: true\n---\nHello\n"),
            version(4, 30, "Ada", "edit", "---\npublish: true\n---\nHello there\n"),
        ];
        let shown = shown(history, |text| text.contains("publish: true"));
        let steps = steps(shown);
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].summary, "created");
        assert!(steps.iter().all(|s| !s.version.text.contains("555") && !s.summary.contains("draft")));
    }

    #[test]
    fn a_summary_quotes_without_markdown_and_cuts_long_lines() {
        let section = version(1, 0, "Ada", "edit", "# Bees\n\n## Hives\n\nOne queen.\n");
        assert_eq!(summary(Some("# Bees\n"), &section), "added the section “Hives” and 1 more line");
        let emphasis = version(1, 0, "Ada", "edit", "They make **honey** from [[nectar]].\n");
        assert_eq!(summary(Some(""), &emphasis), "added “They make honey from nectar.”");
        let before = "- [ ] buy honey\n";
        let after = format!("- [ ] buy honey\n- [x] {}\n", "wax ".repeat(40));
        let step = version(2, 0, "Ada", "edit", &after);
        let said = summary(Some(before), &step);
        assert!(said.starts_with("added “wax wax"), "{said}");
        assert!(said.ends_with("…”") && said.chars().count() < QUOTE_CHARS + 20, "{said}");
        let props = version(3, 0, "Ada", "edit", "---\ntags: [a]\n---\nbody\n");
        assert_eq!(summary(Some("---\ntags: []\n---\nbody\n"), &props), "changed the properties");
    }

    #[test]
    fn a_word_diff_marks_words_and_folds_long_unchanged_stretches() {
        let common: String = (0..100).map(|n| format!("w{n} ")).collect();
        let old = format!("start {common}old end");
        let new = format!("begin {common}new end");
        let pieces = word_diff(&old, &new);
        assert_eq!(pieces[0], Piece::Removed("start".into()));
        assert_eq!(pieces[1], Piece::Added("begin".into()));
        let folded: Vec<&Piece> = pieces.iter().filter(|p| matches!(p, Piece::Same { folded: true, .. })).collect();
        assert_eq!(folded.len(), 1);
        let Piece::Same { text, .. } = folded[0] else { unreachable!() };
        assert!(text.split_whitespace().count() > 70, "{text}");
        // Nothing is lost: the pieces give back both texts.
        let rebuilt = |keep: fn(&Piece) -> Option<&str>| pieces.iter().filter_map(keep).collect::<String>();
        assert_eq!(
            rebuilt(|p| match p {
                Piece::Same { text, .. } | Piece::Removed(text) => Some(text),
                Piece::Added(_) => None,
            }),
            old
        );
        assert_eq!(
            rebuilt(|p| match p {
                Piece::Same { text, .. } | Piece::Added(text) => Some(text),
                Piece::Removed(_) => None,
            }),
            new
        );
    }

    #[test]
    fn a_line_diff_marks_the_changed_words_of_changed_lines() {
        let hunks = line_diff("a\nb\nthe quick fox\nc\n", "a\nb\nthe slow fox\nc\n", 1);
        assert_eq!(hunks.len(), 1);
        let lines = &hunks[0];
        assert_eq!(
            lines.iter().map(|l| l.tag).collect::<Vec<_>>(),
            [ChangeTag::Equal, ChangeTag::Delete, ChangeTag::Insert, ChangeTag::Equal]
        );
        assert!(lines[1].parts.contains(&(true, "quick".into())), "{:?}", lines[1]);
        assert!(lines[2].parts.contains(&(true, "slow".into())), "{:?}", lines[2]);
        assert_eq!((lines[2].old, lines[2].new), (None, Some(3)));
    }

    #[test]
    fn each_line_is_blamed_on_who_wrote_most_of_it() {
        let runs = vec![
            Written { author: "Ada".into(), text: "Bees dance.\nThey ".into() },
            Written { author: "Bo".into(), text: "sting rarely".into() },
            Written { author: "Ada".into(), text: ".\n".into() },
        ];
        let lines = blame_lines(&runs);
        assert_eq!(
            lines,
            vec![
                ("Bees dance.".to_string(), vec!["Ada".to_string()]),
                ("They sting rarely.".to_string(), vec!["Bo".to_string(), "Ada".to_string()]),
            ]
        );
    }
}
