#!/usr/bin/env bash
# Fetches Debian 12's QEMU source (apt-get source qemu) into
# ${PVGPU_CACHE:-/var/cache/pvgpu}/qemu-src, once. The deb-src entries are
# derived from the machine's own apt sources into a private apt
# configuration under the cache; the system's apt configuration is not
# touched. Prints the path of the unpacked tree as its last line.
set -euo pipefail

CACHE="${PVGPU_CACHE:-/var/cache/pvgpu}"
SRC="$CACHE/qemu-src"
LINK="$SRC/qemu"          # symlink to the unpacked qemu-<version>/ tree
APTDIR="$CACHE/apt"

say() { echo "fetch-qemu-source: $*" >&2; }
die() { say "error: $*"; exit 1; }

mkdir -p "$CACHE" 2>/dev/null || true
if [ -w "$CACHE" ]; then
    exec 8> "$CACHE/.fetch-qemu-source.lock"
    flock 8
fi

if [ -L "$LINK" ] && [ -f "$LINK/configure" ] && [ -f "$LINK/.pvgpu-unpacked" ]; then
    say "QEMU source already in $(readlink -f "$LINK")"
    readlink -f "$LINK"
    exit 0
fi

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get source needs a writable apt state)"
command -v apt-get >/dev/null || die "apt-get not found: this needs Debian 12"
command -v dpkg-source >/dev/null || die "dpkg-source not found: apt-get install dpkg-dev"

# --- private apt configuration ---------------------------------------------
rm -rf "${APTDIR:?}/etc"
mkdir -p "$APTDIR/etc/sources.list.d" "$APTDIR/lists/partial" \
         "$APTDIR/cache/archives/partial" "$SRC"

# One-line format: every enabled "deb" line becomes a "deb-src" line.
list_to_src() {
    sed -n -E 's/^[[:space:]]*deb[[:space:]]+/deb-src /p' "$1"
}

# deb822 format: every stanza whose Types include "deb" is copied with
# "Types: deb-src" (Signed-By, including inline keys, is kept as it is).
sources_to_src() {
    awk '
    function flush() {
        if (n > 0 && has_deb && enabled) {
            print "Types: deb-src"
            for (i = 1; i <= n; i++) print lines[i]
            print ""
        }
        n = 0; has_deb = 0; enabled = 1; skip = 0
    }
    BEGIN { n = 0; has_deb = 0; enabled = 1; skip = 0 }
    /^[[:space:]]*$/ { flush(); next }
    /^#/ { next }
    /^[[:space:]]/ { if (!skip) lines[++n] = $0; next }
    {
        field = tolower($0); sub(/:.*/, "", field)
        value = $0; sub(/^[^:]*:[[:space:]]*/, "", value)
        skip = 0
        if (field == "types") {
            k = split(value, t, /[[:space:]]+/)
            for (i = 1; i <= k; i++) if (t[i] == "deb") has_deb = 1
            skip = 1; next
        }
        if (field == "enabled" && tolower(value) == "no") enabled = 0
        lines[++n] = $0
    }
    END { flush() }
    ' "$1"
}

out_list="$APTDIR/etc/sources.list"
: > "$out_list"
found=0
if [ -f /etc/apt/sources.list ]; then
    list_to_src /etc/apt/sources.list >> "$out_list"
fi
for f in /etc/apt/sources.list.d/*; do
    [ -f "$f" ] || continue
    case "$f" in
        *.list)    list_to_src "$f" >> "$out_list" ;;
        *.sources) sources_to_src "$f" > "$APTDIR/etc/sources.list.d/$(basename "$f")" ;;
        *)         continue ;;
    esac
done
if grep -q '^deb-src' "$out_list"; then found=1; fi
if grep -qs '^Types: deb-src' "$APTDIR"/etc/sources.list.d/*.sources; then found=1; fi
[ "$found" -eq 1 ] || die "no enabled 'deb' source found in /etc/apt/sources.list{,.d/*.list,.d/*.sources}"

APT_OPTS=(
    -o "Dir::Etc::SourceList=$APTDIR/etc/sources.list"
    -o "Dir::Etc::SourceParts=$APTDIR/etc/sources.list.d"
    -o "Dir::State::Lists=$APTDIR/lists"
    -o "Dir::Cache=$APTDIR/cache"
    -o "APT::Sandbox::User=root"
)

say "apt-get update (source indexes only, private config in $APTDIR)"
if ! apt-get "${APT_OPTS[@]}" -q update > "$APTDIR/update.log" 2>&1; then
    cat "$APTDIR/update.log" >&2
    die "apt-get update failed (log: $APTDIR/update.log)"
fi

# --- download and unpack ----------------------------------------------------
say "apt-get source qemu into $SRC"
# A previous, interrupted run may have left a half-unpacked tree.
rm -rf "$SRC"/qemu-*/ "$LINK"
if ! (cd "$SRC" && apt-get "${APT_OPTS[@]}" -q source qemu) > "$SRC/source.log" 2>&1; then
    cat "$SRC/source.log" >&2
    die "apt-get source qemu failed (log: $SRC/source.log)"
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
