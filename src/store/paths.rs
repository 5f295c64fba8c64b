//! The paths a peer sends (in the index document) are untrusted: a peer must never make Loam write outside the
//! garden's content folder, into a tool folder (`.loam/`, `.git/`, `.obsidian/`, …), through a symlink, or at a
//! name that some system would read as something else. [`check`] refuses such a path with a reason, on its text
//! alone, the same on every system; [`place`] then finds the file under the content folder, refusing a path that
//! would go through a symlink. Pure but for `place`, which only reads the file system.

use std::path::{Component, Path, PathBuf};

use crate::garden::is_ignored;

/// Longest path a peer may send, in bytes (well under every system's limit, with room for the content folder).
pub const MAX_PATH: usize = 1024;

/// Longest name of one file or folder, in bytes (ext4, APFS and NTFS allow 255).
pub const MAX_NAME: usize = 255;

/// Characters that are not allowed in names on Windows, or mean something else there (`:` names a drive or a
/// stream), and that Obsidian refuses in note names too.
const FORBIDDEN: &[char] = &['\\', ':', '*', '?', '"', '<', '>', '|'];

/// Names Windows reserves for devices, whatever the extension (`nul.md` is the null device there).
const DEVICES: &[&str] = &[
    "con", "prn", "aux", "nul", "com0", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9", "lpt0",
    "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9", "conin$", "conout$",
];

/// Why a path from a peer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the path is empty")]
    Empty,
    #[error("the path holds a NUL byte or another control character")]
    Control,
    #[error("the path is absolute")]
    Absolute,
    #[error("the path has an empty part, `.` or `..`")]
    Relative,
    #[error("the path holds `{0}`, which is not allowed in file names on every system")]
    Forbidden(char),
    #[error("`{0}` is a device name on Windows")]
    Device(String),
    #[error("`{0}` ends with a dot or a space, which Windows drops")]
    TrailingDot(String),
    #[error("the path is longer than {MAX_PATH} bytes")]
    TooLong,
    #[error("`{0}` is longer than {MAX_NAME} bytes")]
    NameTooLong(String),
    #[error("`{0}` is a tool folder or a hidden or temporary file, never part of the garden")]
    Ignored(String),
    #[error("the path goes through the symbolic link `{0}`")]
    Symlink(String),
    #[error("another note has this path, or a file is where its folder would be")]
    Taken,
}

/// The path a peer sent, if it is a plain relative path of a file in the garden (`folder/Note.md`): `/`-separated
/// names, none empty, `.` or `..`, none a tool folder or hidden, a device name or ending with a dot or space, no
/// control characters or characters some system reads as something else, and not too long.
pub fn check(path: &str) -> Result<&str, Refused> {
    if path.is_empty() {
        return Err(Refused::Empty);
    }
    if path.chars().any(char::is_control) {
        return Err(Refused::Control);
    }
    if path.starts_with('/') || path.starts_with('\\') {
        return Err(Refused::Absolute);
    }
    if path.len() > MAX_PATH {
        return Err(Refused::TooLong);
    }
    // A drive (`C:`) is refused here, with every other `:`.
    if let Some(c) = path.chars().find(|c| FORBIDDEN.contains(c)) {
        return Err(Refused::Forbidden(c));
    }
    for name in path.split('/') {
        if name.is_empty() || name == "." || name == ".." {
            return Err(Refused::Relative);
        }
        if name.len() > MAX_NAME {
            return Err(Refused::NameTooLong(name.chars().take(40).collect::<String>() + "…"));
        }
        if is_ignored(name) {
            return Err(Refused::Ignored(name.to_string()));
        }
        let stem = name.split('.').next().unwrap_or(name).trim_end().to_ascii_lowercase();
        if DEVICES.contains(&stem.as_str()) {
            return Err(Refused::Device(name.to_string()));
        }
        if name.ends_with('.') || name.ends_with(' ') {
            return Err(Refused::TrailingDot(name.to_string()));
        }
    }
    Ok(path)
}

