#!/bin/busybox sh
# /init of the boot test's guest (busybox ash). It reports on the serial
# console with "@@" lines and waits for the host at "@@wait TAG" until the
# host writes "go TAG"; boot-test.sh drives it. Never returns: powers off.

/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug

say() { echo "@@$*"; }

# Waits for the host's "go TAG" line on the console.
wait_go() {
    say "wait $1"
    while read -r word tag; do
        if [ "$word" = go ] && [ "$tag" = "$1" ]; then
            return 0
        fi
    done
    say "error console closed while waiting for $1"
}

# Waits up to about 10 s for a path to appear.
wait_path() {
    n=0
    while [ ! -e "$1" ] && [ $n -lt 100 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    [ -e "$1" ]
}

finish() {
    say "done"
    sync
    poweroff -f
}

say "boot $(uname -r)"

for m in $(cat /modules/order); do
    insmod "/modules/$m.ko" || say "error insmod $m"
done
insmod /pvgpu.ko
say "insmod $?"

for d in /sys/bus/pci/drivers/pvgpu/0000:*; do
    [ -e "$d" ] && say "bound ${d##*/}"
done
dmesg | grep -i 'pvgpu' | sed 's/^/@@dmesg /'

knobs=$(echo /sys/kernel/debug/pvgpu/*)
say "knobs $knobs"
if wait_path /dev/dri/card0; then say "card0 yes"; else say "card0 no"; fi
if wait_path /dev/fb0; then say "fb0 yes"; else say "fb0 no"; fi

# fbcon shows tty1 through the driver's fbdev emulation
printf '\nPVGPU fbcon test: the quick brown fox jumps over the lazy dog\n' \
    > /dev/tty1
wait_go fbcon

# drmtest takes over the display and obeys the host until "quit"
/drmtest /dev/dri/card0
say "drmtest_exit $?"

sed 's/^/@@counter /' "$knobs/counters"
grep -E 'pvgpu' /proc/interrupts | sed 's/^ *//; s/^/@@interrupts /'

rmmod pvgpu
say "rmmod $?"
dmesg | grep -E 'pvgpu|drm' | sed 's/^/@@log /'
[ -e /sys/bus/pci/drivers/pvgpu ] && say "error driver still registered"
dmesg | grep -E 'WARNING:|BUG:|Oops|Call Trace|general protection' |
    sed 's/^/@@kernel_problem /'
finish
