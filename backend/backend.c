/* SPDX-License-Identifier: MIT */
#include "backend.h"

#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control-server.h"
#include "device-conn.h"
#include "peer-check.h"
#include "pidfile.h"
#include "sd-notify.h"
#include "unix-socket.h"

/* Pause after an accept() failure such as EMFILE, instead of spinning. */
#define ACCEPT_RETRY_MS 1000

/* Connections that may wait for their HANDSHAKE at once: a peer that
 * connects and stays silent cannot keep the real device out. */
#define PENDING_SLOTS 4u

typedef struct {
    const PvgpuOptions *opts;
    PvgpuEngineConfig config;
    int listen_fd;          /* -1 when serving one inherited connection */
    guint listen_watch;
    PvgpuSocketFile socket_file;
    PvgpuSocketFile control_file;
    PvgpuControlServer *control;
    PvgpuControlHandler control_handler;
    PvgpuDeviceConn *conn;  /* the device served; NULL before a handshake */
    GPtrArray *pending;     /* connections waiting for their HANDSHAKE */
    PvgpuDeviceConnSetup conn_setup;
    PvgpuLogLimit conn_log_limit;
    PvgpuPeerPolicy peer_policy;
    PvgpuCounters counters;
    guint64 generation;
    GMainLoop *loop;
    int exit_code;
    gboolean pidfile_written;
} Backend;

static void on_conn_closed(PvgpuDeviceConn *conn, gpointer data)
{
    Backend *b = data;

    if (conn == b->conn) {
        b->conn = NULL;
    } else {
        gboolean was_pending = g_ptr_array_remove_fast(b->pending, conn);

        g_assert(was_pending);
    }
    pvgpu_device_conn_free(conn);
    if (b->listen_fd < 0 && b->conn == NULL && b->pending->len == 0) {
        g_message("the device of the inherited connection went away; "
                  "exiting");
        g_main_loop_quit(b->loop);
    }
}

/* The first waiting connection to complete its handshake is the device;
 * the others are closed, so a device never waits beside another. */
static void on_conn_ready(PvgpuDeviceConn *conn, gpointer data)
{
    Backend *b = data;
    gboolean was_pending = g_ptr_array_remove_fast(b->pending, conn);

    g_assert(was_pending && b->conn == NULL);
    b->conn = conn;
    while (b->pending->len > 0) {
        pvgpu_device_conn_close(g_ptr_array_index(b->pending, 0),
                                "another connection completed its "
                                "handshake first");
    }
}

static void serve(Backend *b, int fd, const char *peer)
{
    g_ptr_array_add(b->pending,
                    pvgpu_device_conn_new(fd, &b->conn_setup, peer));
}

/* Closes a connection just accepted, with a line any peer may cause. */
static void refuse(Backend *b, int client, const char *peer, const char *why)
{
    if (pvgpu_log_limit_allow(&b->conn_log_limit, g_get_monotonic_time())) {
        g_warning("refusing a device connection from %s: %s", peer, why);
    }
    close(client);
}

static gboolean on_listen_readable(gint fd, GIOCondition cond, gpointer data);

static gboolean resume_accepting(gpointer data)
{
    Backend *b = data;

    b->listen_watch = g_unix_fd_add(b->listen_fd, G_IO_IN | G_IO_ERR |
                                    G_IO_HUP, on_listen_readable, b);
    return G_SOURCE_REMOVE;
}

