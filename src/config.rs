//! The garden's settings, read from `loam.toml`. Pure data plus one loader at the edge.

use std::path::Path;

use serde::{Deserialize, Serialize};

mod scope;
pub use scope::Scope;

/// Which notes become pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PublishMode {
    /// Everything except notes marked `draft: true` or `publish: false`.
    #[default]
    All,
    /// Only notes marked `publish: true`.
    Explicit,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// Where the site's history views are, if it has any: the live preview's answer at `_history/`; a built
    /// site's (`[history] publish = true`) are made in the reader's browser. Not read from `loam.toml`.
    #[serde(skip)]
    pub history_views: HistoryViews,
    /// Whether notes marked `draft: true` are shown: `loam serve --drafts` only, never read from `loam.toml`.
    #[serde(skip)]
    pub drafts: bool,
    /// Whether `loam build` makes the full-text search index (`static/search/`) and pages show the search box.
    pub search: bool,
    /// Whether HTML written in notes reaches the site as written. Off by default: it goes through an allow-list
    /// that drops scripts, `on*=` attributes, `javascript:` links and the like, since in a garden with several
    /// authors each one's HTML runs in every reader's browser. Only a site whose authors are all trusted turns
    /// it on.
    pub unsafe_html: bool,
    /// Obsidian's "Strict line breaks": `true` joins the lines of a paragraph as Markdown does, `false` shows a
    /// single newline as a line break, as Obsidian does by default. Unset, it is the vault's own setting
    /// (`strictLineBreaks` in `.obsidian/app.json`), else Obsidian's default ([`Config::with_vault_settings`]).
    pub strict_line_breaks: Option<bool>,
    /// The explorer's order, as Obsidian Publish's navigation ordering: paths of notes (`Start here.md`) and folders
    /// (`Guides`), relative to the notes folder, each shown first in its folder, in this order. The rest follow as
    /// Obsidian's file explorer sorts them: folders first, then notes, in natural order (`2` before `10`).
    pub navigation: Vec<String>,
    /// `[strings]`: the garden's own words for the interface, by key (`backlinks = "Linked from"`), over the
    /// built-in ones of its `language` (see `render/strings.rs`).
    pub strings: std::collections::BTreeMap<String, String>,
    /// Where a garden made by `loam clone` came from (empty otherwise).
    pub origin: String,
    /// Folders outside the garden that its symbolic links may lead into (relative to `loam.toml`, or absolute).
    /// Loam reads nothing whose real path lies outside the garden unless it is in one of these: a link to
    /// `/etc/passwd` in a vault is skipped with a warning, not published, recorded or sent to peers.
    pub allow_outside: Vec<String>,
    pub sync: Sync,
    pub serve: Serve,
    pub history: History,
    pub highlight: Highlight,
}

/// `[highlight]`: the themes of highlighted code, by the names syntect gives them (`loam build` lists them when a
/// name is unknown). Each colour of the chosen themes is made to read at 4.5:1 on the code blocks' background
/// (WCAG AA), as the built-in ones are.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Highlight {
    /// The theme of the light palette.
    pub light: String,
    /// The theme of the dark palette.
    pub dark: String,
}

impl Default for Highlight {
    fn default() -> Highlight {
        Highlight {
            light: crate::markdown::highlight::LIGHT_THEME.into(),
            dark: crate::markdown::highlight::DARK_THEME.into(),
        }
    }
}

impl Highlight {
    /// The stylesheet of these themes, when they are not the built-in ones (`static/highlight.css` is those).
    pub fn stylesheet(&self) -> Option<anyhow::Result<String>> {
        (*self != Highlight::default()).then(|| crate::markdown::highlight::stylesheet_with(&self.light, &self.dark))
    }
}

/// Where a site's history views are (see [`Config::history_views`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HistoryViews {
    /// None: only the contributors and last edit on each page.
    #[default]
    None,
    /// Answered by the live preview at `_history/NOTE/`, `_changes/` and `_authors/NAME/`.
    Served,
    /// In a built site: each note's views on its own page (`NOTE/?history`, `?at=X`), made by `static/history.js`
    /// from `_history/NOTE.json`; static pages of the recent changes and of each author.
    Built,
}

