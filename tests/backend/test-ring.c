/* SPDX-License-Identifier: MIT */
/* The ring consumer: framing, indices, batches, control-region checks. */
#include "test-helpers.h"

#include "control-region.h"
#include "fake-device.h"

static int setup(void **state)
{
    *state = fake_device_new(FAKE_BUDGET);
    return 0;
}

static int teardown(void **state)
{
    fake_device_free(*state);
    return 0;
}

static void assert_error(FakeDevice *d, guint32 code, guint64 detail)
{
    assert_int_equal(d->ctrl->error_code, code);
    assert_int_equal(d->ctrl->error_detail, detail);
    assert_int_not_equal(d->ctrl->error_count, 0);
    assert_int_not_equal(d->raised[PVGPU_VECTOR_ERROR], 0);
}

static void assert_no_error(FakeDevice *d)
{
    assert_int_equal(d->ctrl->error_code, PVGPU_ERROR_NONE);
    assert_int_equal(d->ctrl->error_count, 0);
    assert_int_equal(d->raised[PVGPU_VECTOR_ERROR], 0);
    assert_int_equal(d->counters.errors, 0);
}

/* The whole batch is gone and nothing was executed. */
static void assert_discarded(FakeDevice *d)
{
    assert_int_equal(pvgpu_engine_get_consumer(d->engine), d->writer.producer);
    assert_int_equal(d->ctrl->consumer, d->writer.producer);
}

static void push_header(FakeDevice *d, guint32 type, guint32 size)
{
    struct pvgpu_cmd_hdr hdr = { .type = type, .size = size, .id = 77 };

    pvgpu_ring_writer_push_raw(&d->writer, &hdr, sizeof(hdr));
}

static void test_empty_doorbell(void **state)
{
    FakeDevice *d = *state;

    assert_int_equal(fake_device_run(d), 1);
    assert_int_equal(d->ctrl->consumer, 0);
    assert_int_equal(d->counters.commands, 0);
    assert_no_error(d);
    for (guint v = 0; v < PVGPU_NUM_VECTORS; v++) {
        assert_int_equal(d->raised[v], 0);
    }
}

static void test_nop_consumed(void **state)
{
    FakeDevice *d = *state;

    fake_nop(d);
    fake_nop(d);
    fake_device_run(d);
    assert_int_equal(d->ctrl->consumer, 32);
    assert_int_equal(d->counters.commands, 2);
    assert_no_error(d);
}

static void test_cmd_size_zero(void **state)
{
    FakeDevice *d = *state;

    push_header(d, PVGPU_CMD_NOP, 0);
    fake_fence(d, 1, 0);
    fake_device_run(d);
    assert_error(d, PVGPU_ERROR_CMD_SIZE, 0);
    assert_discarded(d);
    assert_int_equal(d->ctrl->fence_completed, 0);
    assert_int_equal(d->ctrl->error_cmd_id, 77);
    assert_int_equal(d->ctrl->error_ring_offset, 0);
}

static void test_cmd_size_unaligned(void **state)
{
    FakeDevice *d = *state;

    push_header(d, PVGPU_CMD_NOP, 24);
    fake_nop(d);
    fake_device_run(d);
    assert_error(d, PVGPU_ERROR_CMD_SIZE, 24);
    assert_discarded(d);
}

static void test_cmd_size_too_large(void **state)
{
    FakeDevice *d = *state;
    static guint8 big[PVGPU_CMD_MAX_SIZE + 16];
    struct pvgpu_cmd_hdr hdr = { .type = PVGPU_CMD_NOP, .size = sizeof(big) };

    memcpy(big, &hdr, sizeof(hdr));
    pvgpu_ring_writer_push_raw(&d->writer, big, sizeof(big));
    fake_device_run(d);
    assert_error(d, PVGPU_ERROR_CMD_SIZE, sizeof(big));
    assert_discarded(d);
}

