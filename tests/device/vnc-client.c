/* SPDX-License-Identifier: MIT */
#include "vnc-client.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define ENCODING_RAW 0
#define ENCODING_DESKTOP_SIZE (-223)
#define ENCODING_EXT_DESKTOP_SIZE (-308)
#define ENCODING_RICH_CURSOR (-239)
#define MSG_SET_PIXEL_FORMAT 0
#define MSG_SET_ENCODINGS 2
#define MSG_UPDATE_REQUEST 3
#define MSG_SET_DESKTOP_SIZE 251
#define REASON_THIS_CLIENT 1

struct VncClient {
    int fd;
    guint width;
    guint height;
    gint64 deadline; /* of the current call */
    VncCursor cursor;
    guint cursors;   /* cursor shapes received */
};

static guint16 be16(const guint8 *p)
{
    return (guint16)(p[0] << 8 | p[1]);
}

static guint32 be32(const guint8 *p)
{
    return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 |
           p[3];
}

static void put16(guint8 *p, guint v)
{
    p[0] = (guint8)(v >> 8);
    p[1] = (guint8)v;
}

static void put32(guint8 *p, guint32 v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

static gboolean read_full(VncClient *c, void *buf, gsize len, GError **error)
{
    guint8 *p = buf;

    while (len > 0) {
        struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
        gint64 left_ms = (c->deadline - g_get_monotonic_time()) / 1000;
        ssize_t n;

        if (left_ms <= 0 || poll(&pfd, 1, (int)MIN(left_ms, G_MAXINT)) == 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                        "the VNC server sent nothing before the deadline "
                        "(framebuffer %ux%u)", c->width, c->height);
            return FALSE;
        }
        n = read(c->fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                        "the VNC server closed the connection%s%s",
                        n < 0 ? ": " : "", n < 0 ? g_strerror(errno) : "");
            return FALSE;
        }
        p += n;
        len -= (gsize)n;
    }
    return TRUE;
}

static gboolean skip(VncClient *c, guint64 len, GError **error)
{
    guint8 buf[65536];

    while (len > 0) {
        gsize n = (gsize)MIN(len, sizeof(buf));

        if (!read_full(c, buf, n, error)) {
            return FALSE;
        }
        len -= n;
    }
    return TRUE;
}

static gboolean write_full(VncClient *c, const void *buf, gsize len,
                           GError **error)
{
    const guint8 *p = buf;

    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                        "write to the VNC server: %s", g_strerror(errno));
            return FALSE;
        }
        p += n;
        len -= (gsize)n;
    }
    return TRUE;
}

static gboolean handshake(VncClient *c, GError **error)
{
    static const char version[] = "RFB 003.008\n";
    /* 32 bits per pixel, depth 24, little-endian, true colour, x8r8g8b8 */
    static const guint8 pixel_format[20] = {
        MSG_SET_PIXEL_FORMAT, 0, 0, 0, 32, 24, 0, 1,
        0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0,
    };
    static const gint32 encodings[] = {
        ENCODING_RAW, ENCODING_DESKTOP_SIZE, ENCODING_EXT_DESKTOP_SIZE,
        ENCODING_RICH_CURSOR,
    };
    guint8 buf[4 + 4 * 4 + 64];
    guint8 n_types;
    gboolean none = FALSE;
    guint32 name_len;

    if (!read_full(c, buf, 12, error)) {
        return FALSE;
    }
    if (memcmp(buf, "RFB 003.", 8) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "not an RFB server: %.12s", buf);
        return FALSE;
    }
    if (!write_full(c, version, 12, error) ||
        !read_full(c, &n_types, 1, error) ||
        !read_full(c, buf, n_types, error)) {
        return FALSE;
    }
    for (guint i = 0; i < n_types; i++) {
        none = none || buf[i] == 1;
    }
    if (!none) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "the VNC server wants authentication (no type None)");
        return FALSE;
    }
    buf[0] = 1;
    if (!write_full(c, buf, 1, error) || !read_full(c, buf, 4, error)) {
        return FALSE;
    }
    if (be32(buf) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "the VNC server refused security type None");
        return FALSE;
    }
    buf[0] = 1; /* shared */
    if (!write_full(c, buf, 1, error) || !read_full(c, buf, 24, error)) {
        return FALSE;
    }
    c->width = be16(buf);
    c->height = be16(buf + 2);
    name_len = be32(buf + 20);
    if (!skip(c, name_len, error) ||
        !write_full(c, pixel_format, sizeof(pixel_format), error)) {
        return FALSE;
    }
    buf[0] = MSG_SET_ENCODINGS;
    buf[1] = 0;
    put16(buf + 2, G_N_ELEMENTS(encodings));
    for (guint i = 0; i < G_N_ELEMENTS(encodings); i++) {
        put32(buf + 4 + 4 * i, (guint32)encodings[i]);
    }
    return write_full(c, buf, 4 + 4 * G_N_ELEMENTS(encodings), error);
}