/// `[history]`: what `loam build` publishes of the garden's history (the live preview always shows it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct History {
    /// Whether the built site has each published note's history, comparisons and past versions (`_history/`),
    /// the recent changes and their feed (`_changes/`) and authors' pages (`_authors/`). Off unless asked for: a
    /// history shows text its authors may have deleted on purpose. Only versions in which a note was published
    /// are shown, without `%%comments%%`, and never a redacted one (`loam redact`).
    pub publish: bool,
}

/// `[serve]`: who besides this machine's own names may reach `loam serve`. Read when the server starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Serve {
    /// Host names, besides `localhost`, `*.localhost` and IP addresses, that requests may name in their `Host`
    /// header, such as `laptop.local` for peers on the network or the name a reverse proxy passes on; a name
    /// starting with `.` (`.example.org`) allows that domain and every name under it. Any other name is refused,
    /// so that a web page cannot reach the preview through DNS rebinding.
    pub allowed_hosts: Vec<String>,
    /// Web origins, besides the preview's own, whose pages may open `/sync` and read `/_loam/`, such as
    /// `http://localhost:5173` for a web app that syncs with the garden through automerge-repo. Programs that
    /// send no `Origin` (Loam itself, Node scripts) are not affected: they present a token as before.
    pub allowed_origins: Vec<String>,
}

/// `[sync]`: who may sync with this garden, and which peers it syncs with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sync {
    /// `[[sync.tokens]]`: the secrets peers present, each read-write or read-only.
    pub tokens: Vec<Token>,
    /// `[[sync.peers]]`: gardens `loam serve` keeps a live connection to.
    pub peers: Vec<Peer>,
    /// A private certificate authority (a PEM file, relative to the garden) trusted besides the platform's and
    /// the bundled ones, for peers and relays whose `wss://` certificate it signed.
    pub ca: Option<String>,
}

#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    pub token: String,
    #[serde(default)]
    pub access: Access,
    /// The notes a peer with this token may receive, as globs of their paths in the notes folder
    /// (`["public/**"]`); none: every note. A peer never receives a note outside them: not its text, path or
    /// title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<Vec<String>>,
    /// The notes it may change, add, move or delete, as globs (`["drafts/**"]`); none: every note it may read
    /// (none at all for a read-only token). Its changes to others are refused, and it is told which.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write: Option<Vec<String>>,
    /// Only what `loam build` publishes (notes and the attachments they use), within `read`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub published: bool,
}

impl Token {
    /// A token that gives `access` to the whole garden.
    pub fn whole(token: String, access: Access) -> Token {
        Token { token, access, read: None, write: None, published: false }
    }

    /// What this token lets a peer see and change: `None` for the whole garden (no scope set).
    pub fn scope(&self) -> Result<Option<Scope>, String> {
        if self.read.is_none() && self.write.is_none() && !self.published {
            return Ok(None);
        }
        Scope::new(self).map(Some)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A secret never goes into logs or error messages.
        f.debug_struct("Token").field("token", &"…").field("access", &self.access).finish()
    }
}

/// What a token lets a peer do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Clone, pull and send changes.
    #[default]
    ReadWrite,
    /// Clone and pull; every change it sends is refused.
    ReadOnly,
}

#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    /// The peer's sync URL, such as `ws://laptop.local:1111/sync`.
    pub url: String,
    /// The token the peer wants, if it wants one.
    #[serde(default)]
    pub token: Option<String>,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer").field("url", &self.url).field("token", &self.token.as_ref().map(|_| "…")).finish()
    }
}

/// Shortest token accepted: a guessable secret is no secret.
pub const MIN_TOKEN: usize = 16;

impl Sync {
    /// The tokens of `loam.toml`, and those of the environment: `LOAM_TOKEN` (read-write) and
    /// `LOAM_READ_TOKEN` (read-only), for secrets kept out of a file that may be shared.
    pub fn all_tokens(&self, env: impl Fn(&str) -> Option<String>) -> Vec<Token> {
        let mut tokens = self.tokens.clone();
        for (var, access) in [("LOAM_TOKEN", Access::ReadWrite), ("LOAM_READ_TOKEN", Access::ReadOnly)] {
            if let Some(token) = env(var).filter(|t| !t.is_empty()) {
                tokens.push(Token::whole(token, access));
            }
        }
        tokens
    }
}

/// What a token gave a peer: its access, within its scope (`None`: the whole garden).
#[derive(Debug, Clone)]
pub struct Grant {
    pub access: Access,
    pub scope: Option<std::sync::Arc<Scope>>,
}

