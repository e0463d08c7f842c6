/* SPDX-License-Identifier: MIT */
#include "ring-writer.h"

#include "control-region.h"

void pvgpu_ring_writer_init(PvgpuRingWriter *w, guint8 *shmem,
                            const struct pvgpu_layout *layout)
{
    w->shmem = shmem;
    w->ctrl = (struct pvgpu_control *)(void *)shmem;
    w->ring = shmem + layout->ring_offset;
    w->layout = *layout;
    w->producer = pvgpu_shared_load64(&w->ctrl->producer);
    w->next_id = 1;
}

void pvgpu_ring_writer_push_raw(PvgpuRingWriter *w, const void *bytes,
                                gsize len)
{
    guint64 pos = w->producer % w->layout.ring_size;

    g_assert(pos + len <= w->layout.ring_size);
    memcpy(w->ring + pos, bytes, len);
    w->producer += len;
}

guint64 pvgpu_ring_writer_push(PvgpuRingWriter *w, struct pvgpu_cmd_hdr *cmd,
                               guint32 struct_size)
{
    guint32 size = cmd->size ? cmd->size : pvgpu_cmd_ring_size(struct_size);
    guint64 consumer = pvgpu_shared_load_acquire64(&w->ctrl->consumer);
    guint32 pad;
    int plan;
    guint64 at;

    g_assert(struct_size <= size);
    plan = pvgpu_ring_plan(&w->layout, w->producer, consumer, size, &pad);
    if (plan == PVGPU_RING_PLAN_NO_SPACE) {
        return G_MAXUINT64;
    }
    g_assert(plan == PVGPU_ERROR_NONE);
    if (pad > 0) {
        pvgpu_cmd_nop_init(w->ring + w->producer % w->layout.ring_size, pad,
                           w->next_id++);
        w->producer += pad;
    }
    cmd->size = size;
    if (cmd->id == 0) {
        cmd->id = w->next_id++;
    }
    at = w->producer;
    memset(w->ring + at % w->layout.ring_size + struct_size, 0,
           size - struct_size);
    memcpy(w->ring + at % w->layout.ring_size, cmd, struct_size);
    w->producer += size;
    return at;
}

void pvgpu_ring_writer_publish(PvgpuRingWriter *w)
{
    pvgpu_shared_store_release64(&w->ctrl->producer, w->producer);
}
