/* SPDX-License-Identifier: MIT */
/* Writing an image as an 8-bit RGBA PNG file. */
#ifndef PVGPU_BACKEND_PNG_WRITER_H
#define PVGPU_BACKEND_PNG_WRITER_H

#include <glib.h>

#include "image.h"

/*
 * Writes img to a temporary file beside path, then renames it over path,
 * so that readers never see a half-written file. path must be absolute.
 */
/* Writes img as PNG into fd (a regular file open for writing, truncated
 * first), which a client handed over: the file is created with the
 * client's rights, not the backend's. fd stays open. */
gboolean pvgpu_png_write_fd(const PvgpuImage *img, int fd, GError **error);

gboolean pvgpu_png_write(const PvgpuImage *img, const char *path,
                         GError **error);

#endif
