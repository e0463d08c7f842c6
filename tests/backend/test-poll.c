/* SPDX-License-Identifier: MIT */
/*
 * Polling after work (--poll-us): commands published without a doorbell
 * shortly after a batch run, in the engine alone and through the whole
 * backend serving a device on a socket.
 */
#include "test-helpers.h"
#include "test-support.h"

#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "control-region.h"
#include "fake-device.h"
#include "options.h"

/* ---- the engine alone --------------------------------------------------- */

/* What the guest does when it takes the FENCE interrupt, once. */
typedef enum {
    LATE_NONE,
    LATE_FENCE,        /* publishes FENCE 2 with IRQ */
    LATE_NOPS,         /* publishes three NOPs */
    LATE_OLD_FENCE,    /* publishes FENCE 1 again: refused, FENCE_ORDER */
    LATE_CORRUPT,      /* alters the layout block and publishes a producer
                        * out of range */
} LateAction;

typedef struct {
    FakeDevice *d;
    LateAction late;
    guint raised[PVGPU_NUM_VECTORS];
} EngineFixture;

static void publish_late(EngineFixture *f)
{
    FakeDevice *d = f->d;

    switch (f->late) {
    case LATE_NONE:
        return;
    case LATE_FENCE:
        fake_fence(d, 2, PVGPU_FENCE_FLAG_IRQ);
        break;
    case LATE_NOPS:
        fake_nop(d);
        fake_nop(d);
        fake_nop(d);
        break;
    case LATE_OLD_FENCE:
        fake_fence(d, 1, 0);
        break;
    case LATE_CORRUPT:
        f->late = LATE_NONE;
        d->ctrl->ring_size ^= 1;
        pvgpu_shared_store_release64(&d->ctrl->producer,
                                     d->ctrl->consumer + d->layout.ring_size +
                                     16);
        return;
    }
    pvgpu_ring_writer_publish(&d->writer);
    f->late = LATE_NONE;
}

static void on_raise(guint vector, gpointer data)
{
    EngineFixture *f = data;

    f->raised[vector]++;
    if (vector == PVGPU_VECTOR_FENCE) {
        publish_late(f);
    }
}

static EngineFixture *engine_fixture(guint32 poll_us, LateAction late)
{
    EngineFixture *f = g_new0(EngineFixture, 1);
    PvgpuEngineConfig config = {
        .memory_budget = FAKE_BUDGET,
        .display_width = PVGPU_DEFAULT_DISPLAY_WIDTH,
        .display_height = PVGPU_DEFAULT_DISPLAY_HEIGHT,
        .poll_us = poll_us,
    };
    GError *error = NULL;

    f->d = fake_device_new_detached();
    f->d->engine = pvgpu_engine_new(f->d->mem, &f->d->layout, &config,
                                    &f->d->counters, on_raise, f, &error);
    g_assert_no_error(error);
    pvgpu_ring_writer_init(&f->d->writer, f->d->mem, &f->d->layout);
    f->late = late;
    return f;
}

static void engine_fixture_free(EngineFixture *f)
{
    fake_device_free(f->d);
    g_free(f);
}

/* Publishes FENCE 1 with IRQ: the doorbell'd batch. */
static void publish_first_fence(EngineFixture *f)
{
    fake_fence(f->d, 1, PVGPU_FENCE_FLAG_IRQ);
    pvgpu_ring_writer_publish(&f->d->writer);
}

/* Calls the engine until it is idle, as the main loop's resume does. */
static void drain(EngineFixture *f)
{
    while (pvgpu_engine_process(f->d->engine, PVGPU_ENGINE_BATCH_LIMIT) ==
           PVGPU_ENGINE_MORE) {
    }
}

static void test_engine_poll_consumes(void **state)
{
    EngineFixture *f = engine_fixture(PVGPU_MAX_POLL_US, LATE_FENCE);

    (void)state;
    publish_first_fence(f);
    /* one call: FENCE 2 was published while FENCE 1's interrupt ran */
    pvgpu_engine_process(f->d->engine, PVGPU_ENGINE_BATCH_LIMIT);
    assert_int_equal(f->d->ctrl->fence_completed, 2);
    assert_int_equal(f->d->ctrl->consumer, f->d->ctrl->producer);
    assert_int_equal(f->raised[PVGPU_VECTOR_FENCE], 2);
    assert_int_equal(pvgpu_engine_get_polled_batches(f->d->engine), 1);
    drain(f);
    assert_int_equal(f->d->counters.errors, 0);
    engine_fixture_free(f);
}

