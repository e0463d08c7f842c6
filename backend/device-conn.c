/* SPDX-License-Identifier: MIT */
#include "device-conn.h"

#include <errno.h>
#include <glib-unix.h>
#include <poll.h>
#include <unistd.h>

#include "capabilities.h"
#include "display-sender.h"
#include "handshake.h"
#include "ipc-reader.h"
#include "ipc-writer.h"

struct _PvgpuDeviceConn {
    int fd;
    guint in_watch;
    PvgpuIpcReader reader;
    PvgpuIpcWriter writer;

    gboolean ready;
    PvgpuHandshakeResult session;
    PvgpuEngine *engine;
    PvgpuDisplaySender display;
    guint doorbell_watch;
    guint resume_source; /* idle source finishing a capped batch */

    guint handshake_timer;
    gchar *peer;

    const PvgpuDeviceConnSetup *setup;
    const PvgpuEngineConfig *config;
    PvgpuCounters *counters;
    gboolean closing;
};

/* Messages handled per wake-up of the socket. */
#define MESSAGES_PER_DISPATCH 64u

static void conn_close(PvgpuDeviceConn *conn, const char *why);

static void raise_vector(guint vector, gpointer data)
{
    PvgpuDeviceConn *conn = data;
    int efd = conn->session.vector_fds[vector];
    guint8 msg[16];
    gsize len = 0;

    if (efd >= 0) {
        guint64 one = 1;

        /* EAGAIN means the counter is saturated: the vector is pending */
        if (write(efd, &one, sizeof(one)) == sizeof(one)) {
            conn->counters->irqs_sent++;
        } else {
            conn->counters->irqs_dropped++;
        }
        return;
    }
    pvgpu_ipc_encode_irq(msg, sizeof(msg), vector, &len);
    if (pvgpu_ipc_writer_send(&conn->writer, msg, len, TRUE)) {
        conn->counters->irqs_sent++;
    } else {
        conn->counters->irqs_dropped++;
    }
}

static void presented(gboolean shown, gpointer data)
{
    PvgpuDeviceConn *conn = data;

    pvgpu_display_sender_presented(&conn->display, &conn->writer,
                                   pvgpu_engine_get_renderer(conn->engine),
                                   shown);
    if (conn->display.cursor_lost) {
        pvgpu_display_sender_cursor(&conn->display, &conn->writer,
                                    pvgpu_engine_get_cursor(conn->engine));
    }
}

static void cursor_changed(gpointer data)
{
    PvgpuDeviceConn *conn = data;

    pvgpu_display_sender_cursor(&conn->display, &conn->writer,
                                pvgpu_engine_get_cursor(conn->engine));
}

static gboolean resume_ring(gpointer data);

static void run_ring(PvgpuDeviceConn *conn)
{
    if (pvgpu_engine_process(conn->engine, PVGPU_ENGINE_BATCH_LIMIT) ==
            PVGPU_ENGINE_MORE &&
        conn->resume_source == 0) {
        /* below the sockets' priority: other clients run in between */
        conn->resume_source = g_idle_add_full(G_PRIORITY_DEFAULT_IDLE,
                                              resume_ring, conn, NULL);
    }
}

static gboolean resume_ring(gpointer data)
{
    PvgpuDeviceConn *conn = data;

    conn->resume_source = 0;
    run_ring(conn);
    return G_SOURCE_REMOVE;
}

static void doorbell(PvgpuDeviceConn *conn)
{
    conn->counters->doorbells++;
    if (conn->resume_source == 0) {
        run_ring(conn);
    }
    /* else the pending resume reads the new producer itself */
}

static gboolean on_doorbell_eventfd(gint fd, GIOCondition cond, gpointer data)
{
    PvgpuDeviceConn *conn = data;
    guint64 value;

    if (cond & (G_IO_ERR | G_IO_NVAL)) {
        conn_close(conn, "the doorbell eventfd failed");
        return G_SOURCE_REMOVE;
    }
    if (read(fd, &value, sizeof(value)) != sizeof(value)) {
        return G_SOURCE_CONTINUE; /* already drained */
    }
    doorbell(conn);
    return G_SOURCE_CONTINUE;
}

