//! The YAML frontmatter of a note, read leniently where nothing is at stake: Obsidian users write `tags: a, b`,
//! `tags: [a]`, a list, or a single word, and dates as strings or YAML timestamps. `publish` and `draft` are
//! read strictly, because they decide what leaves the garden: only `true` and `false` count, and anything else
//! is unclear, which no publishing rule reads as a yes. Pure.

use serde_yaml::{Mapping, Value};

mod merge;
pub use merge::{merge, Merged};

use crate::diagnostic::Severity;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frontmatter {
    pub title: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub aliases: Vec<String>,
    pub date: Option<String>,
    pub created: Option<String>,
    pub updated: Option<String>,
    pub publish: Option<Flag>,
    pub draft: Option<Flag>,
    pub permalink: Option<String>,
    /// `cssclasses` (or the older `cssclass`): classes for the page's element, as Obsidian gives them to the note's
    /// view, so that a vault's own CSS snippets style the published page too.
    pub cssclasses: Vec<String>,
    /// Every other key, for templates.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// What a `publish` or `draft` key says. `Unclear` is anything but a plain true or false (`yes`, `off`, `1`, an
/// empty value, a list): the writer meant something, and guessing what could publish a private note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    True,
    False,
    Unclear,
}

/// Something wrong with one key, which does not stop the rest from being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line within the YAML (the line after the opening `---` is 1).
    pub line: usize,
    pub severity: Severity,
    pub message: String,
    /// What the author can do about it.
    pub hint: String,
}

/// Frontmatter that cannot be read at all, so none of its keys can be trusted (its `publish: false` may be in
/// the part that cannot be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// 1-based line and column within the YAML, 0 when unknown.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The forms `date`, `created` and `updated` are read in (see [`parse_date`]).
const DATE_FORMS: &str = "`2024-01-31`, `2024-01-31 14:05`, `2024-01-31T14:05:00` or `2024-01-31T14:05:00+02:00`";

impl Frontmatter {
    pub fn parse(yaml: &str) -> Result<(Frontmatter, Vec<Problem>), Unreadable> {
        let mut meta = Frontmatter::default();
        let mut problems = Vec::new();
        if yaml.trim().is_empty() {
            return Ok((meta, problems));
        }
        let value: Value = serde_yaml::from_str(yaml).map_err(|error| {
            let (line, column) = error.location().map_or((0, 0), |l| (l.line(), l.column()));
            Unreadable { line, column, message: strip_location(&error.to_string()) }
        })?;
        let map = match value {
            Value::Mapping(map) => map,
            Value::Null => Mapping::new(),
            _ => {
                return Err(Unreadable {
                    line: 1,
                    column: 0,
                    message: "the frontmatter is not a set of `key: value` lines".into(),
                })
            }
        };
        for (key, value) in map {
            let Some(key) = key.as_str().map(str::to_string) else {
                continue;
            };
            let line = line_of(yaml, &key);
            let mut warn = |what: String, hint: String| {
                problems.push(Problem { line, severity: Severity::Warning, message: format!("`{key}` {what}"), hint })
            };
            match key.as_str() {
                "title" => {
                    meta.title = scalar(&value);
                    if meta.title.is_none() && !is_empty(&value) {
                        warn(
                            format!("should be text, not {}; the file name is used", shown_value(&value)),
                            "write the title as text, like `title: My note`".into(),
                        );
                    }
                }
                "description" | "summary" if meta.description.is_none() => meta.description = scalar(&value),
                "tags" | "tag" => meta.tags.extend(list(&value)),
                "aliases" | "alias" => meta.aliases.extend(list_keep_spaces(&value)),
                "date" | "created" | "updated" | "modified" | "lastmod" => {
                    let text = scalar(&value);
                    let unreadable = match &text {
                        Some(date) => parse_date(date).is_none(),
                        None => !is_empty(&value),
                    };
                    if unreadable {
                        warn(
                            format!("is {}, which is not a date; it is left out", shown_value(&value)),
                            format!("write a date like {DATE_FORMS}"),
                        );
                    }
                    match key.as_str() {
                        "date" => meta.date = text,
                        "created" => meta.created = text,
                        _ => meta.updated = text,
                    }
                }
                // `permalink: ""` (an empty string, not an empty value) is the home page, as `permalink: /` is.
                "permalink" => {
                    meta.permalink = match &value {
                        Value::String(text) if text.trim().is_empty() => Some("/".into()),
                        _ => scalar(&value),
                    }
                }
                "cssclasses" | "cssclass" => {
                    let names = list(&value)
                        .into_iter()
                        .flat_map(|names| names.split_whitespace().map(str::to_string).collect::<Vec<_>>());
                    for name in names {
                        if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
                            meta.cssclasses.push(name);
                        } else {
                            warn(
                                format!("names `{}`, which is not a class name; it is left out", name.escape_debug()),
                                "use letters, digits, `-` and `_` in class names".into(),
                            );
                        }
                    }
                }
                _ if key.eq_ignore_ascii_case("publish") || key.eq_ignore_ascii_case("draft") => {
                    let name = key.to_ascii_lowercase();
                    let read = if key == name { flag_of(&value) } else { Flag::Unclear };
                    let flag = if name == "draft" { &mut meta.draft } else { &mut meta.publish };
                    // `publish` beside `Publish` (any other spelling is unclear) reads as unclear.
                    *flag = Some(if *flag == Some(Flag::Unclear) { Flag::Unclear } else { read });
                    if read == Flag::Unclear {
                        let message = if key == name {
                            format!("`{key}` is {}, which is neither true nor false", shown_value(&value))
                        } else {
                            format!("`{key}` is read only when written `{name}`")
                        };
                        problems.push(Problem {
                            line,
                            severity: Severity::Error,
                            message: format!("{message}; the note is not published"),
                            hint: format!(
                                "write `{name}: true` or `{name}: false` (words like yes, on, off and numbers are \
                                 not read as either)"
                            ),
                        });
                    }
                }
                _ => {
                    if let Ok(json) = serde_json::to_value(&value) {
                        meta.extra.insert(key, json);
                    }
                }
            }
        }
        Ok((meta, problems))
    }
}

