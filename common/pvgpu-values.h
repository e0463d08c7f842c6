/* SPDX-License-Identifier: MIT */
/*
 * The values of the <pvgpu:gpu> attributes, which are also the values of
 * pvgpuctl's options: parsed and range-checked in this one place. name is
 * what the message calls the value ("shmem", "--shmem"); failures are
 * PVGPU_COMMON_ERROR_INVALID, e.g. "shmem '3M' must be a power of two
 * between 4M and 64G".
 */
#ifndef PVGPU_VALUES_H
#define PVGPU_VALUES_H

#include <glib.h>

/* A size (pvgpu-size.h) that pvgpu_shmem_size_valid() accepts. */
gboolean pvgpu_parse_shmem_size(const char *name, const char *text,
                                guint64 *out, GError **error);

/* A size from PVGPU_MIN_MEMORY_BUDGET to PVGPU_MAX_MEMORY_BUDGET. */
gboolean pvgpu_parse_memory_budget(const char *name, const char *text,
                                   guint64 *out, GError **error);

/* "WxH", each 1..PVGPU_MAX_DIMENSION, decimal without sign, spaces or
 * leading zeros. */
gboolean pvgpu_parse_display(const char *name, const char *text,
                             guint *width, guint *height, GError **error);

/* "0xN" or "0xNN" (hex digits of either case), 0x01..0x1f. */
gboolean pvgpu_parse_slot(const char *name, const char *text, guint *slot,
                          GError **error);

#endif
