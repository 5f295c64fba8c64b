//! Slugs (the URL path of a page) and match keys (how link targets are compared). Pure functions.
//!
//! A slug keeps letters of every script readable (`Gödel's Theorem` becomes `gödels-theorem`, `ΛCDM Model`
//! becomes `λcdm-model`), so that a wiki written in Greek or Sanskrit gets URLs its readers can read.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The key two link targets are compared by: NFC-normalised and lower-cased, so that `Gödel` typed on a Mac
/// (decomposed) and on Linux (composed), in any case, name the same note.
pub fn key(text: &str) -> String {
    // Most names are ASCII, where NFC changes nothing; skip the normaliser, which dominates link resolution.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    if unicode_normalization::is_nfc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes {
        return text.to_lowercase();
    }
    text.nfc().flat_map(char::to_lowercase).collect()
}

/// One path component (a folder or file name without `.md`) as it appears in a URL.
pub fn slugify(component: &str) -> String {
    let mut slug = String::with_capacity(component.len());
    let mut dash = false;
    // ASCII needs no normalisation; the normaliser would cost more than everything else here.
    let chars: Box<dyn Iterator<Item = char>> = if component.is_ascii() {
        Box::new(component.chars().map(|c| c.to_ascii_lowercase()))
    } else {
        Box::new(component.nfc().flat_map(char::to_lowercase))
    };
    for c in chars {
        if c.is_alphanumeric() || (is_combining_mark(c) && !slug.is_empty()) {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.push(c);
        } else if c.is_whitespace() || matches!(c, '-' | '_' | '.' | '/' | '+' | '&' | ':' | ',' | ';') {
            dash = true;
        }
        // Everything else (quotes, brackets, `#`, `%`, `?`, emoji) is dropped: it either breaks URLs or
        // carries no meaning a reader would type.
    }
    if slug.is_empty() {
        // A name made only of symbols or emoji still needs a stable, distinct slug.
        slug = component
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| format!("u{:x}", c as u32))
            .collect::<Vec<_>>()
            .join("-");
        if slug.is_empty() {
            slug = "untitled".into();
        }
    }
    slug
}

/// The slug of a path relative to the content folder (`Folder One/My Note` -> `folder-one/my-note`).
pub fn slugify_path(path: &str) -> String {
    path.split('/').filter(|part| !part.is_empty()).map(slugify).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_other_scripts_readable() {
        assert_eq!(slugify("Gödel's Incompleteness Theorem"), "gödels-incompleteness-theorem");
        assert_eq!(slugify("ΛCDM Model"), "λcdm-model");
        assert_eq!(slugify("Saṃskṛtam"), "saṃskṛtam");
        assert_eq!(slugify("संस्कृतम्"), "संस्कृतम्");
    }

    #[test]
    fn drops_punctuation_and_emoji() {
        assert_eq!(slugify("About `We are Good People`"), "about-we-are-good-people");
        assert_eq!(slugify("'In the pre-Muhammadian era'"), "in-the-pre-muhammadian-era");
        assert_eq!(slugify("🫂️ Social Medias"), "social-medias");
        assert_eq!(slugify("C# & 100% (draft)"), "c-100-draft");
        assert_eq!(slugify("B.01-introduction"), "b-01-introduction");
    }

    #[test]
    fn emoji_only_names_still_get_a_slug() {
        assert_eq!(slugify("🎉"), "u1f389");
        assert_ne!(slugify("🎉"), slugify("🎊"));
    }

    #[test]
    fn decomposed_and_composed_forms_match() {
        assert_eq!(key("Go\u{308}del"), key("Gödel"));
        assert_eq!(slugify("Go\u{308}del"), slugify("GÖDEL"));
    }

    #[test]
    fn paths() {
        assert_eq!(slugify_path("01. Personal/My Note"), "01-personal/my-note");
    }
}
