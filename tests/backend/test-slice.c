/* SPDX-License-Identifier: MIT */
/*
 * Work per call of the engine is bounded by cost, not only by commands: a
 * ring full of large copies yields to the main loop often enough that the
 * real backend answers SIGTERM and the control socket at once, with and
 * without --poll-us; a polling guest that keeps the engine busy without
 * running commands cannot hold it either.
 */
#include "test-helpers.h"
#include "test-support.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control-region.h"
#include "fake-device.h"
#include "options.h"

#define BGRA PVGPU_FORMAT_B8G8R8A8_UNORM
/* Large enough that a ring of copies is minutes of work, small enough
 * that two fit a 64 MiB budget. */
#define SIDE 2048u
#define COPY_BYTES (2ull * SIDE * SIDE * 4)
/* What the tests allow for an answer: far above the slice (10 ms), far
 * below what a ring of copies takes. */
#define ANSWER_BOUND_MS 1000

static struct pvgpu_cmd_copy_rect copy_cmd(guint32 src, guint32 dst)
{
    return (struct pvgpu_cmd_copy_rect){
        .hdr.type = PVGPU_CMD_COPY_RECT, .src_resource_id = src,
        .dst_resource_id = dst, .src = { 0, 0, SIDE, SIDE },
    };
}

/* ---- the engine alone --------------------------------------------------- */

static void test_slice_bounded_by_bytes(void **state)
{
    FakeDevice *d = fake_device_new(FAKE_BUDGET);
    guint64 start, ran;

    (void)state;
    fake_create(d, 1, BGRA, SIDE, SIDE);
    fake_create(d, 2, BGRA, SIDE, SIDE);
    fake_device_run(d);
    start = d->counters.commands;
    for (guint i = 0; i < 32; i++) {
        fake_copy(d, 1, 2, (struct pvgpu_rect){ 0, 0, SIDE, SIDE }, 0, 0);
    }
    pvgpu_ring_writer_publish(&d->writer);
    assert_int_equal(pvgpu_engine_process(d->engine, PVGPU_ENGINE_BATCH_LIMIT),
                     PVGPU_ENGINE_MORE);
    ran = d->counters.commands - start;
    /* commands run in pieces: the slice may end inside the first one */
    assert_true(ran <= PVGPU_ENGINE_SLICE_BYTES / COPY_BYTES + 1);
    /* the next calls go on where it stopped */
    fake_device_run(d);
    assert_int_equal(d->counters.commands - start, 32);
    assert_int_equal(d->ctrl->consumer, d->writer.producer);
    assert_int_equal(d->counters.errors, 0);
    fake_device_free(d);
}

/* One command larger than a whole slice runs in pieces over several
 * calls, the consumer staying on it until it is done, with the pixels
 * of one call. */
static void test_one_large_command_in_pieces(void **state)
{
    const guint32 w = 4096, h = 8192; /* 128 MiB: twice the slice's bytes */
    FakeDevice *d = fake_device_new(256ull << 20);
    guint64 start, consumer;

    (void)state;
    fake_create(d, 1, BGRA, w, h);
    fake_device_run(d);
    start = d->counters.commands;
    consumer = d->ctrl->consumer;
    fake_fill(d, 1, 0xff336699, 0, 0, w, h);
    pvgpu_ring_writer_publish(&d->writer);
    assert_int_equal(pvgpu_engine_process(d->engine, PVGPU_ENGINE_BATCH_LIMIT),
                     PVGPU_ENGINE_MORE);
    assert_int_equal(d->counters.commands, start);
    assert_int_equal(d->ctrl->consumer, consumer);
    /* 64 MiB a call at most: the rest in one or more further calls */
    while (pvgpu_engine_process(d->engine, PVGPU_ENGINE_BATCH_LIMIT) ==
           PVGPU_ENGINE_MORE) {
    }
    assert_int_equal(d->counters.commands, start + 1);
    assert_int_equal(d->ctrl->consumer, d->writer.producer);
    assert_int_equal(d->counters.errors, 0);
    assert_int_equal(fake_pixel(d, 1, 0, 0), 0xff336699);
    assert_int_equal(fake_pixel(d, 1, w - 1, h / 2), 0xff336699);
    assert_int_equal(fake_pixel(d, 1, w - 1, h - 1), 0xff336699);
    fake_device_free(d);
}