impl Grant {
    /// Read-write, on the whole garden (this machine's own programs, when the garden sets no token).
    pub fn whole() -> Grant {
        Grant { access: Access::ReadWrite, scope: None }
    }
}

/// What a peer presenting `presented` may do, given the garden's `tokens`: `None` for a missing or wrong token.
/// Every token is compared, each in constant time, so that how long the answer takes says nothing about how
/// much of a secret a guess got right; tokens shorter than [`MIN_TOKEN`] never match. Of two tokens alike (a
/// secret listed twice), the narrower grant wins: privacy fails closed.
pub fn access(tokens: &[Token], presented: Option<&str>) -> Option<Grant> {
    use subtle::ConstantTimeEq;
    let presented = presented?.as_bytes();
    let mut found: Option<&Token> = None;
    for token in tokens {
        let same: bool = token.token.as_bytes().ct_eq(presented).into();
        if same && token.token.len() >= MIN_TOKEN {
            let narrower = token.access == Access::ReadOnly || token.scope().ok().flatten().is_some();
            if found.is_none() || narrower {
                found = Some(token);
            }
        }
    }
    let token = found?;
    // A scope that cannot be read (checked when loam.toml is read) gives nothing.
    let scope = token.scope().ok()?.map(std::sync::Arc::new);
    Some(Grant { access: token.access, scope })
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
            history_views: HistoryViews::None,
            drafts: false,
            search: true,
            unsafe_html: false,
            strict_line_breaks: None,
            navigation: Vec::new(),
            strings: Default::default(),
            origin: String::new(),
            allow_outside: Vec::new(),
            sync: Sync::default(),
            serve: Serve::default(),
            history: History::default(),
            highlight: Highlight::default(),
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
    /// Fills in what `loam.toml` leaves unset from an Obsidian vault's own settings in `folder` (`.obsidian/`),
    /// so that a vault is published as Obsidian shows it: today, whether line breaks are strict.
    pub fn with_vault_settings(mut self, folder: &std::path::Path) -> Config {
        if self.strict_line_breaks.is_none() {
            let app = std::fs::read(folder.join(".obsidian/app.json")).ok();
            let app: Option<serde_json::Value> = app.and_then(|bytes| serde_json::from_slice(&bytes).ok());
            self.strict_line_breaks = app.and_then(|app| app.get("strictLineBreaks")?.as_bool());
        }
        self
    }

    /// Where the site will be published (`base_url`, or `loam build --base-url`), always ending with `/`.
    pub fn set_base_url(&mut self, url: String) {
        self.base_url = url;
        if !self.base_url.ends_with('/') {
            self.base_url.push('/');
        }
    }

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
        let url = std::mem::take(&mut config.base_url);
        config.set_base_url(url);
        if let Some(short) = config.sync.tokens.iter().find(|t| t.token.len() < MIN_TOKEN) {
            let (line, column) = text.find(&format!("\"{}\"", short.token)).map_or((1, 1), |at| line_col(text, at));
            return Err(ConfigError::Parse {
                path: path.to_string(),
                line,
                column,
                message: format!(
                    "a sync token must be at least {MIN_TOKEN} characters long, so that it cannot be guessed"
                ),
            });
        }
        if config.highlight != Highlight::default() {
            let names = crate::markdown::highlight::theme_names();
            for name in [&config.highlight.light, &config.highlight.dark] {
                if !names.contains(name) {
                    let (line, column) = text.find(&format!("\"{name}\"")).map_or((1, 1), |at| line_col(text, at));
                    let message = format!(
                        "no highlighting theme is named \"{name}\"; the themes are: {}",
                        names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
                    );
                    return Err(ConfigError::Parse { path: path.to_string(), line, column, message });
                }
            }
        }
        for token in &config.sync.tokens {
            if let Err(message) = token.scope() {
                let (line, column) = text.find(&format!("\"{}\"", token.token)).map_or((1, 1), |at| line_col(text, at));
                return Err(ConfigError::Parse { path: path.to_string(), line, column, message });
            }
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

    /// `https://example.org` of `https://example.org/garden/`: what a page's URL path is appended to for the
    /// absolute links that shared pages need (`og:url`); empty when the base URL is only a path.
    pub fn site_origin(&self) -> &str {
        let url = self.base_url.as_str();
        match url.find("://") {
            Some(scheme) => {
                let host = scheme + 3;
                url[host..].find('/').map_or(url, |path| &url[..host + path])
            }
            None => "",
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
    fn sync_tokens_and_peers() {
        let text = "[sync]\n[[sync.tokens]]\ntoken = \"0123456789abcdef-rw\"\n[[sync.tokens]]\ntoken = \"0123456789abcdef-ro\"\naccess = \"read-only\"\n[[sync.peers]]\nurl = \"ws://laptop.local:1111/sync\"\ntoken = \"their-secret-0123456\"\n";
        let config = Config::parse(text, "loam.toml").unwrap();
        let tokens = &config.sync.tokens;
        assert_eq!((tokens[0].access, tokens[1].access), (Access::ReadWrite, Access::ReadOnly));
        assert_eq!(config.sync.peers[0].url, "ws://laptop.local:1111/sync");
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("0123456789abcdef") && !shown.contains("their-secret"),
            "secrets stay out of logs: {shown}"
        );

        let access_of = |tokens: &[Token], presented| access(tokens, presented).map(|grant| grant.access);
        assert_eq!(access_of(tokens, Some("0123456789abcdef-rw")), Some(Access::ReadWrite));
        assert_eq!(access_of(tokens, Some("0123456789abcdef-ro")), Some(Access::ReadOnly));
        assert_eq!(access_of(tokens, Some("0123456789abcdef-r")), None, "a prefix is not the token");
        assert_eq!(access_of(tokens, Some("0123456789abcdef-rwx")), None);
        assert_eq!(access_of(tokens, Some("")), None);
        assert_eq!(access_of(tokens, None), None);
        assert_eq!(access_of(&[], Some("anything at all 123")), None);

        // The environment adds tokens; a too-short one in loam.toml is an error naming its line.
        let env = |var: &str| (var == "LOAM_READ_TOKEN").then(|| "from-the-environment".to_string());
        let all = config.sync.all_tokens(env);
        assert_eq!(access_of(&all, Some("from-the-environment")), Some(Access::ReadOnly));
        let err = Config::parse("title = \"x\"\n[[sync.tokens]]\ntoken = \"short\"\n", "loam.toml").unwrap_err();
        assert!(err.to_string().starts_with("loam.toml:3:") && err.to_string().contains("16 characters"), "{err}");
        let err = Config::parse("[[sync.tokens]]\ntoken = \"0123456789abcdef\"\naccess = \"admin\"\n", "loam.toml");
        assert!(err.unwrap_err().to_string().contains("admin"));
        // A scope that cannot be read names its token's line.
        let err = Config::parse("[[sync.tokens]]\ntoken = \"0123456789abcdef\"\nread = [\"a/[\"]\n", "loam.toml");
        let err = err.unwrap_err().to_string();
        assert!(err.starts_with("loam.toml:2:") && err.contains("`a/[`"), "{err}");
        // Of one secret listed twice, the narrower grant holds.
        let twice = Config::parse(
            "[[sync.tokens]]\ntoken = \"0123456789abcdef\"\n[[sync.tokens]]\ntoken = \"0123456789abcdef\"\npublished = true\n",
            "loam.toml",
        )
        .unwrap();
        assert!(access(&twice.sync.tokens, Some("0123456789abcdef")).unwrap().scope.is_some());
    }

    #[test]
    fn serve_allows_hosts_and_origins_and_names_a_typo() {
        let text = "[serve]\nallowed_hosts = [\"laptop.local\"]\nallowed_origins = [\"http://localhost:5173\"]\n";
        let serve = Config::parse(text, "loam.toml").unwrap().serve;
        assert_eq!(
            (serve.allowed_hosts, serve.allowed_origins),
            (vec!["laptop.local".into()], vec!["http://localhost:5173".into()])
        );
        let err = Config::parse("[serve]\nallowed_host = [\"laptop.local\"]\n", "loam.toml").unwrap_err();
        assert!(err.to_string().contains("allowed_host") && err.to_string().starts_with("loam.toml:2"), "{err}");
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
        assert_eq!(c.site_origin(), "", "a path has no origin");
        c.base_url = "https://example.org/garden/".into();
        assert_eq!(c.site_origin(), "https://example.org");
        c.base_url = "http://127.0.0.1:1111".into();
        assert_eq!(c.site_origin(), "http://127.0.0.1:1111");
    }
}
