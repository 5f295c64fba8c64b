//! Variant H: Loam's hand-written memo keys (site.rs `with_memo`, `garden_key`, `resolve_all`; note.rs `Keys`).

use crate::pure::{self, Model, NameIndex, Outline, Resolved, Shape};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use xxhash_rust::xxh3::Xxh3;

/// A parsed note, as Loam's parse cache keeps it: the outline, the body, and the keys made at parse time.
pub struct Note {
    pub outline: Outline,
    #[allow(dead_code)] // kept, as Loam keeps the rendered body
    pub body: String,
    pub shape: Shape,
    /// Hash of the outline (Loam's `keys.model`, `model_input`).
    pub model_key: u64,
    /// Hash of the shape (Loam's `keys.shape`).
    pub shape_key: u64,
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut h = Xxh3::new();
    value.hash(&mut h);
    h.finish()
}

pub fn parse(path: &str, text: &str) -> Arc<Note> {
    let (outline, body) = pure::parse(path, text);
    let shape = pure::shape_of(&outline);
    Arc::new(Note { model_key: hash_of(&outline), shape_key: hash_of(&shape), outline, body, shape })
}

/// The last build's resolution: its key, each note as it was resolved with its result, and the index.
struct ResolveMemo {
    key: u64,
    notes: Vec<(Arc<Note>, Arc<Resolved>)>,
    index: Arc<NameIndex>,
}

#[derive(Default)]
pub struct Memo {
    model: Option<(u64, Arc<Model>)>,
    resolve: Option<ResolveMemo>,
}

/// Loam's `garden_key`: a hash of each note's part (and publishing; every note is published here).
fn garden_key(notes: &[Arc<Note>], part: impl Fn(&Note) -> u64) -> u64 {
    let mut hash = Xxh3::new();
    hash.update(&(notes.len() as u64).to_le_bytes());
    for note in notes {
        hash.update(&part(note).to_le_bytes());
        hash.update(&[1]);
    }
    hash.digest()
}

pub fn build(notes: &[Arc<Note>], memo: &mut Memo) -> Arc<Model> {
    let model_key = garden_key(notes, |n| n.model_key);
    if let Some((key, model)) = &memo.model {
        if *key == model_key {
            return model.clone();
        }
    }
    let resolution_key = garden_key(notes, |n| n.shape_key);
    let previous = match memo.resolve.take() {
        Some(last) if last.key == resolution_key => Some(last),
        _ => None,
    };
    let index = match &previous {
        Some(last) => last.index.clone(),
        None => Arc::new(pure::build_index(notes.iter().map(|n| &n.shape))),
    };
    let resolved: Vec<Arc<Resolved>> = notes
        .iter()
        .enumerate()
        .map(|(i, note)| match previous.as_ref().and_then(|p| p.notes.get(i)) {
            Some((was, done)) if Arc::ptr_eq(was, note) => done.clone(),
            _ => Arc::new(pure::resolve_note(&index, &note.outline)),
        })
        .collect();
    let outlines: Vec<&Outline> = notes.iter().map(|n| &n.outline).collect();
    let resolved_refs: Vec<&Resolved> = resolved.iter().map(|r| &**r).collect();
    let model = Arc::new(pure::build_model(&outlines, &resolved_refs));
    memo.resolve = Some(ResolveMemo {
        key: resolution_key,
        notes: notes.iter().cloned().zip(resolved).collect(),
        index,
    });
    memo.model = Some((model_key, model.clone()));
    model
}
