#!/usr/bin/env bash
# Compiles a C program that includes the protocol headers with
# -std=c11 -pedantic and fails if the compiler prints anything at all.
set -euo pipefail
cc=$1 protocol_dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/main.c" <<'C'
#include "pvgpu_protocol.h"
#include "pvgpu_codec.h"
int main(void) { return (int)sizeof(struct pvgpu_control) - 0x1000; }
C
out=$("$cc" -std=c11 -pedantic -Wall -Wextra -I"$protocol_dir" \
      "$tmp/main.c" -o "$tmp/main" 2>&1) || { echo "$out"; exit 1; }
if [ -n "$out" ]; then
    echo "compiler printed output for a pedantic C11 include:"
    echo "$out"
    exit 1
fi
"$tmp/main"
echo "1..1"
echo "ok 1 - headers compile silently with $cc -std=c11 -pedantic"