/* A copy down within one resource, in several pieces, reads every source
 * row before it is overwritten (bottom-up, piece by piece). */
static void test_overlapping_copy_in_pieces(void **state)
{
    const guint32 w = 1024, h = 4096, shift = 1000, stripe = 8;
    FakeDevice *d = fake_device_new(FAKE_BUDGET);

    (void)state;
    fake_create(d, 1, BGRA, w, h);
    for (guint32 y = 0; y < h; y += stripe) {
        fake_fill(d, 1, 0xff000000u | y, 0, y, w, stripe);
        if (y % 1024 == 0) {
            pvgpu_ring_writer_publish(&d->writer);
            fake_device_run(d);
        }
    }
    fake_copy(d, 1, 1, (struct pvgpu_rect){ 0, 0, w, h - shift }, 0, shift);
    pvgpu_ring_writer_publish(&d->writer);
    fake_device_run(d);
    assert_int_equal(d->counters.errors, 0);
    for (guint32 n = 0; n < h - shift; n += 97) {
        guint32 want = 0xff000000u | (n / stripe * stripe);
        assert_int_equal(fake_pixel(d, 1, n % w, shift + n), want);
    }
    assert_int_equal(fake_pixel(d, 1, 5, shift - 1),
                     0xff000000u | ((shift - 1) / stripe * stripe));
    fake_device_free(d);
}

/* A guest that answers every ERROR interrupt with another producer out of
 * range: each is a batch that runs no command. */
typedef struct {
    FakeDevice *d;
    guint discards;
    guint most;
} DiscardChain;

#define DISCARD_CHAIN_MOST 200000u

static void bad_producer(DiscardChain *c)
{
    FakeDevice *d = c->d;

    pvgpu_shared_store_release64(&d->ctrl->producer,
                                 d->ctrl->consumer + d->layout.ring_size +
                                 16);
}

static void on_raise_discard(guint vector, gpointer data)
{
    DiscardChain *c = data;

    /* the FENCE that opened the polling window starts the chain */
    if ((vector == PVGPU_VECTOR_ERROR || vector == PVGPU_VECTOR_FENCE) &&
        c->discards < c->most) {
        c->discards++;
        bad_producer(c);
    }
}

static void test_poll_ends_with_discards(void **state)
{
    PvgpuEngineConfig config = {
        .memory_budget = FAKE_BUDGET,
        .display_width = PVGPU_DEFAULT_DISPLAY_WIDTH,
        .display_height = PVGPU_DEFAULT_DISPLAY_HEIGHT,
        .poll_us = 1000,
    };
    DiscardChain c = { .most = DISCARD_CHAIN_MOST };
    GError *error = NULL;

    (void)state;
    c.d = fake_device_new_detached();
    c.d->engine = pvgpu_engine_new(c.d->mem, &c.d->layout, &config,
                                   &c.d->counters, on_raise_discard, &c,
                                   &error);
    g_assert_no_error(error);
    pvgpu_ring_writer_init(&c.d->writer, c.d->mem, &c.d->layout);
    /* one command opens the polling window */
    fake_fence(c.d, 1, PVGPU_FENCE_FLAG_IRQ);
    pvgpu_ring_writer_publish(&c.d->writer);
    pvgpu_engine_process(c.d->engine, PVGPU_ENGINE_BATCH_LIMIT);
    /* a slice is 1 ms of polling: the chain would go on for seconds */
    if (c.discards >= c.most) {
        fail_msg("one call ran all %u discarded batches", c.discards);
    }
    fake_device_free(c.d);
}

/* ---- the real backend --------------------------------------------------- */

#define SHMEM_SIZE (4ull << 20)

