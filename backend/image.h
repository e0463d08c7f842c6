/* SPDX-License-Identifier: MIT */
/* A 32-bit-per-pixel image in one of the protocol's formats. */
#ifndef PVGPU_BACKEND_IMAGE_H
#define PVGPU_BACKEND_IMAGE_H

#include <glib.h>

typedef struct {
    guint32 format;  /* enum pvgpu_format */
    guint32 width;
    guint32 height;
    gsize stride;    /* bytes from one row to the next */
    guint8 *pixels;  /* first pixel of the first row */
} PvgpuImage;

/* "B8G8R8A8" etc., or NULL for a value outside enum pvgpu_format. */
const char *pvgpu_format_name(guint32 format);

/* Converts row y of img to width 8-bit RGBA pixels; X formats get alpha 255. */
void pvgpu_image_row_to_rgba(const PvgpuImage *img, guint32 y, guint8 *rgba);

#endif
