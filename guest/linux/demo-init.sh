#!/bin/busybox sh
# /init of the demo guest (scripts/demo.sh): loads pvgpu.ko, writes a few
# lines on the framebuffer console, then idles until the VM is stopped.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
for m in $(cat /modules/order); do
    insmod "/modules/$m.ko"
done
insmod /pvgpu.ko
n=0
while [ ! -e /dev/tty1 ] || [ ! -e /dev/fb0 ]; do
    [ $n -ge 100 ] && break
    sleep 0.1
    n=$((n + 1))
done
{
    echo
    echo "  PVGPU demo guest: Linux $(uname -r)"
    echo
    for d in /sys/bus/pci/drivers/pvgpu/0000:*; do
        [ -e "$d" ] && echo "  pvgpu driver bound to ${d##*/}"
    done
    echo "  framebuffer: $(cat /sys/class/graphics/fb0/name 2>/dev/null)" \
         "$(cat /sys/class/graphics/fb0/virtual_size 2>/dev/null)"
    echo
    dmesg | grep -i pvgpu | tail -n 8 | sed 's/^/  /'
} > /dev/tty1 2>&1
echo "pvgpu demo guest is up" > /dev/console
while true; do
    sleep 3600
done