typedef struct {
    gchar *dir;
    gchar *sock_path;
    gchar *ctl;
    gchar *notify;
    int notify_fd;
    GPid pid;
    int sock;
    DeviceMemory dev;
} Fixture;

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->dir = g_dir_make_tmp("pvgpu-slice-XXXXXX", NULL);
    assert_non_null(f->dir);
    f->sock_path = g_build_filename(f->dir, "backend.sock", NULL);
    f->ctl = g_build_filename(f->dir, "control.sock", NULL);
    f->notify = g_build_filename(f->dir, "notify.sock", NULL);
    f->notify_fd = test_notify_socket(f->notify);
    f->sock = -1;
    test_device_memory_init(&f->dev, SHMEM_SIZE);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;

    test_kill_backend(f->pid);
    if (f->sock >= 0) {
        close(f->sock);
    }
    device_memory_clear(&f->dev);
    close(f->notify_fd);
    test_remove_tree(f->dir);
    g_free(f->dir);
    g_free(f->sock_path);
    g_free(f->ctl);
    g_free(f->notify);
    g_free(f);
    return 0;
}

static int connect_to(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_true(strlen(path) < sizeof(addr.sun_path));
    strcpy(addr.sun_path, path);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fail_msg("connect %s: %s", path, g_strerror(errno));
    }
    return fd;
}

/* Starts $PVGPU_BACKEND with a 64 MiB budget and poll_us, waits for its
 * READY=1, and connects as the device. */
static void start_and_connect(Fixture *f, guint32 poll_us)
{
    g_autofree gchar *a1 = g_strdup_printf("--socket-path=%s", f->sock_path);
    g_autofree gchar *a2 = g_strdup_printf("--control-socket=%s", f->ctl);
    g_autofree gchar *a3 = g_strdup_printf("--poll-us=%u", poll_us);
    const char *backend = g_getenv("PVGPU_BACKEND");
    const char *argv[] = { backend, a1, a2, a3, "--memory-budget=64M", NULL };
    g_auto(GStrv) env = g_environ_setenv(g_get_environ(), "NOTIFY_SOCKET",
                                         f->notify, TRUE);
    g_autoptr(GError) error = NULL;
    char buf[64] = { 0 };
    struct pvgpu_msg msg;

    assert_non_null(backend);
    if (!g_spawn_async(NULL, (gchar **)argv, env,
                       G_SPAWN_DO_NOT_REAP_CHILD |
                       G_SPAWN_STDIN_FROM_DEV_NULL,
                       NULL, NULL, &f->pid, &error)) {
        fail_msg("cannot start %s: %s", backend, error->message);
    }
    test_wait_readable(f->notify_fd, test_deadline());
    assert_true(recv(f->notify_fd, buf, sizeof(buf) - 1, 0) > 0);
    assert_string_equal(buf, "READY=1");
    f->sock = connect_to(f->sock_path);
    test_send_handshake(f->sock, SHMEM_SIZE, f->dev.memfd, NULL);
    assert_true(test_recv_msg(f->sock, &msg));
    assert_int_equal(msg.type, PVGPU_MSG_HANDSHAKE_ACK);
}

static void push(Fixture *f, struct pvgpu_cmd_hdr *hdr, guint32 size)
{
    assert_true(pvgpu_ring_writer_push(&f->dev.writer, hdr, size) !=
                G_MAXUINT64);
}

/* Two SIDE x SIDE resources, then a ring full of copies between them;
 * returns once the backend is busy with them. */
static void make_busy(Fixture *f)
{
    struct pvgpu_cmd_resource_create_2d create = {
        .hdr.type = PVGPU_CMD_RESOURCE_CREATE_2D, .format = BGRA,
        .width = SIDE, .height = SIDE,
    };
    struct pvgpu_cmd_copy_rect copy = copy_cmd(1, 2);
    gint64 until = test_deadline();
    guint64 first_copy;

    create.resource_id = 1;
    push(f, &create.hdr, sizeof(create));
    create.hdr.id = 0;
    create.hdr.size = 0;
    create.resource_id = 2;
    push(f, &create.hdr, sizeof(create));
    first_copy = f->dev.writer.producer;
    while (pvgpu_ring_writer_push(&f->dev.writer, &copy.hdr, sizeof(copy)) !=
           G_MAXUINT64) {
        copy = copy_cmd(1, 2);
    }
    pvgpu_ring_writer_publish(&f->dev.writer);
    test_send_empty(f->sock, PVGPU_MSG_DOORBELL);
    while (pvgpu_shared_load_acquire64(&f->dev.ctrl->consumer) <=
           first_copy) {
        assert_true(g_get_monotonic_time() < until);
        g_usleep(1000);
    }
    assert_int_equal(f->dev.ctrl->error_count, 0);
}

