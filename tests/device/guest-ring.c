/* SPDX-License-Identifier: MIT */
#include "guest-ring.h"

#include <string.h>

#include "test-log.h"

guint32 guest_ctrl_read32(GuestRing *r, gsize offset)
{
    return qt_readl(r->qt, r->shmem + offset);
}

guint64 guest_ctrl_read64(GuestRing *r, gsize offset)
{
    return qt_readq(r->qt, r->shmem + offset);
}

void guest_ctrl_write32(GuestRing *r, gsize offset, guint32 val)
{
    test_log("control[0x%03zx] <- 0x%x", offset, val);
    qt_writel(r->qt, r->shmem + offset, val);
}

void guest_ring_init(GuestRing *r, QTestClient *qt, guint64 regs,
                     guint64 shmem, guint64 shmem_size)
{
    memset(r, 0, sizeof(*r));
    r->qt = qt;
    r->regs = regs;
    r->shmem = shmem;
    r->next_id = 1;
    g_assert_cmpint(pvgpu_layout_compute(shmem_size, &r->layout), ==,
                    PVGPU_CODEC_OK);
    r->producer = GUEST_CTRL64(r, producer);
}

/* The ring must have room: the backend has not fallen a ring behind. */
static void assert_space(GuestRing *r, gsize len)
{
    guint64 consumer = GUEST_CTRL64(r, consumer);

    g_assert_cmpuint(r->producer - consumer + len, <=, r->layout.ring_size);
}

static void write_at_producer(GuestRing *r, const void *bytes, gsize len)
{
    guint64 pos = r->producer % r->layout.ring_size;

    g_assert_cmpuint(pos + len, <=, r->layout.ring_size);
    qt_memwrite(r->qt, r->shmem + r->layout.ring_offset + pos, bytes, len);
    r->producer += len;
}

/* Writes a NOP first when a command of size bytes would cross the end. */
static void plan_and_pad(GuestRing *r, guint32 size)
{
    guint8 nop[PVGPU_CMD_MAX_SIZE];
    guint32 pad;

    g_assert_cmpint(pvgpu_ring_plan(&r->layout, r->producer,
                                    GUEST_CTRL64(r, consumer), size, &pad),
                    ==, PVGPU_ERROR_NONE);
    if (pad > 0) {
        pvgpu_cmd_nop_init(nop, pad, r->next_id++);
        write_at_producer(r, nop, pad);
    }
}

guint32 guest_ring_push(GuestRing *r, guint32 type, void *cmd,
                        guint32 struct_size)
{
    guint8 buf[PVGPU_CMD_MAX_SIZE] = { 0 };
    guint32 size = pvgpu_cmd_ring_size(struct_size);
    guint32 id = r->next_id++;

    g_assert_cmpuint(size, <=, PVGPU_CMD_MAX_SIZE);
    memcpy(buf, cmd, struct_size);
    pvgpu_le32_store(buf, type);
    pvgpu_le32_store(buf + 4, size);
    pvgpu_le32_store(buf + 8, 0);
    pvgpu_le32_store(buf + 12, id);
    plan_and_pad(r, size);
    test_log("ring[%" G_GUINT64_FORMAT "] <- command 0x%04x id %u, %u bytes",
             r->producer, type, id, size);
    write_at_producer(r, buf, size);
    return id;
}

void guest_ring_push_raw(GuestRing *r, const void *bytes, gsize len)
{
    g_assert_cmpuint(len % PVGPU_CMD_ALIGN, ==, 0);
    assert_space(r, len);
    test_log("ring[%" G_GUINT64_FORMAT "] <- %zu raw bytes", r->producer,
             len);
    write_at_producer(r, bytes, len);
}

void guest_ring_set_producer(GuestRing *r, guint64 producer)
{
    r->producer = producer;
}

void guest_ring_submit(GuestRing *r)
{
    test_log("producer <- %" G_GUINT64_FORMAT ", doorbell", r->producer);
    qt_writeq(r->qt, r->shmem + offsetof(struct pvgpu_control, producer),
              r->producer);
    qt_writel(r->qt, r->regs + PVGPU_REG_DOORBELL, 1);
}

gboolean guest_ring_wait_fence(GuestRing *r, guint64 fence_id,
                               gint64 deadline)
{
    guint64 done = GUEST_CTRL64(r, fence_completed);

    while (done < fence_id) {
        if (g_get_monotonic_time() >= deadline) {
            test_log("fence_completed %" G_GUINT64_FORMAT ", waited for %"
                     G_GUINT64_FORMAT, done, fence_id);
            return FALSE;
        }
        g_usleep(1000);
        done = GUEST_CTRL64(r, fence_completed);
    }
    test_log("fence %" G_GUINT64_FORMAT " completed", fence_id);
    return TRUE;
}
