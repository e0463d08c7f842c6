/* SPDX-License-Identifier: MIT */
#include "engine.h"

#include <gio/gio.h>
#include <string.h>

#include "control-region.h"
#include "cursor.h"
#include "log-limit.h"

struct _PvgpuEngine {
    struct pvgpu_control *ctrl;
    const guint8 *ring;
    const guint8 *heap;
    struct pvgpu_layout layout; /* our copy: the guest can rewrite its own */
    guint64 consumer;           /* private; published after each command */
    guint64 fence_completed;
    guint64 present_count;
    guint64 memory_budget;
    guint32 mode_width;         /* the preferred mode offered */
    guint32 mode_height;
    guint32 display_serial;
    PvgpuRenderer *renderer;
    PvgpuCounters *counters;
    PvgpuRaiseVectorFunc raise;
    gpointer raise_data;
    PvgpuPresentedFunc presented;
    gpointer presented_data;
    PvgpuCursorChangedFunc cursor_changed;
    gpointer cursor_data;
    PvgpuCursor cursor;
    guint vectors_pending;      /* raised once consumer covers the command */
    gboolean error_pending;     /* raise ERROR once at the end of a batch */
    PvgpuLogLimit log_limit;
    guint64 last_producer;      /* what the last batch read */
    gint64 poll_us;
    gint64 poll_until;          /* end of the polling window; 0: closed */
    guint64 polled_batches;
    gboolean resume_polling;    /* the last call ended in polling's wait */
    gint64 slice_end;           /* this call's deadline */
    guint64 slice_bytes_end;    /* ... and its bytes_touched limit */
    guint64 slice_touched_seen; /* bytes_touched at the last clock read */
    /* a pixel command the slice cut short, resumed by the next call */
    gboolean partial;
    guint64 partial_index;      /* its ring index: consumer stays there */
    guint32 partial_rows;       /* rows of it done */
    struct pvgpu_cmd_hdr partial_hdr;
    _Alignas(16) guint8 partial_cmd[PVGPU_CMD_MAX_SIZE]; /* as validated */
};

PvgpuEngine *pvgpu_engine_new(guint8 *shmem, const struct pvgpu_layout *layout,
                              const PvgpuEngineConfig *config,
                              PvgpuCounters *counters,
                              PvgpuRaiseVectorFunc raise, gpointer raise_data,
                              GError **error)
{
    struct pvgpu_control *ctrl = (struct pvgpu_control *)(void *)shmem;
    struct pvgpu_cmd_error err;
    guint64 producer, consumer;
    PvgpuEngine *e;

    if (!pvgpu_control_matches(ctrl, layout)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "the control region has no valid PVCR layout block for "
                    "%" G_GUINT64_FORMAT " bytes of shared memory",
                    layout->shmem_size);
        return NULL;
    }
    e = g_new0(PvgpuEngine, 1);
    e->ctrl = ctrl;
    e->layout = *layout;
    e->ring = shmem + layout->ring_offset;
    e->heap = shmem + layout->heap_offset;
    e->renderer = pvgpu_renderer_new(config->memory_budget);
    e->memory_budget = config->memory_budget;
    e->counters = counters;
    e->raise = raise;
    e->raise_data = raise_data;
    e->poll_us = config->poll_us;

    producer = pvgpu_shared_load_acquire64(&ctrl->producer);
    consumer = pvgpu_shared_load64(&ctrl->consumer);
    if (pvgpu_ring_check_indices(layout, consumer, producer, &err) !=
        PVGPU_ERROR_NONE) {
        g_info("ring indices consumer %" G_GUINT64_FORMAT " producer %"
               G_GUINT64_FORMAT " are inconsistent; starting at the producer",
               consumer, producer);
        consumer = producer;
    }
    e->consumer = consumer;
    e->last_producer = producer;
    e->fence_completed = pvgpu_shared_load64(&ctrl->fence_completed);
    e->present_count = pvgpu_shared_load64(&ctrl->present_count);

    pvgpu_shared_store_release64(&ctrl->consumer, e->consumer);
    e->display_serial = pvgpu_shared_load32(&ctrl->display_serial);
    if (pvgpu_shared_load32(&ctrl->display_width) != config->display_width ||
        pvgpu_shared_load32(&ctrl->display_height) !=
            config->display_height) {
        e->display_serial++;
    }
    e->mode_width = config->display_width;
    e->mode_height = config->display_height;
    pvgpu_shared_store32(&ctrl->display_width, e->mode_width);
    pvgpu_shared_store32(&ctrl->display_height, e->mode_height);
    pvgpu_shared_store_release32(&ctrl->display_serial, e->display_serial);
    /* a new backend starts without a scanout */
    pvgpu_shared_store32(&ctrl->scanout_resource, 0);
    pvgpu_shared_store32(&ctrl->scanout_width, 0);
    pvgpu_shared_store32(&ctrl->scanout_height, 0);
    pvgpu_shared_store32(&ctrl->scanout_format, 0);
    return e;
}

