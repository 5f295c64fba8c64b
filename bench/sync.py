#!/usr/bin/env python3
"""sync.py: what syncing two gardens over loopback costs, on a garden made by ../shared/bench/genvault.py.

It prints, with the targets of the sync issue:
  - `loam clone ws://…/sync` of a served garden: wall time (target: under 60 s);
  - `loam sync ws://…/sync` with nothing to exchange, the whole command (target for a reconnect: under 3 s);
  - saving a note in one served garden until the file changes in the other, both serving, the second with
    `--peer` on the first: median and maximum of ROUNDS saves (target: median under 100 ms).
The gardens go in a folder on disk (BENCH_TMP, default /var/tmp): flushes to the disk are part of the cost.

Usage: bench/sync.py            (NOTES=10000, ROUNDS=20 by default; LOAM_BIN to use a built binary)
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
    started = time.monotonic()
    done = subprocess.run(args, capture_output=True, text=True)
    took = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return took, done.stdout


def main():
    loam = binary()
    work = tempfile.mkdtemp(prefix="loam-sync-bench-", dir=os.environ.get("BENCH_TMP", "/var/tmp"))
    try:
        ada = os.path.join(work, "ada")
        subprocess.run([sys.executable, GENVAULT, os.path.join(ada, "content"), str(NOTES)], check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(ada, "loam.toml"), "w") as f:
            f.write('title = "Sync benchmark"\n')
        subprocess.run([loam, "import", ada], check=True, capture_output=True)
        server = Served(loam, ada)
        bo = os.path.join(work, "bo")
        clone, out = timed([loam, "clone", server.url, bo])
        notes = sum(1 for _, _, files in os.walk(os.path.join(bo, "content")) for f in files if f.endswith(".md"))
        print(f"clone of {NOTES} notes: {clone:.1f} s ({notes} notes arrived) -- target under 60 s")
        idle = [timed([loam, "sync", server.url, bo])[0] for _ in range(3)]
        print(f"sync with nothing to exchange: median {statistics.median(idle):.2f} s of 3 -- target under 3 s")

        peer = Served(loam, bo, ["--peer", server.url])
        peer.wait_for("in step")
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
        print(f"a save reaching the other garden: median {statistics.median(delays):.0f} ms, "
              f"max {max(delays):.0f} ms of {ROUNDS} -- target median under 100 ms")
        peer.stop()
        server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
