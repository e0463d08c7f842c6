/* SPDX-License-Identifier: MIT */
#include "control-server.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A client that does not read its responses is dropped past this. */
#define OUTPUT_LIMIT (1024u * 1024u)
/* Descriptors taken from one read; more are cut off (MSG_CTRUNC closes
 * them in the kernel). */
#define PVGPU_CONTROL_MAX_FDS 4

typedef struct {
    PvgpuControlServer *server;
    int fd;
    guint in_watch;
    guint out_watch;
    gchar in[PVGPU_CONTROL_MAX_LINE + 1]; /* a whole line and its newline */
    gsize in_len;
    gboolean discarding; /* inside a line that was too long */
    int pending_fd;      /* came with the request being read, or -1 */
    GByteArray *out;
} ControlClient;

struct _PvgpuControlServer {
    int listen_fd;
    guint listen_watch;
    GList *clients;
    const PvgpuControlHandler *handler;
};

static void client_free(ControlClient *c)
{
    if (c->in_watch != 0) {
        g_source_remove(c->in_watch);
    }
    if (c->out_watch != 0) {
        g_source_remove(c->out_watch);
    }
    close(c->fd);
    if (c->pending_fd >= 0) {
        close(c->pending_fd);
    }
    g_byte_array_unref(c->out);
    g_free(c);
}

static void client_drop(ControlClient *c)
{
    c->server->clients = g_list_remove(c->server->clients, c);
    client_free(c);
}

/* FALSE when the client has gone. */
static gboolean client_flush(ControlClient *c)
{
    while (c->out->len > 0) {
        ssize_t n = send(c->fd, c->out->data, c->out->len,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        g_byte_array_remove_range(c->out, 0, (guint)n);
    }
    return TRUE;
}

static gboolean on_client_writable(gint fd, GIOCondition cond, gpointer data)
{
    ControlClient *c = data;

    (void)fd;
    (void)cond;
    if (!client_flush(c)) {
        c->out_watch = 0;
        client_drop(c);
        return G_SOURCE_REMOVE;
    }
    if (c->out->len == 0) {
        c->out_watch = 0;
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void client_respond(ControlClient *c, gchar *response)
{
    g_byte_array_append(c->out, (const guint8 *)response,
                        (guint)strlen(response));
    g_byte_array_append(c->out, (const guint8 *)"\n", 1);
    g_free(response);
}

static void client_drop_pending_fd(ControlClient *c)
{
    if (c->pending_fd >= 0) {
        close(c->pending_fd);
        c->pending_fd = -1;
    }
}

/* Keeps the first descriptor that came with the bytes just read (the
 * request they begin may use it), closes any others. */
static void client_take_fds(ControlClient *c, struct msghdr *msg)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm != NULL;
         cm = CMSG_NXTHDR(msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        gsize n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (gsize i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
            if (c->pending_fd < 0) {
                c->pending_fd = fd;
            } else {
                close(fd);
            }
        }
    }
}

/* Answers every complete line in the input buffer. */
static void client_process(ControlClient *c)
{
    gsize start = 0;

    for (;;) {
        gchar *nl = memchr(c->in + start, '\n', c->in_len - start);
        gsize len;

        if (nl == NULL) {
            break;
        }
        len = (gsize)(nl - (c->in + start));
        if (c->discarding) {
            c->discarding = FALSE; /* the long line ends here */
        } else {
            gsize content = len;

            if (content > 0 && c->in[start + content - 1] == '\r') {
                content--;
            }
            if (content > 0) {
                client_respond(c, pvgpu_control_handle_request(
                                      c->server->handler, c->in + start,
                                      content, c->pending_fd));
            }
        }
        /* a descriptor serves the one request it came with */
        client_drop_pending_fd(c);
        start += len + 1;
    }
    memmove(c->in, c->in + start, c->in_len - start);
    c->in_len -= start;
    if (c->in_len == sizeof(c->in)) {
        /* a full buffer without a newline: the line is too long */
        if (!c->discarding) {
            client_respond(c, pvgpu_control_line_too_long());
            c->discarding = TRUE;
        }
        c->in_len = 0;
    }
}

static gboolean on_client_readable(gint fd, GIOCondition cond, gpointer data)
{
    ControlClient *c = data;
    ssize_t n;

    (void)cond;
    struct iovec iov = { .iov_base = c->in + c->in_len,
                         .iov_len = sizeof(c->in) - c->in_len };
    union {
        char buf[CMSG_SPACE(PVGPU_CONTROL_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = control.buf,
                          .msg_controllen = sizeof(control.buf) };
    n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n >= 0) {
        client_take_fds(c, &msg);
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        c->in_watch = 0;
        client_drop(c);
        return G_SOURCE_REMOVE;
    }
    c->in_len += (gsize)n;
    client_process(c);
    if (!client_flush(c) || c->out->len > OUTPUT_LIMIT) {
        g_info("dropping a control client that does not read its answers");
        c->in_watch = 0;
        client_drop(c);
        return G_SOURCE_REMOVE;
    }
    if (c->out->len > 0 && c->out_watch == 0) {
        c->out_watch = g_unix_fd_add(c->fd, G_IO_OUT, on_client_writable, c);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_listen_readable(gint fd, GIOCondition cond, gpointer data)
{
    PvgpuControlServer *server = data;
    ControlClient *c;
    int client_fd;

    (void)cond;
    client_fd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client_fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            g_warning("cannot accept a control client: %s", g_strerror(errno));
        }
        return G_SOURCE_CONTINUE;
    }
    if (g_list_length(server->clients) >= PVGPU_CONTROL_MAX_CLIENTS) {
        g_warning("refusing a control client: %u are connected",
                  PVGPU_CONTROL_MAX_CLIENTS);
        close(client_fd);
        return G_SOURCE_CONTINUE;
    }
    c = g_new0(ControlClient, 1);
    c->server = server;
    c->fd = client_fd;
    c->pending_fd = -1;
    c->out = g_byte_array_new();
    c->in_watch = g_unix_fd_add(client_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                on_client_readable, c);
    server->clients = g_list_prepend(server->clients, c);
    return G_SOURCE_CONTINUE;
}

PvgpuControlServer *pvgpu_control_server_new(int listen_fd,
                                             const PvgpuControlHandler *h)
{
    PvgpuControlServer *server = g_new0(PvgpuControlServer, 1);

    server->listen_fd = listen_fd;
    server->handler = h;
    server->listen_watch = g_unix_fd_add(listen_fd, G_IO_IN,
                                         on_listen_readable, server);
    return server;
}

void pvgpu_control_server_free(PvgpuControlServer *server)
{
    if (server == NULL) {
        return;
    }
    g_source_remove(server->listen_watch);
    close(server->listen_fd);
    g_list_free_full(server->clients, (GDestroyNotify)client_free);
    g_free(server);
}