void pvgpu_engine_free(PvgpuEngine *e)
{
    if (e == NULL) {
        return;
    }
    pvgpu_renderer_free(e->renderer);
    g_free(e);
}

void pvgpu_engine_set_presented_func(PvgpuEngine *e, PvgpuPresentedFunc func,
                                     gpointer user_data)
{
    e->presented = func;
    e->presented_data = user_data;
}

void pvgpu_engine_set_cursor_func(PvgpuEngine *e, PvgpuCursorChangedFunc func,
                                  gpointer user_data)
{
    e->cursor_changed = func;
    e->cursor_data = user_data;
}

const PvgpuCursor *pvgpu_engine_get_cursor(const PvgpuEngine *e)
{
    return &e->cursor;
}

gboolean pvgpu_engine_offer_mode(PvgpuEngine *e, guint32 width,
                                 guint32 height, GError **error)
{
    /* the guest's resource plus the presented frame */
    guint64 need = 2ull * width * height * PVGPU_FORMAT_BYTES_PER_PIXEL;

    if (need > e->memory_budget) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "a %ux%u mode needs %" G_GUINT64_FORMAT " MiB, more "
                    "than the memory budget (%" G_GUINT64_FORMAT " MiB)",
                    width, height, (need + (1u << 20) - 1) >> 20,
                    e->memory_budget >> 20);
        return FALSE;
    }
    if (width == e->mode_width && height == e->mode_height) {
        return TRUE;
    }
    e->mode_width = width;
    e->mode_height = height;
    e->display_serial++;
    pvgpu_shared_store32(&e->ctrl->display_width, width);
    pvgpu_shared_store32(&e->ctrl->display_height, height);
    pvgpu_shared_store_release32(&e->ctrl->display_serial, e->display_serial);
    e->raise(PVGPU_VECTOR_DISPLAY, e->raise_data);
    return TRUE;
}

void pvgpu_engine_get_mode(const PvgpuEngine *e, guint32 *width,
                           guint32 *height)
{
    *width = e->mode_width;
    *height = e->mode_height;
}

PvgpuRenderer *pvgpu_engine_get_renderer(PvgpuEngine *e)
{
    return e->renderer;
}

guint64 pvgpu_engine_get_consumer(const PvgpuEngine *e)
{
    return e->consumer;
}

guint64 pvgpu_engine_get_fence_completed(const PvgpuEngine *e)
{
    return e->fence_completed;
}

guint64 pvgpu_engine_get_polled_batches(const PvgpuEngine *e)
{
    return e->polled_batches;
}

