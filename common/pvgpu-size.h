/* SPDX-License-Identifier: MIT */
/*
 * Sizes as written in pvgpu metadata and on the QEMU command line: decimal
 * digits without sign, spaces or leading zeros, optionally followed by one
 * binary suffix K, M, G or T (1024-based).
 */
#ifndef PVGPU_SIZE_H
#define PVGPU_SIZE_H

#include <glib.h>

gboolean pvgpu_size_parse(const char *text, guint64 *out, GError **error);

/* Shortest exact form: 268435456 -> "256M", 1000 -> "1000". */
char *pvgpu_size_format(guint64 bytes);

#endif
