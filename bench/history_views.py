#!/usr/bin/env python3
"""history_views.py: how fast the preview shows a note's history, on a garden made by ../shared/bench/genvault.py
with 10 versions of every note.

It makes the garden (NOTES notes in content/, loam.toml with an [author]), records it with `loam import`, then
in 9 rounds appends a different sentence to every note, dates the edit a day after the last one (the files'
modification times, from a fixed base), switches the author between Ada and Bo, and imports again. It prints
each import's time and peak memory, their median, and the store's size on disk.

Then it starts `loam serve --port 0 --port-file FILE` and, for 20 published notes spread over the garden (every
N/20-th of graph.json's nodes by URL), times GET of the note's history list (`/_history/NOTE/`, first and second
request), who wrote each line (`?blame`), two versions compared (`?from=A&to=B`, the oldest and newest versions
on the list's first page) and a past version (`?at=A`); and 5 GETs each of `/_changes/` and `/_changes/feed.xml`.
It prints the median and maximum of each kind in ms and the pages' sizes, against the issue's target: a history
page opens in under 100 ms in the preview. Then the server's memory (VmRSS, VmHWM), and it stops it (SIGTERM).

With BUILD_COST=1 it also times `loam build` of the garden as it is against `loam build` with
`[history] publish = true` in loam.toml (taking turns, ABBAABBA), and compares their times and outputs. Before
them, one build with the history and nothing kept from an earlier build (`.loam/built/` removed), the cost of
the first build after turning the history on (or after a new version of Loam), timed apart.

The garden goes in a folder on disk (BENCH_TMP, default /var/tmp) and is kept (its path is printed); GARDEN=path
reuses one made before and skips making and recording it.

Usage: bench/history_views.py      (NOTES=10000 by default; LOAM_BIN, default target/release/loam;
                                    GARDEN=path to reuse a garden; BUILD_COST=1 for the build comparison)
"""

import calendar
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import json

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENVAULT = os.environ.get("GENVAULT", os.path.join(os.path.dirname(REPO), "shared", "bench", "genvault.py"))
LOAM = os.environ.get("LOAM_BIN", os.path.join(REPO, "target", "release", "loam"))
NOTES = int(os.environ.get("NOTES", "10000"))
ROUNDS = 9  # edits after the first import: 10 versions of every note
PICKED = 20  # notes whose history is read
FEEDS = 5  # GETs of /_changes/ and of its feed
AUTHORS = ["Ada", "Bo"]
# The versions' dates: the first import's at BASE, round r's at BASE + r days (2026-01-01T00:00:00Z).
BASE = calendar.timegm((2026, 1, 1, 0, 0, 0))
DAY = 86400
TARGET_MS = 100
SENTENCES = [
    "The bees came back to the lavender after the rain.",
    "A second reading changed the ending of this note.",
    "Bo added a reference to the orchard survey here.",
    "Ada moved the summary of the meeting further up.",
    "The numbers in the table were checked against the log.",
    "This paragraph now mentions the winter pruning.",
    "A link to the seed catalogue was asked for twice.",
    "The draft was read aloud and one word replaced.",
    "Finally, the open questions were listed at the end.",
]


def size(path, skip=None):
    """(bytes, files) under `path`, apparent sizes."""
    total = count = 0
    for root, dirs, files in os.walk(path):
        if skip in dirs:
            dirs.remove(skip)
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
            count += 1
    return total, count


def measured(args, cwd, must=True):
    """Runs `args` to its end: (wall seconds, what it printed, peak memory in MiB of that process); exits on
    failure, or with must=False returns what it printed prefixed with `FAILED (exit N)`."""
    with tempfile.TemporaryFile(mode="w+") as printed:
        started = time.perf_counter()
        process = subprocess.Popen(args, cwd=cwd, stdout=printed, stderr=subprocess.STDOUT)
        # Reaped here, not by subprocess, to read the process's own peak memory.
        _, status, usage = os.wait4(process.pid, 0)
        took = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        printed.seek(0)
        out = printed.read()
    if process.returncode != 0:
        if must:
            sys.exit(f"{' '.join(args)} failed:\n{out}")
        out = f"FAILED (exit {process.returncode})\n{out}"
    return took, out, usage.ru_maxrss / 1024


def note_files(content):
    return sorted(os.path.join(root, f) for root, _, files in os.walk(content) for f in files if f.endswith(".md"))


def write_config(garden, author, extra=""):
    with open(os.path.join(garden, "loam.toml"), "w") as f:
        f.write(f'title = "History views benchmark"\n\n[author]\nname = "{author}"\n{extra}')


