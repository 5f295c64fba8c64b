//! What a peer with a scoped token sees of the garden: its own index document (a view), listing only the notes in
//! its read scope, and only those notes' documents. The garden's index lists every note's path, so a scoped peer
//! is never given it: it is given the view as its garden's index (`/_loam/view.json` names it), which this store
//! keeps in line with the index (`refresh_view`) and from which it takes the peer's moves, new notes and
//! deletions that its write scope allows (`take_in_view`), refusing and naming the rest.
//!
//! A view's id is derived from the garden's and the scope's (never the token's secret), so that it stays the same
//! across restarts and every token of one scope shares it. Views are kept in `.loam/views/`.

use std::collections::BTreeMap;
use std::sync::Arc;

use automerge::transaction::Transactable;
use automerge::{Automerge, ChangeHash, ObjType, ReadDoc, Value};

use super::files::DocFiles;
use super::merge::{read_index, IndexEntry};
use super::{docs_map, now, Store};
use crate::config::Scope;
use crate::diagnostic::shown;

/// How far a scoped peer may go with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Share {
    /// Not at all: it is not told the document exists.
    No,
    /// It is sent the document's changes; its own are refused.
    Read,
    /// Both ways.
    ReadWrite,
}

/// The scoped peers' views this store keeps, by id.
#[derive(Default)]
pub(super) struct Views {
    kept: BTreeMap<String, (Arc<Scope>, Automerge)>,
    /// Each document's path and whether it is deleted, as of the index's heads: asked once per document a scoped
    /// peer syncs, where reading the index document each time would cost a clone of 10,000 notes minutes.
    index: std::sync::Mutex<Option<(Vec<ChangeHash>, Arc<Paths>)>>,
}

/// Each document's path and whether it is deleted, by id.
type Paths = BTreeMap<String, (String, bool)>;

impl Store {
    /// The id of the view of `scope` (hex), once the garden has an address.
    pub fn view_id(&self, scope: &Scope) -> Option<String> {
        let garden = self.garden.as_ref()?;
        let seed = format!("loam view\0{garden}\0{}", scope.key());
        let bytes = xxhash_rust::xxh3::xxh3_128(seed.as_bytes()).to_le_bytes();
        Some(hex::encode(super::address::uuid_shaped(bytes)))
    }

    fn views_dir(&self) -> std::path::PathBuf {
        self.dir.join("views")
    }

    /// Whether `doc` is one of the views this store keeps.
    pub(super) fn is_view(&self, doc: &str) -> bool {
        self.views.kept.contains_key(doc) || DocFiles::new(&self.views_dir(), doc).exists()
    }

