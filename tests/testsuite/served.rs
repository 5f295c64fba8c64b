//! A `loam serve` process for the tests: started on a free loopback port, which it reports in its `--port-file`,
//! and killed when dropped.

use std::path::Path;

/// A running `loam serve --port 0` (on loopback): its port and what it printed; killed when dropped.
pub struct Served {
    pub child: std::process::Child,
    /// The first line it printed, with the preview's address.
    pub first_line: String,
    pub port: u16,
    pub log: std::sync::Arc<std::sync::Mutex<String>>,
    /// Holds the port file.
    _scratch: tempfile::TempDir,
}

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
        let mut child = std::process::Command::new(crate::LOAM)
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