/// Where the file at `path` (from a peer, see [`check`]) goes under the garden's `content` folder. Refused if the
/// path is, or if any folder on the way to it (or the file itself) is a symbolic link: a link could lead out of
/// the garden. Folders that do not exist yet are fine; the caller makes them.
pub fn place(content: &Path, path: &str) -> Result<PathBuf, Refused> {
    let path = check(path)?;
    let mut at = content.to_path_buf();
    for part in Path::new(path).components() {
        let Component::Normal(name) = part else { return Err(Refused::Relative) };
        at.push(name);
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let shown = at.strip_prefix(content).unwrap_or(&at).display().to_string();
                return Err(Refused::Symlink(shown));
            }
            Ok(_) => {}
            // Nothing there yet: nothing further down exists either.
            Err(_) => break,
        }
    }
    Ok(content.join(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_of_any_script_pass() {
        for path in [
            "Note.md",
            "folder/sub folder/My Note.md",
            "日本語ノート/東京.md",
            "Ελληνικά/Ω.md",
            "emoji 🌱/seed.md",
            "it's \"fine\"/a.md".replace('"', "'").as_str(),
            "attachments/diagram.png",
            "a.b.c/d.md",
        ] {
            assert_eq!(check(path), Ok(path), "{path}");
        }
    }

    #[test]
    fn every_way_out_of_the_garden_is_refused() {
        let refused = [
            ("", Refused::Empty),
            ("/etc/passwd", Refused::Absolute),
            ("\\\\server\\share\\x.md", Refused::Absolute),
            ("../outside.md", Refused::Relative),
            ("notes/../../outside.md", Refused::Relative),
            ("notes/./a.md", Refused::Relative),
            ("notes//a.md", Refused::Relative),
            ("notes/", Refused::Relative),
            ("C:/Windows/x.md", Refused::Forbidden(':')),
            ("c:x.md", Refused::Forbidden(':')),
            ("notes\\..\\..\\x.md", Refused::Forbidden('\\')),
            ("a.md:stream", Refused::Forbidden(':')),
            ("what?.md", Refused::Forbidden('?')),
            ("nul\0.md", Refused::Control),
            ("line\nbreak.md", Refused::Control),
            ("NUL.md", Refused::Device("NUL.md".into())),
            ("folder/con", Refused::Device("con".into())),
            ("com1.txt.md", Refused::Device("com1.txt.md".into())),
            ("LPT9/a.md", Refused::Device("LPT9".into())),
            ("folder./a.md", Refused::TrailingDot("folder.".into())),
            ("a.md ", Refused::TrailingDot("a.md ".into())),
            (".loam/index.am", Refused::Ignored(".loam".into())),
            (".git/config", Refused::Ignored(".git".into())),
            ("notes/.obsidian/workspace.json", Refused::Ignored(".obsidian".into())),
            (".trash/a.md", Refused::Ignored(".trash".into())),
            ("a.md~", Refused::Ignored("a.md~".into())),
        ];
        for (path, why) in refused {
            assert_eq!(check(path), Err(why), "{path:?}");
        }
        assert_eq!(check(&"a/".repeat(600)), Err(Refused::TooLong));
        assert!(matches!(check(&format!("{}.md", "x".repeat(300))), Err(Refused::NameTooLong(_))));
    }

    #[cfg(unix)]
    #[test]
    fn a_path_through_a_symlink_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(content.join("real")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, content.join("link")).unwrap();
        std::os::unix::fs::symlink(outside.join("x.md"), content.join("real/file.md")).unwrap();
        assert_eq!(place(&content, "real/new/a.md"), Ok(content.join("real/new/a.md")));
        assert_eq!(place(&content, "link/a.md"), Err(Refused::Symlink("link".into())));
        assert_eq!(place(&content, "real/file.md"), Err(Refused::Symlink("real/file.md".into())));
        assert_eq!(place(&content, "../content/a.md"), Err(Refused::Relative));
    }

    proptest::proptest! {
        /// Whatever a peer sends, an accepted path stays inside the content folder.
        #[test]
        fn an_accepted_path_never_leaves_the_folder(path in "[a-z./\\\\:~ ]{0,12}") {
            if let Ok(path) = check(&path) {
                let joined = Path::new("/garden/content").join(path);
                proptest::prop_assert!(joined.starts_with("/garden/content/"));
                proptest::prop_assert!(Path::new(path).components().all(|c| matches!(c, Component::Normal(_))));
            }
        }
    }
}
