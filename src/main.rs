//! The `loam` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A build allocates and frees millions of small strings across threads (events, JSON values, paths); glibc's
/// allocator spent a third of all instructions there, mimalloc a fraction of that. The feature `system-allocator`
/// leaves it out, for memory profilers that see only the system's allocator.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in the `mi_option_t` enum of the mimalloc that `libmimalloc-sys` bundles (its Rust
/// bindings lack the name); the test below checks that this index still holds that option.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// For a one-shot command: keep freed memory for reuse instead of handing it back to the system. A build frees
/// and reallocates hundreds of megabytes; returned memory comes back as fresh pages the kernel must zero, which
/// took a tenth of a 10,000-note build's CPU time. The process ends soon anyway.
fn keep_freed_memory() {
    // SAFETY: mi_option_set only stores a number in mimalloc's option table (atomically); any value is valid for
    // this option, and -1 means "never purge".
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

/// `loam --version`: the version and the commit it was built from (build.rs).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("LOAM_COMMIT"), ")");

/// `loam --help`: the commands in groups, by what they are for, then examples (a test checks that every command
/// is in it).
const HELP: &str = "\
{about-with-newline}
{usage-heading} {usage}

Writing:
  init         Create a new garden (or a loam.toml for a vault with --vault)
  serve        Preview the garden with live reload, recording every save
  build        Render the garden into a static website
  check        Report every problem; exit non-zero on an error or a broken link

History:
  log          The history of a note or of the whole garden
  show         A note as it was at a time or a change
  diff         What changed in a note between two versions
  blame        Who wrote each line of a note
  redact       Hide a version of a note from every published history
  import       Record what changed in the notes since Loam last looked

Sharing:
  clone        Make a new garden from a peer or another garden's folder
  sync         Exchange history with another garden once, both ways
  info         A garden's notes, history and address for peers
  repair       Check the history (.loam/) and mend what can be mended

Setup:
  completions  Print the shell's completion script (bash, zsh, fish, ...)
  help         Print this message or the help of a command

Options:
{options}

Examples:
  loam init my-garden && loam serve my-garden
  loam init --vault ~/Obsidian/Notes        publish an existing vault as it is
  loam build -u https://example.org/garden/  the site into public/, for that address
  loam log content/bees.md --patch

Each command's options: loam help COMMAND. The guide: content/guides/getting-started.md in Loam's source, or
its page in the docs garden (`loam serve` in Loam's folder); README.md has everything else.
";

/// Loam: a local-first publisher for knowledge gardens.
#[derive(Parser)]
#[command(version = VERSION, about, help_template = HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Show only errors, not warnings and what the preview, history and sync are doing.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Show more of what Loam is doing, every warning (twice: everything, the libraries' too). RUST_LOG
    /// overrides both.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Colour the output: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, global = true, value_enum, default_value_t = loam::logging::Color::Auto, value_name = "WHEN")]
    color: loam::logging::Color,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new garden: loam.toml and content/ with a few sample notes; in a folder that already holds notes
    /// (an Obsidian vault, Markdown files), only loam.toml, to publish them as they are (as with --vault).
    Init {
        /// Folder to create the garden in (the current one if none; the vault itself with --vault).
        dir: Option<PathBuf>,
        /// An existing vault (an Obsidian vault, a folder of notes) to publish as it is: only loam.toml is written,
        /// in DIR, with the vault as its notes (`content = "."` when DIR is the vault).
        #[arg(long, value_name = "VAULT")]
        vault: Option<PathBuf>,
        /// Also write what HOST needs to publish the garden at every push: a GitHub Actions workflow
        /// (github-pages, cloudflare), netlify.toml or .gitlab-ci.yml. In a garden that exists, only that.
        #[arg(long, value_name = "HOST")]
        deploy: Option<loam::cmd::deploy::Host>,
    },
    /// Render the garden into a static website.
    Build {
        /// The garden: a folder with loam.toml (notes in content/) or a plain folder of notes.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Output folder (default: PATH/public).
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Where the site will be published, in place of loam.toml's base_url (https://example.org/garden/).
        #[arg(short = 'u', long, value_name = "URL")]
        base_url: Option<String>,
        /// Write the rest of the site when a note cannot be published (and exit 0), instead of writing nothing.
        #[arg(long)]
        keep_going: bool,
        /// Also write a gzipped copy beside each text file (page.html.gz), for hosts that serve those as they are.
        #[arg(long)]
        gzip: bool,
    },
    /// Serve the garden with live reload: every save updates the open pages.
    Serve {
        /// The garden: a folder with loam.toml (notes in content/) or a plain folder of notes.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Port to listen on (0: any free port).
        #[arg(short, long, default_value_t = 1111)]
        port: u16,
        /// Address to listen on; the default is reachable from this machine only.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Open the preview in the default browser.
        #[arg(long)]
        open: bool,
        /// Where the preview is reached, in place of its own address (behind a proxy, from another machine:
        /// http://192.168.1.5:1111/); a path alone (/garden/) serves it under that path.
        #[arg(short = 'u', long, value_name = "URL")]
        base_url: Option<String>,
        /// Show the notes marked `draft: true` too (a build never publishes them).
        #[arg(long)]
        drafts: bool,
        /// Look at the files every 300 ms instead of relying on the system's change events (network drives,
        /// some containers and virtual machines).
        #[arg(long)]
        poll: bool,
        /// A peer to keep syncing with while serving, such as ws://laptop.local:1111/sync or wss://relay.example.org (repeatable; also
        /// [[sync.peers]] in loam.toml). Its token, if it takes one: LOAM_PEER_TOKEN.
        #[arg(long = "peer", value_name = "URL")]
        peers: Vec<String>,
        /// Write the port it listens on to this file once it is listening (for scripts, with --port 0).
        #[arg(long, value_name = "FILE")]
        port_file: Option<PathBuf>,
        /// A private certificate authority (PEM) to trust for wss:// and https:// peers, besides the system's
        /// (else `[sync] ca` in loam.toml, else LOAM_CA).
        #[arg(long, value_name = "FILE")]
        ca: Option<PathBuf>,
    },
    /// Record every note in the garden's history (.loam/), or what changed since it last did.
    Import {
        /// The garden: a folder with loam.toml (notes in content/) or a plain folder of notes.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// The history of a note (or of the whole garden): when, who, and how many lines changed.
    Log {
        /// A note's file, or a folder of the garden for every note.
        #[arg(default_value = ".")]
        note: PathBuf,
        /// Show each change as a diff.
        #[arg(short, long)]
        patch: bool,
    },
    /// What changed in a note between two versions (by default its last change): word by word in its text as
    /// read, or line by line in its Markdown with --source.
    Diff {
        /// The note's file.
        note: PathBuf,
        /// The older version: a change (its hash from `loam log`, or the start of it) or a time; by default the
        /// version before --to.
        #[arg(long)]
        from: Option<String>,
        /// The newer version, the same way; by default the note's latest.
        #[arg(long)]
        to: Option<String>,
        /// Compare the Markdown line by line instead of the text as read word by word.
        #[arg(long)]
        source: bool,
    },
    /// Hide a version of a note (text pasted by mistake) from every published history view: the preview's and
    /// the site's. Peers that already have it keep its text.
    Redact {
        /// The note's file.
        note: PathBuf,
        /// The version: a change (its hash from `loam log`, or the start of it) or a time; or a range of them,
        /// FIRST..LAST, both hidden.
        #[arg(long)]
        at: String,
    },
    /// Who wrote each line of a note (the author of most of it, and how many others wrote some of it).
    Blame {
        /// The note's file.
        note: PathBuf,
    },
    /// A note as it was at a time (2026-11-29T18:00:00Z) or a change (its hash from `loam log`).
    Show {
        /// The note's file.
        note: PathBuf,
        #[arg(long)]
        at: String,
    },
    /// Print the completion script of SHELL, for the shell to complete loam's commands and options:
    /// `loam completions bash > ~/.local/share/bash-completion/completions/loam`,
    /// `loam completions zsh > ~/.zfunc/_loam`, `loam completions fish > ~/.config/fish/completions/loam.fish`.
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
    /// What a garden is: its notes, its history, and its address for peers (an `automerge:` URL).
    Info {
        /// The garden: a folder with loam.toml (notes in content/) or a plain folder of notes.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Make a new garden from another: its notes, attachments and whole history, the same garden.
    Clone {
        /// The garden to clone: a peer's address (wss://HOST/sync, ws://HOST:PORT/sync, https://HOST), or a garden's folder on this machine.
        other: String,
        /// The new garden's folder (new or empty).
        dir: PathBuf,
        /// The token the peer asks for (else LOAM_PEER_TOKEN).
        #[arg(long)]
        token: Option<String>,
        /// A private certificate authority (PEM) to trust for wss:// and https:// peers, besides the system's
        /// (else `[sync] ca` in loam.toml, else LOAM_CA).
        #[arg(long, value_name = "FILE")]
        ca: Option<PathBuf>,
        /// The garden's address (automerge:…), to join it through an automerge-repo relay, which cannot say which
        /// garden it carries. A Loam peer says so itself.
        #[arg(long, value_name = "ADDRESS")]
        garden: Option<String>,
    },
    /// Exchange history with another garden once, both ways: edits merge, and both folders end with the same notes.
    Sync {
        /// The other garden: a peer's address (wss://HOST/sync, ws://HOST:PORT/sync, https://HOST), or a garden's folder on this machine.
        other: String,
        /// This garden.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// The token the peer asks for (else LOAM_PEER_TOKEN).
        #[arg(long)]
        token: Option<String>,
        /// A private certificate authority (PEM) to trust for wss:// and https:// peers, besides the system's
        /// (else `[sync] ca` in loam.toml, else LOAM_CA).
        #[arg(long, value_name = "FILE")]
        ca: Option<PathBuf>,
        /// The garden's address (automerge:…), to join it through an automerge-repo relay, which cannot say which
        /// garden it carries. A Loam peer says so itself.
        #[arg(long, value_name = "ADDRESS")]
        garden: Option<String>,
    },
    /// Check the garden's history (.loam/) and mend what can be mended: lost bookkeeping, torn changes, damaged
    /// documents (fetched again from a peer with --from, else started anew from the note). Notes are never changed.
    Repair {
        /// The garden: a folder with loam.toml (notes in content/) or a plain folder of notes.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// A copy of the garden to fetch damaged documents from: a peer's sync address (ws://HOST:PORT/sync) or a
        /// garden's folder on this machine.
        #[arg(long, value_name = "PEER")]
        from: Option<String>,
        /// The token the peer asks for (else LOAM_PEER_TOKEN).
        #[arg(long)]
        token: Option<String>,
        /// A private certificate authority (PEM) to trust for wss:// and https:// peers, besides the system's
        /// (else `[sync] ca` in loam.toml, else LOAM_CA).
        #[arg(long, value_name = "FILE")]
        ca: Option<PathBuf>,
    },
    /// Report every problem (broken links, bad frontmatter, slug collisions); exit non-zero if any.
    Check {
        /// The garden: a folder with loam.toml (notes in content/) or a plain folder of notes.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
}

/// For the live preview: freed memory is handed back to the system only after 10 s without reuse, so that a
/// rebuild after each save (a second or two apart while someone types) does not make the kernel zero the same
/// hundreds of megabytes again every time; an idle preview still shrinks.
fn keep_freed_memory_a_while() {
    // SAFETY: as in `keep_freed_memory`; the value is a delay in milliseconds.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10_000) };
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    loam::logging::init(cli.quiet, cli.verbose, cli.color);
    if matches!(cli.command, Command::Build { .. } | Command::Check { .. }) {
        keep_freed_memory();
    }
    if matches!(cli.command, Command::Serve { .. }) {
        keep_freed_memory_a_while();
        loam::platform::no_huge_pages();
    }
    let result = match cli.command {
        Command::Init { dir, vault, deploy } => {
            // `loam init --vault V` alone writes loam.toml in the vault itself.
            let dir = dir.or_else(|| vault.clone()).unwrap_or_else(|| PathBuf::from("."));
            loam::cmd::init::run(&dir, vault.as_deref(), deploy).map(|()| true)
        }
        Command::Build { path, out, base_url, keep_going, gzip } => {
            let options = loam::cmd::build::Options { keep_going, gzip };
            loam::cmd::build::run(&path, out.as_deref(), base_url.as_deref(), options)
        }
        Command::Check { path } => loam::cmd::check::run(&path),
        Command::Import { path } => loam::cmd::import::run(&path).map(|()| true),
        Command::Repair { path, from, token, ca } => loam::cmd::repair::run(&path, from.as_deref(), token, ca),
        Command::Info { path } => loam::cmd::info::run(&path).map(|()| true),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "loam", &mut std::io::stdout());
            Ok(true)
        }
        Command::Clone { other, dir, token, ca, garden } => {
            loam::cmd::clone::run(&other, &dir, token, ca, garden).map(|()| true)
        }
        Command::Sync { other, path, token, ca, garden } => {
            loam::cmd::sync::run(&other, &path, token, ca, garden).map(|()| true)
        }
        Command::Log { note, patch } => loam::cmd::log::run(&note, patch).map(|()| true),
        Command::Show { note, at } => loam::cmd::log::show(&note, &at).map(|()| true),
        Command::Diff { note, from, to, source } => {
            loam::cmd::log::diff(&note, from.as_deref(), to.as_deref(), source).map(|()| true)
        }
        Command::Blame { note } => loam::cmd::log::blame(&note).map(|()| true),
        Command::Redact { note, at } => loam::cmd::log::redact(&note, &at).map(|()| true),
        Command::Serve { path, port, bind, open, base_url, drafts, poll, peers, port_file, ca } => {
            let overrides = loam::serve::Overrides { base_url, drafts };
            let options = loam::cmd::serve::Options { port, bind, open, poll, peers, port_file, ca, overrides };
            loam::cmd::serve::run(&path, options).map(|()| true)
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            // The chain names files, whose names may hold control characters.
            eprintln!("error: {}", loam::diagnostic::shown(&format!("{error:#}")));
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grouped_help_names_every_command() {
        use clap::CommandFactory;
        for command in Cli::command().get_subcommands() {
            let line = format!("\n  {:<13}", command.get_name());
            assert!(HELP.contains(&line), "`loam --help` does not list `{}`", command.get_name());
        }
        assert!(HELP.contains("\n  help         "));
    }

    #[test]
    fn the_purge_delay_option_is_where_we_think() {
        // The bundled mimalloc's default purge delay is 1000 ms; no neighbouring option has that default.
        // SAFETY: mi_option_get only reads mimalloc's option table.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) }, 1000);
    }
}
