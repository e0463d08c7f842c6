/* SPDX-License-Identifier: MIT */
/*
 * Shows the presented frame in QEMU's UI (PVGPU_FEATURE_DISPLAY): after a
 * present, DISPLAY_SCANOUT with the frame's memfd when the frame's memory,
 * size or format changed, then DISPLAY_UPDATE with what changed. Updates
 * are droppable: one the queue has no room for is made good by a
 * whole-frame update at the next present.
 */
#ifndef PVGPU_BACKEND_DISPLAY_SENDER_H
#define PVGPU_BACKEND_DISPLAY_SENDER_H

#include <glib.h>

#include "cursor.h"
#include "ipc-writer.h"
#include "renderer.h"

typedef struct {
    guint64 generation;    /* of the frame the device was last told about */
    gboolean damage_lost;  /* an update was dropped since */
    guint64 scanouts_sent;
    guint64 updates_sent;
    guint64 updates_dropped;
    guint64 cursor_serial;  /* shape_serial of the image the device has */
    gboolean cursor_lost;   /* a cursor message found the queue full */
    guint64 cursors_sent;
    guint64 cursors_dropped;
} PvgpuDisplaySender;

/* shown: see PvgpuPresentedFunc. A new renderer starts at generation 0,
 * as a zeroed sender does. */
void pvgpu_display_sender_presented(PvgpuDisplaySender *s, PvgpuIpcWriter *w,
                                    const PvgpuRenderer *r, gboolean shown);

/*
 * The pointer changed (PVGPU_FEATURE_DISPLAY_CURSOR): DISPLAY_CURSOR with
 * the position, and with a sealed memfd of the image when the shape is
 * new. With the queue full the message is dropped and cursor_lost set;
 * the next call (or retry at a present) sends the whole state.
 */
void pvgpu_display_sender_cursor(PvgpuDisplaySender *s, PvgpuIpcWriter *w,
                                 const PvgpuCursor *cur);

#endif
