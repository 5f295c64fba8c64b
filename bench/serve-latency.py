#!/usr/bin/env python3
"""serve-latency.py: how fast `loam serve` shows a saved note, next to `hugo server` on the same notes.

What it measures, on a garden made by ../shared/bench/genvault.py (10,000 notes by default):
  - start: the time from starting the server to its first answer with the home page;
  - for each of EDITS single-note edits (a line appended to a note whose page is open, one edit every 0.3 s):
    the time from the end of the file write to the first answer of the note's URL that holds the new text
    (polled every 5 ms), and, for loam, to the live-reload event on its event stream;
  - memory: the server's resident set after the edits, and its peak (VmHWM).
It prints medians and 95th percentiles, and whether the targets are met: write-to-HTML median under 50 ms and
95th percentile under 150 ms, start under 3 s, memory under 500 MiB.

The notes to edit get a fixed URL first (`permalink:` for loam, `url:` for Hugo, written into both copies before
either server starts), so that the script knows where each note's page is. Hugo gets its own copy of the notes
(bench/hugo-site.sh) and runs `hugo server` with its defaults (pages in memory, fast render mode, live reload).

Usage (from anywhere):
  bench/serve-latency.py                   # 10,000 notes, 50 edits, loam and hugo
  NOTES=1000 EDITS=20 bench/serve-latency.py
  TOOLS=loam LOAM_BIN=target/release/loam bench/serve-latency.py
Settings (environment): NOTES, EDITS, TOOLS ("loam hugo"), LOAM_BIN (else `cargo build --release`), GENVAULT,
BENCH_TMP (default /dev/shm), KEEP=1 (keep the work folder). Needs python3; installs hugo from Debian's packages
when TOOLS has hugo and it is missing.
"""

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENVAULT = os.environ.get("GENVAULT", os.path.join(os.path.dirname(REPO), "shared", "bench", "genvault.py"))
NOTES = int(os.environ.get("NOTES", "10000"))
EDITS = int(os.environ.get("EDITS", "50"))
TOOLS = os.environ.get("TOOLS", "loam hugo").split()
POLL = 0.005


def note(message):
    print("# " + message, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, timeout=5.0):
    """(status, body) of one GET, or (0, "") if the server does not answer."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        connection.close()
        return response.status, body
    except OSError:
        return 0, ""


def memory_kib(pid):
    rss = hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


def choose_notes(garden, count):
    """`count` published notes with frontmatter, spread over the garden, and their fixed URLs."""
    candidates = []
    for dirpath, dirnames, filenames in os.walk(garden):
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith(".md"):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if text.startswith("---\n") and "publish: false" not in text and "draft: true" not in text:
                candidates.append(path)
    step = max(1, len(candidates) // count)
    chosen = candidates[::step][:count]
    edits = []
    for k, path in enumerate(chosen):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        text = f'---\npermalink: "bench/edit-{k}"\nurl: "/bench/edit-{k}/"\n' + text[4:]
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        edits.append((os.path.relpath(path, garden), f"/bench/edit-{k}/"))
    return edits


class Events(threading.Thread):
    """Reads loam's live-reload stream and keeps the arrival time of each version event."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.times = []
        self.lock = threading.Lock()

    def run(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port)
        connection.request("GET", "/_loam/events")
        response = connection.getresponse()
        while True:
            line = response.fp.readline()
            if not line:
                return
            if line.startswith(b"event: version"):
                with self.lock:
                    self.times.append(time.monotonic())

    def first_after(self, t, deadline):
        while time.monotonic() < deadline:
            with self.lock:
                later = [x for x in self.times if x > t]
            if later:
                return later[0]
            time.sleep(0.001)
        return None


