#!/usr/bin/env bash
# Compiles a program that includes the protocol headers, pedantically, and
# fails if the compiler prints anything at all. LANG is c (C11: both
# headers) or c++ (C++11: pvgpu_protocol.h, which a Windows UMD includes).
# Usage: header-pedantic.sh COMPILER PROTOCOL_DIR [c|c++]
set -euo pipefail
cc=$1 protocol_dir=$2 lang=${3:-c}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
case "$lang" in
    c)
        src=$tmp/main.c std=-std=c11
        printf '#include "pvgpu_protocol.h"\n#include "pvgpu_codec.h"\n' > "$src"
        ;;
    c++)
        src=$tmp/main.cpp std=-std=c++11
        printf '#include "pvgpu_protocol.h"\n' > "$src"
        ;;
    *) echo "header-pedantic.sh: LANG must be c or c++" >&2; exit 2 ;;
esac
cat >> "$src" <<'C'
int main(void) { return (int)sizeof(struct pvgpu_control) - 0x1000; }
C
out=$("$cc" $std -pedantic -Wall -Wextra -I"$protocol_dir" \
      "$src" -o "$tmp/main" 2>&1) || { echo "$out"; exit 1; }
if [ -n "$out" ]; then
    echo "compiler printed output for a pedantic $std include:"
    echo "$out"
    exit 1
fi
"$tmp/main"
echo "1..1"
echo "ok 1 - headers compile silently with $cc $std -pedantic"