static gint64 ms_since(gint64 start)
{
    return (g_get_monotonic_time() - start) / G_TIME_SPAN_MILLISECOND;
}

static void assert_sigterm_answered(Fixture *f)
{
    gint64 start = g_get_monotonic_time();
    int status = 0;

    assert_int_equal(kill(f->pid, SIGTERM), 0);
    while (waitpid(f->pid, &status, WNOHANG) == 0) {
        if (ms_since(start) > ANSWER_BOUND_MS) {
            fail_msg("the backend did not exit within %d ms of SIGTERM "
                     "while its ring was busy", ANSWER_BOUND_MS);
        }
        g_usleep(1000);
    }
    f->pid = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void assert_status_answered(Fixture *f)
{
    static const char request[] = "{\"command\":\"status\"}\n";
    gint64 start = g_get_monotonic_time();
    gint64 until = start + ANSWER_BOUND_MS * G_TIME_SPAN_MILLISECOND;
    g_autoptr(GString) reply = g_string_new(NULL);
    int ctl = connect_to(f->ctl);
    char c = 0;

    assert_int_equal(write(ctl, request, strlen(request)),
                     (ssize_t)strlen(request));
    while (c != '\n') {
        if (!test_readable_before(ctl, until)) {
            fail_msg("no status reply within %d ms while the ring was busy",
                     ANSWER_BOUND_MS);
        }
        assert_int_equal(read(ctl, &c, 1), 1);
        g_string_append_c(reply, c);
    }
    close(ctl);
    assert_true(g_str_has_prefix(reply->str, "{\"ok\":true"));
    /* answered in between, not after the work */
    assert_true(pvgpu_shared_load_acquire64(&f->dev.ctrl->consumer) !=
                f->dev.writer.producer);
}

static void test_sigterm_while_busy(void **state)
{
    Fixture *f = *state;

    start_and_connect(f, 0);
    make_busy(f);
    assert_sigterm_answered(f);
}

static void test_status_while_busy(void **state)
{
    Fixture *f = *state;

    start_and_connect(f, 0);
    make_busy(f);
    assert_status_answered(f);
    assert_status_answered(f);
}

static void test_sigterm_while_busy_polling(void **state)
{
    Fixture *f = *state;

    start_and_connect(f, PVGPU_MAX_POLL_US);
    make_busy(f);
    assert_sigterm_answered(f);
}

static void test_status_while_busy_polling(void **state)
{
    Fixture *f = *state;

    start_and_connect(f, PVGPU_MAX_POLL_US);
    make_busy(f);
    assert_status_answered(f);
    assert_status_answered(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PATH_TEST("/backend/slice/bounded-by-bytes",
                  test_slice_bounded_by_bytes, NULL, NULL),
        PATH_TEST("/backend/slice/one-large-command-in-pieces",
                  test_one_large_command_in_pieces, NULL, NULL),
        PATH_TEST("/backend/slice/overlapping-copy-in-pieces",
                  test_overlapping_copy_in_pieces, NULL, NULL),
        PATH_TEST("/backend/slice/poll-ends-with-discards",
                  test_poll_ends_with_discards, NULL, NULL),
        PATH_TEST("/backend/slice/sigterm-while-busy",
                  test_sigterm_while_busy, setup, teardown),
        PATH_TEST("/backend/slice/status-while-busy",
                  test_status_while_busy, setup, teardown),
        PATH_TEST("/backend/slice/sigterm-while-busy-polling",
                  test_sigterm_while_busy_polling, setup, teardown),
        PATH_TEST("/backend/slice/status-while-busy-polling",
                  test_status_while_busy_polling, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
