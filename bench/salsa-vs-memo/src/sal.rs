//! Variant S: the same pure functions as salsa queries.
//!
//! One input per note (its path and text), a singleton input for the garden (its list of notes), and tracked
//! functions: per note `outline` (the parse, backdated when only the body changed), `shape` and `resolve`;
//! for the garden `name_index` and `model`.

use crate::pure::{self, Model, NameIndex, Outline, Resolved, Shape};
use std::sync::Arc;

#[salsa::input]
pub struct NoteFile {
    #[returns(ref)]
    pub path: String,
    #[returns(ref)]
    pub text: String,
}

#[salsa::input(singleton)]
pub struct Garden {
    #[returns(ref)]
    pub notes: Vec<NoteFile>,
}

/// What the model reads of a note. The body is parsed here and dropped: an edit of the body alone re-runs
/// this, finds the same outline, and backdates it, so nothing downstream runs again.
#[salsa::tracked(returns(ref))]
pub fn outline(db: &dyn salsa::Database, note: NoteFile) -> Outline {
    pure::parse(note.path(db), note.text(db)).0
}

#[salsa::tracked(returns(ref))]
pub fn shape(db: &dyn salsa::Database, note: NoteFile) -> Shape {
    pure::shape_of(outline(db, note))
}

#[salsa::tracked(returns(ref))]
pub fn name_index(db: &dyn salsa::Database, garden: Garden) -> NameIndex {
    let notes = garden.notes(db);
    pure::build_index(notes.iter().map(|&n| shape(db, n)).collect::<Vec<_>>().into_iter())
}

#[salsa::tracked(returns(ref))]
pub fn resolve(db: &dyn salsa::Database, note: NoteFile) -> Resolved {
    let index = name_index(db, Garden::get(db));
    pure::resolve_note(index, outline(db, note))
}

/// The whole site model; nothing reads it within salsa, so no equality check (`no_eq`).
#[salsa::tracked(returns(clone), no_eq)]
pub fn model(db: &dyn salsa::Database, garden: Garden) -> Arc<Model> {
    let notes = garden.notes(db);
    let outlines: Vec<&Outline> = notes.iter().map(|&n| outline(db, n)).collect();
    let resolved: Vec<&Resolved> = notes.iter().map(|&n| resolve(db, n)).collect();
    Arc::new(pure::build_model(&outlines, &resolved))
}
