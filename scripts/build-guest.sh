#!/usr/bin/env bash
# Builds a bootable Linux guest that drives pvgpu: fetches Debian's 6.1
# kernel (scripts/fetch-guest-kernel.sh), builds guest/linux/pvgpu.ko with
# kbuild against its headers, the static DRM test program, and an initramfs
# with busybox, the DRM helper modules and pvgpu.ko.
#
# Usage: build-guest.sh OUTDIR [INIT]
#   INIT  the initramfs's /init (default: guest/linux/demo-init.sh)
# Writes OUTDIR/{module/pvgpu.ko,module.log,drmtest,initrd.cpio} and prints
# "KERNEL INITRD" (absolute paths) as its last line. Exit 1 on failure,
# with the reason on stderr.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: build-guest.sh OUTDIR [INIT]}
init=${2:-$src/guest/linux/demo-init.sh}
die() { echo "build-guest: $*" >&2; exit 1; }

mkdir -p "$out/module"
out=$(cd "$out" && pwd)

kroot=$("$src/scripts/fetch-guest-kernel.sh" | tail -n 1)
[ -n "$kroot" ] && [ -f "$kroot/.pvgpu-krel" ] ||
    die "cannot fetch the guest kernel (scripts/fetch-guest-kernel.sh)"
krel=$(cat "$kroot/.pvgpu-krel")
kbuild=$kroot/usr/src/linux-headers-$krel
uapi=$(echo "$kroot"/usr/src/linux-headers-*-common/include/uapi)

cp "$src"/guest/linux/*.c "$src"/guest/linux/*.h "$src"/guest/linux/Kbuild \
   "$out/module/"
if ! make -C "$kbuild" M="$out/module" PVGPU_PROTOCOL_DIR="$src/protocol" \
        -j2 modules > "$out/module.log" 2>&1 || [ ! -f "$out/module/pvgpu.ko" ]; then
    tail -n 30 "$out/module.log" >&2
    die "pvgpu.ko does not build against $krel"
fi
if ! gcc -static -O2 -Wall -Wextra -Werror -D__user= -idirafter "$uapi" \
        -I"$src/tests/guest" -o "$out/drmtest" "$src/tests/guest/drmtest.c" \
        > "$out/drmtest.log" 2>&1; then
    cat "$out/drmtest.log" >&2
    die "drmtest does not build"
fi
"$src/tests/guest/make-initramfs.sh" "$kroot" "$krel" "$init" \
    "$out/module/pvgpu.ko" "$out/drmtest" "$out/initrd.cpio" ||
    die "cannot build the initramfs"
echo "$kroot/boot/vmlinuz-$krel $out/initrd.cpio"
