#!/bin/busybox sh
# shellcheck shell=dash
# /init of bench/display-bench.sh's guest (busybox ash). Loads the DRM
# modules, pvgpu.ko and virtio-gpu, waits for both cards, then asks the host
# for display-bench's arguments ("@@wait args", answered by a line
# "args ARG..." on the serial console) and runs it. Its own reports are
# "@@" lines like display-bench's. Never returns: powers off.

/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
stty -echo 2>/dev/null

say() { echo "@@$*"; }
finish() {
    dmesg | grep -E 'WARNING:|BUG:|Oops|Call Trace|general protection' |
        sed 's/^/@@kernel_problem /'
    say "done"
    sync
    poweroff -f
}

say "boot $(uname -r)"
# no fbdev emulation: fbcon would draw on one of the cards meanwhile
for m in $(cat /modules/order); do
    case $m in
        drm_kms_helper) insmod "/modules/$m.ko" fbdev_emulation=0 ;;
        *) insmod "/modules/$m.ko" ;;
    esac || say "error insmod $m"
done
insmod /pvgpu.ko || say "error insmod pvgpu"

n=0
while [ ! -e /dev/dri/card1 ] && [ $n -lt 100 ]; do
    sleep 0.1
    n=$((n + 1))
done
[ -e /dev/dri/card1 ] || { say "error fewer than two DRM cards"; finish; }
say "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"

say "wait args"
while read -r word args; do
    [ "$word" = args ] && break
done
# shellcheck disable=SC2086 # the host's words, split on purpose
/display-bench $args
say "bench_exit $?"
finish