static void test_engine_no_poll_waits(void **state)
{
    EngineFixture *f = engine_fixture(0, LATE_FENCE);

    (void)state;
    publish_first_fence(f);
    assert_int_equal(pvgpu_engine_process(f->d->engine,
                                          PVGPU_ENGINE_BATCH_LIMIT),
                     PVGPU_ENGINE_IDLE);
    assert_int_equal(f->d->ctrl->fence_completed, 1);
    assert_true(f->d->ctrl->consumer < f->d->ctrl->producer);
    assert_int_equal(pvgpu_engine_get_polled_batches(f->d->engine), 0);
    /* the next doorbell */
    assert_int_equal(pvgpu_engine_process(f->d->engine,
                                          PVGPU_ENGINE_BATCH_LIMIT),
                     PVGPU_ENGINE_IDLE);
    assert_int_equal(f->d->ctrl->fence_completed, 2);
    assert_int_equal(f->d->ctrl->consumer, f->d->ctrl->producer);
    engine_fixture_free(f);
}

static void test_engine_poll_command_limit(void **state)
{
    EngineFixture *f = engine_fixture(PVGPU_MAX_POLL_US, LATE_NOPS);

    (void)state;
    publish_first_fence(f);
    /* FENCE 1 and one NOP fill the limit of 2; the call stops there */
    assert_int_equal(pvgpu_engine_process(f->d->engine, 2),
                     PVGPU_ENGINE_MORE);
    assert_int_equal(f->d->counters.commands, 2);
    assert_true(f->d->ctrl->consumer < f->d->ctrl->producer);
    drain(f);
    assert_int_equal(f->d->counters.commands, 4);
    assert_int_equal(f->d->ctrl->consumer, f->d->ctrl->producer);
    engine_fixture_free(f);
}

static void test_engine_poll_window_closes(void **state)
{
    EngineFixture *f = engine_fixture(1000, LATE_NONE);
    PvgpuEngineStatus status;

    (void)state;
    publish_first_fence(f);
    /* nothing more comes: the calls end, the last one idle */
    do {
        status = pvgpu_engine_process(f->d->engine, PVGPU_ENGINE_BATCH_LIMIT);
    } while (status == PVGPU_ENGINE_MORE);
    assert_int_equal(status, PVGPU_ENGINE_IDLE);
    assert_int_equal(f->d->ctrl->fence_completed, 1);
    assert_int_equal(pvgpu_engine_get_polled_batches(f->d->engine), 0);
    engine_fixture_free(f);
}

static void test_engine_poll_error_raised_once(void **state)
{
    EngineFixture *f = engine_fixture(PVGPU_MAX_POLL_US, LATE_OLD_FENCE);

    (void)state;
    publish_first_fence(f);
    drain(f);
    assert_int_equal(f->d->ctrl->consumer, f->d->ctrl->producer);
    assert_int_equal(f->d->ctrl->error_code, PVGPU_ERROR_FENCE_ORDER);
    assert_int_equal(f->d->ctrl->error_count, 1);
    assert_int_equal(f->raised[PVGPU_VECTOR_ERROR], 1);
    assert_int_equal(pvgpu_engine_get_polled_batches(f->d->engine), 1);
    engine_fixture_free(f);
}

/* A broken control region is reported once per producer the guest writes,
 * not once per pass of the polling loop. */
static void test_engine_poll_corrupt_reported_once(void **state)
{
    EngineFixture *f = engine_fixture(PVGPU_MAX_POLL_US, LATE_CORRUPT);

    (void)state;
    publish_first_fence(f);
    drain(f);
    assert_int_equal(f->d->ctrl->error_code, PVGPU_ERROR_CONTROL_CORRUPT);
    assert_int_equal(f->d->ctrl->error_count, 1);
    assert_int_equal(f->d->counters.errors, 1);
    assert_int_equal(f->raised[PVGPU_VECTOR_ERROR], 1);
    engine_fixture_free(f);
}

/* ---- the whole backend, serving a device on a socket --------------------- */

#define SHMEM_SIZE (4ull << 20)

typedef struct {
    PvgpuOptions opts;
    GThread *thread;
    int sock;          /* the device's end */
    DeviceMemory dev;
    guint64 fence;
} Served;

static gpointer backend_main(gpointer data)
{
    Served *s = data;

    return GINT_TO_POINTER(pvgpu_backend_run(&s->opts));
}

static void expect_fence_irq(Served *s)
{
    struct pvgpu_msg msg;

    assert_true(test_recv_msg(s->sock, &msg));
    assert_int_equal(msg.type, PVGPU_MSG_IRQ);
    assert_int_equal(msg.u.irq.vector, PVGPU_VECTOR_FENCE);
}

/* Publishes the next fence, with IRQ; returns its id. */
static guint64 publish_fence(Served *s)
{
    struct pvgpu_cmd_fence c = { .hdr.type = PVGPU_CMD_FENCE,
                                 .fence_id = ++s->fence,
                                 .flags = PVGPU_FENCE_FLAG_IRQ };

    assert_true(pvgpu_ring_writer_push(&s->dev.writer, &c.hdr, sizeof(c)) !=
                G_MAXUINT64);
    pvgpu_ring_writer_publish(&s->dev.writer);
    return s->fence;
}

static guint64 fence_completed(Served *s)
{
    return pvgpu_shared_load_acquire64(&s->dev.ctrl->fence_completed);
}

/* Starts the backend on one end of a socketpair with extra_arg, hands it
 * a device's memory and waits for FENCE 1, which needs no doorbell. */