    /// Brings the view of `scope` in line with the index: every note the scope may read (`published` says which
    /// paths `loam build` publishes), none other. A note that left the scope is marked deleted in it, so that
    /// the peer removes its copy. Returns the view's id.
    pub fn refresh_view(&mut self, scope: &Arc<Scope>, published: &dyn Fn(&str) -> bool) -> anyhow::Result<String> {
        self.writable()?;
        let id = self.view_id(scope).ok_or_else(|| anyhow::anyhow!("the garden has no history yet"))?;
        let files = DocFiles::new(&self.views_dir(), &id);
        let mut view = match self.views.kept.remove(&id) {
            Some((_, view)) => view,
            None if files.exists() => files.load()?.with_actor(self.actor.clone()),
            None => Automerge::new().with_actor(self.actor.clone()),
        };
        let index = read_index(&self.index)?;
        let seen = read_index(&view)?;
        let before = view.get_heads();
        let mut tx = view.transaction();
        let docs = docs_map(&mut tx)?;
        for (doc, entry) in &index {
            let readable = !entry.deleted && scope.may_read(&entry.path, published(&entry.path));
            let shown = seen.get(doc);
            let note = |tx: &mut automerge::transaction::Transaction<'_>| -> anyhow::Result<automerge::ObjId> {
                Ok(match tx.get(&docs, doc.as_str())? {
                    Some((Value::Object(ObjType::Map), note)) => note,
                    _ => tx.put_object(&docs, doc.as_str(), ObjType::Map)?,
                })
            };
            if readable {
                if shown.is_some_and(|shown| !shown.deleted && shown.path == entry.path) {
                    continue;
                }
                let note = note(&mut tx)?;
                tx.put(&note, "path", entry.path.as_str())?;
                tx.put(&note, "deleted", false)?;
                if tx.get(&note, "deletedAt")?.is_some() {
                    tx.delete(&note, "deletedAt")?;
                }
                for (key, set) in [("crlf", entry.crlf), ("bom", entry.bom)] {
                    if set {
                        tx.put(&note, key, true)?;
                    }
                }
            } else if shown.is_some_and(|shown| !shown.deleted) {
                // Gone from the scope: deleted for the peer, as of every change of it the peer may have had.
                let note = note(&mut tx)?;
                tx.put(&note, "deleted", true)?;
                let heads = self.local.notes.get(&entry.path).map(|e| e.heads.clone()).unwrap_or_default();
                let list = tx.put_object(&note, "deletedAt", ObjType::List)?;
                for (n, head) in heads.iter().enumerate() {
                    tx.insert(&list, n, head.as_str())?;
                }
            }
        }
        tx.commit_with(self.options("view", now()));
        let change = view.save_after(&before);
        if !change.is_empty() {
            if before.is_empty() {
                std::fs::create_dir_all(self.views_dir())?;
                files.save(&view)?;
            } else {
                files.append(&view, &change)?;
            }
            self.to_outbox(&id, &change);
        }
        self.views.kept.insert(id.clone(), (Arc::clone(scope), view));
        Ok(id)
    }

    /// Brings every view this store keeps in line with the index (after the index or what is published
    /// changed).
    pub fn refresh_views(&mut self, published: &dyn Fn(&str) -> bool) {
        let scopes: Vec<Arc<Scope>> = self.views.kept.values().map(|(scope, _)| Arc::clone(scope)).collect();
        for scope in scopes {
            if let Err(error) = self.refresh_view(&scope, published) {
                tracing::warn!("sync: a scoped peer's view could not be brought up to date: {error:#}");
            }
        }
    }

    /// How far a peer of `scope` may go with document `doc`. The garden's index and other scopes' views never
    /// go to it; a note only within its read scope; a document this garden lacks may come from it when it may
    /// write, named in its view (which it syncs first) at a path it may write.
    pub fn share(&self, doc: &str, scope: &Scope, published: &dyn Fn(&str) -> bool) -> Share {
        if self.garden.as_deref() == Some(doc) {
            return Share::No;
        }
        if self.view_id(scope).as_deref() == Some(doc) {
            return Share::ReadWrite;
        }
        if self.is_view(doc) {
            return Share::No;
        }
        let Some(index) = self.index_entries() else { return Share::No };
        match index.get(doc) {
            Some((path, deleted)) if !deleted && scope.may_read(path, published(path)) => {
                if scope.may_write(path) {
                    Share::ReadWrite
                } else {
                    Share::Read
                }
            }
            Some(_) => Share::No,
            // A note the peer made where it may not write: its view names it, the garden's index does not. It is
            // told its changes are not taken (and keeps its note); any other document is not for it.
            None if self.named_in_view(doc, scope) => Share::Read,
            None => Share::No,
        }
    }

    /// Whether the view of `scope` names `doc`.
    fn named_in_view(&self, doc: &str, scope: &Scope) -> bool {
        let view = self.view_id(scope).and_then(|id| self.views.kept.get(&id));
        view.and_then(|(_, view)| read_index(view).ok()).is_some_and(|entries| entries.contains_key(doc))
    }

    /// Whether the view of `scope` is kept (made, or read from the disk, since this store opened).
    pub fn has_view(&self, scope: &Scope) -> bool {
        self.view_id(scope).is_some_and(|id| self.views.kept.contains_key(&id))
    }

    /// Each document's path and whether it is deleted (see [`Views::index`]).
    fn index_entries(&self) -> Option<Arc<Paths>> {
        let heads = self.index.get_heads();
        let mut cached = crate::lock(&self.views.index);
        if let Some((at, entries)) = cached.as_ref().filter(|(at, _)| *at == heads) {
            let _ = at;
            return Some(Arc::clone(entries));
        }
        let entries = Arc::new(self.index_paths().ok()?);
        *cached = Some((heads, Arc::clone(&entries)));
        Some(entries)
    }

    /// Takes in a scoped peer's changes to its view: the moves, new notes and deletions in them that its write
    /// scope allows go into the garden's index; the rest are refused, logged, and undone in the view at its next
    /// refresh (so the peer is sent its note back where it was). Returns the paths refused.
    pub(super) fn take_in_view(&mut self, id: &str, bytes: &[u8]) -> anyhow::Result<Vec<String>> {
        let Some((scope, mut view)) = self.views.kept.remove(id) else {
            anyhow::bail!("view {id} is not kept here: a scoped peer's changes come after it asked for its view");
        };
        let before_heads = view.get_heads();
        let before = read_index(&view)?;
        view.load_incremental(bytes)?;
        let after = read_index(&view)?;
        if view.get_heads() != before_heads {
            DocFiles::new(&self.views_dir(), id).append(&view, &view.save_after(&before_heads))?;
        }
        let index = read_index(&self.index)?;
        let mut entries = Vec::new();
        let mut seen = BTreeMap::new();
        let mut forms = BTreeMap::new();
        let mut refused = Vec::new();
        for (doc, entry) in &after {
            let was = before.get(doc);
            if was.is_some_and(|was| same(was, entry)) {
                continue;
            }
            let real = index.get(doc).filter(|real| !real.deleted);
            if real.is_some_and(|real| same(real, entry)) {
                continue;
            }
            // A note new to the garden may come before its document does (a peer syncs its index first).
            let allowed = scope.may_write(&entry.path) && real.is_none_or(|real| scope.may_write(&real.path));
            let allowed = allowed && (real.is_some() || !entry.deleted);
            if !allowed {
                refused.push(entry.path.clone());
                continue;
            }
            if entry.deleted {
                seen.insert(doc.clone(), entry.seen.iter().map(ToString::to_string).collect());
                entries.push((doc.clone(), None));
            } else {
                if real.is_none() {
                    forms.insert(doc.clone(), (entry.crlf, entry.bom));
                }
                entries.push((doc.clone(), Some(entry.path.clone())));
            }
        }
        self.views.kept.insert(id.to_string(), (Arc::clone(&scope), view));
        if !entries.is_empty() {
            self.set_index_with(&entries, &seen, &forms, "edit")?;
            self.session.taken_index = true;
        }
        for path in &refused {
            tracing::warn!(
                "sync: refused a scoped peer's change to `{}`: outside what its token may write",
                shown(path)
            );
        }
        Ok(refused)
    }

    /// The heads of the documents a peer of `scope` may have, its view's among them (see [`Store::heads`]).
    pub fn heads_within(&self, scope: &Scope, published: &dyn Fn(&str) -> bool) -> BTreeMap<String, Vec<String>> {
        let mut heads: BTreeMap<String, Vec<String>> =
            self.heads().into_iter().filter(|(doc, _)| self.share(doc, scope, published) != Share::No).collect();
        if let Some((id, (_, view))) = self.view_id(scope).and_then(|id| self.views.kept.get_key_value(&id)) {
            let mut view_heads: Vec<String> = view.get_heads().iter().map(ToString::to_string).collect();
            view_heads.sort();
            heads.insert(id.clone(), view_heads);
        }
        heads
    }

    /// The bundle of a clone (see [`Store::bundle`]) for a peer of `scope`: its view first, as the index, then
    /// the documents it may have.
    pub fn bundle_within(&self, scope: &Scope, published: &dyn Fn(&str) -> bool) -> anyhow::Result<Vec<u8>> {
        let id = self.view_id(scope).ok_or_else(|| anyhow::anyhow!("the garden has no history yet"))?;
        let Some((_, view)) = self.views.kept.get(&id) else { anyhow::bail!("the view was not made") };
        let mut out = Vec::new();
        let mut put = |id: &str, bytes: &[u8]| {
            out.extend_from_slice(id.as_bytes());
            out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            out.extend_from_slice(bytes);
        };
        put(&id, &view.save());
        for (doc, entry) in read_index(view)? {
            if entry.deleted || self.share(&doc, scope, published) == Share::No {
                continue;
            }
            let files = self.doc_files(&doc);
            if files.exists() {
                put(&doc, &files.raw()?);
            }
        }
        Ok(out)
    }

    /// A view's whole history, for samod.
    pub(super) fn view_document(&self, id: &str) -> Option<Vec<u8>> {
        self.views.kept.get(id).map(|(_, view)| view.save())
    }
}

/// Whether two index entries say the same of a note (its path, and whether it is deleted).
fn same(a: &IndexEntry, b: &IndexEntry) -> bool {
    a.path == b.path && a.deleted == b.deleted
}
