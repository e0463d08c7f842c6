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
#include "cursor.h"
#include "pvgpu_codec.h"
#include "renderer.h"

typedef struct _PvgpuEngine PvgpuEngine;

/* Raises interrupt vector (< PVGPU_NUM_VECTORS) towards the device. */
typedef void (*PvgpuRaiseVectorFunc)(guint vector, gpointer user_data);

typedef struct {
    guint64 memory_budget;   /* see pvgpu_renderer_new() */
    guint32 display_width;   /* preferred mode written to the guest */
    guint32 display_height;
    guint32 poll_us;         /* polling window after work; 0: none */
} PvgpuEngineConfig;

typedef enum {
    PVGPU_ENGINE_IDLE, /* the ring is empty up to the producer it read */
    PVGPU_ENGINE_MORE, /* stopped at the command limit, or polling's time
                        * slice ended inside the window; call again */
} PvgpuEngineStatus;

/* Commands one call runs before it yields to the main loop. */
#define PVGPU_ENGINE_BATCH_LIMIT 4096u

/*
 * What one call may cost besides the command limit: it ends (MORE) after
 * the command that takes it past SLICE_US microseconds or past SLICE_BYTES
 * bytes of pixels read and written, so that signals and sockets are
 * served in between however expensive the ring's commands are.
 */
#define PVGPU_ENGINE_SLICE_US 10000
#define PVGPU_ENGINE_SLICE_BYTES (64ull << 20)
/* A pixel command larger than this runs in pieces of about this size,
 * the slice checked after each: the largest resource cannot hold up the
 * main loop for a whole command either. */
#define PVGPU_ENGINE_BAND_BYTES (4ull << 20)

/*
 * shmem points at the whole shared memory, described by layout. Checks the
 * control region's layout block, takes consumer and fence_completed from it
 * (falling back to producer when they are inconsistent) and writes the
 * display size (display_serial++ when it differs from what the control
 * region held). counters must outlive the engine.
 */
PvgpuEngine *pvgpu_engine_new(guint8 *shmem, const struct pvgpu_layout *layout,
                              const PvgpuEngineConfig *config,
                              PvgpuCounters *counters,
                              PvgpuRaiseVectorFunc raise, gpointer raise_data,
                              GError **error);
void pvgpu_engine_free(PvgpuEngine *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PvgpuEngine, pvgpu_engine_free)

/*
 * Runs one batch (one producer read), at most max_commands commands in
 * all. With poll_us set, a batch that ran commands opens a window of
 * poll_us microseconds in which the engine keeps re-reading the producer
 * and runs whatever is published, without waiting for a call (a doorbell);
 * every batch that runs commands restarts the window. One call is one
 * slice: it spins for at most poll_us microseconds, runs commands for at
 * most PVGPU_ENGINE_SLICE_US / _BYTES (checked after every command and
 * every pass of polling), and returns MORE when there is more to do or the
 * window is still open, so that the caller's main loop can run in between.
 * A call after MORE from polling's wait goes on waiting: it runs a batch
 * only when the producer changed.
 */
PvgpuEngineStatus pvgpu_engine_process(PvgpuEngine *e, guint max_commands);

/*
 * Called after every PRESENT command; shown is TRUE when it changed the
 * presented frame (see pvgpu_renderer_get_frame()), FALSE when it failed
 * or the scanout is disabled (a failure may have dropped the frame).
 */
typedef void (*PvgpuPresentedFunc)(gboolean shown, gpointer user_data);
void pvgpu_engine_set_presented_func(PvgpuEngine *e, PvgpuPresentedFunc func,
                                     gpointer user_data);

/*
 * DISPLAY_HINT: offers width x height to the guest as its preferred mode
 * (display_width/height, display_serial++, vector DISPLAY). FALSE, with
 * the reason, when the mode's frame and resource would not fit the memory
 * budget; a mode equal to the current one is TRUE and changes nothing.
 */
gboolean pvgpu_engine_offer_mode(PvgpuEngine *e, guint32 width,
                                 guint32 height, GError **error);
void pvgpu_engine_get_mode(const PvgpuEngine *e, guint32 *width,
                           guint32 *height);

/* Called after every SET_CURSOR that succeeded. */
typedef void (*PvgpuCursorChangedFunc)(gpointer user_data);
void pvgpu_engine_set_cursor_func(PvgpuEngine *e, PvgpuCursorChangedFunc func,
                                  gpointer user_data);
const PvgpuCursor *pvgpu_engine_get_cursor(const PvgpuEngine *e);

PvgpuRenderer *pvgpu_engine_get_renderer(PvgpuEngine *e);
guint64 pvgpu_engine_get_consumer(const PvgpuEngine *e);
guint64 pvgpu_engine_get_fence_completed(const PvgpuEngine *e);
/* Batches found by re-reading the producer while polling. */
guint64 pvgpu_engine_get_polled_batches(const PvgpuEngine *e);

#endif
