/* SPDX-License-Identifier: MIT */
/* Reads a PNG file (the backend's screenshot) as 8-bit RGBA pixels. */
#ifndef PVGPU_PNG_IMAGE_H
#define PVGPU_PNG_IMAGE_H

#include <glib.h>

/* Returns width*height*4 bytes, rows top to bottom, or NULL with *error. */
guint8 *png_image_read_rgba(const char *path, guint32 *width,
                            guint32 *height, GError **error);

#endif /* PVGPU_PNG_IMAGE_H */
