/* SPDX-License-Identifier: MIT */
/*
 * A device connection in this process, fed malformed, cut-short and
 * silent handshakes: each must close the connection and release every
 * descriptor and mapping it received (the ASan build also checks memory).
 */
#include "test-helpers.h"
#include "test-support.h"

#include <dirent.h>
#include <glib-unix.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "device-conn.h"

#define SHMEM_SIZE (4ull << 20)
#define TIMEOUT_MS 100

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
    guint fds_before;  /* open descriptors with sv[0] still ours */
    guint maps_before; /* mappings of the device's memfd */
} Fixture;

static guint count_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *e;
    guint n = 0;

    assert_non_null(dir);
    while ((e = readdir(dir)) != NULL) {
        n += e->d_name[0] != '.';
    }
    closedir(dir);
    return n - 1; /* the directory's own descriptor */
}

static guint count_memfd_maps(void)
{
    g_autofree gchar *maps = NULL;
    guint n = 0;

    assert_true(g_file_get_contents("/proc/self/maps", &maps, NULL, NULL));
    for (const char *p = maps; (p = strstr(p, "memfd:pvgpu-device")); p++) {
        n++;
    }
    return n;
}

static void on_closed(PvgpuDeviceConn *conn, gpointer data)
{
    Fixture *f = data;

    assert_ptr_equal(conn, f->conn);
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
        .memory_budget = 64ull << 20,
        .display_width = 640,
        .display_height = 480,
    };
    f->setup = (PvgpuDeviceConnSetup){
        .engine = &f->engine,
        .counters = &f->counters,
        .generation = &f->generation,
        .handshake_timeout_ms = TIMEOUT_MS,
        .log_limit = &f->log_limit,
        .closed = on_closed,
        .user_data = f,
    };
    *state = f;
    return 0;
}

/* Hands sv[0] to a new connection, noting what is open and mapped. */
static void start(Fixture *f)
{
    f->fds_before = count_fds();
    f->maps_before = count_memfd_maps();
    f->conn = pvgpu_device_conn_new(f->sv[0], &f->setup, "the test");
}

static int teardown(void **state)
{
    Fixture *f = *state;

    if (f->conn != NULL) {
        pvgpu_device_conn_free(f->conn);
    } else if (!f->closed) {
        close(f->sv[0]);
    }
    close(f->sv[1]);
    device_memory_clear(&f->dev);
    g_free(f);
    return 0;
}

static gboolean on_deadline(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

/* Runs the main loop until the connection closes or ms pass; returns
 * whether it closed. */
static gboolean run_until_closed(Fixture *f, guint ms)
{
    gboolean expired = FALSE;
    guint timer = g_timeout_add(ms, on_deadline, &expired);

    while (!f->closed && !expired) {
        g_main_context_iteration(NULL, TRUE);
    }
    if (!expired) {
        g_source_remove(timer);
    }
    return f->closed;
}

/* The connection closed and nothing it received is left open or mapped. */
static void assert_all_released(Fixture *f)
{
    assert_true(run_until_closed(f, TEST_DEADLINE_MS));
    assert_int_equal(count_fds(), f->fds_before - 1); /* sv[0] went too */
    assert_int_equal(count_memfd_maps(), f->maps_before);
}

/* Sends bytes with the memfd and the 5 eventfds, then closes our copies. */
static void send_with_session_fds(Fixture *f, const void *buf, gsize len)
{
    int fds[6] = { f->dev.memfd };

    for (guint i = 1; i < G_N_ELEMENTS(fds); i++) {
        fds[i] = eventfd(0, EFD_CLOEXEC);
        assert_true(fds[i] >= 0);
    }
    test_send_with_fds(f->sv[1], buf, len, fds, G_N_ELEMENTS(fds));
    for (guint i = 1; i < G_N_ELEMENTS(fds); i++) {
        close(fds[i]);
    }
}

static gsize encode_handshake(guint8 *buf, guint64 size)
{
    gsize len = 0;

    assert_int_equal(device_end_encode_handshake(buf, size, "",
                                                 PVGPU_FEATURE_SHMEM_FD |
                                                 PVGPU_FEATURE_EVENTFD, 6,
                                                 &len), PVGPU_CODEC_OK);
    return len;
}

static void test_bad_version(void **state)
{
    Fixture *f = *state;
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    gsize len = encode_handshake(buf, SHMEM_SIZE);
    struct pvgpu_msg msg = { 0 }; /* gcc cannot see that decode fills it */
    gsize used;

    start(f);
    assert_int_equal(pvgpu_ipc_decode(buf, len, &msg, &used),
                     PVGPU_CODEC_OK);
    msg.u.handshake.ext.version = 0x00070000;
    assert_int_equal(pvgpu_ipc_encode_handshake(buf, sizeof(buf), SHMEM_SIZE,
                                                "", &msg.u.handshake.ext,
                                                &len), PVGPU_CODEC_OK);
    send_with_session_fds(f, buf, len);
    assert_all_released(f);
    assert_int_equal(f->generation, 0);
}

static void test_size_mismatch(void **state)
{
    Fixture *f = *state;
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    gsize len = encode_handshake(buf, SHMEM_SIZE * 2);

    start(f);
    send_with_session_fds(f, buf, len);
    assert_all_released(f);
    assert_int_equal(f->generation, 0);
}

/* Descriptors came with the first bytes of a message, then EOF. */
static void test_eof_after_fds(void **state)
{
    Fixture *f = *state;
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];

    start(f);
    encode_handshake(buf, SHMEM_SIZE);
    send_with_session_fds(f, buf, 3);
    shutdown(f->sv[1], SHUT_WR);
    assert_all_released(f);
}

