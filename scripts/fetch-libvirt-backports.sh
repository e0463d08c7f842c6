#!/usr/bin/env bash
# Fetches libvirt 11 of <codename>-backports (11.3 on Debian 12) into
# $PVGPU_CACHE/libvirt-backports without installing it: the system's libvirt
# and apt configuration are not touched. Used by the e2e@libvirt11 tests
# through scripts/libvirtd-env.sh --libvirt DIR. Prints the tree as its
# last line; a second run is a quick no-op.
#
# Usage: fetch-libvirt-backports.sh
#
# What the tree holds:
#   root/      the backport's binary packages (libvirt0, virsh, virtlogd, the
#              qemu, network and secret driver modules, ...), fetched with the
#              private apt configuration of scripts/apt-private.sh
#              (apt-get download) and unpacked with dpkg-deb -x
#   root/usr/sbin/virtqemud, virtnetworkd, virtsecretd
#              the modular daemons. Debian builds them but does not ship
#              them (its changelog: "d/rules: don't ship split daemons just
#              yet"; the 11.3 packages have only libvirtd, virtlogd and
#              virtlockd). They are the remote daemon's own four source files
#              compiled with another DAEMON_NAME/MODULE_NAME, so they are
#              compiled here from the backport's source (apt-get source, or
#              its upstream tarball when the mirror lacks the .dsc) and
#              linked against root/'s libvirt.so.0: every driver, library
#              and helper they run is the backport's binary.
#   bin/virsh  root/'s virsh with root/'s libraries (LD_LIBRARY_PATH)
#   libexec/   the same kind of wrapper for each helper of root/usr/lib/libvirt
#              (libvirt_leaseshelper, run by dnsmasq with a cleared
#              environment, ...): libvirtd-env.sh mounts it over
#              /usr/lib/libvirt in the daemons' own mount namespace
# Env: PVGPU_CACHE   cache directory (default /var/cache/pvgpu)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${PVGPU_CACHE:-/var/cache/pvgpu}"
export PVGPU_CACHE=$CACHE
DEST=$CACHE/libvirt-backports
MAJOR=11

# The binary packages virtqemud, virtnetworkd, virtsecretd, virtlogd and
# virsh need (their other dependencies are Debian 12's own libraries).
PACKAGES=(
    libvirt0 libvirt-common libvirt-clients
    libvirt-daemon libvirt-daemon-common libvirt-daemon-log
    libvirt-daemon-driver-qemu libvirt-daemon-driver-network
    libvirt-daemon-driver-secret libvirt-daemon-config-network
)
DAEMONS=(virtqemud virtnetworkd virtsecretd)

say() { echo "fetch-libvirt-backports: $*" >&2; }
die() { say "error: $*"; exit 1; }

case ${1:-} in
    "") ;;
    -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unexpected argument '$1' (see --help)" ;;
esac

codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release: this needs Debian 12"
suite=$codename-backports
want="packages=${PACKAGES[*]} daemons=${DAEMONS[*]} script=$(sha256sum "$0" | cut -d' ' -f1)"

mkdir -p "$DEST"
exec 9> "$DEST/.lock"
if ! flock -n 9; then
    say "waiting for another fetch-libvirt-backports.sh run to finish"
    flock 9
fi
if [ -f "$DEST/.complete" ] && [ "$(cat "$DEST/.complete")" = "$want" ]; then
    say "libvirt $(cat "$DEST/VERSION") of $suite already in $DEST"
    echo "$DEST"
    exit 0
fi

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get needs a writable apt state)"
for tool in apt-get apt-cache dpkg-deb dpkg-source meson ninja cc pkg-config xsltproc; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/setup.sh)"
done
pkg-config --exists json-c || die "json-c's headers are missing (run scripts/setup.sh: libjson-c-dev)"

# shellcheck source=apt-private.sh
. "$REPO/scripts/apt-private.sh"
apt_private_setup
apt_private_update
apt_() { apt-get "${APT_PRIVATE_OPTS[@]}" -q "$@"; }

# The backport's version of libvirt0, e.g. 11.3.0-2~bpo12+1.
version=$(apt-cache "${APT_PRIVATE_OPTS[@]}" madison libvirt0 \
    | awk -F'|' -v s=" $suite/" 'index($3, s) { gsub(/ /, "", $2); print $2; exit }')
