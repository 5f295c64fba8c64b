//! A sync's session state: the documents peers sent and this garden took in, not yet flushed to disk or written
//! to the notes, and the changes made here kept for the peers (the outbox). Taking in is durable before a peer is
//! told its changes are kept ([`Store::flush`]); writing the notes follows ([`Store::apply_taken`], in
//! `checkout.rs`).

use std::collections::BTreeSet;

use automerge::Automerge;

use super::files::DocFiles;
use super::merge::is_document_id;
use super::{Outgoing, Store};

/// What a sync has taken in and what waits to go out.
#[derive(Default)]
pub(super) struct Session {
    /// Note documents [`Store::take_in`] changed whose notes are not written yet, and whether the index changed.
    pub(super) taken: BTreeSet<String>,
    pub(super) taken_index: bool,
    /// The changes made here, kept for peers while a sync runs (`None`: not kept).
    pub(super) outbox: Option<std::sync::Mutex<Vec<Outgoing>>>,
    /// Documents a peer sent were written and not flushed to the disk yet ([`Store::flush`]).
    pub(super) unflushed: bool,
}

impl Store {
    /// Takes in a peer's [`Store::bundle`]: each document is checked by loading it before it is kept (these
    /// bytes come from the network, not from samod). Returns how many documents were new.
    pub fn take_in_bundle(&mut self, mut bundle: &[u8]) -> anyhow::Result<usize> {
        let mut taken = 0;
        while !bundle.is_empty() {
            anyhow::ensure!(bundle.len() >= 40, "a peer's bundle of documents is cut short");
            let (id, rest) = bundle.split_at(32);
            let (length, rest) = rest.split_at(8);
            let length = u64::from_le_bytes(length.try_into().expect("8 bytes")) as usize;
            anyhow::ensure!(rest.len() >= length, "a peer's bundle of documents is cut short");
            let (bytes, rest) = rest.split_at(length);
            bundle = rest;
            let id = std::str::from_utf8(id).unwrap_or_default();
            if !is_document_id(id) {
                anyhow::bail!("a peer's bundle names `{}`, which is not a document id", id.escape_debug());
            }
            let document = Automerge::load(bytes).map_err(|e| anyhow::anyhow!("document {id} from a peer: {e}"))?;
            if document.get_heads().is_empty() {
                continue;
            }
            if self.take_in(id, bytes)? {
                taken += 1;
            }
        }
        self.flush()?;
        Ok(taken)
    }

    /// Takes in a peer's changes to document `doc` (changes or a whole saved document), durably; returns
    /// whether they held anything new. The notes on disk follow at [`Store::apply_taken`], so that a burst of
    /// documents (a clone) is placed once.
    pub fn take_in(&mut self, doc: &str, bytes: &[u8]) -> anyhow::Result<bool> {
        self.writable()?;
        if self.index_id() == Some(doc) {
            let before = self.index.get_heads();
            self.index.load_incremental(bytes)?;
            if self.index.get_heads() == before {
                return Ok(false);
            }
            DocFiles::new(&self.dir, "index").append(&self.index, &self.index.save_after(&before))?;
            self.session.taken_index = true;
            return Ok(true);
        }
        if !is_document_id(doc) {
            anyhow::bail!("`{doc}` is not a document id");
        }
        if self.is_view(doc) {
            // A scoped peer's own index: what it may change goes into the garden's (`view.rs`).
            let before = self.index.get_heads();
            self.take_in_view(doc, bytes)?;
            return Ok(self.index.get_heads() != before);
        }
        let files = DocFiles::new(&self.docs_dir(), doc);
        if !files.exists() {
            // A document new here (a clone gets thousands): kept as samod wrote it (it has loaded these bytes
            // itself), and flushed to the disk with the others of its batch ([`Store::flush`]).
            if bytes.is_empty() {
                return Ok(false);
            }
            files.write_new(bytes, false)?;
            self.session.unflushed = true;
            self.session.taken.insert(doc.to_string());
            return Ok(true);
        }
        let mut ours = self.loaded(doc)?;
        let before = ours.get_heads();
        ours.load_incremental(bytes)?;
        let new = ours.get_heads() != before;
        if new {
            files.append(&ours, &ours.save_after(&before))?;
            self.session.taken.insert(doc.to_string());
        }
        self.keep_loaded(doc.to_string(), ours);
        Ok(new)
    }

    /// Flushes to the disk the documents [`Store::take_in`] wrote since the last call (once per batch of them) and
    /// everything else written so far, before the senders are told their changes are kept.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        if std::mem::take(&mut self.session.unflushed) {
            super::files::sync_folder(&self.docs_dir())?;
        }
        // And whatever this store wrote behind its owner (`durable.rs`).
        self.durable.wait()
    }

    /// Whether changes taken in wait to be written to their notes.
    pub fn has_taken(&self) -> bool {
        self.session.taken_index || !self.session.taken.is_empty()
    }

    /// Whether [`Store::take_in`] changed the index since the last [`Store::apply_taken`].
    pub fn index_taken(&self) -> bool {
        self.session.taken_index
    }

    /// Starts keeping the changes this store makes from now on, for [`Store::take_outbox`] (a sync passes them on
    /// to peers as they happen).
    pub fn keep_outbox(&mut self) {
        self.session.outbox.get_or_insert_with(Default::default);
    }

    /// The changes made here since the last call, as (document, Automerge bytes), in order.
    pub fn take_outbox(&mut self) -> Vec<super::Outgoing> {
        self.session.outbox.as_ref().map(|outbox| std::mem::take(&mut *crate::lock(outbox))).unwrap_or_default()
    }

    /// Keeps a change made here for peers, when a sync runs ([`Store::keep_outbox`]).
    pub(super) fn to_outbox(&self, doc: &str, bytes: &[u8]) {
        if let Some(outbox) = &self.session.outbox {
            crate::lock(outbox).push((doc.to_string(), bytes.to_vec()));
        }
    }
}