def date(files, when):
    for file in files:
        os.utime(file, (when, when))


def import_once(garden, label):
    took, out, mib = measured([LOAM, "import"], garden)
    said = [line for line in out.strip().splitlines() if line.strip()]
    print(f"  {label}: {took:.2f} s, peak {mib:.0f} MiB; {said[-1] if said else '(nothing printed)'}")
    for line in said[:-1]:
        print(f"    loam said: {line}")
    return took, mib


def make_garden(work):
    """Steps 1 and 2: the garden, with 10 versions of every note."""
    garden = os.path.join(work, "garden")
    content = os.path.join(garden, "content")
    subprocess.run([sys.executable, GENVAULT, content, str(NOTES), "--seed", "1"], check=True,
                   stdout=subprocess.DEVNULL)
    write_config(garden, AUTHORS[0])
    files = note_files(content)
    notes_bytes, _ = size(content)
    print(f"garden: {len(files)} notes, {notes_bytes / 2**20:.1f} MiB, in {garden}")
    date(files, BASE)
    subprocess.run(["sync"], check=True)
    print("imports:")
    first, first_mib = import_once(garden, f"first import (author {AUTHORS[0]})")
    rounds = []
    for r in range(1, ROUNDS + 1):
        author = AUTHORS[r % 2]
        write_config(garden, author)
        sentence = SENTENCES[r - 1]
        for file in files:
            with open(file, "a") as f:
                f.write(f"\n{sentence} (round {r})\n")
        date(files, BASE + r * DAY)
        rounds.append(import_once(garden, f"round {r} (author {author})"))
    write_config(garden, AUTHORS[0])
    store, store_files = size(os.path.join(garden, ".loam"))
    notes_bytes, _ = size(content)
    times = [t for t, _ in rounds]
    print(f"first import: {first:.2f} s, peak {first_mib:.0f} MiB")
    print(f"re-imports of a one-sentence edit of every note: median {statistics.median(times):.2f} s "
          f"(min {min(times):.2f}, max {max(times):.2f}), peak memory median "
          f"{statistics.median(m for _, m in rounds):.0f} MiB")
    print(f"store (.loam) on disk after {ROUNDS + 1} versions: {store / 2**20:.1f} MiB in {store_files} files, "
          f"for {notes_bytes / 2**20:.1f} MiB of notes ({store / notes_bytes:.2f}x)")
    return garden


