//! Messages that are not a command's own output (warnings, what the preview, the recorder and sync are doing) go
//! through `tracing`, shown on stderr as they always were: `warning: …` and `error: …`, the rest as it is. A
//! command's own output (what `loam build` built, `loam log`'s list, a failed command's error) is printed by the
//! command itself and is never filtered.
//!
//! `-q` keeps only errors (the lists of problems `build` and `check` print leave out their warnings too, and
//! count them), `-v` adds the details (and `-vv` everything, dependencies' too); `RUST_LOG`, such as
//! `RUST_LOG=loam::sync=debug`, overrides both.

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// What is shown by default: Loam's messages from `info` up, and only the errors of the crates it uses (samod
/// tells of every connection it makes).
fn directives(quiet: bool, verbose: u8) -> &'static str {
    match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "error,loam=info",
        (false, 1) => "warn,loam=debug",
        (false, _) => "trace",
    }
}

/// Whether `-q` was given: commands that print a list of problems leave out the warnings too (they still count
/// them).
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether only errors are to be shown (`-q`).
pub fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// Whether `-v` was given: lists of problems are printed whole instead of grouped by kind.
static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether more detail is asked for (`-v`).
pub fn verbose() -> bool {
    VERBOSE.load(std::sync::atomic::Ordering::Relaxed)
}

/// When to colour what is printed (`--color`): `auto` colours a terminal unless `NO_COLOR` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Color {
    #[default]
    Auto,
    Always,
    Never,
}

/// `--color`, as a number (0 auto, 1 always, 2 never).
static COLOR: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Whether to colour what goes to `stream` (stdout or stderr).
pub fn colored(stream: &impl std::io::IsTerminal) -> bool {
    match COLOR.load(std::sync::atomic::Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

/// A progress bar on stderr for `what` (`recording`), counting `unit`s (`notes`), whose total is set once the
/// work is known (`set_length`, before the first step); hidden unless stderr is a terminal and `-q` was not given,
/// so nothing of it reaches a pipe or a log.
pub fn bar(what: &str, unit: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet() || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let template = format!("{{prefix:>9}} [{{bar:30}}] {{pos}}/{{len}} {unit}");
    let style = indicatif::ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
    // Nothing is drawn before the total is set.
    indicatif::ProgressBar::new(0).with_style(style).with_prefix(what.to_string())
}

/// Shows Loam's messages on stderr from now on; called once, by `main`.
pub fn init(quiet: bool, verbose: u8, color: Color) {
    QUIET.store(quiet, std::sync::atomic::Ordering::Relaxed);
    VERBOSE.store(verbose > 0, std::sync::atomic::Ordering::Relaxed);
    COLOR.store(color as u8, std::sync::atomic::Ordering::Relaxed);
    let filter = match std::env::var("RUST_LOG") {
        Ok(text) if !text.trim().is_empty() => EnvFilter::new(text),
        _ => EnvFilter::new(directives(quiet, verbose)),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .event_format(Plain)
        .try_init();
}

/// A message as Loam has always written it: `warning: ` or `error: ` before it, the source before a detail.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: format::Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let metadata = event.metadata();
        match *metadata.level() {
            Level::ERROR => write!(writer, "error: ")?,
            Level::WARN => write!(writer, "warning: ")?,
            Level::INFO => {}
            Level::DEBUG | Level::TRACE => write!(writer, "{}: ", metadata.target())?,
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// What the subscriber writes, kept for the test.
    #[derive(Clone, Default)]
    struct Kept(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Kept {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn messages_read_as_they_always_did_and_quiet_keeps_only_errors() {
        for (quiet, expected) in [
            (false, "warning: a.md: larger than 512 KiB\nhistory: recorded 2 notes\nerror: cannot write\n"),
            (true, "error: cannot write\n"),
        ] {
            let kept = Kept::default();
            let writer = kept.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_env_filter(EnvFilter::new(directives(quiet, 0)))
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .event_format(Plain)
                .finish();
            tracing::subscriber::with_default(subscriber, || {
                tracing::warn!("{}: larger than {} KiB", "a.md", 512);
                tracing::info!("history: recorded {} notes", 2);
                tracing::debug!("a detail");
                tracing::error!("cannot write");
            });
            assert_eq!(String::from_utf8(kept.0.lock().unwrap().clone()).unwrap(), expected);
        }
    }
}