[ -n "$version" ] || die "no libvirt0 in $suite (apt sources: $APT_PRIVATE_DIR/etc)"
upstream=${version%%-*}
[ "${upstream%%.*}" = "$MAJOR" ] || die "$suite has libvirt $version, not libvirt $MAJOR"
say "libvirt $version of $suite"

# (1) the binary packages, and whatever else would come from backports with
# them (a dependency newer than Debian 12's); a simulated install tells.
specs=()
for p in "${PACKAGES[@]}"; do specs+=("$p=$version"); done
apt_ -s --no-install-recommends install "${specs[@]}" > "$DEST/simulate.log" 2>&1 \
    || { cat "$DEST/simulate.log" >&2; die "apt-get -s install of the backport failed (log: $DEST/simulate.log)"; }
extra=$(awk '/^Inst / && /Backports/ { print $2 }' "$DEST/simulate.log" \
    | grep -vxF -f <(printf '%s\n' "${PACKAGES[@]}") || true)
for p in $extra; do
    say "also from $suite (newer than Debian 12's): $p"
    specs+=("$p/$suite")
done
rm -rf "${DEST:?}/debs" "${DEST:?}/root" "${DEST:?}/libexec" "${DEST:?}/bin" "${DEST:?}/.complete"
mkdir -p "$DEST/debs"
say "apt-get download ${#specs[@]} packages into $DEST/debs"
(cd "$DEST/debs" && apt_ download "${specs[@]}") > "$DEST/download.log" 2>&1 \
    || { cat "$DEST/download.log" >&2; die "apt-get download failed (log: $DEST/download.log)"; }
for deb in "$DEST"/debs/*.deb; do
    dpkg-deb -x "$deb" "$DEST/root" || die "cannot unpack $deb"
done
libdir=$(dirname "$(ls "$DEST"/root/usr/lib/*/libvirt.so.0 2>/dev/null | head -n 1)")
[ -e "$libdir/libvirt.so.0" ] || die "no libvirt.so.0 in the unpacked packages ($DEST/root)"

# (2) the source, for the modular daemons
src=$DEST/src
mkdir -p "$src"
tree=$src/libvirt-$upstream
if [ ! -f "$tree/.pvgpu-unpacked" ]; then
    rm -rf "$tree"
    say "apt-get source libvirt=$version into $src"
    if ! (cd "$src" && apt_ source "libvirt=$version") > "$src/source.log" 2>&1; then
        # As for QEMU's backport: some mirrors have the upstream tarball but
        # not the .dsc; only Debian's patches are missing then.
        orig=$(ls "$src"/libvirt_"$upstream".orig.tar.* 2>/dev/null | tail -n 1)
        [ -n "$orig" ] || { cat "$src/source.log" >&2; die "apt-get source libvirt=$version failed (log: $src/source.log)"; }
        say "warning: apt-get source failed (log: $src/source.log); using $(basename "$orig") without Debian's patches"
        tar -C "$src" -xf "$orig" || die "cannot unpack $orig"
    fi
    [ -f "$tree/meson.build" ] || die "no libvirt-$upstream/ tree with a meson.build in $src"
    touch "$tree/.pvgpu-unpacked"
fi

# (3) the modular daemons: configured as Debian configures the paths
# (/usr, /etc, /var, /run), the drivers they load enabled, the rest off;
# only their objects are compiled, then linked against the packaged libraries.
build=$DEST/build
multiarch=$(basename "$libdir")
if [ ! -f "$build/build.ninja" ]; then
    say "configuring libvirt $upstream's daemons in $build"
    rm -rf "$build"
    meson setup "$build" "$tree" --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
        -Drunstatedir=/run -Dlibdir="lib/$multiarch" -Dlibexecdir=lib/libvirt \
        -Ddocs=disabled -Dtests=disabled -Dnls=disabled -Dudev=disabled \
        -Dlibnl=disabled -Ddriver_libvirtd=enabled -Ddriver_remote=enabled \
        -Ddriver_qemu=enabled -Ddriver_network=enabled -Ddriver_secrets=enabled \
        -Ddriver_lxc=disabled -Ddriver_ch=disabled -Ddriver_vbox=disabled \
        -Ddriver_libxl=disabled -Ddriver_esx=disabled -Ddriver_hyperv=disabled \
        -Ddriver_openvz=disabled -Ddriver_vmware=disabled -Ddriver_vz=disabled \
        -Ddriver_bhyve=disabled -Dwireshark_dissector=disabled -Dinit_script=none \
        > "$DEST/configure.log" 2>&1 \
        || { tail -n 30 "$DEST/configure.log" >&2; rm -rf "$build"; die "meson setup failed (log: $DEST/configure.log)"; }
