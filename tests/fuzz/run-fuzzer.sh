#!/usr/bin/env bash
# Runs a libFuzzer binary for a bounded number of inputs:
#   run-fuzzer.sh FUZZER SEEDS SCRATCH [libFuzzer options...]
# The options may hold the target's own -runs=N (its share of the test
# suite's time, default 200000); PVGPU_FUZZ_RUNS replaces it (that is how
# bench/fuzz-budget.sh runs every target for its budget). New inputs go to
# the scratch corpus; the seed corpus in git stays as is. The final stats
# (stat::number_of_executed_units) end the output.
set -euo pipefail
fuzzer=$1 seeds=$2 scratch=$3
shift 3
runs=200000
options=()
for option in "$@"; do
    case $option in
        -runs=*) runs=${option#-runs=} ;;
        *) options+=("$option") ;;
    esac
done
runs=${PVGPU_FUZZ_RUNS:-$runs}
mkdir -p "$scratch"
# libFuzzer exits 77 on a crash by default, which meson counts as a skip
exec "$fuzzer" -runs="$runs" -print_final_stats=1 -error_exitcode=1 \
    -timeout_exitcode=1 "${options[@]}" "$scratch" "$seeds"