static gboolean on_listen_readable(gint fd, GIOCondition cond, gpointer data)
{
    Backend *b = data;
    g_autoptr(GError) error = NULL;
    g_autofree gchar *peer = NULL;
    int client;

    if (cond & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) {
        g_critical("the listening socket failed; exiting");
        b->exit_code = PVGPU_EXIT_INTERNAL;
        b->listen_watch = 0;
        g_main_loop_quit(b->loop);
        return G_SOURCE_REMOVE;
    }
    client = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
            errno == ECONNABORTED) {
            return G_SOURCE_CONTINUE;
        }
        g_warning("cannot accept a device connection: %s; retrying in %d ms",
                  g_strerror(errno), ACCEPT_RETRY_MS);
        b->listen_watch = 0;
        g_timeout_add(ACCEPT_RETRY_MS, resume_accepting, b);
        return G_SOURCE_REMOVE;
    }
    if (!pvgpu_peer_check(client, &b->peer_policy, &peer, &error)) {
        refuse(b, client, peer, error->message);
        return G_SOURCE_CONTINUE;
    }
    if (b->conn != NULL && pvgpu_device_conn_peer_gone(b->conn)) {
        /* a device reconnecting at once (RESET) closed the old connection
         * before its end reached us; that end is not news any more */
        pvgpu_device_conn_close(b->conn, "the device closed the connection");
    }
    if (b->conn != NULL) {
        /* the device retries with backoff; it gets served once we are free */
        refuse(b, client, peer, "one device is served at a time");
        return G_SOURCE_CONTINUE;
    }
    if (b->pending->len >= PENDING_SLOTS) {
        g_autofree gchar *why = g_strdup_printf(
            "all %u connections waiting for a handshake are taken",
            PENDING_SLOTS);

        refuse(b, client, peer, why);
        return G_SOURCE_CONTINUE;
    }
    g_message("device connected: %s", peer);
    serve(b, client, peer);
    return G_SOURCE_CONTINUE;
}

static void shut_down(Backend *b, const char *signal_name)
{
    g_message("%s received; shutting down", signal_name);
    if (b->conn != NULL) {
        pvgpu_device_conn_shutdown(b->conn);
        b->conn = NULL;
    }
    g_main_loop_quit(b->loop);
}

static gboolean on_sigterm(gpointer data)
{
    shut_down(data, "SIGTERM");
    return G_SOURCE_CONTINUE;
}

static gboolean on_sigint(gpointer data)
{
    shut_down(data, "SIGINT");
    return G_SOURCE_CONTINUE;
}

static void get_status(gpointer data, PvgpuStatus *st)
{
    Backend *b = data;
    PvgpuEngine *engine = b->conn ? pvgpu_device_conn_get_engine(b->conn)
                                  : NULL;
    PvgpuScanout scanout;

    st->connected = b->conn != NULL || b->pending->len > 0;
    st->ready = b->conn != NULL && pvgpu_device_conn_is_ready(b->conn);
    st->features = b->conn ? pvgpu_device_conn_get_features(b->conn) : 0;
    st->shmem_size = b->conn ? pvgpu_device_conn_get_shmem_size(b->conn) : 0;
    st->generation = b->generation;
    st->counters = b->counters;
    if (engine != NULL) {
        PvgpuRenderer *r = pvgpu_engine_get_renderer(engine);

        pvgpu_engine_get_mode(engine, &st->mode_width, &st->mode_height);
        st->resources = pvgpu_renderer_resource_count(r);
        st->resource_bytes = pvgpu_renderer_resource_bytes(r);
        if (pvgpu_renderer_get_scanout(r, &scanout)) {
            st->has_scanout = TRUE;
            st->scanout_resource = scanout.resource_id;
            st->scanout_width = scanout.rect.width;
            st->scanout_height = scanout.rect.height;
            st->scanout_format = scanout.format;
        }
    }
}

static gboolean peek_frame(gpointer data, PvgpuImage *out)
{
    Backend *b = data;
    PvgpuEngine *engine = b->conn ? pvgpu_device_conn_get_engine(b->conn)
                                  : NULL;

    return engine != NULL &&
           pvgpu_renderer_peek_frame(pvgpu_engine_get_renderer(engine), out);
}

