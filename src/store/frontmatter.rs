//! A note's frontmatter after a merge: when authors changed it at once, the text Automerge merged character by
//! character is replaced by their frontmatter merged as data (`note::merge_frontmatter`), as one more change.
//!
//! Every peer that holds the same concurrent changes makes that change itself, and makes the same bytes: its
//! actor is derived from the heads it merges and the text it writes, its time is the latest of theirs, its
//! message names no device. Automerge knows a change by its hash, so the same merge made on two peers is one
//! change, not two edits of the frontmatter that would merge into it twice. A peer that merged more (a third
//! author's change too) makes another; the next merge settles those the same way.

use std::collections::BTreeSet;

use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ChangeHash, ObjType, ReadDoc, Value, ROOT};

use super::{diff, About};
use crate::note::{merge_frontmatter, split_frontmatter};

/// Frontmatter longer than this many characters is left as the text merge made it: finding its characters in
/// the merged text costs a lookup per character.
const MAX_FRONTMATTER: usize = 16 << 10;

/// What [`settle`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub change: ChangeHash,
    /// The keys more than one author changed.
    pub keys: Vec<String>,
}

/// Replaces the frontmatter of the note document `doc` with its authors' frontmatter merged as data, as one
/// change, when its heads are concurrent changes of which two or more changed the frontmatter and the merged
/// text is not already that. `None` when there was nothing to do (or a side's frontmatter is not a mapping of
/// keys: then the text stays as merged, and the note says what is wrong with it when it is built).
pub fn settle(doc: &mut Automerge) -> anyhow::Result<Option<Settled>> {
    let mut heads = doc.get_heads();
    if heads.len() < 2 || doc.get(ROOT, "bytes")?.is_some() {
        return Ok(None);
    }
    let Some((Value::Object(ObjType::Text), text)) = doc.get(ROOT, "text")? else { return Ok(None) };
    // Each side as of its head, the oldest change first (ties broken by hash, so that every peer orders alike).
    heads.sort_by_key(|head| (doc.get_change_by_hash(head).map_or(0, |c| c.timestamp()), *head));
    let mut sides = Vec::new();
    for head in &heads {
        let Ok(side) = doc.text_at(&text, std::slice::from_ref(head)) else { return Ok(None) };
        sides.push(side);
    }
    let fronts: Vec<Option<&str>> = sides.iter().map(|side| split_frontmatter(side).0).collect();
    let current = doc.text(&text)?;
    let current_front = split_frontmatter(&current).0;
    if fronts.iter().all(|front| *front == current_front) {
        return Ok(None);
    }
    let base_heads = common_heads(doc, &heads);
    let base = if base_heads.is_empty() { String::new() } else { doc.text_at(&text, &base_heads).unwrap_or_default() };
    let base_front = split_frontmatter(&base).0;
    let mut changed = fronts.iter().filter(|front| **front != base_front);
    let first = changed.next().copied().unwrap_or(base_front);
    if changed.all(|front| *front == first) && current_front == first {
        // One side changed the frontmatter (or all made the same change): the text merge is that change.
        return Ok(None);
    }
    // A side without frontmatter removed every key (or never had one).
    let front_sides: Vec<&str> = fronts.iter().map(|front| front.unwrap_or("")).collect();
    let Some(merged) = merge_frontmatter(base_front, &front_sides) else { return Ok(None) };
    // The merged text without every character that was frontmatter on some side: the body all sides wrote.
    let Some(front_chars) = frontmatter_positions(doc, &text, &heads, &sides)? else { return Ok(None) };
    let body: String =
        current.chars().enumerate().filter(|(at, _)| !front_chars.contains(at)).map(|(_, c)| c).collect();
    let new = if merged.yaml.is_empty() { body } else { format!("---\n{}---\n{body}", merged.yaml) };
    if new == current {
        return Ok(None);
    }
    // Deterministic on every peer: a diff with no deadline (only the frontmatter differs, which is short).
    let splices = diff::splices(&current, &new, std::time::Duration::from_secs(3600));
    let own = doc.get_actor().clone();
    doc.set_actor(merge_actor(&heads, &new));
    let time = heads.iter().filter_map(|head| doc.get_change_by_hash(head)).map(|c| c.timestamp()).max();
    let about = About { author: String::new(), kind: kind(&merged.keys) };
    let options = automerge::transaction::CommitOptions::default()
        .with_message(serde_json::to_string(&about)?)
        .with_time(time.unwrap_or(0));
    let mut tx = doc.transaction();
    for splice in splices.iter().rev() {
        tx.splice_text(&text, splice.at, splice.delete as isize, &splice.insert)?;
    }
    let (change, _) = tx.commit_with(options);
    doc.set_actor(own);
    Ok(change.map(|change| Settled { change, keys: merged.keys }))
}

