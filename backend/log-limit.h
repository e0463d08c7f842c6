/* SPDX-License-Identifier: MIT */
/* Rate limit for warnings a guest can trigger at will. */
#ifndef PVGPU_BACKEND_LOG_LIMIT_H
#define PVGPU_BACKEND_LOG_LIMIT_H

#include <glib.h>

typedef struct {
    gint64 window_start; /* monotonic microseconds */
    guint in_window;
    guint suppressed;
} PvgpuLogLimit;

/* Up to this many warnings per window, then one summary line. */
#define PVGPU_LOG_LIMIT_BURST 5
#define PVGPU_LOG_LIMIT_WINDOW_US (10 * G_USEC_PER_SEC)

/* TRUE when the caller may log now. */
gboolean pvgpu_log_limit_allow(PvgpuLogLimit *limit, gint64 now_us);

#endif
