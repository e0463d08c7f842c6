#!/usr/bin/env bash
# Builds Debian 12's QEMU 7.2 with the PVGPU device into
# ${PVGPU_CACHE:-/var/cache/pvgpu}/qemu-build: fetches the source once,
# applies the integration (scripts/qemu-integrate.sh), configures a minimal
# x86_64 build once (again only when the configuration inputs change) and
# runs ninja for qemu-system-x86_64 only. A rerun without changes is a
# quick no-op. Progress goes to stderr; the binary's path is printed on
# stdout as the last line.
#
# Env: PVGPU_CACHE      cache directory (default /var/cache/pvgpu)
#      PVGPU_DEVICE_DIR device sources (default: the repo's device/)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PVGPU_CACHE="${PVGPU_CACHE:-/var/cache/pvgpu}"
BUILD="$PVGPU_CACHE/qemu-build"
DEVICES_MAK="$REPO/device/devices-x86_64.mak"

say() { echo "build-qemu: $*" >&2; }
die() { say "error: $*"; exit 1; }

for tool in ninja meson python3 cc pkg-config; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/setup.sh)"
done
[ -f "$DEVICES_MAK" ] || die "$DEVICES_MAK not found"

mkdir -p "$PVGPU_CACHE"
# One build at a time in a cache directory.
exec 9> "$PVGPU_CACHE/.build-qemu.lock"
if ! flock -n 9; then
    say "waiting for another build-qemu.sh run to finish"
    flock 9
fi

start=$(date +%s)

# (a) source
SRC="$("$REPO/scripts/fetch-qemu-source.sh" | tail -n 1)"
[ -f "$SRC/configure" ] || die "fetch-qemu-source.sh gave no QEMU tree ($SRC)"

# (b) integration, and our device selection as a configs/devices file
"$REPO/scripts/qemu-integrate.sh" "$SRC"
if ! cmp -s "$DEVICES_MAK" "$SRC/configs/devices/x86_64-softmmu/pvgpu.mak"; then
    cp "$DEVICES_MAK" "$SRC/configs/devices/x86_64-softmmu/pvgpu.mak"
    say "updated configs/devices/x86_64-softmmu/pvgpu.mak"
fi

# (c) configure
# Debian's firmware (seabios, ipxe-qemu, qemu-system-data), as in
# Debian's own QEMU build. PNG: libvirt's `virsh screenshot` asks QEMU for
# PNG (QEMU >= 7.1 has screendump's format argument) and fails without it;
# VNC: a viewer sees the pvgpu console.
FIRMWARE_DIRS=(/usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu)
CONFIGURE_FLAGS=(
    --target-list=x86_64-softmmu
    --without-default-features
    --without-default-devices
    --with-devices-x86_64=pvgpu
    --enable-kvm
    --enable-tcg
    --enable-png
    --enable-vnc
    --disable-docs
    --enable-werror
    "--firmwarepath=$(IFS=:; echo "${FIRMWARE_DIRS[*]}")"
)
stamp_want="$({
    printf '%s\n' "$SRC" "${CONFIGURE_FLAGS[@]}"
    cat "$DEVICES_MAK"
} | sha256sum | cut -d' ' -f1)"
stamp_file="$BUILD/.pvgpu-configure-stamp"
if [ -f "$BUILD/build.ninja" ] && [ -f "$stamp_file" ] &&
   [ "$(cat "$stamp_file")" = "$stamp_want" ]; then
    say "already configured in $BUILD"
else
    say "configuring in $BUILD (log: $BUILD/pvgpu-configure.log)"
    mkdir -p "$BUILD"
    rm -f "$stamp_file"
    if ! (cd "$BUILD" && "$SRC/configure" "${CONFIGURE_FLAGS[@]}") \
            > "$BUILD/pvgpu-configure.log" 2>&1; then
        tail -n 30 "$BUILD/pvgpu-configure.log" >&2
        die "configure failed (log: $BUILD/pvgpu-configure.log)"
    fi
    echo "$stamp_want" > "$stamp_file"
fi

# A binary run from the build directory finds its data (firmware too) only
# under $BUILD/qemu-bundle/<configured path> (QEMU 7.2's
# get_relocated_path), and Debian's source tarball ships no firmware
# blobs: link the configured firmware directories there.
for dir in "${FIRMWARE_DIRS[@]}"; do
    [ -d "$dir" ] || say "warning: $dir missing (run scripts/setup.sh)"
    link="$BUILD/qemu-bundle$dir"
    if [ -d "$link" ] && [ ! -L "$link" ]; then
        for f in "$dir"/*; do
            [ -e "$link/$(basename "$f")" ] || ln -s "$f" "$link/"
        done
    elif [ "$(readlink "$link" 2>/dev/null)" != "$dir" ]; then
        mkdir -p "$(dirname "$link")"
        ln -sfn "$dir" "$link"
    fi
done
[ -f /usr/share/seabios/bios-256k.bin ] ||
    say "warning: /usr/share/seabios/bios-256k.bin missing: pc/q35 will not start (apt-get install seabios)"

# (d) build
say "ninja qemu-system-x86_64 (log: $BUILD/pvgpu-ninja.log)"
if ! ninja -C "$BUILD" qemu-system-x86_64 > "$BUILD/pvgpu-ninja.log" 2>&1; then
    # Show the failing commands' diagnostics, not the whole log.
    grep -v '^\[[0-9]*/[0-9]*\] ' "$BUILD/pvgpu-ninja.log" | tail -n 60 >&2
    die "build failed (log: $BUILD/pvgpu-ninja.log)"
fi
# qemu-version.h is regenerated on every run (unchanged content): not work.
steps=$(grep '^\[[0-9]*/[0-9]*\] ' "$BUILD/pvgpu-ninja.log" | grep -vc 'qemu-version.h' || true)
if [ "$steps" -eq 0 ]; then
    say "up to date"
else
    say "built $steps step(s)"
fi
BIN="$BUILD/qemu-system-x86_64"
[ -x "$BIN" ] || die "$BIN missing after the build"
say "done in $(( $(date +%s) - start ))s"
echo "$BIN"
