//! Frontmatter merged as data: what two or more authors did to a note's YAML at once, merged key by key, and
//! written back as YAML in the note's own style. Automerge merges a note's text character by character, which
//! is right for prose and wrong for YAML: two authors adding the first `tags:` give the key twice (YAML that no
//! reader accepts, so the note leaves the site), and an edit of a flow list (`[a, b]`) merged with an editor's
//! rewrite of it as a block list gives a bogus item. Here each side is read as a mapping and merged with the
//! version both started from:
//!
//! - keys as a map: a key one side added or changed is kept; one side's removal stands unless another changed it;
//! - lists as sets that keep their order: every item any side added, none that a side removed;
//! - mappings key by key, the same way;
//! - anything else (a title, a date) by the side that changed last; the other stays in the history.
//!
//! The result is written in the style of the side that changed last: its entries untouched where their values
//! stand, a changed list written as it wrote lists (flow or block, its indent), a key only another side has in
//! that side's style. Pure: texts in, text out.
//!
//! ```
//! use loam::note::merge_frontmatter;
//! let base = "title: Soil\n";
//! let ada = "title: Soil\ntags: [compost]\n";
//! let bo = "title: Soil\ntags:\n  - worms\n";
//! let merged = merge_frontmatter(Some(base), &[ada, bo]).unwrap();
//! assert_eq!(merged.yaml, "title: Soil\ntags:\n  - worms\n  - compost\n");
//! assert_eq!(merged.keys, ["tags"]);
//! ```

use serde_yaml::{Mapping, Value};

/// Frontmatter merged from several sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The YAML, without its `---` fences, ending in a newline (empty when no key is left).
    pub yaml: String,
    /// The top-level keys more than one side changed, in the order they are written: what the merge decided.
    pub keys: Vec<String>,
}

/// Merges the frontmatter `sides` (YAML without fences, oldest change first) that each began from `base` (`None`:
/// the note had none, or its frontmatter could not be read). `None` when a side is not a mapping of keys (YAML a
/// person is still typing, say): then nothing is decided for them and the text stays as Automerge merged it.
pub fn merge(base: Option<&str>, sides: &[&str]) -> Option<Merged> {
    let base = base.and_then(|yaml| read(yaml).map(|(_, map)| map));
    let read_sides: Vec<(Vec<Entry>, Mapping)> = sides.iter().map(|yaml| read(yaml)).collect::<Option<_>>()?;
    let maps: Vec<Option<&Mapping>> = read_sides.iter().map(|(_, map)| Some(map)).collect();
    let merged = merge_map(base.as_ref(), &maps);
    let keys = contested(base.as_ref(), &maps, &merged);
    let (latest_entries, latest) = read_sides.last()?;
    let others: Vec<&Vec<Entry>> = read_sides.iter().rev().skip(1).map(|(entries, _)| entries).collect();
    let yaml = write(latest_entries, latest, &others, &merged);
    // What is written must read back as what was merged; if this writer ever fails at that, serde_yaml's own
    // style is still valid YAML holding every key.
    let yaml = if read(&yaml).is_some_and(|(_, map)| map == merged) {
        yaml
    } else if merged.is_empty() {
        String::new()
    } else {
        let plain = serde_yaml::to_string(&merged).ok()?;
        read(&plain).filter(|(_, map)| *map == merged)?;
        plain
    };
    let keys = keys.iter().map(key_name).collect();
    Some(Merged { yaml, keys })
}

/// One top-level entry of frontmatter as written: its key (`None` for comments and blank lines before the first
/// key) and its lines, ending in a newline.
#[derive(Debug)]
struct Entry {
    key: Option<Value>,
    value: Value,
    text: String,
}

/// Frontmatter read as its entries and as the mapping they make. A key written twice (which YAML forbids, and
/// which an earlier merge of text may have made) is read as one, its values merged as two sides' would be.
fn read(yaml: &str) -> Option<(Vec<Entry>, Mapping)> {
    let mut entries: Vec<Entry> = Vec::new();
    for line in yaml.split_inclusive('\n') {
        let starts_key = line.starts_with(|c: char| !matches!(c, ' ' | '\t' | '#' | '-' | '\n' | '\r'));
        match entries.last_mut() {
            Some(entry) if !starts_key => entry.text.push_str(line),
            _ => entries.push(Entry { key: None, value: Value::Null, text: line.to_string() }),
        }
    }
    if let Some(last) = entries.last_mut().filter(|entry| !entry.text.ends_with('\n')) {
        last.text.push('\n');
    }
    let mut map = Mapping::new();
    for entry in &mut entries {
        let Value::Mapping(one) = serde_yaml::from_str::<Value>(&entry.text).ok()? else {
            // Comments and blank lines only: a mapping of nothing.
            if serde_yaml::from_str::<Value>(&entry.text).ok()? == Value::Null && entry.key.is_none() {
                continue;
            }
            return None;
        };
        let mut pairs = one.into_iter();
        let (key, value) = pairs.next()?;
        if pairs.next().is_some() {
            return None;
        }
        let merged = match (map.get(&key), &value) {
            // Lists in the order they are written; of two scalars the later, as YAML readers that allow this take.
            (Some(first), Value::Sequence(_)) if first.is_sequence() || is_item(first) => {
                Value::Sequence(merge_list(None, &[&value, first]))
            }
            (Some(first), _) => merge_value(None, &[Some(first), Some(&value)])?,
            (None, _) => value.clone(),
        };
        map.insert(key.clone(), merged);
        entry.key = Some(key);
        entry.value = value;
    }
    Some((entries, map))
}

