/* SPDX-License-Identifier: MIT */
/*
 * The requests of the JSON control socket, independent of sockets: one
 * request line in, one response line out.
 */
#ifndef PVGPU_BACKEND_CONTROL_COMMANDS_H
#define PVGPU_BACKEND_CONTROL_COMMANDS_H

#include <glib.h>

#include "counters.h"
#include "image.h"

/* Longest request line accepted, without its newline. */
#define PVGPU_CONTROL_MAX_LINE 4096u

typedef struct {
    gboolean connected;
    gboolean ready;
    guint64 features;
    guint64 shmem_size;
    guint64 generation;
    PvgpuCounters counters;
    guint64 resources;
    guint64 resource_bytes;
    gboolean has_scanout;
    guint32 scanout_resource;
    guint32 scanout_width;
    guint32 scanout_height;
    guint32 scanout_format;
    guint32 mode_width;      /* preferred mode offered to the guest; */
    guint32 mode_height;     /* 0 x 0 without a device */
} PvgpuStatus;

/* What the requests need from the running backend. */
typedef struct {
    void (*get_status)(gpointer data, PvgpuStatus *out);
    /* a borrowed view of the frame to show; FALSE when there is none */
    gboolean (*peek_frame)(gpointer data, PvgpuImage *out);
    gpointer data;
} PvgpuControlHandler;

/* Answers one request line (without newline); returns the JSON response
 * without newline. */
gchar *pvgpu_control_handle_line(const PvgpuControlHandler *handler,
                                 const char *line, gsize len);

/* The same, for a request that came with a descriptor (fd, -1: none),
 * which the caller keeps and closes. */
gchar *pvgpu_control_handle_request(const PvgpuControlHandler *handler,
                                    const char *line, gsize len, int fd);

/* The response to a line longer than PVGPU_CONTROL_MAX_LINE. */
gchar *pvgpu_control_line_too_long(void);

#endif
