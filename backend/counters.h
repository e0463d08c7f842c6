/* SPDX-License-Identifier: MIT */
/* Counters the backend keeps for its status report. */
#ifndef PVGPU_BACKEND_COUNTERS_H
#define PVGPU_BACKEND_COUNTERS_H

#include <glib.h>

/* One error reported to the guest through the control region. */
typedef struct {
    guint32 code;        /* enum pvgpu_error */
    guint32 cmd_type;
    guint32 cmd_id;
    guint64 ring_offset; /* free-running ring index of the command */
    guint64 detail;
} PvgpuErrorReport;

/* Totals since the process started; they survive reconnections. */
typedef struct {
    guint64 doorbells;
    guint64 commands;
    guint64 bytes_uploaded;
    guint64 fences_completed;
    guint64 presents;
    guint64 irqs_sent;
    guint64 irqs_dropped;
    guint64 errors;
    gboolean has_last_error;
    PvgpuErrorReport last_error;
} PvgpuCounters;

#endif
