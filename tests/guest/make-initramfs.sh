#!/usr/bin/env bash
# Builds the boot test's initramfs (newc cpio, uncompressed):
#   /init              tests/guest/init.sh
#   /bin/busybox       from the fetched busybox-static
#   /modules/*.ko      the guest kernel's modules pvgpu.ko depends on,
#                      /modules/order lists them in load order
#   /pvgpu.ko, /drmtest
# Dependencies come from each module's .modinfo "depends=" field (the
# unpacked kernel has no modules.dep), resolved recursively.
#
# Usage: make-initramfs.sh KROOT KRELEASE INIT PVGPU_KO DRMTEST OUT
#
# Optional extra content, for guests other than the boot test's (e.g.
# bench/display-bench.sh); both unset by default:
#   PVGPU_INITRAMFS_MODULES  more module names ("virtio_pci virtio_gpu"),
#                            added with their dependencies after
#                            pvgpu.ko's, in /modules/order too
#   PVGPU_INITRAMFS_FILES    more files as "SRC=/DEST ..." (no spaces),
#                            installed with mode 0755 at DEST
set -euo pipefail

die() { echo "make-initramfs: $*" >&2; exit 1; }

[ $# -eq 6 ] || die "usage: make-initramfs.sh KROOT KRELEASE INIT PVGPU_KO DRMTEST OUT"
kroot=$1 krel=$2 init=$3 pvgpu_ko=$4 drmtest=$5 out=$6
moddir="$kroot/lib/modules/$krel/kernel"
busybox="$kroot/bin/busybox"

[ -d "$moddir" ] || die "no modules in $moddir"
[ -x "$busybox" ] || die "no busybox at $busybox"
for f in "$init" "$pvgpu_ko" "$drmtest"; do
    [ -f "$f" ] || die "missing $f"
done
command -v objcopy >/dev/null || die "objcopy not found (binutils)"

stage=$(mktemp -d "${TMPDIR:-/tmp}/pvgpu-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,modules}

depends_of() {
    objcopy -O binary --only-section=.modinfo "$1" /dev/stdout |
        tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '
}

module_path() {
    local name=$1 hit
    hit=$(find "$moddir" \( -name "$name.ko" -o -name "${name//_/-}.ko" \) \
               -print -quit)
    [ -n "$hit" ] || die "module $name not found under $moddir"
    echo "$hit"
}

declare -A seen=()
order=()
# depth-first, dependencies before the modules that need them
add_module() {
    local name=$1 path dep
    [ -z "${seen[$name]:-}" ] || return 0
    seen[$name]=1
    path=$(module_path "$name")
    for dep in $(depends_of "$path"); do
        add_module "$dep"
    done
    cp "$path" "$stage/modules/$name.ko"
    order+=("$name")
}

for dep in $(depends_of "$pvgpu_ko"); do
    add_module "$dep"
done
for name in ${PVGPU_INITRAMFS_MODULES:-}; do
    add_module "$name"
done
printf '%s\n' "${order[@]}" > "$stage/modules/order"

cp "$busybox" "$stage/bin/busybox"
install -m 0755 "$init" "$stage/init"
cp "$pvgpu_ko" "$stage/pvgpu.ko"
install -m 0755 "$drmtest" "$stage/drmtest"
for spec in ${PVGPU_INITRAMFS_FILES:-}; do
    file=${spec%%=*} dest=${spec#*=}
    [ "$file" != "$spec" ] && [ -f "$file" ] && [ "${dest#/}" != "$dest" ] ||
        die "PVGPU_INITRAMFS_FILES: '$spec' is not an existing SRC=/DEST"
    install -D -m 0755 "$file" "$stage$dest"
done

(cd "$stage" && find . | sort | "$busybox" cpio -o -H newc 2>/dev/null) > "$out"
[ -s "$out" ] || die "empty archive $out"
echo "make-initramfs: $out with modules: ${order[*]}" >&2
