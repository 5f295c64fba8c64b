//! A page rendered once by Tera with markers in place of its values, then filled in for each page that differs
//! only in those values: the built-in note and alias pages, and the entries of lists that come as ready HTML
//! ([`Part`]). Only for built-in templates, whose use of each value is known: a value is printed (escaped or
//! `| safe`) or tested for being empty, never transformed. Tests render pages both ways and compare the bytes.
//! Pure.

use pulldown_cmark_escape::escape_html;
use rayon::prelude::*;
use serde_json::{json, Value};
use tera::Tera;

use super::context::object;
use super::Renderer;

/// The marker for value `index`. Its `&` tells, in the rendered text, whether Tera escaped the value there.
pub fn marker(index: usize) -> String {
    format!("\0{index}&\0")
}

/// A marker for values the built-in templates never print: if one shows up, the pattern is refused.
pub const POISON: &str = "\0!\0";

enum Piece {
    Text(String),
    Value { index: usize, escaped: bool },
}

pub struct Pattern {
    pieces: Vec<Piece>,
}

impl Pattern {
    /// Reads Tera's output; `None` if it holds anything but text and markers for values below `values`.
    pub fn parse(rendered: &str, values: usize) -> Option<Pattern> {
        let mut pieces = Vec::new();
        for (n, part) in rendered.split('\0').enumerate() {
            if n % 2 == 0 {
                pieces.push(Piece::Text(part.to_string()));
                continue;
            }
            let (index, escaped) = match (part.strip_suffix("&amp;"), part.strip_suffix('&')) {
                (Some(index), _) => (index, true),
                (None, Some(index)) => (index, false),
                _ => return None,
            };
            let index: usize = index.parse().ok().filter(|&i| i < values)?;
            pieces.push(Piece::Value { index, escaped });
        }
        // An odd number of NULs would leave a marker open.
        (pieces.len() % 2 == 1).then_some(Pattern { pieces })
    }

    /// The page with `values[i]` in place of marker `i`, escaped where Tera would have escaped it.
    pub fn fill(&self, values: &[&str]) -> Vec<u8> {
        let size = self.pieces.iter().map(|p| if let Piece::Text(t) = p { t.len() } else { 0 }).sum::<usize>()
            + values.iter().map(|v| v.len()).sum::<usize>();
        let mut out = String::with_capacity(size + size / 8);
        self.fill_into(&mut out, values);
        out.into_bytes()
    }

    /// [`Pattern::fill`], onto the end of `out`.
    pub fn fill_into(&self, out: &mut String, values: &[&str]) {
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Value { index, escaped: true } => {
                    let _ = escape_html(&mut *out, values[*index]);
                }
                Piece::Value { index, escaped: false } => out.push_str(values[*index]),
            }
        }
    }
}

/// A small built-in template for one entry of a list (`templates/parts/`), rendered once for each combination of
/// its optional values being empty or not (a part only tests those for being empty): an entry then costs a copy
/// of its text and values, as if the markup were written in Rust, and the markup stays in the template.
pub struct Part {
    /// By the bits of which optional values are set, the first optional value the lowest bit.
    patterns: Vec<Pattern>,
    /// The indexes of the optional values.
    optional: Vec<usize>,
}

impl Part {
    /// Renders template `name` of `tera` with a marker for each of `fields` (the values, in the order
    /// [`Part::fill_into`] takes them), for each combination of the `optional` ones being set; `None` if a
    /// rendering fails or does more with a value than print it.
    pub fn new(tera: &Tera, name: &str, fields: &[&str], optional: &[&str]) -> Option<Part> {
        let optional: Vec<usize> =
            optional.iter().map(|o| fields.iter().position(|f| f == o)).collect::<Option<_>>()?;
        let patterns = (0..1usize << optional.len())
            .map(|variant| {
                let value = |index: usize| match optional.iter().position(|&o| o == index) {
                    Some(bit) if variant & (1 << bit) == 0 => String::new(),
                    _ => marker(index),
                };
                let context: serde_json::Map<String, Value> =
                    fields.iter().enumerate().map(|(index, field)| (field.to_string(), value(index).into())).collect();
                let context = tera::Context::from_value(Value::Object(context)).ok()?;
                Pattern::parse(&tera.render(name, &context).ok()?, fields.len())
            })
            .collect::<Option<_>>()?;
        Some(Part { patterns, optional })
    }

