//! What the history examples share: the note text they record and rewrite.

/// About `kb` KB of note text, lines of words picked by `seed`: the same text for the same arguments.
pub fn text(kb: usize, seed: usize) -> String {
    let words = ["garden", "note", "link", "merge", "author", "offline", "change", "history", "page", "tag"];
    let mut out = String::new();
    let mut i = seed;
    while out.len() < kb * 1024 {
        for _ in 0..12 {
            out.push_str(words[i % words.len()]);
            out.push(' ');
            i = i.wrapping_mul(31).wrapping_add(7);
        }
        out.push_str(&format!("line {i}\n"));
    }
    out
}
