/* SPDX-License-Identifier: MIT */
/*
 * The device tests' log: every register access, qtest IRQ line, QMP and
 * backend message is written here. GLib drops g_test_message() in a test
 * subprocess, so the log goes to a file that the runner prints when the
 * test fails (or always with --verbose); outside the runner it falls back
 * to g_test_message().
 */
#ifndef PVGPU_TEST_LOG_H
#define PVGPU_TEST_LOG_H

#include <glib.h>

void test_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Sends the log of this process to path (appending). */
void test_log_open(const char *path);

#endif /* PVGPU_TEST_LOG_H */