    /// The entry with `values[i]` in place of field `i`, onto the end of `out`.
    pub fn fill_into(&self, out: &mut String, values: &[&str]) {
        let variant = self
            .optional
            .iter()
            .enumerate()
            .fold(0, |variant, (bit, &index)| variant | (usize::from(!values[index].is_empty()) << bit));
        self.patterns[variant].fill_into(out, values);
    }
}

/// The built-in alias page with markers for its three values (target URL, title, canonical URL): alias pages
/// differ only in those, and rendering ten thousand of them through Tera cost more than everything else about
/// them.
pub(super) fn alias_pattern(renderer: &Renderer) -> Option<Pattern> {
    let alias = json!({ "target_url": marker(0), "target_title": marker(1), "canonical": marker(2) });
    let context = renderer.context(POISON, object([("alias", alias)]));
    Pattern::parse(std::str::from_utf8(&renderer.templates.render("alias.html", context).ok()?).ok()?, 3)
}

/// The values of the built-in note page, in the order of their markers.
pub(super) const NOTE_VALUES: usize = 12;

/// The built-in note page for each combination of what its conditions test (see [`NoteParts::variant`]), with
/// markers for its values: a note page then costs a copy of its parts instead of a Tera render.
pub(super) fn note_patterns(renderer: &Renderer) -> Option<Vec<Pattern>> {
    (0..128u8)
        .into_par_iter()
        .map(|variant| {
            let has = |bit: u8| variant & (1 << bit) != 0;
            let value = |bit: u8, index: usize| if has(bit) { marker(index) } else { String::new() };
            let note = object([
                ("title", marker(0).into()),
                ("description", value(0, 1).into()),
                ("url", marker(2).into()),
                ("breadcrumbs_html", marker(3).into()),
                ("dates_html", value(1, 4).into()),
                ("tags_html", value(2, 5).into()),
                ("toc", Value::Array(if has(3) { vec![Value::Null; 2] } else { Vec::new() })),
                ("toc_html", marker(6).into()),
                ("content", marker(7).into()),
                ("backlinks_html", value(4, 8).into()),
                ("lead", value(5, 9).into()),
                ("cssclasses", value(6, 10).into()),
                ("title_id_attr", marker(11).into()),
                // Values the built-in templates do not use: if one is printed, the pattern is refused.
                ("path", POISON.into()),
                ("tags", Value::Array(Vec::new())),
                ("created", Value::Null),
                ("updated", Value::Null),
                ("date", Value::Null),
                ("backlinks", Value::Array(Vec::new())),
                ("breadcrumbs", Value::Array(Vec::new())),
                ("extra", Value::Object(serde_json::Map::new())),
            ]);
            let context = renderer.context(POISON, object([("note", note)]));
            let rendered = renderer.templates.render("note.html", context).ok()?;
            Pattern::parse(std::str::from_utf8(&rendered).ok()?, NOTE_VALUES)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_escaped_or_not_are_filled_accordingly() {
        let rendered = format!("<a href=\"{}\">{}</a>", marker(0).replace('&', "&amp;"), marker(1));
        let pattern = Pattern::parse(&rendered, 2).unwrap();
        assert_eq!(pattern.fill(&["a&b", "<i>x</i>"]), b"<a href=\"a&amp;b\"><i>x</i></a>");
        assert!(Pattern::parse(&format!("x{POISON}y"), 2).is_none());
        assert!(Pattern::parse(&marker(2), 2).is_none());
        assert!(Pattern::parse("a\0b", 2).is_none());
    }
}
