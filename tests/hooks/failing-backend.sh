#!/bin/sh
# Stands in for a pvgpu-backend that fails during start-up. It first checks
# what the hook must hand over: a socket as fd 3 and no fd from 4 to 9
# (dash keeps the script itself on fd 10 or above).
case "$(readlink /proc/$$/fd/3)" in
socket:*) ;;
*) echo "fd 3 is not a socket" >&2; exit 9 ;;
esac
for fd in 4 5 6 7 8 9; do
    if [ -e /proc/$$/fd/$fd ]; then
        echo "fd $fd was inherited" >&2
        exit 8
    fi
done
echo "pvgpu-backend: starting with $*"
echo "pvgpu-backend: cannot open display :0" >&2
exit 2