/// The line a top-level `key:` is on, 1-based within the YAML; 1 when it cannot be found (a flow mapping such as
/// `{publish: off}`). Only lines at the mapping's own indentation count, so a nested `publish:` under another key
/// is not taken for the note's.
fn line_of(yaml: &str, key: &str) -> usize {
    let content = |line: &&str| !line.trim().is_empty() && !line.trim_start().starts_with('#');
    let indent = |line: &str| line.len() - line.trim_start().len();
    let Some(top) = yaml.lines().find(content).map(indent) else {
        return 1;
    };
    let forms = [format!("{key}:"), format!("\"{key}\":"), format!("'{key}':")];
    yaml.lines()
        .position(|line| indent(line) == top && forms.iter().any(|form| line[top..].starts_with(form.as_str())))
        .map_or(1, |i| i + 1)
}

/// Whether a value is empty (`title:`, `date: ""`): how Obsidian's property editor and note templates leave a
/// property not filled in yet, which is no mistake to warn about.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// A value as a message shows it: short text in backticks, or what kind of thing it is.
fn shown_value(value: &Value) -> String {
    match value {
        Value::Null => "empty".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::String(s) if s.trim().is_empty() => "empty".into(),
        Value::String(s) if s.chars().count() > 40 => format!("`{}…`", s.chars().take(40).collect::<String>()),
        Value::String(s) => format!("`{s}`"),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a set of keys".into(),
        Value::Tagged(tagged) => shown_value(&tagged.value),
    }
}

