/* SPDX-License-Identifier: MIT */
#include "display-sender.h"

#include <string.h>

#include "frame-memory.h"

static gboolean send_scanout(PvgpuDisplaySender *s, PvgpuIpcWriter *w,
                             const PvgpuFrame *f)
{
    struct pvgpu_display_scanout so = { 0 };
    guint8 msg[sizeof(struct pvgpu_ipc_hdr) + sizeof(so)];
    gsize len = 0;

    if (f->fd >= 0) {
        so.format = f->image.format;
        so.width = f->image.width;
        so.height = f->image.height;
        so.stride = (guint32)f->image.stride;
    }
    pvgpu_ipc_encode_display_scanout(msg, sizeof(msg), &so, &len);
    if (f->fd < 0) {
        pvgpu_ipc_writer_send(w, msg, len, FALSE);
    } else if (!pvgpu_ipc_writer_send_fd(w, msg, len, f->fd)) {
        g_warning("cannot pass the frame to the device: out of descriptors");
        return FALSE;
    }
    s->scanouts_sent++;
    return TRUE;
}

static void send_update(PvgpuDisplaySender *s, PvgpuIpcWriter *w,
                        const struct pvgpu_rect *rect)
{
    struct pvgpu_display_update up = { .rect = *rect };
    guint8 msg[sizeof(struct pvgpu_ipc_hdr) + sizeof(up)];
    gsize len = 0;

    pvgpu_ipc_encode_display_update(msg, sizeof(msg), &up, &len);
    if (pvgpu_ipc_writer_send(w, msg, len, TRUE)) {
        s->updates_sent++;
        s->damage_lost = FALSE;
    } else {
        s->updates_dropped++;
        s->damage_lost = TRUE;
    }
}

void pvgpu_display_sender_presented(PvgpuDisplaySender *s, PvgpuIpcWriter *w,
                                    const PvgpuRenderer *r, gboolean shown)
{
    PvgpuFrame f;
    guint64 generation = pvgpu_renderer_get_frame(r, &f);
    struct pvgpu_rect whole = { 0, 0, f.image.width, f.image.height };
    gboolean whole_frame = s->damage_lost;

    if (generation != s->generation) {
        if (!send_scanout(s, w, &f)) {
            return; /* tried again at the next present */
        }
        s->generation = generation;
        whole_frame = TRUE;
    }
    if (f.fd < 0 || (!shown && !whole_frame)) {
        return;
    }
    send_update(s, w, whole_frame ? &whole : &f.damage);
}

/* The image in a sealed memfd of its own, sent with msg. */
static gboolean send_cursor_shape(PvgpuIpcWriter *w, const guint8 *msg,
                                  gsize len, const PvgpuCursor *cur)
{
    PvgpuFrameMemory mem = PVGPU_FRAME_MEMORY_INIT;
    gsize bytes = (gsize)cur->width * cur->height *
                  PVGPU_FORMAT_BYTES_PER_PIXEL;
    gboolean sent;

    if (!pvgpu_frame_memory_alloc(&mem, bytes)) {
        g_warning("cannot make memory for the pointer's image");
        return FALSE;
    }
    memcpy(mem.pixels, cur->pixels, bytes);
    sent = pvgpu_ipc_writer_send_fd(w, msg, len, mem.fd);
    pvgpu_frame_memory_free(&mem);
    if (!sent) {
        g_warning("cannot pass the pointer's image to the device: out of "
                  "descriptors");
    }
    return sent;
}

void pvgpu_display_sender_cursor(PvgpuDisplaySender *s, PvgpuIpcWriter *w,
                                 const PvgpuCursor *cur)
{
    gboolean shape = cur->width != 0 &&
                     (cur->shape_serial != s->cursor_serial ||
                      s->cursor_lost);
    struct pvgpu_display_cursor dc = {
        .flags = cur->visible ? PVGPU_DISPLAY_CURSOR_VISIBLE : 0,
        .x = cur->x,
        .y = cur->y,
    };
    guint8 msg[sizeof(struct pvgpu_ipc_hdr) + sizeof(dc)];
    gsize len = 0;

    /* what a device that does not read can pile up stays bounded */
    if (pvgpu_ipc_writer_queued(w) >= w->limit) {
        s->cursor_lost = TRUE;
        s->cursors_dropped++;
        return;
    }
    if (shape) {
        dc.flags |= PVGPU_DISPLAY_CURSOR_SHAPE;
        dc.hot_x = cur->hot_x;
        dc.hot_y = cur->hot_y;
        dc.width = cur->width;
        dc.height = cur->height;
    }
    pvgpu_ipc_encode_display_cursor(msg, sizeof(msg), &dc, &len);
    if (shape ? !send_cursor_shape(w, msg, len, cur)
              : !pvgpu_ipc_writer_send(w, msg, len, FALSE)) {
        s->cursor_lost = TRUE;
        s->cursors_dropped++;
        return;
    }
    s->cursor_serial = cur->shape_serial;
    s->cursor_lost = FALSE;
    s->cursors_sent++;
}
