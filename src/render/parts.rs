//! The lists of a page's values that come as ready HTML (`toc_html`, `backlinks_html`, `tags_html`,
//! `breadcrumbs_html`, `dates_html`, `list.items_html` and `recent_html`): Tera's lookups inside loops cost more
//! than the rest of a page, so the built-in templates print these instead of looping. The markup of each entry
//! is a template in `templates/parts/`, made a [`Part`] once from the built-in templates alone: the values are
//! the same whatever a garden's own templates are, as when the markup was written here. Pure.

use crate::config::Config;
use serde_json::Value;
use tera::Tera;

use super::context::{item_date, note_tags};
use super::pattern::Part;
use crate::markdown::escape;
use crate::site::Site;

/// How many notes "Recent notes" lists.
const RECENT_NOTES: usize = 8;

/// The built-in templates of `templates/parts/`, ready to fill in.
pub struct Parts {
    recent_note: Part,
    toc_entry: Part,
    backlink: Part,
    breadcrumb: Part,
    tag: Part,
    note_item: Part,
    note_item_tag: Part,
    date: Part,
    contributors: Part,
    history_link: Part,
}

/// Each part: its name in `templates/parts/`, the values it is filled with in their order, and which of them are
/// optional (tested for being empty).
const PARTS: [(&str, &[&str], &[&str]); 10] = [
    ("recent_note", &["url", "title", "date", "display"], &[]),
    ("toc_entry", &["depth", "id", "text"], &[]),
    ("backlink", &["url", "title", "context"], &["context"]),
    ("breadcrumb", &["url", "title"], &[]),
    ("tag", &["base_path", "url", "name"], &[]),
    ("note_item", &["url", "title", "date", "description", "tags_html"], &["date", "description", "tags_html"]),
    ("note_item_tag", &["base_path", "url", "name"], &[]),
    ("date", &["label", "iso", "display"], &[]),
    ("contributors", &["label", "names_html"], &[]),
    ("history_link", &["url", "label", "edited"], &[]),
];

impl Parts {
    /// The parts of `tera`, which holds the built-in templates only.
    pub(super) fn new(tera: &Tera) -> Parts {
        let part = |name: &str| {
            let (_, fields, optional) = PARTS.iter().find(|(part, _, _)| *part == name).expect("a part of PARTS");
            Part::new(tera, &format!("parts/{name}.html"), fields, optional)
                .unwrap_or_else(|| panic!("the built-in part `{name}` prints its values as they are"))
        };
        Parts {
            recent_note: part("recent_note"),
            toc_entry: part("toc_entry"),
            backlink: part("backlink"),
            breadcrumb: part("breadcrumb"),
            tag: part("tag"),
            note_item: part("note_item"),
            note_item_tag: part("note_item_tag"),
            date: part("date"),
            contributors: part("contributors"),
            history_link: part("history_link"),
        }
    }

    /// The notes changed last, newest first, for every page's "Recent notes".
    pub(super) fn recent_html(&self, site: &Site) -> String {
        let mut dated: Vec<(chrono::DateTime<chrono::FixedOffset>, usize)> =
            site.published_notes().filter_map(|i| site.dates[i].latest().map(|d| (d, i))).collect();
        let newest = dated.len().min(RECENT_NOTES);
        if newest == 0 {
            return String::new();
        }
        dated.select_nth_unstable_by(newest - 1, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        dated.truncate(newest);
        dated.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut html = String::new();
        for (date, i) in dated {
            let (iso, display) = (date.format("%Y-%m-%d").to_string(), date.format("%-d %b %Y").to_string());
            self.recent_note.fill_into(&mut html, &[site.note_url(i), site.notes[i].title(), &iso, &display]);
        }
        html
    }

    /// The entries of the table of contents, as (depth, id, text). Like Hugo's `.TableOfContents`, it saves
    /// templates a loop.
    pub(super) fn toc_html<'t>(&self, entries: impl Iterator<Item = (u8, &'t str, &'t str)>) -> String {
        let mut html = String::new();
        for (depth, id, text) in entries {
            self.toc_entry.fill_into(&mut html, &[&depth.to_string(), id, text]);
        }
        html
    }

