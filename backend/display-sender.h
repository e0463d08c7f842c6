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

#include "ipc-writer.h"
#include "renderer.h"

typedef struct {
    guint64 generation;    /* of the frame the device was last told about */
    gboolean damage_lost;  /* an update was dropped since */
    guint64 scanouts_sent;
    guint64 updates_sent;
    guint64 updates_dropped;
} PvgpuDisplaySender;

/* shown: see PvgpuPresentedFunc. A new renderer starts at generation 0,
 * as a zeroed sender does. */
void pvgpu_display_sender_presented(PvgpuDisplaySender *s, PvgpuIpcWriter *w,
                                    const PvgpuRenderer *r, gboolean shown);

#endif
