/* SPDX-License-Identifier: MIT */
/*
 * The part of an RFB (VNC) client that asks the server for a desktop size,
 * as a viewer window being resized does, and shows the pointer: security
 * type None, ClientInit, SetEncodings with DesktopSize, ExtendedDesktopSize
 * and RichCursor, SetDesktopSize, and reading the server's answers, size
 * changes and cursor shapes. Blocking I/O on a
 * Unix socket, every read bounded by a deadline.
 */
#ifndef PVGPU_TESTS_VNC_CLIENT_H
#define PVGPU_TESTS_VNC_CLIENT_H

#include <gio/gio.h>

typedef struct VncClient VncClient;

#define VNC_CURSOR_MAX 64

/* The last RichCursor shape the server sent. */
typedef struct {
    guint width;
    guint height;
    guint hot_x;
    guint hot_y;
    guint32 pixels[VNC_CURSOR_MAX * VNC_CURSOR_MAX]; /* 0x00RRGGBB */
    guint8 mask[VNC_CURSOR_MAX / 8 * VNC_CURSOR_MAX]; /* 1 bit per pixel,
                                                         MSB first, rows
                                                         padded to bytes */
} VncCursor;

/* Connects to the server's Unix socket and finishes the handshake. */
VncClient *vnc_client_connect(const char *path, gint64 deadline,
                              GError **error);
void vnc_client_free(VncClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VncClient, vnc_client_free)

/* The framebuffer size: from ServerInit, then from each size change. */
void vnc_client_size(const VncClient *c, guint *width, guint *height);

/* SetDesktopSize with one screen of width x height at (0, 0). */
gboolean vnc_client_set_desktop_size(VncClient *c, guint width, guint height,
                                     GError **error);

/* A non-incremental FramebufferUpdateRequest of the whole framebuffer. */
gboolean vnc_client_request_update(VncClient *c, GError **error);

/*
 * Reads server messages until an ExtendedDesktopSize answer to our own
 * request arrives; *status is its RFB status (0 done, 1 prohibited,
 * 2 out of resources, 3 invalid layout, 4 forwarded to the guest, QEMU's).
 */
gboolean vnc_client_wait_resize_answer(VncClient *c, guint *status,
                                       gint64 deadline, GError **error);

/*
 * Reads server messages (asking for updates as it goes) until the
 * framebuffer is width x height. G_IO_ERROR_TIMED_OUT at the deadline,
 * with the size seen last in the message.
 */
gboolean vnc_client_wait_size(VncClient *c, guint width, guint height,
                              gint64 deadline, GError **error);

/* Reads server messages until count cursor shapes have come in all. */
gboolean vnc_client_wait_cursor(VncClient *c, guint count, gint64 deadline,
                                GError **error);
const VncCursor *vnc_client_cursor(const VncClient *c);

#endif
