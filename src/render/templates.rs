//! The Tera templates: the built-in ones under `templates/`, compiled in, with a garden's own of the same name on
//! top, and a small lexer over their code that tells which of the costlier lists of a page's values they read
//! (see [`Named`]). Pure: the caller passes the garden's template texts in.

use serde_json::Value;
use tera::Tera;

use super::parts::Parts;
use crate::diagnostic::{Diagnostic, Kind, Severity};

/// The built-in templates, compiled into the binary.
pub(super) const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("note.html", include_str!("../../templates/note.html")),
    ("list.html", include_str!("../../templates/list.html")),
    ("alias.html", include_str!("../../templates/alias.html")),
    ("404.html", include_str!("../../templates/404.html")),
    ("graph.html", include_str!("../../templates/graph.html")),
    ("history.html", include_str!("../../templates/history.html")),
    ("changes.html", include_str!("../../templates/changes.html")),
    ("feed.xml", include_str!("../../templates/feed.xml")),
    ("sitemap.xml", include_str!("../../templates/sitemap.xml")),
    // The markup of one entry of each list that comes as ready HTML (see `parts.rs`).
    ("parts/recent_note.html", include_str!("../../templates/parts/recent_note.html")),
    ("parts/toc_entry.html", include_str!("../../templates/parts/toc_entry.html")),
    ("parts/backlink.html", include_str!("../../templates/parts/backlink.html")),
    ("parts/breadcrumb.html", include_str!("../../templates/parts/breadcrumb.html")),
    ("parts/tag.html", include_str!("../../templates/parts/tag.html")),
    ("parts/note_item.html", include_str!("../../templates/parts/note_item.html")),
    ("parts/note_item_tag.html", include_str!("../../templates/parts/note_item_tag.html")),
    ("parts/date.html", include_str!("../../templates/parts/date.html")),
    ("parts/contributors.html", include_str!("../../templates/parts/contributors.html")),
    ("parts/history_link.html", include_str!("../../templates/parts/history_link.html")),
];

pub struct Templates {
    tera: Tera,
    /// Which of the costlier lists in a note's values the templates name (see [`Named`]).
    pub(super) named: Named,
    /// Whether `alias.html` is the built-in one, and `note.html` and the `base.html` it extends (see
    /// [`pattern`]).
    pub(super) built_in_alias: bool,
    pub(super) built_in_note: bool,
    /// The built-in `templates/parts/`, whatever the garden's own templates are.
    pub(super) parts: Parts,
}

/// Lists in `note` that templates may use or not: building them for ten thousand pages that never show them
/// costs more than rendering some of those pages. A list is built when any template in effect names it
/// (`note.backlinks`, `x.backlinks`, `note["backlinks"]`, or anything that dumps a whole value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Named {
    pub(super) backlinks: bool,
    pub(super) breadcrumbs: bool,
    pub(super) tags: bool,
    /// `list.items`.
    pub(super) items: bool,
}

impl Named {
    fn in_sources<'t>(sources: impl Iterator<Item = &'t str> + Clone) -> Named {
        let code: Vec<&str> = sources.flat_map(tera_code).collect();
        let dumps = code.iter().any(|c| c.contains("json_encode") || c.contains("__tera_context"));
        let names = |field: &str| dumps || code.iter().any(|c| names_field(c, field));
        Named {
            backlinks: names("backlinks"),
            breadcrumbs: names("breadcrumbs"),
            tags: names("tags"),
            items: names("items"),
        }
    }
}

/// The parts of a template inside `{{ }}` and `{% %}` (comments and text left out).
fn tera_code(source: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find(['{']) {
        let after = &rest[start + 1..];
        let close = match after.as_bytes().first() {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            Some(b'#') => "#}",
            _ => {
                rest = after;
                continue;
            }
        };
        let end = after[1..].find(close).map_or(after.len(), |e| e + 1);
        if close != "#}" {
            parts.push(&after[1..end]);
        }
        rest = &after[(end + close.len()).min(after.len())..];
    }
    parts
}

