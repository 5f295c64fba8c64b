//! What sync is doing with each peer `loam serve` keeps in step with: connected, in step, behind, refused or
//! unreachable (with the reason), and how many notes wait to go out. Every change is printed once, a peer that
//! has not come in step within a minute is a warning, and the board is written to `.loam/peers.json` (for `loam
//! info`) and served at `/_loam/peers.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a peer may be out of step before it is a warning.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Where a peer stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum State {
    /// Dialing it for the first time.
    Connecting,
    /// Connected; the garden is being exchanged.
    Connected,
    /// Both sides have every change of the other.
    InStep,
    /// Connected, but some documents did not come in step in time.
    Behind { documents: usize },
    /// It refused this garden (a token, an access rule): not tried again.
    Refused { reason: String },
    /// It cannot be reached (DNS, TLS, an HTTP answer, a dropped connection); tried again with backoff.
    Unreachable { reason: String },
}

impl State {
    /// The state in a user's words.
    pub fn words(&self) -> String {
        match self {
            State::Connecting => "connecting".into(),
            State::Connected => "connected, exchanging the garden".into(),
            State::InStep => "in step".into(),
            State::Behind { documents } => format!("behind: {documents} documents did not come in step in time"),
            State::Refused { reason } => format!("refused: {reason}"),
            State::Unreachable { reason } => format!("unreachable: {reason}"),
        }
    }
}

/// One peer on the board, as `/_loam/peers.json` and `.loam/peers.json` show it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Peer {
    pub url: String,
    #[serde(flatten)]
    pub state: State,
    /// When it came to this state (RFC 3339).
    pub since: String,
    /// When it was last in step, if ever.
    pub last_in_step: Option<String>,
    /// Notes changed here since it was last in step, waiting to go out.
    pub waiting: usize,
}

struct Entry {
    peer: Peer,
    changed: Instant,
    waiting: BTreeSet<String>,
    warned: bool,
}

/// The board of every dialed peer. Cheap to clone; every clone is the same board.
#[derive(Clone, Default)]
pub struct Board {
    peers: Arc<Mutex<BTreeMap<String, Entry>>>,
    /// `.loam/peers.json`, rewritten at each change.
    file: Option<PathBuf>,
}

impl Board {
    /// A board written to `file` at each change.
    pub fn written_to(file: PathBuf) -> Board {
        Board { peers: Default::default(), file: Some(file) }
    }

    /// `url` is now in `state`: printed when it differs from before (a reason that is the same is said once).
    pub fn set(&self, url: &str, state: State) {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        {
            let mut peers = crate::lock(&self.peers);
            let entry = peers.entry(url.to_string()).or_insert_with(|| Entry {
                peer: Peer {
                    url: url.to_string(),
                    state: State::Connecting,
                    since: now.clone(),
                    last_in_step: None,
                    waiting: 0,
                },
                changed: Instant::now(),
                waiting: BTreeSet::new(),
                warned: false,
            });
            // The same state, or a second word on a refusal already told: nothing new.
            let refused_again = matches!((&entry.peer.state, &state), (State::Refused { .. }, State::Refused { .. }));
            if entry.peer.state == state || refused_again {
                return;
            }
            let was_in_step = entry.peer.state == State::InStep;
            if state == State::InStep {
                entry.peer.last_in_step = Some(now.clone());
                entry.waiting.clear();
                entry.warned = false;
            }
            // Out of step since it left "in step"; a reason changing while out of step does not restart the clock.
            if state == State::InStep || was_in_step {
                entry.changed = Instant::now();
            }
            entry.peer.waiting = entry.waiting.len();
            entry.peer.state = state.clone();
            entry.peer.since = now;
            match &state {
                State::Refused { .. } | State::Behind { .. } => tracing::warn!("sync: {url}: {}", state.words()),
                State::Unreachable { .. } if entry.peer.last_in_step.is_some() || entry.warned => {
                    tracing::warn!("sync: {url}: {}", state.words())
                }
                _ => tracing::info!("sync: {url}: {}", state.words()),
            }
        }
        self.write();
    }

    /// A whole exchange with `url` of `documents` documents ended, `behind` of them left for another time: said,
    /// and the peer in step, or behind.
    pub fn exchanged(&self, url: &str, documents: usize, behind: usize, started: Instant) {
        tracing::info!("sync: {url}: {documents} documents exchanged in {:.1} s", started.elapsed().as_secs_f64());
        self.set(url, if behind == 0 { State::InStep } else { State::Behind { documents: behind } });
    }

    /// A note (its document) changed here: it waits to go out to every peer not in step.
    pub fn changed(&self, doc: &str) {
        let mut any = false;
        for entry in crate::lock(&self.peers).values_mut() {
            if entry.peer.state != State::InStep && entry.waiting.insert(doc.to_string()) {
                entry.peer.waiting = entry.waiting.len();
                any = true;
            }
        }
        if any {
            self.write();
        }
    }

    /// Every peer on the board.
    pub fn peers(&self) -> Vec<Peer> {
        crate::lock(&self.peers).values().map(|entry| entry.peer.clone()).collect()
    }

    /// Warns, once per stretch, of each peer out of step for longer than [`PATIENCE`].
    pub fn warn_of_the_late(&self) {
        for entry in crate::lock(&self.peers).values_mut() {
            if entry.peer.state != State::InStep && !entry.warned && entry.changed.elapsed() >= PATIENCE {
                entry.warned = true;
                tracing::warn!(
                    "sync: {}: not in step for {} s: {}{}",
                    entry.peer.url,
                    entry.changed.elapsed().as_secs(),
                    entry.peer.state.words(),
                    match entry.waiting.len() {
                        0 => String::new(),
                        1 => "; 1 note waiting to go out".to_string(),
                        n => format!("; {n} notes waiting to go out"),
                    }
                );
            }
        }
    }

    fn write(&self) {
        let Some(file) = &self.file else { return };
        let json = serde_json::to_vec_pretty(&self.peers()).unwrap_or_default();
        if let Err(error) = crate::store::files::write_atomic(file, &json) {
            tracing::debug!("cannot write `{}`: {error}", file.display());
        }
    }
}

/// The board `loam serve` last wrote for the garden whose `.loam/` folder is `dir`.
pub fn last_written(dir: &std::path::Path) -> Option<Vec<Peer>> {
    serde_json::from_slice(&std::fs::read(dir.join("peers.json")).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_s_stretch_out_of_step_and_what_waits_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let board = Board::written_to(dir.path().join("peers.json"));
        board.set("wss://relay.example.org/", State::Connecting);
        board.changed("doc-a");
        board.changed("doc-a");
        board.changed("doc-b");
        let peers = last_written(dir.path()).unwrap();
        assert_eq!((peers[0].waiting, &peers[0].state), (2, &State::Connecting));
        board.set("wss://relay.example.org/", State::Unreachable { reason: "cannot find relay.example.org".into() });
        let text = std::fs::read_to_string(dir.path().join("peers.json")).unwrap();
        assert!(
            text.contains("\"state\": \"unreachable\"") && text.contains("cannot find relay.example.org"),
            "{text}"
        );
        board.set("wss://relay.example.org/", State::InStep);
        let peers = board.peers();
        assert_eq!((peers[0].waiting, &peers[0].state), (0, &State::InStep));
        assert!(peers[0].last_in_step.is_some());
        board.changed("doc-c");
        assert_eq!(board.peers()[0].waiting, 0, "a peer in step takes changes as they come");
    }
}
