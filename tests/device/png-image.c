/* SPDX-License-Identifier: MIT */
#include "png-image.h"

#include <gio/gio.h>
#include <png.h>
#include <string.h>

guint8 *png_image_read_rgba(const char *path, guint32 *width,
                            guint32 *height, GError **error)
{
    png_image image;
    g_autofree guint8 *pixels = NULL;

    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "cannot read %s: %s", path, image.message);
        return NULL;
    }
    image.format = PNG_FORMAT_RGBA;
    pixels = g_malloc(PNG_IMAGE_SIZE(image));
    if (!png_image_finish_read(&image, NULL, pixels, 0, NULL)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "cannot decode %s: %s", path, image.message);
        png_image_free(&image);
        return NULL;
    }
    *width = image.width;
    *height = image.height;
    return g_steal_pointer(&pixels);
}
