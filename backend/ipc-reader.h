/* SPDX-License-Identifier: MIT */
/*
 * Reads IPC messages from a non-blocking Unix stream socket, with the
 * descriptors that travel beside them (SCM_RIGHTS). The header is decoded
 * and bounded by the codec before any payload byte is read.
 */
#ifndef PVGPU_BACKEND_IPC_READER_H
#define PVGPU_BACKEND_IPC_READER_H

#include <glib.h>

#include "pvgpu_codec.h"

typedef struct {
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    gsize have;
    gboolean hdr_done;
    struct pvgpu_ipc_hdr hdr;
    int fds[PVGPU_IPC_MAX_FDS];
    guint n_fds;
} PvgpuIpcReader;

typedef enum {
    PVGPU_IPC_READ_AGAIN,   /* no complete message yet */
    PVGPU_IPC_READ_MESSAGE, /* *msg and the descriptors are filled */
    PVGPU_IPC_READ_EOF,     /* the peer closed between two messages */
    PVGPU_IPC_READ_ERROR,   /* malformed input or a socket error */
} PvgpuIpcReadResult;

void pvgpu_ipc_reader_init(PvgpuIpcReader *r);
/* Closes descriptors of a partly read message. */
void pvgpu_ipc_reader_clear(PvgpuIpcReader *r);

/*
 * Reads until one message is complete or the socket has nothing more. On
 * MESSAGE the caller owns fds[0..*n_fds) (an array of PVGPU_IPC_MAX_FDS).
 */
PvgpuIpcReadResult pvgpu_ipc_reader_read(PvgpuIpcReader *r, int sock,
                                         struct pvgpu_msg *msg, int *fds,
                                         guint *n_fds, GError **error);

#endif
