/* SPDX-License-Identifier: MIT */
/*
 * The picture the guest draws (drmtest.c) and the host expects in the
 * backend's screenshot (pngcmp.c): every pixel depends on its position and
 * on a seed, so a shifted, scaled, stale or channel-swapped frame differs.
 */
#ifndef PVGPU_TEST_PATTERN_H
#define PVGPU_TEST_PATTERN_H

#include <stdint.h>

/* 0x00RRGGBB */
static inline uint32_t pattern_rgb(uint32_t x, uint32_t y, uint32_t seed)
{
    uint32_t r = (x * 3u + seed * 67u) & 0xffu;
    uint32_t g = (y * 5u + seed * 131u) & 0xffu;
    uint32_t b = ((x ^ y) + seed * 29u) & 0xffu;

    /* a white frame marks the edges of the visible area */
    if (x == 0 || y == 0) {
        return 0xffffffu;
    }
    return (r << 16) | (g << 8) | b;
}

#endif
