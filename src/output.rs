//! Writing a site to a folder: only files whose bytes changed are written, and only files Loam wrote there
//! before (listed in the folder's `.loam-manifest`) are ever removed. This is the only module that writes
//! during a build.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

/// The list of files Loam wrote, kept in the output folder.
pub const MANIFEST: &str = ".loam-manifest";

#[derive(Debug, Clone)]
pub enum Contents {
    Bytes(Vec<u8>),
    /// Bytes compiled into the binary (the site's scripts, styles and vendored libraries), never copied.
    Static(&'static [u8]),
    /// A file copied as it is (an attachment or a static asset).
    Copy(PathBuf),
}

#[derive(Debug, Clone)]
pub struct OutputFile {
    /// Path relative to the output folder, `/`-separated.
    pub path: String,
    pub contents: Contents,
}

impl OutputFile {
    pub fn bytes(path: String, bytes: Vec<u8>) -> OutputFile {
        OutputFile { path, contents: Contents::Bytes(bytes) }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WriteStats {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
}

/// Writes `files` into `out`, leaving alone what is already right and what Loam did not write.
pub fn write(out: &Path, files: &[OutputFile]) -> anyhow::Result<WriteStats> {
    let writer = Writer::open(out)?;
    files.par_iter().for_each(|file| writer.put(file.clone()));
    writer.finish()
}

/// Writes a site into a folder file by file, from many threads, as the files are made; `finish` then removes
/// what Loam wrote there before and no longer belongs, and records what it wrote.
pub struct Writer {
    out: PathBuf,
    previous: HashMap<String, (u64, u64)>,
    /// The folder was empty when the build began: there is nothing on disk to compare with, so each file is
    /// written without first asking whether it exists (a system call saved per page).
    fresh: bool,
    /// Folders known to exist, so that each is created once rather than once per file.
    dirs: Mutex<HashSet<String>>,
    state: Mutex<WriterState>,
    /// Whether a gzipped copy (`page.html.gz`) is written beside each text file, for hosts that serve those
    /// (`loam build --gzip`).
    gzip: bool,
}

/// The files worth a gzipped copy: text, at least this long (a smaller one gains nothing over its headers).
fn compressible(path: &str, len: usize) -> bool {
    const TEXT: [&str; 9] = ["html", "css", "js", "json", "xml", "svg", "txt", "md", "mjs"];
    len >= 256 && path.rsplit_once('.').is_some_and(|(_, extension)| TEXT.contains(&extension))
}

#[derive(Default)]
struct WriterState {
    manifest: Vec<(String, u64, u64)>,
    stats: WriteStats,
    first_error: Option<anyhow::Error>,
}

impl Writer {
    pub fn open(out: &Path) -> anyhow::Result<Writer> {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create the output folder `{}`", out.display()))?;
        let fresh = std::fs::read_dir(out).map(|mut entries| entries.next().is_none()).unwrap_or(false);
        Ok(Writer {
            out: out.to_path_buf(),
            fresh,
            previous: read_manifest(out),
            dirs: Mutex::new(HashSet::new()),
            state: Mutex::new(WriterState::default()),
            gzip: false,
        })
    }

    /// Also writes `FILE.gz` beside each text file (see [`Writer::gzip`]), kept in step with it like any other.
    pub fn with_gzip(mut self, gzip: bool) -> Writer {
        self.gzip = gzip;
        self
    }

    /// Writes one file unless it already holds these bytes. Errors are kept for `finish`.
    pub fn put(&self, file: OutputFile) {
        let result = self.put_inner(&file);
        if let (true, Ok((_, len, unchanged))) = (self.gzip, &result) {
            if compressible(&file.path, *len as usize) {
                self.put_gzipped(&file, *unchanged);
            }
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok((hash, len, unchanged)) => {
                if unchanged {
                    state.stats.unchanged += 1;
                } else {
                    state.stats.written += 1;
                }
                state.manifest.push((file.path, hash, len));
            }
            Err(error) => {
                state.first_error.get_or_insert(error);
            }
        }
    }

    /// The gzipped copy of `file`, just written (or found `unchanged`): compressed again only when it changed or
    /// its copy is not there as the last build wrote it.
    fn put_gzipped(&self, file: &OutputFile, unchanged: bool) {
        let path = format!("{}.gz", file.path);
        let kept = self
            .previous
            .get(&path)
            .copied()
            .filter(|&(_, len)| unchanged && std::fs::metadata(self.out.join(&path)).is_ok_and(|m| m.len() == len));
        let result = match kept {
            Some((hash, len)) => Ok((hash, len, true)),
            None => gzipped(&self.out, file)
                .and_then(|bytes| self.put_inner(&OutputFile { path: path.clone(), contents: Contents::Bytes(bytes) })),
        };
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok((hash, len, _)) => state.manifest.push((path, hash, len)),
            Err(error) => {
                state.first_error.get_or_insert(error);
            }
        }
    }

    fn put_inner(&self, file: &OutputFile) -> anyhow::Result<(u64, u64, bool)> {
        if !is_safe(&file.path) {
            anyhow::bail!("refusing to write `{}` outside the output folder", file.path);
        }
        if let Some((dir, _)) = file.path.rsplit_once('/') {
            let known = self.dirs.lock().unwrap_or_else(|e| e.into_inner()).contains(dir);
            if !known {
                let path = self.out.join(dir);
                std::fs::create_dir_all(&path).with_context(|| format!("cannot create `{}`", path.display()))?;
                self.dirs.lock().unwrap_or_else(|e| e.into_inner()).insert(dir.to_string());
            }
        }
        let target = self.out.join(&file.path);
        let copied;
        let bytes: &[u8] = match &file.contents {
            Contents::Bytes(bytes) => bytes,
            Contents::Static(bytes) => bytes,
            Contents::Copy(source) => {
                copied = std::fs::read(source).with_context(|| format!("cannot read `{}`", source.display()))?;
                &copied
            }
        };
        let hash = xxh3_64(bytes);
        let len = bytes.len() as u64;
        let unchanged = !self.fresh
            && match self.previous.get(&file.path) {
                // Same bytes as last time and the file is still there with that size: nothing to do.
                Some(&(old_hash, old_len)) if old_hash == hash && old_len == len => {
                    std::fs::metadata(&target).is_ok_and(|m| m.len() == len)
                }
                // Not ours, or changed since: compare with what is on disk before writing.
                _ => {
                    std::fs::metadata(&target).is_ok_and(|m| m.len() == len)
                        && std::fs::read(&target).is_ok_and(|existing| existing == bytes)
                }
            };
        if !unchanged {
            std::fs::write(&target, bytes).with_context(|| format!("cannot write `{}`", target.display()))?;
        }
        Ok((hash, len, unchanged))
    }

    /// Removes the files of the previous build that were not written this time, and records this build's.
    pub fn finish(self) -> anyhow::Result<WriteStats> {
        let state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        let WriterState { mut manifest, mut stats, first_error } = state;
        let out = self.out.as_path();
        let current: HashSet<&str> = manifest.iter().map(|(p, _, _)| p.as_str()).collect();
        let mut emptied_dirs = Vec::new();
        for path in self.previous.keys() {
            if current.contains(path.as_str()) || !is_safe(path) {
                continue;
            }
            let target = out.join(path);
            if std::fs::remove_file(&target).is_ok() {
                stats.removed += 1;
                if let Some(parent) = target.parent() {
                    emptied_dirs.push(parent.to_path_buf());
                }
            }
        }
        // Folders left empty by those removals go too (remove_dir refuses a folder that still holds anything).
        emptied_dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for mut dir in emptied_dirs {
            while dir.starts_with(out) && dir != out && std::fs::remove_dir(&dir).is_ok() {
                if !dir.pop() {
                    break;
                }
            }
        }
        manifest.par_sort_unstable();
        let mut text = String::with_capacity(manifest.iter().map(|(p, _, _)| p.len() + 30).sum());
        for (path, hash, len) in &manifest {
            use std::fmt::Write;
            let _ = writeln!(text, "{hash:016x} {len} {path}");
        }
        std::fs::write(out.join(MANIFEST), text).context("cannot write the output manifest")?;
        match first_error {
            Some(e) => Err(e),
            None => Ok(stats),
        }
    }
}

fn read_manifest(out: &Path) -> HashMap<String, (u64, u64)> {
    let Ok(text) = std::fs::read_to_string(out.join(MANIFEST)) else {
        return HashMap::new();
    };
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ' ');
            let hash = u64::from_str_radix(parts.next()?, 16).ok()?;
            let len = parts.next()?.parse().ok()?;
            let path = parts.next()?.to_string();
            Some((path, (hash, len)))
        })
        .collect()
}

