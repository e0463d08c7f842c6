/* SPDX-License-Identifier: MIT */
/*
 * Resolution follows the viewer: a device connection in this process gets
 * DISPLAY_HINT and offers the size to the guest (display_width/height,
 * display_serial, vector DISPLAY); hints without the feature, before the
 * handshake or malformed close the connection, and hints over the memory
 * budget are ignored.
 */
#include "test-helpers.h"
#include "test-support.h"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control-region.h"
#include "device-conn.h"

#define SHMEM_SIZE (4ull << 20)
#define BUDGET (16ull << 20)
#define ALL_DISPLAY \
    (PVGPU_FEATURE_SHMEM_FD | PVGPU_FEATURE_DISPLAY | \
     PVGPU_FEATURE_DISPLAY_HINT)

typedef struct {
    int sv[2]; /* [0] the backend's end (the connection owns it) */
    DeviceMemory dev;
    PvgpuEngineConfig engine;
    PvgpuCounters counters;
    guint64 generation;
    PvgpuLogLimit log_limit;
    PvgpuDeviceConnSetup setup;
    PvgpuDeviceConn *conn;
    gboolean closed;
} Fixture;

static void on_closed(PvgpuDeviceConn *conn, gpointer data)
{
    Fixture *f = data;

    pvgpu_device_conn_free(conn);
    f->conn = NULL;
    f->closed = TRUE;
}

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
                                f->sv), 0);
    test_device_memory_init(&f->dev, SHMEM_SIZE);
    f->engine = (PvgpuEngineConfig){
        .memory_budget = BUDGET,
        .display_width = 1024,
        .display_height = 768,
    };
    f->setup = (PvgpuDeviceConnSetup){
        .engine = &f->engine,
        .counters = &f->counters,
        .generation = &f->generation,
        .log_limit = &f->log_limit,
        .closed = on_closed,
        .user_data = f,
    };
    f->conn = pvgpu_device_conn_new(f->sv[0], &f->setup, "the test");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;

    if (f->conn != NULL) {
        pvgpu_device_conn_free(f->conn);
    }
    close(f->sv[1]);
    device_memory_clear(&f->dev);
    g_free(f);
    return 0;
}

/* Lets the connection handle what was sent (the socket is local, so one
 * pass of the loop after the bytes are queued is enough; bounded). */
static void dispatch(void)
{
    for (int i = 0; i < 8; i++) {
        g_main_context_iteration(NULL, FALSE);
    }
}

/* HANDSHAKE offering features; returns what the backend acknowledged. */
static guint64 handshake(Fixture *f, guint64 features)
{
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    struct pvgpu_msg msg;
    gsize len = 0;

    assert_int_equal(device_end_encode_handshake(buf, SHMEM_SIZE, "",
                                                 features, 1, &len),
                     PVGPU_CODEC_OK);
    test_send_with_fds(f->sv[1], buf, len, &f->dev.memfd, 1);
    dispatch();
    assert_true(test_recv_msg(f->sv[1], &msg));
    assert_int_equal(msg.type, PVGPU_MSG_HANDSHAKE_ACK);
    return msg.u.ack.features;
}

static void send_raw_hint(Fixture *f, guint32 scanout, guint32 w, guint32 h,
                          guint32 reserved)
{
    struct pvgpu_display_hint hint = { scanout, w, h, reserved };
    guint8 buf[64];
    gsize len = 0;

    assert_int_equal(pvgpu_ipc_encode_display_hint(buf, sizeof(buf), &hint,
                                                   &len), PVGPU_CODEC_OK);
    test_send_with_fds(f->sv[1], buf, len, NULL, 0);
    dispatch();
}

static void send_hint(Fixture *f, guint32 w, guint32 h)
{
    send_raw_hint(f, 0, w, h, 0);
}

static guint32 serial(Fixture *f)
{
    return pvgpu_shared_load32(&f->dev.ctrl->display_serial);
}

static void assert_mode(Fixture *f, guint32 w, guint32 h)
{
    assert_int_equal(pvgpu_shared_load32(&f->dev.ctrl->display_width), w);
    assert_int_equal(pvgpu_shared_load32(&f->dev.ctrl->display_height), h);
}

/* The next message is IRQ for vector DISPLAY. */
static void expect_display_irq(Fixture *f)
{
    struct pvgpu_msg msg;

    assert_true(test_recv_msg(f->sv[1], &msg));
    assert_int_equal(msg.type, PVGPU_MSG_IRQ);
    assert_int_equal(msg.u.irq.vector, PVGPU_VECTOR_DISPLAY);
}

static void assert_nothing_sent(Fixture *f)
{
    assert_false(test_readable_before(f->sv[1],
                                      g_get_monotonic_time() + 50000));
}

static void assert_closed(Fixture *f)
{
    char c;

    assert_true(f->closed);
    /* SHUTDOWN or EOF: never an answer to the hint */
    while (read(f->sv[1], &c, 1) > 0) {
    }
}

