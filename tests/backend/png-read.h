/* SPDX-License-Identifier: MIT */
/* Reads a PNG back for the tests, with libpng. */
#ifndef PVGPU_TESTS_PNG_READ_H
#define PVGPU_TESTS_PNG_READ_H

#include <glib.h>

typedef struct {
    guint32 width;
    guint32 height;
    gboolean rgba8;   /* 8-bit RGBA, non-interlaced */
    guint8 *pixels;   /* width * height * 4 bytes when rgba8 */
} TestPng;

/* FALSE when the file cannot be read as a PNG. */
gboolean test_png_read(const char *path, TestPng *out);
void test_png_clear(TestPng *png);

/* Pixel (x, y) as bytes R, G, B, A packed into 0xRRGGBBAA. */
guint32 test_png_rgba(const TestPng *png, guint32 x, guint32 y);

#endif
