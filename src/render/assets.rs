//! The files compiled into the binary that every site gets under `static/`: Loam's own scripts and style sheet,
//! and the vendored libraries (`vendor.rs`), with which of those libraries a site needs. Pure.

use super::vendor;

/// The built-in assets, served under `static/`.
pub const STATIC: &[(&str, &[u8])] = &[
    ("style.css", include_bytes!("../../static/style.css")),
    // The colours of highlighted code, linked by a note's first highlighted block (markdown/highlight.rs).
    ("highlight.css", include_bytes!("../../static/highlight.css")),
    // Callouts' colours, folding and icons, linked by a note's first callout (markdown.rs).
    ("callouts.css", include_bytes!("../../static/callouts.css")),
    // The history views and the recent changes (history.html, changes.html, history.js).
    ("history.css", include_bytes!("../../static/history.css")),
    ("loam.js", include_bytes!("../../static/loam.js")),
    ("search.js", include_bytes!("../../static/search.js")),
    ("preview.js", include_bytes!("../../static/preview.js")),
    ("explorer.js", include_bytes!("../../static/explorer.js")),
    ("toc.js", include_bytes!("../../static/toc.js")),
    ("visits.js", include_bytes!("../../static/visits.js")),
    ("history.js", include_bytes!("../../static/history.js")),
    ("changes.js", include_bytes!("../../static/changes.js")),
    ("graph.js", include_bytes!("../../static/graph.js")),
    ("math.js", include_bytes!("../../static/math.js")),
    ("mermaid.js", include_bytes!("../../static/mermaid.js")),
    // Every page's icon, unless the garden has its own (`favicon.svg` beside its notes, or in its `static/`).
    ("favicon.svg", include_bytes!("../../static/favicon.svg")),
];

/// Every asset compiled in, by name under `static/`: the built-in ones and the vendored libraries
/// (`static/vendor/`, written by `scripts/vendor`).
pub fn static_files() -> impl Iterator<Item = (&'static str, &'static [u8])> {
    STATIC.iter().chain(vendor::VENDOR).copied()
}

/// Which of the vendored libraries a site needs: KaTeX (600 KB) only where a note has math, mermaid (5.3 MB) only
/// where a note has a diagram, markdown-it (100 KB) only where the site publishes its history (`history.js`
/// renders a past version with it). `math.js` and `mermaid.js` load them only on pages that have one, so a site
/// without any never asks for them, and `loam build` leaves them out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Libraries {
    pub math: bool,
    pub mermaid: bool,
    pub history: bool,
}

impl Libraries {
    pub const ALL: Libraries = Libraries { math: true, mermaid: true, history: true };

    /// What the published notes' HTML needs (a page can embed only published notes, so their HTML is all there
    /// is).
    pub fn of<'a>(html: impl IntoIterator<Item = &'a str>) -> Libraries {
        let math = memchr::memmem::Finder::new("<math");
        let mermaid = memchr::memmem::Finder::new("<pre class=\"mermaid\">");
        let mut needed = Libraries::default();
        for html in html {
            needed.math |= math.find(html.as_bytes()).is_some();
            needed.mermaid |= mermaid.find(html.as_bytes()).is_some();
            if needed.math && needed.mermaid {
                break;
            }
        }
        needed
    }

    /// Whether the site's static file `name` (as in [`static_files`]) is needed.
    pub fn has(&self, name: &str) -> bool {
        if name.starts_with("vendor/katex/") {
            self.math
        } else if name.starts_with("vendor/mermaid/") {
            self.mermaid
        } else if name.starts_with("vendor/markdown-it/") || name.starts_with("vendor/markdown-it-footnote/") {
            self.history
        } else {
            true
        }
    }
}
