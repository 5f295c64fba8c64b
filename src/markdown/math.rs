//! `$…$` and `$$…$$` as MathML, which browsers render natively: formulas read well with JavaScript off and
//! with no font or script to download. TeX that pulldown-latex cannot read stays visible as source. Pure.

use pulldown_latex::config::DisplayMode;
use pulldown_latex::{push_mathml, Parser, RenderConfig, Storage};

use super::escape;

/// The HTML for one formula: MathML in a `span.math`, or the escaped TeX source if it does not parse.
pub fn render(tex: &str, display: bool) -> String {
    let class = if display { "math math-display" } else { "math math-inline" };
    match mathml(tex, display) {
        Some(mathml) => format!("<span class=\"{class}\">{mathml}</span>"),
        None => {
            let (open, close) = if display { ("\\[", "\\]") } else { ("\\(", "\\)") };
            format!("<span class=\"{class} math-source\">{open}{}{close}</span>", escape(tex))
        }
    }
}

fn mathml(tex: &str, display: bool) -> Option<String> {
    let storage = Storage::new();
    let events: Vec<_> = Parser::new(tex, &storage).collect();
    // An unknown command would be rendered as a red error inside the formula; the source reads better.
    if events.iter().any(Result::is_err) {
        return None;
    }
    let config = RenderConfig {
        display_mode: if display { DisplayMode::Block } else { DisplayMode::Inline },
        annotation: Some(tex),
        ..RenderConfig::default()
    };
    let mut out = String::new();
    push_mathml(&mut out, events.into_iter(), config).ok()?;
    // pulldown-latex 0.8 writes the operators `<` and `>` unescaped; browsers cope, validators do not.
    Some(out.replace("><</", ">&lt;</").replace(">></", ">&gt;</"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_mathml() {
        let html = render(r"a \le \frac{1}{2} < b", false);
        assert!(html.starts_with("<span class=\"math math-inline\"><math"), "{html}");
        assert!(html.contains("<mfrac>") && html.contains("&lt;"), "{html}");
        assert!(!html.contains("><</"), "{html}");
        assert!(render("x^2", true).contains("display=\"block\""));
    }

    #[test]
    fn unreadable_tex_stays_as_escaped_source() {
        let html = render(r"\nosuchcommand{<x>}", false);
        assert_eq!(html, "<span class=\"math math-inline math-source\">\\(\\nosuchcommand{&lt;x&gt;}\\)</span>");
    }
}
