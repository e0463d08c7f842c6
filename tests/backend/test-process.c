/* SPDX-License-Identifier: MIT */
/*
 * Runs the real pvgpu-backend ($PVGPU_BACKEND) and plays the QEMU device
 * against it over its socket: handshake, ring commands, doorbells,
 * interrupts, the control socket, signals and exit codes.
 */
#include "test-helpers.h"
#include "test-support.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "renderer.h"

#define SHMEM_SIZE (4ull << 20)

typedef struct {
    gchar *dir;
    gchar *sock;
    gchar *ctl;
    gchar *pidfile;
    gchar *notify;
    int notify_fd;
    GPid pid;
    DeviceMemory dev; /* the device's shared memory */
} Fixture;

static const char *backend_path(void)
{
    const char *path = g_getenv("PVGPU_BACKEND");

    assert_non_null(path);
    return path;
}

static int unix_socket_at(const char *path, gboolean do_listen)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_true(strlen(path) < sizeof(addr.sun_path));
    strcpy(addr.sun_path, path);
    if (do_listen) {
        assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
        assert_int_equal(listen(fd, 4), 0);
    } else if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fail_msg("connect %s: %s", path, g_strerror(errno));
    }
    return fd;
}

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->dir = g_dir_make_tmp("pvgpu-proc-XXXXXX", NULL);
    assert_non_null(f->dir);
    f->sock = g_build_filename(f->dir, "backend.sock", NULL);
    f->ctl = g_build_filename(f->dir, "control.sock", NULL);
    f->pidfile = g_build_filename(f->dir, "backend.pid", NULL);
    f->notify = g_build_filename(f->dir, "notify.sock", NULL);
    f->notify_fd = test_notify_socket(f->notify);
    test_device_memory_init(&f->dev, SHMEM_SIZE);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;

    test_kill_backend(f->pid);
    device_memory_clear(&f->dev);
    close(f->notify_fd);
    test_remove_tree(f->dir);
    g_free(f->dir);
    g_free(f->sock);
    g_free(f->ctl);
    g_free(f->pidfile);
    g_free(f->notify);
    g_free(f);
    return 0;
}

/* Starts the backend with args and waits for its READY=1. */
static void start_backend_fds(Fixture *f, const char *const *args,
                              const int *source_fds, const int *target_fds,
                              gsize n_fds)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_auto(GStrv) env = g_get_environ();
    g_autoptr(GError) error = NULL;
    char buf[64] = { 0 };
    ssize_t n;

    g_ptr_array_add(argv, (gpointer)backend_path());
    for (; *args != NULL; args++) {
        g_ptr_array_add(argv, (gpointer)*args);
    }
    g_ptr_array_add(argv, NULL);
    env = g_environ_setenv(env, "NOTIFY_SOCKET", f->notify, TRUE);
    if (!g_spawn_async_with_pipes_and_fds(
            NULL, (const gchar *const *)argv->pdata,
            (const gchar *const *)env,
            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL, NULL,
            NULL, -1, -1, -1, source_fds, target_fds, n_fds, &f->pid, NULL,
            NULL, NULL, &error)) {
        fail_msg("cannot start %s: %s", backend_path(), error->message);
    }
    test_wait_readable(f->notify_fd, test_deadline());
    n = recv(f->notify_fd, buf, sizeof(buf) - 1, 0);
    assert_true(n > 0);
    assert_string_equal(buf, "READY=1");
}

static void start_backend(Fixture *f, const char *const *args)
{
    start_backend_fds(f, args, NULL, NULL, 0);
}

static void start_default(Fixture *f)
{
    g_autofree gchar *a1 = g_strdup_printf("--socket-path=%s", f->sock);
    g_autofree gchar *a2 = g_strdup_printf("--control-socket=%s", f->ctl);
    g_autofree gchar *a3 = g_strdup_printf("--pidfile=%s", f->pidfile);
    const char *args[] = { a1, a2, a3, "--display=640x480", NULL };

    start_backend(f, args);
}

