/* SPDX-License-Identifier: MIT */
/*
 * The real pvgpu-backend as a child of the test: started with
 * --socket-path and --control-socket in a temporary directory, asked
 * questions over its control socket (newline-delimited JSON), stopped with
 * SIGTERM or killed with SIGKILL.
 */
#ifndef PVGPU_REAL_BACKEND_H
#define PVGPU_REAL_BACKEND_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "child-process.h"

typedef struct {
    ChildProcess *proc;
    gchar *binary;
    gchar *socket_path;
    gchar *control_path;
    gchar *log_path;
} RealBackend;

/*
 * Starts binary serving socket_path, with its control socket and log in
 * dir; returns once the control socket answers "status". Aborts the test
 * when it does not.
 */
RealBackend *real_backend_start(const char *binary, const char *dir,
                                const char *socket_path);
/* SIGTERM, wait for a clean exit (asserted), free. */
void real_backend_stop(RealBackend *b);
/* SIGKILL, reap, free: a crash as QEMU sees it. */
void real_backend_kill(RealBackend *b);
/* Kills if still running, frees. */
void real_backend_free(RealBackend *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RealBackend, real_backend_free)

/* One request line, its parsed reply; NULL with *error if none came. */
JsonObject *real_backend_request(RealBackend *b, const char *request,
                                 GError **error);

/* {"command":"status"}: the "status" object (a new reference). */
JsonObject *real_backend_status(RealBackend *b);

/*
 * {"command":"screenshot","path":png_path}; asserts "ok" and returns the
 * reported size.
 */
void real_backend_screenshot(RealBackend *b, const char *png_path,
                             guint32 *width, guint32 *height);

#endif /* PVGPU_REAL_BACKEND_H */
