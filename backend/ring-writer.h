/* SPDX-License-Identifier: MIT */
/*
 * The guest's side of the ring, for tests, the fuzz corpus and the
 * benchmark: writes commands at the producer index, pads the ring end
 * with a NOP, publishes the producer. Not part of pvgpu-backend itself.
 */
#ifndef PVGPU_BACKEND_RING_WRITER_H
#define PVGPU_BACKEND_RING_WRITER_H

#include <glib.h>

#include "pvgpu_codec.h"

typedef struct {
    guint8 *shmem;
    struct pvgpu_control *ctrl;
    guint8 *ring;
    struct pvgpu_layout layout;
    guint64 producer; /* private until published */
    guint32 next_id;
} PvgpuRingWriter;

/* Starts at the producer index found in the control region. */
void pvgpu_ring_writer_init(PvgpuRingWriter *w, guint8 *shmem,
                            const struct pvgpu_layout *layout);

/*
 * Appends the command whose first struct_size bytes are at cmd: sets its
 * size to the ring size of the struct (unless hdr->size is non-zero), its
 * id to the next one (unless hdr->id is non-zero), zeroes its padding, and
 * writes a NOP before it when it would cross the ring end. Returns the ring
 * index it was written at, or G_MAXUINT64 when the ring is too full.
 * A size or producer index that breaks the ring rules aborts (a test bug).
 */
guint64 pvgpu_ring_writer_push(PvgpuRingWriter *w, struct pvgpu_cmd_hdr *cmd,
                               guint32 struct_size);

/* Copies len raw bytes at the producer; no padding, no checks of the
 * content. They must not cross the ring end. */
void pvgpu_ring_writer_push_raw(PvgpuRingWriter *w, const void *bytes,
                                gsize len);

/* Release-stores the producer index so the backend can see the commands. */
void pvgpu_ring_writer_publish(PvgpuRingWriter *w);

#endif
