#!/usr/bin/env bash
# The one test command: installs what the tests need on a fresh Debian 12
# machine (as root), builds QEMU 7.2 and 10.0 with the pvgpu device (the
# device and guest suites run on both), fetches libvirt 11.3 of
# bookworm-backports without installing it (the e2e suite also runs under
# its modular daemons, as e2e@libvirt11), builds our code with
# AddressSanitizer + UndefinedBehaviorSanitizer and libFuzzer targets, and
# runs every test suite. Usage: scripts/test.sh [meson test arguments...]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${PVGPU_BUILD_DIR:-$root/build}
cache=${PVGPU_CACHE:-/var/cache/pvgpu}
export PVGPU_CACHE=$cache

step() { printf '\n==> %s\n' "$*"; }

step "installing packages"
bash "$root/scripts/setup.sh"

step "building QEMU 7.2 with the pvgpu device"
bash "$root/scripts/build-qemu.sh" 7.2
qemu=$cache/qemu-build/qemu-system-x86_64

step "building QEMU 10.0 (bookworm-backports) with the pvgpu device"
bash "$root/scripts/build-qemu.sh" 10.0
qemu10=$cache/qemu-10.0-build/qemu-system-x86_64

step "fetching libvirt 11.3 (bookworm-backports; unpacked under $cache, not installed)"
libvirt11=$(bash "$root/scripts/fetch-libvirt-backports.sh" | tail -n 1)

step "building PVGPU (clang, ASan+UBSan, libFuzzer)"
if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" "$root" \
        -Db_sanitize=address,undefined -Db_lundef=false \
        -Dfuzz=true -Dqemu="$qemu" -Dqemu10="$qemu10" -Dlibvirt11="$libvirt11"
else
    meson configure "$build" -Dqemu="$qemu" -Dqemu10="$qemu10" -Dlibvirt11="$libvirt11" >/dev/null
fi
ninja -C "$build"

# The README's plain build (gcc, default options) must build too, and the
# fast suites must pass with it: gcc warns where clang does not.
gcc_build=${PVGPU_GCC_BUILD_DIR:-$root/build-gcc}
step "building PVGPU with gcc (default options) and running the fast suites"
if [ ! -f "$gcc_build/build.ninja" ]; then
    CC=gcc meson setup "$gcc_build" "$root" >/dev/null
fi
ninja -C "$gcc_build"
gcc_status=0
meson test -C "$gcc_build" --print-errorlogs --num-processes 2 \
    --suite unit --suite common --suite schema --suite backend || gcc_status=$?

step "running tests"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
meson test -C "$build" --print-errorlogs --num-processes 2 "$@" || status=$?

summary_status=0
python3 - "$build/meson-logs/testlog.json" <<'PY' || summary_status=$?
import json, sys
passed = failed = skipped = 0
with open(sys.argv[1]) as log:
    for line in log:
        result = json.loads(line)["result"]
        if result == "OK" or result == "EXPECTEDFAIL":
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"pvgpu: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(3 if skipped else 0)
PY
if [ $summary_status -eq 3 ]; then
    # This command installs everything the tests need, so a skipped test
    # means a missing install step, not an optional feature.
    if [ "${PVGPU_ALLOW_SKIP:-0}" != 1 ]; then
        echo "test.sh: some tests were skipped; set PVGPU_ALLOW_SKIP=1 to accept that" >&2
        status=1
    fi
elif [ $summary_status -ne 0 ]; then
    echo "test.sh: cannot read $build/meson-logs/testlog.json (another meson test in $build at the same time?)" >&2
    status=1
fi
if [ "$gcc_status" -ne 0 ]; then
    echo "test.sh: the gcc build's fast suites failed (see above)" >&2
    status=1
fi
exit $status
