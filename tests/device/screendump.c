/* SPDX-License-Identifier: MIT */
#include "screendump.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ppm-read.h"
#include "qmp-client.h"
#include "test-log.h"

guint8 *screendump_rgb(QTestClient *qt, const char *dir, const char *device,
                       guint32 *width, guint32 *height)
{
    static guint serial;
    g_autofree gchar *path = g_strdup_printf("%s/screendump-%u.ppm", dir,
                                             serial++);
    g_autofree gchar *device_arg =
        device ? g_strdup_printf(", 'device': '%s'", device) : g_strdup("");
    g_autofree gchar *cmd = g_strdup_printf(
        "{'execute': 'screendump', 'arguments': {'filename': '%s'%s}}", path,
        device_arg);
    g_autoptr(JsonObject) reply = qt_qmp(qt, cmd);
    g_autoptr(GError) error = NULL;
    g_autofree gchar *data = NULL;
    const char *why = NULL;
    gsize len = 0;
    guint8 *rgb;

    g_assert_null(qmp_reply_error_desc(reply));
    g_assert_true(g_file_get_contents(path, &data, &len, &error));
    rgb = ppm_parse_rgb((const guint8 *)data, len, width, height, &why);
    if (rgb == NULL) {
        g_error("%s: %s", path, why);
    }
    g_remove(path);
    return rgb;
}

gboolean screendump_shows(QTestClient *qt, const char *dir,
                          const char *device, const guint8 *want,
                          guint32 width, guint32 height)
{
    guint32 w = 0, h = 0;
    g_autofree guint8 *got = screendump_rgb(qt, dir, device, &w, &h);

    if (w != width || h != height) {
        test_log("console is %ux%u, want %ux%u", w, h, width, height);
        return FALSE;
    }
    for (guint32 i = 0; i < width * height; i++) {
        if (memcmp(got + i * 3, want + i * 3, 3) != 0) {
            test_log("pixel (%u, %u): got %02x%02x%02x want %02x%02x%02x",
                     i % width, i / width, got[i * 3], got[i * 3 + 1],
                     got[i * 3 + 2], want[i * 3], want[i * 3 + 1],
                     want[i * 3 + 2]);
            return FALSE;
        }
    }
    return TRUE;
}

void screendump_wait_for(QTestClient *qt, const char *dir,
                         const char *device, const guint8 *want,
                         guint32 width, guint32 height)
{
    gint64 deadline = g_get_monotonic_time() + QT_TIMEOUT_US;

    while (!screendump_shows(qt, dir, device, want, width, height)) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(20000);
    }
}
