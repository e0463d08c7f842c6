#!/usr/bin/env bash
# Writes the PVGPU integration as a git patch series for a QEMU 7.2 tree
# (Debian 12's source, as fetched by fetch-qemu-source.sh):
#   0001 adds the device and protocol files,
#   0002 adds the Kconfig entry, the meson rule and the trace events.
# Apply with `git am DIR/*.patch` or `patch -p1 < FILE` in each order.
#
# Usage: make-qemu-patches.sh OUTPUT_DIR
# Env:   PVGPU_CACHE, PVGPU_DEVICE_DIR, PVGPU_PROTOCOL_DIR (as build-qemu.sh)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { echo "make-qemu-patches: $*" >&2; }
die() { say "error: $*"; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUTPUT_DIR"
OUT="$1"
command -v git >/dev/null || die "git not found"

SRC="$("$REPO/scripts/fetch-qemu-source.sh" | tail -n 1)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
T="$TMP/qemu"

# The files the integration edits, as in the original tree (the cached
# tree may be integrated already: --remove gives the original back).
mkdir -p "$T/hw/display"
for f in meson.build Kconfig trace-events; do
    cp "$SRC/hw/display/$f" "$T/hw/display/$f"
done
integrate() {
    "$REPO/scripts/qemu-integrate.sh" "$@" 2> "$TMP/integrate.log" ||
        { cat "$TMP/integrate.log" >&2; die "qemu-integrate.sh $* failed"; }
}
integrate --remove "$T"

# Reproducible patches: fixed identity, date of the repo's last commit.
date="$(git -C "$REPO" log -1 --format=%cI 2>/dev/null || true)"
[ -n "$date" ] || date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
export GIT_AUTHOR_NAME="PVGPU" GIT_AUTHOR_EMAIL="pvgpu@localhost"
export GIT_COMMITTER_NAME="PVGPU" GIT_COMMITTER_EMAIL="pvgpu@localhost"
export GIT_AUTHOR_DATE="$date" GIT_COMMITTER_DATE="$date"
g() { git -C "$T" -c core.autocrlf=false -c commit.gpgsign=false "$@"; }

g init -q
g add hw
g commit -q -m "base: QEMU 7.2 files the integration touches"

integrate "$T"
rm -f "$T/.pvgpu-files"

g add hw/display/pvgpu.c
[ -f "$T/hw/display/pvgpu.h" ] && g add hw/display/pvgpu.h
[ -d "$T/include" ] && g add include
g commit -q -F - <<'EOF'
hw/display: add the PVGPU paravirtualized GPU device

Adds the PVGPU PCI device (hw/display/pvgpu.c, pvgpu.h) and the
guest/host protocol headers it shares with the guest drivers and the
host backend (include/hw/display/). Built by the next patch.
EOF

g add -A hw
g commit -q -F - <<'EOF'
hw/display: build the PVGPU device

Adds "config PVGPU" to hw/display/Kconfig (default y if PCI_DEVICES,
depends on PCI && MSI_NONBROKEN), the meson rule for pvgpu.c and the
device's trace events. With --without-default-devices, enable it with
CONFIG_PVGPU=y in a configs/devices file.
EOF

mkdir -p "$OUT"
rm -f "$OUT"/[0-9][0-9][0-9][0-9]-*.patch
g format-patch -q --zero-commit --no-signature -o "$(cd "$OUT" && pwd)" HEAD~2
for p in "$OUT"/[0-9][0-9][0-9][0-9]-*.patch; do
    say "wrote $p"
done
