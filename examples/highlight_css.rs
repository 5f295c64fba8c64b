//! Writes the code-highlighting colours (syntect's themes as `hl-` class rules, light and dark) into
//! `static/style.css`, replacing the block it wrote before or appending it; the rest of the file is untouched.
//! A unit test (`markdown::highlight`) fails while the committed block differs from what this writes.
//!
//!     cargo run --example highlight_css
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("static/style.css");
    let current = std::fs::read_to_string(&path)?;
    let block = loam::markdown::highlight::stylesheet()?;
    let updated = loam::markdown::highlight::with_highlighting(&current, &block);
    if updated == current {
        println!("{} is up to date", path.display());
    } else {
        std::fs::write(&path, updated)?;
        println!("wrote the highlighting block of {}", path.display());
    }
    Ok(())
}
