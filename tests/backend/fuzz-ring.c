/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as ring contents for the backend's
 * ring consumer and renderer. Input: u64 producer index (little-endian),
 * then the bytes written at the start of the ring. Shared memory is 4 MiB
 * and the consumer starts at 0.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine.h"

#define SHMEM_SIZE (4ull << 20)

static guint8 *mem;
static struct pvgpu_layout layout;

static void ignore_vector(guint vector, gpointer data)
{
    (void)vector;
    (void)data;
}

static GLogWriterOutput drop_logs(GLogLevelFlags level,
                                  const GLogField *fields, gsize n_fields,
                                  gpointer data)
{
    (void)level;
    (void)fields;
    (void)n_fields;
    (void)data;
    return G_LOG_WRITER_HANDLED;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    void *p = NULL;

    (void)argc;
    (void)argv;
    g_log_set_writer_func(drop_logs, NULL, NULL);
    if (posix_memalign(&p, 4096, SHMEM_SIZE) != 0) {
        abort();
    }
    memset(p, 0, SHMEM_SIZE);
    mem = p;
    if (pvgpu_layout_compute(SHMEM_SIZE, &layout) != PVGPU_CODEC_OK) {
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    PvgpuEngineConfig config = {
        /* small, so that the fills and copies the fuzzer finds stay cheap
         * under its instrumentation: it is after the parser, not pixels */
        .memory_budget = 1u << 20,
        .display_width = 1024,
        .display_height = 768,
    };
    struct pvgpu_control *ctrl = (struct pvgpu_control *)(void *)mem;
    PvgpuCounters counters = { 0 };
    PvgpuEngine *engine;
    size_t ring_bytes;

    if (size < 8) {
        return 0;
    }
    pvgpu_control_init(ctrl, &layout);
    ctrl->producer = pvgpu_le64_load(data);
    ring_bytes = MIN(size - 8, layout.ring_size);
    memset(mem + layout.ring_offset, 0, layout.ring_size);
    memcpy(mem + layout.ring_offset, data + 8, ring_bytes);

    engine = pvgpu_engine_new(mem, &layout, &config, &counters,
                              ignore_vector, NULL, NULL);
    if (engine == NULL) {
        abort(); /* the control region was just initialised */
    }
    /* the whole ring is 65536 minimal commands: 16 full batches */
    for (int batch = 0; batch < 32; batch++) {
        if (pvgpu_engine_process(engine, PVGPU_ENGINE_BATCH_LIMIT) ==
            PVGPU_ENGINE_IDLE) {
            break;
        }
    }
    if (ctrl->consumer != ctrl->producer) {
        abort(); /* executed or discarded, every batch ends at producer */
    }
    pvgpu_engine_free(engine);
    return 0;
}
