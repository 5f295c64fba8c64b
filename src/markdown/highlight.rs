//! Fenced code blocks to HTML: highlighted at build time with syntect's grammars as `hl-` classed spans whose
//! colours live in `static/highlight.css` (written by [`stylesheet`]; a note's first highlighted block links it,
//! so that pages without code do not load it), and mermaid diagrams kept as their source for the client script.
//! Pure: text in, HTML out.
//!
//! A block in a language syntect knows becomes
//! `<pre class="code" data-lang="rust"><code class="language-rust"><span class="hl-source hl-rust">…</span></code></pre>`;
//! a `mermaid` block becomes `<pre class="mermaid">source</pre>`, which reads as text with JavaScript off.
//! Every other block is left to pulldown-cmark, as plain escaped text.

use std::sync::LazyLock;

use pulldown_cmark_escape::escape_html;
use syntect::highlighting::ThemeSet;
use syntect::html::{css_for_theme_with_class_style, ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

use super::escape;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// syntect highlights 300 to 450 KB of code a second on one core with its pure-Rust regexes and about twice that
/// with Oniguruma's, which Loam uses (Rust, JavaScript, shell; JSON and HTML faster), steadily, with no blow-up on
/// long lines or deep nesting, and its spans make the HTML 10 to 60 times the size of the code. A block past this size (a pasted log, a generated file) would hold
/// the build up for most of a second and weigh tens of megabytes, so it is written as plain text instead.
const MAX_HIGHLIGHTED_BYTES: usize = 256 * 1024;

/// The grammars, read once per process and only when a note has a fenced block with a language. They are never
/// changed after loading and every rendering thread shares them; each grammar compiles its regexes on first
/// use. Reading them per note would cost more than highlighting the note, hence the one static of the renderer.
static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// Names Markdown writers use that syntect knows by another token.
const ALIASES: &[(&str, &str)] = &[("shell", "sh"), ("csharp", "cs")];

/// What a fenced block turns into, when it is not left to pulldown-cmark.
pub(super) enum Fence {
    /// Source for mermaid.js.
    Mermaid,
    /// Code in a language syntect knows; `lang` is the first word of the info string, as written.
    Code { lang: String, syntax: &'static SyntaxReference },
}

/// What a fenced block's info string (`rust`, `py title="x"`, `rust,ignore`) asks for: `None` for no language,
/// or one syntect does not know (plain text included), which stay plain escaped text.
pub(super) fn fence(info: &str) -> Option<Fence> {
    // The word pulldown-cmark puts in `language-…`.
    let lang = info.split(' ').next().unwrap_or_default();
    if lang.is_empty() {
        return None;
    }
    if lang.eq_ignore_ascii_case("mermaid") {
        return Some(Fence::Mermaid);
    }
    // rustdoc's `rust,ignore` and the like name the language before the comma.
    let token = lang.split(',').next().unwrap_or(lang);
    let token = ALIASES.iter().find(|(alias, _)| alias.eq_ignore_ascii_case(token)).map_or(token, |(_, to)| to);
    let syntaxes: &'static SyntaxSet = &SYNTAXES;
    let syntax = syntaxes.find_syntax_by_token(token)?;
    // Spans saying "plain text" around every line are only weight.
    if syntax.name == "Plain Text" {
        return None;
    }
    Some(Fence::Code { lang: lang.to_string(), syntax })
}

/// The HTML of a fenced block whose [`fence`] was `Some`, given the block's text.
pub(super) fn write(fence: &Fence, code: &str) -> String {
    match fence {
        Fence::Mermaid => format!("<pre class=\"mermaid\">{}</pre>\n", escape(code)),
        Fence::Code { lang, syntax } => {
            let lang = escape(lang);
            let mut html = String::with_capacity(code.len() * 10 + 2 * lang.len() + 64);
            html.push_str("<pre class=\"code\" data-lang=\"");
            html.push_str(&lang);
            html.push_str("\"><code class=\"language-");
            html.push_str(&lang);
            html.push_str("\">");
            match highlight(code, syntax) {
                Some(spans) => html.push_str(&spans),
                None => {
                    let _ = escape_html(&mut html, code);
                }
            }
            html.push_str("</code></pre>\n");
            html
        }
    }
}

/// Classed spans for `code`, or `None` when it is too big to be worth it or a grammar fails on it.
fn highlight(code: &str, syntax: &SyntaxReference) -> Option<String> {
    if code.len() > MAX_HIGHLIGHTED_BYTES {
        return None;
    }
    // Grammars match `$` and `\n` at line ends; a `\r` before them would be read as part of the line.
    let normalised;
    let code = if code.contains('\r') {
        normalised = code.replace("\r\n", "\n");
        normalised.as_str()
    } else {
        code
    };
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, &SYNTAXES, CLASS_STYLE);
    for line in LinesWithEndings::from(code) {
        generator.parse_html_for_line_which_includes_newline(line).ok()?;
    }
    Some(generator.finalize())
}

/// The theme a page uses unless the reader or their system asks for dark.
pub const LIGHT_THEME: &str = "InspiredGitHub";
/// The theme under dark mode.
pub const DARK_THEME: &str = "base16-ocean.dark";

const BEGIN: &str =
    "/* Code highlighting (generated by examples/highlight_css.rs from syntect's themes; do not edit by hand) */";
const END: &str = "/* End of code highlighting */";

/// The colours of the `hl-` classes, as `static/highlight.css` holds them: [`LIGHT_THEME`] by default,
/// [`DARK_THEME`] under dark mode, scoped exactly as the palette at the top of the stylesheet is.
pub fn stylesheet() -> anyhow::Result<String> {
    stylesheet_with(LIGHT_THEME, DARK_THEME)
}

/// The names of the themes a garden can choose in `[highlight]` (syntect's own), sorted.
pub fn theme_names() -> Vec<String> {
    let mut names: Vec<String> = ThemeSet::load_defaults().themes.into_keys().collect();
    names.sort();
    names
}

/// [`stylesheet`] with the themes named `light` and `dark` (of [`theme_names`]; `[highlight]` in `loam.toml`),
/// each colour made readable on the code blocks' background as the built-in ones are.
pub fn stylesheet_with(light_theme: &str, dark_theme: &str) -> anyhow::Result<String> {
    // The live preview asks at every save: the last one made is kept.
    static LAST: std::sync::Mutex<Option<(String, String, String)>> = std::sync::Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((light, dark, css)) = last.as_ref() {
        if light == light_theme && dark == dark_theme {
            return Ok(css.clone());
        }
    }
    let css = make_stylesheet(light_theme, dark_theme)?;
    *last = Some((light_theme.to_string(), dark_theme.to_string(), css.clone()));
    Ok(css)
}

fn make_stylesheet(light_theme: &str, dark_theme: &str) -> anyhow::Result<String> {
    let themes = ThemeSet::load_defaults();
    let rules = |name: &str| -> anyhow::Result<Vec<Rule>> {
        let theme =
            themes.themes.get(name).ok_or_else(|| anyhow::anyhow!("no highlighting theme is named {name:?}"))?;
        Ok(rules(&css_for_theme_with_class_style(theme, CLASS_STYLE)?))
    };
    let (mut light, mut dark) = (rules(light_theme)?, rules(dark_theme)?);
    readable(&mut light, LIGHT_CODE_BG);
    readable(&mut dark, DARK_CODE_BG);
    let mut css = String::new();
    css.push_str(BEGIN);
    css.push('\n');
    css.push_str(&format!(
        "/* {light_theme} when the reader picked light, or picked nothing and the system is not dark; {dark_theme}\n\
         \x20* otherwise, as the palette at the top decides. Each theme is written for exactly the pages it applies\n\
         \x20* to, so none of its declarations (a bold keyword, the background of a diff line) shows through the\n\
         \x20* other. In the cascade layer of every Loam stylesheet (see style.css). Regenerate with\n\
         \x20* `cargo run --example highlight_css`. */\n@layer loam {{\n"
    ));
    write_rules(&mut css, &light, "html[data-theme=\"light\"]", "");
    css.push_str("@media not all and (prefers-color-scheme: dark) {\n");
    write_rules(&mut css, &light, ":root:not([data-theme=\"dark\"])", "  ");
    css.push_str("}\n");
    write_rules(&mut css, &dark, "html[data-theme=\"dark\"]", "");
    css.push_str("@media (prefers-color-scheme: dark) {\n");
    write_rules(&mut css, &dark, ":root:not([data-theme=\"light\"])", "  ");
    css.push_str("}\n}\n");
    css.push_str(END);
    css.push('\n');
    Ok(css)
}

/// The background of code blocks (`--bg-code` in `static/style.css`) in the light and dark palettes.
pub const LIGHT_CODE_BG: Rgb = [0xef, 0xed, 0xe6];
pub const DARK_CODE_BG: Rgb = [0x23, 0x26, 0x29];

/// The contrast every highlighted colour keeps with what is behind it: WCAG AA's 4.5:1 for text, and a little
/// more, so that rounding a mixed colour to whole bytes never brings it under.
const CONTRAST: f64 = 4.6;

pub type Rgb = [u8; 3];

/// The themes' colours made readable on the code block's background `bg` (or the rule's own background): a
/// colour under [`CONTRAST`] is mixed toward black or white, whichever of the two reads better there, only as
/// far as it must, so that its hue stays the theme's. InspiredGitHub's greys and base16-ocean's reds fall under
/// 4.5:1 on our backgrounds as they come.
fn readable(rules: &mut [Rule], bg: Rgb) {
    for rule in rules {
        let own = rule.declarations.iter().find_map(|d| d.strip_prefix("background-color:").and_then(parse_hex));
        let behind = own.unwrap_or(bg);
        for declaration in &mut rule.declarations {
            let Some(colour) = declaration.strip_prefix("color:").and_then(parse_hex) else { continue };
            if contrast(colour, behind) >= CONTRAST {
                continue;
            }
            let toward = if contrast([0, 0, 0], behind) > contrast([255, 255, 255], behind) { 0.0 } else { 255.0 };
            let mixed = (1..=100)
                .map(|step| {
                    let t = f64::from(step) / 100.0;
                    colour.map(|c| (f64::from(c) + (toward - f64::from(c)) * t).round() as u8)
                })
                .find(|mixed| contrast(*mixed, behind) >= CONTRAST)
                .unwrap_or(if toward == 0.0 { [0, 0, 0] } else { [255, 255, 255] });
            *declaration = format!("color: #{:02x}{:02x}{:02x}", mixed[0], mixed[1], mixed[2]);
        }
    }
}

/// `#rrggbb` (after optional spaces).
fn parse_hex(text: &str) -> Option<Rgb> {
    let hex = text.trim().strip_prefix('#')?;
    if hex.len() != 6 {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

/// WCAG's contrast ratio of two colours.
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    let luminance = |c: Rgb| {
        let channel = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.03928 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2])
    };
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// One rule of syntect's CSS.
struct Rule {
    selectors: Vec<String>,
    declarations: Vec<String>,
}

/// The rules of the CSS syntect writes for a theme, without its comment and without the `.hl-code` rule (the
/// theme's own text and background colours): code blocks keep the site's, which the themes' colours read well
/// on.
fn rules(css: &str) -> Vec<Rule> {
    let mut rules = Vec::new();
    for chunk in strip_comments(css).split('}') {
        let Some((selectors, body)) = chunk.split_once('{') else {
            continue;
        };
        let selectors: Vec<String> =
            selectors.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        let declarations: Vec<String> =
            body.split(';').map(str::trim).filter(|d| !d.is_empty()).map(String::from).collect();
        if selectors.is_empty() || declarations.is_empty() || selectors == [".hl-code"] {
            continue;
        }
        rules.push(Rule { selectors, declarations });
    }
    rules
}

fn strip_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..].find("*/").map_or("", |end| &rest[start + end + 2..]);
    }
    out.push_str(rest);
    out
}