/// `file`'s bytes gzipped (no name or time in the header, so the same bytes always give the same file).
fn gzipped(out: &Path, file: &OutputFile) -> anyhow::Result<Vec<u8>> {
    use std::io::Write;
    let copied;
    let bytes: &[u8] = match &file.contents {
        Contents::Bytes(bytes) => bytes,
        Contents::Static(bytes) => bytes,
        Contents::Copy(_) => {
            let written = out.join(&file.path);
            copied = std::fs::read(&written).with_context(|| format!("cannot read `{}`", written.display()))?;
            &copied
        }
    };
    let mut encoder = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// A relative path that stays inside the output folder (a tampered manifest must not delete elsewhere).
fn is_safe(path: &str) -> bool {
    path != MANIFEST && path.split('/').all(|part| !matches!(part, "" | "." | ".."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_only_changes_and_removes_only_its_own_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        std::fs::write(out.join("mine-not.txt"), "user file").unwrap();
        let files = vec![
            OutputFile::bytes("a/index.html".into(), b"A".to_vec()),
            OutputFile::bytes("b/index.html".into(), b"B".to_vec()),
        ];
        let stats = write(out, &files).unwrap();
        assert_eq!(stats, WriteStats { written: 2, unchanged: 0, removed: 0 });

        let files = vec![OutputFile::bytes("a/index.html".into(), b"A".to_vec())];
        let stats = write(out, &files).unwrap();
        assert_eq!(stats, WriteStats { written: 0, unchanged: 1, removed: 1 });
        assert!(!out.join("b").exists(), "emptied folder is removed");
        assert_eq!(std::fs::read_to_string(out.join("mine-not.txt")).unwrap(), "user file");
    }

    #[test]
    fn only_plain_relative_paths_are_safe() {
        assert!(is_safe("a/b c/index.html") && is_safe("ünï/x.html"));
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/.", MANIFEST] {
            assert!(!is_safe(bad), "{bad}");
        }
    }

    #[test]
    fn tampered_manifest_cannot_delete_outside() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(dir.path().join("precious.md"), "words").unwrap();
        std::fs::write(out.join(MANIFEST), "0000000000000000 5 ../precious.md\n").unwrap();
        write(&out, &[]).unwrap();
        assert!(dir.path().join("precious.md").exists());
    }
}
