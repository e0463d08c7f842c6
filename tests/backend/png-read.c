/* SPDX-License-Identifier: MIT */
#include "png-read.h"

#include <png.h>
#include <stdio.h>

gboolean test_png_read(const char *path, TestPng *out)
{
    png_image image;

    memset(out, 0, sizeof(*out));
    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, path)) {
        return FALSE;
    }
    out->width = image.width;
    out->height = image.height;
    out->rgba8 = image.format == PNG_FORMAT_RGBA;
    image.format = PNG_FORMAT_RGBA;
    out->pixels = g_malloc(PNG_IMAGE_SIZE(image));
    if (!png_image_finish_read(&image, NULL, out->pixels, 0, NULL)) {
        test_png_clear(out);
        return FALSE;
    }
    return TRUE;
}

void test_png_clear(TestPng *png)
{
    g_clear_pointer(&png->pixels, g_free);
}

guint32 test_png_rgba(const TestPng *png, guint32 x, guint32 y)
{
    const guint8 *p = png->pixels + ((gsize)y * png->width + x) * 4;

    g_assert(x < png->width && y < png->height);
    return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) |
           ((guint32)p[2] << 8) | p[3];
}
