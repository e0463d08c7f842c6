/* SPDX-License-Identifier: MIT */
#include "cursor.h"

#include <string.h>

guint32 pvgpu_cursor_set(PvgpuCursor *cur, const PvgpuRenderer *r,
                         const struct pvgpu_cmd_set_cursor *c,
                         struct pvgpu_cmd_error *err)
{
    const PvgpuImage *img;

    if (c->resource_id == 0) {
        cur->visible = FALSE;
        cur->x = c->x;
        cur->y = c->y;
        return PVGPU_ERROR_NONE;
    }
    img = pvgpu_renderer_get_resource(r, c->resource_id);
    if (img == NULL) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RESOURCE_UNKNOWN,
                              c->resource_id);
    }
    if (img->format != PVGPU_FORMAT_B8G8R8A8_UNORM) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_BAD_FORMAT, img->format);
    }
    if (img->width > PVGPU_CURSOR_MAX_SIZE ||
        img->height > PVGPU_CURSOR_MAX_SIZE) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_BAD_DIMENSIONS,
                              ((guint64)img->width << 32) | img->height);
    }
    if (c->hot_x >= img->width || c->hot_y >= img->height) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RECT_BOUNDS,
                              ((guint64)c->hot_x << 32) | c->hot_y);
    }
    if ((c->flags & PVGPU_CURSOR_FLAG_SHAPE) || cur->width == 0) {
        for (guint32 y = 0; y < img->height; y++) {
            memcpy(cur->pixels + y * img->width, img->pixels + y * img->stride,
                   img->width * PVGPU_FORMAT_BYTES_PER_PIXEL);
        }
        cur->width = img->width;
        cur->height = img->height;
        cur->hot_x = c->hot_x;
        cur->hot_y = c->hot_y;
        cur->shape_serial++;
    }
    cur->visible = TRUE;
    cur->x = c->x;
    cur->y = c->y;
    return PVGPU_ERROR_NONE;
}
