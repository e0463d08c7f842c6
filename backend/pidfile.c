/* SPDX-License-Identifier: MIT */
#include "pidfile.h"

#include <errno.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <unistd.h>

gboolean pvgpu_pidfile_write(const char *path, GError **error)
{
    g_autofree gchar *text = g_strdup_printf("%d\n", (int)getpid());

    /* g_file_set_contents writes a temporary file and renames it */
    if (!g_file_set_contents_full(path, text, -1,
                                  G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                  error)) {
        g_prefix_error(error, "cannot write the pidfile: ");
        return FALSE;
    }
    return TRUE;
}

void pvgpu_pidfile_remove(const char *path)
{
    g_autofree gchar *text = NULL;

    if (g_file_get_contents(path, &text, NULL, NULL) &&
        strtol(text, NULL, 10) == (long)getpid()) {
        unlink(path);
    }
}
