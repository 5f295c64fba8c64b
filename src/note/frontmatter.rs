//! The YAML frontmatter of a note, read leniently: Obsidian users write `tags: a, b`, `tags: [a]`, a list, or a
//! single word, and dates as strings or YAML timestamps. Pure.

use serde_yaml::{Mapping, Value};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frontmatter {
    pub title: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub aliases: Vec<String>,
    pub date: Option<String>,
    pub created: Option<String>,
    pub updated: Option<String>,
    pub publish: Option<bool>,
    pub draft: Option<bool>,
    pub permalink: Option<String>,
    /// Every other key, for templates.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A warning about one key: (0-based line within the YAML, message).
pub type Warning = (usize, String);

impl Frontmatter {
    pub fn parse(yaml: &str) -> Result<(Frontmatter, Vec<Warning>), serde_yaml::Error> {
        let mut meta = Frontmatter::default();
        let mut warnings = Vec::new();
        if yaml.trim().is_empty() {
            return Ok((meta, warnings));
        }
        let value: Value = serde_yaml::from_str(yaml)?;
        let map = match value {
            Value::Mapping(map) => map,
            Value::Null => Mapping::new(),
            _ => {
                warnings.push((0, "the frontmatter is not a set of `key: value` lines; it is ignored".into()));
                return Ok((meta, warnings));
            }
        };
        let line_of =
            |key: &str| yaml.lines().position(|l| l.trim_start().starts_with(&format!("{key}:"))).unwrap_or(0);
        for (key, value) in map {
            let Some(key) = key.as_str().map(str::to_string) else {
                continue;
            };
            let mut warn = |what: &str| warnings.push((line_of(&key), format!("`{key}` {what}")));
            match key.as_str() {
                "title" => meta.title = scalar(&value),
                "description" | "summary" if meta.description.is_none() => meta.description = scalar(&value),
                "tags" | "tag" => meta.tags.extend(list(&value)),
                "aliases" | "alias" => meta.aliases.extend(list_keep_spaces(&value)),
                "date" => meta.date = scalar(&value),
                "created" => meta.created = scalar(&value),
                "updated" | "modified" | "lastmod" => meta.updated = scalar(&value),
                "publish" => match boolean(&value) {
                    Some(b) => meta.publish = Some(b),
                    None => warn("should be true or false"),
                },
                "draft" => match boolean(&value) {
                    Some(b) => meta.draft = Some(b),
                    None => warn("should be true or false"),
                },
                "permalink" => meta.permalink = scalar(&value),
                _ => {
                    if let Ok(json) = serde_json::to_value(&value) {
                        meta.extra.insert(key, json);
                    }
                }
            }
        }
        Ok((meta, warnings))
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(tagged) => scalar(&tagged.value),
        _ => None,
    }
}

/// A list, or a single value with items separated by commas or spaces (`tags: a, b` and `tags: a b`).
fn list(value: &Value) -> Vec<String> {
    match value {
        Value::Sequence(items) => items.iter().filter_map(scalar).collect(),
        Value::String(s) => s
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        other => scalar(other).into_iter().collect(),
    }
}

/// Aliases are names with spaces: a single string is one alias, or several separated by commas.
fn list_keep_spaces(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => s.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect(),
        other => list(other),
    }
}

fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" => Some(true),
            "false" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_shapes() {
        let (m, w) =
            Frontmatter::parse("tags: component\naliases:\n  - A b\n  - B\npublish: false\ncustom: 3\n").unwrap();
        assert_eq!(m.tags, vec!["component"]);
        assert_eq!(m.aliases, vec!["A b", "B"]);
        assert_eq!(m.publish, Some(false));
        assert_eq!(m.extra["custom"], serde_json::json!(3));
        assert!(w.is_empty());
        let (m, _) = Frontmatter::parse("tags: [a, b/c]\ndate: 2024-01-02\n").unwrap();
        assert_eq!(m.tags, vec!["a", "b/c"]);
        assert_eq!(m.date.as_deref(), Some("2024-01-02"));
    }

    #[test]
    fn bad_publish_value_warns() {
        let (m, w) = Frontmatter::parse("title: x\npublish: maybe\n").unwrap();
        assert_eq!(m.publish, None);
        assert_eq!(w[0].0, 1);
    }
}
