#!/usr/bin/env python3
"""sync.py: what syncing two gardens over loopback costs, on a garden made by ../shared/bench/genvault.py.

It prints, with the targets of the sync issue:
  - `loam clone ws://…/sync` of a served garden: wall time (target: under 60 s);
  - `loam sync ws://…/sync` with nothing to exchange, the whole command (target for a reconnect: under 3 s);
  - saving a note in one served garden until the file changes in the other, both serving, the second with
    `--peer` on the first: median and maximum of ROUNDS saves (target: median under 100 ms).
And through a relay (an automerge-repo sync server: tests/peers/relay.mjs on automerge-repo 2.x, or with
RELAY=published the published @automerge/automerge-repo-sync-server 0.2.8), with the targets of the
internet-collaboration issue:
  - `loam sync RELAY` of the whole garden, the first time: wall time (target: under 60 s at 10,000 notes);
  - `loam clone RELAY DIR --garden automerge:…` of it into a new folder: wall time;
  - `loam sync RELAY` again with nothing new, from each garden: median of 3 (target: under 3 s);
  - `loam serve --peer RELAY` started on the clone: time until it says it is in step, its memory then and 15 s
    later, once it has handed back what its work freed (target: under 300 MiB), with the relay's;
  - saving a note in one served garden until the file changes in the other, both serving with `--peer RELAY`.
Each command's peak memory is its own (wait4's maximum resident set).
The gardens go in a folder on disk (BENCH_TMP, default /var/tmp): flushes to the disk are part of the cost.

Usage: bench/sync.py            (NOTES=10000, ROUNDS=20 by default; LOAM_BIN to use a built binary;
                                 ONLY=direct or ONLY=relay for one half; RELAY=published for the 0.2.8 server)
"""

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENVAULT = os.environ.get("GENVAULT", os.path.join(os.path.dirname(REPO), "shared", "bench", "genvault.py"))
NOTES = int(os.environ.get("NOTES", "10000"))
ROUNDS = int(os.environ.get("ROUNDS", "20"))
ONLY = os.environ.get("ONLY", "")
RELAY = os.environ.get("RELAY", "repo2")
PEERS = os.path.join(REPO, "tests", "peers")


def binary():
    loam = os.environ.get("LOAM_BIN")
    if not loam:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "loam"], cwd=REPO, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
        loam = os.path.join(target, "release", "loam")
    return loam


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """`loam serve GARDEN --port P [ARGS]`, its stderr collected in a file."""

    def __init__(self, loam, garden, args=()):
        self.port = free_port()
        self.log_path = garden.rstrip("/") + ".serve.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([loam, "serve", garden, "--port", str(self.port), *args],
                                        stdout=subprocess.DEVNULL, stderr=self.log)
        self.url = f"ws://127.0.0.1:{self.port}/sync"
        self.wait_for("sync at")

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_for(self, pattern, timeout=300):
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.text()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"loam serve did not print {pattern!r}:\n{self.text()}")
            time.sleep(0.05)

    def stop(self):
        self.process.terminate()
        self.process.wait()
        self.log.close()


def timed(args):
    """Runs `args` to its end: (wall seconds, stdout); exits on failure."""
    took, out, _ = measured(args)
    return took, out


def measured(args):
    """Runs `args` to its end: (wall seconds, what it printed, peak memory in MiB of that process); exits on
    failure."""
    with tempfile.TemporaryFile(mode="w+") as printed:
        started = time.monotonic()
        process = subprocess.Popen(args, stdout=printed, stderr=subprocess.STDOUT)
        # Reaped here, not by subprocess, to read the process's own peak memory.
        _, status, usage = os.wait4(process.pid, 0)
        took = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        printed.seek(0)
        out = printed.read()
    if process.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{out}")
    return took, out, usage.ru_maxrss / 1024


def memory(pid):
    """(resident, peak resident) of a running process, in MiB."""
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def count_notes(garden):
    return sum(1 for _, _, files in os.walk(os.path.join(garden, "content")) for f in files if f.endswith(".md"))


def make_garden(loam, work):
    ada = os.path.join(work, "ada")
    subprocess.run([sys.executable, GENVAULT, os.path.join(ada, "content"), str(NOTES)], check=True,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(ada, "loam.toml"), "w") as f:
        f.write('title = "Sync benchmark"\n')
    subprocess.run([loam, "import", ada], check=True, capture_output=True)
    return ada


