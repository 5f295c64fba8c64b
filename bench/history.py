#!/usr/bin/env python3
"""history.py: what recording a garden's history costs, on a garden made by ../shared/bench/genvault.py.

It prints, with the targets of the store's issue:
  - the first `loam import` of the garden: wall time and peak memory (targets: under 6 s, under 1 GiB);
  - the store's size on disk against the notes' (apparent sizes; target: under 1.5 times);
  - `loam serve` from start to the first page, with the store in place and nothing changed (target: under 3 s);
  - recording a one-line edit of a 50 KB note, and a rewrite of half of a 100 KB note, timed inside the process
    by examples/history.rs (targets: median under 5 ms, and under 200 ms).
The garden goes in a folder on disk (BENCH_TMP, default /var/tmp), not in memory: flushes to the disk are part
of the cost.

Usage: bench/history.py            (NOTES=10000 by default; LOAM_BIN and HISTORY_BIN to use built binaries)
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
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENVAULT = os.environ.get("GENVAULT", os.path.join(os.path.dirname(REPO), "shared", "bench", "genvault.py"))
NOTES = int(os.environ.get("NOTES", "10000"))


def binaries():
    loam, history = os.environ.get("LOAM_BIN"), os.environ.get("HISTORY_BIN")
    if not (loam and history):
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "loam", "--example", "history"],
                       cwd=REPO, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
        loam = loam or os.path.join(target, "release", "loam")
        history = history or os.path.join(target, "release", "examples", "history")
    return loam, history


def size(path, skip=None):
    total = 0
    for root, dirs, files in os.walk(path):
        if skip in dirs:
            dirs.remove(skip)
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def serve_start(loam, garden):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    server = subprocess.Popen([loam, "serve", garden, "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
                    if answer.status == 200:
                        return time.monotonic() - started
            except OSError:
                pass
            if time.monotonic() - started > 60:
                raise SystemExit("loam serve did not answer within 60 s")
            time.sleep(0.01)
    finally:
        server.terminate()
        server.wait()


def main():
    loam, history = binaries()
    work = tempfile.mkdtemp(prefix="loam-history-bench.", dir=os.environ.get("BENCH_TMP", "/var/tmp"))
    try:
        garden = os.path.join(work, "garden")
        subprocess.run([sys.executable, GENVAULT, garden, str(NOTES)], check=True, stdout=subprocess.DEVNULL)
        load = open("/proc/loadavg").read().split()[:3]
        print(f"machine: {os.cpu_count()} cores, load average {' '.join(load)}; {NOTES} notes in {work}")
        subprocess.run(["sync"], check=True)
        timed = subprocess.run(["/usr/bin/time", "-f", "%e %M", loam, "import", garden], capture_output=True,
                               text=True, check=True)
        seconds, kib = timed.stderr.strip().splitlines()[-1].split()
        import_s, import_mib = float(seconds), int(kib) / 1024
        notes = size(garden, skip=".loam")
        store = size(os.path.join(garden, ".loam"))
        starts = [serve_start(loam, garden) for _ in range(3)]
        out = subprocess.run([history, garden], capture_output=True, text=True, check=True).stdout
        edit = float(re.search(r"50 KB note: median ([0-9.]+) ms", out).group(1))
        rewrite = float(re.search(r"100 KB note: median ([0-9.]+) ms", out).group(1))
        print(f"first import: {import_s:.2f} s, peak {import_mib:.0f} MiB")
        print(f"store on disk: {store / 2**20:.1f} MiB for {notes / 2**20:.1f} MiB of notes ({store / notes:.2f}x)")
        print(f"serve, start to first page with the store in place: median {statistics.median(starts):.2f} s "
              f"({', '.join(f'{s:.2f}' for s in starts)})")
        print(out.strip())
        checks = [
            ("first import under 6 s", import_s < 6),
            ("first import under 1 GiB", import_mib < 1024),
            ("store under 1.5x the notes", store < 1.5 * notes),
            ("serve start under 3 s", statistics.median(starts) < 3),
            ("one-line edit of a 50 KB note under 5 ms (median)", edit < 5),
            ("rewrite of half of a 100 KB note under 200 ms (median)", rewrite < 200),
        ]
        for name, ok in checks:
            print(f"target {name + ':':<58} {'met' if ok else 'NOT met'}")
    finally:
        if os.environ.get("KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
