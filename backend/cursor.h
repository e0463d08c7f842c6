/* SPDX-License-Identifier: MIT */
/*
 * The pointer (PVGPU_CMD_SET_CURSOR): its image, copied out of a resource
 * when the guest says the shape changed, its hotspot, position and
 * visibility. The copy lets the guest reuse or destroy the resource.
 */
#ifndef PVGPU_BACKEND_CURSOR_H
#define PVGPU_BACKEND_CURSOR_H

#include <glib.h>

#include "renderer.h"

typedef struct {
    gboolean visible;
    gint32 x;               /* the hotspot's position on the scanout */
    gint32 y;
    guint32 hot_x;
    guint32 hot_y;
    guint32 width;          /* 0 before the first shape */
    guint32 height;
    guint64 shape_serial;   /* incremented by every new image */
    guint32 pixels[PVGPU_CURSOR_MAX_SIZE * PVGPU_CURSOR_MAX_SIZE];
} PvgpuCursor;

/*
 * Runs SET_CURSOR against the renderer's resources. A refused command
 * (unknown resource, not B8G8R8A8, larger than PVGPU_CURSOR_MAX_SIZE,
 * hotspot outside it) leaves the cursor as it was.
 */
guint32 pvgpu_cursor_set(PvgpuCursor *cur, const PvgpuRenderer *r,
                         const struct pvgpu_cmd_set_cursor *c,
                         struct pvgpu_cmd_error *err);

#endif