/* The same, but the peer stays: the timeout releases it all. */
static void test_silent_after_fds(void **state)
{
    Fixture *f = *state;
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    gint64 began = g_get_monotonic_time();

    start(f);
    encode_handshake(buf, SHMEM_SIZE);
    send_with_session_fds(f, buf, 3);
    assert_all_released(f);
    assert_true(g_get_monotonic_time() - began >= TIMEOUT_MS * 900);
}

static void test_too_many_fds(void **state)
{
    Fixture *f = *state;
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    gsize len = encode_handshake(buf, SHMEM_SIZE);
    int fds[DEVICE_END_MAX_FDS];

    start(f);
    for (guint i = 0; i < G_N_ELEMENTS(fds); i++) {
        fds[i] = eventfd(0, EFD_CLOEXEC);
    }
    test_send_with_fds(f->sv[1], buf, len, fds, G_N_ELEMENTS(fds));
    for (guint i = 0; i < G_N_ELEMENTS(fds); i++) {
        close(fds[i]);
    }
    assert_all_released(f);
}

/* A served session, then a second HANDSHAKE with its own descriptors:
 * both sets go, the first session's mapping too. */
static void test_second_handshake(void **state)
{
    Fixture *f = *state;
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    gsize len = encode_handshake(buf, SHMEM_SIZE);
    struct pvgpu_msg msg;

    start(f);
    send_with_session_fds(f, buf, len);
    while (f->generation == 0 && !f->closed) {
        g_main_context_iteration(NULL, TRUE);
    }
    assert_true(pvgpu_device_conn_is_ready(f->conn));
    assert_true(test_recv_msg(f->sv[1], &msg));
    assert_int_equal(msg.type, PVGPU_MSG_HANDSHAKE_ACK);
    assert_int_equal(count_memfd_maps(), f->maps_before + 1);
    send_with_session_fds(f, buf, len);
    assert_all_released(f);
}

/* A served session outlives the handshake timeout. */
static void test_served_session_has_no_timeout(void **state)
{
    Fixture *f = *state;
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    gsize len = encode_handshake(buf, SHMEM_SIZE);

    start(f);
    send_with_session_fds(f, buf, len);
    assert_false(run_until_closed(f, TIMEOUT_MS * 3));
    assert_true(pvgpu_device_conn_is_ready(f->conn));
    assert_int_equal(f->generation, 1);
}

/* Bytes trickling in never hold the loop: other sources keep running
 * between them, and the connection waits for the rest. */
static void test_trickle_does_not_block(void **state)
{
    Fixture *f = *state;
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    gsize len = encode_handshake(buf, SHMEM_SIZE);

    f->setup.handshake_timeout_ms = 0; /* no timeout to end it early */
    start(f);
    alarm(TEST_DEADLINE_MS / 1000);    /* a blocking read ends the test */
    for (gsize i = 0; i + 1 < len; i++) {
        assert_int_equal(write(f->sv[1], buf + i, 1), 1);
        assert_false(run_until_closed(f, 2));
    }
    alarm(0);
    assert_false(pvgpu_device_conn_is_ready(f->conn));
}

#define T(path, fn) PATH_TEST(path, fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T("/backend/conn-release/bad-version", test_bad_version),
        T("/backend/conn-release/size-mismatch", test_size_mismatch),
        T("/backend/conn-release/eof-after-fds", test_eof_after_fds),
        T("/backend/conn-release/silent-after-fds", test_silent_after_fds),
        T("/backend/conn-release/too-many-fds", test_too_many_fds),
        T("/backend/conn-release/second-handshake", test_second_handshake),
        T("/backend/conn-release/served-session-has-no-timeout",
          test_served_session_has_no_timeout),
        T("/backend/conn-release/trickle-does-not-block",
          test_trickle_does_not_block),
    };

    signal(SIGPIPE, SIG_IGN);
    /* the main context's own wake-up descriptor is made on first use */
    g_main_context_iteration(NULL, FALSE);
    return cmocka_run_group_tests_name("backend-conn-release", tests, NULL,
                                       NULL);
}