static void report(PvgpuEngine *e, const struct pvgpu_cmd_error *err,
                   guint32 cmd_type, guint32 cmd_id, guint64 index)
{
    struct pvgpu_control *c = e->ctrl;
    PvgpuErrorReport *last = &e->counters->last_error;

    pvgpu_shared_store32(&c->error_cmd_type, cmd_type);
    pvgpu_shared_store32(&c->error_cmd_id, cmd_id);
    pvgpu_shared_store64(&c->error_ring_offset, index);
    pvgpu_shared_store64(&c->error_detail, err->detail);
    pvgpu_shared_store32(&c->error_code, err->code);
    pvgpu_shared_store_release32(&c->error_count,
                                 pvgpu_shared_load32(&c->error_count) + 1);

    e->counters->errors++;
    e->counters->has_last_error = TRUE;
    last->code = err->code;
    last->cmd_type = cmd_type;
    last->cmd_id = cmd_id;
    last->ring_offset = index;
    last->detail = err->detail;
    e->error_pending = TRUE;

    g_debug("guest error %s (0x%04x): command type 0x%04x id %u at ring "
            "index %" G_GUINT64_FORMAT ", detail 0x%" G_GINT64_MODIFIER "x",
            pvgpu_error_name(err->code), err->code, cmd_type, cmd_id, index,
            err->detail);
    if (pvgpu_log_limit_allow(&e->log_limit, g_get_monotonic_time())) {
        g_warning("the guest's command 0x%04x (id %u) was refused: %s, "
                  "detail 0x%" G_GINT64_MODIFIER "x",
                  cmd_type, cmd_id, pvgpu_error_name(err->code), err->detail);
    }
}

static void publish_scanout(PvgpuEngine *e)
{
    PvgpuScanout s = { 0 };

    pvgpu_renderer_get_scanout(e->renderer, &s);
    pvgpu_shared_store32(&e->ctrl->scanout_resource, s.resource_id);
    pvgpu_shared_store32(&e->ctrl->scanout_width, s.rect.width);
    pvgpu_shared_store32(&e->ctrl->scanout_height, s.rect.height);
    pvgpu_shared_store32(&e->ctrl->scanout_format, s.format);
}

static guint32 run_fence(PvgpuEngine *e, const struct pvgpu_cmd_fence *c,
                         struct pvgpu_cmd_error *err)
{
    if (c->fence_id <= e->fence_completed) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_FENCE_ORDER, c->fence_id);
    }
    e->fence_completed = c->fence_id;
    pvgpu_shared_store_release64(&e->ctrl->fence_completed, c->fence_id);
    e->counters->fences_completed++;
    if (c->flags & PVGPU_FENCE_FLAG_IRQ) {
        e->vectors_pending |= 1u << PVGPU_VECTOR_FENCE;
    }
    return PVGPU_ERROR_NONE;
}

static guint32 run_present(PvgpuEngine *e, const struct pvgpu_cmd_present *c,
                           struct pvgpu_cmd_error *err)
{
    guint32 code = pvgpu_renderer_present(e->renderer, c, err);
    PvgpuScanout scanout;

    if (e->presented != NULL) {
        e->presented(code == PVGPU_ERROR_NONE &&
                         pvgpu_renderer_get_scanout(e->renderer, &scanout),
                     e->presented_data);
    }
    if (code != PVGPU_ERROR_NONE) {
        return code;
    }
    e->present_count++;
    pvgpu_shared_store_release64(&e->ctrl->present_count, e->present_count);
    e->counters->presents++;
    if (c->flags & PVGPU_PRESENT_FLAG_IRQ) {
        e->vectors_pending |= 1u << PVGPU_VECTOR_DISPLAY;
    }
    return PVGPU_ERROR_NONE;
}

/* cmd is the private, validated copy; nothing here reads the ring again. */
static gboolean slice_over(PvgpuEngine *e, guint done);

/* Rows of a pixel command of this width in one piece. */
static guint32 band_rows(guint32 width)
{
    guint64 row = (guint64)MAX(width, 1u) * PVGPU_FORMAT_BYTES_PER_PIXEL;

    return (guint32)MAX(1u, MIN((guint64)G_MAXUINT32,
                                PVGPU_ENGINE_BAND_BYTES / row));
}

/* One piece of a pixel command. */
static guint32 run_piece(PvgpuEngine *e, const struct pvgpu_cmd_hdr *hdr,
                         const guint8 *cmd, PvgpuRows *rows,
                         struct pvgpu_cmd_error *err)
{
    guint64 copied = 0;
    guint32 code;

