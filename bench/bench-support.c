/* SPDX-License-Identifier: MIT */
#include "bench-support.h"

#include <stdio.h>
#include <stdlib.h>

static void print_error(const char *fmt, va_list ap)
{
    const char *name = g_get_prgname();

    fprintf(stderr, "%s: ", name != NULL ? name : "bench");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
}

void bench_usage_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    print_error(fmt, ap);
    va_end(ap);
    exit(1);
}

void bench_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    print_error(fmt, ap);
    va_end(ap);
    exit(3);
}

void bench_parse_options(int *argc, char ***argv, const char *summary,
                         const GOptionEntry *entries)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(GError) error = NULL;

    g_option_context_set_summary(ctx, summary);
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, argc, argv, &error)) {
        bench_usage_error("%s", error->message);
    }
    if (*argc > 1) {
        bench_usage_error("unexpected argument \"%s\"", (*argv)[1]);
    }
}
