//! Each edited note's versions kept ready beside its document (`.loam/versions/ID`), so that reading a garden's
//! whole history (a build publishing it) does not load every document: Automerge makes a past version's text from
//! all of the document's operations, some milliseconds per version, which is minutes for a garden of thousands of
//! notes edited ten times each. Reading a kept file is a fraction of a millisecond.
//!
//! A cache and nothing more. Each file names the heads its versions were read at: the heads this device's
//! bookkeeping gives the note's file (`Entry::heads`), which every reader compares before using it, so that a file
//! that is missing, torn, or made before the document changed (a peer's changes merged, a process killed between
//! a change and its file) is made again from the document. Files are written whole and renamed into place, without
//! waiting for the disk: a crash costs at most a reread. A note never edited since its first change has no file:
//! its one version is read from that change (`Store::history`).
//!
//! The format: DEFLATE of JSON `{ "heads": [hex], "versions": [{ hash, time, author, kind, text }] }`. The
//! versions of a note are mostly the same text, which compression keeps once.

use std::io::Read;
use std::path::{Path, PathBuf};

use automerge::{Automerge, ChangeHash};
use serde::{Deserialize, Serialize};

use super::{about_of, content_at, About, Version};

/// The folder under `.loam/`.
pub const DIR: &str = "versions";

#[derive(Serialize, Deserialize)]
struct Kept {
    heads: Vec<String>,
    versions: Vec<KeptVersion>,
}

#[derive(Serialize, Deserialize)]
struct KeptVersion {
    hash: String,
    time: i64,
    author: String,
    kind: String,
    text: String,
}

fn path_of(loam: &Path, doc: &str) -> PathBuf {
    loam.join(DIR).join(doc)
}

/// The versions kept for document `doc` if they were read at `heads`; `None` if not, or if none are kept.
pub fn read(loam: &Path, doc: &str, heads: &[String]) -> Option<Vec<Version>> {
    let kept = read_kept(loam, doc)?;
    if kept.heads != heads {
        return None;
    }
    kept.versions
        .into_iter()
        .map(|v| {
            let about = About { author: v.author, kind: v.kind };
            Some(Version { hash: v.hash.parse().ok()?, time: v.time, about, text: v.text })
        })
        .collect()
}

fn read_kept(loam: &Path, doc: &str) -> Option<Kept> {
    let file = std::fs::File::open(path_of(loam, doc)).ok()?;
    let mut json = Vec::new();
    flate2::read::DeflateDecoder::new(file).read_to_end(&mut json).ok()?;
    serde_json::from_slice(&json).ok()
}

/// Keeps `versions` of document `doc` as read at `heads`. A failure is only reported: the versions will be read
/// from the document next time.
pub fn write(loam: &Path, doc: &str, heads: &[String], versions: &[Version]) {
    let kept = Kept {
        heads: heads.to_vec(),
        versions: versions
            .iter()
            .map(|v| KeptVersion {
                hash: v.hash.to_string(),
                time: v.time,
                author: v.about.author.clone(),
                kind: v.about.kind.clone(),
                text: v.text.clone(),
            })
            .collect(),
    };
    if let Err(error) = write_kept(loam, doc, &kept) {
        tracing::debug!("cannot keep the versions of document {doc} ready: {error}");
    }
}

fn write_kept(loam: &Path, doc: &str, kept: &Kept) -> std::io::Result<()> {
    let path = path_of(loam, doc);
    let dir = path.parent().expect("a kept file is in a folder");
    std::fs::create_dir_all(dir)?;
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    serde_json::to_writer(&mut encoder, kept)?;
    put_whole(&path, &encoder.finish()?)
}

/// Writes `bytes` to a temporary file beside `path` and renames it into place, without waiting for the disk: a
/// reader sees the old file or the new one, never part of one.
pub(super) fn put_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (dir, name) = (path.parent().expect("a kept file is in a folder"), path.file_name().unwrap_or_default());
    // Named for this process and thread: a build reading beside `loam serve`, or rendering threads, never share
    // a temporary file.
    let temp =
        dir.join(format!(".{}.{}.{:?}.tmp", name.to_string_lossy(), std::process::id(), std::thread::current().id()));
    let written = std::fs::write(&temp, bytes).and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// After a change made here to `doc` (document id `id`), whose heads were `before` it: the versions kept, with