static void test_cmd_past_producer(void **state)
{
    FakeDevice *d = *state;

    /* announces 32 bytes, only its 16-byte header is published */
    push_header(d, PVGPU_CMD_NOP, 32);
    fake_device_run(d);
    assert_error(d, PVGPU_ERROR_CMD_SIZE, 32);
    assert_discarded(d);
}

/* Starts the engine on a control region holding these indices. */
static FakeDevice *device_at(guint64 producer, guint64 consumer,
                             guint64 fence_completed)
{
    FakeDevice *d = fake_device_new_detached();

    d->ctrl->producer = producer;
    d->ctrl->consumer = consumer;
    d->ctrl->fence_completed = fence_completed;
    fake_device_attach(d, FAKE_BUDGET);
    return d;
}

static void test_cmd_past_ring_end(void **state)
{
    FakeDevice *d;

    (void)state;
    d = device_at(PVGPU_RING_SIZE - 16, PVGPU_RING_SIZE - 16, 0);
    /* a 32-byte command in the last 16 bytes: it would wrap */
    push_header(d, PVGPU_CMD_RESOURCE_CREATE_2D, 32);
    d->writer.producer += 16;
    fake_device_run(d);
    assert_error(d, PVGPU_ERROR_CMD_SIZE, 32);
    assert_discarded(d);
    fake_device_free(d);
}

static void test_wrap_with_nop_pad(void **state)
{
    const guint64 start = 5 * PVGPU_RING_SIZE - 48;
    FakeDevice *d;

    (void)state;
    d = device_at(start, start, 0);
    fake_create(d, 1, PVGPU_FORMAT_B8G8R8A8_UNORM, 8, 8);
    /* 16 bytes are left before the end: the writer pads them with a NOP */
    fake_fill(d, 1, 0xff00ff00, 0, 0, 8, 8);
    fake_fence(d, 1, 0);
    assert_int_equal(d->writer.producer, start + 32 + 16 + 48 + 32);
    assert_int_equal(d->mem[d->layout.ring_offset + PVGPU_RING_SIZE - 16],
                     PVGPU_CMD_NOP);
    fake_device_run(d);
    assert_no_error(d);
    assert_int_equal(d->counters.commands, 4);
    assert_int_equal(d->ctrl->consumer, d->writer.producer);
    assert_int_equal(d->ctrl->fence_completed, 1);
    assert_int_equal(fake_pixel(d, 1, 7, 7), 0xff00ff00);
    fake_device_free(d);
}

static void test_producer_behind_consumer(void **state)
{
    FakeDevice *d;

    (void)state;
    d = device_at(4096, 4096, 0);
    pvgpu_shared_store64(&d->ctrl->producer, 4080);
    pvgpu_engine_process(d->engine, PVGPU_ENGINE_BATCH_LIMIT);
    assert_error(d, PVGPU_ERROR_RING_INDEX, 4080);
    /* resynchronised on the guest's producer */
    assert_int_equal(d->ctrl->consumer, 4080);
    fake_device_free(d);
}

static void test_producer_too_far(void **state)
{
    FakeDevice *d = *state;
    guint64 producer = PVGPU_RING_SIZE + 16;

    pvgpu_shared_store64(&d->ctrl->producer, producer);
    pvgpu_engine_process(d->engine, PVGPU_ENGINE_BATCH_LIMIT);
    assert_error(d, PVGPU_ERROR_RING_INDEX, producer);
    assert_int_equal(d->counters.commands, 0);
}

static void test_producer_unaligned(void **state)
{
    FakeDevice *d = *state;

    fake_nop(d);
    pvgpu_shared_store64(&d->ctrl->producer, 8);
    pvgpu_engine_process(d->engine, PVGPU_ENGINE_BATCH_LIMIT);
    assert_error(d, PVGPU_ERROR_RING_INDEX, 8);
    assert_int_equal(d->counters.commands, 0);
}

