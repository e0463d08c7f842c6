#!/bin/sh
# A skipped CMocka test must not pass silently: test-hook without a backend
# skips the tests that need one and must exit 77 (meson SKIP) saying why.
# Usage: test-skips-visible.sh TEST_HOOK HOOK FAILING_BACKEND
set -u
out=$(PVGPU_TEST_FILTER=test_prepare_and_release "$1" "$2" "" "$3" 2>&1)
status=$?
if [ "$status" -ne 77 ]; then
    printf 'test-hook without a backend exited %s, not 77:\n%s\n' \
        "$status" "$out" >&2
    exit 1
fi
case "$out" in
*"skipped: no pvgpu-backend"*) ;;
*) printf 'no skip reason in the output:\n%s\n' "$out" >&2; exit 1 ;;
esac
echo "ok: exit 77 with the reason"
