#!/usr/bin/env bash
# build-vs-hugo.sh: how fast `loam build` turns a generated garden into a site, next to Hugo on the same notes.
#
# What it measures: wall time and peak memory (max RSS, from GNU time) of a full, cold-output build of a garden
# made by ../shared/bench/genvault.py, at 10,000 and 1,000 notes, for `loam build GARDEN -o OUT` and for
# `hugo --quiet --destination OUT` on a Hugo site holding the same notes. Hugo is set up to do comparable work:
# a page per note with its tags and a table of contents, a page per folder, tag pages, the home page, one RSS
# feed for the site and a sitemap; fenced code highlighted with CSS classes, as loam highlights it (until issue 6
# neither highlighted, and the 8x target was first met that way); raw HTML is allowed. Notes with `publish: false` become `draft: true` for Hugo, so both tools skip the same
# notes. The machine's load average is printed first: on a shared machine, other work skews the numbers.
#
# Each tool and size gets one warm-up run, then RUNS measured runs, each into a fresh output folder (on tmpfs the
# previous run's output is deleted first, outside the timing; on a disk outputs are kept until the end, because
# deleting tens of thousands of files there would slow the next run: see WIPE below). It prints the median wall time, the median peak RSS, the median CPU time (user + system: steadier than
# wall time when other work shares the machine), every run's wall time, the speed-up (hugo/loam), and how many
# pages each tool wrote, so that a broken build cannot look fast.
#
# Run from the repository root (it works from anywhere):
#   bench/build-vs-hugo.sh
# Settings (environment variables):
#   SIZES="10000 1000"   garden sizes (notes)           RUNS=5        measured runs per tool and size
#   TOOLS="loam hugo"    which tools to run              KEEP=1        keep the work folder (gardens, outputs)
#   LOAM_BIN=PATH        use this loam instead of `cargo build --release`
#   GENVAULT=PATH        the garden generator (default: ../shared/bench/genvault.py beside the repository)
#   BENCH_TMP=DIR        where the work folder goes (default: /dev/shm if present, else the system temp dir)
#   WIPE=0|1             delete each run's output before the next (default: 1 on tmpfs, 0 on a disk; see below)
# It installs what is missing from Debian's packages: hugo, time (GNU time, for peak memory), python3.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GENVAULT=${GENVAULT:-$(cd "$REPO/.." && pwd)/shared/bench/genvault.py}
SIZES=${SIZES:-"10000 1000"}
RUNS=${RUNS:-5}
TOOLS=${TOOLS:-"loam hugo"}
KEEP=${KEEP:-0}
LOAM_BIN=${LOAM_BIN:-}

die() { echo "error: $*" >&2; exit 1; }
note() { echo "# $*" >&2; }

for tool in $TOOLS; do
    case $tool in loam|hugo) ;; *) die "unknown tool '$tool' in TOOLS (use loam and/or hugo)" ;; esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number, got '$RUNS'"
has_tool() { [[ " $TOOLS " == *" $1 "* ]]; }