/// Whether template code reads `field` of a value: `.field` or `["field"]`, not `.field_html`.
fn names_field(code: &str, field: &str) -> bool {
    code.match_indices(field).any(|(at, _)| {
        let before = &code[..at];
        let after = &code[at + field.len()..];
        let by_dot = before.ends_with('.');
        let by_key =
            (before.ends_with("[\"") && after.starts_with('"')) || (before.ends_with("['") && after.starts_with('\''));
        let whole = !after.starts_with(|c: char| c.is_alphanumeric() || c == '_');
        (by_dot || by_key) && whole
    })
}

impl Templates {
    /// The built-in templates with the garden's overrides on top. A broken override is reported and the
    /// built-in templates are used instead, so the site still builds.
    pub fn new(overrides: &[(String, String)], diagnostics: &mut Vec<Diagnostic>) -> Templates {
        let mut tera = Tera::default();
        // Tera's default escaping also turns `/` into `&#x2F;`, which is valid but makes every URL in the page
        // unreadable; escaping the five characters HTML needs is enough.
        tera.set_escape_fn(escape_html);
        tera.add_raw_templates(TEMPLATES.iter().copied()).expect("the built-in templates are valid");
        let parts = Parts::new(&tera);
        let mut named = Named::in_sources(TEMPLATES.iter().map(|(_, text)| *text));
        let (mut built_in_alias, mut built_in_note) = (true, true);
        if !overrides.is_empty() {
            let mut with_overrides = tera.clone();
            let own = overrides.iter().map(|(name, text)| (name.as_str(), text.as_str()));
            match with_overrides.add_raw_templates(own) {
                Ok(()) => {
                    let own = |name: &str| overrides.iter().any(|(own, _)| own == name);
                    built_in_alias = !own("alias.html");
                    built_in_note = !own("note.html") && !own("base.html");
                    tera = with_overrides;
                    let own = overrides.iter().map(|(_, text)| text.as_str());
                    let built_in = TEMPLATES.iter().filter(|(name, _)| !overrides.iter().any(|(own, _)| own == name));
                    named = Named::in_sources(built_in.map(|(_, text)| *text).chain(own));
                }
                Err(error) => diagnostics.push(
                    Diagnostic::new(
                        "templates",
                        0,
                        Severity::Error,
                        Kind::Other,
                        format!("the garden's templates do not compile: {}", error_chain(&error)),
                    )
                    .at_root()
                    .hint("fix the template; until then the built-in templates are used"),
                ),
            }
        }
        Templates { tera, named, built_in_alias, built_in_note, parts }
    }

    /// The page's bytes. Rendering into bytes spares Tera's final check that its output is UTF-8.
    pub(super) fn render(&self, name: &str, context: Value) -> Result<Vec<u8>, String> {
        let context = tera::Context::from_value(context).map_err(|e| error_chain(&e))?;
        let mut bytes = Vec::with_capacity(16 * 1024);
        self.tera.render_to(name, &context, &mut bytes).map_err(|e| error_chain(&e))?;
        Ok(bytes)
    }
}

pub(super) fn escape_html(text: &str) -> String {
    crate::markdown::escape(text)
}

fn error_chain(error: &tera::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_templates_name_no_costly_list() {
        let named = Named::in_sources(TEMPLATES.iter().map(|(_, text)| *text));
        assert_eq!(named, Named { backlinks: false, breadcrumbs: false, tags: false, items: false });
    }

    #[test]
    fn a_list_is_named_by_a_path_or_a_key_in_template_code_only() {
        let named = |text: &str| Named::in_sources([text].into_iter());
        assert!(named("{% for b in note.backlinks %}{% endfor %}").backlinks);
        assert!(named("{{ n.breadcrumbs | length }}").breadcrumbs);
        assert!(named("{% for t in note[\"tags\"] %}{% endfor %}").tags);
        assert!(named("{{ note | json_encode }}").backlinks);
        assert!(named("{% if list.items | length > 0 %}{% endif %}").items);
        let none = Named { backlinks: false, breadcrumbs: false, tags: false, items: false };
        assert_eq!(named("{{ note.backlinks_html | safe }} <p class=\"tags\">.backlinks</p>"), none);
        assert_eq!(named("{# note.backlinks #}{{ list.kind == \"tags\" }}"), none);
    }
}
