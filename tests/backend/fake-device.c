/* SPDX-License-Identifier: MIT */
#include "fake-device.h"

#include <stdlib.h>

#include "control-region.h"

static void record_vector(guint vector, gpointer data)
{
    FakeDevice *d = data;

    g_assert(vector < PVGPU_NUM_VECTORS);
    d->raised[vector]++;
    d->consumer_at_raise[vector] = d->ctrl->consumer;
}

FakeDevice *fake_device_new_detached(void)
{
    FakeDevice *d = g_new0(FakeDevice, 1);
    void *mem = NULL;

    g_assert(posix_memalign(&mem, 4096, FAKE_SHMEM_SIZE) == 0);
    memset(mem, 0, FAKE_SHMEM_SIZE);
    d->mem = mem;
    g_assert(pvgpu_layout_compute(FAKE_SHMEM_SIZE, &d->layout) ==
             PVGPU_CODEC_OK);
    d->ctrl = (struct pvgpu_control *)mem;
    d->heap = d->mem + d->layout.heap_offset;
    pvgpu_control_init(d->ctrl, &d->layout);
    return d;
}

void fake_device_attach(FakeDevice *d, guint64 budget)
{
    PvgpuEngineConfig config = {
        .memory_budget = budget,
        .display_width = PVGPU_DEFAULT_DISPLAY_WIDTH,
        .display_height = PVGPU_DEFAULT_DISPLAY_HEIGHT,
    };
    GError *error = NULL;

    d->engine = pvgpu_engine_new(d->mem, &d->layout, &config, &d->counters,
                                 record_vector, d, &error);
    g_assert_no_error(error);
    pvgpu_ring_writer_init(&d->writer, d->mem, &d->layout);
}

FakeDevice *fake_device_new(guint64 budget)
{
    FakeDevice *d = fake_device_new_detached();

    fake_device_attach(d, budget);
    return d;
}

void fake_device_free(FakeDevice *d)
{
    pvgpu_engine_free(d->engine);
    free(d->mem);
    g_free(d);
}

guint fake_device_run(FakeDevice *d)
{
    guint batches = 1;

    pvgpu_ring_writer_publish(&d->writer);
    while (pvgpu_engine_process(d->engine, PVGPU_ENGINE_BATCH_LIMIT) ==
           PVGPU_ENGINE_MORE) {
        batches++;
    }
    return batches;
}

PvgpuRenderer *fake_device_renderer(FakeDevice *d)
{
    return pvgpu_engine_get_renderer(d->engine);
}

static guint32 push(FakeDevice *d, struct pvgpu_cmd_hdr *hdr, guint32 size)
{
    g_assert(pvgpu_ring_writer_push(&d->writer, hdr, size) != G_MAXUINT64);
    return hdr->id;
}

guint32 fake_nop(FakeDevice *d)
{
    struct pvgpu_cmd_nop c = { .hdr.type = PVGPU_CMD_NOP };

    return push(d, &c.hdr, sizeof(c));
}

guint32 fake_create(FakeDevice *d, guint32 id, guint32 format, guint32 w,
                    guint32 h)
{
    struct pvgpu_cmd_resource_create_2d c = {
        .hdr.type = PVGPU_CMD_RESOURCE_CREATE_2D,
        .resource_id = id, .format = format, .width = w, .height = h,
    };

    return push(d, &c.hdr, sizeof(c));
}

guint32 fake_destroy(FakeDevice *d, guint32 id)
{
    struct pvgpu_cmd_resource_destroy c = {
        .hdr.type = PVGPU_CMD_RESOURCE_DESTROY, .resource_id = id,
    };

    return push(d, &c.hdr, sizeof(c));
}

guint32 fake_upload(FakeDevice *d, guint32 id, guint32 stride,
                    guint64 heap_offset, guint32 x, guint32 y, guint32 w,
                    guint32 h)
{
    struct pvgpu_cmd_resource_upload c = {
        .hdr.type = PVGPU_CMD_RESOURCE_UPLOAD,
        .resource_id = id, .stride = stride, .heap_offset = heap_offset,
        .dst = { x, y, w, h },
    };

    return push(d, &c.hdr, sizeof(c));
}

guint32 fake_fill(FakeDevice *d, guint32 id, guint32 color, guint32 x,
                  guint32 y, guint32 w, guint32 h)
{
    struct pvgpu_cmd_fill_rect c = {
        .hdr.type = PVGPU_CMD_FILL_RECT,
        .resource_id = id, .color = color, .rect = { x, y, w, h },
    };

    return push(d, &c.hdr, sizeof(c));
}

guint32 fake_copy(FakeDevice *d, guint32 src, guint32 dst,
                  struct pvgpu_rect src_rect, guint32 dst_x, guint32 dst_y)
{
    struct pvgpu_cmd_copy_rect c = {
        .hdr.type = PVGPU_CMD_COPY_RECT,
        .src_resource_id = src, .dst_resource_id = dst, .src = src_rect,
        .dst_x = dst_x, .dst_y = dst_y,
    };

    return push(d, &c.hdr, sizeof(c));
}

guint32 fake_set_scanout(FakeDevice *d, guint32 id, guint32 x, guint32 y,
                         guint32 w, guint32 h)
{
    struct pvgpu_cmd_set_scanout c = {
        .hdr.type = PVGPU_CMD_SET_SCANOUT,
        .resource_id = id, .src = { x, y, w, h },
    };

    return push(d, &c.hdr, sizeof(c));
}

guint32 fake_present(FakeDevice *d, guint32 flags, guint32 x, guint32 y,
                     guint32 w, guint32 h)
{
    struct pvgpu_cmd_present c = {
        .hdr.type = PVGPU_CMD_PRESENT, .flags = flags, .damage = { x, y, w, h },
    };

    return push(d, &c.hdr, sizeof(c));
}

guint32 fake_set_cursor(FakeDevice *d, guint32 id, guint32 hot_x,
                        guint32 hot_y, gint32 x, gint32 y, guint32 flags)
{
    struct pvgpu_cmd_set_cursor c = {
        .hdr.type = PVGPU_CMD_SET_CURSOR, .resource_id = id, .hot_x = hot_x,
        .hot_y = hot_y, .x = x, .y = y, .flags = flags,
    };

    return push(d, &c.hdr, sizeof(c));
}

guint32 fake_fence(FakeDevice *d, guint64 fence_id, guint32 flags)
{
    struct pvgpu_cmd_fence c = {
        .hdr.type = PVGPU_CMD_FENCE, .fence_id = fence_id, .flags = flags,
    };

    return push(d, &c.hdr, sizeof(c));
}

guint32 fake_pixel(FakeDevice *d, guint32 id, guint32 x, guint32 y)
{
    const PvgpuImage *img =
        pvgpu_renderer_get_resource(fake_device_renderer(d), id);
    guint32 v;

    g_assert(img != NULL);
    g_assert(x < img->width && y < img->height);
    memcpy(&v, img->pixels + y * img->stride + x * 4, 4);
    return v;
}
