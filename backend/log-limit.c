/* SPDX-License-Identifier: MIT */
#include "log-limit.h"

gboolean pvgpu_log_limit_allow(PvgpuLogLimit *limit, gint64 now_us)
{
    if (limit->window_start == 0 ||
        now_us - limit->window_start >= PVGPU_LOG_LIMIT_WINDOW_US) {
        if (limit->suppressed > 0) {
            g_warning("%u similar warnings were suppressed in the last %d s",
                      limit->suppressed,
                      (int)(PVGPU_LOG_LIMIT_WINDOW_US / G_USEC_PER_SEC));
        }
        limit->window_start = now_us;
        limit->in_window = 0;
        limit->suppressed = 0;
    }
    if (limit->in_window < PVGPU_LOG_LIMIT_BURST) {
        limit->in_window++;
        return TRUE;
    }
    limit->suppressed++;
    return FALSE;
}
