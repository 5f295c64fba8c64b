//! Taking in another garden's history: its index and note documents are merged into this store's, and the
//! notes on disk are brought in line with the merged index by the checkout (`checkout.rs`: moved, made, written
//! back or deleted), never losing a word typed here that was not recorded yet. This is what a sync does with the
//! documents it receives; here they come from another garden's `.loam/` folder on the same machine
//! (`Store::merge_from`). The documents a sync reads (`document`, `bundle`, `heads`) are served from here too.

use std::collections::BTreeMap;
use std::path::Path;

use automerge::{Automerge, ChangeHash, ReadDoc, ScalarValue, Value, ROOT};

use super::files::DocFiles;
use super::Store;
use crate::diagnostic::shown;

/// What a merge changed in this garden's notes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Merged {
    /// Notes whose text changed (written back).
    pub updated: Vec<String>,
    /// Notes that did not exist here.
    pub added: Vec<String>,
    /// Notes deleted here because the other garden deleted them (after seeing every change to them).
    pub removed: Vec<String>,
    /// Notes moved here, as (from, to).
    pub moved: Vec<(String, String)>,
    /// Paths the other garden sent that were not safe or had no place, with the reason.
    pub refused: Vec<(String, String)>,
}

impl Merged {
    /// Adds what another merge did.
    pub fn extend(&mut self, other: Merged) {
        self.updated.extend(other.updated);
        self.added.extend(other.added);
        self.removed.extend(other.removed);
        self.moved.extend(other.moved);
        self.refused.extend(other.refused);
    }

    /// One line per note changed: what happened to it, and its path.
    /// The paths come from a peer, so they are [`shown`] with their control characters escaped.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        lines.extend(self.updated.iter().map(|path| format!("updated  {}", shown(path))));
        lines.extend(self.added.iter().map(|path| format!("added    {}", shown(path))));
        lines.extend(self.removed.iter().map(|path| format!("removed  {}", shown(path))));
        lines.extend(self.moved.iter().map(|(from, to)| format!("moved    {} -> {}", shown(from), shown(to))));
        lines
    }
}

/// An index entry as read from the index document, with the heads its deletion saw.
pub(super) struct IndexEntry {
    pub(super) path: String,
    pub(super) deleted: bool,
    pub(super) seen: Vec<ChangeHash>,
    /// The line endings and byte-order mark of the file where the note was first recorded.
    pub(super) crlf: bool,
    pub(super) bom: bool,
}

/// The documents an index document lists (a peer's copy of the index, as the sync protocol holds it).
pub fn index_documents(index: &Automerge) -> Vec<String> {
    read_index(index).map(|entries| entries.into_keys().collect()).unwrap_or_default()
}