static void test_framing_error_discards_batch(void **state)
{
    FakeDevice *d = *state;

    fake_fence(d, 1, 0);
    push_header(d, PVGPU_CMD_NOP, 0);
    fake_fence(d, 2, 0);
    fake_device_run(d);
    assert_error(d, PVGPU_ERROR_CMD_SIZE, 0);
    assert_int_equal(d->ctrl->fence_completed, 1);
    assert_discarded(d);

    /* the next batch starts where the guest's producer was */
    fake_fence(d, 3, PVGPU_FENCE_FLAG_IRQ);
    fake_device_run(d);
    assert_int_equal(d->ctrl->fence_completed, 3);
    assert_int_equal(d->ctrl->consumer, d->writer.producer);
    assert_int_equal(d->raised[PVGPU_VECTOR_FENCE], 1);
    assert_int_equal(d->ctrl->error_count, 1);
}

static void test_unknown_type_skipped(void **state)
{
    FakeDevice *d = *state;

    push_header(d, 0x1001, 16);
    fake_fence(d, 1, 0);
    fake_device_run(d);
    assert_error(d, PVGPU_ERROR_CMD_UNKNOWN, 0x1001);
    assert_int_equal(d->ctrl->error_cmd_type, 0x1001);
    assert_int_equal(d->ctrl->fence_completed, 1);
    assert_int_equal(d->counters.commands, 2);
}

static void test_wrong_length(void **state)
{
    FakeDevice *d = *state;
    struct pvgpu_cmd_fence c = {
        .hdr.type = PVGPU_CMD_FENCE, .hdr.size = 48, .fence_id = 5,
    };

    pvgpu_ring_writer_push(&d->writer, &c.hdr, sizeof(c));
    fake_fence(d, 1, 0);
    fake_device_run(d);
    assert_error(d, PVGPU_ERROR_CMD_LENGTH, 48);
    assert_int_equal(d->ctrl->fence_completed, 1);
}

static void test_header_flags_reserved(void **state)
{
    FakeDevice *d = *state;
    struct pvgpu_cmd_nop c = { .hdr.type = PVGPU_CMD_NOP, .hdr.flags = 0x4 };

    pvgpu_ring_writer_push(&d->writer, &c.hdr, sizeof(c));
    fake_device_run(d);
    assert_error(d, PVGPU_ERROR_RESERVED_NONZERO, 0x4);
}

static void test_padding_nonzero(void **state)
{
    FakeDevice *d = *state;
    guint8 raw[48] = { 0 };
    struct pvgpu_cmd_present c = { .hdr.type = PVGPU_CMD_PRESENT,
                                   .hdr.size = 48 };

    memcpy(raw, &c, sizeof(c));
    raw[44] = 1; /* between the 40-byte struct and its 48-byte ring size */
    pvgpu_ring_writer_push_raw(&d->writer, raw, sizeof(raw));
    fake_device_run(d);
    assert_error(d, PVGPU_ERROR_RESERVED_NONZERO, 44);
    assert_int_equal(d->counters.presents, 0);
}

static void test_error_report_fields(void **state)
{
    FakeDevice *d = *state;
    guint32 id;

    fake_nop(d);
    id = fake_destroy(d, 42);
    fake_device_run(d);
    assert_int_equal(d->ctrl->error_code, PVGPU_ERROR_RESOURCE_UNKNOWN);
    assert_int_equal(d->ctrl->error_cmd_type, PVGPU_CMD_RESOURCE_DESTROY);
    assert_int_equal(d->ctrl->error_cmd_id, id);
    assert_int_equal(d->ctrl->error_ring_offset, 16);
    assert_int_equal(d->ctrl->error_detail, 42);
    assert_int_equal(d->ctrl->error_count, 1);
    assert_true(d->counters.has_last_error);
    assert_int_equal(d->counters.last_error.code,
                     PVGPU_ERROR_RESOURCE_UNKNOWN);
    assert_int_equal(d->counters.last_error.cmd_id, id);
}