/* FALSE when the connection must close. */
static gboolean handle_handshake(PvgpuDeviceConn *conn,
                                 const struct pvgpu_msg *msg, int *fds,
                                 guint n_fds)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *names = NULL;
    guint8 ack[16];
    gsize len = 0;

    if (conn->ready) {
        for (guint i = 0; i < n_fds; i++) {
            close(fds[i]);
        }
        conn_close(conn, "protocol error: a second HANDSHAKE on one "
                         "connection");
        return FALSE;
    }
    if (!pvgpu_handshake_accept(msg, fds, n_fds, conn->setup->allow_shm_name,
                                &conn->session, &error)) {
        g_warning("refusing the handshake: %s", error->message);
        conn_close(conn, NULL);
        return FALSE;
    }
    conn->engine = pvgpu_engine_new(conn->session.shmem.base,
                                    &conn->session.shmem.layout, conn->config,
                                    conn->counters, raise_vector, conn,
                                    &error);
    if (conn->engine == NULL) {
        g_warning("refusing the handshake: %s", error->message);
        conn_close(conn, NULL);
        return FALSE;
    }
    if (conn->session.features & PVGPU_FEATURE_DISPLAY) {
        pvgpu_engine_set_presented_func(conn->engine, presented, conn);
    }
    if (conn->session.features & PVGPU_FEATURE_DISPLAY_CURSOR) {
        pvgpu_engine_set_cursor_func(conn->engine, cursor_changed, conn);
    }
    pvgpu_ipc_encode_ack(ack, sizeof(ack), conn->session.features, &len);
    pvgpu_ipc_writer_send(&conn->writer, ack, len, FALSE);
    conn->ready = TRUE;
    if (conn->handshake_timer != 0) {
        g_source_remove(conn->handshake_timer);
        conn->handshake_timer = 0;
    }
    (*conn->setup->generation)++;
    if (conn->session.doorbell_fd >= 0) {
        conn->doorbell_watch = g_unix_fd_add(conn->session.doorbell_fd,
                                             G_IO_IN | G_IO_ERR,
                                             on_doorbell_eventfd, conn);
    }
    names = pvgpu_feature_list(conn->session.features);
    g_message("device handshake served (%s): %" G_GUINT64_FORMAT " MiB of "
              "shared memory, features %s", conn->peer,
              conn->session.shmem.layout.shmem_size >> 20, names);
    if (conn->setup->ready != NULL) {
        conn->setup->ready(conn, conn->setup->user_data);
    }
    /* commands queued while no backend was there run now */
    run_ring(conn);
    return TRUE;
}

/* FALSE when the connection must close. */
static gboolean display_hint(PvgpuDeviceConn *conn,
                             const struct pvgpu_display_hint *hint)
{
    g_autoptr(GError) error = NULL;

    if (!conn->ready ||
        !(conn->session.features & PVGPU_FEATURE_DISPLAY_HINT)) {
        conn_close(conn, "protocol error: DISPLAY_HINT without the "
                         "display-hint feature");
        return FALSE;
    }
    if (!pvgpu_engine_offer_mode(conn->engine, hint->width, hint->height,
                                 &error)) {
        if (pvgpu_log_limit_allow(conn->setup->log_limit,
                                  g_get_monotonic_time())) {
            g_warning("ignoring the viewer's size hint: %s", error->message);
        }
        return TRUE;
    }
    g_debug("the viewer asks for %ux%u: offered to the guest",
            hint->width, hint->height);
    return TRUE;
}

/* FALSE when the connection must close. */
static gboolean handle_message(PvgpuDeviceConn *conn,
                               const struct pvgpu_msg *msg, int *fds,
                               guint n_fds)
{
    if (msg->type == PVGPU_MSG_HANDSHAKE) {
        return handle_handshake(conn, msg, fds, n_fds);
    }
    if (n_fds > 0) {
        g_warning("closing %u descriptors that came with a message of type "
                  "%u", n_fds, msg->type);
        for (guint i = 0; i < n_fds; i++) {
            close(fds[i]);
        }
    }
    switch (msg->type) {
    case PVGPU_MSG_DOORBELL:
        if (!conn->ready) {
            conn_close(conn, "protocol error: DOORBELL before HANDSHAKE");
            return FALSE;
        }
        doorbell(conn);
        return TRUE;
    case PVGPU_MSG_DISPLAY_HINT:
        return display_hint(conn, &msg->u.hint);
    case PVGPU_MSG_SHUTDOWN:
        conn_close(conn, "the device sent SHUTDOWN");
        return FALSE;
    default: {
        g_autofree gchar *why = g_strdup_printf(
            "protocol error: the device sent a message of type %u, which "
            "only a backend sends", msg->type);

        conn_close(conn, why);
        return FALSE;
    }
    }
}

