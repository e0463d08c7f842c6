/* SPDX-License-Identifier: MIT */
/*
 * Round-trip latency of one command: the guest publishes a FENCE with IRQ
 * and rings the doorbell, the backend executes it and raises vector FENCE,
 * the guest sees the interrupt. The backend is the real one
 * (pvgpu_backend_run() in a thread, serving one end of a socketpair); this
 * thread plays the QEMU device and the guest on a sealed memfd. Compared:
 * DOORBELL and IRQ messages on the socket, eventfd doorbell and vectors,
 * and both again with --poll-us. Reports median and p99 in microseconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "control-region.h"
#include "options.h"
#include "ring-writer.h"

#define SHMEM_SIZE PVGPU_SHMEM_MIN_SIZE
/* A backend that does not answer within this is broken, not slow. */
#define ANSWER_TIMEOUT_MS 5000

typedef struct {
    const char *name;
    gboolean eventfd;
    guint32 poll_us;
} Case;

typedef struct {
    double median_us;
    double p99_us;
} CaseResult;

typedef struct {
    PvgpuOptions opts;
    int sock;                          /* the device's end */
    int memfd;
    guint8 *mem;
    struct pvgpu_layout layout;
    struct pvgpu_control *ctrl;
    PvgpuRingWriter writer;
    int doorbell_fd;                   /* -1 without EVENTFD */
    int vector_fds[PVGPU_NUM_VECTORS];
    guint64 fence;
} Device;

static void fail(const char *fmt, ...) G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN;

static void fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "doorbell-latency: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(3);
}

/* The backend's own messages would drown the results. */
static GLogWriterOutput quiet_writer(GLogLevelFlags level,
                                     const GLogField *fields, gsize n_fields,
                                     gpointer data)
{
    if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO |
                 G_LOG_LEVEL_DEBUG)) {
        return G_LOG_WRITER_HANDLED;
    }
    return g_log_writer_default(level, fields, n_fields, data);
}

static gint64 now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void wait_readable(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    int n;

    do {
        n = poll(&pfd, 1, ANSWER_TIMEOUT_MS);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        fail("poll: %s", g_strerror(errno));
    }
    if (n == 0) {
        fail("the backend did not answer within %d ms", ANSWER_TIMEOUT_MS);
    }
}

static void read_full(int fd, void *buf, gsize len)
{
    gsize got = 0;

    while (got < len) {
        ssize_t n = read(fd, (guint8 *)buf + got, len - got);

        if (n > 0) {
            got += (gsize)n;
        } else if (n == 0) {
            fail("the backend closed the connection");
        } else if (errno == EAGAIN) {
            wait_readable(fd);
        } else if (errno != EINTR) {
            fail("read: %s", g_strerror(errno));
        }
    }
}

static void recv_msg(Device *d, struct pvgpu_msg *msg)
{
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    struct pvgpu_ipc_hdr hdr;

    read_full(d->sock, buf, sizeof(hdr));
    if (pvgpu_ipc_decode_hdr(buf, sizeof(hdr), &hdr) != PVGPU_CODEC_OK) {
        fail("the backend sent a malformed message header");
    }
    read_full(d->sock, buf + sizeof(hdr), hdr.payload_size);
    if (pvgpu_ipc_decode_payload(&hdr, buf + sizeof(hdr), hdr.payload_size,
                                 msg) != PVGPU_CODEC_OK) {
        fail("the backend sent a malformed message");
    }
}

static void send_all(int fd, const void *buf, gsize len)
{
    if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len) {
        fail("send: %s", g_strerror(errno));
    }
}

static void send_handshake(Device *d, gboolean eventfd)
{
    struct pvgpu_handshake_ext ext = {
        .ext_size = sizeof(ext), .magic = PVGPU_HANDSHAKE_EXT_MAGIC,
        .version = PVGPU_PROTOCOL_VERSION, .num_vectors = PVGPU_NUM_VECTORS,
        .features = PVGPU_FEATURE_SHMEM_FD, .num_fds = 1,
    };
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * PVGPU_IPC_MAX_FDS)];
    } control;
    int fds[PVGPU_IPC_MAX_FDS] = { d->memfd };
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    struct iovec iov = { .iov_base = buf };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control.buf };
    struct cmsghdr *c;
    gsize len = 0;

    if (eventfd) {
        ext.features |= PVGPU_FEATURE_EVENTFD;
        ext.num_fds = 2 + PVGPU_NUM_VECTORS;
        fds[1] = d->doorbell_fd;
        memcpy(fds + 2, d->vector_fds, sizeof(d->vector_fds));
    }
    if (pvgpu_ipc_encode_handshake(buf, sizeof(buf), SHMEM_SIZE, "", &ext,
                                   &len) != PVGPU_CODEC_OK) {
        fail("cannot encode the handshake");
    }
    iov.iov_len = len;
    memset(&control, 0, sizeof(control));
    mh.msg_controllen = CMSG_SPACE(sizeof(int) * ext.num_fds);
    c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * ext.num_fds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * ext.num_fds);
    if (sendmsg(d->sock, &mh, MSG_NOSIGNAL) != (ssize_t)len) {
        fail("sending the handshake: %s", g_strerror(errno));
    }
}

