/* SPDX-License-Identifier: MIT */
/*
 * Ring throughput of the backend library. A producer thread plays the
 * guest: it writes commands into a shared-memory layout and rings an
 * eventfd doorbell; a consumer thread runs pvgpu_engine_process() on the
 * same memory, as pvgpu-backend does on a doorbell. Reports small commands
 * per second, upload bandwidth, and plain memcpy bandwidth of the same
 * block size measured in the same run, with the ratio of the two.
 */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bench-support.h"
#include "control-region.h"
#include "engine.h"
#include "ring-writer.h"

#define SHMEM_SIZE (64ull << 20)
#define UPLOAD_SIDE 512u /* 512 x 512 x 4 bytes = 1 MiB */
#define UPLOAD_BYTES ((gsize)UPLOAD_SIDE * UPLOAD_SIDE * 4)
#define PUBLISH_EVERY 1024u

typedef struct {
    guint8 *mem;
    struct pvgpu_layout layout;
    struct pvgpu_control *ctrl;
    PvgpuRingWriter writer;
    PvgpuEngine *engine;
    PvgpuCounters counters;
    int doorbell; /* producer -> consumer */
    int consumed; /* consumer -> producer: "I drained the ring" */
    gint stop;
    guint64 fence;
} Bench;

static void eventfd_signal(int fd)
{
    guint64 one = 1;

    while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
}

static void eventfd_wait(int fd)
{
    guint64 value;

    while (read(fd, &value, sizeof(value)) < 0 && errno == EINTR) {
    }
}

static void ignore_vector(guint vector, gpointer data)
{
    (void)vector;
    (void)data;
}

static gpointer consumer_main(gpointer data)
{
    Bench *b = data;

    for (;;) {
        eventfd_wait(b->doorbell);
        while (pvgpu_engine_process(b->engine, PVGPU_ENGINE_BATCH_LIMIT) ==
               PVGPU_ENGINE_MORE) {
        }
        eventfd_signal(b->consumed);
        if (g_atomic_int_get(&b->stop)) {
            return NULL;
        }
    }
}

static void ring_doorbell(Bench *b)
{
    pvgpu_ring_writer_publish(&b->writer);
    eventfd_signal(b->doorbell);
}

/* Appends a command, waiting for the consumer while the ring is full. */
static void push(Bench *b, struct pvgpu_cmd_hdr *hdr, guint32 size)
{
    while (pvgpu_ring_writer_push(&b->writer, hdr, size) == G_MAXUINT64) {
        ring_doorbell(b);
        eventfd_wait(b->consumed);
    }
}

static void push_fence(Bench *b)
{
    struct pvgpu_cmd_fence c = { .hdr.type = PVGPU_CMD_FENCE,
                                 .fence_id = ++b->fence };

    push(b, &c.hdr, sizeof(c));
}

/* Rings the doorbell and waits until the last fence has completed. */
static void finish(Bench *b)
{
    ring_doorbell(b);
    while (pvgpu_shared_load_acquire64(&b->ctrl->fence_completed) <
           b->fence) {
        eventfd_wait(b->consumed);
    }
}

static double run_small(Bench *b, guint64 count)
{
    struct pvgpu_cmd_nop nop = { .hdr.type = PVGPU_CMD_NOP };
    gint64 start = g_get_monotonic_time();

    for (guint64 i = 0; i < count; i++) {
        if (i % 2 == 0) {
            nop.hdr.id = 0;
            nop.hdr.size = 0;
            push(b, &nop.hdr, sizeof(nop));
        } else {
            push_fence(b);
        }
        if (i % PUBLISH_EVERY == 0) {
            ring_doorbell(b);
        }
    }
    push_fence(b);
    finish(b);
    return (g_get_monotonic_time() - start) / 1e6;
}

static double run_uploads(Bench *b, guint64 count)
{
    struct pvgpu_cmd_resource_create_2d create = {
        .hdr.type = PVGPU_CMD_RESOURCE_CREATE_2D, .resource_id = 1,
        .format = PVGPU_FORMAT_B8G8R8A8_UNORM, .width = UPLOAD_SIDE,
        .height = UPLOAD_SIDE,
    };
    gint64 start;

    memset(b->mem + b->layout.heap_offset, 0x5a, UPLOAD_BYTES);
    push(b, &create.hdr, sizeof(create));
    push_fence(b);
    finish(b);

    start = g_get_monotonic_time();
    for (guint64 i = 0; i < count; i++) {
        struct pvgpu_cmd_resource_upload up = {
            .hdr.type = PVGPU_CMD_RESOURCE_UPLOAD, .resource_id = 1,
            .stride = UPLOAD_SIDE * 4, .heap_offset = 0,
            .dst = { 0, 0, UPLOAD_SIDE, UPLOAD_SIDE },
        };

        push(b, &up.hdr, sizeof(up));
        if (i % 16 == 0) {
            ring_doorbell(b);
        }
    }
    push_fence(b);
    finish(b);
    return (g_get_monotonic_time() - start) / 1e6;
}

