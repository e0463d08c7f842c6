/* SPDX-License-Identifier: MIT */
/*
 * The guest driver's side of the command ring, through qtest: commands are
 * written into BAR2 at the producer index (a NOP fills the ring end when a
 * command would cross it), then the producer is stored and the doorbell
 * rung. Reads of the control region go through qtest too, as a guest's
 * would.
 */
#ifndef PVGPU_GUEST_RING_H
#define PVGPU_GUEST_RING_H

#include <glib.h>

#include "pvgpu_codec.h"
#include "qtest-client.h"

typedef struct {
    QTestClient *qt;
    guint64 regs;   /* BAR0 */
    guint64 shmem;  /* BAR2 */
    struct pvgpu_layout layout;
    guint64 producer; /* written, not yet published while > published */
    guint32 next_id;
} GuestRing;

/* Starts at the producer index the control region holds. */
void guest_ring_init(GuestRing *r, QTestClient *qt, guint64 regs,
                     guint64 shmem, guint64 shmem_size);

/*
 * Appends a command of struct_size bytes whose header starts cmd: fills in
 * type, size (the struct rounded up to 16), flags 0 and the next id, and
 * zero padding. Returns the id.
 */
guint32 guest_ring_push(GuestRing *r, guint32 type, void *cmd,
                        guint32 struct_size);

/* Appends bytes as they are (len a multiple of 16, not crossing the end). */
void guest_ring_push_raw(GuestRing *r, const void *bytes, gsize len);

/* Stores the producer index and rings the doorbell. */
void guest_ring_submit(GuestRing *r);

/* Sets the producer index the next submit publishes (hostile tests). */
void guest_ring_set_producer(GuestRing *r, guint64 producer);

guint32 guest_ctrl_read32(GuestRing *r, gsize offset);
guint64 guest_ctrl_read64(GuestRing *r, gsize offset);
void guest_ctrl_write32(GuestRing *r, gsize offset, guint32 val);

#define GUEST_CTRL32(r, field) \
    guest_ctrl_read32((r), offsetof(struct pvgpu_control, field))
#define GUEST_CTRL64(r, field) \
    guest_ctrl_read64((r), offsetof(struct pvgpu_control, field))

/* Waits until fence_completed >= fence_id; FALSE at the deadline. */
gboolean guest_ring_wait_fence(GuestRing *r, guint64 fence_id,
                               gint64 deadline);

#endif /* PVGPU_GUEST_RING_H */
