#!/usr/bin/env bash
# Fetches a Debian 12 guest kernel, its module-build headers and a static
# busybox into ${PVGPU_CACHE:-/var/cache/pvgpu}/guest/<kernel-release>/root,
# unpacked with dpkg -x: nothing is installed on the host. The kernel is
# the one linux-image-amd64 points at when the script first runs; later
# runs reuse the fetched tree (PVGPU_GUEST_REFRESH=1 resolves again).
# Prints the unpacked root as its last line on stdout; progress on stderr.
#
# In the root:
#   boot/vmlinuz-<krel>                      the kernel
#   lib/modules/<krel>/                      its modules (DRM helpers)
#   usr/src/linux-headers-<krel>/            kbuild tree for our module
#   bin/busybox                              static busybox
set -euo pipefail

CACHE="${PVGPU_CACHE:-/var/cache/pvgpu}"
GUEST="$CACHE/guest"
CURRENT="$GUEST/current"

say() { echo "fetch-guest-kernel: $*" >&2; }
die() { say "error: $*"; exit 1; }

complete() {
    [ -f "$1/.pvgpu-complete" ]
}

if [ -z "${PVGPU_GUEST_REFRESH:-}" ] && [ -L "$CURRENT" ] && \
   complete "$(readlink -f "$CURRENT")"; then
    say "using $(readlink -f "$CURRENT")/root"
    echo "$(readlink -f "$CURRENT")/root"
    exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found: this needs Debian 12"
command -v dpkg >/dev/null || die "dpkg not found"

mkdir -p "$GUEST"
# One fetch at a time in a cache directory.
exec 9> "$GUEST/.fetch.lock"
if ! flock -n 9; then
    say "waiting for another fetch-guest-kernel.sh run to finish"
    flock 9
fi

# Newest "Depends: <prefix>..." of a meta package, e.g. linux-image-6.1.0-56-amd64.
dependency_named() {
    apt-cache depends "$1" 2>/dev/null |
        sed -n -E "s/^[[:space:]]*Depends:[[:space:]]+($2[^[:space:]]*).*/\1/p" |
        head -n 1
}

image=$(dependency_named linux-image-amd64 linux-image-)
if [ -z "$image" ]; then
    [ "$(id -u)" -eq 0 ] || die "no package lists; run apt-get update as root"
    say "apt-get update (no linux-image-amd64 candidate yet)"
    apt-get -q update >&2 || die "apt-get update failed"
    image=$(dependency_named linux-image-amd64 linux-image-)
fi
[ -n "$image" ] || die "cannot resolve linux-image-amd64 to a kernel package"

krel=${image#linux-image-}                      # e.g. 6.1.0-56-amd64
flavour_free=${krel%-amd64}                     # e.g. 6.1.0-56
headers=linux-headers-$krel
common=linux-headers-$flavour_free-common
version=$(apt-cache show --no-all-versions "$headers" 2>/dev/null |
          sed -n 's/^Version: //p' | head -n 1)
[ -n "$version" ] || die "no $headers package for kernel $krel"
kbuild=$(dependency_named "$headers" linux-kbuild-)
[ -n "$kbuild" ] || die "cannot resolve the kbuild package of $headers"

dir="$GUEST/$krel"
if complete "$dir"; then
    ln -sfn "$krel" "$CURRENT"
    say "kernel $krel already fetched"
    echo "$dir/root"
    exit 0
fi

say "fetching kernel $krel ($version) into $dir"
rm -rf "$dir"
mkdir -p "$dir/debs" "$dir/root"
# The headers are pinned to the image's source version; kbuild to the same.
if ! (cd "$dir/debs" && apt-get -q download \
        "$image=$version" "$headers=$version" "$common=$version" \
        "$kbuild=$version" busybox-static) > "$dir/download.log" 2>&1; then
    cat "$dir/download.log" >&2
    die "apt-get download failed (log: $dir/download.log)"
fi
for deb in "$dir"/debs/*.deb; do
    dpkg -x "$deb" "$dir/root" || die "dpkg -x $deb failed"
done

[ -f "$dir/root/boot/vmlinuz-$krel" ] || die "no boot/vmlinuz-$krel in $image"
[ -x "$dir/root/bin/busybox" ] || die "no bin/busybox in busybox-static"
kmake="$dir/root/usr/src/linux-headers-$krel/Makefile"
[ -f "$kmake" ] || die "no kbuild Makefile in $headers"
# The headers' Makefile includes the common tree by its absolute, installed
# path; point it at the unpacked copy beside it instead.
sed -i -E "s|^include /usr/src/(linux-headers-[^/]+-common)/Makefile\$|include \$(realpath \$(dir \$(lastword \$(MAKEFILE_LIST)))../\1/Makefile)|" "$kmake"
grep -q '^include \$(realpath' "$kmake" ||
    die "unexpected include line in $kmake: $(head -n 1 "$kmake")"
echo "$krel" > "$dir/root/.pvgpu-krel"
rm -rf "$dir/debs"
touch "$dir/.pvgpu-complete"
ln -sfn "$krel" "$CURRENT"
# kernels fetched before this one are no longer used
for old in "$GUEST"/*/; do
    old=${old%/}
    [ -L "$old" ] || [ "$old" = "$dir" ] || rm -rf "$old"
done
say "kernel $krel ready"
echo "$dir/root"
