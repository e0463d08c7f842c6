#!/usr/bin/env bash
# The main job, for a newcomer on a fresh Debian 12 machine, as root:
# installs what is needed, builds QEMU with the pvgpu device and PVGPU
# itself, installs PVGPU (/usr/local, hook in /etc/libvirt/hooks/qemu.d),
# starts a libvirt daemon, defines a VM, and then does what a user does:
#
#   pvgpuctl enable DOMAIN --shmem 256M
#   virsh start DOMAIN
#   pvgpuctl status
#   pvgpuctl screenshot DOMAIN FILE.png
#
# Usage: scripts/demo.sh [--domain NAME] [--no-guest]
#   --domain NAME  name of the demo VM (default pvgpu-demo)
#   --no-guest     boot no Linux guest (the VM then sits in its firmware,
#                  and the screenshot has nothing to show)
# The VM keeps running afterwards; stop it with `virsh destroy NAME` and the
# daemon with `scripts/libvirtd-env.sh stop`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
domain=pvgpu-demo
with_guest=1
while [ $# -gt 0 ]; do
    case $1 in
        --domain) domain=${2:?--domain needs a name}; shift 2 ;;
        --no-guest) with_guest=0; shift ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

export PVGPU_CACHE=${PVGPU_CACHE:-/var/cache/pvgpu}
build=${PVGPU_DEMO_BUILD_DIR:-$root/build-demo}
out=${PVGPU_DEMO_OUT:-/var/lib/pvgpu/demo}
step() { printf '\n==> %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "installing packages"
bash "$root/scripts/setup.sh"

step "building QEMU 7.2 with the pvgpu device"
qemu=$(bash "$root/scripts/build-qemu.sh" | tail -n 1)

step "building and installing PVGPU"
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$root" --prefix=/usr/local -Dtests=disabled \
        -Dbuildtype=release >/dev/null
fi
ninja -C "$build" >/dev/null
meson install -C "$build" --quiet

step "starting libvirtd (scripts/libvirtd-env.sh)"
bash "$root/scripts/libvirtd-env.sh" start

mkdir -p "$out"
xml=$out/$domain.xml
kernel_xml=""
if [ "$with_guest" = 1 ]; then
    step "building a Linux guest with the pvgpu driver (scripts/build-guest.sh)"
    read -r kernel initrd <<<"$(bash "$root/scripts/build-guest.sh" "$out/guest" | tail -n 1)"
    kernel_xml="<kernel>$kernel</kernel><initrd>$initrd</initrd><cmdline>console=ttyS0 quiet</cmdline>"
fi

step "defining the VM '$domain'"
marker="made by pvgpu scripts/demo.sh"
cat > "$xml" <<XML
<domain type='qemu'>
  <name>$domain</name>
  <description>$marker</description>
  <memory unit='MiB'>512</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    $kernel_xml
  </os>
  <devices>
    <emulator>$qemu</emulator>
    <controller type='usb' model='none'/>
    <video><model type='none'/></video>
    <memballoon model='none'/>
    <serial type='file'><source path='$out/$domain-console.log'/></serial>
  </devices>
</domain>
XML
if virsh -q domstate "$domain" >/dev/null 2>&1; then
    if ! virsh -q desc "$domain" 2>/dev/null | grep -qF "$marker"; then
        echo "demo: a domain named '$domain' exists and was not made by this demo;" \
             "choose another name with --domain NAME" >&2
        exit 1
    fi
    virsh -q destroy "$domain" >/dev/null 2>&1 || true
    virsh -q undefine "$domain" >/dev/null
fi
run virsh -q define "$xml"

step "what a user does"
run pvgpuctl enable "$domain" --shmem 256M
run virsh start "$domain"
for _ in $(seq 1 100); do
    if pvgpuctl status "$domain" --json 2>/dev/null | grep -q '"ready" *: *true'; then
        break
    fi
    sleep 0.2
done
if [ "$with_guest" = 1 ]; then
    echo "(waiting for the guest to boot and draw its console)"
    for _ in $(seq 1 300); do
        if grep -q "demo guest is up" "$out/$domain-console.log" 2>/dev/null; then
            break
        fi
        sleep 0.2
    done
    sleep 1
fi
run pvgpuctl status || true
run pvgpuctl status "$domain" || true
run pvgpuctl screenshot "$domain" "$out/$domain.png" || true

cat <<TXT

The VM '$domain' is running with a pvgpu device. Try:
  pvgpuctl status            virsh dumpxml $domain
  pvgpuctl screenshot $domain /tmp/screen.png
Stop it:  virsh destroy $domain;  scripts/libvirtd-env.sh stop
TXT