def get(url):
    """(ms, status, bytes) of one GET."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            body = answer.read()
            status = answer.status
    except urllib.error.HTTPError as error:
        body = error.read()
        status = error.code
    return (time.perf_counter() - started) * 1000, status, body


def serve(garden, work):
    """Steps 3 to 5: the history views' times in the preview, and the server's memory."""
    port_file = os.path.join(work, "port")
    if os.path.exists(port_file):
        os.remove(port_file)
    log = open(os.path.join(work, "serve.log"), "w")
    started = time.perf_counter()
    server = subprocess.Popen([LOAM, "serve", "--port", "0", "--port-file", port_file], cwd=garden,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        while not os.path.exists(port_file):
            if server.poll() is not None or time.perf_counter() - started > 120:
                sys.exit(f"loam serve did not write its port: see {log.name}")
            time.sleep(0.01)
        root = f"http://127.0.0.1:{open(port_file).read().strip()}"
        while True:
            try:
                if get(root + "/")[1] == 200:
                    break
            except OSError:
                pass
            if time.perf_counter() - started > 120:
                sys.exit("loam serve did not answer / within 120 s")
            time.sleep(0.01)
        print(f"serve: start to first page {time.perf_counter() - started:.2f} s")

        _, status, body = get(root + "/graph.json")
        if status != 200:
            sys.exit(f"/graph.json: {status}")
        urls = sorted(node["url"] for node in json.loads(body)["nodes"])
        step = max(1, len(urls) // PICKED)
        picked = urls[::step][:PICKED]
        print(f"{len(urls)} published notes in graph.json; reading the history of {len(picked)} (every {step}th)")

        kinds = {k: [] for k in ["list, first", "list, second", "blame", "compare", "at"]}
        failures = []
        counts = []  # versions (radio inputs `to`) on each list page

        def timed(kind, url):
            ms, status, body = get(url)
            kinds[kind].append((ms, len(body), status, url))
            if status != 200:
                failures.append(f"{kind}: {status} for {url}")
            return body

        for url in picked:
            # graph.json's URLs are the pages' (under the base path "/"); percent-encode what is not yet.
            path = urllib.parse.quote(url.lstrip("/"), safe="/%")
            history = f"{root}/_history/{path}"
            page = timed("list, first", history).decode("utf-8", "replace")
            timed("list, second", history)
            timed("blame", history + "?blame")
            versions = re.findall(r'name="to" value="([^"]+)"', page)
            counts.append(len(versions))
            if len(versions) < 2:
                failures.append(f"list: {len(versions)} version(s) on {history}")
                continue
            newest, oldest = versions[0], versions[-1]
            timed("compare", f"{history}?from={oldest}&to={newest}")
            timed("at", f"{history}?at={oldest}")
        for _ in range(FEEDS):
            kinds.setdefault("/_changes/", [])
            ms, status, body = get(root + "/_changes/")
            kinds["/_changes/"].append((ms, len(body), status, root + "/_changes/"))
            if status != 200:
                failures.append(f"/_changes/: {status}")
        for _ in range(FEEDS):
            kinds.setdefault("/_changes/feed.xml", [])
            ms, status, body = get(root + "/_changes/feed.xml")
            kinds["/_changes/feed.xml"].append((ms, len(body), status, root + "/_changes/feed.xml"))
            if status != 200:
                failures.append(f"/_changes/feed.xml: {status}")

        if counts:
            print(f"versions listed on a history page's first page: min {min(counts)}, max {max(counts)}")
        print(f"{'kind':<20} {'n':>3} {'not 200':>7} {'median ms':>10} {'max ms':>8} {'median KB':>10} {'max KB':>8}"
              f"  under {TARGET_MS} ms")
        for kind, runs in kinds.items():
            if not runs:
                print(f"{kind:<20}   0")
                continue
            ms = [r[0] for r in runs]
            kb = [r[1] / 1024 for r in runs]
            slow = sum(1 for m in ms if m >= TARGET_MS)
            bad = sum(1 for r in runs if r[2] != 200)
            print(f"{kind:<20} {len(runs):>3} {bad:>7} {statistics.median(ms):>10.1f} {max(ms):>8.1f} "
                  f"{statistics.median(kb):>10.1f} {max(kb):>8.1f}  "
                  f"{'all' if not slow else f'{len(runs) - slow}/{len(runs)}'}")
        order = {kind: [round(r[0]) for r in runs] for kind, runs in kinds.items()}
        print("every time in ms, in the order asked:")
        for kind, times in order.items():
            print(f"  {kind:<20} {' '.join(map(str, times))}")
        for kind, runs in kinds.items():
            for ms, _, _, url in runs:
                if ms >= TARGET_MS:
                    print(f"over {TARGET_MS} ms: {kind} {ms:.0f} ms, {url[len(root):]}")
        if failures:
            print(f"FAILED: {len(failures)} request(s) did not answer 200 (their times are in the table); the first:")
            for failure in failures[:12]:
                print(f"    {failure}")
        history_ms = [r[0] for k in ["list, first", "list, second", "blame", "compare", "at"] for r in kinds[k]
                      if r[2] == 200]
        if not history_ms:
            print(f"target a history page under {TARGET_MS} ms: not measured (no history page answered 200)")
        else:
            ok = statistics.median(history_ms) < TARGET_MS
            print(f"target a history page under {TARGET_MS} ms (median of every history view): "
                  f"{'met' if ok else 'NOT met'} ({statistics.median(history_ms):.1f} ms; "
                  f"{sum(1 for m in history_ms if m >= TARGET_MS)} of {len(history_ms)} at or over)")

        with open(f"/proc/{server.pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        print(f"server memory: resident {int(fields['VmRSS'].split()[0]) / 1024:.0f} MiB, "
              f"peak {int(fields['VmHWM'].split()[0]) / 1024:.0f} MiB")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    said = open(log.name).read().strip().splitlines()
    noted = [line for line in said if not line.startswith("serving ")]
    if noted:
        print(f"loam serve printed {len(noted)} other line(s) (in {log.name}), the first:")
        for line in noted[:10]:
            print(f"    {line}")


# ---------------------------------------------------------------------------------------------------------------
# The cost of publishing the history in `loam build` (BUILD_COST=1).


def build_cost(garden):
    """`loam build -o OUT` of the garden as it is (A), and with `[history] publish = true` in loam.toml (B), twice
    each taking turns (ABBA), each after `sync` into a folder of its own, never one just removed (ext4 makes files
    slowly where many were just deleted, which would measure the file system, not Loam): median wall times, the
    outputs' sizes and file counts, and B's over A's."""
    config = os.path.join(garden, "loam.toml")
    original = open(config).read()
    outs = os.path.join(os.path.dirname(os.path.abspath(garden)), "build-cost-out")
    kinds = {"as is": "", "[history] publish = true": "\n[history]\npublish = true\n"}
    results = {kind: [] for kind in kinds}
    outputs = {}
    failed = set()
    cold = None
    try:
        # The first build with the history keeps what it makes of each note for the next (`.loam/built/`).
        shutil.rmtree(os.path.join(garden, ".loam", "built"), ignore_errors=True)
        with open(config, "w") as f:
            f.write(original + kinds["[history] publish = true"])
        subprocess.run(["sync"], check=True)
        took, printed, mib = measured([LOAM, "build", "-o", os.path.join(outs, "first")], garden, must=False)
        cold = (took, mib)
        print(f"  build ([history] publish = true, first: nothing kept from an earlier build): {took:.2f} s, "
              f"peak {mib:.0f} MiB")
        for n, kind in enumerate(["as is", "[history] publish = true", "[history] publish = true", "as is"] * 2):
            with open(config, "w") as f:
                f.write(original + kinds[kind])
            out = os.path.join(outs, str(n))
            subprocess.run(["sync"], check=True)
            took, printed, mib = measured([LOAM, "build", "-o", out], garden, must=False)
            said = [line for line in printed.strip().splitlines() if line.strip()]
            if said and said[0].startswith("FAILED"):
                failed.add(kind)
                print(f"  build ({kind}): {said[0]} after {took:.2f} s:")
                for line in said[1:][-5:]:
                    print(f"    loam said: {line}")
                continue
            results[kind].append((took, mib))
            outputs[kind] = size(out)
            # The garden's own warnings (links to unpublished notes...) are the same in both: counted, not shown.
            warnings = sum(1 for line in said if ": warning: " in line)
            other = [line for line in said[:-1] if ": warning: " not in line and not line.startswith("  = help")]
            print(f"  build ({kind}): {took:.2f} s, peak {mib:.0f} MiB, {warnings} warning lines; {said[-1]}")
            for line in other[:10]:
                print(f"    loam said: {line}")
    finally:
        with open(config, "w") as f:
            f.write(original)
        shutil.rmtree(outs, ignore_errors=True)
    for kind, runs in results.items():
        if not runs:
            print(f"build {kind}: every run failed")
            continue
        total, count = outputs[kind]
        print(f"build {kind}: median {statistics.median(t for t, _ in runs):.2f} s "
              f"({', '.join(f'{t:.2f}' for t, _ in runs)}), peak {max(m for _, m in runs):.0f} MiB, "
              f"output {total / 2**20:.1f} MiB in {count} files")
    if failed:
        print(f"no ratios: builds failed ({', '.join(sorted(failed))})")
        return
    (a_total, a_count), (b_total, b_count) = outputs["as is"], outputs["[history] publish = true"]
    a_time = statistics.median(t for t, _ in results["as is"])
    b_time = statistics.median(t for t, _ in results["[history] publish = true"])
    print(f"with the history published / as is: time {b_time / a_time:.2f}x, bytes {b_total / a_total:.2f}x, "
          f"files {b_count / a_count:.2f}x")
    if cold:
        print(f"the first build with the history (nothing kept): {cold[0]:.2f} s, {cold[0] / a_time:.2f}x as is")


def main():
    if not os.path.exists(LOAM):
        sys.exit(f"no loam binary at {LOAM} (LOAM_BIN)")
    load = open("/proc/loadavg").read().split()[:3]
    given = os.environ.get("GARDEN")
    if given:
        garden = os.path.abspath(given)
        work = tempfile.mkdtemp(prefix="loam-history-views.", dir=os.environ.get("BENCH_TMP", "/var/tmp"))
        print(f"machine: {os.cpu_count()} cores, load average {' '.join(load)}; reusing the garden {garden}")
    else:
        work = tempfile.mkdtemp(prefix="loam-history-views.", dir=os.environ.get("BENCH_TMP", "/var/tmp"))
        print(f"machine: {os.cpu_count()} cores, load average {' '.join(load)}; {NOTES} notes in {work}")
        garden = make_garden(work)
    serve(garden, work)
    if os.environ.get("BUILD_COST") == "1":
        build_cost(garden)
    print(f"garden kept in {garden} (GARDEN={garden} to reuse it)")


if __name__ == "__main__":
    main()
