//! The edit that turns one text into another, as splices a CRDT text can apply: a line diff first, then a
//! character diff inside each changed run of lines, both bounded by a deadline so that a rewrite of a large note
//! costs milliseconds. Pure: texts in, splices out.
//!
//! ```
//! use loam::store::diff::{apply, splices};
//! let old = "one\ntwo\nthree\n";
//! let new = "one\ntoo\nthree\nfour\n";
//! let edit = splices(old, new, std::time::Duration::from_millis(50));
//! assert_eq!(apply(old, &edit), new);
//! ```

use std::ops::Range;
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffOp, TextDiff};

/// Replace `delete` characters at character `at` of the old text with `insert`. Splices are in order of `at`
/// and do not overlap; applied from the last to the first, each one's position is still right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splice {
    pub at: usize,
    pub delete: usize,
    pub insert: String,
}

/// Runs of changed lines longer than this many characters (old and new together) are replaced whole rather
/// than diffed by character: a character diff of a rewritten page says nothing a reader wants and costs time.
const CHAR_DIFF_LIMIT: usize = 20_000;

/// The splices that turn `old` into `new`. Positions count Unicode scalar values (Automerge's text indices).
/// Past `budget` the diff gives up looking for the smallest edit and replaces what is left: still correct.
pub fn splices(old: &str, new: &str, budget: Duration) -> Vec<Splice> {
    if old == new {
        return Vec::new();
    }
    let deadline = Instant::now() + budget;
    let lines = TextDiff::configure().algorithm(Algorithm::Myers).deadline(deadline).diff_lines(old, new);
    let old_lines = lines.old_slices();
    let new_lines = lines.new_slices();
    // Character offset of each old line's start.
    let mut starts = Vec::with_capacity(old_lines.len() + 1);
    let mut offset = 0;
    for line in old_lines {
        starts.push(offset);
        offset += line.chars().count();
    }
    starts.push(offset);

    let mut out = Vec::new();
    for (old_range, new_range) in changed_runs(lines.ops()) {
        let at = starts[old_range.start];
        let removed: String = old_lines[old_range.clone()].concat();
        let added: String = new_lines[new_range].concat();
        let delete = starts[old_range.end] - at;
        if removed.is_empty() || added.is_empty() || removed.len() + added.len() > CHAR_DIFF_LIMIT {
            out.push(Splice { at, delete, insert: added });
        } else {
            out.extend(char_splices(&removed, &added, at, deadline));
        }
    }
    merge_adjacent(out)
}

/// The character diff of one changed run of lines, with positions offset by `base`.
fn char_splices(old: &str, new: &str, base: usize, deadline: Instant) -> Vec<Splice> {
    let chars = TextDiff::configure().algorithm(Algorithm::Myers).deadline(deadline).diff_chars(old, new);
    let new_chars = chars.new_slices();
    changed_runs(chars.ops())
        .map(|(old_range, new_range)| Splice {
            at: base + old_range.start,
            delete: old_range.len(),
            insert: new_chars[new_range].concat(),
        })
        .collect()
}

/// Each run the diff changed, as (range of the old sequence, range of the new). Positions come from walking the
/// ops in order rather than from their `old_index`: similar's Myers can give an insertion the old index of an
/// earlier point (the property test found one), which would put it inside a deletion before it.
fn changed_runs(ops: &[DiffOp]) -> impl Iterator<Item = (Range<usize>, Range<usize>)> + '_ {
    let mut at = 0;
    ops.iter().filter_map(move |op| {
        let (old_len, new_index, new_len) = match *op {
            DiffOp::Equal { len, .. } => {
                at += len;
                return None;
            }
            DiffOp::Delete { old_len, new_index, .. } => (old_len, new_index, 0),
            DiffOp::Insert { new_index, new_len, .. } => (0, new_index, new_len),
            DiffOp::Replace { old_len, new_index, new_len, .. } => (old_len, new_index, new_len),
        };
        let run = (at..at + old_len, new_index..new_index + new_len);
        at += old_len;
        Some(run)
    })
}

/// A delete followed by an insert at the place it ends is one replacement.
fn merge_adjacent(splices: Vec<Splice>) -> Vec<Splice> {
    let mut out: Vec<Splice> = Vec::with_capacity(splices.len());
    for splice in splices {
        match out.last_mut() {
            Some(last) if last.at + last.delete == splice.at && splice.delete == 0 => {
                last.insert.push_str(&splice.insert)
            }
            _ => out.push(splice),
        }
    }
    out
}

/// `old` with `splices` applied (what the CRDT does, for tests and for checking).
pub fn apply(old: &str, splices: &[Splice]) -> String {
    let mut chars: Vec<char> = old.chars().collect();
    for splice in splices.iter().rev() {
        chars.splice(splice.at..splice.at + splice.delete, splice.insert.chars());
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(old: &str, new: &str) -> Vec<Splice> {
        let edit = splices(old, new, Duration::from_secs(1));
        assert_eq!(apply(old, &edit), new, "{old:?} -> {new:?} by {edit:?}");
        edit
    }

    #[test]
    fn a_word_changed_in_a_line_is_a_small_splice() {
        let edit = check("alpha\nbeta gamma\ndelta\n", "alpha\nbeta GAMMA\ndelta\n");
        assert_eq!(edit.len(), 1);
        assert_eq!(edit[0].delete, 5);
        assert_eq!(edit[0].insert, "GAMMA");
    }

    #[test]
    fn lines_added_removed_and_texts_of_other_scripts() {
        check("", "new\n");
        check("gone\n", "");
        check("a\nb\nc", "a\nc\nd");
        check("Gödel 🙂 note\nΛCDM\n", "Gödel 🙃 note\nΛCDM model\nनमस्ते\n");
        check("no newline at end", "no newline at the end");
    }

    #[test]
    fn a_long_rewrite_is_replaced_whole_and_stays_correct() {
        let old: String = (0..5_000).map(|i| format!("line {i} of the old text\n")).collect();
        let new: String = (0..5_000).map(|i| format!("row {} of the new text\n", i * 7)).collect();
        check(&old, &new);
    }
}
