//! A copy of Loam's `src/render/pattern.rs` (Pattern and Part), minus Loam's Renderer plumbing: the page is
//! rendered once by Tera with markers in place of its values, then filled in per page.

use pulldown_cmark_escape::escape_html;
use serde_json::Value;
use tera::Tera;

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
/// its optional values being empty or not.
pub struct Part {
    patterns: Vec<Pattern>,
    optional: Vec<usize>,
}

impl Part {
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

    pub fn fill_into(&self, out: &mut String, values: &[&str]) {
        let variant = self
            .optional
            .iter()
            .enumerate()
            .fold(0, |variant, (bit, &index)| variant | (usize::from(!values[index].is_empty()) << bit));
        self.patterns[variant].fill_into(out, values);
    }
}

/// The values of the built-in note page, in the order of their markers.
pub const NOTE_VALUES: usize = 9;
