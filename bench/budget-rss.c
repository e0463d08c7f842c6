/* SPDX-License-Identifier: MIT */
/*
 * How much the backend really grows under its --memory-budget. The real
 * backend runs in a thread (bench-backend.h); this thread plays the guest
 * and creates resources, each filled so that its pages are resident, until
 * the backend refuses one with OUT_OF_MEMORY. Cases: 1x1 resources (the
 * per-resource overhead dominates), 1024x1024 resources (the pixels do),
 * and one resource of 3/5 of the budget shown and presented (the frame
 * copy does not fit). Reports the growth of this process's VmRSS, taken
 * after the handshake, against the budget.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench-backend.h"
#include "bench-support.h"
#include "control-region.h"

#define SHMEM_SIZE PVGPU_SHMEM_MIN_SIZE
#define SYNC_TIMEOUT_MS 60000

typedef struct {
    const char *name;
    guint32 width;      /* of each resource; 0: one resource, presented */
    guint32 height;
} Case;

typedef struct {
    guint64 resources;
    gboolean present_refused;
    guint64 rss_growth;
} CaseResult;

static GLogWriterOutput quiet_writer(GLogLevelFlags level,
                                     const GLogField *fields, gsize n_fields,
                                     gpointer data)
{
    if (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE |
                 G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) {
        return G_LOG_WRITER_HANDLED; /* the refusals are what we expect */
    }
    return g_log_writer_default(level, fields, n_fields, data);
}

static guint64 vm_rss(void)
{
    g_autofree gchar *status = NULL;
    const char *line;

    if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL) ||
        (line = strstr(status, "\nVmRSS:")) == NULL) {
        bench_fail("cannot read VmRSS from /proc/self/status");
    }
    return g_ascii_strtoull(line + strlen("\nVmRSS:"), NULL, 10) * 1024;
}

static void push(BenchBackend *b, struct pvgpu_cmd_hdr *hdr, guint32 size)
{
    if (!bench_backend_push(b, hdr, size)) {
        bench_fail("the ring is full");
    }
}

static gboolean push_create_fill(BenchBackend *b, guint32 id, guint32 w,
                                 guint32 h)
{
    struct pvgpu_cmd_resource_create_2d create = {
        .hdr.type = PVGPU_CMD_RESOURCE_CREATE_2D, .resource_id = id,
        .format = PVGPU_FORMAT_B8G8R8A8_UNORM, .width = w, .height = h,
    };
    struct pvgpu_cmd_fill_rect fill = {
        .hdr.type = PVGPU_CMD_FILL_RECT, .resource_id = id,
        .color = 0xff336699, .rect = { 0, 0, w, h },
    };
    /* room for both and the fence of the next sync */
    guint64 room = b->dev.layout.ring_size -
                   (b->dev.writer.producer - b->dev.ctrl->consumer);

    if (room < 4 * PVGPU_CMD_MAX_SIZE) {
        return FALSE;
    }
    push(b, &create.hdr, sizeof(create));
    push(b, &fill.hdr, sizeof(fill));
    return TRUE;
}

/* Resources of w x h until one is refused; returns how many were made. */
static guint64 fill_budget(BenchBackend *b, guint32 w, guint32 h)
{
    guint64 pushed = 0;

    for (;;) {
        guint32 errors_before = b->dev.ctrl->error_count;
        guint64 in_batch = 0;
        guint32 errors;

        while (push_create_fill(b, (guint32)(pushed + in_batch + 1), w, h)) {
            in_batch++;
        }
        bench_backend_sync(b, SYNC_TIMEOUT_MS);
        errors = b->dev.ctrl->error_count - errors_before;
        if (errors > 0) {
            if (b->dev.ctrl->error_code != PVGPU_ERROR_RESOURCE_UNKNOWN &&
                b->dev.ctrl->error_code != PVGPU_ERROR_OUT_OF_MEMORY) {
                bench_fail("unexpected refusal 0x%x",
                           b->dev.ctrl->error_code);
            }
            /* a refused create, then the fill of what it did not make */
            return pushed + in_batch - errors / 2;
        }
        pushed += in_batch;
    }
}

