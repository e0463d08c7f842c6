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
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "bench-support.h"
#include "control-region.h"
#include "device-end.h"
#include "options.h"

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
    DeviceMemory dev;
    /* the doorbell, then one per vector; all -1 without EVENTFD */
    int eventfds[1 + PVGPU_NUM_VECTORS];
    guint64 fence;
} Device;

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

/* The backend answers by then, or it is broken rather than slow. */
static gint64 answer_deadline(void)
{
    return g_get_monotonic_time() +
           ANSWER_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
}

static void wait_readable(int fd)
{
    g_autoptr(GError) error = NULL;

    if (!device_end_wait_readable(fd, answer_deadline(), &error)) {
        bench_fail("waiting for the backend: %s", error->message);
    }
}

static void recv_msg(Device *d, struct pvgpu_msg *msg)
{
    g_autoptr(GError) error = NULL;

    if (!device_end_recv_msg(d->sock, msg, answer_deadline(), &error)) {
        bench_fail("reading from the backend: %s", error->message);
    }
}

static gint64 now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Non-blocking, as QEMU creates them; waits go through poll(). */
static void make_eventfds(Device *d, gboolean eventfd_mode)
{
    for (guint i = 0; i < G_N_ELEMENTS(d->eventfds); i++) {
        d->eventfds[i] = -1;
    }
    for (guint i = 0; eventfd_mode && i < G_N_ELEMENTS(d->eventfds); i++) {
        d->eventfds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (d->eventfds[i] < 0) {
            bench_fail("eventfd: %s", g_strerror(errno));
        }
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
        bench_fail("backend options: %s", error->message);
    }
}

static gpointer backend_main(gpointer data)
{
    Device *d = data;

    return GINT_TO_POINTER(pvgpu_backend_run(&d->opts));
}

static void ring_doorbell(Device *d)
{
    if (d->eventfds[0] >= 0) {
        guint64 one = 1;

        if (write(d->eventfds[0], &one, sizeof(one)) != sizeof(one)) {
            bench_fail("doorbell eventfd: %s", g_strerror(errno));
        }
    } else {
        g_autoptr(GError) error = NULL;

        if (!device_end_send_empty(d->sock, PVGPU_MSG_DOORBELL, &error)) {
            bench_fail("doorbell: %s", error->message);
        }
    }
}

static void wait_fence_interrupt(Device *d)
{
    if (d->eventfds[0] >= 0) {
        int fd = d->eventfds[1 + PVGPU_VECTOR_FENCE];
        guint64 value;

        while (read(fd, &value, sizeof(value)) != sizeof(value)) {
            if (errno != EAGAIN && errno != EINTR) {
                bench_fail("vector eventfd: %s", g_strerror(errno));
            }
            wait_readable(fd);
        }
    } else {
        struct pvgpu_msg msg;

        recv_msg(d, &msg);
        if (msg.type != PVGPU_MSG_IRQ ||
            msg.u.irq.vector != PVGPU_VECTOR_FENCE) {
            bench_fail("expected IRQ for vector FENCE, got message type %u",
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

    if (pvgpu_ring_writer_push(&d->dev.writer, &c.hdr, sizeof(c)) ==
        G_MAXUINT64) {
        bench_fail("the ring is full: the backend stopped consuming");
    }
    pvgpu_ring_writer_publish(&d->dev.writer);
    ring_doorbell(d);
    wait_fence_interrupt(d);
    took = now_ns() - start;
    if (pvgpu_shared_load_acquire64(&d->dev.ctrl->fence_completed) !=
        d->fence) {
        bench_fail("interrupt seen but fence %" G_GUINT64_FORMAT " not completed",
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
    g_autoptr(GError) error = NULL;
    GThread *backend;
    int sv[2];
    int exit_code;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        bench_fail("socketpair: %s", g_strerror(errno));
    }
    d.sock = sv[1];
    if (!device_memory_init(&d.dev, SHMEM_SIZE, &error)) {
        bench_fail("%s", error->message);
    }
    make_eventfds(&d, c->eventfd);
    parse_backend_options(&d, sv[0], c->poll_us);
    backend = g_thread_new("backend", backend_main, &d);

    if (!device_end_send_handshake(d.sock, SHMEM_SIZE, d.dev.memfd,
                                   c->eventfd ? d.eventfds : NULL, &error)) {
        bench_fail("sending the handshake: %s", error->message);
    }
    recv_msg(&d, &ack);
    if (ack.type != PVGPU_MSG_HANDSHAKE_ACK) {
        bench_fail("expected HANDSHAKE_ACK, got message type %u", ack.type);
    }
    if (c->eventfd && !(ack.u.ack.features & PVGPU_FEATURE_EVENTFD)) {
        bench_fail("the backend did not take the eventfds");
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
        bench_fail("the backend exited with %d", exit_code);
    }
    if (d.dev.ctrl->error_count != 0) {
        bench_fail("the backend refused %u commands",
                   d.dev.ctrl->error_count);
    }
    pvgpu_options_clear(&d.opts);
    device_memory_clear(&d.dev);
    for (guint i = 0; i < G_N_ELEMENTS(d.eventfds); i++) {
        if (d.eventfds[i] >= 0) {
            close(d.eventfds[i]);
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
    Case cases[4];
    CaseResult results[4];
    guint n_cases = 0;

    bench_parse_options(&argc, &argv, "Measures the round trip guest "
                                      "doorbell -> FENCE executed -> "
                                      "interrupt of the pvgpu backend.",
                        entries);
    if (iterations < 1 || warmup < 0) {
        bench_usage_error("--iterations must be at least 1 and --warmup at "
                          "least 0");
    }
    if (poll_us < 0 || poll_us > (gint)PVGPU_MAX_POLL_US) {
        bench_usage_error("--poll-us must be 0..%u", PVGPU_MAX_POLL_US);
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
