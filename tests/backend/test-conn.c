/* SPDX-License-Identifier: MIT */
/*
 * Runs the real pvgpu-backend ($PVGPU_BACKEND) and checks who gets a
 * device slot: handshake timeout, connections waiting for their handshake
 * side by side, and the peer's uid. Peers of another uid are forked
 * children that drop root, so those tests need root (else exit 77).
 */
#include "test-helpers.h"
#include "test-support.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHMEM_SIZE (4ull << 20)
#define OTHER_UID 65534

typedef struct {
    gchar *dir;
    gchar *sock;
    gchar *log;
    gchar *notify;
    int notify_fd;
    GPid pid;
    DeviceMemory dev;
} Fixture;

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->dir = g_dir_make_tmp("pvgpu-conn-XXXXXX", NULL);
    assert_non_null(f->dir);
    f->sock = g_build_filename(f->dir, "device.sock", NULL);
    f->log = g_build_filename(f->dir, "backend.log", NULL);
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
    g_free(f->log);
    g_free(f->notify);
    g_free(f);
    return 0;
}

/* Starts the backend on f->sock with the extra args (NULL-terminated),
 * its stderr going to f->log, and waits for its READY=1. */
static void start_backend(Fixture *f, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) env = g_get_environ();
    g_autoptr(GError) error = NULL;
    const char *backend = g_getenv("PVGPU_BACKEND");
    const char *arg;
    char buf[64] = { 0 };
    va_list ap;
    int log_fd;
    ssize_t n;

    assert_non_null(backend);
    g_ptr_array_add(argv, g_strdup(backend));
    g_ptr_array_add(argv, g_strdup_printf("--socket-path=%s", f->sock));
    va_start(ap, f);
    while ((arg = va_arg(ap, const char *)) != NULL) {
        g_ptr_array_add(argv, g_strdup(arg));
    }
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    env = g_environ_setenv(env, "NOTIFY_SOCKET", f->notify, TRUE);
    log_fd = open(f->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(log_fd >= 0);
    if (!g_spawn_async_with_pipes_and_fds(
            NULL, (const gchar *const *)argv->pdata,
            (const gchar *const *)env,
            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL, NULL,
            NULL, -1, -1, log_fd, NULL, NULL, 0, &f->pid, NULL, NULL, NULL,
            &error)) {
        fail_msg("cannot start %s: %s", backend, error->message);
    }
    close(log_fd);
    if (!test_readable_before(f->notify_fd, test_deadline())) {
        g_autofree gchar *log = NULL;

        g_file_get_contents(f->log, &log, NULL, NULL);
        fail_msg("the backend did not get ready; its log:\n%s", log);
    }
    n = recv(f->notify_fd, buf, sizeof(buf) - 1, 0);
    assert_true(n > 0);
    assert_string_equal(buf, "READY=1");
}

/* Fails the test unless the backend's log has a line with all phrases
 * (NULL-terminated), waiting a bounded time for it to be written. */
static void assert_logged(Fixture *f, ...)
{
    gint64 until = test_deadline();
    g_autofree gchar *log = NULL;

    for (;;) {
        g_auto(GStrv) lines = NULL;

        g_clear_pointer(&log, g_free);
        assert_true(g_file_get_contents(f->log, &log, NULL, NULL));
        lines = g_strsplit(log, "\n", -1);
        for (gchar **line = lines; *line != NULL; line++) {
            const char *phrase;
            gboolean all = TRUE;
            va_list ap;

            va_start(ap, f);
            while ((phrase = va_arg(ap, const char *)) != NULL) {
                all = all && strstr(*line, phrase) != NULL;
            }
            va_end(ap);
            if (all) {
                return;
            }
        }
        if (g_get_monotonic_time() > until) {
            break;
        }
        g_usleep(20000);
    }
    fail_msg("no such line in the backend's log:\n%s", log);
}

static int connect_to(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    strcpy(addr.sun_path, path);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fail_msg("connect %s: %s", path, g_strerror(errno));
    }
    return fd;
}

/* A peer that starts a message and never finishes it. A backend that
 * refuses it at once may have closed the socket before the write. */
static int connect_silent(Fixture *f)
{
    int fd = connect_to(f->sock);
    ssize_t n = send(fd, "\x01\0\0", 3, MSG_NOSIGNAL);

    if (n != 3 && !(n < 0 && (errno == EPIPE || errno == ECONNRESET))) {
        fail_msg("write to the backend: %s", g_strerror(errno));
    }
    return fd;
}