def run_tool(tool, garden, hugo_site, edits, loam_bin):
    port = free_port()
    if tool == "loam":
        command = [loam_bin, "serve", garden, "--port", str(port)]
        content = garden
    else:
        command = ["hugo", "server", "--source", hugo_site, "--port", str(port), "--bind", "127.0.0.1",
                   "--baseURL", f"http://127.0.0.1:{port}/", "--appendPort=false", "--quiet"]
        content = os.path.join(hugo_site, "content")
    log = open(os.path.join(os.path.dirname(garden), f"{tool}-serve.log"), "w")
    started = time.monotonic()
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        while True:
            status, _ = get(port, "/")
            if status == 200:
                break
            if server.poll() is not None or time.monotonic() - started > 300:
                raise SystemExit(f"{tool} did not start; see {log.name}")
            time.sleep(0.01)
        start_s = time.monotonic() - started
        events = None
        if tool == "loam":
            events = Events(port)
            events.start()
        # Let the start-up settle (and loam's two-second rule for trusting file times pass).
        time.sleep(3)
        to_html, to_event = [], []
        for k, (relative, url) in enumerate(edits):
            path = os.path.join(content, relative)
            status, body = get(port, url)
            if status != 200:
                raise SystemExit(f"{tool}: {url} answers {status} before the edit; see {log.name}")
            token = f"bench-token-{k}-{int(time.time() * 1000)}"
            with open(path, "a", encoding="utf-8") as f:
                f.write(f"\n\nEdited: {token}.\n")
            written = time.monotonic()
            deadline = written + 30
            while True:
                status, body = get(port, url)
                if status == 200 and token in body:
                    to_html.append(time.monotonic() - written)
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"{tool}: the edit of {relative} did not show at {url} within 30 s")
                time.sleep(POLL)
            if events:
                arrived = events.first_after(written, written + 30)
                if arrived is not None:
                    to_event.append(arrived - written)
            time.sleep(0.3)
        rss, hwm = memory_kib(server.pid)
        return {"start": start_s, "html": to_html, "event": to_event, "rss": rss / 1024, "hwm": hwm / 1024}
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    loam_bin = os.environ.get("LOAM_BIN")
    if "loam" in TOOLS and not loam_bin:
        note("building loam (cargo build --release)")
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
        loam_bin = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target")), "release", "loam")
    if "hugo" in TOOLS and not shutil.which("hugo"):
        note("installing hugo from Debian's packages")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True)
        subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "hugo"], check=True)
    base = os.environ.get("BENCH_TMP") or ("/dev/shm" if os.access("/dev/shm", os.W_OK) else None)
    work = tempfile.mkdtemp(prefix="loam-serve-bench.", dir=base)
    try:
        garden = os.path.join(work, "garden")
        note(f"generating a {NOTES}-note garden in {garden}")
        subprocess.run([sys.executable, GENVAULT, garden, str(NOTES)], check=True, stdout=subprocess.DEVNULL)
        edits = choose_notes(garden, EDITS)
        hugo_site = os.path.join(work, "hugo-site")
        if "hugo" in TOOLS:
            subprocess.run([os.path.join(REPO, "bench", "hugo-site.sh"), garden, hugo_site], check=True)
        with open("/proc/loadavg") as f:
            load = " ".join(f.read().split()[:3])
        print(f"machine: {os.cpu_count()} cores, load average {load}; {NOTES} notes, {len(edits)} edits")
        if loam_bin:
            version = subprocess.run([loam_bin, "--version"], capture_output=True, text=True).stdout.strip()
            commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                    text=True).stdout.strip()
            print(f"loam: {loam_bin} ({version}, commit {commit})")
        if "hugo" in TOOLS:
            print("hugo: " + subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.strip())
        results = {}
        for tool in TOOLS:
            note(f"{tool}: starting the server and making {len(edits)} edits")
            results[tool] = run_tool(tool, garden, hugo_site, edits, loam_bin)
        print()
        print("tool   start_s  write->html median  p95      write->reload event median  p95      rss_MiB  peak_MiB")
        for tool, r in results.items():
            html = [x * 1000 for x in r["html"]]
            event = [x * 1000 for x in r["event"]]
            event_text = f"{statistics.median(event):8.1f} ms {percentile(event, 95):6.1f} ms" if event else "     n/a          "
            print(f"{tool:5}  {r['start']:7.2f}  {statistics.median(html):10.1f} ms {percentile(html, 95):6.1f} ms"
                  f"      {event_text}         {r['rss']:7.0f}  {r['hwm']:8.0f}")
        for tool, r in results.items():
            print(f"{tool} write->html (ms): " + " ".join(f"{x * 1000:.0f}" for x in r["html"]))
        if "loam" in results:
            r = results["loam"]
            html = [x * 1000 for x in r["html"]]
            checks = [
                ("write->html median < 50 ms", statistics.median(html) < 50),
                ("write->html p95 < 150 ms", percentile(html, 95) < 150),
                ("start to first page < 3 s", r["start"] < 3),
                ("peak memory < 500 MiB", r["hwm"] < 500),
            ]
            for what, ok in checks:
                print(f"target loam {what + ':':32} {'met' if ok else 'NOT met'}")
    finally:
        if os.environ.get("KEEP") == "1":
            note(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