    switch (hdr->type) {
    case PVGPU_CMD_RESOURCE_UPLOAD:
        code = pvgpu_renderer_upload(
            e->renderer, (const struct pvgpu_cmd_resource_upload *)cmd,
            e->heap, e->layout.heap_size, rows, &copied, err);
        e->counters->bytes_uploaded += copied;
        return code;
    case PVGPU_CMD_FILL_RECT:
        return pvgpu_renderer_fill(
            e->renderer, (const struct pvgpu_cmd_fill_rect *)cmd, rows, err);
    default:
        return pvgpu_renderer_copy(
            e->renderer, (const struct pvgpu_cmd_copy_rect *)cmd, rows, err);
    }
}

/*
 * A pixel command in pieces of about PVGPU_ENGINE_BAND_BYTES, from row
 * *rows_done on, until it is finished or the slice is over: one command on
 * the largest resource cannot hold up SIGTERM or the control socket.
 */
static guint32 run_pixels(PvgpuEngine *e, const struct pvgpu_cmd_hdr *hdr,
                          const guint8 *cmd, guint32 *rows_done,
                          gboolean *finished, struct pvgpu_cmd_error *err)
{
    guint32 width;
    guint32 code;

    switch (hdr->type) {
    case PVGPU_CMD_RESOURCE_UPLOAD:
        width = ((const struct pvgpu_cmd_resource_upload *)cmd)->dst.width;
        break;
    case PVGPU_CMD_FILL_RECT:
        width = ((const struct pvgpu_cmd_fill_rect *)cmd)->rect.width;
        break;
    default:
        width = ((const struct pvgpu_cmd_copy_rect *)cmd)->src.width;
        break;
    }
    PvgpuRows rows = { .start = *rows_done, .max = band_rows(width) };
    for (;;) {
        code = run_piece(e, hdr, cmd, &rows, err);
        if (code != PVGPU_ERROR_NONE || rows.finished) {
            *finished = TRUE;
            return code;
        }
        rows.start += rows.max;
        *rows_done = rows.start;
        if (slice_over(e, 1)) {
            *finished = FALSE;
            return PVGPU_ERROR_NONE;
        }
    }
}

/* Runs a validated command; *finished is FALSE when a pixel command was
 * cut short (*rows_done says how far it got). */
static guint32 execute(PvgpuEngine *e, const struct pvgpu_cmd_hdr *hdr,
                       const guint8 *cmd, guint32 *rows_done,
                       gboolean *finished, struct pvgpu_cmd_error *err)
{
    guint32 code;

    *finished = TRUE;
    switch (hdr->type) {
    case PVGPU_CMD_NOP:
        return PVGPU_ERROR_NONE;
    case PVGPU_CMD_RESOURCE_CREATE_2D:
        return pvgpu_renderer_create(
            e->renderer, (const struct pvgpu_cmd_resource_create_2d *)cmd,
            err);
    case PVGPU_CMD_RESOURCE_DESTROY:
        code = pvgpu_renderer_destroy(
            e->renderer, (const struct pvgpu_cmd_resource_destroy *)cmd, err);
        publish_scanout(e);
        return code;
    case PVGPU_CMD_RESOURCE_UPLOAD:
    case PVGPU_CMD_FILL_RECT:
    case PVGPU_CMD_COPY_RECT:
        return run_pixels(e, hdr, cmd, rows_done, finished, err);
    case PVGPU_CMD_SET_SCANOUT:
        code = pvgpu_renderer_set_scanout(
            e->renderer, (const struct pvgpu_cmd_set_scanout *)cmd, err);
        publish_scanout(e);
        return code;
    case PVGPU_CMD_PRESENT:
        return run_present(e, (const struct pvgpu_cmd_present *)cmd, err);
    case PVGPU_CMD_SET_CURSOR:
        code = pvgpu_cursor_set(&e->cursor, e->renderer,
                                (const struct pvgpu_cmd_set_cursor *)cmd, err);
        if (code == PVGPU_ERROR_NONE && e->cursor_changed != NULL) {
            e->cursor_changed(e->cursor_data);
        }
        return code;
    case PVGPU_CMD_FENCE:
        return run_fence(e, (const struct pvgpu_cmd_fence *)cmd, err);
    default:
        /* pvgpu_cmd_validate() refuses every other type */
        return pvgpu_cmd_fail(err, PVGPU_ERROR_CMD_UNKNOWN, hdr->type);
    }
}