/* Waits for the backend to exit and returns its exit code. */
static int wait_exit(Fixture *f)
{
    gint64 until = test_deadline();
    int status = 0;

    while (waitpid(f->pid, &status, WNOHANG) == 0) {
        if (g_get_monotonic_time() > until) {
            fail_msg("the backend did not exit");
        }
        g_usleep(10000);
    }
    f->pid = 0;
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* Reads the HANDSHAKE_ACK; returns its features. */
static guint64 expect_ack(int sock)
{
    struct pvgpu_msg msg;

    assert_true(test_recv_msg(sock, &msg));
    assert_int_equal(msg.type, PVGPU_MSG_HANDSHAKE_ACK);
    return msg.u.ack.features;
}

/* Connects, hands over the memory (and eventfds, if given), returns the
 * socket; *features gets the acknowledged features. */
static int device_connect(Fixture *f, const int *eventfds,
                          guint64 *features)
{
    int sock = unix_socket_at(f->sock, FALSE);

    test_send_handshake(sock, SHMEM_SIZE, f->dev.memfd, eventfds);
    *features = expect_ack(sock);
    return sock;
}

/* Waits until the backend closed sock: EOF, or a reset when what was sent
 * on it was never read. */
static void expect_closed(int sock)
{
    char c;
    ssize_t n;

    test_wait_readable(sock, test_deadline());
    n = read(sock, &c, 1);
    if (n < 0 && errno != ECONNRESET) {
        fail_msg("read: %s", g_strerror(errno));
    }
    assert_true(n <= 0);
}

/* Stops the backend process, so that what a test does next is pending all
 * at once when it continues. */
static void freeze_backend(Fixture *f)
{
    int status = 0;

    assert_int_equal(kill(f->pid, SIGSTOP), 0);
    assert_int_equal(waitpid(f->pid, &status, WUNTRACED), f->pid);
    assert_true(WIFSTOPPED(status));
}

static void thaw_backend(Fixture *f)
{
    assert_int_equal(kill(f->pid, SIGCONT), 0);
}

/* Reads messages until IRQ for vector arrives; returns the vectors seen. */
static guint wait_irq(int sock, guint vector)
{
    guint seen = 0;
    struct pvgpu_msg msg;

    while (!(seen & (1u << vector))) {
        assert_true(test_recv_msg(sock, &msg));
        assert_int_equal(msg.type, PVGPU_MSG_IRQ);
        assert_true(msg.u.irq.vector < PVGPU_NUM_VECTORS);
        seen |= 1u << msg.u.irq.vector;
    }
    return seen;
}

/* One request on a fresh control connection; returns the parsed reply. */
static JsonObject *control(Fixture *f, const char *line)
{
    int sock = unix_socket_at(f->ctl, FALSE);
    g_autoptr(GString) resp = g_string_new(NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    JsonNode *root;
    char c;

    assert_int_equal(write(sock, line, strlen(line)), (ssize_t)strlen(line));
    assert_int_equal(write(sock, "\n", 1), 1);
    while (test_read_full(sock, &c, 1) && c != '\n') {
        g_string_append_c(resp, c);
    }
    close(sock);
    if (!json_parser_load_from_data(parser, resp->str, -1, &error)) {
        fail_msg("bad reply %s: %s", resp->str, error->message);
    }
    root = json_parser_get_root(parser);
    assert_true(JSON_NODE_HOLDS_OBJECT(root));
    return json_object_ref(json_node_get_object(root));
}

/* control() with pass_fd sent along with the request line (SCM_RIGHTS). */
static JsonObject *control_with_fd(Fixture *f, const char *line, int pass_fd)
{
    int sock = unix_socket_at(f->ctl, FALSE);
    g_autofree gchar *text = g_strconcat(line, "\n", NULL);
    struct iovec iov = { .iov_base = text, .iov_len = strlen(text) };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } cbuf;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = cbuf.buf,
                          .msg_controllen = sizeof(cbuf.buf) };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    g_autoptr(GString) resp = g_string_new(NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    char c;

    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
    assert_int_equal(sendmsg(sock, &msg, 0), (ssize_t)strlen(text));
    while (test_read_full(sock, &c, 1) && c != '\n') {
        g_string_append_c(resp, c);
    }
    close(sock);
    assert_true(json_parser_load_from_data(parser, resp->str, -1, NULL));
    return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static JsonObject *status(Fixture *f)
{
    JsonObject *resp = control(f, "{\"command\":\"status\"}");
    JsonObject *st;

    assert_true(json_object_get_boolean_member(resp, "ok"));
    st = json_object_ref(json_object_get_object_member(resp, "status"));
    json_object_unref(resp);
    return st;
}

/* Polls the status until "connected" has the wanted value. */
static void wait_connected(Fixture *f, gboolean want)
{
    gint64 until = test_deadline();

    for (;;) {
        JsonObject *st = status(f);
        gboolean connected = json_object_get_boolean_member(st, "connected");

        json_object_unref(st);
        if (connected == want) {
            return;
        }
        assert_true(g_get_monotonic_time() < until);
        g_usleep(10000);
    }
}

static guint64 counter(JsonObject *st, const char *name)
{
    return (guint64)json_object_get_int_member(
        json_object_get_object_member(st, "counters"), name);
}

static void push(Fixture *f, struct pvgpu_cmd_hdr *hdr, guint32 size)
{
    assert_true(pvgpu_ring_writer_push(&f->dev.writer, hdr, size) !=
                G_MAXUINT64);
}

static void push_fence(Fixture *f, guint64 id)
{
    struct pvgpu_cmd_fence c = { .hdr.type = PVGPU_CMD_FENCE, .fence_id = id,
                                 .flags = PVGPU_FENCE_FLAG_IRQ };

    push(f, &c.hdr, sizeof(c));
}

/* Draws a 64x48 picture: red, a green square at (8,8), and a 2x1 upload
 * of blue and white at (60,40); shows and presents it. */
static void push_picture(Fixture *f)
{
    struct pvgpu_cmd_resource_create_2d create = {
        .hdr.type = PVGPU_CMD_RESOURCE_CREATE_2D, .resource_id = 1,
        .format = PVGPU_FORMAT_B8G8R8A8_UNORM, .width = 64, .height = 48,
    };
    struct pvgpu_cmd_fill_rect red = {
        .hdr.type = PVGPU_CMD_FILL_RECT, .resource_id = 1,
        .color = 0xffff0000, .rect = { 0, 0, 64, 48 },
    };
    struct pvgpu_cmd_fill_rect green = {
        .hdr.type = PVGPU_CMD_FILL_RECT, .resource_id = 1,
        .color = 0xff00ff00, .rect = { 8, 8, 4, 4 },
    };
    struct pvgpu_cmd_resource_upload upload = {
        .hdr.type = PVGPU_CMD_RESOURCE_UPLOAD, .resource_id = 1,
        .stride = 8, .heap_offset = 256, .dst = { 60, 40, 2, 1 },
    };
    struct pvgpu_cmd_set_scanout scanout = {
        .hdr.type = PVGPU_CMD_SET_SCANOUT, .resource_id = 1,
        .src = { 0, 0, 64, 48 },
    };
    struct pvgpu_cmd_present present = {
        .hdr.type = PVGPU_CMD_PRESENT, .flags = PVGPU_PRESENT_FLAG_IRQ,
        .damage = { 0, 0, 64, 48 },
    };
    static const guint8 pixels[8] = { 0xff, 0, 0, 0xff,
                                      0xff, 0xff, 0xff, 0xff };

    memcpy(f->dev.mem + f->dev.layout.heap_offset + 256, pixels,
           sizeof(pixels));
    push(f, &create.hdr, sizeof(create));
    push(f, &red.hdr, sizeof(red));
    push(f, &green.hdr, sizeof(green));
    push(f, &upload.hdr, sizeof(upload));
    push(f, &scanout.hdr, sizeof(scanout));
    push(f, &present.hdr, sizeof(present));
}

/* What push_picture() draws, as a screenshot shows it. */
static const TestPixel picture_pixels[] = {
    { 0, 0, 0xff0000ff },
    { 9, 9, 0x00ff00ff },
    { 60, 40, 0x0000ffff },
    { 61, 40, 0xffffffff },
    { 62, 40, 0xff0000ff },
};

static gboolean exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

static guint mode_of(const char *path)
{
    struct stat st;

    assert_int_equal(lstat(path, &st), 0);
    return st.st_mode & 07777;
}

/* ---- a whole session --------------------------------------------------- */

static void test_serve_memfd(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *pid_text = NULL;
    g_autofree gchar *shot = g_build_filename(f->dir, "shot.png", NULL);
    g_autofree gchar *shot_req = g_strdup_printf(
        "{\"command\":\"screenshot\",\"path\":\"%s\"}", shot);
    struct pvgpu_cmd_resource_destroy bad = {
        .hdr.type = PVGPU_CMD_RESOURCE_DESTROY, .resource_id = 99,
    };
    JsonObject *st, *scanout, *err;
    JsonArray *names;
    struct pvgpu_msg msg;
    guint64 features;
    guint seen;
    int sock;

    start_default(f);
    assert_true(g_file_get_contents(f->pidfile, &pid_text, NULL, NULL));
    assert_int_equal(atoi(pid_text), f->pid);
    assert_int_equal(mode_of(f->sock), 0600);
    assert_int_equal(mode_of(f->ctl), 0600);

    sock = device_connect(f, NULL, &features);
    assert_int_equal(features, PVGPU_FEATURE_2D | PVGPU_FEATURE_CURSOR |
                         PVGPU_FEATURE_SHMEM_FD);
    assert_int_equal(f->dev.ctrl->display_width, 640);
    assert_int_equal(f->dev.ctrl->display_height, 480);

    push_picture(f);
    push_fence(f, 1);
    pvgpu_ring_writer_publish(&f->dev.writer);
    test_send_empty(sock, PVGPU_MSG_DOORBELL);
    seen = wait_irq(sock, PVGPU_VECTOR_FENCE);
    assert_true(seen & (1u << PVGPU_VECTOR_DISPLAY));
    assert_false(seen & (1u << PVGPU_VECTOR_ERROR));
    assert_int_equal(__atomic_load_n(&f->dev.ctrl->fence_completed,
                                     __ATOMIC_ACQUIRE), 1);
    assert_int_equal(f->dev.ctrl->consumer, f->dev.writer.producer);
    assert_int_equal(f->dev.ctrl->error_count, 0);
    assert_int_equal(f->dev.ctrl->present_count, 1);
    assert_int_equal(f->dev.ctrl->scanout_resource, 1);

    st = status(f);
    assert_true(json_object_get_boolean_member(st, "connected"));
    assert_true(json_object_get_boolean_member(st, "ready"));
    assert_int_equal(json_object_get_int_member(st, "pid"), f->pid);
    assert_int_equal(json_object_get_int_member(st, "generation"), 1);
    assert_int_equal(json_object_get_int_member(st, "shmem_size"),
                     SHMEM_SIZE);
    names = json_object_get_array_member(st, "features_names");
    assert_int_equal(json_array_get_length(names), 3);
    assert_int_equal(counter(st, "commands"), 7);
    assert_int_equal(counter(st, "doorbells"), 1);
    assert_int_equal(counter(st, "fences_completed"), 1);
    assert_int_equal(counter(st, "bytes_uploaded"), 8);
    assert_int_equal(counter(st, "irqs_sent"), 2);
    assert_int_equal(counter(st, "errors"), 0);
    assert_int_equal(counter(st, "resources"), 1);
    /* the resource and its presented frame */
    assert_int_equal(counter(st, "resource_bytes"),
                     2 * pvgpu_renderer_alloc_cost(64, 48));
    assert_true(json_object_get_null_member(st, "last_error"));
    scanout = json_object_get_object_member(st, "scanout");
    assert_int_equal(json_object_get_int_member(scanout, "resource"), 1);
    assert_int_equal(json_object_get_int_member(scanout, "width"), 64);
    assert_string_equal(json_object_get_string_member(scanout, "format"),
                        "B8G8R8A8");
    assert_int_equal(json_object_get_int_member(st, "presents"), 1);
    json_object_unref(st);

    assert_screenshot(control(f, shot_req), shot, 64, 48, picture_pixels,
                      G_N_ELEMENTS(picture_pixels));

    /* into a file the client created and handed over (pvgpuctl's way) */
    {
        g_autofree gchar *fd_shot = g_build_filename(f->dir, "fd-shot.png",
                                                     NULL);
        int out = open(fd_shot, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(out >= 0);
        JsonObject *resp = control_with_fd(
            f, "{\"command\":\"screenshot\",\"fd\":true}", out);
        close(out);
        assert_screenshot(resp, fd_shot, 64, 48, picture_pixels,
                          G_N_ELEMENTS(picture_pixels));
        g_unlink(fd_shot);
    }

    /* a refused command: ERROR vector and last_error */
    push(f, &bad.hdr, sizeof(bad));
    pvgpu_ring_writer_publish(&f->dev.writer);
    test_send_empty(sock, PVGPU_MSG_DOORBELL);
    wait_irq(sock, PVGPU_VECTOR_ERROR);
    assert_int_equal(f->dev.ctrl->error_code, PVGPU_ERROR_RESOURCE_UNKNOWN);
    assert_int_equal(f->dev.ctrl->error_detail, 99);
    st = status(f);
    err = json_object_get_object_member(st, "last_error");
    assert_string_equal(json_object_get_string_member(err, "name"),
                        "resource-unknown");
    assert_int_equal(json_object_get_int_member(err, "cmd_id"), bad.hdr.id);
    json_object_unref(st);

    /* SIGTERM: SHUTDOWN to the device, files removed, exit 0 */
    kill(f->pid, SIGTERM);
    assert_true(test_recv_msg(sock, &msg));
    assert_int_equal(msg.type, PVGPU_MSG_SHUTDOWN);
    assert_int_equal(wait_exit(f), 0);
    assert_false(exists(f->sock));
    assert_false(exists(f->ctl));
    assert_false(exists(f->pidfile));
    close(sock);
}

static void test_reconnect_with_eventfds(void **state)
{
    Fixture *f = *state;
    int efds[1 + PVGPU_NUM_VECTORS];
    guint64 features, value = 1;
    JsonObject *st;
    int sock;

    start_default(f);
    sock = device_connect(f, NULL, &features);
    push_fence(f, 1);
    pvgpu_ring_writer_publish(&f->dev.writer);
    test_send_empty(sock, PVGPU_MSG_DOORBELL);
    wait_irq(sock, PVGPU_VECTOR_FENCE);
    close(sock);
    wait_connected(f, FALSE);

    /* the same memory again, now with eventfds; the ring continues */
    for (guint i = 0; i < G_N_ELEMENTS(efds); i++) {
        efds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    }
    sock = device_connect(f, efds, &features);
    assert_int_equal(features, PVGPU_FEATURE_2D | PVGPU_FEATURE_CURSOR |
                         PVGPU_FEATURE_SHMEM_FD |
                               PVGPU_FEATURE_EVENTFD);
    push_fence(f, 2);
    pvgpu_ring_writer_publish(&f->dev.writer);
    assert_int_equal(write(efds[0], &value, sizeof(value)), sizeof(value));
    test_wait_readable(efds[1 + PVGPU_VECTOR_FENCE], test_deadline());
    assert_int_equal(read(efds[1 + PVGPU_VECTOR_FENCE], &value,
                          sizeof(value)), sizeof(value));
    assert_true(value >= 1);
    assert_int_equal(f->dev.ctrl->fence_completed, 2);

    st = status(f);
    assert_int_equal(json_object_get_int_member(st, "generation"), 2);
    assert_int_equal(counter(st, "fences_completed"), 2);
    json_object_unref(st);
    close(sock);
    for (guint i = 0; i < G_N_ELEMENTS(efds); i++) {
        close(efds[i]);
    }
}

static void test_long_batch_completes(void **state)
{
    Fixture *f = *state;
    struct pvgpu_cmd_nop nop = { .hdr.type = PVGPU_CMD_NOP };
    guint64 features;
    JsonObject *st;
    int sock;

    start_default(f);
    sock = device_connect(f, NULL, &features);
    /* more than one batch: the rest runs from the main loop's idle time */
    for (guint i = 0; i < 3 * 4096; i++) {
        nop.hdr.id = 0;
        nop.hdr.size = 0;
        push(f, &nop.hdr, sizeof(nop));
    }
    push_fence(f, 1);
    pvgpu_ring_writer_publish(&f->dev.writer);
    test_send_empty(sock, PVGPU_MSG_DOORBELL);
    wait_irq(sock, PVGPU_VECTOR_FENCE);
    assert_int_equal(f->dev.ctrl->consumer, f->dev.writer.producer);
    st = status(f);
    assert_int_equal(counter(st, "commands"), 3 * 4096 + 1);
    assert_int_equal(counter(st, "doorbells"), 1);
    json_object_unref(st);
    close(sock);
}

static void test_malformed_message_closes(void **state)
{
    Fixture *f = *state;
    guint8 hdr[8];
    guint64 features;
    char c;
    int sock;

    start_default(f);
    sock = unix_socket_at(f->sock, FALSE);
    pvgpu_le32_store(hdr, 77);
    pvgpu_le32_store(hdr + 4, 0);
    assert_int_equal(write(sock, hdr, sizeof(hdr)), sizeof(hdr));
    assert_false(test_read_full(sock, &c, 1)); /* EOF */
    close(sock);

    /* the backend keeps listening */
    sock = device_connect(f, NULL, &features);
    assert_true(features & PVGPU_FEATURE_2D);
    close(sock);
}

static void test_doorbell_before_handshake_closes(void **state)
{
    Fixture *f = *state;
    char c;
    int sock;

    start_default(f);
    sock = unix_socket_at(f->sock, FALSE);
    test_send_empty(sock, PVGPU_MSG_DOORBELL);
    assert_false(test_read_full(sock, &c, 1));
    close(sock);
}

static void test_bad_handshake_refused(void **state)
{
    Fixture *f = *state;
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    gsize len = 0;
    char c;
    int sock;

    start_default(f);
    sock = unix_socket_at(f->sock, FALSE);
    /* the original form, naming memory that does not exist */
    assert_int_equal(pvgpu_ipc_encode_handshake(buf, sizeof(buf), SHMEM_SIZE,
                                                "/pvgpu-absent", NULL, &len),
                     PVGPU_CODEC_OK);
    assert_int_equal(write(sock, buf, len), (ssize_t)len);
    assert_false(test_read_full(sock, &c, 1));
    close(sock);
}

static void test_second_device_refused(void **state)
{
    Fixture *f = *state;
    guint64 features;
    JsonObject *st;
    int first, second;

    start_default(f);
    first = device_connect(f, NULL, &features);

    /* the first device's doorbell is pending beside the second connection:
     * pending input is no sign of a dead peer */
    push_fence(f, 1);
    pvgpu_ring_writer_publish(&f->dev.writer);
    freeze_backend(f);
    test_send_empty(first, PVGPU_MSG_DOORBELL);
    second = unix_socket_at(f->sock, FALSE);
    test_send_handshake(second, SHMEM_SIZE, f->dev.memfd, NULL);
    thaw_backend(f);
    expect_closed(second);
    close(second);

    /* the first one is still served */
    wait_irq(first, PVGPU_VECTOR_FENCE);
    assert_int_equal(f->dev.ctrl->fence_completed, 1);
    push_fence(f, 2);
    pvgpu_ring_writer_publish(&f->dev.writer);
    test_send_empty(first, PVGPU_MSG_DOORBELL);
    wait_irq(first, PVGPU_VECTOR_FENCE);
    assert_int_equal(f->dev.ctrl->fence_completed, 2);
    st = status(f);
    assert_true(json_object_get_boolean_member(st, "connected"));
    assert_int_equal(json_object_get_int_member(st, "generation"), 1);
    json_object_unref(st);
    close(first);
}

/* QEMU's device reconnects at once after closing (RESET): the new
 * connection and the old one's end are pending together. */
static void test_immediate_reconnect_served(void **state)
{
    Fixture *f = *state;
    guint64 features;
    JsonObject *st;
    int sock;

    start_default(f);
    sock = device_connect(f, NULL, &features);
    for (guint i = 0; i < 50; i++) {
        /* a control round trip: the backend is done with the connection
         * and has nothing left to read on it before it is frozen */
        st = status(f);
        assert_int_equal(json_object_get_int_member(st, "generation"), i + 1);
        json_object_unref(st);
        freeze_backend(f);
        close(sock);
        sock = unix_socket_at(f->sock, FALSE);
        test_send_handshake(sock, SHMEM_SIZE, f->dev.memfd, NULL);
        thaw_backend(f);
        assert_int_equal(expect_ack(sock),
                         PVGPU_FEATURE_2D | PVGPU_FEATURE_CURSOR |
                         PVGPU_FEATURE_SHMEM_FD);
    }
    /* the last connection is fully served */
    push_fence(f, 1);
    pvgpu_ring_writer_publish(&f->dev.writer);
    test_send_empty(sock, PVGPU_MSG_DOORBELL);
    wait_irq(sock, PVGPU_VECTOR_FENCE);
    st = status(f);
    assert_true(json_object_get_boolean_member(st, "connected"));
    assert_int_equal(json_object_get_int_member(st, "generation"), 51);
    json_object_unref(st);
    close(sock);
}

static void test_device_shutdown_keeps_listening(void **state)
{
    Fixture *f = *state;
    guint64 features;
    int sock;

    start_default(f);
    sock = device_connect(f, NULL, &features);
    test_send_empty(sock, PVGPU_MSG_SHUTDOWN);
    close(sock);
    wait_connected(f, FALSE);
    sock = device_connect(f, NULL, &features);
    close(sock);
}

static void test_control_stays_usable(void **state)
{
    Fixture *f = *state;
    static const char reqs[] = "not json\n{\"command\":\"nope\"}\n\n"
                               "{\"command\":\"status\"}\n";
    g_autofree gchar *big = g_strnfill(5000, 'x');
    GString *all = g_string_new(NULL);
    gchar **lines;
    char c;
    int sock;

    start_default(f);
    sock = unix_socket_at(f->ctl, FALSE);
    assert_int_equal(write(sock, big, 5000), 5000);
    assert_int_equal(write(sock, "\n", 1), 1);
    assert_int_equal(write(sock, reqs, strlen(reqs)), (ssize_t)strlen(reqs));
    while (g_strv_length(lines = g_strsplit(all->str, "\n", -1)) < 5) {
        g_strfreev(lines);
        assert_true(test_read_full(sock, &c, 1));
        g_string_append_c(all, c);
    }
    assert_non_null(strstr(lines[0], "longer than 4096"));
    assert_non_null(strstr(lines[1], "malformed JSON"));
    assert_non_null(strstr(lines[2], "unknown command"));
    assert_non_null(strstr(lines[3], "\"ok\":true"));
    g_strfreev(lines);
    g_string_free(all, TRUE);
    close(sock);
}

static void test_control_two_clients(void **state)
{
    Fixture *f = *state;
    static const char req[] = "{\"command\":\"status\"}\n";
    int a, b;
    char c;

    start_default(f);
    a = unix_socket_at(f->ctl, FALSE);
    b = unix_socket_at(f->ctl, FALSE);
    /* a stays silent; b is answered all the same */
    assert_int_equal(write(b, req, strlen(req)), (ssize_t)strlen(req));
    do {
        assert_true(test_read_full(b, &c, 1));
    } while (c != '\n');
    assert_int_equal(write(a, req, 5), 5);
    assert_int_equal(write(a, req + 5, strlen(req) - 5),
                     (ssize_t)(strlen(req) - 5));
    do {
        assert_true(test_read_full(a, &c, 1));
    } while (c != '\n');
    close(a);
    close(b);
}

static void test_inherited_connected_fd(void **state)
{
    Fixture *f = *state;
    const char *args[] = { "--fd=3", NULL };
    struct pvgpu_msg msg;
    int sv[2], target = 3;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    start_backend_fds(f, args, &sv[1], &target, 1);
    close(sv[1]);
    test_send_handshake(sv[0], SHMEM_SIZE, f->dev.memfd, NULL);
    assert_true(test_recv_msg(sv[0], &msg));
    assert_int_equal(msg.type, PVGPU_MSG_HANDSHAKE_ACK);
    /* nothing more to serve once the device goes: a clean exit */
    close(sv[0]);
    assert_int_equal(wait_exit(f), 0);
}

static void test_inherited_listening_fd(void **state)
{
    Fixture *f = *state;
    const char *args[] = { "--fd=3", NULL };
    guint64 features;
    int lfd = unix_socket_at(f->sock, TRUE);
    int target = 3;
    int sock;

    start_backend_fds(f, args, &lfd, &target, 1);
    close(lfd);
    sock = device_connect(f, NULL, &features);
    assert_true(features & PVGPU_FEATURE_SHMEM_FD);
    kill(f->pid, SIGINT);
    assert_int_equal(wait_exit(f), 0);
    close(sock);
    /* not ours: an inherited socket's file is left alone */
    assert_true(exists(f->sock));
}

static void test_stale_socket_replaced(void **state)
{
    Fixture *f = *state;
    guint64 features;
    int sock;

    close(unix_socket_at(f->sock, TRUE)); /* bound, nobody listens now */
    assert_true(exists(f->sock));
    start_default(f);
    sock = device_connect(f, NULL, &features);
    close(sock);
}

/* ---- exit codes -------------------------------------------------------- */

/* Runs the backend to completion; returns its exit code. */
static int run(const char *const *args, gchar **out, gchar **err)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    int status;

    g_ptr_array_add(argv, (gpointer)backend_path());
    for (; *args != NULL; args++) {
        g_ptr_array_add(argv, (gpointer)*args);
    }
    g_ptr_array_add(argv, NULL);
    if (!g_spawn_sync(NULL, (gchar **)argv->pdata, NULL,
                      G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL, out, err,
                      &status, &error)) {
        fail_msg("cannot run the backend: %s", error->message);
    }
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_print_capabilities(void **state)
{
    const char *args[] = { "--print-capabilities", NULL };
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *caps;
    JsonArray *features;

    (void)state;
    assert_int_equal(run(args, &out, &err), 0);
    assert_true(json_parser_load_from_data(parser, out, -1, NULL));
    caps = json_node_get_object(json_parser_get_root(parser));
    assert_string_equal(json_object_get_string_member(caps, "type"), "gpu");
    assert_string_equal(json_object_get_string_member(caps,
                                                      "protocol_version"),
                        "1.0");
    features = json_object_get_array_member(caps, "features");
    assert_int_equal(json_array_get_length(features), 8);
    assert_string_equal(json_array_get_string_element(features, 1),
                        "cursor");
    assert_string_equal(json_array_get_string_element(features, 4),
                        "display");
    assert_string_equal(json_array_get_string_element(features, 5),
                        "display-hint");
    assert_string_equal(json_array_get_string_element(features, 6),
                        "display-cursor");
    assert_string_equal(json_array_get_string_element(features, 7),
                        "shmem-name");
    assert_int_equal(json_array_get_length(
                         json_object_get_array_member(caps, "commands")), 10);
}

static void test_help(void **state)
{
    const char *args[] = { "--help", NULL };
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;

    (void)state;
    assert_int_equal(run(args, &out, &err), 0);
    assert_non_null(strstr(out, "--socket-path=PATH"));
    assert_non_null(strstr(out, "Exit status"));
    assert_non_null(strstr(out, "Examples"));
}

static void test_version(void **state)
{
    const char *args[] = { "--version", NULL };
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;

    (void)state;
    assert_int_equal(run(args, &out, &err), 0);
    assert_non_null(strstr(out, PVGPU_BACKEND_VERSION));
}

static void assert_usage_error(const char *const *args, const char *what)
{
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;

    assert_int_equal(run(args, &out, &err), 1);
    assert_non_null(strstr(err, what));
    assert_non_null(strstr(err, "--help"));
}

static void test_no_socket_option(void **state)
{
    const char *args[] = { NULL };

    (void)state;
    assert_usage_error(args, "is required");
}

static void test_both_socket_options(void **state)
{
    const char *args[] = { "--fd=3", "--socket-path=/tmp/x.sock", NULL };

    (void)state;
    assert_usage_error(args, "cannot be used together");
}

static void test_bad_memory_budget(void **state)
{
    const char *args[] = { "--fd=3", "--memory-budget=lots", NULL };

    (void)state;
    assert_usage_error(args, "--memory-budget");
}

static void test_unknown_option(void **state)
{
    const char *args[] = { "--fd=3", "--turbo", NULL };

    (void)state;
    assert_usage_error(args, "--turbo");
}

static void test_fd_not_a_socket(void **state)
{
    const char *args[] = { "--fd=0", NULL };
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;

    (void)state;
    assert_int_equal(run(args, &out, &err), 2);
    assert_non_null(strstr(err, "not a socket"));
}

static void test_fd_not_open(void **state)
{
    const char *args[] = { "--fd=1000", NULL };
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;

    (void)state;
    assert_int_equal(run(args, &out, &err), 2);
    assert_non_null(strstr(err, "not open"));
}

static void test_socket_dir_missing(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *arg = g_strdup_printf("--socket-path=%s/no/s.sock",
                                            f->dir);
    const char *args[] = { arg, NULL };
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;

    assert_int_equal(run(args, &out, &err), 2);
    assert_non_null(strstr(err, "cannot bind"));
}

static void test_live_socket_refused(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *arg = g_strdup_printf("--socket-path=%s", f->sock);
    const char *args[] = { arg, NULL };
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;
    int lfd = unix_socket_at(f->sock, TRUE);

    assert_int_equal(run(args, &out, &err), 2);
    assert_non_null(strstr(err, "another process is listening"));
    assert_true(exists(f->sock));
    close(lfd);
}

static void test_not_a_socket_file_refused(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *arg = g_strdup_printf("--socket-path=%s", f->sock);
    const char *args[] = { arg, NULL };
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;

    assert_true(g_file_set_contents(f->sock, "data", -1, NULL));
    assert_int_equal(run(args, &out, &err), 2);
    assert_non_null(strstr(err, "is not a socket"));
    assert_true(exists(f->sock));
}

static void test_pidfile_unwritable(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *a1 = g_strdup_printf("--socket-path=%s", f->sock);
    g_autofree gchar *a2 = g_strdup_printf("--pidfile=%s/no/pid", f->dir);
    const char *args[] = { a1, a2, NULL };
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;

    assert_int_equal(run(args, &out, &err), 2);
    assert_non_null(strstr(err, "pidfile"));
    /* the socket created before the failure is gone again */
    assert_false(exists(f->sock));
}

#define T(path, fn) PATH_TEST(path, fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T("/backend/process/serve-memfd", test_serve_memfd),
        T("/backend/process/reconnect-with-eventfds",
          test_reconnect_with_eventfds),
        T("/backend/process/long-batch-completes",
          test_long_batch_completes),
        T("/backend/process/malformed-message-closes",
          test_malformed_message_closes),
        T("/backend/process/doorbell-before-handshake-closes",
          test_doorbell_before_handshake_closes),
        T("/backend/process/bad-handshake-refused",
          test_bad_handshake_refused),
        T("/backend/process/second-device-refused",
          test_second_device_refused),
        T("/backend/process/immediate-reconnect-served",
          test_immediate_reconnect_served),
        T("/backend/process/device-shutdown-keeps-listening",
          test_device_shutdown_keeps_listening),
        T("/backend/process/control-stays-usable", test_control_stays_usable),
        T("/backend/process/control-two-clients", test_control_two_clients),
        T("/backend/process/inherited-connected-fd",
          test_inherited_connected_fd),
        T("/backend/process/inherited-listening-fd",
          test_inherited_listening_fd),
        T("/backend/process/stale-socket-replaced",
          test_stale_socket_replaced),
        T("/backend/process/print-capabilities", test_print_capabilities),
        T("/backend/process/help", test_help),
        T("/backend/process/version", test_version),
        T("/backend/process/no-socket-option", test_no_socket_option),
        T("/backend/process/both-socket-options", test_both_socket_options),
        T("/backend/process/bad-memory-budget", test_bad_memory_budget),
        T("/backend/process/unknown-option", test_unknown_option),
        T("/backend/process/fd-not-a-socket", test_fd_not_a_socket),
        T("/backend/process/fd-not-open", test_fd_not_open),
        T("/backend/process/socket-dir-missing", test_socket_dir_missing),
        T("/backend/process/live-socket-refused", test_live_socket_refused),
        T("/backend/process/not-a-socket-file-refused",
          test_not_a_socket_file_refused),
        T("/backend/process/pidfile-unwritable", test_pidfile_unwritable),
    };

    return cmocka_run_group_tests_name("backend-process", tests, NULL, NULL);
}
