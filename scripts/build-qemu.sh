#!/usr/bin/env bash
# Builds Debian's QEMU with the PVGPU device: fetches the source once
# (scripts/fetch-qemu-source.sh), applies the integration
# (scripts/qemu-integrate.sh), configures an x86_64 build with the features
# domains as virt-install and virt-manager write them use (Debian's default
# devices; SPICE, VNC, QXL, USB xHCI and redirection, TPM, audio, slirp,
# vmport, ...) once (again only when the configuration inputs change) and
# runs ninja for qemu-system-x86_64 only. A rerun without changes is a
# quick no-op. Progress goes to stderr; the binary's path is printed on
# stdout as the last line.
#
# Usage: build-qemu.sh [7.2|10.0]
#   7.2   Debian 12's QEMU (default)     -> $PVGPU_CACHE/qemu-build
#   10.0  bookworm-backports' QEMU       -> $PVGPU_CACHE/qemu-10.0-build
#         (configured with backports' meson 1.7, unpacked under the cache;
#         the system's meson is not changed)
# Env: PVGPU_CACHE      cache directory (default /var/cache/pvgpu)
#      PVGPU_DEVICE_DIR device sources (default: the repo's device/)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PVGPU_CACHE="${PVGPU_CACHE:-/var/cache/pvgpu}"
VERSION=${1:-7.2}
case $VERSION in
    7.2)  BUILD="$PVGPU_CACHE/qemu-build" ;;
    10.0) BUILD="$PVGPU_CACHE/qemu-10.0-build" ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-qemu: unknown QEMU version '$VERSION' (7.2 or 10.0)" >&2; exit 2 ;;
esac

say() { echo "build-qemu: $*" >&2; }
die() { say "error: $*"; exit 1; }

for tool in ninja meson python3 cc pkg-config; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/setup.sh)"
done

mkdir -p "$PVGPU_CACHE"
# One build at a time per version.
exec 9> "$PVGPU_CACHE/.build-qemu-$VERSION.lock"
if ! flock -n 9; then
    say "waiting for another build-qemu.sh run to finish"
    flock 9
fi

start=$(date +%s)

# (a) source
SRC="$("$REPO/scripts/fetch-qemu-source.sh" "$VERSION" | tail -n 1)"

# QEMU 10.0's configure wants meson >= 1.5 and pycotap; Debian 12 has
# meson 1.0 and no pycotap, its backports both. The backports' packages are
# unpacked under the cache and found by QEMU's configure (its Python venv
# sees the system's site packages) through PYTHONPATH, for this build only:
# the system's meson is not changed.
if [ "$VERSION" = 10.0 ]; then
    meson_root="$PVGPU_CACHE/python-backports"
    if [ ! -f "$meson_root/.unpacked" ]; then
        codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
        say "fetching meson and pycotap from $codename-backports into $meson_root"
        rm -rf "$meson_root" && mkdir -p "$meson_root"
        (cd "$meson_root" && bash "$REPO/scripts/apt-private.sh" -q download \
            "meson/$codename-backports" "python3-pycotap/$codename-backports") \
            > "$meson_root/download.log" 2>&1 || { cat "$meson_root/download.log" >&2; die "cannot download from backports"; }
        for deb in "$meson_root"/*.deb; do
            dpkg -x "$deb" "$meson_root/root" || die "cannot unpack $deb"
        done
        touch "$meson_root/.unpacked"
    fi
    export PYTHONPATH="$meson_root/root/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}"
fi
[ -f "$SRC/configure" ] || die "fetch-qemu-source.sh gave no QEMU tree ($SRC)"

# Debian's "+ds" tarball (QEMU 10.0 from backports) leaves out the EDK2
# firmware blobs (Debian ships them as ovmf, which libvirt uses), yet QEMU's
# meson.build unpacks them whenever bzip2 is installed and fails without
# them: switch that unpacking off in such a tree.
if [ ! -e "$SRC/pc-bios/edk2-x86_64-code.fd.bz2" ] &&
   grep -q '^    unpack_edk2_blobs = bzip2.found()$' "$SRC/meson.build"; then
    sed -i 's/^    unpack_edk2_blobs = bzip2.found()$/    unpack_edk2_blobs = false # pvgpu: no EDK2 blobs in this tarball/' "$SRC/meson.build"
    say "the tree has no EDK2 blobs: not unpacking them (Debian's ovmf package provides UEFI)"
fi

# (b) integration: pvgpu is one of the default devices (CONFIG_PVGPU is
# "default y if PCI_DEVICES", as the other PCI displays)
"$REPO/scripts/qemu-integrate.sh" "$SRC"
rm -f "$SRC/configs/devices/x86_64-softmmu/pvgpu.mak" # of older versions

# (c) configure
# Debian's firmware (seabios, ipxe-qemu, qemu-system-data), as in
# Debian's own QEMU build.
FIRMWARE_DIRS=(/usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu)
# Debian's x86_64 feature set (debian/control's configure comments) where
# a libvirt domain can use it. Left out: GTK/SDL/OpenGL windows (virt-manager
# and virt-viewer use SPICE or VNC), network block backends (rbd, gluster,
# iscsi, nfs, curl, ssh), brlapi, vde, rdma, pmem, xen, modules (all is
# built in, so the binary runs from the build directory).
# PNG: libvirt's `virsh screenshot` asks screendump (QEMU >= 7.1) for PNG.
CONFIGURE_FLAGS=(
    --target-list=x86_64-softmmu
    --enable-kvm --enable-tcg
    --enable-spice --enable-vnc --enable-vnc-jpeg --enable-vnc-sasl
    --enable-png --enable-curses
    --enable-slirp --enable-libusb --enable-usb-redir --enable-smartcard
    --enable-tpm --audio-drv-list=pa,alsa
    --enable-seccomp --enable-cap-ng --enable-attr --enable-virtfs
    --enable-linux-aio --enable-linux-io-uring --enable-zstd --enable-gnutls
    --enable-numa --enable-libudev
    --disable-docs --disable-user --disable-install-blobs
    --enable-werror
    "--firmwarepath=$(IFS=:; echo "${FIRMWARE_DIRS[*]}")"
)
stamp_want="$(printf '%s\n' "$SRC" "${CONFIGURE_FLAGS[@]}" | sha256sum | cut -d' ' -f1)"
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
