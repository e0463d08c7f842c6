/* SPDX-License-Identifier: MIT */
#include "test-log.h"

#include <stdarg.h>
#include <stdio.h>

static FILE *log_file;
static gint64 log_start;
static GMutex log_lock;

void test_log_open(const char *path)
{
    log_file = fopen(path, "ae");
    if (!log_file) {
        g_printerr("cannot open test log %s\n", path);
    }
    log_start = g_get_monotonic_time();
}

void test_log(const char *fmt, ...)
{
    g_autofree gchar *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (!log_file) {
        g_test_message("%s", msg);
        return;
    }
    g_mutex_lock(&log_lock);
    fprintf(log_file, "[%8.3f] %s\n",
            (double)(g_get_monotonic_time() - log_start) / 1e6, msg);
    fflush(log_file);
    g_mutex_unlock(&log_lock);
}
