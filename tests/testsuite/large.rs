//! Large notes (item 8 of the trust issue): a garden holding a 25 MB note is imported, edited, logged, cloned,
//! synced and built by the real binary, run from inside the garden the way a user runs it, each command in
//! bounded memory (its peak resident size, from the kernel's accounting of the finished process). Timing is
//! measured by `bench/large-notes.sh`, not here. Unix only: the peak is read with `wait4`.
#![cfg(unix)]

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::garden::Garden;
use crate::LOAM;

/// What every command on a garden with a 25 MB note must stay under (issue 16: 1 GiB).
const MEMORY_LIMIT_MIB: u64 = 1024;

/// `loam ARGS` in `dir`: (success, stderr, peak resident MiB).
#[allow(clippy::zombie_processes, reason = "the child is waited for by wait4, which clippy does not know")]
fn loam_measured(dir: &Path, args: &[&str]) -> (bool, String, u64) {
    let mut child = Command::new(LOAM)
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("loam runs");
    let mut stderr = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).ok();
        text
    });
    // wait4 rather than Child::wait: it gives the finished process's own peak resident size.
    let mut status = 0;
    // SAFETY: rusage is plain data the kernel fills; the pid is our own child, not yet waited for.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
    let stderr = reader.join().unwrap();
    let success = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    (success, stderr, usage.ru_maxrss as u64 / 1024)
}

/// Markdown dense with links, lists and headings: the shape that costs most to keep and render.
fn large_note(size: usize) -> String {
    let mut text = String::from("---\ntitle: Big\n---\n");
    let mut n = 0;
    while text.len() < size {
        n += 1;
        if n % 20 == 1 {
            text.push_str(&format!("## Part {n}\n\n"));
        }
        text.push_str(&format!(
            "- Compost and [[Small {}]] keep the soil alive, #soil and [[Small {}|worms]] too. Part {n}.\n",
            n % 7,
            (n + 3) % 7
        ));
        if n % 5 == 0 {
            text.push('\n');
        }
    }
    text
}

#[test]
fn a_garden_with_a_25_mb_note_is_recorded_whole_and_every_command_stays_under_1_gib() {
    let big = large_note(25 << 20);
    let mut garden = Garden::new().file("Big.md", &big);
    for n in 0..7 {
        garden = garden.file(&format!("Small {n}.md"), format!("A small note, number {n}.\n"));
    }
    let garden = garden.build();

    let check = |what: &str, dir: &Path, args: &[&str]| -> String {
        let (ok, stderr, mib) = loam_measured(dir, args);
        assert!(ok, "loam {what} failed: {stderr}");
        assert!(mib < MEMORY_LIMIT_MIB, "loam {what} peaked at {mib} MiB, over {MEMORY_LIMIT_MIB} MiB");
        eprintln!("loam {what}: {mib} MiB");
        stderr
    };

    // Recorded as whole versions, with a warning that says so.
    let stderr = check("import", &garden, &["import"]);
    assert!(stderr.contains("Big.md") && stderr.contains("whole versions"), "{stderr}");
    // An edit of it is one more version.
    let edited = format!("{big}One more line.\n");
    std::fs::write(garden.join("Big.md"), &edited).unwrap();
    check("import after an edit", &garden, &["import"]);
    let output = Command::new(LOAM).current_dir(&garden).args(["log", "Big.md"]).output().unwrap();
    let log = String::from_utf8_lossy(&output.stdout);
    assert_eq!(log.lines().filter(|l| l.contains("Big.md")).count(), 2, "two versions: {log}");
    check("log", &garden, &["log", "Big.md"]);

    // Cloned with its history, byte for byte, and an edit in the clone comes back through sync.
    check("clone", &garden, &["clone", ".", "../copy"]);
    let copy = garden.beside("copy");
    let in_copy = copy.join("content/Big.md");
    assert!(std::fs::read(&in_copy).unwrap() == edited.as_bytes(), "the clone has the note as it is");
    let from_copy = format!("{edited}Written in the copy.\n");
    std::fs::write(&in_copy, &from_copy).unwrap();
    check("sync", &copy, &["sync", "../garden"]);
    assert!(std::fs::read(garden.join("Big.md")).unwrap() == from_copy.as_bytes(), "the edit came back");

    // Built, with its page.
    check("build", &garden, &["build", "-o", "../site"]);
    let page = std::fs::read_to_string(garden.beside("site/big/index.html")).unwrap();
    assert!(page.len() > 25 << 20 && page.contains("Written in the copy."), "the page holds the whole note");
}
