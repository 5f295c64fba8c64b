//! Writes the code-highlighting colours (syntect's themes as `hl-` class rules, light and dark, made readable)
//! into `static/highlight.css`. A unit test (`markdown::highlight`) fails while the committed file differs from
//! what this writes.
//!
//!     cargo run --example highlight_css
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("static/highlight.css");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let css = loam::markdown::highlight::stylesheet()?;
    if css == current {
        println!("{} is up to date", path.display());
    } else {
        std::fs::write(&path, css)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
