#!/usr/bin/env bash
# large-notes.sh: what a garden holding very large notes costs, command by command.
#
# The garden: 200 ordinary notes, one note of 5 MB and one of 25 MB (Markdown dense with headings, lists and
# [[links]] to the ordinary notes, the shape that costs most to render). Each command runs RUNS times on a fresh
# copy; the script prints each run's wall time and peak resident memory (GNU time), then the medians. The
# target (issue 16): every command under 30 s and 1 GiB.
#
#   import      `loam import` of the garden (a fresh `.loam/` each run)
#   edit        `loam import` after appending a line to the 25 MB note (one new version of it)
#   build       `loam build` into a fresh folder
#   log         `loam log big-25.md`
#   clone-dir   `loam clone GARDEN DIR` (a folder on this machine)
#   clone-ws    `loam clone ws://…/sync DIR` from `loam serve` (the clone's memory; the server's is serve's)
#   sync        `loam sync` of a clone with the 25 MB note edited, against the garden's folder
#   serve       `loam serve` until the 25 MB note's page is served, then stopped (its peak memory)
#
#   bench/large-notes.sh
# Settings: RUNS=3  LOAM_BIN=PATH (else `cargo build --release`)  BENCH_TMP=DIR (default /var/tmp)  KEEP=1
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-3}
LOAM_BIN=${LOAM_BIN:-}
WORK=$(mktemp -d "${BENCH_TMP:-/var/tmp}/loam-large.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT

if [ -z "$LOAM_BIN" ]; then
  (cd "$REPO" && cargo build --release --quiet)
  LOAM_BIN="$REPO/target/release/loam"
fi
[ -x /usr/bin/time ] || { echo "large-notes.sh needs GNU time (apt-get install time)" >&2; exit 1; }
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$WORK/garden" <<'PY'
import os, random, sys
garden = sys.argv[1]
os.makedirs(garden)
rng = random.Random(16)
words = ("soil water roots compost worms leaf light seed shade frost mulch loam clay sand humus fungi "
         "spore moss fern bark").split()
names = [f"Note {n}" for n in range(200)]

def paragraph():
    out = []
    for _ in range(rng.randint(20, 60)):
        r = rng.random()
        out.append(f"[[{rng.choice(names)}]]" if r < 0.08 else f"#{rng.choice(words)}" if r < 0.1 else rng.choice(words))
    return " ".join(out) + "\n\n"

def note(size):
    parts, n, total = [], 0, 0
    while total < size:
        n += 1
        block = f"## Part {n}\n\n" if n % 20 == 1 else ""
        block += paragraph() if n % 5 else "".join(f"- {paragraph().strip()}\n" for _ in range(3)) + "\n"
        parts.append(block)
        total += len(block)
    return "".join(parts)

for name in names:
    with open(os.path.join(garden, name + ".md"), "w") as f:
        f.write(f"---\ntitle: {name}\n---\n" + note(2000))
for name, size in (("big-5", 5 << 20), ("big-25", 25 << 20)):
    with open(os.path.join(garden, name + ".md"), "w") as f:
        f.write(f"---\ntitle: {name}\n---\n" + note(size))
PY
ls -l "$WORK/garden"/big-*.md | awk '{print "# " $9 ": " $5 " bytes"}'

RESULTS="$WORK/results"
: >"$RESULTS"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# measure NAME CMD...: one run under GNU time; appends "NAME seconds kib" to the results.
measure() {
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>&1 || {
    echo "$name failed:" >&2
    tail -5 "$WORK/out" >&2
    exit 1
  }
  read -r seconds kib <"$WORK/time"
  echo "$name $seconds $kib" | tee -a "$RESULTS"
}

# serve_until_page GARDEN PORT: serves GARDEN until the 25 MB note's page answers, then stops it.
serve_until_page() {
  local garden=$1 port=$2
  "$LOAM_BIN" serve "$garden" --port "$port" >/dev/null 2>&1 &
  local pid=$!
  python3 - "$port" <<'PY'
import sys, time, urllib.request
port = sys.argv[1]
deadline = time.time() + 120
while time.time() < deadline:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/big-25/", timeout=120) as r:
            if r.status == 200 and len(r.read()) > 1_000_000:
                sys.exit(0)
    except Exception:
        time.sleep(0.05)
sys.exit(1)
PY
  local ok=$?
  kill -INT "$pid"
  wait "$pid" || true
  return $ok
}
export -f serve_until_page
export LOAM_BIN

for run in $(seq "$RUNS"); do
  echo "# run $run"
  rm -rf "$WORK/g" "$WORK/out-site" "$WORK/c1" "$WORK/c2" "$WORK/c3"
  cp -r "$WORK/garden" "$WORK/g"
  rm -rf "$WORK/g/.loam"
  measure import "$LOAM_BIN" import "$WORK/g"
  echo "one more line at the end" >>"$WORK/g/big-25.md"
  measure edit "$LOAM_BIN" import "$WORK/g"
  measure build "$LOAM_BIN" build "$WORK/g" -o "$WORK/out-site"
  measure log "$LOAM_BIN" log "$WORK/g/big-25.md"
  measure clone-dir "$LOAM_BIN" clone "$WORK/g" "$WORK/c1"
  port=$(free_port)
  "$LOAM_BIN" serve "$WORK/g" --port "$port" >/dev/null 2>&1 &
  server=$!
  python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(600):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=5)
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(1)
PY
  measure clone-ws "$LOAM_BIN" clone "ws://127.0.0.1:$port/sync" "$WORK/c2"
  kill -INT "$server"
  wait "$server" || true
  echo "an edit made in the clone" >>"$WORK/c1/content/big-25.md"
  measure sync "$LOAM_BIN" sync "$WORK/g" "$WORK/c1"
  cmp -s "$WORK/g/big-25.md" "$WORK/c1/content/big-25.md" || { echo "sync did not bring the edit over" >&2; exit 1; }
  measure serve bash -c "serve_until_page '$WORK/g' $(free_port)"
done

echo "# medians of $RUNS runs: seconds, peak MiB (target: under 30 s and 1024 MiB each)"
python3 - "$RESULTS" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, seconds, kib = line.split()
    runs.setdefault(name, []).append((float(seconds), int(kib) / 1024))
for name, values in runs.items():
    seconds = statistics.median(v[0] for v in values)
    mib = statistics.median(v[1] for v in values)
    print(f"{name:10} {seconds:7.2f} s {mib:8.0f} MiB{'  OVER' if seconds >= 30 or mib >= 1024 else ''}")
PY