def main():
    loam = binary()
    work = tempfile.mkdtemp(prefix="loam-sync-bench-", dir=os.environ.get("BENCH_TMP", "/var/tmp"))
    try:
        if ONLY != "relay":
            direct(loam, os.path.join(work, "direct"))
        if ONLY != "direct":
            relayed(loam, os.path.join(work, "relay"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def direct(loam, work):
    os.makedirs(work)
    ada = make_garden(loam, work)
    server = Served(loam, ada)
    bo = os.path.join(work, "bo")
    clone, out = timed([loam, "clone", server.url, bo])
    notes = count_notes(bo)
    print(f"clone of {NOTES} notes: {clone:.1f} s ({notes} notes arrived) -- target under 60 s")
    idle = [timed([loam, "sync", server.url, bo])[0] for _ in range(3)]
    print(f"sync with nothing to exchange: median {statistics.median(idle):.2f} s of 3 -- target under 3 s")

    peer = Served(loam, bo, ["--peer", server.url])
    peer.wait_for("in step")
    delays = saves(ada, bo, server, peer)
    print(f"a save reaching the other garden: median {statistics.median(delays):.0f} ms, "
          f"max {max(delays):.0f} ms of {ROUNDS} -- target median under 100 ms")
    peer.stop()
    server.stop()


def saves(ada, bo, server, peer):
    """Saves ROUNDS notes in `ada` one after another, each timed until it is in `bo`'s file."""
    note_files = sorted(
        os.path.relpath(os.path.join(root, f), os.path.join(ada, "content"))
        for root, _, files in os.walk(os.path.join(ada, "content")) for f in files if f.endswith(".md"))
    delays = []
    for n in range(ROUNDS):
        note = note_files[(n * 7919) % len(note_files)]
        marker = f"Saved in round {n}."
        theirs = os.path.join(bo, "content", note)
        with open(os.path.join(ada, "content", note), "a") as f:
            f.write(f"\n{marker}\n")
        started = time.monotonic()
        deadline = started + 30
        while True:
            try:
                with open(theirs) as f:
                    if marker in f.read():
                        break
            except FileNotFoundError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"round {n}: {note} did not arrive:\n{server.text()}\n{peer.text()}")
            time.sleep(0.001)
        delays.append((time.monotonic() - started) * 1000)
        time.sleep(0.3)
    return delays


class Relay:
    """An automerge-repo sync server on a free loopback port, its storage in `storage`."""

    def __init__(self, storage):
        if not os.path.isdir(os.path.join(PEERS, "node_modules")):
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PEERS, check=True, stdout=subprocess.DEVNULL)
        os.makedirs(storage, exist_ok=True)
        self.log_path = storage.rstrip("/") + ".log"
        self.log = open(self.log_path, "w")
        if RELAY == "published":
            port = free_port()
            server = os.path.join(PEERS, "node_modules", "@automerge", "automerge-repo-sync-server", "src", "index.js")
            env = {**os.environ, "PORT": str(port), "DATA_DIR": os.path.join(storage, "data")}
            self.process = subprocess.Popen(["node", server], cwd=storage, env=env, stdout=self.log,
                                            stderr=subprocess.STDOUT)
            self.url, ready = f"ws://127.0.0.1:{port}", "Listening on port"
        else:
            self.process = subprocess.Popen(["node", os.path.join(PEERS, "relay.mjs"), storage], cwd=storage,
                                            stdout=self.log, stderr=subprocess.STDOUT)
            self.url, ready = None, "relay at"
        deadline = time.monotonic() + 60
        while ready not in self.text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"the relay did not start:\n{self.text()}")
            time.sleep(0.05)
        if self.url is None:
            self.url = re.search(r"ws://\S+", self.text()).group(0)

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        self.process.terminate()
        self.process.wait()
        self.log.close()


def relayed(loam, work):
    os.makedirs(work)
    ada = make_garden(loam, work)
    relay = Relay(os.path.join(work, "relay"))
    name = "the published sync server 0.2.8" if RELAY == "published" else "a relay on automerge-repo 2.x"
    print(f"through {name}:")
    address = re.search(r"automerge:\w+", timed([loam, "info", ada])[1]).group(0)
    took, _, peak = measured([loam, "sync", relay.url, ada])
    print(f"  first sync of {NOTES} notes: {took:.1f} s, {peak:.0f} MiB -- target under 60 s at 10,000 notes")
    bo = os.path.join(work, "bo")
    took, _, peak = measured([loam, "clone", relay.url, bo, "--garden", address])
    print(f"  clone of {NOTES} notes: {took:.1f} s, {peak:.0f} MiB ({count_notes(bo)} notes arrived)")
    for garden in (ada, bo):
        runs = [measured([loam, "sync", relay.url, garden]) for _ in range(3)]
        print(f"  sync with nothing new from {os.path.basename(garden)}: median "
              f"{statistics.median(r[0] for r in runs):.2f} s of 3, {max(r[2] for r in runs):.0f} MiB -- target "
              f"under 3 s")
    started = time.monotonic()
    peer = Served(loam, bo, ["--peer", relay.url])
    peer.wait_for("in step")
    in_step = time.monotonic() - started
    resident, peak = memory(peer.process.pid)
    print(f"  loam serve --peer RELAY in step after {in_step:.1f} s; then {resident:.0f} MiB resident, "
          f"{peak:.0f} MiB at most")
    # A quiet preview hands back what its work freed after 10 s (src/live.rs, GIVE_BACK_AFTER).
    time.sleep(15)
    resident, peak = memory(peer.process.pid)
    print(f"  15 s later: {resident:.0f} MiB resident -- target under 300 MiB")
    server = Served(loam, ada, ["--peer", relay.url])
    server.wait_for("in step")
    delays = saves(ada, bo, server, peer)
    print(f"  a save reaching the other garden through the relay: median {statistics.median(delays):.0f} ms, "
          f"max {max(delays):.0f} ms of {ROUNDS}")
    resident, peak = memory(peer.process.pid)
    relay_resident, relay_peak = memory(relay.process.pid)
    print(f"  after the saves: loam serve {resident:.0f} MiB resident ({peak:.0f} at most); the relay "
          f"{relay_resident:.0f} MiB ({relay_peak:.0f} at most)")
    time.sleep(15)
    resident, _ = memory(peer.process.pid)
    print(f"  15 s after the saves: loam serve {resident:.0f} MiB resident -- target under 300 MiB")
    server.stop()
    peer.stop()
    relay.stop()


if __name__ == "__main__":
    main()