impl super::Store {
    /// [`settle`]s the document `id` of the note at `path`, which is being written back: the merge is kept
    /// (on the disk before the note is written) and goes to the peers like any change made here.
    pub(super) fn settle_frontmatter(&self, id: &str, path: &str, doc: &mut Automerge) -> anyhow::Result<()> {
        let before = doc.get_heads();
        let Some(settled) = settle(doc)? else { return Ok(()) };
        let change = doc.save_after(&before);
        self.doc_files(id).append(doc, &change)?;
        self.to_outbox(id, &change);
        tracing::info!(
            "merged the frontmatter of `{}` that authors changed at once ({})",
            crate::diagnostic::shown(path),
            if settled.keys.is_empty() { "different keys".to_string() } else { settled.keys.join(", ") }
        );
        Ok(())
    }
}

/// What `loam log` says of such a change.
fn kind(keys: &[String]) -> String {
    if keys.is_empty() {
        "merge of frontmatter".into()
    } else {
        format!("merge of frontmatter: {}", keys.join(", "))
    }
}

/// The actor of the merge of `heads` into `text`: the same on every peer that merges them so.
fn merge_actor(heads: &[ChangeHash], text: &str) -> ActorId {
    let mut seed = Vec::new();
    seed.extend_from_slice(b"loam frontmatter merge\0");
    for head in heads {
        seed.extend_from_slice(&head.0);
    }
    seed.extend_from_slice(text.as_bytes());
    ActorId::from(xxhash_rust::xxh3::xxh3_128(&seed).to_le_bytes().as_slice())
}

/// The heads of the history every one of `heads` has (their common ancestors).
fn common_heads(doc: &Automerge, heads: &[ChangeHash]) -> Vec<ChangeHash> {
    // A change some head lacks is one `get_changes` gives for that head.
    let mut not_shared: BTreeSet<ChangeHash> = BTreeSet::new();
    for head in heads {
        not_shared.extend(doc.get_changes(std::slice::from_ref(head)).iter().map(|change| change.hash()));
    }
    let shared: Vec<automerge::Change> =
        doc.get_changes(&[]).into_iter().filter(|change| !not_shared.contains(&change.hash())).collect();
    let depended: BTreeSet<ChangeHash> = shared.iter().flat_map(|change| change.deps().to_vec()).collect();
    shared.iter().map(|change| change.hash()).filter(|hash| !depended.contains(hash)).collect()
}

/// The positions in the current text of the characters that were frontmatter (its fences too) on some side and
/// are still there; `None` when a side's frontmatter is too long to look for.
fn frontmatter_positions(
    doc: &Automerge,
    text: &automerge::ObjId,
    heads: &[ChangeHash],
    sides: &[String],
) -> anyhow::Result<Option<BTreeSet<usize>>> {
    let length = doc.length(text);
    let mut positions = BTreeSet::new();
    for (head, side) in heads.iter().zip(sides) {
        let (front, body, _) = split_frontmatter(side);
        if front.is_none() {
            continue;
        }
        let chars = side[..side.len() - body.len()].chars().count();
        if chars > MAX_FRONTMATTER {
            return Ok(None);
        }
        let at = std::slice::from_ref(head);
        for n in 0..chars {
            let cursor = doc.get_cursor(text, n, Some(at))?;
            let now = doc.get_cursor_position(text, &cursor, None)?;
            // A character deleted since moves its cursor on to the next one still there.
            if now < length && doc.get_cursor(text, now, None)? == cursor {
                positions.insert(now);
            }
        }
    }
    Ok(Some(positions))
}

#[cfg(test)]
mod tests;