/* error_detail of CONTROL_CORRUPT: offset of the first altered 32-bit word
 * of the layout block. */
static guint64 first_altered_word(const PvgpuEngine *e)
{
    struct pvgpu_control want;
    const guint8 *have = (const guint8 *)e->ctrl;
    gsize off;

    pvgpu_control_init(&want, &e->layout);
    for (off = 0; off < offsetof(struct pvgpu_control, producer); off += 4) {
        guint32 word;

        memcpy(&word, (const guint8 *)&want + off, sizeof(word));
        if (pvgpu_shared_load32((const uint32_t *)(const void *)(have + off)) !=
            word) {
            break;
        }
    }
    return off;
}

/* Publishes consumer, then raises what the command asked for: a guest that
 * takes the interrupt sees the command consumed. */
static void publish_consumer(PvgpuEngine *e)
{
    pvgpu_shared_store_release64(&e->ctrl->consumer, e->consumer);
    for (guint v = 0; e->vectors_pending != 0; v++) {
        if (e->vectors_pending & (1u << v)) {
            e->vectors_pending &= ~(1u << v);
            e->raise(v, e->raise_data);
        }
    }
}

/* A framing error leaves no way to find the next command. */
static void discard_batch(PvgpuEngine *e, guint64 producer)
{
    e->consumer = producer;
    publish_consumer(e);
}

static PvgpuEngineStatus finish_batch(PvgpuEngine *e,
                                      PvgpuEngineStatus status)
{
    if (e->error_pending) {
        e->error_pending = FALSE;
        e->raise(PVGPU_VECTOR_ERROR, e->raise_data);
    }
    return status;
}

static void start_slice(PvgpuEngine *e)
{
    e->slice_end = g_get_monotonic_time() + PVGPU_ENGINE_SLICE_US;
    e->slice_touched_seen = pvgpu_renderer_bytes_touched(e->renderer);
    e->slice_bytes_end = e->slice_touched_seen + PVGPU_ENGINE_SLICE_BYTES;
}

/* Commands between two looks at the clock when none touches pixels: the
 * clock costs more than a NOP, and 64 cheap commands take microseconds. */
#define CLOCK_EVERY 64u

static gboolean slice_over(PvgpuEngine *e, guint done)
{
    guint64 touched = pvgpu_renderer_bytes_touched(e->renderer);

    if (touched >= e->slice_bytes_end) {
        return TRUE;
    }
    if (touched == e->slice_touched_seen && done % CLOCK_EVERY != 0) {
        return FALSE;
    }
    e->slice_touched_seen = touched;
    return g_get_monotonic_time() >= e->slice_end;
}

/* One batch: one producer read, commands until *done reaches max_commands
 * or the slice is over. */
