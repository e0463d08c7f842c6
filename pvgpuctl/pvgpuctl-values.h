#pragma once

#include <glib.h>

/* Option values of the command line. Each refuses bad input with one
 * sentence that does not repeat the value (the caller names it). */
gboolean pvgpuctl_parse_shmem_size(const char *text, guint64 *out,
                                   GError **error);
gboolean pvgpuctl_parse_memory_budget(const char *text, guint64 *out,
                                      GError **error);
gboolean pvgpuctl_parse_display(const char *text, guint *width, guint *height,
                                GError **error);
gboolean pvgpuctl_parse_slot(const char *text, guint *slot, GError **error);
