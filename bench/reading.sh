#!/usr/bin/env bash
# reading.sh: what the reader's features cost on a large garden.
#
# 1. The search index: `loam build` of a garden made by ../shared/bench/genvault.py with `search = false` and
#    with `search = true` (the default), RUNS times each after a warm-up, taking turns; prints the medians and the
#    cost of indexing in per cent of the build without it (target: under 50%), then the index's size on disk, its
#    file count, and what a reader's first query downloads (the list of chunks and one chunk of the word index,
#    then a bundle of note texts for each result shown).
# 2. The graph page's time to first draw in Debian's chromium on the same built site (bench/graph-first-draw.mjs,
#    median of 5 fresh visits; target under 1 s at 10,000 notes).
#
#   bench/reading.sh
# Settings: NOTES=10000  RUNS=5  LOAM_BIN=PATH (else `cargo build --release`)  BENCH_TMP=DIR (default /var/tmp)
#           KEEP=1 keeps the garden and the sites.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GENVAULT=${GENVAULT:-$(cd "$REPO/.." && pwd)/shared/bench/genvault.py}
NOTES=${NOTES:-10000}
RUNS=${RUNS:-5}
LOAM_BIN=${LOAM_BIN:-}
WORK=$(mktemp -d "${BENCH_TMP:-/var/tmp}/loam-reading.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT

if [ -z "$LOAM_BIN" ]; then
  (cd "$REPO" && cargo build --release --quiet)
  LOAM_BIN="$REPO/target/release/loam"
fi
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 "$GENVAULT" "$WORK/garden" "$NOTES" >/dev/null
printf 'content = "."\nsearch = false\n' >"$WORK/garden/loam.toml"
cp -r "$WORK/garden" "$WORK/garden-search"
printf 'content = "."\nsearch = true\n' >"$WORK/garden-search/loam.toml"

# The two builds take turns, in the order ABBA ABBA…, after one warm-up each: on this machine's disk every build
# is slower than the one before (3.4, 5.7, 8.1 s for the same build in a row), so running all of one command
# first, as hyperfine does, made the second look twice as slow as it is. Each run writes a fresh site: the output
# folder is removed and the disk synced before it, outside the timing.
python3 - "$WORK" "$LOAM_BIN" "$RUNS" <<'PY'
import json, os, shutil, subprocess, sys, time
work, loam, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
builds = {"without": ("garden", "out"), "with-search": ("garden-search", "out-search")}
times = {name: [] for name in builds}

def build(name):
    garden, out = builds[name]
    shutil.rmtree(os.path.join(work, out), ignore_errors=True)
    os.sync()
    start = time.perf_counter()
    subprocess.run([loam, "build", os.path.join(work, garden), "-o", os.path.join(work, out)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start

for name in builds:
    build(name)
order = list(builds)
for run in range(runs):
    for name in (order if run % 2 == 0 else order[::-1]):
        times[name].append(build(name))
    print(f"run {run + 1}: " + ", ".join(f"{name} {times[name][-1]:.3f} s" for name in builds))
json.dump({"results": [{"command": name, "times": values} for name, values in times.items()]},
          open(os.path.join(work, "times.json"), "w"))
PY

python3 - "$WORK/times.json" "$WORK/out-search/static/search" <<'PY'
import json, os, statistics, sys
runs = {r["command"]: statistics.median(r["times"]) for r in json.load(open(sys.argv[1]))["results"]}
without, with_search = runs["without"], runs["with-search"]
print(f"build without search: median {without:.3f} s")
print(f"build with search:    median {with_search:.3f} s")
print(f"indexing adds {with_search - without:.3f} s = {100 * (with_search - without) / without:.0f}% (target: under 50%)")
root = sys.argv[2]
sizes = {}
for folder, _, files in os.walk(root):
    for name in files:
        path = os.path.join(folder, name)
        sizes[os.path.relpath(path, root)] = os.path.getsize(path)
total = sum(sizes.values())
print(f"index: {total / 2**20:.1f} MiB in {len(sizes)} files "
      f"({sum(1 for p in sizes if p.startswith('index/'))} word-index chunks, "
      f"{sum(1 for p in sizes if p.startswith('text/'))} bundles of note texts)")
chunks = sorted(v for p, v in sizes.items() if p.startswith("index/"))
bundles = sorted(v for p, v in sizes.items() if p.startswith("text/"))
median = lambda values: statistics.median(values) if values else 0
print(f"a first query downloads about {(sizes.get('meta.json', 0) + median(chunks)) / 1024:.0f} KiB "
      f"(the list of chunks, {sizes.get('meta.json', 0) / 1024:.0f} KiB, and one {median(chunks) / 1024:.0f} KiB chunk "
      f"of the word index; the largest chunk is {chunks[-1] / 1024 if chunks else 0:.0f} KiB), plus one "
      f"{median(bundles) / 1024:.0f} KiB bundle of texts per result shown; sizes before the host's gzip")
PY

echo "# graph page, first draw at $NOTES notes ($(python3 -c "import json;d=json.load(open('$WORK/out-search/graph.json'));print(len(d['nodes']),'nodes',len(d['links']),'links')"))"
node "$REPO/bench/graph-first-draw.mjs" "$WORK/out-search" --runs 5