static Served *serve(const char *extra_arg)
{
    Served *s = g_new0(Served, 1);
    g_autofree gchar *fd_arg = NULL;
    GError *error = NULL;
    struct pvgpu_msg msg;
    char **argv;
    int argc;
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    s->sock = sv[1];
    fd_arg = g_strdup_printf("--fd=%d", sv[0]);
    {
        const char *args[] = { "pvgpu-backend", fd_arg, extra_arg, NULL };

        argv = g_strdupv((char **)args);
    }
    argc = (int)g_strv_length(argv);
    {
        /* the parser rearranges argv: free the strings through a copy */
        char **orig = g_memdup2(argv, sizeof(char *) * (argc + 1));

        assert_true(pvgpu_options_parse(&argc, &argv, &s->opts, &error));
        g_assert_no_error(error);
        g_strfreev(orig);
        g_free(argv);
    }

    test_device_memory_init(&s->dev, SHMEM_SIZE);

    /* queued before the handshake, it runs right after the ACK: a fence
     * completed without any doorbell being sent, so that none is left
     * unread for the tests to stumble on */
    publish_fence(s);

    s->thread = g_thread_new("backend", backend_main, s);
    test_send_handshake(s->sock, SHMEM_SIZE, s->dev.memfd, NULL);
    assert_true(test_recv_msg(s->sock, &msg));
    assert_int_equal(msg.type, PVGPU_MSG_HANDSHAKE_ACK);
    expect_fence_irq(s);
    assert_int_equal(fence_completed(s), 1);
    return s;
}

/* The device goes away; the backend of a connected --fd exits 0. */
static void unserve(Served *s)
{
    close(s->sock);
    assert_int_equal(GPOINTER_TO_INT(g_thread_join(s->thread)),
                     PVGPU_EXIT_OK);
    pvgpu_options_clear(&s->opts);
    device_memory_clear(&s->dev);
    g_free(s);
}

/* How long a fence published without a doorbell gets before the attempt
 * counts as missed; far beyond the 10 ms window. */
#define MISS_MS 2000
#define ATTEMPTS 5

static void test_backend_poll_consumes(void **state)
{
    Served *s = serve("--poll-us=10000");
    gboolean consumed = FALSE;

    (void)state;
    /* the guest answers the interrupt at once, but a loaded machine may
     * delay it past the window now and then: a few attempts */
    for (guint attempt = 0; attempt < ATTEMPTS && !consumed; attempt++) {
        guint64 late;
        gint64 until;

        publish_fence(s);
        test_send_empty(s->sock, PVGPU_MSG_DOORBELL);
        expect_fence_irq(s);
        late = publish_fence(s);
        until = g_get_monotonic_time() + MISS_MS * G_TIME_SPAN_MILLISECOND;
        while (fence_completed(s) < late &&
               g_get_monotonic_time() < until) {
            g_usleep(100);
        }
        consumed = fence_completed(s) == late;
        if (!consumed) {
            test_send_empty(s->sock, PVGPU_MSG_DOORBELL);
        }
        expect_fence_irq(s);
        assert_int_equal(fence_completed(s), late);
    }
    assert_true(consumed);
    unserve(s);
}

static void test_backend_no_poll_waits_for_doorbell(void **state)
{
    Served *s = serve("--poll-us=0");
    guint64 first, late;

    (void)state;
    first = publish_fence(s);
    test_send_empty(s->sock, PVGPU_MSG_DOORBELL);
    expect_fence_irq(s);
    late = publish_fence(s);
    /* nothing runs the ring without a doorbell: no IRQ, no progress */
    assert_false(test_readable_before(s->sock, g_get_monotonic_time() +
                                              300 * G_TIME_SPAN_MILLISECOND));
    assert_int_equal(fence_completed(s), first);
    test_send_empty(s->sock, PVGPU_MSG_DOORBELL);
    expect_fence_irq(s);
    assert_int_equal(fence_completed(s), late);
    unserve(s);
}

#define E(path, fn) PATH_TEST(path, fn, NULL, NULL)

int main(void)
{
    const struct CMUnitTest tests[] = {
        E("/backend/poll/engine/consumes-without-doorbell",
          test_engine_poll_consumes),
        E("/backend/poll/engine/off-waits-for-call", test_engine_no_poll_waits),
        E("/backend/poll/engine/command-limit", test_engine_poll_command_limit),
        E("/backend/poll/engine/window-closes", test_engine_poll_window_closes),
        E("/backend/poll/engine/error-raised-once",
          test_engine_poll_error_raised_once),
        E("/backend/poll/engine/corrupt-reported-once",
          test_engine_poll_corrupt_reported_once),
        E("/backend/poll/served/consumes-without-doorbell",
          test_backend_poll_consumes),
        E("/backend/poll/served/off-waits-for-doorbell",
          test_backend_no_poll_waits_for_doorbell),
    };

    return cmocka_run_group_tests_name("backend-poll", tests, NULL, NULL);
}