fn strip_location(message: &str) -> String {
    // serde_yaml appends " at line X column Y"; the note's parser prints the location itself, relative to the file.
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
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

/// `true` and `false` in any case, as YAML booleans or quoted: the only clear answers. YAML 1.1's `yes`, `on`,
/// `y` and their opposites are not, since YAML 1.2 (which Obsidian and serde_yaml follow) reads them as text.
fn flag_of(value: &Value) -> Flag {
    match value {
        Value::Bool(true) => Flag::True,
        Value::Bool(false) => Flag::False,
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Flag::True,
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Flag::False,
        Value::Tagged(tagged) => flag_of(&tagged.value),
        _ => Flag::Unclear,
    }
}

/// Reads the date forms people write in frontmatter: `2024-01-02`, `2024-01-02 10:30`, RFC 3339.
pub fn parse_date(text: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    let text = text.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(d);
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(d.and_utc().fixed_offset());
        }
    }
    let date_part = text.get(..10).unwrap_or(text);
    chrono::NaiveDate::parse_from_str(date_part, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().fixed_offset())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(yaml: &str) -> (Option<Flag>, Option<Flag>, Vec<Problem>) {
        let (meta, problems) = Frontmatter::parse(yaml).unwrap();
        (meta.publish, meta.draft, problems)
    }

    #[test]
    fn lenient_shapes() {
        let (m, w) =
            Frontmatter::parse("tags: component\naliases:\n  - A b\n  - B\npublish: false\ncustom: 3\n").unwrap();
        assert_eq!(m.tags, vec!["component"]);
        assert_eq!(m.aliases, vec!["A b", "B"]);
        assert_eq!(m.publish, Some(Flag::False));
        assert_eq!(m.extra["custom"], serde_json::json!(3));
        assert!(w.is_empty());
        let (m, _) = Frontmatter::parse("tags: [a, b/c]\ndate: 2024-01-02\n").unwrap();
        assert_eq!(m.tags, vec!["a", "b/c"]);
        assert_eq!(m.date.as_deref(), Some("2024-01-02"));
    }

    #[test]
    fn only_true_and_false_are_clear() {
        for (text, flag) in [
            ("true", Flag::True),
            ("True", Flag::True),
            ("TRUE", Flag::True),
            ("\"true\"", Flag::True),
            ("'TrUe'", Flag::True),
            ("!!bool true", Flag::True),
            ("false", Flag::False),
            ("False", Flag::False),
            ("\"false\"", Flag::False),
            ("\"FALSE\"", Flag::False),
        ] {
            for key in ["publish", "draft"] {
                let (publish, draft, problems) = flags(&format!("{key}: {text}\n"));
                assert_eq!(if key == "publish" { publish } else { draft }, Some(flag), "{key}: {text}");
                assert!(problems.is_empty(), "{key}: {text}: {problems:?}");
            }
        }
    }

    #[test]
    fn unclear_publish_and_draft_values_are_errors_on_their_line() {
        let unclear = [
            "off", "on", "0", "1", "n", "y", "yes", "no", "\"yes\"", "~", "", "null", "[false]", "[true]", "{a: 1}",
            "maybe", "\"\"", "tru",
        ];
        for text in unclear {
            for key in ["publish", "draft"] {
                let (publish, draft, problems) = flags(&format!("title: x\n# a comment\n{key}: {text}\ntags: a\n"));
                assert_eq!(if key == "publish" { publish } else { draft }, Some(Flag::Unclear), "{key}: {text}");
                assert_eq!(problems.len(), 1, "{key}: {text}: {problems:?}");
                let problem = &problems[0];
                assert_eq!((problem.line, problem.severity), (3, Severity::Error), "{key}: {text}");
                assert!(problem.message.contains("not published"), "{}", problem.message);
                assert!(problem.hint.contains(&format!("`{key}: true`")), "{}", problem.hint);
            }
        }
    }

    #[test]
    fn a_key_spelt_in_another_case_is_unclear() {
        let (publish, _, problems) = flags("Publish: false\n");
        assert_eq!(publish, Some(Flag::Unclear));
        assert!(problems[0].message.contains("`Publish` is read only when written `publish`"), "{problems:?}");
        // Beside the right spelling, the unclear one still wins, whichever comes first.
        assert_eq!(flags("publish: true\nPUBLISH: true\n").0, Some(Flag::Unclear));
        assert_eq!(flags("DRAFT: false\ndraft: false\n").1, Some(Flag::Unclear));
    }

    #[test]
    fn line_of_finds_top_level_keys_only() {
        let yaml = "extra:\n  publish: true\n\"publish\": off\n";
        assert_eq!(line_of(yaml, "publish"), 3);
        assert_eq!(line_of("  title: a\n  draft: 1\n", "draft"), 2);
        assert_eq!(line_of("{draft: 1}", "draft"), 1);
    }

    #[test]
    fn a_title_that_is_not_text_warns() {
        for text in ["[a, b]", "{a: 1}", "[]"] {
            let (meta, problems) = Frontmatter::parse(&format!("date: 2024-01-02\ntitle: {text}\n")).unwrap();
            assert_eq!(meta.title, None);
            assert_eq!(problems.len(), 1, "{text}: {problems:?}");
            assert_eq!((problems[0].line, problems[0].severity), (2, Severity::Warning));
            assert!(problems[0].message.starts_with("`title` should be text"), "{}", problems[0].message);
        }
        let (meta, problems) = Frontmatter::parse("title: 1984\n").unwrap();
        assert_eq!((meta.title.as_deref(), problems.len()), (Some("1984"), 0));
        // Left empty, as a note template or Obsidian's property editor leaves it: the file name, quietly.
        for empty in ["title:", "title: \"\"", "title: ~"] {
            let (meta, problems) = Frontmatter::parse(empty).unwrap();
            assert_eq!((meta.title, problems), (None, vec![]), "{empty}");
        }
    }

    #[test]
    fn a_date_that_cannot_be_read_warns_with_the_forms_it_can_take() {
        for key in ["date", "created", "updated", "modified"] {
            let (_, problems) = Frontmatter::parse(&format!("{key}: last tuesday\n")).unwrap();
            assert_eq!(problems.len(), 1, "{key}");
            assert!(problems[0].message.contains("`last tuesday`"), "{}", problems[0].message);
            assert!(problems[0].hint.contains("2024-01-31"), "{}", problems[0].hint);
        }
        let (_, problems) = Frontmatter::parse("date: [2024-01-02]\n").unwrap();
        assert!(problems[0].message.contains("is a list"), "{problems:?}");
        for fine in
            ["date:", "date: \"\"", "date: 2024-01-02", "date: 2024-01-02 10:30", "created: 2024-01-02T10:30:00+02:00"]
        {
            assert_eq!(Frontmatter::parse(fine).unwrap().1, vec![], "{fine}");
        }
    }

    #[test]
    fn frontmatter_that_is_not_keys_is_unreadable() {
        assert!(Frontmatter::parse("- publish: false\n").is_err());
        assert!(Frontmatter::parse("just words\n").is_err());
        let error = Frontmatter::parse("title: a\ntags: [a\n").unwrap_err();
        assert!(error.line >= 2, "{error:?}");
    }
}