    /// The backlinks, as (title, url, context HTML); empty when there are none.
    pub(super) fn backlinks_html<'b>(&self, links: impl Iterator<Item = (&'b str, &'b str, &'b str)>) -> String {
        let mut html = String::new();
        for (title, url, context) in links {
            // The context is HTML already (page::context_html escapes the note's text).
            self.backlink.fill_into(&mut html, &[url, title, context]);
        }
        html
    }

    /// The breadcrumbs (`{ title, url }`).
    pub(super) fn breadcrumbs_html(&self, crumbs: &[Value]) -> String {
        let mut html = String::new();
        for crumb in crumbs {
            let value = |field: &str| crumb[field].as_str().unwrap_or_default();
            self.breadcrumb.fill_into(&mut html, &[value("url"), value("title")]);
        }
        html
    }

    /// The tags of a note's page.
    pub(super) fn tags_html<'t>(&self, site: &Site, tags: impl Iterator<Item = &'t crate::site::Tag>) -> String {
        let mut html = String::new();
        for tag in tags {
            self.tag.fill_into(&mut html, &[&site.base_path, &tag.url, &tag.name]);
        }
        html
    }

    /// A note of a list page, with its tags or without.
    pub(super) fn item_html(&self, site: &Site, i: usize, with_tags: bool) -> String {
        let note = &site.notes[i];
        let mut tags = String::new();
        if with_tags {
            for tag in note_tags(site, i) {
                self.note_item_tag.fill_into(&mut tags, &[&site.base_path, &tag.url, &tag.name]);
            }
        }
        let description = note.meta.description.as_deref().unwrap_or_default();
        let mut html = String::new();
        self.note_item.fill_into(&mut html, &[site.note_url(i), note.title(), &item_date(site, i), description, &tags]);
        html
    }

    /// The note's dates, then its last edit and contributors from the history, and a link to its history views
    /// (`history`, their URL) where the site has them.
    pub(super) fn dates_html(
        &self,
        config: &Config,
        dates: &crate::site::Dates,
        authors: &[String],
        history: Option<&str>,
    ) -> String {
        let mut html = String::new();
        let word = |key| super::strings::text(config, key);
        let labelled =
            [(word("published"), dates.date), (word("created"), dates.created), (word("updated"), dates.updated)];
        for (label, date) in labelled.into_iter().chain([(word("edited"), dates.edited)]) {
            if let Some(d) = date {
                self.date.fill_into(&mut html, &[label, &d.to_rfc3339(), &d.format("%Y-%m-%d").to_string()]);
            }
        }
        if !authors.is_empty() {
            let label = word(if authors.len() > 1 { "contributors" } else { "contributor" });
            let names: Vec<String> = authors
                .iter()
                .map(|name| match history {
                    // With the history views, each name leads to the author's page.
                    Some(_) => format!(
                        "<a class=\"author\" href=\"{}\">{}</a>",
                        escape(&crate::render::history::author_url(&config.base_path(), name)),
                        escape(name)
                    ),
                    None => escape(name),
                })
                .collect();
            self.contributors.fill_into(&mut html, &[label, &names.join(", ")]);
        }
        if let Some(url) = history {
            let edited = dates.edited.map(|d| d.timestamp().to_string()).unwrap_or_default();
            self.history_link.fill_into(&mut html, &[url, word("history"), &edited]);
        }
        html
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::templates::{escape_html, TEMPLATES};

    /// Every part, with every combination of its optional values set or empty and values that need escaping,
    /// filled in as Tera renders it.
    #[test]
    fn a_part_filled_in_is_what_tera_renders() {
        let mut tera = Tera::default();
        tera.set_escape_fn(escape_html);
        tera.add_raw_templates(TEMPLATES.iter().copied()).unwrap();
        for (name, fields, optional) in PARTS {
            let template = format!("parts/{name}.html");
            let part = Part::new(&tera, &template, fields, optional).unwrap();
            for variant in 0..1usize << optional.len() {
                let values: Vec<String> = fields
                    .iter()
                    .map(|field| match optional.iter().position(|o| o == field) {
                        Some(bit) if variant & (1 << bit) == 0 => String::new(),
                        _ => format!("<{field}> & \"{field}\" 'é'"),
                    })
                    .collect();
                let context: serde_json::Map<String, Value> =
                    fields.iter().zip(&values).map(|(f, v)| (f.to_string(), v.as_str().into())).collect();
                let rendered = tera.render(&template, &tera::Context::from_value(context.into()).unwrap()).unwrap();
                let mut filled = String::from("before");
                part.fill_into(&mut filled, &values.iter().map(String::as_str).collect::<Vec<_>>());
                assert_eq!(filled, format!("before{rendered}"), "{name}, variant {variant}");
                assert!(
                    rendered.starts_with("\n ") && rendered.ends_with('>'),
                    "{name}: one entry on a line of its own"
                );
            }
        }
    }
}