/* After conn_close() conn is freed: every path that closes returns at once. */
static gboolean on_socket_readable(gint fd, GIOCondition cond, gpointer data)
{
    PvgpuDeviceConn *conn = data;

    (void)cond;
    /* a device that floods messages yields to the others now and then */
    for (guint n = 0; n < MESSAGES_PER_DISPATCH; n++) {
        g_autoptr(GError) error = NULL;
        int fds[PVGPU_IPC_MAX_FDS];
        struct pvgpu_msg msg;
        guint n_fds = 0;

        switch (pvgpu_ipc_reader_read(&conn->reader, fd, &msg, fds, &n_fds,
                                      &error)) {
        case PVGPU_IPC_READ_AGAIN:
            return G_SOURCE_CONTINUE;
        case PVGPU_IPC_READ_EOF:
            conn_close(conn, "the device closed the connection");
            return G_SOURCE_REMOVE;
        case PVGPU_IPC_READ_ERROR:
            g_warning("closing the device connection: %s", error->message);
            conn_close(conn, NULL);
            return G_SOURCE_REMOVE;
        case PVGPU_IPC_READ_MESSAGE:
            if (!handle_message(conn, &msg, fds, n_fds)) {
                return G_SOURCE_REMOVE;
            }
            break;
        }
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_handshake_timeout(gpointer data)
{
    PvgpuDeviceConn *conn = data;

    conn->handshake_timer = 0;
    if (pvgpu_log_limit_allow(conn->setup->log_limit,
                              g_get_monotonic_time())) {
        g_warning("closing the connection of %s: no complete HANDSHAKE "
                  "within %u ms", conn->peer,
                  conn->setup->handshake_timeout_ms);
    }
    conn_close(conn, NULL);
    return G_SOURCE_REMOVE;
}

PvgpuDeviceConn *pvgpu_device_conn_new(int fd,
                                       const PvgpuDeviceConnSetup *setup,
                                       const char *peer)
{
    PvgpuDeviceConn *conn = g_new0(PvgpuDeviceConn, 1);

    g_unix_set_fd_nonblocking(fd, TRUE, NULL);
    conn->fd = fd;
    conn->setup = setup;
    conn->config = setup->engine;
    conn->counters = setup->counters;
    conn->peer = g_strdup(peer);
    conn->session.doorbell_fd = -1;
    for (guint i = 0; i < PVGPU_NUM_VECTORS; i++) {
        conn->session.vector_fds[i] = -1;
    }
    pvgpu_ipc_reader_init(&conn->reader);
    pvgpu_ipc_writer_init(&conn->writer, fd,
                          PVGPU_IRQ_QUEUE_MESSAGES *
                          (sizeof(struct pvgpu_ipc_hdr) + 4));
    conn->in_watch = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                   on_socket_readable, conn);
    if (setup->handshake_timeout_ms > 0) {
        conn->handshake_timer = g_timeout_add(setup->handshake_timeout_ms,
                                              on_handshake_timeout, conn);
    }
    return conn;
}

/* Drops every per-connection resource; safe to call more than once. */
static void release(PvgpuDeviceConn *conn)
{
    if (conn->in_watch != 0) {
        g_source_remove(conn->in_watch);
        conn->in_watch = 0;
    }
    if (conn->doorbell_watch != 0) {
        g_source_remove(conn->doorbell_watch);
        conn->doorbell_watch = 0;
    }
    if (conn->resume_source != 0) {
        g_source_remove(conn->resume_source);
        conn->resume_source = 0;
    }
    if (conn->handshake_timer != 0) {
        g_source_remove(conn->handshake_timer);
        conn->handshake_timer = 0;
    }
    pvgpu_engine_free(conn->engine);
    conn->engine = NULL;
    pvgpu_handshake_result_clear(&conn->session);
    pvgpu_ipc_reader_clear(&conn->reader);
    pvgpu_ipc_writer_clear(&conn->writer);
    if (conn->fd >= 0) {
        close(conn->fd);
        conn->fd = -1;
    }
    conn->ready = FALSE;
}

static void conn_close(PvgpuDeviceConn *conn, const char *why)
{
    if (conn->closing) {
        return;
    }
    conn->closing = TRUE;
    if (why != NULL) {
        g_message("device connection closed: %s", why);
    }
    release(conn);
    conn->setup->closed(conn, conn->setup->user_data);
}

gboolean pvgpu_device_conn_peer_gone(const PvgpuDeviceConn *conn)
{
    struct pollfd pfd = { .fd = conn->fd, .events = POLLRDHUP };

    if (conn->fd < 0) {
        return TRUE;
    }
    if (poll(&pfd, 1, 0) < 0) {
        return FALSE; /* cannot tell: the socket's own watch will */
    }
    return (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

void pvgpu_device_conn_close(PvgpuDeviceConn *conn, const char *why)
{
    conn_close(conn, why);
}

void pvgpu_device_conn_shutdown(PvgpuDeviceConn *conn)
{
    guint8 msg[8];
    gsize len = 0;

    if (conn->fd >= 0 && conn->writer.queue != NULL) {
        pvgpu_ipc_encode_empty(msg, sizeof(msg), PVGPU_MSG_SHUTDOWN, &len);
        pvgpu_ipc_writer_send(&conn->writer, msg, len, FALSE);
        if (!pvgpu_ipc_writer_drain(&conn->writer, 500)) {
            g_warning("the device did not take SHUTDOWN in time");
        }
    }
    pvgpu_device_conn_free(conn);
}

void pvgpu_device_conn_free(PvgpuDeviceConn *conn)
{
    if (conn == NULL) {
        return;
    }
    conn->closing = TRUE;
    release(conn);
    g_free(conn->peer);
    g_free(conn);
}

gboolean pvgpu_device_conn_is_ready(const PvgpuDeviceConn *conn)
{
    return conn->ready;
}

guint64 pvgpu_device_conn_get_features(const PvgpuDeviceConn *conn)
{
    return conn->ready ? conn->session.features : 0;
}

guint64 pvgpu_device_conn_get_shmem_size(const PvgpuDeviceConn *conn)
{
    return conn->ready ? conn->session.shmem.layout.shmem_size : 0;
}

PvgpuEngine *pvgpu_device_conn_get_engine(PvgpuDeviceConn *conn)
{
    return conn->engine;
}
