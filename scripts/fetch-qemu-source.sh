#!/usr/bin/env bash
# Fetches Debian's QEMU source (apt-get source) once:
#   7.2   Debian 12's own QEMU            -> $PVGPU_CACHE/qemu-src
#   10.0  QEMU of <codename>-backports    -> $PVGPU_CACHE/qemu-10.0-src
# with the private apt configuration of scripts/apt-private.sh (deb-src
# entries derived from the machine's own apt sources; the system's apt
# configuration is not touched). Prints the unpacked tree as its last line.
#
# Usage: fetch-qemu-source.sh [7.2|10.0]      (default 7.2)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION=${1:-7.2}
CACHE="${PVGPU_CACHE:-/var/cache/pvgpu}"
export PVGPU_CACHE=$CACHE

say() { echo "fetch-qemu-source: $*" >&2; }
die() { say "error: $*"; exit 1; }

codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release: this needs Debian 12"
case $VERSION in
    7.2)  SRC="$CACHE/qemu-src" suite=$codename ;;
    10.0) SRC="$CACHE/qemu-10.0-src" suite=$codename-backports ;;
    *)    die "unknown QEMU version '$VERSION' (7.2 or 10.0)" ;;
esac
LINK="$SRC/qemu"          # symlink to the unpacked qemu-<version>/ tree

mkdir -p "$SRC" 2>/dev/null || true
if [ -w "$SRC" ]; then
    exec 8> "$SRC/.fetch-qemu-source.lock"
    flock 8
fi

if [ -L "$LINK" ] && [ -f "$LINK/configure" ] && [ -f "$LINK/.pvgpu-unpacked" ]; then
    say "QEMU $VERSION source already in $(readlink -f "$LINK")"
    readlink -f "$LINK"
    exit 0
fi

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get source needs a writable apt state)"
command -v apt-get >/dev/null || die "apt-get not found: this needs Debian 12"
command -v dpkg-source >/dev/null || die "dpkg-source not found: apt-get install dpkg-dev"

# shellcheck source=apt-private.sh
. "$REPO/scripts/apt-private.sh"
apt_private_setup
apt_private_update

say "apt-get source qemu/$suite into $SRC"
# A previous, interrupted run may have left a half-unpacked tree.
rm -rf "$SRC"/qemu-*/ "$LINK"
if ! (cd "$SRC" && apt-get "${APT_PRIVATE_OPTS[@]}" -q source "qemu/$suite") \
        > "$SRC/source.log" 2>&1; then
    # Seen here: a mirror without the backport's .dsc but with its
    # upstream tarball. That tarball is QEMU's release as Debian took it;
    # only Debian's patches are missing.
    orig=$(ls "$SRC"/qemu_"$VERSION"*.orig.tar.* 2>/dev/null | tail -n 1)
    [ -n "$orig" ] || { cat "$SRC/source.log" >&2; die "apt-get source qemu/$suite failed (log: $SRC/source.log)"; }
    say "warning: apt-get source failed (log: $SRC/source.log); unpacking $(basename "$orig") without Debian's patches"
    tar -C "$SRC" -xf "$orig" || die "cannot unpack $orig"
fi

tree=""
for d in "$SRC"/qemu-*/; do
    [ -f "$d/configure" ] && tree="${d%/}"
done
[ -n "$tree" ] || die "no unpacked qemu-*/ tree with a configure script in $SRC"
touch "$tree/.pvgpu-unpacked"
ln -sfn "$(basename "$tree")" "$LINK"
say "QEMU source unpacked in $tree"
echo "$tree"
