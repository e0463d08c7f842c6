/* SPDX-License-Identifier: MIT */
/* Validating a HANDSHAKE and taking over the memory and descriptors. */
#ifndef PVGPU_BACKEND_HANDSHAKE_H
#define PVGPU_BACKEND_HANDSHAKE_H

#include <glib.h>

#include "pvgpu_codec.h"
#include "shmem.h"

typedef struct {
    PvgpuShmem shmem;
    guint64 features;                    /* what HANDSHAKE_ACK carries */
    int doorbell_fd;                     /* -1 unless EVENTFD is used */
    int vector_fds[PVGPU_NUM_VECTORS];   /* -1 unless EVENTFD is used */
} PvgpuHandshakeResult;

/*
 * msg is a decoded HANDSHAKE; fds are the n_fds descriptors that came with
 * it, and this function owns them: it keeps what it uses in *out and
 * closes the rest, also on failure. On failure *out holds nothing. Memory
 * opened by name (no SHMEM_FD) is refused unless allow_shm_name: it cannot
 * be sealed against shrinking.
 */
gboolean pvgpu_handshake_accept(const struct pvgpu_msg *msg, int *fds,
                                guint n_fds, gboolean allow_shm_name,
                                PvgpuHandshakeResult *out, GError **error);

/* Unmaps and closes what pvgpu_handshake_accept() kept. */
void pvgpu_handshake_result_clear(PvgpuHandshakeResult *res);

#endif
