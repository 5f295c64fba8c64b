//! The garden's settings, read from `loam.toml`. Pure data plus one loader at the edge.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Which notes become pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PublishMode {
    /// Everything except notes marked `draft: true` or `publish: false`.
    #[default]
    All,
    /// Only notes marked `publish: true`.
    Explicit,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Author {
    pub name: String,
}

impl Author {
    /// The name changes are recorded under: `[author] name`, else the system's user name.
    pub fn or_user(&self) -> String {
        if !self.name.trim().is_empty() {
            return self.name.trim().to_string();
        }
        ["USER", "USERNAME", "LOGNAME"]
            .iter()
            .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| "unknown".into())
    }
}

/// Everything `loam.toml` may say. Unknown keys are refused so that a typo is never silently ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub title: String,
    pub description: String,
    /// Where the site will live, e.g. `https://example.org/garden/`. Its path becomes the prefix of every link.
    pub base_url: String,
    pub language: String,
    pub publish_mode: PublishMode,
    /// The notes folder, relative to `loam.toml`; `"."` makes an Obsidian vault with a `loam.toml` its own content.
    pub content: String,
    pub author: Author,
    /// Whether pages show their contributors and last edit from the garden's history (`.loam/`).
    pub show_history: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            title: "My Garden".into(),
            description: String::new(),
            base_url: "/".into(),
            language: "en".into(),
            publish_mode: PublishMode::All,
            content: "content".into(),
            author: Author::default(),
            show_history: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read `{path}`: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Parse { path: String, line: usize, column: usize, message: String },
}

impl Config {
    /// Parses the text of a `loam.toml`. `path` is only used in messages.
    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|span| line_col(text, span.start)).unwrap_or((1, 1));
            ConfigError::Parse {
                path: path.to_string(),
                line,
                column,
                message: e.message().trim_end_matches('.').to_string(),
            }
        })?;
        if !config.base_url.ends_with('/') {
            config.base_url.push('/');
        }
        Ok(config)
    }

    /// Reads `loam.toml` at `path`; a missing file means the defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(ConfigError::Read { path: path.display().to_string(), source }),
        }
    }

    /// The URL path every internal link starts with: `/garden/` for `https://example.org/garden/`, `/` by default.
    pub fn base_path(&self) -> String {
        let url = self.base_url.as_str();
        let after_scheme = match url.find("://") {
            Some(i) => &url[i + 3..],
            None => return normalise_path(url),
        };
        match after_scheme.find('/') {
            Some(i) => normalise_path(&after_scheme[i..]),
            None => "/".into(),
        }
    }
}

fn normalise_path(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        "/".into()
    } else {
        format!("/{trimmed}/")
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_example() {
        let config = Config::parse(
            "title = \"Commons Garden\"\nbase_url = \"https://example.org/garden/\"\npublish_mode = \"explicit\"\n[author]\nname = \"Ada\"\n",
            "loam.toml",
        )
        .unwrap();
        assert_eq!(config.title, "Commons Garden");
        assert_eq!(config.publish_mode, PublishMode::Explicit);
        assert_eq!(config.author.name, "Ada");
        assert_eq!(config.base_path(), "/garden/");
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::parse("title = \"x\"\npublsh_mode = \"all\"\n", "loam.toml").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("publsh_mode"), "{message}");
        assert!(message.contains("loam.toml:2"), "{message}");
    }

    #[test]
    fn base_path_forms() {
        let mut c = Config::default();
        assert_eq!(c.base_path(), "/");
        c.base_url = "https://example.org".into();
        assert_eq!(c.base_path(), "/");
        c.base_url = "/docs".into();
        assert_eq!(c.base_path(), "/docs/");
    }
}