static void map_memory(Device *d)
{
    d->memfd = memfd_create("pvgpu-bench", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (d->memfd < 0 || ftruncate(d->memfd, SHMEM_SIZE) < 0 ||
        fcntl(d->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
        fail("cannot create the shared memory: %s", g_strerror(errno));
    }
    d->mem = mmap(NULL, SHMEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                  d->memfd, 0);
    if (d->mem == MAP_FAILED) {
        fail("cannot map the shared memory: %s", g_strerror(errno));
    }
    pvgpu_layout_compute(SHMEM_SIZE, &d->layout);
    d->ctrl = (struct pvgpu_control *)(void *)d->mem;
    pvgpu_control_init(d->ctrl, &d->layout);
    pvgpu_ring_writer_init(&d->writer, d->mem, &d->layout);
}

/* Non-blocking, as QEMU creates them; waits go through poll(). */
static void make_eventfds(Device *d, gboolean eventfd_mode)
{
    d->doorbell_fd = -1;
    for (guint v = 0; v < PVGPU_NUM_VECTORS; v++) {
        d->vector_fds[v] = -1;
    }
    if (!eventfd_mode) {
        return;
    }
    d->doorbell_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    for (guint v = 0; v < PVGPU_NUM_VECTORS; v++) {
        d->vector_fds[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (d->vector_fds[v] < 0) {
            fail("eventfd: %s", g_strerror(errno));
        }
    }
    if (d->doorbell_fd < 0) {
        fail("eventfd: %s", g_strerror(errno));
    }
}

static void parse_backend_options(Device *d, int backend_fd, guint32 poll_us)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *fd_arg = g_strdup_printf("--fd=%d", backend_fd);
    g_autofree gchar *poll_arg = g_strdup_printf("--poll-us=%u", poll_us);
    char *args[] = { "doorbell-latency", fd_arg, poll_arg, NULL };
    char **argv = args;
    int argc = 3;

    if (!pvgpu_options_parse(&argc, &argv, &d->opts, &error)) {
        fail("backend options: %s", error->message);
    }
}

static gpointer backend_main(gpointer data)
{
    Device *d = data;

    return GINT_TO_POINTER(pvgpu_backend_run(&d->opts));
}

static void ring_doorbell(Device *d)
{
    if (d->doorbell_fd >= 0) {
        guint64 one = 1;

        if (write(d->doorbell_fd, &one, sizeof(one)) != sizeof(one)) {
            fail("doorbell eventfd: %s", g_strerror(errno));
        }
    } else {
        guint8 buf[8];
        gsize len = 0;

        pvgpu_ipc_encode_empty(buf, sizeof(buf), PVGPU_MSG_DOORBELL, &len);
        send_all(d->sock, buf, len);
    }
}

static void wait_fence_interrupt(Device *d)
{
    if (d->doorbell_fd >= 0) {
        int fd = d->vector_fds[PVGPU_VECTOR_FENCE];
        guint64 value;

        while (read(fd, &value, sizeof(value)) != sizeof(value)) {
            if (errno != EAGAIN && errno != EINTR) {
                fail("vector eventfd: %s", g_strerror(errno));
            }
            wait_readable(fd);
        }
    } else {
        struct pvgpu_msg msg;

        recv_msg(d, &msg);
        if (msg.type != PVGPU_MSG_IRQ ||
            msg.u.irq.vector != PVGPU_VECTOR_FENCE) {
            fail("expected IRQ for vector FENCE, got message type %u",
                 msg.type);
        }
    }
}

/* One round trip; returns it in nanoseconds. */
static gint64 round_trip(Device *d)
{
    struct pvgpu_cmd_fence c = { .hdr.type = PVGPU_CMD_FENCE,
                                 .fence_id = ++d->fence,
                                 .flags = PVGPU_FENCE_FLAG_IRQ };
    gint64 start = now_ns();
    gint64 took;

    if (pvgpu_ring_writer_push(&d->writer, &c.hdr, sizeof(c)) ==
        G_MAXUINT64) {
        fail("the ring is full: the backend stopped consuming");
    }
    pvgpu_ring_writer_publish(&d->writer);
    ring_doorbell(d);
    wait_fence_interrupt(d);
    took = now_ns() - start;
    if (pvgpu_shared_load_acquire64(&d->ctrl->fence_completed) != d->fence) {
        fail("interrupt seen but fence %" G_GUINT64_FORMAT " not completed",
             d->fence);
    }
    return took;
}

static int compare_i64(const void *a, const void *b)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

    return (x > y) - (x < y);
}

static CaseResult run_case(const Case *c, guint warmup, guint iterations)
{
    Device d = { .fence = 0 };
    g_autofree gint64 *samples = g_new(gint64, iterations);
    struct pvgpu_msg ack;
    CaseResult res = { 0 };
    GThread *backend;
    int sv[2];
    int exit_code;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        fail("socketpair: %s", g_strerror(errno));
    }
    d.sock = sv[1];
    map_memory(&d);
    make_eventfds(&d, c->eventfd);
    parse_backend_options(&d, sv[0], c->poll_us);
    backend = g_thread_new("backend", backend_main, &d);

    send_handshake(&d, c->eventfd);
    recv_msg(&d, &ack);
    if (ack.type != PVGPU_MSG_HANDSHAKE_ACK) {
        fail("expected HANDSHAKE_ACK, got message type %u", ack.type);
    }
    if (c->eventfd && !(ack.u.ack.features & PVGPU_FEATURE_EVENTFD)) {
        fail("the backend did not take the eventfds");
    }

    for (guint i = 0; i < warmup; i++) {
        round_trip(&d);
    }
    for (guint i = 0; i < iterations; i++) {
        samples[i] = round_trip(&d);
    }

    /* the device goes away: the backend of a connected --fd exits */
    close(d.sock);
    exit_code = GPOINTER_TO_INT(g_thread_join(backend));
    if (exit_code != PVGPU_EXIT_OK) {
        fail("the backend exited with %d", exit_code);
    }
    if (d.ctrl->error_count != 0) {
        fail("the backend refused %u commands", d.ctrl->error_count);
    }
    pvgpu_options_clear(&d.opts);
    munmap(d.mem, SHMEM_SIZE);
    close(d.memfd);
    if (d.doorbell_fd >= 0) {
        close(d.doorbell_fd);
    }
    for (guint v = 0; v < PVGPU_NUM_VECTORS; v++) {
        if (d.vector_fds[v] >= 0) {
            close(d.vector_fds[v]);
        }
    }

    qsort(samples, iterations, sizeof(*samples), compare_i64);
    res.median_us = samples[iterations / 2] / 1e3;
    /* nearest rank: the smallest sample with 99% at or below it */
    res.p99_us = samples[(iterations * 99 + 99) / 100 - 1] / 1e3;
    return res;
}

