/* SPDX-License-Identifier: MIT */
/*
 * A device without QEMU for the backend's unit tests: shared memory on the
 * heap with an initialised control region, a ring writer playing the
 * guest, and an engine consuming it, recording the vectors it raises.
 */
#ifndef PVGPU_TESTS_FAKE_DEVICE_H
#define PVGPU_TESTS_FAKE_DEVICE_H

#include <glib.h>

#include "engine.h"
#include "ring-writer.h"

typedef struct {
    guint8 *mem;
    struct pvgpu_layout layout;
    struct pvgpu_control *ctrl;
    guint8 *heap;
    PvgpuRingWriter writer;
    PvgpuCounters counters;
    guint raised[PVGPU_NUM_VECTORS];
    guint64 consumer_at_raise[PVGPU_NUM_VECTORS]; /* as the guest saw it */
    PvgpuEngine *engine;
} FakeDevice;

#define FAKE_SHMEM_SIZE (4ull << 20)
#define FAKE_BUDGET (64ull << 20)

/* A 4 MiB device with an engine attached (budget in bytes). */
FakeDevice *fake_device_new(guint64 budget);
/* Same, without the engine, so a test can prepare the control region. */
FakeDevice *fake_device_new_detached(void);
void fake_device_attach(FakeDevice *d, guint64 budget);
void fake_device_free(FakeDevice *d);

/* Publishes the producer and runs batches until the engine is idle;
 * returns the number of batches. */
guint fake_device_run(FakeDevice *d);

PvgpuRenderer *fake_device_renderer(FakeDevice *d);

/* Command helpers; each returns the id the command was given. */
guint32 fake_nop(FakeDevice *d);
guint32 fake_create(FakeDevice *d, guint32 id, guint32 format, guint32 w,
                    guint32 h);
guint32 fake_destroy(FakeDevice *d, guint32 id);
guint32 fake_upload(FakeDevice *d, guint32 id, guint32 stride,
                    guint64 heap_offset, guint32 x, guint32 y, guint32 w,
                    guint32 h);
guint32 fake_fill(FakeDevice *d, guint32 id, guint32 color, guint32 x,
                  guint32 y, guint32 w, guint32 h);
guint32 fake_copy(FakeDevice *d, guint32 src, guint32 dst,
                  struct pvgpu_rect src_rect, guint32 dst_x, guint32 dst_y);
guint32 fake_set_scanout(FakeDevice *d, guint32 id, guint32 x, guint32 y,
                         guint32 w, guint32 h);
guint32 fake_present(FakeDevice *d, guint32 flags, guint32 x, guint32 y,
                     guint32 w, guint32 h);
guint32 fake_set_cursor(FakeDevice *d, guint32 id, guint32 hot_x,
                        guint32 hot_y, gint32 x, gint32 y, guint32 flags);
guint32 fake_fence(FakeDevice *d, guint64 fence_id, guint32 flags);

/* Pixel (x, y) of a resource as a 32-bit value; fails the test if the
 * resource does not exist. */
guint32 fake_pixel(FakeDevice *d, guint32 id, guint32 x, guint32 y);

#endif
