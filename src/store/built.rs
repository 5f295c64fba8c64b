//! What `loam build` made last time of each note's published history (`.loam/built/ID`), so that building a
//! garden whose notes mostly did not change since does not read and compare every version of every note again:
//! a large garden's history is most of a build's work otherwise (`pipeline::published_history`).
//!
//! A cache and nothing more, like `versions/`. Each file holds the key it was made under: a hash of the note's
//! heads (the bookkeeping's, `Entry::heads`), the versions of it hidden by `loam redact`, and what the builder
//! says the rest depends on (its format, Loam's version, the publish mode). A file made under another key, torn
//! or damaged (its checksum does not match) is not used, and is made again. Files are written whole and renamed
//! into place, without waiting for the disk.
//!
//! The format: DEFLATE of the key (8 bytes, little-endian), the XXH3 of what follows (8 bytes), then each part
//! the builder kept as its length (8 bytes) and its bytes.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::{xxh3_64, Xxh3};

/// The folder under `.loam/`.
pub const DIR: &str = "built";

fn path_of(loam: &Path, doc: &str) -> PathBuf {
    loam.join(DIR).join(doc)
}

/// The key of what a build makes of a document's history: its `heads`, its `redacted` versions and `salt`.
pub fn key(heads: &[String], redacted: &[String], salt: &str) -> u64 {
    let mut hasher = Xxh3::new();
    for part in [heads, &["\u{0}".to_string()], redacted, &["\u{0}".to_string()]] {
        for item in part {
            hasher.update(item.as_bytes());
            hasher.update(b"\n");
        }
    }
    hasher.update(salt.as_bytes());
    hasher.digest()
}

/// The parts kept for document `doc` under `key`; `None` if none are, or not under that key, or damaged.
pub fn read(loam: &Path, doc: &str, key: u64) -> Option<Vec<Vec<u8>>> {
    let file = std::fs::File::open(path_of(loam, doc)).ok()?;
    let mut bytes = Vec::new();
    flate2::read::DeflateDecoder::new(file).read_to_end(&mut bytes).ok()?;
    let word = |at: usize| -> Option<u64> { Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?)) };
    if word(0)? != key || word(8)? != xxh3_64(&bytes[16..]) {
        return None;
    }
    let mut parts = Vec::new();
    let mut at = 16;
    while at < bytes.len() {
        let len = usize::try_from(word(at)?).ok()?;
        parts.push(bytes.get(at + 8..at.checked_add(8 + len)?)?.to_vec());
        at += 8 + len;
    }
    Some(parts)
}

/// Keeps `parts` for document `doc` under `key`. A failure is only logged: the next build makes them again.
pub fn write(loam: &Path, doc: &str, key: u64, parts: &[&[u8]]) {
    if let Err(error) = write_kept(loam, doc, key, parts) {
        tracing::debug!("cannot keep what was built of the history of document {doc}: {error}");
    }
}

fn write_kept(loam: &Path, doc: &str, key: u64, parts: &[&[u8]]) -> std::io::Result<()> {
    let path = path_of(loam, doc);
    let dir = path.parent().expect("a kept file is in a folder");
    std::fs::create_dir_all(dir)?;
    let mut body = Vec::with_capacity(parts.iter().map(|p| p.len() + 8).sum());
    for part in parts {
        body.extend_from_slice(&(part.len() as u64).to_le_bytes());
        body.extend_from_slice(part);
    }
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&key.to_le_bytes())?;
    encoder.write_all(&xxh3_64(&body).to_le_bytes())?;
    encoder.write_all(&body)?;
    super::versions::put_whole(&path, &encoder.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_parts_come_back_only_under_their_key_and_whole() {
        let dir = tempfile::tempdir().unwrap();
        let heads = vec!["ab".to_string()];
        let k = key(&heads, &[], "salt");
        assert_ne!(k, key(&heads, &["cd".to_string()], "salt"), "a redaction changes the key");
        assert_ne!(k, key(&heads, &[], "other"), "so does what the builder depends on");
        assert_ne!(key(&["ab".into(), "cd".into()], &[], ""), key(&["ab".into()], &["cd".into()], ""));
        write(dir.path(), "d", k, &[b"{\"versions\":[]}", b"", b"[1]"]);
        let parts = read(dir.path(), "d", k).unwrap();
        assert_eq!(parts, vec![b"{\"versions\":[]}".to_vec(), Vec::new(), b"[1]".to_vec()]);
        assert!(read(dir.path(), "d", k ^ 1).is_none());
        assert!(read(dir.path(), "other", k).is_none());
        // Torn, or changed under its checksum: not used.
        let path = path_of(dir.path(), "d");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert!(read(dir.path(), "d", k).is_none());
        let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&k.to_le_bytes()).unwrap();
        encoder.write_all(&0u64.to_le_bytes()).unwrap();
        encoder.write_all(&1u64.to_le_bytes()).unwrap();
        encoder.write_all(b"x").unwrap();
        std::fs::write(&path, encoder.finish().unwrap()).unwrap();
        assert!(read(dir.path(), "d", k).is_none());
    }
}