/// The documents an index document marks deleted, each with the heads of it the deletion saw.
pub fn deleted_documents(index: &Automerge) -> BTreeMap<String, Vec<String>> {
    read_index(index)
        .map(|entries| {
            entries
                .into_iter()
                .filter(|(_, entry)| entry.deleted)
                .map(|(doc, entry)| (doc, entry.seen.iter().map(ToString::to_string).collect()))
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn read_index(index: &Automerge) -> anyhow::Result<BTreeMap<String, IndexEntry>> {
    let mut out = BTreeMap::new();
    let Some((_, docs)) = index.get(ROOT, "docs")? else { return Ok(out) };
    for doc in index.keys(&docs) {
        // A peer's index names documents by keys it chose; one that is not an id (`../../elsewhere/x`) would be
        // read, loaded, repaired and saved as a file outside `.loam/docs/` if it were taken in.
        if !is_document_id(&doc) {
            continue;
        }
        let Some((_, note)) = index.get(&docs, doc.as_str())? else { continue };
        let scalar = |key: &str| -> anyhow::Result<Option<ScalarValue>> {
            Ok(match index.get(&note, key)? {
                Some((Value::Scalar(value), _)) => Some(value.into_owned()),
                _ => None,
            })
        };
        // A path is a plain string; a peer written in JavaScript with Automerge 3 makes a text object of it
        // unless it says otherwise, which reads the same.
        let path = match index.get(&note, "path")? {
            Some((Value::Scalar(value), _)) => match value.as_ref() {
                ScalarValue::Str(path) => path.to_string(),
                _ => continue,
            },
            Some((Value::Object(automerge::ObjType::Text), text)) => index.text(&text)?,
            _ => continue,
        };
        let deleted = matches!(scalar("deleted")?, Some(ScalarValue::Boolean(true)));
        let mut seen = Vec::new();
        if let Some((Value::Object(_), list)) = index.get(&note, "deletedAt")? {
            for n in 0..index.length(&list) {
                if let Some((Value::Scalar(hash), _)) = index.get(&list, n)? {
                    seen.extend(hash.as_str().and_then(|h| h.parse::<ChangeHash>().ok()));
                }
            }
        }
        let crlf = matches!(scalar("crlf")?, Some(ScalarValue::Boolean(true)));
        let bom = matches!(scalar("bom")?, Some(ScalarValue::Boolean(true)));
        out.insert(doc, IndexEntry { path, deleted, seen, crlf, bom });
    }
    Ok(out)
}

/// Whether `id` is a note document's id as this store names them: 32 lowercase hex digits (16 bytes). Anything
/// else a peer names is never made into a file name.
pub fn is_document_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Store {
    /// Takes in the history of the garden whose root is `other` (read, never written), then brings the notes in
    /// `content` in line with the merged index. Notes edited here and not recorded yet are recorded first, so
    /// that what the merge writes holds them too.
    ///
    /// Only copies of one garden merge (a clone, see `loam clone`): their index documents share their history.
    /// Two gardens made apart have index documents of their own, and merging those would hide one garden's notes
    /// behind the other's (both made the index's map of notes; Automerge keeps one of two maps made at one key).
    pub fn merge_from(&mut self, other: &Path, content: &Path) -> anyhow::Result<Merged> {
        self.writable()?;
        let theirs = super::address_of(other);
        if theirs.is_none() || theirs != self.address() {
            anyhow::bail!(
                "`{}` is another garden ({}), not a copy of this one ({}): clone it (`loam clone`) to sync with it",
                other.display(),
                theirs.as_deref().unwrap_or("no history yet"),
                self.address().as_deref().unwrap_or("no history yet")
            );
        }
        let other_dir = other.join(".loam");
        let mut their_index = DocFiles::reading(&other_dir, "index").load()?;
        // Their documents first, so that nothing in the merged index points at a document this store lacks.
        for doc in read_index(&their_index)?.keys() {
            let theirs = DocFiles::reading(&other_dir.join("docs"), doc);
            let mut their_doc = match theirs.load() {
                Ok(d) if !d.get_heads().is_empty() => d,
                _ => continue,
            };
            let files = DocFiles::new(&self.docs_dir(), doc);
            let mut ours = self.loaded(doc)?;
            let before = ours.get_heads();
            ours.merge(&mut their_doc)?;
            if before.is_empty() {
                files.save(&ours)?;
            } else {
                files.append(&ours, &ours.save_after(&before))?;
            }
            self.keep_loaded(doc.clone(), ours);
        }
        let before = self.index.get_heads();
        self.index.merge(&mut their_index)?;
        DocFiles::new(&self.dir, "index").append(&self.index, &self.index.save_after(&before))?;
        self.apply_index(content, None)
    }

    /// The id of the garden's index document (its address, as hex).
    pub fn index_id(&self) -> Option<&str> {
        self.garden.as_deref()
    }

    /// The whole history of document `doc` (the index, or a note's), as Automerge bytes a peer can load; `None`
    /// when this garden does not have it. A note's is read from its files without loading it.
    pub fn document(&self, doc: &str) -> anyhow::Result<Option<Vec<u8>>> {
        if self.index_id() == Some(doc) {
            return Ok((!self.index.get_heads().is_empty()).then(|| self.index.save()));
        }
        if let Some(view) = self.view_document(doc) {
            return Ok(Some(view));
        }
        if !is_document_id(doc) {
            return Ok(None);
        }
        let files = self.doc_files(doc);
        if !files.exists() {
            return Ok(None);
        }
        // The files as they are: the peer's Automerge loads them, so this side need not.
        Ok(Some(files.raw()?).filter(|bytes| !bytes.is_empty()))
    }

    /// Every document of the garden (the index first), as a peer's [`Store::take_in_bundle`] reads them: for
    /// each, its id (32 hex digits), its length (8 bytes, little-endian) and its bytes as on disk. How a clone
    /// gets a whole garden at once rather than one document after another through the sync protocol.
    pub fn bundle(&self) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut put = |id: &str, bytes: &[u8]| {
            out.extend_from_slice(id.as_bytes());
            out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            out.extend_from_slice(bytes);
        };
        if let Some(index) = self.index_id().filter(|_| !self.index.get_heads().is_empty()) {
            put(index, &self.index.save());
        }
        for doc in read_index(&self.index)?.keys() {
            let files = self.doc_files(doc);
            if files.exists() {
                put(doc, &files.raw()?);
            }
        }
        Ok(out)
    }

    /// The heads of each note's document, as far as this device's bookkeeping knows them (the heads of its file,
    /// which are the document's unless a peer's changes wait to be written): what a peer compares with its own to
    /// sync only the documents that differ. Documents with changes waiting are left out, so that they are synced.
    pub fn heads(&self) -> BTreeMap<String, Vec<String>> {
        self.local
            .notes
            .values()
            // A document set aside as damaged is missing here: left out, so that a peer sends it whole.
            .filter(|entry| !self.session.taken.contains(&entry.doc) && self.doc_files(&entry.doc).exists())
            .map(|entry| {
                let mut heads = entry.heads.clone();
                heads.sort();
                (entry.doc.clone(), heads)
            })
            .collect()
    }

    /// Documents the index lists, not deleted, that this garden does not have yet (a peer is to send them).
    pub fn missing(&self) -> anyhow::Result<Vec<String>> {
        Ok(read_index(&self.index)?
            .into_iter()
            .filter(|(doc, entry)| !entry.deleted && !self.doc_files(doc).exists())
            .map(|(doc, _)| doc)
            .collect())
    }

    /// Every document the index lists (the notes' and attachments', deleted or not).
    pub fn documents(&self) -> anyhow::Result<Vec<String>> {
        Ok(read_index(&self.index)?.into_keys().collect())
    }
}

#[cfg(test)]
mod tests_support {
    use super::*;
    use crate::garden::SourceFile;

    /// A garden in a folder: its root, and its notes folder.
    pub struct Garden {
        pub _dir: tempfile::TempDir,
        pub root: std::path::PathBuf,
        pub content: std::path::PathBuf,
    }

    impl Garden {
        pub fn new() -> Garden {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().to_path_buf();
            let content = root.join("content");
            std::fs::create_dir_all(&content).unwrap();
            std::fs::write(root.join("loam.toml"), "").unwrap();
            Garden { _dir: dir, root, content }
        }

        pub fn write(&self, path: &str, text: &str) {
            let file = self.content.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }

        pub fn read(&self, path: &str) -> String {
            std::fs::read_to_string(self.content.join(path)).unwrap()
        }

        /// This garden's store as a copy of `origin` (its address), before anything is recorded in it.
        pub fn clone_of(&self, origin: &Garden) -> Store {
            crate::store::adopt_address(&self.root, &origin.root).unwrap();
            Store::open(&self.root, "Bo").unwrap()
        }

        /// Records what changed, as `loam serve` does at its start.
        pub fn store(&self, author: &str) -> Store {
            let mut store = Store::open(&self.root, author).unwrap();
            let layout = crate::garden::Layout::discover(&self.root, None).unwrap();
            store.catch_up(layout.scan(|source| source).unwrap().notes).unwrap();
            store
        }

        /// Every file of the notes folder, with its bytes.
        pub fn files(&self) -> BTreeMap<String, Vec<u8>> {
            walkdir::WalkDir::new(&self.content)
                .into_iter()
                .map(Result::unwrap)
                .filter(|e| e.file_type().is_file())
                .map(|e| {
                    let path = e.path().strip_prefix(&self.content).unwrap().to_string_lossy().into_owned();
                    (path, std::fs::read(e.path()).unwrap())
                })
                .collect()
        }
    }

    pub fn scan(garden: &Garden) -> Vec<SourceFile> {
        crate::garden::Layout::discover(&garden.root, None).unwrap().scan(|source| source).unwrap().notes
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::*;
    use super::*;

    #[test]
    fn an_index_naming_a_document_outside_the_garden_reads_and_writes_nothing_there() {
        use automerge::transaction::Transactable;
        let garden = Garden::new();
        let mut store = garden.store("Ada");
        // A note's document beside the garden, as a new note's is kept: its one change.
        let mut secret = Automerge::new();
        let mut tx = secret.transaction();
        let text = tx.put_object(ROOT, "text", automerge::ObjType::Text).unwrap();
        tx.splice_text(&text, 0, 0, "not for peers").unwrap();
        tx.commit();
        let secret = secret.get_last_local_change().unwrap().raw_bytes().to_vec();
        std::fs::create_dir_all(garden.root.join("outside")).unwrap();
        std::fs::write(garden.root.join("outside/secret.am"), &secret).unwrap();
        // A peer's index that names it, live at a plain path and deleted (which loads and repairs a document).
        let mut index = Automerge::new();
        let mut tx = index.transaction();
        let docs = tx.put_object(ROOT, "docs", automerge::ObjType::Map).unwrap();
        for (id, path, deleted) in
            [("../../outside/secret", "stolen.md", false), ("../../outside/../outside/secret", "x.md", true)]
        {
            let note = tx.put_object(&docs, id, automerge::ObjType::Map).unwrap();
            tx.put(&note, "path", path).unwrap();
            tx.put(&note, "deleted", deleted).unwrap();
        }
        tx.commit();
        let id = store.index_id().unwrap().to_string();
        assert!(store.take_in(&id, &index.save()).unwrap());
        let merged = store.apply_taken(&garden.content).unwrap();
        assert!(merged.added.is_empty(), "{merged:?}");
        assert!(!garden.content.join("stolen.md").exists(), "a document outside the garden was read into it");
        assert_eq!(std::fs::read(garden.root.join("outside/secret.am")).unwrap(), secret, "and left as it was");
    }

    #[test]
    fn two_gardens_edited_apart_end_with_the_same_notes_and_every_word() {
        let ada = Garden::new();
        ada.write("shared.md", "# Shared\n\nfirst line\nsecond line\nthird line\n");
        ada.write("windows.md", "one\r\ntwo\r\n");
        ada.write("doomed.md", "to be deleted\n");
        ada.write("wanderer.md", "I will move\n");
        drop(ada.store("Ada"));

        // Bo starts from Ada's garden: every note arrives.
        let bo = Garden::new();
        let mut bo_store = bo.clone_of(&ada);
        let first = bo_store.merge_from(&ada.root, &bo.content).unwrap();
        assert_eq!(first.added.len(), 4, "{first:?}");
        assert_eq!(bo.files(), ada.files());
        drop(bo_store);

        // Apart: both edit the shared note in different places and at the same place, Ada deletes a note,
        // Bo moves one, edits the CRLF note and makes a new one.
        ada.write("shared.md", "# Shared\n\nfirst line, by Ada\nsecond line\nthird line\nADA\n");
        std::fs::remove_file(ada.content.join("doomed.md")).unwrap();
        bo.write("shared.md", "# Shared\n\nfirst line\nsecond line\nthird line, by Bo\nBO\n");
        std::fs::create_dir_all(bo.content.join("moved")).unwrap();
        std::fs::rename(bo.content.join("wanderer.md"), bo.content.join("moved/wanderer.md")).unwrap();
        bo.write("windows.md", "one\r\ntwo\r\nthree\r\n");
        bo.write("new.md", "Bo's new note\n");
        let mut ada_store = ada.store("Ada");
        let mut bo_store = bo.store("Bo");

        // They meet: each takes in the other's history.
        let at_bo = bo_store.merge_from(&ada.root, &bo.content).unwrap();
        let at_ada = ada_store.merge_from(&bo.root, &ada.content).unwrap();
        assert_eq!(at_bo.removed, ["doomed.md"], "{at_bo:?}");
        assert_eq!(at_ada.moved, [("wanderer.md".to_string(), "moved/wanderer.md".to_string())], "{at_ada:?}");
        assert_eq!(at_ada.added, ["new.md"]);
        assert_eq!(ada.files(), bo.files(), "both folders hold the same notes, byte for byte");
        let shared = ada.read("shared.md");
        for words in ["first line, by Ada", "third line, by Bo", "ADA", "BO", "second line"] {
            assert!(shared.contains(words), "{words:?} lost: {shared}");
        }
        assert_eq!(ada.read("windows.md"), "one\r\ntwo\r\nthree\r\n", "each garden's file keeps its form");
        assert!(!ada.content.join("doomed.md").exists() && !ada.content.join("wanderer.md").exists());
        // Merged text written back is not an edit of its own, and a second meeting changes nothing.
        assert_eq!(ada_store.catch_up(scan(&ada)).unwrap(), super::super::CaughtUp::default());
        let again = ada_store.merge_from(&bo.root, &ada.content).unwrap();
        assert_eq!(again, Merged::default());
        // The history says who wrote the shared note.
        let entry = ada_store.entry("shared.md").unwrap();
        assert_eq!(entry.authors, ["Ada", "Bo"]);
    }

    #[test]
    fn gardens_made_apart_do_not_merge() {
        let (ada, bo) = (Garden::new(), Garden::new());
        ada.write("a.md", "Ada's\n");
        bo.write("b.md", "Bo's\n");
        drop(ada.store("Ada"));
        let mut bo_store = bo.store("Bo");
        let refused = bo_store.merge_from(&ada.root, &bo.content).unwrap_err().to_string();
        assert!(refused.contains("another garden") && refused.contains("loam clone"), "{refused}");
        assert!(!bo.content.join("a.md").exists());
    }

    #[test]
    fn an_edit_the_deleting_garden_had_not_seen_brings_the_note_back() {
        let (ada, bo) = ada_and_bo("keep me\n");
        // Ada deletes the note; Bo, apart, adds to it.
        std::fs::remove_file(ada.content.join("note.md")).unwrap();
        let mut ada_store = ada.store("Ada");
        bo.write("note.md", "keep me\nand this\n");
        let mut bo_store = bo.store("Bo");
        let at_bo = bo_store.merge_from(&ada.root, &bo.content).unwrap();
        assert!(at_bo.removed.is_empty(), "{at_bo:?}");
        assert_eq!(bo.read("note.md"), "keep me\nand this\n");
        let at_ada = ada_store.merge_from(&bo.root, &ada.content).unwrap();
        assert_eq!(at_ada.added, ["note.md"], "{at_ada:?}");
        assert_eq!(ada.read("note.md"), "keep me\nand this\n");
    }

    #[test]
    fn an_unrecorded_edit_is_never_overwritten_nor_deleted() {
        let (ada, bo) = ada_and_bo("one\n");
        std::fs::remove_file(ada.content.join("note.md")).unwrap();
        drop(ada.store("Ada"));
        // Bo's store knows the note as it was; Bo types into it and the merge runs before it is recorded.
        let mut bo_store = Store::open(&bo.root, "Bo").unwrap();
        bo.write("note.md", "one\ntyped just now\n");
        let at_bo = bo_store.merge_from(&ada.root, &bo.content).unwrap();
        assert!(at_bo.removed.is_empty(), "{at_bo:?}");
        assert_eq!(bo.read("note.md"), "one\ntyped just now\n");
    }

    /// Ada's garden with `note.md` recorded, and Bo's garden made from it.
    fn ada_and_bo(note: &str) -> (Garden, Garden) {
        let ada = Garden::new();
        ada.write("note.md", note);
        drop(ada.store("Ada"));
        let bo = Garden::new();
        bo.clone_of(&ada).merge_from(&ada.root, &bo.content).unwrap();
        (ada, bo)
    }
}

#[cfg(test)]
mod convergence {
    use super::tests_support::*;
    use super::*;

    /// A small deterministic random source (xorshift), so that a failure can be replayed.
    struct Random(u64);

    impl Random {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// Three gardens, 200 random edits, renames, deletes and creates on random ones, synced in random pairs;
    /// at the end every folder holds the same notes, and every marker inserted is there unless its note was
    /// deleted.
    #[test]
    fn three_gardens_converge_and_keep_every_word() {
        let seed = std::env::var("LOAM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_1ea5);
        let mut random = Random(seed);
        let gardens = [Garden::new(), Garden::new(), Garden::new()];
        for n in 0..6 {
            gardens[0].write(&format!("note {n}.md"), &format!("# Note {n}\n\nA line.\nAnother line.\n"));
        }
        let names = ["Ada", "Bo", "Cy"];
        drop(gardens[0].store(names[0]));
        for g in 1..3 {
            gardens[g].clone_of(&gardens[0]).merge_from(&gardens[0].root, &gardens[g].content).unwrap();
        }
        // Each marker, with the document it went into.
        let mut markers: Vec<(String, String)> = Vec::new();
        for step in 0..200 {
            let g = random.below(3);
            let garden = &gardens[g];
            let existing: Vec<String> = scan(garden).into_iter().map(|s| s.path).collect();
            match random.below(10) {
                // Sync with another garden, both ways.
                0..=1 => {
                    let other = (g + 1 + random.below(2)) % 3;
                    garden.store(names[g]).merge_from(&gardens[other].root, &garden.content).unwrap();
                    gardens[other].store(names[other]).merge_from(&garden.root, &gardens[other].content).unwrap();
                }
                // Insert a marker somewhere in a note.
                2..=6 if !existing.is_empty() => {
                    let path = &existing[random.below(existing.len())];
                    let mut text = garden.read(path);
                    let lines: Vec<usize> = text.match_indices('\n').map(|(at, _)| at + 1).collect();
                    let at = lines[random.below(lines.len())];
                    let marker = format!("marker-{step}-{}", names[g]);
                    text.insert_str(at, &format!("{marker}\n"));
                    garden.write(path, &text);
                    let doc = garden.store(names[g]).entry(path).unwrap().doc.clone();
                    markers.push((marker, doc));
                }
                // Rename a note.
                7 if !existing.is_empty() => {
                    let path = &existing[random.below(existing.len())];
                    let to = format!("renamed {step}.md");
                    std::fs::rename(garden.content.join(path), garden.content.join(&to)).unwrap();
                    drop(garden.store(names[g]));
                }
                // Delete a note (rarely: most of the garden should live).
                8 if existing.len() > 3 && random.below(3) == 0 => {
                    std::fs::remove_file(garden.content.join(&existing[random.below(existing.len())])).unwrap();
                    drop(garden.store(names[g]));
                }
                // Create a note, sometimes at a name another garden may create too.
                _ => {
                    let path =
                        if random.below(2) == 0 { format!("made {}.md", step % 4) } else { format!("new {step}.md") };
                    if !garden.content.join(&path).exists() {
                        garden.write(&path, &format!("Made by {} at step {step}.\n", names[g]));
                        drop(garden.store(names[g]));
                    }
                }
            }
        }
        // Everyone meets everyone, twice.
        for _ in 0..2 {
            for (a, b) in [(0, 1), (1, 2), (2, 0), (1, 0), (2, 1), (0, 2)] {
                gardens[a].store(names[a]).merge_from(&gardens[b].root, &gardens[a].content).unwrap();
            }
        }
        let files: Vec<BTreeMap<String, Vec<u8>>> = gardens.iter().map(Garden::files).collect();
        assert_eq!(files[0], files[1], "seed {seed}");
        assert_eq!(files[1], files[2], "seed {seed}");
        let everything: String = files[0].values().map(|b| String::from_utf8_lossy(b).into_owned()).collect();
        let store = gardens[0].store(names[0]);
        let live: std::collections::HashSet<String> = store.local.notes.values().map(|e| e.doc.clone()).collect();
        for (marker, doc) in &markers {
            assert!(everything.contains(marker.as_str()) || !live.contains(doc), "{marker} lost (seed {seed})");
        }
        assert!(markers.iter().filter(|(m, _)| everything.contains(m.as_str())).count() > markers.len() / 2);
    }
}
