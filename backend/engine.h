/* SPDX-License-Identifier: MIT */
/*
 * The ring consumer: reads commands from the shared ring, validates them
 * with the codec on a private copy, executes them on the renderer, and
 * reports errors and completions through the control region.
 */
#ifndef PVGPU_BACKEND_ENGINE_H
#define PVGPU_BACKEND_ENGINE_H

#include <glib.h>

#include "counters.h"
#include "pvgpu_codec.h"
#include "renderer.h"

typedef struct _PvgpuEngine PvgpuEngine;

/* Raises interrupt vector (< PVGPU_NUM_VECTORS) towards the device. */
typedef void (*PvgpuRaiseVectorFunc)(guint vector, gpointer user_data);

typedef struct {
    guint64 memory_budget;   /* bytes of resource pixels */
    guint32 display_width;   /* preferred mode written to the guest */
    guint32 display_height;
} PvgpuEngineConfig;

typedef enum {
    PVGPU_ENGINE_IDLE, /* the ring is empty up to the producer it read */
    PVGPU_ENGINE_MORE, /* stopped at the command limit; call again */
} PvgpuEngineStatus;

/* Commands one call runs before it yields to the main loop. */
#define PVGPU_ENGINE_BATCH_LIMIT 4096u

/*
 * shmem points at the whole shared memory, described by layout. Checks the
 * control region's layout block, takes consumer and fence_completed from it
 * (falling back to producer when they are inconsistent) and writes the
 * display size. counters must outlive the engine.
 */
PvgpuEngine *pvgpu_engine_new(guint8 *shmem, const struct pvgpu_layout *layout,
                              const PvgpuEngineConfig *config,
                              PvgpuCounters *counters,
                              PvgpuRaiseVectorFunc raise, gpointer raise_data,
                              GError **error);
void pvgpu_engine_free(PvgpuEngine *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PvgpuEngine, pvgpu_engine_free)

/* Runs at most max_commands commands of one batch (one producer read). */
PvgpuEngineStatus pvgpu_engine_process(PvgpuEngine *e, guint max_commands);

PvgpuRenderer *pvgpu_engine_get_renderer(PvgpuEngine *e);
guint64 pvgpu_engine_get_consumer(const PvgpuEngine *e);
guint64 pvgpu_engine_get_fence_completed(const PvgpuEngine *e);

#endif
