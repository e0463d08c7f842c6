/* SPDX-License-Identifier: MIT */
/*
 * A connected stream socket read line by line with a deadline, as both
 * QEMU's qtest and QMP protocols are. While it waits it asks a liveness
 * callback, so that a QEMU that died is reported at once instead of after
 * the deadline.
 */
#ifndef PVGPU_LINE_CHANNEL_H
#define PVGPU_LINE_CHANNEL_H

#include <glib.h>

typedef struct LineChannel LineChannel;

/* Returns FALSE when the peer is gone (the wait then fails at once). */
typedef gboolean (*LineChannelAliveFn)(gpointer user_data);

typedef enum {
    LINE_CHANNEL_OK,
    LINE_CHANNEL_TIMEOUT,
    LINE_CHANNEL_CLOSED, /* EOF, error, or the liveness check failed */
} LineChannelResult;

/* Takes ownership of fd. */
LineChannel *line_channel_new(int fd, LineChannelAliveFn alive,
                              gpointer alive_data);
void line_channel_free(LineChannel *ch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LineChannel, line_channel_free)

/* Writes all of buf, or returns FALSE (peer gone). */
gboolean line_channel_write(LineChannel *ch, const char *buf, gsize len);

/*
 * Reads one line without its terminator ("\n" or "\r\n") into *line
 * (caller frees). deadline is g_get_monotonic_time() based; 0 polls once.
 */
LineChannelResult line_channel_read_line(LineChannel *ch, gint64 deadline,
                                         gchar **line);

#endif /* PVGPU_LINE_CHANNEL_H */
