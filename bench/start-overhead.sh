#!/usr/bin/env bash
# What pvgpu adds to starting a VM: times RUNS x (virsh start, wait until
# the domain is running, virsh destroy) of one small domain, first without
# pvgpu (pvgpuctl disable), then with it (pvgpuctl enable), and prints the
# mean and median of each and their difference.
#
#   bench/start-overhead.sh [--runs N] [--domain NAME] [--emulator PATH]
#                           [--shmem SIZE] [--connect URI] [--json]
#
#   --runs N         cycles per variant (default 10)
#   --domain NAME    the benchmark's own domain (default pvgpu-start-bench);
#                    it is defined from scratch and undefined at the end; a
#                    domain of that name that this script did not make is
#                    refused
#   --emulator PATH  qemu-system-x86_64 with the pvgpu device (default
#                    $PVGPU_CACHE/qemu-build/qemu-system-x86_64, as
#                    scripts/build-qemu.sh leaves it)
#   --shmem SIZE     pvgpuctl enable --shmem (default 64M)
#   --connect URI    libvirt URI (default qemu:///system)
#   --json           one JSON object instead of text
#
# Run it by hand, as root, with PVGPU installed (pvgpuctl in PATH, the hook
# in /etc/libvirt/hooks/qemu.d) and a libvirtd of your own running:
#   scripts/libvirtd-env.sh start && bench/start-overhead.sh --runs 20
#   scripts/libvirtd-env.sh stop
# It never starts or stops libvirtd. Do not point it at a daemon that
# tests or other people use: it starts and destroys a domain many times.
# It is NOT part of the test suite (timing is not behaviour) and must not
# be registered as a test. "Running" means libvirt reports the domain
# running; with pvgpu that includes the hook's work at start (launching the
# backend), not the backend's handshake, which happens asynchronously.
set -euo pipefail

runs=10
domain=pvgpu-start-bench
emulator=${PVGPU_CACHE:-/var/cache/pvgpu}/qemu-build/qemu-system-x86_64
shmem=64M
uri=qemu:///system
json=0
marker="made by pvgpu bench/start-overhead.sh"
running_timeout_s=30

die() { echo "start-overhead: $*" >&2; exit 1; }
usage() { sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=${2:?--runs needs a number}; shift 2 ;;
        --domain) domain=${2:?--domain needs a name}; shift 2 ;;
        --emulator) emulator=${2:?--emulator needs a path}; shift 2 ;;
        --shmem) shmem=${2:?--shmem needs a size}; shift 2 ;;
        --connect) uri=${2:?--connect needs a URI}; shift 2 ;;
        --json) json=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive number, not '$runs'"
[[ $domain =~ ^[A-Za-z0-9_.-]+$ ]] || die "--domain '$domain': use letters, digits, '_', '.', '-'"
[ -x "$emulator" ] || die "no emulator at $emulator (build it with scripts/build-qemu.sh or pass --emulator)"
command -v pvgpuctl >/dev/null || die "pvgpuctl is not in PATH (install PVGPU first)"
command -v virsh >/dev/null || die "virsh is not installed"

v() { virsh -q -c "$uri" "$@"; }
v list --all >/dev/null 2>&1 || die "no libvirt daemon answers at $uri (scripts/libvirtd-env.sh start)"

now() { date +%s.%N; }

state() { v domstate "$domain" 2>/dev/null | head -n 1; }

wait_running() {
    local until
    until=$(( $(date +%s) + running_timeout_s ))
    while [ "$(state)" != running ]; do
        [ "$(date +%s)" -lt "$until" ] || die "'$domain' was not running after ${running_timeout_s}s"
        sleep 0.01
    done
}

defined=0
cleanup() {
    if [ "$defined" = 1 ]; then
        v destroy "$domain" >/dev/null 2>&1 || true
        v undefine "$domain" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

if v domstate "$domain" >/dev/null 2>&1; then
    v desc "$domain" 2>/dev/null | grep -qF "$marker" ||
        die "a domain named '$domain' exists and was not made by this script; use --domain"
    v destroy "$domain" >/dev/null 2>&1 || true
    v undefine "$domain" >/dev/null
fi

xml=$(mktemp)
cat > "$xml" <<XML
<domain type='qemu'>
  <name>$domain</name>
  <description>$marker</description>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>$emulator</emulator>
    <controller type='usb' model='none'/>
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
XML
v define "$xml" >/dev/null
rm -f "$xml"
defined=1

# Seconds of each cycle, one per line.
measure() {
    local t0 t1
    for _ in $(seq 1 "$runs"); do
        t0=$(now)
        v start "$domain" >/dev/null
        wait_running
        v destroy "$domain" >/dev/null
        t1=$(now)
        awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.6f\n", a - b }'
    done
}

# "mean median" of the numbers on stdin.
stats() {
    sort -g | awk '{ x[NR] = $1; s += $1 }
        END { m = (NR % 2) ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2;
              printf "%.3f %.3f\n", s / NR, m }'
}

# One unmeasured cycle first: the first start after define pays for
# libvirt's capability probe of the emulator. The domain starts without
# pvgpu (it was defined without it).
v start "$domain" >/dev/null
wait_running
v destroy "$domain" >/dev/null
plain=$(measure)
read -r plain_mean plain_median <<<"$(stats <<<"$plain")"

pvgpuctl -c "$uri" enable "$domain" --shmem "$shmem" >/dev/null
with=$(measure)
read -r pvgpu_mean pvgpu_median <<<"$(stats <<<"$with")"
pvgpuctl -c "$uri" disable "$domain" >/dev/null

diff_mean=$(awk -v a="$pvgpu_mean" -v b="$plain_mean" 'BEGIN { print a - b }')
diff_median=$(awk -v a="$pvgpu_median" -v b="$plain_median" 'BEGIN { print a - b }')
if [ "$json" = 1 ]; then
    printf '{"runs":%s,"without_pvgpu":{"mean_s":%s,"median_s":%s},' \
        "$runs" "$plain_mean" "$plain_median"
    printf '"with_pvgpu":{"mean_s":%s,"median_s":%s},' "$pvgpu_mean" "$pvgpu_median"
    printf '"overhead":{"mean_s":%.3f,"median_s":%.3f}}\n' "$diff_mean" "$diff_median"
else
    echo "virsh start + wait for running + virsh destroy, $runs runs each (seconds)"
    printf '%-15s %8s %8s\n' variant mean median
    printf '%-15s %8s %8s\n' "without pvgpu" "$plain_mean" "$plain_median"
    printf '%-15s %8s %8s\n' "with pvgpu" "$pvgpu_mean" "$pvgpu_median"
    printf '%-15s %8.3f %8.3f\n' overhead "$diff_mean" "$diff_median"
fi