/// the new ones added, at `heads` (the bookkeeping's for the note's file now). When what is kept was not read at
/// `before` (nothing kept yet, or a peer's changes came since), every version is read from the document once.
pub fn changed(loam: &Path, id: &str, doc: &Automerge, before: &[ChangeHash], heads: &[String]) {
    let before_hex: Vec<String> = before.iter().map(ChangeHash::to_string).collect();
    let versions = match read(loam, id, &before_hex) {
        Some(mut versions) => {
            let now = doc.get_heads();
            for change in doc.get_changes(before) {
                let hash = change.hash();
                let latest = now.as_slice() == [hash];
                let Ok(text) = content_at(doc, if latest { &[] } else { std::slice::from_ref(&hash) }) else { return };
                versions.push(Version { hash, time: change.timestamp(), about: about_of(&change), text });
            }
            versions
        }
        // Read from the document, as a reader would, unless that would hold up the save: a note edited live
        // (a change per keystroke) can have thousands of versions, each some milliseconds to read. Its stale
        // file goes, and the next reader makes it.
        None if doc.get_changes(&[]).len() <= REREAD_ON_SAVE => match super::versions_of(doc) {
            Ok(versions) => versions,
            Err(_) => return,
        },
        None => {
            let _ = std::fs::remove_file(path_of(loam, id));
            return;
        }
    };
    write(loam, id, heads, &versions);
}

/// The most versions a save reads from its document to keep them ready (see [`changed`]).
const REREAD_ON_SAVE: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::{CommitOptions, Transactable};
    use automerge::{ObjType, ReadDoc, ROOT};

    fn edit(doc: &mut Automerge, text: &str, time: i64) -> ChangeHash {
        let mut tx = doc.transaction();
        let object = match tx.get(ROOT, "text").unwrap() {
            Some((_, id)) => id,
            None => tx.put_object(ROOT, "text", ObjType::Text).unwrap(),
        };
        tx.update_text(&object, text).unwrap();
        let about = serde_json::json!({ "author": "Ada", "kind": "edit" }).to_string();
        tx.commit_with(CommitOptions::default().with_time(time).with_message(about)).0.unwrap()
    }

    #[test]
    fn kept_versions_are_the_document_s_and_are_used_only_at_their_heads() {
        let dir = tempfile::tempdir().unwrap();
        let mut doc = Automerge::new();
        edit(&mut doc, "one\n", 10);
        let before = doc.get_heads();
        let second = edit(&mut doc, "one\ntwo\n", 20);
        let heads = vec![second.to_string()];
        // Nothing kept yet: read from the document.
        changed(dir.path(), "d", &doc, &before, &heads);
        let kept = read(dir.path(), "d", &heads).unwrap();
        let read_now = crate::store::versions_of(&doc).unwrap();
        assert_eq!(
            kept.iter().map(|v| (&v.text, v.time, v.hash)).collect::<Vec<_>>(),
            read_now.iter().map(|v| (&v.text, v.time, v.hash)).collect::<Vec<_>>()
        );
        // Then added to.
        let before = doc.get_heads();
        let third = edit(&mut doc, "one\ntwo\nthree\n", 30);
        changed(dir.path(), "d", &doc, &before, &[third.to_string()]);
        let kept = read(dir.path(), "d", &[third.to_string()]).unwrap();
        assert_eq!(
            kept.iter().map(|v| v.text.as_str()).collect::<Vec<_>>(),
            ["one\n", "one\ntwo\n", "one\ntwo\nthree\n"]
        );
        assert_eq!(kept[2].about.author, "Ada");
        // At other heads, or torn: not used.
        assert!(read(dir.path(), "d", &heads).is_none());
        let path = path_of(dir.path(), "d");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(read(dir.path(), "d", &[third.to_string()]).is_none());
    }
}