/* Sockets and files; returns an exit code, PVGPU_EXIT_OK when all is set. */
static int set_up(Backend *b)
{
    g_autoptr(GError) error = NULL;
    PvgpuInheritedKind kind;

    if (b->opts->socket_path != NULL) {
        b->listen_fd = pvgpu_unix_listen(b->opts->socket_path,
                                         &b->socket_file, &error);
        if (b->listen_fd < 0) {
            g_printerr("pvgpu-backend: %s\n", error->message);
            return PVGPU_EXIT_SETUP;
        }
        g_message("listening on %s", b->opts->socket_path);
    } else {
        if (!pvgpu_unix_classify_fd(b->opts->fd, &kind, &error)) {
            g_printerr("pvgpu-backend: --fd=%d: %s\n", b->opts->fd,
                       error->message);
            return PVGPU_EXIT_SETUP;
        }
        if (kind == PVGPU_INHERITED_LISTENING) {
            b->listen_fd = b->opts->fd;
            g_unix_set_fd_nonblocking(b->listen_fd, TRUE, NULL);
            g_message("accepting on inherited descriptor %d", b->listen_fd);
        } else {
            g_message("serving the device connected on descriptor %d",
                      b->opts->fd);
            /* its peer is whom our parent connected us to */
            serve(b, b->opts->fd, "the device of the inherited connection");
        }
    }
    if (b->listen_fd >= 0) {
        g_message("serving devices of uid %u%s%s",
                  (unsigned)b->peer_policy.uid,
                  b->peer_policy.label ? " with label " : "",
                  b->peer_policy.label ? b->peer_policy.label : "");
        resume_accepting(b);
    }

    if (b->opts->control_socket != NULL) {
        int fd = pvgpu_unix_listen(b->opts->control_socket, &b->control_file,
                                   &error);
        if (fd < 0) {
            g_printerr("pvgpu-backend: control socket: %s\n", error->message);
            return PVGPU_EXIT_SETUP;
        }
        b->control_handler.get_status = get_status;
        b->control_handler.peek_frame = peek_frame;
        b->control_handler.data = b;
        b->control = pvgpu_control_server_new(fd, &b->control_handler);
        g_message("control socket on %s", b->opts->control_socket);
    }

    if (b->opts->pidfile != NULL) {
        if (!pvgpu_pidfile_write(b->opts->pidfile, &error)) {
            g_printerr("pvgpu-backend: %s\n", error->message);
            return PVGPU_EXIT_SETUP;
        }
        b->pidfile_written = TRUE;
    }
    if (b->opts->poll_us > 0) {
        g_message("polling the ring for %u us after each batch that runs "
                  "commands", b->opts->poll_us);
    }
    if (!pvgpu_sd_notify("READY=1", &error)) {
        g_warning("%s", error->message);
    }
    return PVGPU_EXIT_OK;
}

static void tear_down(Backend *b)
{
    pvgpu_device_conn_free(b->conn);
    b->conn = NULL;
    while (b->pending->len > 0) {
        pvgpu_device_conn_free(g_ptr_array_steal_index_fast(b->pending, 0));
    }
    pvgpu_control_server_free(b->control);
    b->control = NULL;
    if (b->listen_watch != 0) {
        g_source_remove(b->listen_watch);
    }
    if (b->listen_fd >= 0) {
        close(b->listen_fd);
    }
    pvgpu_socket_file_remove(&b->socket_file);
    pvgpu_socket_file_remove(&b->control_file);
    if (b->pidfile_written) {
        pvgpu_pidfile_remove(b->opts->pidfile);
    }
}

int pvgpu_backend_run(const PvgpuOptions *opts)
{
    Backend b = {
        .opts = opts,
        .listen_fd = -1,
        .config = {
            .memory_budget = opts->memory_budget,
            .display_width = opts->display_width,
            .display_height = opts->display_height,
            .poll_us = opts->poll_us,
        },
        .exit_code = PVGPU_EXIT_OK,
    };
    guint sigterm, sigint;
    int ret;

    b.conn_setup = (PvgpuDeviceConnSetup){
        .engine = &b.config,
        .counters = &b.counters,
        .generation = &b.generation,
        .handshake_timeout_ms = opts->handshake_timeout_ms,
        .allow_shm_name = opts->allow_shm_name,
        .log_limit = &b.conn_log_limit,
        .closed = on_conn_closed,
        .ready = on_conn_ready,
        .user_data = &b,
    };
    b.pending = g_ptr_array_new();
    b.peer_policy.uid = opts->peer_uid_set ? opts->peer_uid : geteuid();
    b.peer_policy.label = opts->peer_label;
    b.loop = g_main_loop_new(NULL, FALSE);
    ret = set_up(&b);
    if (ret != PVGPU_EXIT_OK) {
        tear_down(&b);
        g_ptr_array_unref(b.pending);
        g_main_loop_unref(b.loop);
        return ret;
    }
    sigterm = g_unix_signal_add(SIGTERM, on_sigterm, &b);
    sigint = g_unix_signal_add(SIGINT, on_sigint, &b);
    /* with --fd=N of a connection, the device may already be gone */
    if (b.listen_fd >= 0 || b.pending->len > 0) {
        g_main_loop_run(b.loop);
    }
    g_source_remove(sigterm);
    g_source_remove(sigint);
    tear_down(&b);
    g_ptr_array_unref(b.pending);
    g_main_loop_unref(b.loop);
    return b.exit_code;
}
