/* SPDX-License-Identifier: MIT */
/*
 * Assertions over the device's end (device-end.h) and over PNG files, shared
 * by the backend tests: each fails the running test with the reason.
 */
#ifndef PVGPU_TESTS_BACKEND_SUPPORT_H
#define PVGPU_TESTS_BACKEND_SUPPORT_H

#include <json-glib/json-glib.h>

#include "device-end.h"
#include "png-read.h"

/* Guards against a hung backend; nothing depends on speed. */
#define TEST_DEADLINE_MS 30000

gint64 test_deadline(void);

void test_device_memory_init(DeviceMemory *m, guint64 size);

void test_send_with_fds(int sock, const void *buf, gsize len,
                        const int *fds, guint n_fds);
void test_send_handshake(int sock, guint64 shmem_size, int memfd,
                         const int *eventfds);
void test_send_empty(int sock, guint32 type);

/* FALSE when fd is not readable before until. */
gboolean test_readable_before(int fd, gint64 until);
/* Fails the test when fd is not readable before until. */
void test_wait_readable(int fd, gint64 until);
/* Reads exactly len bytes before the deadline; FALSE on EOF before the
 * first byte. */
gboolean test_read_full(int fd, void *buf, gsize len);
/* Reads one message before the deadline; FALSE on EOF before it. */
gboolean test_recv_msg(int sock, struct pvgpu_msg *msg);

/* A datagram socket bound at path: a backend started with
 * NOTIFY_SOCKET=path says READY=1 there. */
int test_notify_socket(const char *path);

/* Kills and reaps a backend started by a test (nothing when pid <= 0). */
void test_kill_backend(GPid pid);

/* Removes the files in the directory at path, then the directory. */
void test_remove_tree(const char *path);

typedef struct {
    guint32 x;
    guint32 y;
    guint32 rgba; /* as test_png_rgba() packs it */
} TestPixel;

void assert_png_pixels(const TestPng *png, const TestPixel *pixels,
                       gsize n_pixels);

/* A successful screenshot reply (consumed) of width x height whose file
 * at path has these pixels. */
void assert_screenshot(JsonObject *resp, const char *path, gint64 width,
                       gint64 height, const TestPixel *pixels,
                       gsize n_pixels);

#endif