/* Whether the backend closed sock before until (EOF or reset). */
static gboolean closed_before(int sock, gint64 until)
{
    char c;
    ssize_t n;

    if (!test_readable_before(sock, until)) {
        return FALSE;
    }
    n = read(sock, &c, 1);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* Handshakes on a new connection; returns the socket after the ACK. */
static int device_handshake(Fixture *f)
{
    int sock = connect_to(f->sock);
    struct pvgpu_msg msg;

    test_send_handshake(sock, SHMEM_SIZE, f->dev.memfd, NULL);
    assert_true(test_recv_msg(sock, &msg));
    assert_int_equal(msg.type, PVGPU_MSG_HANDSHAKE_ACK);
    return sock;
}

static gint64 ms_since(gint64 start)
{
    return (g_get_monotonic_time() - start) / 1000;
}

static void test_handshake_timeout(void **state)
{
    Fixture *f = *state;
    gint64 start;
    int silent, sock;

    start_backend(f, "--handshake-timeout-ms=300", NULL);
    start = g_get_monotonic_time();
    silent = connect_silent(f);
    assert_true(closed_before(silent, test_deadline()));
    assert_true(ms_since(start) >= 250);
    close(silent);
    assert_logged(f, "no complete HANDSHAKE within 300 ms", NULL);
    /* the slot is free again */
    sock = device_handshake(f);
    close(sock);
}

/* A peer trickling a HANDSHAKE byte by byte is bounded by the timeout. */
static void test_trickling_peer_times_out(void **state)
{
    Fixture *f = *state;
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    gsize len = 0;
    gint64 start;
    gsize sent = 0;
    int sock;

    start_backend(f, "--handshake-timeout-ms=300", NULL);
    assert_int_equal(device_end_encode_handshake(buf, SHMEM_SIZE, "",
                                                 PVGPU_FEATURE_SHMEM_FD, 1,
                                                 &len), PVGPU_CODEC_OK);
    sock = connect_to(f->sock);
    start = g_get_monotonic_time();
    while (sent + 1 < len) {
        if (closed_before(sock, g_get_monotonic_time() + 50000)) {
            break;
        }
        assert_int_equal(write(sock, buf + sent, 1), 1);
        sent++;
    }
    assert_true(closed_before(sock, test_deadline()));
    assert_true(ms_since(start) >= 250);
    assert_true(sent + 1 < len);
    close(sock);
}

static void test_silent_peers_do_not_block(void **state)
{
    Fixture *f = *state;
    int silent[3];
    gint64 start;
    int sock;

    start_backend(f, "--handshake-timeout-ms=3000", NULL);
    start = g_get_monotonic_time();
    for (guint i = 0; i < G_N_ELEMENTS(silent); i++) {
        silent[i] = connect_silent(f);
    }
    sock = device_handshake(f);
    assert_true(ms_since(start) < 3000);
    /* the waiting ones lost: closed, by the timeout at the latest */
    for (guint i = 0; i < G_N_ELEMENTS(silent); i++) {
        assert_true(closed_before(silent[i], start + 6 * G_USEC_PER_SEC));
        close(silent[i]);
    }
    close(sock);
}

static void test_slots_full_refused(void **state)
{
    Fixture *f = *state;
    int silent[4];
    int extra, sock;

    start_backend(f, "--handshake-timeout-ms=600", NULL);
    for (guint i = 0; i < G_N_ELEMENTS(silent); i++) {
        silent[i] = connect_silent(f);
    }
    extra = connect_silent(f);
    assert_true(closed_before(extra, g_get_monotonic_time() + 400000));
    assert_logged(f, "all 4", NULL);
    close(extra);
    for (guint i = 0; i < G_N_ELEMENTS(silent); i++) {
        assert_true(closed_before(silent[i], test_deadline()));
        close(silent[i]);
    }
    sock = device_handshake(f);
    close(sock);
}

static void test_active_device_refuses_newcomer(void **state)
{
    Fixture *f = *state;
    int sock, late;

    start_backend(f, NULL);
    sock = device_handshake(f);
    late = connect_silent(f);
    assert_true(closed_before(late, test_deadline()));
    close(late);
    assert_logged(f, "refusing", "one device is served at a time", NULL);
    /* the device is still served */
    test_send_empty(sock, PVGPU_MSG_DOORBELL);
    assert_false(closed_before(sock, g_get_monotonic_time() + 200000));
    close(sock);
}

typedef enum {
    CHILD_SERVED = 0,     /* got HANDSHAKE_ACK */
    CHILD_CLOSED = 1,     /* closed without an ACK */
    CHILD_NO_CONNECT = 2, /* connect() failed */
    CHILD_SETUP = 3,      /* could not drop root */
} ChildResult;

/* In a forked child, as uid: connects, hands over the memory and waits
 * for the ACK. Plain calls only: cmocka belongs to the parent. */
/* HANDSHAKE to a backend that refuses this peer when it accepts: it may
 * have closed the connection before the handshake is even sent. */
static void send_handshake_maybe_refused(Fixture *f, int sock)
{
    g_autoptr(GError) error = NULL;

    if (!device_end_send_handshake(sock, SHMEM_SIZE, f->dev.memfd, NULL,
                                   &error) &&
        !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) &&
        !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)) {
        fail_msg("handshake: %s", error->message);
    }
}