/// One line per rule, every selector under `scope`.
fn write_rules(css: &mut String, rules: &[Rule], scope: &str, indent: &str) {
    for rule in rules {
        css.push_str(indent);
        for (i, selector) in rule.selectors.iter().enumerate() {
            if i > 0 {
                css.push_str(", ");
            }
            css.push_str(scope);
            css.push(' ');
            css.push_str(selector);
        }
        css.push_str(" { ");
        css.push_str(&rule.declarations.join("; "));
        css.push_str(" }\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every colour of the block reads at 4.5:1 or more on what is behind it, in both palettes, whichever
    /// theme a garden chooses for either (`[highlight]`), and the backgrounds assumed are the stylesheet's.
    #[test]
    fn every_highlighted_colour_meets_wcag_aa() {
        let css = include_str!("../../static/style.css");
        let hex = |c: Rgb| format!("--bg-code: #{:02x}{:02x}{:02x};", c[0], c[1], c[2]);
        assert!(css.contains(&hex(LIGHT_CODE_BG)) && css.contains(&hex(DARK_CODE_BG)), "--bg-code changed");
        let themes = ThemeSet::load_defaults();
        let names = theme_names();
        assert!(names.len() >= 7 && names.iter().any(|n| n == LIGHT_THEME) && names.iter().any(|n| n == DARK_THEME));
        let every = names.iter().flat_map(|name| [(name.as_str(), LIGHT_CODE_BG), (name.as_str(), DARK_CODE_BG)]);
        for (name, bg) in every {
            let mut rules = rules(&css_for_theme_with_class_style(&themes.themes[name], CLASS_STYLE).unwrap());
            readable(&mut rules, bg);
            for rule in &rules {
                let own =
                    rule.declarations.iter().find_map(|d| d.strip_prefix("background-color:").and_then(parse_hex));
                for colour in rule.declarations.iter().filter_map(|d| d.strip_prefix("color:").and_then(parse_hex)) {
                    let ratio = contrast(colour, own.unwrap_or(bg));
                    assert!(ratio >= 4.5, "{name} {:?}: {ratio:.2}", rule.selectors);
                }
            }
        }
        assert!((contrast([0xed, 0x6a, 0x43], [0xef, 0xed, 0xe6]) - 2.65).abs() < 0.01, "the formula");
    }

    /// The committed CSS is what the generator writes today: a new syntect or a changed theme fails here until
    /// `cargo run --example highlight_css` is run again.
    #[test]
    fn committed_stylesheet_is_current() {
        let committed = include_str!("../../static/highlight.css");
        assert!(
            committed == stylesheet().unwrap(),
            "static/highlight.css is stale: run `cargo run --example highlight_css`"
        );
    }

    #[test]
    fn stylesheet_scopes_both_themes_like_the_palette() {
        let css = stylesheet().unwrap();
        assert!(css.contains("html[data-theme=\"light\"] .hl-comment {"), "{css}");
        assert!(css.contains("  :root:not([data-theme=\"dark\"]) .hl-comment {"));
        assert!(css.contains("html[data-theme=\"dark\"] .hl-comment, "));
        assert!(css.contains("  :root:not([data-theme=\"light\"]) .hl-comment, "));
        // Every rule line is scoped; none applies to every page.
        for line in css.lines().filter(|l| l.contains(".hl-")) {
            assert!(line.trim_start().starts_with("html[") || line.trim_start().starts_with(":root"), "{line}");
        }
        assert!(!css.contains(".hl-code"));
    }
}