# ---- 1. tools from Debian's packages ---------------------------------------------------------------------------
missing=()
has_tool hugo && ! command -v hugo >/dev/null 2>&1 && missing+=(hugo)
[[ -x /usr/bin/time ]] || missing+=(time)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if ((${#missing[@]})); then
    command -v apt-get >/dev/null 2>&1 || die "need ${missing[*]} and apt-get is not here: install them yourself"
    SUDO=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "need ${missing[*]}: run as root or install sudo"
        SUDO=(sudo)
    fi
    note "installing ${missing[*]} from Debian's packages"
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[[ -f $GENVAULT ]] || die "garden generator not found at $GENVAULT (set GENVAULT=/path/to/genvault.py)"

# ---- 2. loam ---------------------------------------------------------------------------------------------------
LOAM=""
if has_tool loam; then
    if [[ -n $LOAM_BIN ]]; then
        LOAM=$(command -v "$LOAM_BIN") || die "LOAM_BIN=$LOAM_BIN is not an executable file"
    else
        command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust, or set LOAM_BIN=/path/to/loam"
        note "building loam (cargo build --release)"
        if ! (cd "$REPO" && cargo build --release --quiet); then
            die "loam does not build: 'cargo build --release' failed in $REPO (fix the build, or set LOAM_BIN=/path/to/loam, or TOOLS=hugo)"
        fi
        LOAM=${CARGO_TARGET_DIR:-$REPO/target}/release/loam
        [[ -x $LOAM ]] || die "cargo built, but there is no $LOAM"
    fi
fi

# ---- work folder -----------------------------------------------------------------------------------------------
if [[ -z ${BENCH_TMP:-} ]]; then
    if [[ -d /dev/shm && -w /dev/shm ]]; then BENCH_TMP=/dev/shm; else BENCH_TMP=${TMPDIR:-/tmp}; fi
fi
WORK=$(mktemp -d "$BENCH_TMP/loam-bench.XXXXXX")
cleanup() {
    if [[ $KEEP == 1 ]]; then note "kept the work folder: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
# Whether each run's output is deleted before the next run (not timed). On tmpfs, yes: deleting frees the memory
# the files held, and keeping every run's files makes each run write into memory the machine never touched
# before, which in this VM is slow and makes every run slower than the one before (loam: 0.73, 0.76, 0.81, 0.89,
# 0.99 s in one run of this script). On a disk, no: on this machine's ext4, deleting tens of thousands of files
# makes the next file creations several times slower. WIPE=0 or WIPE=1 overrides.
if [[ -z ${WIPE:-} ]]; then
    if [[ $(stat -f -c %T "$WORK") == tmpfs ]]; then WIPE=1; else WIPE=0; fi
fi

# ---- one timed build -------------------------------------------------------------------------------------------
# run_build TOOL N OUT: builds size N's garden with TOOL into OUT (which must not exist yet) and, unless OUT
# ends in "warmup", appends "wall_microseconds max_rss_kib user_s system_s" to $WORK/N/TOOL.runs. The tool's own
# output goes to a log, shown only if the build fails.
run_build() {
    local tool=$1 n=$2 out=$3
    local log=$out.log cmd t0 t1 rss_cpu
    case $tool in
        loam) cmd=("$LOAM" build "$WORK/$n/garden" -o "$out") ;;
        hugo) cmd=(hugo --quiet --source "$WORK/$n/hugo-site" --destination "$out") ;;
    esac
    t0=$(date +%s%N)
    if ! /usr/bin/time -f "%M %U %S" -o "$WORK/rss" "${cmd[@]}" >"$log" 2>&1; then
        echo "error: $tool failed on the $n-note garden: ${cmd[*]}" >&2
        tail -n 30 "$log" >&2
        exit 1
    fi
    t1=$(date +%s%N)
    rss_cpu=$(tail -n 1 "$WORK/rss")
    [[ $out == *warmup ]] || echo "$(((t1 - t0) / 1000)) $rss_cpu" >>"$WORK/$n/$tool.runs"
}

count_pages() { # count_pages DIR: index.html files under DIR (0 if DIR is missing)
    if [[ -d $1 ]]; then find "$1" -name index.html -type f | wc -l; else echo 0; fi
}

# ---- 3-6. gardens, timing, checks ------------------------------------------------------------------------------
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo "none yet")
[[ -n $(git -C "$REPO" status --porcelain 2>/dev/null) ]] && commit="$commit (+ uncommitted changes)"
echo "machine: $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg); work folder: $WORK ($(stat -f -c %T "$WORK"), outputs deleted between runs: $([[ $WIPE == 1 ]] && echo yes || echo no))"
has_tool loam && echo "loam: $LOAM, commit $commit"
has_tool hugo && echo "hugo: $(hugo version)"

for n in $SIZES; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "SIZES must be positive numbers, got '$n'"
    mkdir -p "$WORK/$n"
    stats=$(python3 "$GENVAULT" "$WORK/$n/garden" "$n" 2>&1) || die "genvault failed: $stats"
    # Hugo makes no search index, so loam makes none either here; bench/reading.sh measures what search costs.
    printf 'content = "."\nsearch = false\n' >"$WORK/$n/garden/loam.toml"
    published=$({ grep -rL --include="*.md" -x "publish: false" "$WORK/$n/garden" || true; } | wc -l)
    echo "garden $n: $stats; $published notes to publish"
    has_tool hugo && "$REPO/bench/hugo-site.sh" "$WORK/$n/garden" "$WORK/$n/hugo-site"
    for tool in $TOOLS; do
        note "$tool, $n notes: 1 warm-up + $RUNS runs"
        run_build "$tool" "$n" "$WORK/$n/out-$tool-warmup"
        previous=$WORK/$n/out-$tool-warmup
        for ((i = 1; i <= RUNS; i++)); do
            [[ $WIPE == 1 ]] && rm -rf "$previous"
            run_build "$tool" "$n" "$WORK/$n/out-$tool-$i"
            previous=$WORK/$n/out-$tool-$i
        done
        last=$WORK/$n/out-$tool-$RUNS
        pages=$(count_pages "$last")
        echo "$pages" >"$WORK/$n/$tool.pages"
        echo "$tool wrote $pages index.html pages for $n notes ($published to publish) in its last run"
        if ((pages < published)); then
            echo "error: $tool wrote fewer pages ($pages) than there are notes to publish ($published), so its build is broken and its timings mean nothing; the end of its output:" >&2
            tail -n 30 "$last.log" >&2
            exit 1
        fi
    done
done

# ---- report ----------------------------------------------------------------------------------------------------
echo
python3 - "$WORK" "$TOOLS" "$SIZES" <<'PY'
import os, statistics, sys
work, tools, sizes = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
print("%-6s %-5s %9s %9s %7s %6s  %s" % ("notes", "tool", "median_s", "peak_MiB", "cpu_s", "pages", "runs (s)"))
med = {}
for n in sizes:
    for t in tools:
        rows = [l.split() for l in open(os.path.join(work, n, t + ".runs"))]
        secs = [int(r[0]) / 1e6 for r in rows]
        mib = statistics.median(int(r[1]) for r in rows) / 1024
        cpu = statistics.median(float(r[2]) + float(r[3]) for r in rows)
        pages = open(os.path.join(work, n, t + ".pages")).read().strip()
        med[n, t] = (statistics.median(secs), mib)
        print("%-6s %-5s %9.3f %9.0f %7.2f %6s  %s" % (n, t, med[n, t][0], mib, cpu, pages, " ".join("%.3f" % s for s in secs)))
for n in sizes:
    if (n, "loam") in med and (n, "hugo") in med:
        print("speed-up (hugo/loam) at %s notes: %.1fx" % (n, med[n, "hugo"][0] / med[n, "loam"][0]))
# The targets in bench/README.md, for the sizes that were run.
checks = []
if ("10000", "loam") in med and ("10000", "hugo") in med:
    checks.append(("loam >= 8x faster than hugo at 10000 notes", med["10000", "hugo"][0] / med["10000", "loam"][0] >= 8))
if ("10000", "loam") in med:
    checks.append(("loam peak < 400 MiB at 10000 notes", med["10000", "loam"][1] < 400))
if ("1000", "loam") in med:
    checks.append(("loam < 0.1 s at 1000 notes", med["1000", "loam"][0] < 0.1))
for what, ok in checks:
    print("target %-45s %s" % (what + ":", "met" if ok else "NOT met"))
PY
