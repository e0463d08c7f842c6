#!/usr/bin/env bash
# `meson install --destdir D` of the build tree: the hook lands where
# libvirt reads hooks (/etc/libvirt/hooks/qemu.d, whatever the prefix), and
# the metadata schema where the installed hook looks for it. Output: TAP.
#
#   test-install.sh MESON BUILD_DIR SCHEMA_SOURCE
set -uo pipefail

meson=$1 build=$2 schema_source=$3
dest=$(mktemp -d "${TMPDIR:-/tmp}/pvgpu-install.XXXXXX") || exit 1
trap 'rm -rf "$dest"' EXIT

echo 1..4
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1)); echo "not ok $n - $1"; shift
    printf '%s\n' "$@" | sed 's/^/# /'
}

hook=$dest/etc/libvirt/hooks/qemu.d/pvgpu

if out=$("$meson" install -C "$build" --destdir "$dest" --no-rebuild --quiet 2>&1); then
    ok "meson install --destdir"
else
    not_ok "meson install --destdir" "$out"
fi

if [ -f "$hook" ] && [ -x "$hook" ]; then
    ok "hook installed as /etc/libvirt/hooks/qemu.d/pvgpu"
else
    not_ok "hook installed as /etc/libvirt/hooks/qemu.d/pvgpu" \
        "installed hooks: $(cd "$dest" && find . -path '*hooks*' -type f)"
fi

# The installed hook, without PVGPU_SCHEMA_DIR, names the schema it needs
# when that file is missing on this machine (it is, unless pvgpu is
# installed here: then the compiled-in path is read from the binary).
domain="<domain><name>vm</name><uuid>3f9c1c2e-8b7a-4d6e-9f10-2a3b4c5d6e7f</uuid>
<metadata><pvgpu:gpu xmlns:pvgpu='urn:x-pvgpu:domain:1.0' shmem='64M'/></metadata>
<os><type machine='q35'>hvm</type></os></domain>"
schema=""
if [ -x "$hook" ]; then
    err=$(env -u PVGPU_SCHEMA_DIR "$hook" vm migrate begin - <<<"$domain" 2>&1 >/dev/null)
    schema=$(sed -n 's/.*the pvgpu schema \(\/.*\) is missing.*/\1/p' <<<"$err")
    if [ -z "$schema" ]; then
        schema=$(grep -ao '/[[:graph:]]*/pvgpu/schemas' "$hook" | head -n1)/pvgpu-metadata.rng
    fi
fi
if [ -n "$schema" ] && cmp -s "$dest$schema" "$schema_source"; then
    ok "schema installed where the hook looks for it ($schema)"
else
    not_ok "schema installed where the hook looks for it" \
        "the hook looks for '${schema:-?}'" \
        "installed schemas: $(cd "$dest" && find . -name '*.rng')"
fi

# One VM's QEMU must not reach another's backend: nothing installed grants
# every domain's device.sock (the hook writes a rule per domain instead).
wildcard=$(grep -rlE '^[[:space:]]*"?/run/pvgpu/\*' "$dest" 2>/dev/null)
if [ -z "$wildcard" ]; then
    ok "no installed AppArmor rule for every domain's socket"
else
    not_ok "no installed AppArmor rule for every domain's socket" \
        "found in: $wildcard"
fi