/// The mappings `sides` merged, each begun from `base`: keys in the order of the latest side, then those only
/// earlier sides have (latest first), then those only the base had.
fn merge_map(base: Option<&Mapping>, sides: &[Option<&Mapping>]) -> Mapping {
    let mut keys: Vec<&Value> = Vec::new();
    for map in sides.iter().rev().flatten().chain(base.iter()) {
        for key in map.keys() {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    let mut out = Mapping::new();
    for key in keys {
        let values: Vec<Option<&Value>> = sides.iter().map(|side| side.and_then(|map| map.get(key))).collect();
        if let Some(value) = merge_value(base.and_then(|map| map.get(key)), &values) {
            out.insert(key.clone(), value);
        }
    }
    out
}

/// One key's value merged: `None` when it is to be gone. `sides` are oldest first.
fn merge_value(base: Option<&Value>, sides: &[Option<&Value>]) -> Option<Value> {
    let changed: Vec<Option<&Value>> = sides.iter().copied().filter(|value| *value != base).collect();
    let Some(first) = changed.first() else { return base.cloned() };
    if changed.iter().all(|value| value == first) {
        return first.cloned();
    }
    // A removal gives way to a change: the words someone wrote are kept.
    let present: Vec<&Value> = changed.iter().copied().flatten().collect();
    if present.iter().all(|value| value.is_sequence() || is_item(value)) && present.iter().any(|v| v.is_sequence()) {
        return Some(Value::Sequence(merge_list(base, &present)));
    }
    if present.iter().all(|value| value.is_mapping()) {
        let maps: Vec<Option<&Mapping>> = present.iter().map(|value| value.as_mapping()).collect();
        return Some(Value::Mapping(merge_map(base.and_then(Value::as_mapping), &maps)));
    }
    present.last().map(|value| (*value).clone())
}

/// A value a list can take as one item when one side wrote `tags: a` and another `tags: [b]`.
fn is_item(value: &Value) -> bool {
    matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// Lists merged as sets keeping order: the latest side's items in its order, then what earlier sides added;
/// none that a side removed from the base.
fn merge_list(base: Option<&Value>, present: &[&Value]) -> Vec<Value> {
    let items = |value: &Value| -> Vec<Value> {
        match value {
            Value::Sequence(items) => items.clone(),
            Value::Null => Vec::new(),
            other => vec![other.clone()],
        }
    };
    let base = base.map(items).unwrap_or_default();
    let sides: Vec<Vec<Value>> = present.iter().map(|value| items(value)).collect();
    let mut out: Vec<Value> = Vec::new();
    for item in sides.iter().rev().flatten() {
        let removed = base.contains(item) && sides.iter().any(|side| !side.contains(item));
        if !removed && !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

/// The top-level keys whose merged value is not simply one side's change: more than one side changed them.
fn contested(base: Option<&Mapping>, sides: &[Option<&Mapping>], merged: &Mapping) -> Vec<Value> {
    let mut keys: Vec<&Value> = merged.keys().collect();
    keys.extend(base.into_iter().flat_map(|map| map.keys()).filter(|key| !merged.contains_key(*key)));
    keys.into_iter()
        .filter(|key| {
            let base = base.and_then(|map| map.get(*key));
            let changes = sides.iter().filter(|side| side.and_then(|map| map.get(*key)) != base).count();
            changes > 1
        })
        .cloned()
        .collect()
}

fn key_name(key: &Value) -> String {
    match key {
        Value::String(key) => key.clone(),
        other => serde_yaml::to_string(other).unwrap_or_default().trim_end().to_string(),
    }
}

/// The merged mapping written over the latest side's entries: an entry whose value stands is kept as written, a
/// changed one is written in its style, a key written twice once, and keys only earlier sides have follow in
/// the style those sides wrote them in.
fn write(entries: &[Entry], latest: &Mapping, others: &[&Vec<Entry>], merged: &Mapping) -> String {
    let mut out = String::new();
    let mut written: Vec<&Value> = Vec::new();
    for entry in entries {
        let Some(key) = &entry.key else {
            out.push_str(&entry.text);
            continue;
        };
        let Some(value) = merged.get(key) else { continue };
        if written.contains(&key) {
            continue;
        }
        written.push(key);
        if latest.get(key) == Some(value) && entry.value == *value {
            out.push_str(&entry.text);
        } else {
            out.push_str(&write_entry(entry, value));
        }
    }
    for (key, value) in merged {
        if written.contains(&key) {
            continue;
        }
        written.push(key);
        let styled = others.iter().flat_map(|entries| entries.iter()).find(|entry| entry.key.as_ref() == Some(key));
        match styled {
            Some(entry) if entry.value == *value => out.push_str(&entry.text),
            Some(entry) => out.push_str(&write_entry(entry, value)),
            None => out.push_str(&plain_entry(key, value)),
        }
    }
    out
}

/// How an entry writes a list.
enum ListStyle {
    /// `key: [a, b]`
    Flow,
    /// `key:` then `- a` lines, each after this indent.
    Block(String),
}

/// `value` written as `entry`'s key with `entry`'s style of writing it.
fn write_entry(entry: &Entry, value: &Value) -> String {
    let first = entry.text.lines().next().unwrap_or_default();
    let Some(colon) = key_end(first) else { return plain_entry(entry.key.as_ref().unwrap_or(&Value::Null), value) };
    let key = &first[..colon];
    let rest = first[colon + 1..].trim();
    let style = if rest.starts_with('[') {
        Some(ListStyle::Flow)
    } else {
        let item = entry.text.lines().skip(1).find(|line| line.trim_start().starts_with('-'));
        let indent = item.map(|line| line[..line.len() - line.trim_start().len()].to_string());
        match (rest.is_empty() || rest.starts_with('#'), indent) {
            (true, Some(indent)) => Some(ListStyle::Block(indent)),
            _ => None,
        }
    };
    match value {
        Value::Sequence(items) if items.iter().all(is_item) => {
            match style.unwrap_or_else(|| ListStyle::Block("  ".into())) {
                _ if items.is_empty() => format!("{key}: []\n"),
                ListStyle::Flow => {
                    let items: Option<Vec<String>> = items.iter().map(flow_item).collect();
                    match items {
                        Some(items) => format!("{key}: [{}]\n", items.join(", ")),
                        None => plain_entry(entry.key.as_ref().unwrap_or(&Value::Null), value),
                    }
                }
                ListStyle::Block(indent) => {
                    let mut out = format!("{key}:\n");
                    for item in items {
                        match block_item(item) {
                            Some(item) => out.push_str(&format!("{indent}- {item}\n")),
                            None => return plain_entry(entry.key.as_ref().unwrap_or(&Value::Null), value),
                        }
                    }
                    out
                }
            }
        }
        Value::Null => format!("{key}:\n"),
        scalar if is_item(scalar) => match block_item(scalar) {
            Some(text) => format!("{key}: {text}\n"),
            None => plain_entry(entry.key.as_ref().unwrap_or(&Value::Null), value),
        },
        _ => plain_entry(entry.key.as_ref().unwrap_or(&Value::Null), value),
    }
}

/// Where a key line's key ends: the colon after the key (past a quoted key's quotes).
fn key_end(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut at = 0;
    if let Some(&quote @ (b'"' | b'\'')) = bytes.first() {
        at = 1 + line[1..].find(quote as char)? + 1;
    }
    while at < bytes.len() {
        if bytes[at] == b':' && bytes.get(at + 1).is_none_or(|next| matches!(next, b' ' | b'\t')) {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// One entry as serde_yaml writes it (block style): for values this writer has no style for.
fn plain_entry(key: &Value, value: &Value) -> String {
    let mut one = Mapping::new();
    one.insert(key.clone(), value.clone());
    serde_yaml::to_string(&one).unwrap_or_default()
}

/// A scalar as one line of block YAML (serde_yaml's quoting where it needs any); `None` when it takes more lines.
fn block_item(value: &Value) -> Option<String> {
    let text = serde_yaml::to_string(value).ok()?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    if text.contains('\n') || text.starts_with('|') || text.starts_with('>') {
        return match value {
            Value::String(s) => serde_json::to_string(s).ok(),
            _ => None,
        };
    }
    Some(text.to_string())
}

/// A scalar as an item of a flow list: quoted when it holds what a flow list reads as syntax.
fn flow_item(value: &Value) -> Option<String> {
    let plain = block_item(value)?;
    match value {
        Value::String(s) if plain == *s && s.contains([',', '[', ']', '{', '}', '#', '"', '\'']) => {
            serde_json::to_string(s).ok()
        }
        _ => Some(plain),
    }
}

#[cfg(test)]
mod tests;