int main(int argc, char **argv)
{
    gint iterations = 20000, warmup = 1000, poll_us = 1000;
    gboolean json = FALSE;
    GOptionEntry entries[] = {
        { "iterations", 0, 0, G_OPTION_ARG_INT, &iterations,
          "Measured round trips per case (default 20000)", "N" },
        { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup,
          "Round trips before measuring, per case (default 1000)", "N" },
        { "poll-us", 0, 0, G_OPTION_ARG_INT, &poll_us,
          "The backend's --poll-us in the polling cases; 0 skips them "
          "(default 1000)", "N" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &json,
          "Print one JSON object instead of text", NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(GError) error = NULL;
    Case cases[4];
    CaseResult results[4];
    guint n_cases = 0;

    g_option_context_set_summary(ctx, "Measures the round trip guest "
                                      "doorbell -> FENCE executed -> "
                                      "interrupt of the pvgpu backend.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "doorbell-latency: %s\n", error->message);
        return 1;
    }
    if (argc > 1) {
        fprintf(stderr, "doorbell-latency: unexpected argument \"%s\"\n",
                argv[1]);
        return 1;
    }
    if (iterations < 1 || warmup < 0) {
        fprintf(stderr, "doorbell-latency: --iterations must be at least 1 "
                        "and --warmup at least 0\n");
        return 1;
    }
    if (poll_us < 0 || poll_us > (gint)PVGPU_MAX_POLL_US) {
        fprintf(stderr, "doorbell-latency: --poll-us must be 0..%u\n",
                PVGPU_MAX_POLL_US);
        return 1;
    }
    g_log_set_writer_func(quiet_writer, NULL, NULL);

    cases[n_cases++] = (Case){ "socket", FALSE, 0 };
    cases[n_cases++] = (Case){ "eventfd", TRUE, 0 };
    if (poll_us > 0) {
        cases[n_cases++] = (Case){ "socket+poll", FALSE, (guint32)poll_us };
        cases[n_cases++] = (Case){ "eventfd+poll", TRUE, (guint32)poll_us };
    }
    for (guint i = 0; i < n_cases; i++) {
        results[i] = run_case(&cases[i], (guint)warmup, (guint)iterations);
    }

    if (json) {
        printf("{\"iterations\":%d,\"warmup\":%d,\"cases\":[", iterations,
               warmup);
        for (guint i = 0; i < n_cases; i++) {
            printf("%s{\"case\":\"%s\",\"doorbell\":\"%s\",\"poll_us\":%u,"
                   "\"median_us\":%.2f,\"p99_us\":%.2f}",
                   i > 0 ? "," : "", cases[i].name,
                   cases[i].eventfd ? "eventfd" : "socket", cases[i].poll_us,
                   results[i].median_us, results[i].p99_us);
        }
        printf("]}\n");
    } else {
        printf("round trip publish+doorbell -> FENCE -> interrupt, "
               "%d samples per case\n", iterations);
        printf("%-14s %8s %12s %10s\n", "case", "poll_us", "median_us",
               "p99_us");
        for (guint i = 0; i < n_cases; i++) {
            printf("%-14s %8u %12.2f %10.2f\n", cases[i].name,
                   cases[i].poll_us, results[i].median_us,
                   results[i].p99_us);
        }
    }
    return 0;
}
