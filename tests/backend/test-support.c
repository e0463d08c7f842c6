/* SPDX-License-Identifier: MIT */
#include "test-helpers.h"
#include "test-support.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

/* Fails the test with error's message unless ok. */
static void check(gboolean ok, GError *error)
{
    if (!ok) {
        fail_msg("%s", error->message);
    }
}

gint64 test_deadline(void)
{
    return g_get_monotonic_time() +
           TEST_DEADLINE_MS * G_TIME_SPAN_MILLISECOND;
}

void test_device_memory_init(DeviceMemory *m, guint64 size)
{
    g_autoptr(GError) error = NULL;

    check(device_memory_init(m, size, &error), error);
}

void test_send_with_fds(int sock, const void *buf, gsize len,
                        const int *fds, guint n_fds)
{
    g_autoptr(GError) error = NULL;

    check(device_end_send_with_fds(sock, buf, len, fds, n_fds, &error),
          error);
}

void test_send_handshake(int sock, guint64 shmem_size, int memfd,
                         const int *eventfds)
{
    g_autoptr(GError) error = NULL;

    check(device_end_send_handshake(sock, shmem_size, memfd, eventfds,
                                    &error), error);
}

void test_send_empty(int sock, guint32 type)
{
    g_autoptr(GError) error = NULL;

    check(device_end_send_empty(sock, type, &error), error);
}

gboolean test_readable_before(int fd, gint64 until)
{
    g_autoptr(GError) error = NULL;

    if (device_end_wait_readable(fd, until, &error)) {
        return TRUE;
    }
    check(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT), error);
    return FALSE;
}

void test_wait_readable(int fd, gint64 until)
{
    g_autoptr(GError) error = NULL;

    check(device_end_wait_readable(fd, until, &error), error);
}

/* TRUE when ok, FALSE on a closed connection; fails the test otherwise. */
static gboolean ok_or_closed(gboolean ok, GError *error)
{
    if (ok) {
        return TRUE;
    }
    check(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED),
          error);
    return FALSE;
}

gboolean test_read_full(int fd, void *buf, gsize len)
{
    g_autoptr(GError) error = NULL;
    gboolean ok = device_end_read_full(fd, buf, len, test_deadline(),
                                       &error);

    return ok_or_closed(ok, error);
}

gboolean test_recv_msg(int sock, struct pvgpu_msg *msg)
{
    g_autoptr(GError) error = NULL;
    gboolean ok = device_end_recv_msg(sock, msg, test_deadline(), &error);

    return ok_or_closed(ok, error);
}

void test_remove_tree(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);
    const gchar *name;

    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree gchar *p = g_build_filename(path, name, NULL);
        g_unlink(p);
    }
    if (dir != NULL) {
        g_dir_close(dir);
    }
    g_rmdir(path);
}

void assert_png_pixels(const TestPng *png, const TestPixel *pixels,
                       gsize n_pixels)
{
    for (gsize i = 0; i < n_pixels; i++) {
        assert_int_equal(test_png_rgba(png, pixels[i].x, pixels[i].y),
                         pixels[i].rgba);
    }
}

void assert_screenshot(JsonObject *resp, const char *path, gint64 width,
                       gint64 height, const TestPixel *pixels,
                       gsize n_pixels)
{
    TestPng png;

    assert_true(json_object_get_boolean_member(resp, "ok"));
    assert_int_equal(json_object_get_int_member(resp, "width"), width);
    assert_int_equal(json_object_get_int_member(resp, "height"), height);
    json_object_unref(resp);
    assert_true(test_png_read(path, &png));
    assert_png_pixels(&png, pixels, n_pixels);
    test_png_clear(&png);
}

int test_notify_socket(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0 && strlen(path) < sizeof(addr.sun_path));
    strcpy(addr.sun_path, path);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    return fd;
}

void test_kill_backend(GPid pid)
{
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}