VncClient *vnc_client_connect(const char *path, gint64 deadline,
                              GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    g_autoptr(VncClient) c = g_new0(VncClient, 1);

    c->deadline = deadline;
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || strlen(path) >= sizeof(addr.sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "cannot make a socket for %s", path);
        return NULL;
    }
    strcpy(addr.sun_path, path);
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "connect to the VNC server at %s: %s", path,
                    g_strerror(errno));
        return NULL;
    }
    if (!handshake(c, error)) {
        return NULL;
    }
    return g_steal_pointer(&c);
}

void vnc_client_free(VncClient *c)
{
    if (c == NULL) {
        return;
    }
    if (c->fd >= 0) {
        close(c->fd);
    }
    g_free(c);
}

void vnc_client_size(const VncClient *c, guint *width, guint *height)
{
    *width = c->width;
    *height = c->height;
}

gboolean vnc_client_set_desktop_size(VncClient *c, guint width, guint height,
                                     GError **error)
{
    guint8 msg[8 + 16] = { MSG_SET_DESKTOP_SIZE, 0 };

    put16(msg + 2, width);
    put16(msg + 4, height);
    msg[6] = 1; /* screens */
    /* screen 0: id 0 at (0, 0), flags 0 */
    put16(msg + 8 + 8, width);
    put16(msg + 8 + 10, height);
    return write_full(c, msg, sizeof(msg), error);
}

static gboolean request_update(VncClient *c, gboolean incremental,
                               GError **error)
{
    guint8 msg[10] = { MSG_UPDATE_REQUEST, incremental };

    put16(msg + 6, c->width);
    put16(msg + 8, c->height);
    return write_full(c, msg, sizeof(msg), error);
}

gboolean vnc_client_request_update(VncClient *c, GError **error)
{
    return request_update(c, FALSE, error);
}

/* A RichCursor rectangle: pixels in our pixel format, then a bitmask. */
static gboolean read_cursor(VncClient *c, guint hot_x, guint hot_y, guint w,
                            guint h, GError **error)
{
    VncCursor *cur = &c->cursor;
    gsize mask_bytes = (gsize)(w + 7) / 8 * h;
    guint8 px[4];

    if (w > VNC_CURSOR_MAX || h > VNC_CURSOR_MAX) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "a %ux%u cursor is larger than we take", w, h);
        return FALSE;
    }
    for (guint i = 0; i < w * h; i++) {
        if (!read_full(c, px, 4, error)) {
            return FALSE;
        }
        cur->pixels[i] = (guint32)px[0] | (guint32)px[1] << 8 |
                         (guint32)px[2] << 16 | (guint32)px[3] << 24;
    }
    if (!read_full(c, cur->mask, mask_bytes, error)) {
        return FALSE;
    }
    cur->width = w;
    cur->height = h;
    cur->hot_x = hot_x;
    cur->hot_y = hot_y;
    c->cursors++;
    return TRUE;
}

