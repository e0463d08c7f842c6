/* SPDX-License-Identifier: MIT */
#include "line-channel.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* How often a wait re-checks that the peer process still lives. */
#define LIVENESS_PERIOD_MS 50

struct LineChannel {
    int fd;
    GString *rx;
    gboolean closed;
    LineChannelAliveFn alive;
    gpointer alive_data;
};

LineChannel *line_channel_new(int fd, LineChannelAliveFn alive,
                              gpointer alive_data)
{
    LineChannel *ch = g_new0(LineChannel, 1);

    ch->fd = fd;
    ch->rx = g_string_new(NULL);
    ch->alive = alive;
    ch->alive_data = alive_data;
    return ch;
}

void line_channel_free(LineChannel *ch)
{
    if (!ch) {
        return;
    }
    if (ch->fd >= 0) {
        close(ch->fd);
    }
    g_string_free(ch->rx, TRUE);
    g_free(ch);
}

gboolean line_channel_write(LineChannel *ch, const char *buf, gsize len)
{
    while (len > 0) {
        ssize_t n = send(ch->fd, buf, len, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            ch->closed = TRUE;
            return FALSE;
        }
        buf += n;
        len -= (gsize)n;
    }
    return TRUE;
}

static gboolean take_line(LineChannel *ch, gchar **line)
{
    const char *nl = memchr(ch->rx->str, '\n', ch->rx->len);
    gsize len;

    if (!nl) {
        return FALSE;
    }
    len = (gsize)(nl - ch->rx->str);
    *line = g_strndup(ch->rx->str, len);
    if (len > 0 && (*line)[len - 1] == '\r') {
        (*line)[len - 1] = '\0';
    }
    g_string_erase(ch->rx, 0, (gssize)len + 1);
    return TRUE;
}

LineChannelResult line_channel_read_line(LineChannel *ch, gint64 deadline,
                                         gchar **line)
{
    for (;;) {
        struct pollfd pfd = { .fd = ch->fd, .events = POLLIN };
        gint64 now;
        int timeout_ms;
        char buf[4096];
        ssize_t n;
        int r;

        if (take_line(ch, line)) {
            return LINE_CHANNEL_OK;
        }
        if (ch->closed) {
            return LINE_CHANNEL_CLOSED;
        }
        now = g_get_monotonic_time();
        if (deadline != 0 && now >= deadline) {
            return LINE_CHANNEL_TIMEOUT;
        }
        timeout_ms = deadline == 0 ? 0 :
            (int)MIN((deadline - now + 999) / 1000, LIVENESS_PERIOD_MS);
        r = poll(&pfd, 1, timeout_ms);
        if (r < 0 && errno != EINTR) {
            ch->closed = TRUE;
            continue;
        }
        if (r <= 0) {
            if (ch->alive && !ch->alive(ch->alive_data)) {
                ch->closed = TRUE;
            } else if (deadline == 0) {
                return LINE_CHANNEL_TIMEOUT;
            }
            continue;
        }
        n = recv(ch->fd, buf, sizeof(buf), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            ch->closed = TRUE;
            continue;
        }
        g_string_append_len(ch->rx, buf, n);
    }
}