static gboolean present_large(BenchBackend *b, guint64 budget)
{
    guint32 side = 1;
    struct pvgpu_cmd_set_scanout scanout = {
        .hdr.type = PVGPU_CMD_SET_SCANOUT, .resource_id = 1,
    };
    struct pvgpu_cmd_present present = { .hdr.type = PVGPU_CMD_PRESENT };
    guint32 errors_before;

    while ((guint64)(side + 1) * (side + 1) * 4 <= budget * 3 / 5 &&
           side < PVGPU_MAX_DIMENSION) {
        side++;
    }
    push_create_fill(b, 1, side, side);
    bench_backend_sync(b, SYNC_TIMEOUT_MS);
    if (b->dev.ctrl->error_count != 0) {
        bench_fail("a %ux%u resource was refused under a budget of %"
                   G_GUINT64_FORMAT " bytes", side, side, budget);
    }
    scanout.src = (struct pvgpu_rect){ 0, 0, side, side };
    present.damage = scanout.src;
    errors_before = b->dev.ctrl->error_count;
    push(b, &scanout.hdr, sizeof(scanout));
    push(b, &present.hdr, sizeof(present));
    bench_backend_sync(b, SYNC_TIMEOUT_MS);
    return b->dev.ctrl->error_count != errors_before &&
           b->dev.ctrl->error_code == PVGPU_ERROR_OUT_OF_MEMORY;
}

static CaseResult run_case(const Case *c, const char *budget_arg,
                           guint64 budget)
{
    g_autofree gchar *arg = g_strdup_printf("--memory-budget=%s", budget_arg);
    const char *args[] = { arg, NULL };
    CaseResult res = { 0 };
    BenchBackend b;
    guint64 before;
    int code;

    bench_backend_start(&b, SHMEM_SIZE, args);
    bench_backend_sync(&b, SYNC_TIMEOUT_MS);
    before = vm_rss();
    if (c->width != 0) {
        res.resources = fill_budget(&b, c->width, c->height);
    } else {
        res.resources = 1;
        res.present_refused = present_large(&b, budget);
    }
    res.rss_growth = vm_rss() - MIN(before, vm_rss());
    code = bench_backend_stop(&b);
    if (code != 0) {
        bench_fail("the backend exited with %d", code);
    }
    return res;
}

int main(int argc, char **argv)
{
    g_autofree gchar *budget_arg = NULL;
    gboolean json = FALSE;
    GOptionEntry entries[] = {
        { "budget", 0, 0, G_OPTION_ARG_STRING, &budget_arg,
          "The backend's --memory-budget (default 64M)", "SIZE" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &json,
          "Print one JSON object instead of text", NULL },
        { NULL },
    };
    static const Case cases[] = {
        { "1x1", 1, 1 },
        { "1024x1024", 1024, 1024 },
        { "present", 0, 0 },
    };
    CaseResult results[G_N_ELEMENTS(cases)];
    PvgpuOptions probe = { 0 };
    guint64 budget;

    bench_parse_options(&argc, &argv, "Reports how far the pvgpu backend "
                                      "grows (VmRSS) under its memory "
                                      "budget.", entries);
    if (budget_arg == NULL) {
        budget_arg = g_strdup("64M");
    }
    {
        g_autofree gchar *arg = g_strdup_printf("--memory-budget=%s",
                                                budget_arg);
        char *args[] = { "budget-rss", "--fd=0", arg, NULL };
        char **pargv = args;
        int pargc = 3;
        g_autoptr(GError) error = NULL;

        if (!pvgpu_options_parse(&pargc, &pargv, &probe, &error)) {
            bench_usage_error("--budget: %s", error->message);
        }
        budget = probe.memory_budget;
        pvgpu_options_clear(&probe);
    }
    g_log_set_writer_func(quiet_writer, NULL, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        results[i] = run_case(&cases[i], budget_arg, budget);
    }

    if (json) {
        printf("{\"budget\":%" G_GUINT64_FORMAT ",\"cases\":[", budget);
        for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
            printf("%s{\"case\":\"%s\",\"resources\":%" G_GUINT64_FORMAT
                   ",\"present_refused\":%s,\"rss_growth\":%" G_GUINT64_FORMAT
                   ",\"growth_per_budget\":%.3f}",
                   i > 0 ? "," : "", cases[i].name, results[i].resources,
                   results[i].present_refused ? "true" : "false",
                   results[i].rss_growth,
                   (double)results[i].rss_growth / (double)budget);
        }
        printf("]}\n");
    } else {
        printf("budget %" G_GUINT64_FORMAT " bytes; VmRSS growth until the "
               "backend refuses\n", budget);
        printf("%-10s %10s %16s %14s %8s\n", "case", "resources",
               "present_refused", "rss_growth", "/budget");
        for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
            printf("%-10s %10" G_GUINT64_FORMAT " %16s %14" G_GUINT64_FORMAT
                   " %8.3f\n", cases[i].name, results[i].resources,
                   results[i].present_refused ? "yes" : "no",
                   results[i].rss_growth,
                   (double)results[i].rss_growth / (double)budget);
        }
    }
    return 0;
}
