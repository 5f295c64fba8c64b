//! The `loam` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A build allocates and frees millions of small strings across threads (events, JSON values, paths); glibc's
/// allocator spent a third of all instructions there, mimalloc a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Loam: a local-first publisher for knowledge gardens.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new garden: loam.toml and content/ with a few sample notes.
    Init {
        /// Folder to create the garden in.
        dir: PathBuf,
    },
    /// Render the garden into a static website.
    Build {
        /// The garden: a folder with loam.toml (notes in content/) or a plain folder of notes.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Output folder (default: PATH/public).
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Report every problem (broken links, bad frontmatter, slug collisions); exit non-zero if any.
    Check {
        /// The garden: a folder with loam.toml (notes in content/) or a plain folder of notes.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Init { dir } => loam::cmd::init::run(&dir).map(|()| true),
        Command::Build { path, out } => loam::cmd::build::run(&path, out.as_deref()).map(|()| true),
        Command::Check { path } => loam::cmd::check::run(&path),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
