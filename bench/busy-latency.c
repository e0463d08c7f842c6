/* SPDX-License-Identifier: MIT */
/*
 * How fast the backend answers while its ring is busy: the guest fills the
 * ring with COPY_RECTs between two 2048x2048 resources (minutes of work),
 * then this program times control-socket "status" round trips and,
 * last, SIGTERM until pvgpu_backend_run() returns. The real backend runs
 * in a thread (bench-backend.h), once without and once with --poll-us.
 * The target is 100 ms for both under any ring contents.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bench-backend.h"
#include "bench-support.h"
#include "control-region.h"

#define SHMEM_SIZE PVGPU_SHMEM_MIN_SIZE
/* --side: the copies are of SIDE x SIDE resources */
static guint32 side = 2048;
#define SIDE side
#define ANSWER_TIMEOUT_MS 60000
#define TARGET_MS 100.0

typedef struct {
    double status_median_ms;
    double status_max_ms;
    double sigterm_ms;
    guint64 copies_left;     /* when SIGTERM was sent */
} CaseResult;

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

static double ms_since(gint64 start)
{
    return (double)(g_get_monotonic_time() - start) / 1000.0;
}

static void push(BenchBackend *b, struct pvgpu_cmd_hdr *hdr, guint32 size)
{
    if (!bench_backend_push(b, hdr, size)) {
        bench_fail("the ring is full");
    }
}

/* Returns the ring index of the first copy. */
static guint64 make_busy(BenchBackend *b)
{
    struct pvgpu_cmd_resource_create_2d create = {
        .hdr.type = PVGPU_CMD_RESOURCE_CREATE_2D,
        .format = PVGPU_FORMAT_B8G8R8A8_UNORM, .width = SIDE, .height = SIDE,
    };
    struct pvgpu_cmd_copy_rect copy = {
        .hdr.type = PVGPU_CMD_COPY_RECT, .src_resource_id = 1,
        .dst_resource_id = 2, .src = { 0, 0, SIDE, SIDE },
    };
    guint64 first;

    for (guint32 id = 1; id <= 2; id++) {
        create.resource_id = id;
        push(b, &create.hdr, sizeof(create));
    }
    bench_backend_sync(b, ANSWER_TIMEOUT_MS);
    first = b->dev.writer.producer;
    while (bench_backend_push(b, &copy.hdr, sizeof(copy))) {
    }
    bench_backend_kick(b);
    while (pvgpu_shared_load_acquire64(&b->dev.ctrl->consumer) <= first) {
        g_usleep(1000);
    }
    return first;
}

static double status_round_trip(const char *path)
{
    static const char request[] = "{\"command\":\"status\"}\n";
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    gint64 start = g_get_monotonic_time();
    gint64 until = start + ANSWER_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char c = 0;

    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        write(fd, request, strlen(request)) != (ssize_t)strlen(request)) {
        bench_fail("control socket %s: %s", path, g_strerror(errno));
    }
    while (c != '\n') {
        g_autoptr(GError) error = NULL;

        if (!device_end_wait_readable(fd, until, &error) ||
            read(fd, &c, 1) != 1) {
            bench_fail("no status reply: %s",
                       error ? error->message : "connection closed");
        }
    }
    close(fd);
    return ms_since(start);
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static CaseResult run_case(guint32 poll_us, guint requests)
{
    g_autofree gchar *dir = g_dir_make_tmp("pvgpu-busy-XXXXXX", NULL);
    g_autofree gchar *ctl = g_build_filename(dir, "control.sock", NULL);
    g_autofree gchar *ctl_arg = g_strdup_printf("--control-socket=%s", ctl);
    g_autofree gchar *poll_arg = g_strdup_printf("--poll-us=%u", poll_us);
    /* two resources and a frame, with room to spare */
    g_autofree gchar *budget_arg = g_strdup_printf(
        "--memory-budget=%" G_GUINT64_FORMAT "M",
        (guint64)((3ull * SIDE * SIDE * 4 >> 20) + 16));
    const char *args[] = { ctl_arg, poll_arg, budget_arg, NULL };
    g_autofree double *samples = g_new(double, requests);
    CaseResult res = { 0 };
    BenchBackend b;
    gint64 start;
    int code;

    bench_backend_start(&b, SHMEM_SIZE, args);
    make_busy(&b);
    for (guint i = 0; i < requests; i++) {
        samples[i] = status_round_trip(ctl);
    }
    qsort(samples, requests, sizeof(*samples), compare_double);
    res.status_median_ms = samples[requests / 2];
    res.status_max_ms = samples[requests - 1];
    res.copies_left = (b.dev.writer.producer -
                       pvgpu_shared_load_acquire64(&b.dev.ctrl->consumer)) /
                      sizeof(struct pvgpu_cmd_copy_rect);
    if (res.copies_left == 0) {
        bench_fail("the ring ran empty before the measurement ended");
    }
    start = g_get_monotonic_time();
    kill(getpid(), SIGTERM);
    code = bench_backend_join(&b);
    res.sigterm_ms = ms_since(start);
    if (code != 0) {
        bench_fail("the backend exited with %d", code);
    }
    g_remove(ctl);
    g_rmdir(dir);
    return res;
}

