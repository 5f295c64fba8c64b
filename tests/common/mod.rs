//! What the integration tests share: the corpora, and copies of them to change.

use std::path::{Path, PathBuf};

/// A real garden of `tests/corpora` (see its README: sources and licences); read only (copy it before changing
/// anything).
#[allow(dead_code)]
pub fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpora").join(name)
}

/// Copies a folder's files and folders (symbolic links are left out).
#[allow(dead_code)]
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A deterministic pseudo-random sequence (xorshift), so that a failure can be replayed.
#[allow(dead_code)]
pub struct Random(pub u64);

#[allow(dead_code)]
impl Random {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The notes under `dir` (not in the store's `.loam/`), sorted.
#[allow(dead_code)]
pub fn notes_in(dir: &Path) -> Vec<PathBuf> {
    let mut notes: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".loam")
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.path().to_path_buf())
        .collect();
    notes.sort();
    notes
}

/// A running `loam serve --port 0` (on loopback): its port and what it printed; killed when dropped.
#[allow(dead_code)]
pub struct Served {
    pub child: std::process::Child,
    /// The first line it printed, with the preview's address.
    pub first_line: String,
    pub port: u16,
    pub log: std::sync::Arc<std::sync::Mutex<String>>,
    /// Holds the port file.
    _scratch: tempfile::TempDir,
}

#[allow(dead_code)]
impl Served {
    /// Serves `garden` with `env` set, once it listens.
    pub fn start(garden: &Path, env: &[(&str, &str)]) -> Served {
        Served::start_with(garden, &[], env)
    }

    /// Serves `garden` with more arguments (`args`) and `env` set, once it listens.
    pub fn start_with(garden: &Path, args: &[&str], env: &[(&str, &str)]) -> Served {
        let mut all = vec![garden.to_str().unwrap()];
        all.extend_from_slice(args);
        Served::start_in(Path::new("."), &all, env)
    }

    /// `loam serve ARGS --port 0` run in the folder `dir` as a user types it there (no garden path is added), once
    /// it listens.
    pub fn start_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Served {
        use std::io::{BufRead, Read};
        let scratch = tempfile::tempdir().unwrap();
        let port_file = scratch.path().join("port");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_loam"))
            .current_dir(dir)
            .arg("serve")
            .args(args)
            .args(["--port", "0", "--port-file"])
            .arg(&port_file)
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("loam serve starts");
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut buffer = [0; 4096];
            while let Ok(n) = stderr.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        // The port from the file it writes once listening, not from the words it prints.
        let port = loop {
            if let Some(port) = std::fs::read_to_string(&port_file).ok().and_then(|p| p.parse().ok()) {
                break port;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("loam serve ended ({status}) before listening: {line}{}", log.lock().unwrap());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        Served { child, first_line: line, port, log, _scratch: scratch }
    }

    /// The sync address.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/sync", self.port)
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits up to 20 s for `ok`, polling; panics with `what` after.
#[allow(dead_code)]
pub fn eventually(what: &str, ok: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !ok() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