static void test_hint_becomes_preferred_mode(void **state)
{
    Fixture *f = *state;
    guint32 before;

    assert_true(handshake(f, ALL_DISPLAY) & PVGPU_FEATURE_DISPLAY_HINT);
    assert_mode(f, 1024, 768);
    before = serial(f);
    send_hint(f, 800, 600);
    assert_mode(f, 800, 600);
    assert_int_equal(serial(f), before + 1);
    expect_display_irq(f);

    /* the same size again changes nothing and raises nothing */
    send_hint(f, 800, 600);
    assert_int_equal(serial(f), before + 1);
    assert_nothing_sent(f);

    send_hint(f, 1280, 1024);
    assert_mode(f, 1280, 1024);
    assert_int_equal(serial(f), before + 2);
    expect_display_irq(f);
    assert_false(f->closed);
}

static void test_hint_over_budget_ignored(void **state)
{
    Fixture *f = *state;
    guint32 before;

    handshake(f, ALL_DISPLAY);
    before = serial(f);
    /* 2 x 2048 x 2048 x 4 = 32 MiB > 16 MiB */
    send_hint(f, 2048, 2048);
    assert_false(f->closed);
    assert_mode(f, 1024, 768);
    assert_int_equal(serial(f), before);
    assert_nothing_sent(f);
    send_hint(f, 640, 480);
    assert_mode(f, 640, 480);
    expect_display_irq(f);
}

static void test_hint_needs_display(void **state)
{
    Fixture *f = *state;

    /* display-hint alone means nothing: it is acknowledged with DISPLAY */
    assert_false(handshake(f, PVGPU_FEATURE_SHMEM_FD |
                              PVGPU_FEATURE_DISPLAY_HINT) &
                 PVGPU_FEATURE_DISPLAY_HINT);
    send_hint(f, 800, 600);
    assert_closed(f);
    assert_mode(f, 1024, 768);
}

static void test_hint_without_feature_closes(void **state)
{
    Fixture *f = *state;

    assert_false(handshake(f, PVGPU_FEATURE_SHMEM_FD |
                              PVGPU_FEATURE_DISPLAY) &
                 PVGPU_FEATURE_DISPLAY_HINT);
    send_hint(f, 800, 600);
    assert_closed(f);
    assert_mode(f, 1024, 768);
}

static void test_hint_before_handshake_closes(void **state)
{
    Fixture *f = *state;

    send_hint(f, 800, 600);
    assert_closed(f);
}

static void test_malformed_hints_close(void **state)
{
    static const struct pvgpu_display_hint bad[] = {
        { 0, 0, 600, 0 },
        { 0, 800, 0, 0 },
        { 0, PVGPU_MAX_DIMENSION + 1, 600, 0 },
        { 0, 800, 0xffffffffu, 0 },
        { PVGPU_MAX_SCANOUTS, 800, 600, 0 },
        { 0, 800, 600, 1 },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        Fixture *f;

        setup(state);
        f = *state;
        handshake(f, ALL_DISPLAY);
        send_raw_hint(f, bad[i].scanout_id, bad[i].width, bad[i].height,
                      bad[i].reserved);
        if (!f->closed) {
            fail_msg("hint %zu (%u, %ux%u, %u) was accepted", i,
                     bad[i].scanout_id, bad[i].width, bad[i].height,
                     bad[i].reserved);
        }
        assert_mode(f, 1024, 768);
        teardown(state);
    }
    setup(state); /* for the teardown cmocka runs */
}

/* A new engine (a backend restart) whose preferred mode differs from the
 * one the guest saw bumps the serial, so the guest re-probes. */
static void test_new_backend_mode_bumps_serial(void **state)
{
    Fixture *f = *state;
    guint32 before;

    handshake(f, ALL_DISPLAY);
    before = serial(f);
    pvgpu_device_conn_free(f->conn);
    close(f->sv[1]);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
                                f->sv), 0);
    f->engine.display_width = 1920;
    f->engine.display_height = 1080;
    f->conn = pvgpu_device_conn_new(f->sv[0], &f->setup, "the test");
    handshake(f, ALL_DISPLAY);
    assert_mode(f, 1920, 1080);
    assert_int_equal(serial(f), before + 1);
}

#define T(path, fn) PATH_TEST(path, fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T("/backend/display-hint/becomes-preferred-mode",
          test_hint_becomes_preferred_mode),
        T("/backend/display-hint/over-budget-ignored",
          test_hint_over_budget_ignored),
        T("/backend/display-hint/needs-display", test_hint_needs_display),
        T("/backend/display-hint/without-feature-closes",
          test_hint_without_feature_closes),
        T("/backend/display-hint/before-handshake-closes",
          test_hint_before_handshake_closes),
        T("/backend/display-hint/malformed-close", test_malformed_hints_close),
        T("/backend/display-hint/new-backend-mode-bumps-serial",
          test_new_backend_mode_bumps_serial),
    };

    signal(SIGPIPE, SIG_IGN);
    g_main_context_iteration(NULL, FALSE);
    return cmocka_run_group_tests_name("backend-display-hint", tests, NULL,
                                       NULL);
}