static void test_error_vector_once_per_batch(void **state)
{
    FakeDevice *d = *state;

    fake_destroy(d, 1);
    fake_destroy(d, 2);
    fake_destroy(d, 3);
    fake_device_run(d);
    assert_int_equal(d->ctrl->error_count, 3);
    assert_int_equal(d->counters.errors, 3);
    assert_int_equal(d->raised[PVGPU_VECTOR_ERROR], 1);
}

static void test_vector_after_consumer(void **state)
{
    FakeDevice *d = *state;

    fake_nop(d);
    fake_fence(d, 1, PVGPU_FENCE_FLAG_IRQ);
    fake_nop(d);
    fake_device_run(d);
    assert_int_equal(d->raised[PVGPU_VECTOR_FENCE], 1);
    /* the guest taking the interrupt finds the fence consumed */
    assert_int_equal(d->consumer_at_raise[PVGPU_VECTOR_FENCE], 16 + 32);
}

static void test_control_corrupt(void **state)
{
    FakeDevice *d = *state;

    fake_fence(d, 1, 0);
    d->ctrl->heap_size += 4096;
    fake_device_run(d);
    assert_error(d, PVGPU_ERROR_CONTROL_CORRUPT,
                 offsetof(struct pvgpu_control, heap_size));
    assert_int_equal(d->ctrl->fence_completed, 0);
    assert_discarded(d);

    /* once the guest restores the block, work runs again */
    d->ctrl->heap_size -= 4096;
    fake_fence(d, 2, 0);
    fake_device_run(d);
    assert_int_equal(d->ctrl->fence_completed, 2);
    assert_int_equal(d->ctrl->error_count, 1);
}

static void test_control_magic_overwritten(void **state)
{
    FakeDevice *d = *state;

    fake_fence(d, 1, 0);
    d->ctrl->magic = 0xdeadbeef;
    fake_device_run(d);
    assert_error(d, PVGPU_ERROR_CONTROL_CORRUPT, 0);
    assert_int_equal(d->ctrl->fence_completed, 0);
}

static void test_iteration_cap(void **state)
{
    FakeDevice *d = *state;
    const guint extra = 5;

    for (guint i = 0; i < PVGPU_ENGINE_BATCH_LIMIT + extra; i++) {
        fake_nop(d);
    }
    pvgpu_ring_writer_publish(&d->writer);
    assert_int_equal(pvgpu_engine_process(d->engine, PVGPU_ENGINE_BATCH_LIMIT),
                     PVGPU_ENGINE_MORE);
    assert_int_equal(d->ctrl->consumer, PVGPU_ENGINE_BATCH_LIMIT * 16);
    assert_int_equal(pvgpu_engine_process(d->engine, PVGPU_ENGINE_BATCH_LIMIT),
                     PVGPU_ENGINE_IDLE);
    assert_int_equal(d->ctrl->consumer, d->writer.producer);
    assert_int_equal(d->counters.commands, PVGPU_ENGINE_BATCH_LIMIT + extra);
    assert_no_error(d);
}

static void test_attach_takes_indices(void **state)
{
    FakeDevice *d = device_at(4096, 4096, 7);

    (void)state;
    assert_int_equal(pvgpu_engine_get_consumer(d->engine), 4096);
    assert_int_equal(pvgpu_engine_get_fence_completed(d->engine), 7);
    fake_fence(d, 7, 0);
    fake_fence(d, 8, 0);
    fake_device_run(d);
    assert_int_equal(d->ctrl->error_code, PVGPU_ERROR_FENCE_ORDER);
    assert_int_equal(d->ctrl->fence_completed, 8);
    fake_device_free(d);
}

static void test_attach_bad_indices(void **state)
{
    /* the consumer ahead of the producer: not trusted */
    FakeDevice *d = device_at(4096, 8192, 0);

    (void)state;
    assert_int_equal(pvgpu_engine_get_consumer(d->engine), 4096);
    assert_int_equal(d->ctrl->consumer, 4096);
    fake_device_free(d);
}

static void test_attach_writes_display(void **state)
{
    FakeDevice *d = *state;

    assert_int_equal(d->ctrl->display_width, PVGPU_DEFAULT_DISPLAY_WIDTH);
    assert_int_equal(d->ctrl->display_height, PVGPU_DEFAULT_DISPLAY_HEIGHT);
}

