//! The sync target: what a peer sends, into a garden's store and notes folder. Each case makes a garden in a
//! temporary folder with two notes recorded, and a peer that holds a copy of its documents. The input, read as
//! a list of steps, makes the peer edit, move, delete and add notes (with any path and any document id, the
//! ways out of the notes folder among them) and send what it did, or send bytes of its own:
//!
//! - as protocol messages: each goes through Loam's reading of a peer's messages (`sync::net`: the sender of a
//!   first message, the document and sync data of a `sync` message), and its sync data is applied to the
//!   document as samod applies it, whose new changes the store then takes in as samod's storage hands them over
//!   (`Store::take_in`), a byte of the message changed now and then;
//! - as a bundle of whole documents, as `loam clone` receives one (`Store::take_in_bundle`).
//!
//! After each delivery the notes on disk are brought in line (`Store::apply_taken`, which checks every path
//! through `store/paths.rs`). The promise checked beside "no panic": nothing is ever written outside the garden.
//!
//! samod's own decoding of the protocol's envelope is private to samod and not reached here; the Automerge sync
//! data inside it, which is most of what a peer controls, is.

use std::path::Path;

use arbitrary::{Result, Unstructured};
use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, Automerge, ObjType, ReadDoc, ScalarValue, ROOT};

use crate::store::Store;
use crate::sync::net;

/// The garden's address (its index document's id), fixed so that a case runs the same every time.
const INDEX: &str = "00112233445566778899aabbccddeeff";

/// Paths a hostile or careless peer might send, beside the fuzzer's own.
const PATHS: &[&str] = &[
    "one.md",
    "folder/two.md",
    "new.md",
    "folder",
    "../escape.md",
    "folder/../../escape.md",
    "/etc/escape.md",
    "C:\\escape.md",
    "con.md",
    ".loam/docs/x.md",
    "folder/./x.md",
    "x\0.md",
    "ONE.md",
    "one.md/inner.md",
];

/// How many steps a case takes at most.
const MAX_STEPS: usize = 12;

/// Runs the target on `data`.
pub fn run(data: &[u8]) {
    let dir = Scratch::new();
    let root = dir.0.join("garden");
    let mut case = Case::new(&root).expect("a garden with two notes recorded");
    let _ = case.steps(&mut Unstructured::new(data));
    let _ = case.sync_all(None);
    drop(case);
    // Only the garden itself is in the temporary folder, and in the garden only its notes, loam.toml and `.loam/`.
    let outside: Vec<_> = std::fs::read_dir(&dir.0).expect("the folder").flatten().map(|e| e.file_name()).collect();
    assert_eq!(outside, ["garden"], "a peer's message wrote outside the garden");
    for entry in std::fs::read_dir(&root).expect("the garden").flatten() {
        let name = entry.file_name();
        assert!(
            matches!(name.to_str(), Some("content" | "loam.toml" | ".loam")),
            "a peer's message wrote `{}` outside the notes folder",
            name.to_string_lossy()
        );
    }
}

