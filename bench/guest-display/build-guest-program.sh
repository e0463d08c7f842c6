#!/usr/bin/env bash
# Builds the static guest program bench/guest-display/display-bench.c
# against the guest kernel's UAPI headers, as scripts/build-guest.sh builds
# tests/guest/drmtest.c (the kernel tree comes from
# scripts/fetch-guest-kernel.sh, which fetches it on first use).
#
# Usage: build-guest-program.sh SOURCE OUTPUT
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 2 ] || { echo "usage: build-guest-program.sh SOURCE OUTPUT" >&2; exit 2; }
kroot=$("$src/scripts/fetch-guest-kernel.sh" | tail -n 1)
uapi=$(echo "$kroot"/usr/src/linux-headers-*-common/include/uapi)
[ -f "$uapi/drm/virtgpu_drm.h" ] || {
    echo "build-guest-program: no DRM UAPI headers in $uapi" >&2
    exit 1
}
exec gcc -static -O2 -Wall -Wextra -Werror -D__user= -idirafter "$uapi" \
    -I"$src/tests/guest" -o "$2" "$1"