int main(int argc, char **argv)
{
    gint requests = 20, poll_us = 10000, side_arg = 2048;
    gboolean json = FALSE;
    GOptionEntry entries[] = {
        { "requests", 0, 0, G_OPTION_ARG_INT, &requests,
          "Status round trips per case (default 20)", "N" },
        { "poll-us", 0, 0, G_OPTION_ARG_INT, &poll_us,
          "The backend's --poll-us in the polling case; 0 skips it "
          "(default 10000)", "N" },
        { "side", 0, 0, G_OPTION_ARG_INT, &side_arg,
          "Width and height of the resources copied (default 2048; 16384 "
          "is the largest, 1 GiB each)", "N" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &json,
          "Print one JSON object instead of text", NULL },
        { NULL },
    };
    guint32 polls[2] = { 0, 0 };
    CaseResult results[2];
    guint n_cases = 1;

    bench_parse_options(&argc, &argv, "Measures how fast the pvgpu backend "
                                      "answers the control socket and "
                                      "SIGTERM while its ring is busy.",
                        entries);
    if (requests < 1) {
        bench_usage_error("--requests must be at least 1");
    }
    if (poll_us < 0 || poll_us > (gint)PVGPU_MAX_POLL_US) {
        bench_usage_error("--poll-us must be 0..%u", PVGPU_MAX_POLL_US);
    }
    if (side_arg < 1 || side_arg > 16384) {
        bench_usage_error("--side must be 1..16384");
    }
    side = (guint32)side_arg;
    if (poll_us > 0) {
        polls[n_cases++] = (guint32)poll_us;
    }
    g_log_set_writer_func(quiet_writer, NULL, NULL);
    for (guint i = 0; i < n_cases; i++) {
        results[i] = run_case(polls[i], (guint)requests);
    }

    if (json) {
        printf("{\"target_ms\":%.0f,\"requests\":%d,\"cases\":[", TARGET_MS,
               requests);
        for (guint i = 0; i < n_cases; i++) {
            printf("%s{\"poll_us\":%u,\"status_median_ms\":%.2f,"
                   "\"status_max_ms\":%.2f,\"sigterm_ms\":%.2f,"
                   "\"copies_left\":%" G_GUINT64_FORMAT "}",
                   i > 0 ? "," : "", polls[i], results[i].status_median_ms,
                   results[i].status_max_ms, results[i].sigterm_ms,
                   results[i].copies_left);
        }
        printf("]}\n");
    } else {
        printf("answers while the ring holds %ux%u copies (target %.0f ms)\n",
               SIDE, SIDE, TARGET_MS);
        printf("%8s %17s %14s %11s %12s\n", "poll_us", "status_median_ms",
               "status_max_ms", "sigterm_ms", "copies_left");
        for (guint i = 0; i < n_cases; i++) {
            printf("%8u %17.2f %14.2f %11.2f %12" G_GUINT64_FORMAT "\n",
                   polls[i], results[i].status_median_ms,
                   results[i].status_max_ms, results[i].sigterm_ms,
                   results[i].copies_left);
        }
    }
    return 0;
}