/*
 * Reads one server message. A resize answer to this client sets *answer
 * (>= 0: its status); *updated tells that a FramebufferUpdate ended.
 */
static gboolean read_message(VncClient *c, gint *answer, gboolean *updated,
                             GError **error)
{
    guint8 buf[16];

    if (!read_full(c, buf, 1, error)) {
        return FALSE;
    }
    switch (buf[0]) {
    case 0: /* FramebufferUpdate */
        if (!read_full(c, buf, 3, error)) {
            return FALSE;
        }
        for (guint n = be16(buf + 1); n > 0; n--) {
            guint x, y, w, h;
            gint32 encoding;

            if (!read_full(c, buf, 12, error)) {
                return FALSE;
            }
            x = be16(buf);
            y = be16(buf + 2);
            w = be16(buf + 4);
            h = be16(buf + 6);
            encoding = (gint32)be32(buf + 8);
            if (encoding == ENCODING_RAW) {
                if (!skip(c, (guint64)w * h * 4, error)) {
                    return FALSE;
                }
            } else if (encoding == ENCODING_RICH_CURSOR) {
                if (!read_cursor(c, x, y, w, h, error)) {
                    return FALSE;
                }
            } else if (encoding == ENCODING_DESKTOP_SIZE) {
                c->width = w;
                c->height = h;
            } else if (encoding == ENCODING_EXT_DESKTOP_SIZE) {
                if (!read_full(c, buf, 4, error) ||
                    !skip(c, 16ull * buf[0], error)) {
                    return FALSE;
                }
                if (x == REASON_THIS_CLIENT) {
                    *answer = (gint)y;
                } else {
                    c->width = w;
                    c->height = h;
                }
            } else {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                            "the VNC server sent encoding %d, which we did "
                            "not ask for", encoding);
                return FALSE;
            }
        }
        *updated = TRUE;
        return TRUE;
    case 1: /* SetColourMapEntries */
        return read_full(c, buf, 5, error) &&
               skip(c, 6ull * be16(buf + 3), error);
    case 2: /* Bell */
        return TRUE;
    case 3: /* ServerCutText */
        return read_full(c, buf, 7, error) && skip(c, be32(buf + 3), error);
    default:
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "unknown VNC server message %u", buf[0]);
        return FALSE;
    }
}

gboolean vnc_client_wait_resize_answer(VncClient *c, guint *status,
                                       gint64 deadline, GError **error)
{
    gint answer = -1;

    c->deadline = deadline;
    while (answer < 0) {
        gboolean updated = FALSE;

        if (!read_message(c, &answer, &updated, error)) {
            return FALSE;
        }
    }
    *status = (guint)answer;
    return TRUE;
}

gboolean vnc_client_wait_size(VncClient *c, guint width, guint height,
                              gint64 deadline, GError **error)
{
    c->deadline = deadline;
    if (!vnc_client_request_update(c, error)) {
        return FALSE;
    }
    while (c->width != width || c->height != height) {
        gboolean updated = FALSE;
        gint answer = -1;

        if (!read_message(c, &answer, &updated, error)) {
            g_prefix_error(error, "waiting for a %ux%u framebuffer: ", width,
                           height);
            return FALSE;
        }
        /* a size change comes with the next update, whatever changed */
        if (updated && !request_update(c, TRUE, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

gboolean vnc_client_wait_cursor(VncClient *c, guint count, gint64 deadline,
                                GError **error)
{
    c->deadline = deadline;
    while (c->cursors < count) {
        gboolean updated = FALSE;
        gint answer = -1;

        if (!read_message(c, &answer, &updated, error)) {
            g_prefix_error(error, "waiting for cursor shape %u: ", count);
            return FALSE;
        }
    }
    return TRUE;
}

const VncCursor *vnc_client_cursor(const VncClient *c)
{
    return &c->cursor;
}
