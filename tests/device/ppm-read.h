/* SPDX-License-Identifier: MIT */
/* Binary PPM (P6, maxval 255), what QEMU's screendump and virsh screenshot
 * write. Plain C: the guest test's pngcmp uses it too. */
#ifndef PVGPU_PPM_READ_H
#define PVGPU_PPM_READ_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses len bytes of a PPM file: returns malloc'ed width*height*3 RGB
 * bytes, rows top to bottom, or NULL with a reason in *why (static text)
 * when it is not one.
 */
uint8_t *ppm_parse_rgb(const uint8_t *data, size_t len, uint32_t *width,
                       uint32_t *height, const char **why);

#endif
