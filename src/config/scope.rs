//! What a scoped token lets a peer see and change: globs of note paths to read and to write, and whether it sees
//! only what `loam build` publishes. Pure: paths in, yes or no out.
//!
//! ```
//! use loam::config::{Access, Token};
//! let token = Token {
//!     token: "a-secret-of-sixteen-or-more".into(),
//!     access: Access::ReadWrite,
//!     read: Some(vec!["public/**".into(), "drafts/**".into()]),
//!     write: Some(vec!["drafts/**".into()]),
//!     published: false,
//! };
//! let scope = token.scope().unwrap().unwrap();
//! assert!(scope.may_read("public/a.md", false));
//! assert!(!scope.may_read("private/a.md", true));
//! assert!(scope.may_write("drafts/new.md") && !scope.may_write("public/a.md"));
//! ```

use globset::{GlobSet, GlobSetBuilder};

use super::{Access, Token};

#[derive(Debug, Clone)]
pub struct Scope {
    read: Option<GlobSet>,
    write: Option<GlobSet>,
    access: Access,
    published: bool,
    key: String,
}

impl Scope {
    pub(super) fn new(token: &Token) -> Result<Scope, String> {
        if token.access == Access::ReadOnly && token.write.is_some() {
            return Err("a read-only token cannot have `write` globs: make it read-write, limited to them".into());
        }
        let set = |globs: &Option<Vec<String>>, what: &str| -> Result<Option<GlobSet>, String> {
            let Some(globs) = globs else { return Ok(None) };
            let mut set = GlobSetBuilder::new();
            for glob in globs {
                let parsed = globset::GlobBuilder::new(glob.trim_start_matches('/'))
                    .literal_separator(true)
                    .build()
                    .map_err(|e| format!("the {what} glob `{glob}` cannot be read: {}", e.kind()))?;
                set.add(parsed);
            }
            set.build().map(Some).map_err(|e| format!("the {what} globs cannot be read: {e}"))
        };
        let key = serde_json::json!({
            "read": token.read, "write": token.write, "published": token.published, "access": token.access,
        })
        .to_string();
        Ok(Scope {
            read: set(&token.read, "read")?,
            write: set(&token.write, "write")?,
            access: token.access,
            published: token.published,
            key,
        })
    }

    /// Whether a peer may receive the note at `path` (in the notes folder), which `loam build` publishes or not.
    pub fn may_read(&self, path: &str, published: bool) -> bool {
        (published || !self.published) && self.read.as_ref().is_none_or(|read| read.is_match(path))
    }

    /// Whether a peer may change, add, move or delete the note at `path`.
    pub fn may_write(&self, path: &str) -> bool {
        self.access == Access::ReadWrite && self.write.as_ref().is_none_or(|write| write.is_match(path))
    }

    /// Whether it may write anywhere (make new notes).
    pub fn writes(&self) -> bool {
        self.access == Access::ReadWrite
    }

    /// Whether only published notes are seen.
    pub fn published_only(&self) -> bool {
        self.published
    }

    /// The same for every token of this scope, and nothing of the token's secret: what names the scope's own
    /// index of notes (`store::view`).
    pub fn key(&self) -> &str {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(read: Option<&[&str]>, write: Option<&[&str]>, published: bool) -> Scope {
        let list = |globs: Option<&[&str]>| globs.map(|g| g.iter().map(|s| s.to_string()).collect());
        let token = Token {
            token: "0123456789abcdef".into(),
            access: Access::ReadWrite,
            read: list(read),
            write: list(write),
            published,
        };
        token.scope().unwrap().unwrap()
    }

    #[test]
    fn globs_match_whole_paths_and_a_star_stays_in_its_folder() {
        let s = scope(Some(&["public/*", "notes/**/*.md"]), None, false);
        assert!(s.may_read("public/a.md", false));
        assert!(!s.may_read("public/deeper/a.md", false));
        assert!(s.may_read("notes/a/b/c.md", false));
        assert!(!s.may_read("private/public/a.md", false));
        assert!(!s.may_read("publicity.md", false));
    }

    #[test]
    fn published_narrows_whatever_else_is_read() {
        let s = scope(None, None, true);
        assert!(s.may_read("any.md", true) && !s.may_read("any.md", false));
        let s = scope(Some(&["public/**"]), None, true);
        assert!(!s.may_read("private/a.md", true));
    }

    #[test]
    fn writing_defaults_to_what_may_be_read_unless_read_only() {
        let s = scope(Some(&["public/**"]), Some(&["drafts/**"]), false);
        assert!(s.may_write("drafts/a.md") && !s.may_write("public/a.md"));
        let token = Token::whole("0123456789abcdef".into(), Access::ReadOnly);
        let read_only = Token { published: true, ..token.clone() }.scope().unwrap().unwrap();
        assert!(!read_only.may_write("a.md"));
        assert!(Token { write: Some(vec!["a/**".into()]), ..token }.scope().is_err());
    }

    #[test]
    fn a_glob_that_cannot_be_read_is_an_error_naming_it() {
        let token =
            Token { read: Some(vec!["a/[".into()]), ..Token::whole("0123456789abcdef".into(), Access::ReadWrite) };
        assert!(token.scope().unwrap_err().contains("`a/[`"));
    }

    #[test]
    fn the_key_names_the_scope_not_the_secret() {
        let s = scope(Some(&["public/**"]), None, true);
        assert!(!s.key().contains("0123456789abcdef"));
        assert_eq!(s.key(), scope(Some(&["public/**"]), None, true).key());
        assert_ne!(s.key(), scope(Some(&["public/**"]), None, false).key());
    }
}