static void test_attach_refuses_corrupt_control(void **state)
{
    FakeDevice *d = fake_device_new_detached();
    PvgpuEngineConfig config = { .memory_budget = 1 << 20,
                                 .display_width = 640,
                                 .display_height = 480 };
    PvgpuCounters counters = { 0 };
    GError *error = NULL;

    (void)state;
    d->ctrl->version = 0x00020000;
    assert_null(pvgpu_engine_new(d->mem, &d->layout, &config, &counters,
                                 NULL, NULL, &error));
    assert_non_null(error);
    assert_non_null(strstr(error->message, "PVCR"));
    g_error_free(error);
    fake_device_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PATH_TEST("/backend/ring/empty-doorbell", test_empty_doorbell, setup,
                  teardown),
        PATH_TEST("/backend/ring/nop-consumed", test_nop_consumed, setup,
                  teardown),
        PATH_TEST("/backend/ring/cmd-size-zero", test_cmd_size_zero, setup,
                  teardown),
        PATH_TEST("/backend/ring/cmd-size-unaligned", test_cmd_size_unaligned,
                  setup, teardown),
        PATH_TEST("/backend/ring/cmd-size-too-large", test_cmd_size_too_large,
                  setup, teardown),
        PATH_TEST("/backend/ring/cmd-past-producer", test_cmd_past_producer,
                  setup, teardown),
        PATH_TEST("/backend/ring/cmd-past-ring-end", test_cmd_past_ring_end,
                  NULL, NULL),
        PATH_TEST("/backend/ring/wrap-with-nop-pad", test_wrap_with_nop_pad,
                  NULL, NULL),
        PATH_TEST("/backend/ring/producer-behind-consumer",
                  test_producer_behind_consumer, NULL, NULL),
        PATH_TEST("/backend/ring/producer-too-far", test_producer_too_far,
                  setup, teardown),
        PATH_TEST("/backend/ring/producer-unaligned", test_producer_unaligned,
                  setup, teardown),
        PATH_TEST("/backend/ring/framing-error-discards-batch",
                  test_framing_error_discards_batch, setup, teardown),
        PATH_TEST("/backend/ring/unknown-type", test_unknown_type_skipped,
                  setup, teardown),
        PATH_TEST("/backend/ring/wrong-length", test_wrong_length, setup,
                  teardown),
        PATH_TEST("/backend/ring/header-flags-reserved",
                  test_header_flags_reserved, setup, teardown),
        PATH_TEST("/backend/ring/padding-nonzero", test_padding_nonzero, setup,
                  teardown),
        PATH_TEST("/backend/ring/error-report-fields",
                  test_error_report_fields, setup, teardown),
        PATH_TEST("/backend/ring/error-vector-once-per-batch",
                  test_error_vector_once_per_batch, setup, teardown),
        PATH_TEST("/backend/ring/vector-after-consumer",
                  test_vector_after_consumer, setup, teardown),
        PATH_TEST("/backend/ring/control-corrupt", test_control_corrupt, setup,
                  teardown),
        PATH_TEST("/backend/ring/control-magic-overwritten",
                  test_control_magic_overwritten, setup, teardown),
        PATH_TEST("/backend/ring/iteration-cap", test_iteration_cap, setup,
                  teardown),
        PATH_TEST("/backend/ring/attach-takes-indices",
                  test_attach_takes_indices, NULL, NULL),
        PATH_TEST("/backend/ring/attach-bad-indices", test_attach_bad_indices,
                  NULL, NULL),
        PATH_TEST("/backend/ring/attach-writes-display",
                  test_attach_writes_display, setup, teardown),
        PATH_TEST("/backend/ring/attach-refuses-corrupt-control",
                  test_attach_refuses_corrupt_control, NULL, NULL),
    };

    return cmocka_run_group_tests_name("backend-ring", tests, NULL, NULL);
}
