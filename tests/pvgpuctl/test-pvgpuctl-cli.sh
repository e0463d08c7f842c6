#!/bin/sh
# The pvgpuctl binary: exit codes, one "pvgpuctl: <message>" line on
# stderr per failure (libvirt's own error printing silenced), help, and the
# connection URI from -c or LIBVIRT_DEFAULT_URI. TAP output.
# Usage: test-pvgpuctl-cli.sh PVGPUCTL TEST_DIR
set -u
pvgpuctl=$1
dir=$2
node="test://$dir/test-node.xml"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# no backend runs here: status finds no control socket
export PVGPU_RUNTIME_DIR="$tmp/run"
unset LIBVIRT_DEFAULT_URI
n=0
failed=0

# check NAME EXPECTED_STATUS EXPECTED_STDERR(exact, "" for none) -- ARGS...
check() {
    name=$1 want_status=$2 want_err=$3
    shift 4
    n=$((n + 1))
    "$pvgpuctl" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    status=$?
    err=$(cat "$tmp/err")
    if [ "$status" -ne "$want_status" ] || [ "$err" != "$want_err" ]; then
        echo "not ok $n - $name"
        echo "# status $status (want $want_status), stderr: $err"
        echo "# want stderr: $want_err"
        failed=1
    else
        echo "ok $n - $name"
    fi
}

# assert NAME COMMAND...: a shell test on the last output
assert() {
    name=$1
    shift
    n=$((n + 1))
    if "$@"; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        sed 's/^/# /' "$tmp/out"
        failed=1
    fi
}

out_starts() { head -n 1 "$tmp/out" | grep -q -- "^$1"; }
out_has() { grep -q -F -- "$1" "$tmp/out"; }

check "global help" 0 "" -- --help
assert "help has a synopsis" out_starts "Usage: pvgpuctl \[-c URI\] COMMAND"
assert "help documents exit status 3" out_has "  3  status: a domain listed is unhealthy"
check "command help" 0 "" -- enable --help
cp "$tmp/out" "$tmp/enable-help"
check "help command" 0 "" -- help enable
assert "CMD --help equals help CMD" cmp -s "$tmp/out" "$tmp/enable-help"
check "version" 0 "" -- --version
assert "version names pvgpuctl and libvirt" out_starts "pvgpuctl [0-9.]* (libvirt [0-9.]*)$"

check "no command" 2 "pvgpuctl: no command given; see 'pvgpuctl --help'" --
check "unknown command" 2 "pvgpuctl: unknown command 'stauts'; see 'pvgpuctl --help'" -- stauts
check "bad size" 2 "pvgpuctl: --shmem '3M' must be a power of two between 4M and 64G" -- enable vm --shmem 3M
check "conflicting flags" 2 "pvgpuctl: --json and --quiet cannot be used together: --quiet prints nothing" -- status --json --quiet

check "unhealthy status exits 3" 3 "pvgpuctl: 1 of 2 pvgpu domains unhealthy: vm-gpu (unreachable)" -- -c "$node" status
assert "status prints the table" out_starts "NAME        STATE     SHMEM  BACKEND  HEALTH"
assert "status prints the legend" out_has "Legend: - not available;"
check "shut-off domain is healthy" 0 "" -- -c "$node" status vm-gpu-off
assert "detail view" out_starts "Name:             vm-gpu-off"
check "quiet status" 3 "pvgpuctl: 1 of 2 pvgpu domains unhealthy: vm-gpu (unreachable)" -- --connect "$node" status -q
assert "quiet prints nothing" test ! -s "$tmp/out"

# libvirt would print "libvirt: ... error" lines itself without the
# silencing error function
check "libvirt error reported once" 1 "pvgpuctl: cannot find domain 'nope': Domain not found" -- -c "$node" status nope
n=$((n + 1))
"$pvgpuctl" -c "bogus:///x" status >/dev/null 2>"$tmp/err"
if [ $? -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
    grep -q "^pvgpuctl: cannot connect to bogus:///x: " "$tmp/err"; then
    echo "ok $n - connection failure reported once"
else
    echo "not ok $n - connection failure reported once"
    sed 's/^/# /' "$tmp/err"
    failed=1
fi

export LIBVIRT_DEFAULT_URI="$node"
check "LIBVIRT_DEFAULT_URI is the default" 0 "" -- status vm-gpu-off
unset LIBVIRT_DEFAULT_URI

check "enable on the test driver" 1 "pvgpuctl: libvirt kept the pvgpu metadata of domain 'vm-off' but dropped its <qemu:commandline>, so the device will not be added; only the QEMU driver keeps it, and this connection uses the TEST driver" -- -c "$node" enable vm-off

valid="$dir/validate/gpu-minimal-valid.xml"
check "validate a valid file" 0 "" -- validate "$valid"
assert "validate prints FILE: valid" out_starts "$valid: valid$"
n=$((n + 1))
if "$pvgpuctl" validate - <"$valid" | grep -q '^-: valid$'; then
    echo "ok $n - validate - reads standard input"
else
    echo "not ok $n - validate - reads standard input"
    failed=1
fi
check "validate an invalid file" 1 "pvgpuctl: $dir/validate/gpu-shmem-not-power-of-two-invalid.xml: shmem '3M' must be a power of two between 4M and 64G" -- validate "$dir/validate/gpu-shmem-not-power-of-two-invalid.xml"

n=$((n + 1))
"$pvgpuctl" -c "$node" status vm-gpu-off >/dev/full 2>"$tmp/err"
if [ $? -eq 1 ] && grep -q "^pvgpuctl: cannot write to standard output$" "$tmp/err"; then
    echo "ok $n - a full standard output is an error"
else
    echo "not ok $n - a full standard output is an error"
    failed=1
fi

# the man page documents every command of the table
man="$dir/../../pvgpuctl/pvgpuctl.1"
for cmd in $("$pvgpuctl" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p'); do
    n=$((n + 1))
    if grep -q "^\.B[IR]* $cmd\b" "$man"; then
        echo "ok $n - man page documents $cmd"
    else
        echo "not ok $n - man page documents $cmd"
        failed=1
    fi
done

echo "1..$n"
exit $failed
