#!/usr/bin/env bash
# Fuzzes every libFuzzer target of the test suite for a fixed budget of
# inputs and records how many each executed. Run by hand, never by the test
# suite (`meson test --suite fuzz` runs the same targets for a few seconds).
#
#   bench/fuzz-budget.sh [--runs N] [--jobs N] [--build DIR]
#                        [--sanitize LIST] [--json] [TARGET...]
#
#   --runs N         inputs per target (default 10000000)
#   --jobs N         targets fuzzed side by side (default: nproc)
#   --build DIR      build tree for the fuzzers (default build-fuzz-budget
#                    in the source tree; configured on first use)
#   --sanitize LIST  -Db_sanitize for that tree (default undefined: UBSan
#                    aborts on undefined behaviour; AddressSanitizer is about
#                    4x slower, `--sanitize address,undefined` for it)
#   --json           one JSON object per target instead of the table
#   TARGET...        only these (e.g. fuzz-ring fuzz-control-reply);
#                    default: every target of `meson test --suite fuzz`
#
# It fails (exit 1) when a target crashes, leaks, times out on an input or
# executes fewer inputs than --runs; a crashing input is left in the
# working directory as crash-<sha1> (libFuzzer's name) and named in the log.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=10000000
jobs=$(nproc)
build=$root/build-fuzz-budget
sanitize=undefined
json=false
targets=()
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=${2:?}; shift 2 ;;
        --runs=*) runs=${1#*=}; shift ;;
        --jobs) jobs=${2:?}; shift 2 ;;
        --jobs=*) jobs=${1#*=}; shift ;;
        --build) build=${2:?}; shift 2 ;;
        --build=*) build=${1#*=}; shift ;;
        --sanitize) sanitize=${2:?}; shift 2 ;;
        --sanitize=*) sanitize=${1#*=}; shift ;;
        --json) json=true; shift ;;
        -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz-budget: unknown option '$1' (see --help)" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "fuzz-budget: --runs wants a positive number" >&2; exit 2; }
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "fuzz-budget: --jobs wants a positive number" >&2; exit 2; }
command -v clang >/dev/null || { echo "fuzz-budget: clang not found (run scripts/setup.sh)" >&2; exit 1; }

if [ ! -f "$build/build.ninja" ]; then
    echo "fuzz-budget: configuring $build (clang, -Db_sanitize=$sanitize, libFuzzer)" >&2
    CC=clang meson setup "$build" "$root" -Dbuildtype=debugoptimized \
        -Db_sanitize="$sanitize" -Db_lundef=false -Dfuzz=true >/dev/null
else
    meson configure "$build" -Db_sanitize="$sanitize" >/dev/null
fi
ninja -C "$build" >/dev/null

echo "fuzz-budget: $runs inputs per target, $jobs at a time (progress: $build/meson-logs/testlog.txt)" >&2
start=$SECONDS
status=0
rm -f "$build/meson-logs/testlog.json"
PVGPU_FUZZ_RUNS=$runs UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    meson test -C "$build" --suite fuzz --num-processes "$jobs" "${targets[@]}" \
    --timeout-multiplier 0 --quiet >/dev/null 2>&1 || status=$?
echo "fuzz-budget: done in $((SECONDS - start)) s" >&2

if [ ! -s "$build/meson-logs/testlog.json" ]; then
    echo "fuzz-budget: meson test ran nothing (unknown TARGET? see 'meson test -C $build --list')" >&2
    exit 1
fi
python3 - "$build/meson-logs/testlog.json" "$runs" "$json" <<'PY' || status=1
import json, re, sys
log, runs, as_json = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "true"
ok = True
rows = []
for line in open(log):
    t = json.loads(line)
    out = (t.get("stdout") or "") + (t.get("stderr") or "")
    execs = re.findall(r"stat::number_of_executed_units: (\d+)", out)
    execs = int(execs[-1]) if execs else 0
    seconds = t.get("duration", 0.0)
    good = t["result"] == "OK" and execs >= runs
    ok &= good
    rows.append({"target": t["name"].split(" / ")[-1], "result": t["result"], "execs": execs,
                 "seconds": round(seconds, 1),
                 "execs_per_second": round(execs / seconds) if seconds else 0,
                 "budget_met": good})
for r in rows:
    if as_json:
        print(json.dumps(r))
if not as_json:
    print(f"{'target':24} {'result':8} {'execs':>12} {'seconds':>9} {'exec/s':>9}")
    for r in rows:
        print(f"{r['target']:24} {r['result']:8} {r['execs']:>12} {r['seconds']:>9} {r['execs_per_second']:>9}"
              + ("" if r["budget_met"] else "   <- below budget or failed"))
sys.exit(0 if ok else 1)
PY
if [ $status -ne 0 ]; then
    echo "fuzz-budget: some target failed or ran short; its output is in $build/meson-logs/testlog.txt" >&2
fi
exit $status
