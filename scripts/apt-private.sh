#!/usr/bin/env bash
# A private apt configuration under ${PVGPU_CACHE:-/var/cache/pvgpu}/apt,
# derived from the machine's own apt sources (no host name is written in
# this repository), with deb and deb-src entries for each enabled suite and
# for <codename>-backports of each base suite. The system's apt
# configuration is not touched.
#
# Sourced:   . scripts/apt-private.sh; apt_private_setup; apt-get "${APT_PRIVATE_OPTS[@]}" ...
# Executed:  scripts/apt-private.sh ARGS...  runs apt-get ARGS with that configuration
#            (after one 'update' per hour at most).
set -euo pipefail

APT_PRIVATE_DIR="${PVGPU_CACHE:-/var/cache/pvgpu}/apt"

_apt_private_say() { echo "apt-private: $*" >&2; }

# One-line format: every enabled "deb" line gives a "deb" and a "deb-src"
# line, and a base suite (no '-') also its -backports suite.
_apt_private_list() {
    awk '
    /^[[:space:]]*deb[[:space:]]/ {
        line = $0; sub(/^[[:space:]]*deb[[:space:]]+/, "", line)
        n = split(line, f, /[[:space:]]+/)
        opts = ""; i = 1
        if (f[1] ~ /^\[/) { while (i <= n && f[i] !~ /\]$/) { opts = opts f[i] " "; i++ } opts = opts f[i] " "; i++ }
        uri = f[i]; suite = f[i + 1]; comps = ""
        for (j = i + 2; j <= n; j++) comps = comps " " f[j]
        for (t = 0; t < 2; t++) {
            type = t ? "deb-src" : "deb"
            print type " " opts uri " " suite comps
            if (suite !~ /-/ && suite !~ /\//) print type " " opts uri " " suite "-backports" comps
        }
    }' "$1"
}

# deb822 format: every stanza whose Types include "deb" is copied with
# "Types: deb deb-src"; base suites gain their -backports suite.
_apt_private_sources() {
    awk '
    function flush() {
        if (n > 0 && has_deb && enabled) {
            print "Types: deb deb-src"
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
        if (field == "suites") {
            k = split(value, s, /[[:space:]]+/); out = ""
            for (i = 1; i <= k; i++) {
                if (s[i] == "") continue
                out = out " " s[i]
                if (s[i] !~ /-/ && s[i] !~ /\//) out = out " " s[i] "-backports"
            }
            lines[++n] = "Suites:" out; next
        }
        lines[++n] = $0
    }
    END { flush() }
    ' "$1"
}

# Writes the configuration (again each call: the machine's sources may
# have changed) and sets APT_PRIVATE_OPTS.
apt_private_setup() {
    local dir=$APT_PRIVATE_DIR f found=0
    rm -rf "${dir:?}/etc"
    mkdir -p "$dir/etc/sources.list.d" "$dir/etc/preferences.d" \
             "$dir/lists/partial" "$dir/cache/archives/partial"
    : > "$dir/etc/sources.list"
    if [ -f /etc/apt/sources.list ]; then
        _apt_private_list /etc/apt/sources.list >> "$dir/etc/sources.list"
    fi
    for f in /etc/apt/sources.list.d/*; do
        [ -f "$f" ] || continue
        case "$f" in
            *.list)    _apt_private_list "$f" >> "$dir/etc/sources.list" ;;
            *.sources) _apt_private_sources "$f" > "$dir/etc/sources.list.d/$(basename "$f")" ;;
        esac
    done
    grep -q '^deb-src' "$dir/etc/sources.list" && found=1
    grep -qs '^Types: deb deb-src' "$dir"/etc/sources.list.d/*.sources && found=1
    if [ "$found" -ne 1 ]; then
        _apt_private_say "error: no enabled 'deb' source in /etc/apt/sources.list{,.d/*.list,.d/*.sources}"
        return 1
    fi
    APT_PRIVATE_OPTS=(
        -o "Dir::Etc::SourceList=$dir/etc/sources.list"
        -o "Dir::Etc::SourceParts=$dir/etc/sources.list.d"
        -o "Dir::Etc::PreferencesParts=$dir/etc/preferences.d"
        -o "Dir::State::Lists=$dir/lists"
        -o "Dir::Cache=$dir/cache"
        -o "APT::Sandbox::User=root"
    )
}

# apt-get update with the private configuration, at most once an hour.
apt_private_update() {
    local stamp=$APT_PRIVATE_DIR/lists/.pvgpu-updated
    if [ -f "$stamp" ] && [ -n "$(find "$stamp" -mmin -60 2>/dev/null)" ]; then
        return 0
    fi
    _apt_private_say "apt-get update (private config in $APT_PRIVATE_DIR)"
    if ! apt-get "${APT_PRIVATE_OPTS[@]}" -q update > "$APT_PRIVATE_DIR/update.log" 2>&1; then
        cat "$APT_PRIVATE_DIR/update.log" >&2
        _apt_private_say "error: apt-get update failed (log: $APT_PRIVATE_DIR/update.log)"
        return 1
    fi
    touch "$stamp"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    [ "$(id -u)" -eq 0 ] || { _apt_private_say "error: run as root"; exit 1; }
    apt_private_setup
    apt_private_update
    exec apt-get "${APT_PRIVATE_OPTS[@]}" "$@"
fi