fi
objects=(src/admin/libvirt_admin_driver.a)
for d in "${DAEMONS[@]}"; do
    mapfile -t -O ${#objects[@]} objects < <(ninja -C "$build" -t targets all \
        | sed -n "s|^\(src/$d\.p/[^:]*\.o\):.*|\1|p")
done
[ ${#objects[@]} -gt $((1 + ${#DAEMONS[@]})) ] || die "the build has no objects for ${DAEMONS[*]} (log: $DEST/configure.log)"
say "compiling ${DAEMONS[*]} (${#objects[@]} objects)"
ninja -C "$build" "${objects[@]}" > "$DEST/build.log" 2>&1 \
    || { tail -n 30 "$DEST/build.log" >&2; die "compiling the daemons failed (log: $DEST/build.log)"; }
sasl=()
pkg-config --exists libsasl2 && read -r -a sasl <<<"$(pkg-config --libs libsasl2)"
for d in "${DAEMONS[@]}"; do
    # shellcheck disable=SC2046 # pkg-config's flags are words
    cc -o "$DEST/root/usr/sbin/$d" "$build"/src/"$d".p/*.o -pie -Wl,--as-needed -Wl,--no-undefined \
        "$build/src/admin/libvirt_admin_driver.a" \
        "$libdir/libvirt.so.0" "$libdir/libvirt-lxc.so.0" "$libdir/libvirt-qemu.so.0" \
        $(pkg-config --libs glib-2.0 gobject-2.0 gio-unix-2.0 libxml-2.0 gnutls libtirpc) "${sasl[@]}" \
        >> "$DEST/build.log" 2>&1 \
        || { tail -n 30 "$DEST/build.log" >&2; die "linking $d against the packaged libvirt.so.0 failed (log: $DEST/build.log)"; }
done

# (4) wrappers that give the packaged programs their libraries
wrapper() {
    printf '#!/bin/sh\n# written by scripts/fetch-libvirt-backports.sh: %s with libvirt %s'"'"'s libraries\n' "$2" "$version"
    printf 'LD_LIBRARY_PATH=%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} exec %s "$@"\n' "$libdir" "$2"
}
mkdir -p "$DEST/bin" "$DEST/libexec"
wrapper virsh "$DEST/root/usr/bin/virsh" > "$DEST/bin/virsh"
chmod 0755 "$DEST/bin/virsh"
for f in "$DEST"/root/usr/lib/libvirt/*; do
    [ -f "$f" ] && [ -x "$f" ] || continue
    wrapper "$(basename "$f")" "$f" > "$DEST/libexec/$(basename "$f")"
    chmod 0755 "$DEST/libexec/$(basename "$f")"
done

# (5) every program and module finds its libraries (with the system's
# Debian 12 libraries under the backport's libvirt ones)
missing=""
while IFS= read -r -d '' f; do
    head -c 4 "$f" | grep -q 'ELF' || continue
    if LD_LIBRARY_PATH=$libdir ldd "$f" 2>&1 | grep -q 'not found'; then
        missing+="  $f: $(LD_LIBRARY_PATH=$libdir ldd "$f" 2>&1 | grep 'not found' | tr -s ' \t\n' ' ')"$'\n'
    fi
done < <(find "$DEST/root/usr" -type f \( -perm -u+x -o -name '*.so*' \) -print0)
[ -z "$missing" ] || die "libraries missing for:"$'\n'"$missing(a dependency newer than Debian 12's, not fetched?)"

echo "$version" > "$DEST/VERSION"
echo "$want" > "$DEST/.complete"
say "libvirt $version unpacked in $DEST (daemons ${DAEMONS[*]} built in $build)"
echo "$DEST"
