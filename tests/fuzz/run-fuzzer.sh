#!/usr/bin/env bash
# Runs a libFuzzer binary for a bounded number of inputs. New inputs go to
# a scratch corpus in the build tree; the seed corpus in git stays as is.
set -euo pipefail
fuzzer=$1 seeds=$2 scratch=$3
shift 3
mkdir -p "$scratch"
exec "$fuzzer" -runs="${PVGPU_FUZZ_RUNS:-200000}" "$@" "$scratch" "$seeds"
