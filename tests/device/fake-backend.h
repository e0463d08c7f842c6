/* SPDX-License-Identifier: MIT */
/*
 * A scriptable PVGPU backend in a thread of the test process, like the
 * ivshmem server thread of QEMU's ivshmem-test: it listens on a Unix
 * socket, accepts the device, receives messages with recvmsg() (SCM_RIGHTS
 * descriptors included), decodes them with protocol/pvgpu_codec.h, maps the
 * shared memory from the handshake's fd, and does what the test says:
 * acknowledge or not, send IRQs or raw hostile bytes, close, stop reading,
 * signal vector eventfds. It counts what it saw; tests wait on the counters
 * with a deadline.
 *
 * Everything that touches the connection runs in the backend's thread;
 * calls from the test are handed to it and waited for.
 */
#ifndef PVGPU_FAKE_BACKEND_H
#define PVGPU_FAKE_BACKEND_H

#include <glib.h>

#include "pvgpu_codec.h"

typedef struct FakeBackend FakeBackend;

typedef enum {
    FAKE_COUNT_CONNECTIONS,   /* accepted connections */
    FAKE_COUNT_DISCONNECTS,   /* connections the device closed (EOF) */
    FAKE_COUNT_HANDSHAKES,
    FAKE_COUNT_DOORBELLS,     /* DOORBELL messages */
    FAKE_COUNT_DOORBELL_KICKS, /* sum of doorbell eventfd counter reads */
    FAKE_COUNT_SHUTDOWNS,
    FAKE_COUNT_DISPLAY_HINTS,
    FAKE_COUNT_BAD_MESSAGES,  /* undecodable or unexpected from the device */
    FAKE_COUNT_N
} FakeCounter;

/* The last HANDSHAKE as received. */
typedef struct {
    guint32 payload_size;
    guint64 shmem_size;
    gchar name[PVGPU_SHMEM_NAME_MAX];
    gboolean has_ext;
    struct pvgpu_handshake_ext ext;
    guint num_fds;          /* descriptors that came with it */
    guint64 shmem_fd_size;  /* fstat() size of the first fd, 0 if none */
    int shmem_fd_seals;     /* F_GET_SEALS of the first fd, -1 if none */
    gchar shmem_fd_target[128]; /* readlink() of /proc/self/fd/N, or "" */
} FakeHandshake;

/* Binds and listens on socket_path, starts the thread. Aborts on failure. */
FakeBackend *fake_backend_new(const char *socket_path);
/* Stops the thread, closes everything, removes the socket file. */
void fake_backend_free(FakeBackend *fb);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FakeBackend, fake_backend_free)

/* Answer each HANDSHAKE with HANDSHAKE_ACK(features), or stay silent. */
void fake_backend_set_auto_ack(FakeBackend *fb, gboolean enabled,
                               guint64 features);

/* Stop reading the connection (the socket buffer fills), or resume. */
void fake_backend_set_stalled(FakeBackend *fb, gboolean stalled);
/* Bytes waiting in the socket's receive queue when reading last resumed. */
gsize fake_backend_queued_at_resume(FakeBackend *fb);

guint64 fake_backend_count(FakeBackend *fb, FakeCounter which);
/* Waits until the counter reaches at_least; FALSE at the deadline. */
gboolean fake_backend_wait_count(FakeBackend *fb, FakeCounter which,
                                 guint64 at_least, gint64 deadline);

gboolean fake_backend_connected(FakeBackend *fb);
FakeHandshake fake_backend_last_handshake(FakeBackend *fb);
/* The last DISPLAY_HINT (all zero before the first). */
struct pvgpu_display_hint fake_backend_last_hint(FakeBackend *fb);

/*
 * The shared memory mapped from the last handshake's fd (NULL if none); it
 * stays mapped until the next handshake or fake_backend_free().
 */
guint8 *fake_backend_shmem(FakeBackend *fb, gsize *size);

/* Sends on the current connection; FALSE if there is none. */
gboolean fake_backend_send_raw(FakeBackend *fb, const void *buf, gsize len);
/* Sends buf with descriptors attached (SCM_RIGHTS). */
gboolean fake_backend_send_with_fds(FakeBackend *fb, const void *buf,
                                    gsize len, const int *fds, guint nfds);
gboolean fake_backend_send_ack(FakeBackend *fb, guint64 features);
gboolean fake_backend_send_irq(FakeBackend *fb, guint32 vector);

/* Writes 1 to the eventfd of vector (from the last handshake). */
gboolean fake_backend_signal_vector(FakeBackend *fb, guint vector);

/* Closes the current connection (the listener stays). */
void fake_backend_drop_connection(FakeBackend *fb);

#endif /* PVGPU_FAKE_BACKEND_H */
