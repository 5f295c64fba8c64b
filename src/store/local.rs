//! This device's bookkeeping per note path (never synced): a snapshot (`local.json`) and a journal of the
//! entries changed since (`local.log`, one JSON line each, flushed), so that recording one save writes one short
//! line instead of the bookkeeping of the whole garden. A line cut short by a crash is dropped on the next open.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::durable::Durable;
use super::Entry;

/// Lines in the journal past which the snapshot is written again and the journal emptied.
const COMPACT_AFTER: usize = 512;

/// Entries changed in one go past which a snapshot is cheaper than journal lines (an import).
const SNAPSHOT_FOR: usize = 64;

pub struct Local {
    snapshot: PathBuf,
    journal: PathBuf,
    pub notes: BTreeMap<String, Entry>,
    lines: usize,
    /// Where the journal's lines and snapshots are written, in order with the documents they name.
    durable: Durable,
}

#[derive(Serialize, Deserialize)]
struct Line {
    path: String,
    entry: Option<Entry>,
}

impl Local {
    /// The bookkeeping in `dir`; with `repair` (the store's one writer), a torn last journal line is cut off.
    pub fn open(dir: &Path, repair: bool, durable: Durable) -> anyhow::Result<Local> {
        let snapshot = dir.join("local.json");
        let journal = dir.join("local.log");
        let mut notes: BTreeMap<String, Entry> = match std::fs::read(&snapshot) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(notes) => notes,
                // The bookkeeping can be made again from the documents (`Store::update` finds each file's
                // document by its path in the index): the damaged file is kept beside, and the writer starts
                // without it. Only the journal's lines since survive, and they are entries like any other.
                Err(error) if repair => {
                    let aside = dir.join("local.json.damaged");
                    std::fs::rename(&snapshot, &aside)
                        .with_context(|| format!("cannot move the damaged `{}` aside", snapshot.display()))?;
                    tracing::warn!(
                        "`{}` was damaged ({error}); it is moved to `{}` and made again from the history",
                        snapshot.display(),
                        aside.display()
                    );
                    BTreeMap::new()
                }
                Err(error) => {
                    return Err(anyhow::anyhow!(
                        "`{}` is damaged ({error}): run `loam repair` in the garden to make it again from the history",
                        snapshot.display()
                    ))
                }
            },
            Err(_) => BTreeMap::new(),
        };
        let text = std::fs::read(&journal).unwrap_or_default();
        let mut whole = 0;
        let mut lines = 0;
        for line in text.split_inclusive(|&b| b == b'\n') {
            let Some(line) = line.strip_suffix(b"\n") else { break };
            let Ok(Line { path, entry }) = serde_json::from_slice(line) else { break };
            match entry {
                Some(entry) => notes.insert(path, entry),
                None => notes.remove(&path),
            };
            whole += line.len() + 1;
            lines += 1;
        }
        if whole < text.len() && repair {
            OpenOptions::new().write(true).open(&journal)?.set_len(whole as u64)?;
        }
        Ok(Local { snapshot, journal, notes, lines, durable })
    }

    /// Makes the entries at `changed` paths (their current value, or their absence) last across a crash, and
    /// returns once they do, for what must not happen before (a note written, a move).
    pub fn persist_now(&mut self, changed: &[String]) -> anyhow::Result<()> {
        self.persist(changed)?;
        self.durable.wait()
    }

    /// Makes the entries at `changed` paths (their current value, or their absence) last across a crash: at once,
    /// or behind the documents written before ([`Durable`]).
    pub fn persist(&mut self, changed: &[String]) -> anyhow::Result<()> {
        if changed.is_empty() {
            return Ok(());
        }
        if changed.len() >= SNAPSHOT_FOR || self.lines + changed.len() > COMPACT_AFTER {
            return self.compact();
        }
        let mut text = Vec::new();
        for path in changed {
            serde_json::to_writer(&mut text, &Line { path: path.clone(), entry: self.notes.get(path).cloned() })?;
            text.push(b'\n');
        }
        self.durable.append(&self.journal, text)?;
        self.lines += changed.len();
        Ok(())
    }

    /// Writes every entry as the snapshot and empties the journal (applied twice, its lines change nothing).
    fn compact(&mut self) -> anyhow::Result<()> {
        self.durable.replace(&self.snapshot, serde_json::to_vec(&self.notes)?, &self.journal)?;
        self.lines = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(doc: &str) -> Entry {
        Entry {
            doc: doc.into(),
            hash: 1,
            heads: vec![],
            crlf: false,
            bom: false,
            authors: vec![],
            edited: 0,
            writing: false,
        }
    }

    #[test]
    fn journal_lines_survive_a_reopen_and_a_torn_last_line_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mut local = Local::open(dir.path(), true, Durable::default()).unwrap();
        let many: Vec<String> = (0..100).map(|i| format!("n{i}.md")).collect();
        for path in &many {
            local.notes.insert(path.clone(), entry("bulk"));
        }
        local.persist(&many).unwrap();
        assert!(!dir.path().join("local.log").exists(), "a bulk change is a snapshot");
        local.notes.insert("a.md".into(), entry("a"));
        local.persist(&["a.md".into()]).unwrap();
        local.notes.remove("n1.md");
        local.persist(&["n1.md".into()]).unwrap();
        local.notes.insert("b.md".into(), entry("b"));
        local.persist(&["b.md".into()]).unwrap();
        // A crash in the middle of the last line.
        let journal = dir.path().join("local.log");
        let bytes = std::fs::read(&journal).unwrap();
        std::fs::write(&journal, &bytes[..bytes.len() - 5]).unwrap();
        let mut again = Local::open(dir.path(), true, Durable::default()).unwrap();
        assert_eq!(again.notes.get("a.md"), Some(&entry("a")));
        assert!(!again.notes.contains_key("n1.md") && !again.notes.contains_key("b.md"));
        assert_eq!(again.notes.len(), 100);
        again.notes.insert("c.md".into(), entry("c"));
        again.persist(&["c.md".into()]).unwrap();
        assert_eq!(Local::open(dir.path(), true, Durable::default()).unwrap().notes.get("c.md"), Some(&entry("c")));
    }
}