static G_NORETURN void child_handshake(Fixture *f, uid_t uid)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct pvgpu_msg msg;
    int sock;

    if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
        setresuid(uid, uid, uid) < 0) {
        _exit(CHILD_SETUP);
    }
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    strcpy(addr.sun_path, f->sock);
    if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        _exit(CHILD_NO_CONNECT);
    }
    device_end_send_handshake(sock, SHMEM_SIZE, f->dev.memfd, NULL, NULL);
    if (device_end_recv_msg(sock, &msg, test_deadline(), NULL) &&
        msg.type == PVGPU_MSG_HANDSHAKE_ACK) {
        _exit(CHILD_SERVED);
    }
    _exit(CHILD_CLOSED);
}

/* Runs child_handshake() as uid; returns its ChildResult. */
static ChildResult handshake_as(Fixture *f, uid_t uid)
{
    int status = 0;
    pid_t pid;

    /* let other uids reach the socket: only the peer check stands */
    assert_int_equal(chmod(f->dir, 0711), 0);
    assert_int_equal(chmod(f->sock, 0666), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_handshake(f, uid);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_other_uid_refused(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *own = g_strdup_printf("only uid %u is served",
                                            (unsigned)geteuid());
    int sock;

    start_backend(f, NULL);
    assert_int_equal(handshake_as(f, OTHER_UID), CHILD_CLOSED);
    assert_logged(f, "refusing", "uid " G_STRINGIFY(OTHER_UID), own, NULL);
    /* the backend's own uid is served */
    sock = device_handshake(f);
    close(sock);
}

static void test_peer_uid_served(void **state)
{
    Fixture *f = *state;
    struct pvgpu_msg msg;
    int sock;

    start_backend(f, "--peer-uid=" G_STRINGIFY(OTHER_UID), NULL);
    /* root is no exception */
    sock = connect_to(f->sock);
    send_handshake_maybe_refused(f, sock);
    assert_false(test_recv_msg(sock, &msg));
    close(sock);
    assert_logged(f, "refusing", "uid 0",
                  "only uid " G_STRINGIFY(OTHER_UID) " is served", NULL);
    assert_int_equal(handshake_as(f, OTHER_UID), CHILD_SERVED);
}

/* Without an LSM label of that name (none on most test machines, or
 * "unconfined") this process is refused, and the line says why. */
static void test_peer_label_refused(void **state)
{
    Fixture *f = *state;
    struct pvgpu_msg msg;
    int sock;

    start_backend(f, "--peer-label=libvirt-test-label", NULL);
    sock = connect_to(f->sock);
    send_handshake_maybe_refused(f, sock);
    assert_false(test_recv_msg(sock, &msg));
    close(sock);
    assert_logged(f, "refusing a device connection from pid", "label",
                  "libvirt-test-label", NULL);
}

#define T(path, fn) PATH_TEST(path, fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T("/backend/conn/handshake-timeout", test_handshake_timeout),
        T("/backend/conn/trickling-peer-times-out",
          test_trickling_peer_times_out),
        T("/backend/conn/silent-peers-do-not-block",
          test_silent_peers_do_not_block),
        T("/backend/conn/slots-full-refused", test_slots_full_refused),
        T("/backend/conn/active-device-refuses-newcomer",
          test_active_device_refuses_newcomer),
        T("/backend/conn/other-uid-refused", test_other_uid_refused),
        T("/backend/conn/peer-uid-served", test_peer_uid_served),
        T("/backend/conn/peer-label-refused", test_peer_label_refused),
    };

    if (geteuid() != 0) {
        g_printerr("test-conn needs root: it connects as uid %d to check "
                   "the peer-uid refusal; skipped\n", OTHER_UID);
        return 77;
    }
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests_name("backend-conn", tests, NULL, NULL);
}
