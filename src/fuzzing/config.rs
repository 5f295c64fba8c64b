//! The config target: bytes as `loam.toml`. They go through the parser as `Config::load` reads a file (not UTF-8
//! is an error, not a panic), then through everything that reads a `Config`: the base URL's path and origin, the
//! tokens and the access they give, the preview's allowed hosts and origins, and a build of a small garden,
//! whose pages carry the title, description, language and base URL.

use crate::config::{self, Config};
use crate::serve::http::guard::Allowed;

/// The notes every config is built with: links, a transclusion, a tag, an attachment.
const GARDEN: &str = "---\ntitle: Home\ntags: [start]\npublish: true\n---\n# Home\n\n[[other]], ![[other#Part]], \
![[image.png]] and #tag.\n@@@ other.md\n---\npublish: true\n---\n## Part\n\nText. ^block\n@@@ image.png\n";

/// Runs the target on `data`.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = Config::parse(text, "loam.toml");
    let config = match parsed {
        Ok(config) => config,
        Err(error) => {
            // The message names the file with a line and column inside the text.
            let message = error.to_string();
            assert!(message.starts_with("loam.toml:"), "{message}");
            return;
        }
    };
    let base_path = config.base_path();
    assert!(base_path.starts_with('/') && base_path.ends_with('/'), "base path `{base_path}`");
    let _ = config.site_origin();
    let _ = config.author.or_user();
    let tokens = config.sync.all_tokens(|_| None);
    for token in &tokens {
        assert!(config::access(&tokens, Some(&token.token)).is_some(), "a configured token gives no access");
    }
    assert!(config::access(&tokens, Some("")).is_none(), "an empty token gives access");
    let allowed = Allowed::new(&config.serve);
    for host in &config.serve.allowed_hosts {
        let _ = allowed.host(host);
    }
    for origin in &config.serve.allowed_origins {
        let _ = allowed.origin(origin, Some("localhost:1111"));
    }
    let garden = super::note::Garden::read(GARDEN.as_bytes());
    super::note::build(&config, garden.files(&super::note::secret(data)));
}