/* The same copies as the uploads, without the ring: heap -> buffer. */
static double run_memcpy(Bench *b, guint64 count)
{
    guint8 *dst = g_malloc(UPLOAD_BYTES);
    volatile guint8 sink;
    gint64 start;

    /* fault the pages in first, as the resource's pages are by then */
    memset(dst, 0, UPLOAD_BYTES);
    start = g_get_monotonic_time();

    for (guint64 i = 0; i < count; i++) {
        memcpy(dst, b->mem + b->layout.heap_offset, UPLOAD_BYTES);
        sink = dst[i % UPLOAD_BYTES];
    }
    (void)sink;
    g_free(dst);
    return (g_get_monotonic_time() - start) / 1e6;
}

int main(int argc, char **argv)
{
    gint64 commands = 2000000, uploads = 2000;
    gboolean json = FALSE;
    GOptionEntry entries[] = {
        { "commands", 0, 0, G_OPTION_ARG_INT64, &commands,
          "Small commands (NOP and FENCE) to send (default 2000000)", "N" },
        { "uploads", 0, 0, G_OPTION_ARG_INT64, &uploads,
          "1 MiB uploads to send (default 2000)", "N" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &json,
          "Print one JSON object instead of text", NULL },
        { NULL },
    };
    g_autoptr(GError) error = NULL;
    PvgpuEngineConfig config = { .memory_budget = 64u << 20,
                                 .display_width = 1024,
                                 .display_height = 768 };
    Bench b = { 0 };
    double t_small, t_up, t_copy, up_gbs, copy_gbs;
    GThread *consumer;
    void *mem = NULL;

    bench_parse_options(&argc, &argv, "Measures the ring throughput of the "
                                      "pvgpu backend library.", entries);
    if (commands < 1 || uploads < 1) {
        bench_usage_error("counts must be at least 1");
    }
    if (posix_memalign(&mem, 4096, SHMEM_SIZE) != 0) {
        bench_fail("out of memory");
    }
    memset(mem, 0, SHMEM_SIZE);
    b.mem = mem;
    pvgpu_layout_compute(SHMEM_SIZE, &b.layout);
    b.ctrl = (struct pvgpu_control *)mem;
    pvgpu_control_init(b.ctrl, &b.layout);
    b.engine = pvgpu_engine_new(b.mem, &b.layout, &config, &b.counters,
                                ignore_vector, NULL, &error);
    g_assert_no_error(error);
    pvgpu_ring_writer_init(&b.writer, b.mem, &b.layout);
    b.doorbell = eventfd(0, EFD_CLOEXEC);
    b.consumed = eventfd(0, EFD_CLOEXEC);
    consumer = g_thread_new("consumer", consumer_main, &b);

    t_small = run_small(&b, (guint64)commands);
    t_up = run_uploads(&b, (guint64)uploads);
    t_copy = run_memcpy(&b, (guint64)uploads);

    g_atomic_int_set(&b.stop, 1);
    eventfd_signal(b.doorbell);
    g_thread_join(consumer);

    if (b.counters.bytes_uploaded != (guint64)uploads * UPLOAD_BYTES ||
        b.counters.fences_completed != b.fence) {
        bench_fail("the backend did not execute every command");
    }
    if (b.counters.errors != 0) {
        bench_fail("the backend refused %" G_GUINT64_FORMAT " commands",
                   b.counters.errors);
    }
    up_gbs = (double)uploads * UPLOAD_BYTES / t_up / 1e9;
    copy_gbs = (double)uploads * UPLOAD_BYTES / t_copy / 1e9;
    if (json) {
        printf("{\"commands\":%" G_GINT64_FORMAT ",\"commands_per_s\":%.0f,"
               "\"uploads\":%" G_GINT64_FORMAT ",\"upload_gb_per_s\":%.3f,"
               "\"memcpy_gb_per_s\":%.3f,\"upload_to_memcpy\":%.3f}\n",
               commands, commands / t_small, uploads, up_gbs, copy_gbs,
               up_gbs / copy_gbs);
    } else {
        printf("small commands: %" G_GINT64_FORMAT " in %.3f s = %.2f M/s\n",
               commands, t_small, commands / t_small / 1e6);
        printf("uploads:        %" G_GINT64_FORMAT " x 1 MiB in %.3f s = "
               "%.2f GB/s\n", uploads, t_up, up_gbs);
        printf("memcpy:         %" G_GINT64_FORMAT " x 1 MiB in %.3f s = "
               "%.2f GB/s\n", uploads, t_copy, copy_gbs);
        printf("upload / memcpy: %.2f\n", up_gbs / copy_gbs);
    }
    pvgpu_engine_free(b.engine);
    close(b.doorbell);
    close(b.consumed);
    free(mem);
    return 0;
}
