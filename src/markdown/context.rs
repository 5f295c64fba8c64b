//! The sentence around a link, for backlinks: cut at sentence ends, at most about 160 characters each side.
//! Pure.

use super::Segment;

/// The sentence around the link at `segments[at]`: from the last sentence end before it to the first one after
/// it, at most about 160 characters on each side.
pub fn sentence_around<'l>(segments: &[Segment], at: usize, label_of: &dyn Fn(usize) -> &'l str) -> Vec<Segment> {
    const SIDE: usize = 160;
    let Some(Segment::Link(n)) = segments.get(at) else {
        return Vec::new();
    };
    let mut before: Vec<Segment> = Vec::new();
    let mut budget = SIDE;
    for segment in segments[..at].iter().rev() {
        match segment {
            Segment::Text(text) => {
                let cut = sentence_start(text);
                let mut piece = &text[cut..];
                if piece.chars().count() > budget {
                    let skip = piece.char_indices().rev().nth(budget.saturating_sub(1)).map_or(0, |(i, _)| i);
                    let skip = piece[skip..].find(' ').map_or(skip, |s| skip + s + 1);
                    piece = &piece[skip..];
                    before.push(Segment::Text(format!("…{}", piece)));
                    break;
                }
                budget -= piece.chars().count();
                before.push(Segment::Text(piece.to_string()));
                if cut > 0 {
                    break;
                }
            }
            Segment::Link(m) => {
                budget = budget.saturating_sub(label_of(*m).chars().count());
                before.push(segment.clone());
            }
        }
    }
    before.reverse();
    before.push(Segment::Link(*n));
    let mut budget = SIDE;
    for segment in &segments[at + 1..] {
        match segment {
            Segment::Text(text) => {
                let cut = sentence_end(text);
                let mut piece = &text[..cut];
                if piece.chars().count() > budget {
                    let end = piece.char_indices().nth(budget).map_or(piece.len(), |(i, _)| i);
                    let end = piece[..end].rfind(' ').unwrap_or(end);
                    piece = &piece[..end];
                    before.push(Segment::Text(format!("{}…", piece)));
                    break;
                }
                budget -= piece.chars().count();
                before.push(Segment::Text(piece.to_string()));
                if cut < text.len() {
                    break;
                }
            }
            Segment::Link(m) => {
                budget = budget.saturating_sub(label_of(*m).chars().count());
                before.push(segment.clone());
            }
        }
    }
    if let Some(Segment::Text(first)) = before.first_mut() {
        *first = first.trim_start().to_string();
    }
    if let Some(Segment::Text(last)) = before.last_mut() {
        *last = last.trim_end().to_string();
    }
    before.retain(|s| !matches!(s, Segment::Text(t) if t.is_empty()));
    before
}

fn sentence_start(text: &str) -> usize {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(1))
        .rev()
        .find(|&i| matches!(bytes[i], b'.' | b'!' | b'?') && bytes[i + 1] == b' ')
        .map_or(0, |i| i + 2)
}

fn sentence_end(text: &str) -> usize {
    let bytes = text.as_bytes();
    (0..bytes.len())
        .find(|&i| matches!(bytes[i], b'.' | b'!' | b'?') && bytes.get(i + 1).is_none_or(|&b| b == b' '))
        .map_or(text.len(), |i| i + 1)
}