static PvgpuEngineStatus run_batch(PvgpuEngine *e, guint max_commands,
                                   guint *done)
{
    _Alignas(16) guint8 cmd[PVGPU_CMD_MAX_SIZE];
    struct pvgpu_cmd_error err = { 0 };
    struct pvgpu_cmd_hdr hdr;
    guint64 producer = pvgpu_shared_load_acquire64(&e->ctrl->producer);

    e->last_producer = producer;

    if (!pvgpu_control_matches(e->ctrl, &e->layout)) {
        err.code = PVGPU_ERROR_CONTROL_CORRUPT;
        err.detail = first_altered_word(e);
        report(e, &err, 0, 0, e->consumer);
        if (pvgpu_ring_check_indices(&e->layout, e->consumer, producer,
                                     &err) == PVGPU_ERROR_NONE) {
            discard_batch(e, producer);
        }
        return finish_batch(e, PVGPU_ENGINE_IDLE);
    }
    if (pvgpu_ring_check_indices(&e->layout, e->consumer, producer, &err) !=
        PVGPU_ERROR_NONE) {
        report(e, &err, 0, 0, e->consumer);
        discard_batch(e, producer);
        return finish_batch(e, PVGPU_ENGINE_IDLE);
    }

    while (e->consumer != producer) {
        guint64 index = e->consumer;

        if (*done == max_commands || (*done > 0 && slice_over(e, *done))) {
            return finish_batch(e, PVGPU_ENGINE_MORE);
        }
        gboolean resumed = e->partial && e->partial_index == index;
        guint32 rows_done = 0;
        gboolean finished = TRUE;
        guint32 code;

        if (resumed) {
            /* the copy validated before: the guest may have rewritten
             * the ring since */
            hdr = e->partial_hdr;
            memcpy(cmd, e->partial_cmd, hdr.size);
            rows_done = e->partial_rows;
            code = execute(e, &hdr, cmd, &rows_done, &finished, &err);
        } else {
            hdr = (struct pvgpu_cmd_hdr){ 0 };
            if (pvgpu_ring_fetch(&e->layout, e->ring, index, producer, cmd,
                                 &hdr, &err) != PVGPU_ERROR_NONE) {
                report(e, &err, hdr.type, hdr.id, index);
                discard_batch(e, producer);
                break;
            }
            code = pvgpu_cmd_validate(&hdr, cmd, &e->layout, &err);
            if (code == PVGPU_ERROR_NONE) {
                code = execute(e, &hdr, cmd, &rows_done, &finished, &err);
            }
        }
        e->partial = !finished;
        if (!finished) {
            e->partial_index = index;
            e->partial_rows = rows_done;
            e->partial_hdr = hdr;
            memcpy(e->partial_cmd, cmd, hdr.size);
            return finish_batch(e, PVGPU_ENGINE_MORE);
        }
        if (code != PVGPU_ERROR_NONE) {
            report(e, &err, hdr.type, hdr.id, index);
        }
        e->consumer = index + hdr.size;
        e->counters->commands++;
        (*done)++;
        publish_consumer(e);
    }
    return finish_batch(e, PVGPU_ENGINE_IDLE);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/*
 * Re-reads the producer until the window closes or this call's slice ends.
 * Each pass reads the producer before the clock: a command published before
 * polling starts is found even when this thread runs late. Every pass
 * checks the slice, also after a batch: a guest that keeps publishing
 * (even batches that run nothing, such as framing errors) must not hold
 * the main loop.
 */
static PvgpuEngineStatus poll_ring(PvgpuEngine *e, guint max_commands,
                                   guint *done)
{
    gint64 slice_end = MIN(g_get_monotonic_time() + e->poll_us,
                           e->slice_end);

    for (;;) {
        gint64 now;

        if (pvgpu_shared_load_acquire64(&e->ctrl->producer) !=
            e->last_producer) {
            guint before = *done;

            e->polled_batches++;
            if (run_batch(e, max_commands, done) == PVGPU_ENGINE_MORE) {
                return PVGPU_ENGINE_MORE;
            }
            if (*done > before) {
                e->poll_until = g_get_monotonic_time() + e->poll_us;
            }
        }
        now = g_get_monotonic_time();
        if (now >= e->poll_until) {
            e->poll_until = 0;
            return PVGPU_ENGINE_IDLE;
        }
        if (now >= slice_end || slice_over(e, 0)) {
            e->resume_polling = TRUE;
            return PVGPU_ENGINE_MORE;
        }
        cpu_relax();
    }
}

PvgpuEngineStatus pvgpu_engine_process(PvgpuEngine *e, guint max_commands)
{
    gboolean resume_polling = e->resume_polling;
    guint done = 0;

    start_slice(e);
    e->resume_polling = FALSE;
    /* a resumed wait runs a batch only for a new producer, as the wait
     * itself does: a broken control region is reported once */
    if (!resume_polling) {
        if (run_batch(e, max_commands, &done) == PVGPU_ENGINE_MORE) {
            return PVGPU_ENGINE_MORE;
        }
        if (e->poll_us == 0) {
            return PVGPU_ENGINE_IDLE;
        }
        if (done > 0) {
            e->poll_until = g_get_monotonic_time() + e->poll_us;
        }
        if (e->poll_until == 0) {
            return PVGPU_ENGINE_IDLE;
        }
    }
    return poll_ring(e, max_commands, &done);
}