/// A folder of its own for one case, removed when the case ends (tempfile is only a dev-dependency of Loam).
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static CASES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = CASES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("loam-fuzz-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A garden and the peer syncing with it.
struct Case {
    store: Store,
    content: std::path::PathBuf,
    /// The peer's copy of the index and of each document, by id.
    index: AutoCommit,
    docs: Vec<(String, AutoCommit)>,
    /// Documents the peer changed since it last sent them.
    changed: Vec<String>,
}

impl Case {
    fn new(root: &Path) -> anyhow::Result<Case> {
        let content = root.join("content");
        std::fs::create_dir_all(content.join("folder"))?;
        std::fs::write(root.join("loam.toml"), "")?;
        std::fs::write(content.join("one.md"), "---\ntitle: One\n---\n# One\n\nText [[two]].\n")?;
        std::fs::write(content.join("folder/two.md"), "Two.\r\n")?;
        std::fs::create_dir_all(root.join(".loam"))?;
        std::fs::write(root.join(".loam/garden"), INDEX)?;
        let mut store = Store::open(root, "Ada")?;
        let layout = crate::garden::Layout::discover(root, None)?;
        store.catch_up(layout.scan(|source| source)?.notes)?;
        let peer = ActorId::from(b"peer".as_slice());
        let load = |bytes: Option<Vec<u8>>| -> anyhow::Result<AutoCommit> {
            Ok(AutoCommit::load(&bytes.unwrap_or_default())?.with_actor(peer.clone()))
        };
        let mut index = load(store.document(INDEX)?)?;
        let mut docs = Vec::new();
        for doc in crate::store::merge::index_documents(index.document()) {
            let bytes = store.document(&doc)?;
            docs.push((doc, load(bytes)?));
        }
        Ok(Case { store, content, index, docs, changed: Vec::new() })
    }

    fn steps(&mut self, u: &mut Unstructured) -> Result<()> {
        for _ in 0..MAX_STEPS {
            if u.is_empty() {
                break;
            }
            match u.int_in_range(0..=6)? {
                0 => {
                    // A message of the peer's own making, about one of the documents.
                    let doc = self.pick_id(u)?;
                    let message: Vec<u8> = u.arbitrary()?;
                    let _ = self.receive(&doc, &[message]);
                }
                1 => self.edit(u)?,
                2 => {
                    let (doc, path) = (self.pick_listed(u)?, self.pick_path(u)?);
                    let _ = self.set_path(&doc, &path, u.arbitrary()?);
                }
                3 => self.delete(u)?,
                4 => self.add(u)?,
                5 => {
                    let _ = self.sync_all(Some(u));
                }
                _ => self.bundle(u)?,
            }
        }
        Ok(())
    }

    /// A document id: one the peer holds, the index, or any text at all.
    fn pick_id(&self, u: &mut Unstructured) -> Result<String> {
        Ok(match u.int_in_range(0..=3)? {
            0 => INDEX.to_string(),
            1 => u.arbitrary::<String>()?,
            _ => self.pick_listed(u)?,
        })
    }

    fn pick_listed(&self, u: &mut Unstructured) -> Result<String> {
        Ok(u.choose(&self.docs).map_or_else(|_| INDEX.to_string(), |(doc, _)| doc.clone()))
    }

    fn pick_path(&self, u: &mut Unstructured) -> Result<String> {
        if u.arbitrary()? {
            u.arbitrary()
        } else {
            Ok(u.choose(PATHS)?.to_string())
        }
    }

    fn note(&mut self, doc: &str) -> Option<&mut AutoCommit> {
        self.docs.iter_mut().find(|(id, _)| id == doc).map(|(_, d)| d)
    }

    fn touched(&mut self, doc: &str) {
        if !self.changed.iter().any(|d| d == doc) {
            self.changed.push(doc.to_string());
        }
    }

    /// The peer types into a note: a splice anywhere in its text.
    fn edit(&mut self, u: &mut Unstructured) -> Result<()> {
        let doc = self.pick_listed(u)?;
        let (at, delete, insert): (usize, usize, String) = (u.arbitrary()?, u.int_in_range(0..=8)?, u.arbitrary()?);
        let Some(note) = self.note(&doc) else { return Ok(()) };
        let Ok(Some((_, text))) = note.get(ROOT, "text") else { return Ok(()) };
        let length = note.length(&text);
        let at = at % (length + 1);
        let _ = note.splice_text(&text, at, delete.min(length - at) as isize, &insert);
        self.touched(&doc);
        Ok(())
    }

    /// The peer moves a note (its path a plain string, or text as automerge-repo's JavaScript makes it).
    fn set_path(&mut self, doc: &str, path: &str, as_text: bool) -> anyhow::Result<()> {
        let docs = match self.index.get(ROOT, "docs")? {
            Some((_, docs)) => docs,
            None => self.index.put_object(ROOT, "docs", ObjType::Map)?,
        };
        let entry = match self.index.get(&docs, doc)? {
            Some((_, entry)) => entry,
            None => self.index.put_object(&docs, doc, ObjType::Map)?,
        };
        if as_text {
            let text = self.index.put_object(&entry, "path", ObjType::Text)?;
            self.index.splice_text(&text, 0, 0, path)?;
        } else {
            self.index.put(&entry, "path", path)?;
        }
        self.touched(INDEX);
        Ok(())
    }

    /// The peer deletes a note, having seen its heads, or heads of its own invention.
    fn delete(&mut self, u: &mut Unstructured) -> Result<()> {
        let doc = self.pick_listed(u)?;
        let invented: Vec<String> = u.arbitrary()?;
        let seen: Vec<String> = match self.note(&doc) {
            Some(note) if invented.is_empty() => note.get_heads().iter().map(|h| h.to_string()).collect(),
            _ => invented,
        };
        let _ = (|| -> anyhow::Result<()> {
            let Some((_, docs)) = self.index.get(ROOT, "docs")? else { return Ok(()) };
            let Some((_, entry)) = self.index.get(&docs, doc.as_str())? else { return Ok(()) };
            self.index.put(&entry, "deleted", ScalarValue::Boolean(true))?;
            let list = self.index.put_object(&entry, "deletedAt", ObjType::List)?;
            for (n, hash) in seen.iter().enumerate() {
                self.index.insert(&list, n, hash.as_str())?;
            }
            Ok(())
        })();
        self.touched(INDEX);
        Ok(())
    }

    /// The peer makes a note: a document with any id and text, listed in the index at any path.
    fn add(&mut self, u: &mut Unstructured) -> Result<()> {
        let doc = match u.int_in_range(0..=2)? {
            0 => u.arbitrary::<String>()?,
            _ => hex::encode(u.arbitrary::<[u8; 16]>()?),
        };
        let (path, text, as_text) = (self.pick_path(u)?, u.arbitrary::<String>()?, u.arbitrary()?);
        let mut note = AutoCommit::new().with_actor(ActorId::from(b"peer".as_slice()));
        if let Ok(object) = note.put_object(ROOT, "text", ObjType::Text) {
            let _ = note.splice_text(&object, 0, 0, &text);
        }
        if self.note(&doc).is_none() {
            self.docs.push((doc.clone(), note));
        }
        let _ = self.set_path(&doc, &path, as_text);
        self.touched(&doc);
        Ok(())
    }

    /// The peer sends every document it changed through the sync protocol, then the garden writes its notes.
    fn sync_all(&mut self, mut u: Option<&mut Unstructured>) -> anyhow::Result<()> {
        // Notes first, as a peer that made them sends them before the index that lists them.
        let mut changed = std::mem::take(&mut self.changed);
        changed.sort_by_key(|doc| doc == INDEX);
        for doc in changed {
            let _ = self.exchange(&doc, u.as_deref_mut());
        }
        self.store.flush()?;
        self.store.apply_taken(&self.content)?;
        Ok(())
    }

    /// Runs the sync protocol for `doc` between the peer and the garden until neither has more to say.
    fn exchange(&mut self, doc: &str, mut u: Option<&mut Unstructured>) -> anyhow::Result<()> {
        let mut ours = self.samods_copy(doc)?;
        let before = ours.get_heads();
        let (mut theirs_state, mut ours_state) = (sync::State::new(), sync::State::new());
        let id = net::id_of(doc).map(|id| id.to_string()).unwrap_or_else(|| doc.to_string());
        for _ in 0..8 {
            let theirs = if doc == INDEX { &mut self.index } else { self.note(doc).expect("a document the peer has") };
            let Some(message) = theirs.sync().generate_sync_message(&mut theirs_state) else { break };
            let mut wire = envelope(&id, &message.encode());
            if let Some(u) = u.as_deref_mut() {
                if u.ratio(1, 8).unwrap_or(false) && !wire.is_empty() {
                    let at = u.choose_index(wire.len()).unwrap_or(0);
                    wire[at] ^= u.arbitrary::<u8>().unwrap_or(1) | 1;
                }
            }
            apply(&mut ours, &mut ours_state, &wire);
            if let Some(answer) = ours.generate_sync_message(&mut ours_state) {
                let theirs = if doc == INDEX { &mut self.index } else { self.note(doc).expect("a document") };
                let _ = theirs.sync().receive_sync_message(&mut theirs_state, answer);
            }
        }
        self.take_in(doc, &ours, &before)
    }

    /// Messages of the peer's own making, about `doc`.
    fn receive(&mut self, doc: &str, messages: &[Vec<u8>]) -> anyhow::Result<()> {
        let mut ours = self.samods_copy(doc)?;
        let before = ours.get_heads();
        let mut state = sync::State::new();
        for message in messages {
            apply(&mut ours, &mut state, message);
        }
        self.take_in(doc, &ours, &before)?;
        self.store.flush()?;
        self.store.apply_taken(&self.content)?;
        Ok(())
    }

    /// The document as samod holds it while a peer syncs it: loaded from the store, or empty when it is new here.
    fn samods_copy(&self, doc: &str) -> anyhow::Result<Automerge> {
        let known = net::id_of(doc).map(|id| net::hex_of(&id)).and_then(|hex| self.store.document(&hex).ok().flatten());
        Ok(match known {
            Some(bytes) => Automerge::load(&bytes)?,
            None => Automerge::new(),
        })
    }

    /// What samod's storage hands the store after a sync: the new changes, or the whole document when it is new.
    fn take_in(&mut self, doc: &str, ours: &Automerge, before: &[automerge::ChangeHash]) -> anyhow::Result<()> {
        if ours.get_heads() == before {
            return Ok(());
        }
        let bytes = if before.is_empty() { ours.save() } else { ours.save_after(before) };
        self.store.take_in(doc, &bytes)?;
        Ok(())
    }

    /// A clone's bundle of whole documents: the peer's own, a byte changed now and then, or bytes of its making.
    fn bundle(&mut self, u: &mut Unstructured) -> Result<()> {
        let mut bundle = if u.arbitrary()? {
            let mut out = Vec::new();
            let index = self.index.save();
            let docs = std::iter::once((INDEX.to_string(), index))
                .chain(self.docs.iter_mut().map(|(id, doc)| (id.clone(), doc.save())));
            for (id, bytes) in docs {
                out.extend_from_slice(id.as_bytes());
                out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
                out.extend_from_slice(&bytes);
            }
            out
        } else {
            u.arbitrary()?
        };
        if u.ratio(1, 4)? && !bundle.is_empty() {
            let at = u.choose_index(bundle.len())?;
            bundle[at] ^= u.arbitrary::<u8>()? | 1;
        }
        let _ = self.store.take_in_bundle(&bundle);
        let _ = self.store.apply_taken(&self.content);
        Ok(())
    }
}

/// A protocol `sync` message about document `id` (samod's form of it), carrying `data`.
fn envelope(id: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = minicbor::Encoder::new(&mut bytes);
    let _ = encoder
        .map(5)
        .and_then(|e| e.str("type")?.str("sync"))
        .and_then(|e| e.str("senderId")?.str("peer"))
        .and_then(|e| e.str("targetId")?.str("garden"))
        .and_then(|e| e.str("documentId")?.str(id))
        .and_then(|e| e.str("data")?.bytes(data));
    bytes
}

/// A message arriving from the peer: read as Loam reads it, then applied as samod applies a `sync` message.
fn apply(doc: &mut Automerge, state: &mut sync::State, message: &[u8]) {
    let _ = net::sender_of(message);
    if let Some((_, sync)) = net::sync_data(message) {
        let _ = doc.receive_sync_message(state, sync);
    }
}
