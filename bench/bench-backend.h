/* SPDX-License-Identifier: MIT */
/*
 * The real backend (pvgpu_backend_run()) in a thread, serving one end of a
 * socketpair as with --fd=N, and this thread as its device: a sealed
 * memfd handed over in the HANDSHAKE, DOORBELL and IRQ messages.
 */
#ifndef PVGPU_BENCH_BACKEND_H
#define PVGPU_BENCH_BACKEND_H

#include "device-end.h"
#include "options.h"

typedef struct {
    PvgpuOptions opts;
    GThread *thread;
    int sock;         /* the device's end */
    DeviceMemory dev;
    guint64 fence;
} BenchBackend;

/* Starts the backend with --fd and the NULL-terminated extra_args, and
 * completes the handshake with shmem_size bytes of memory. */
void bench_backend_start(BenchBackend *b, guint64 shmem_size,
                         const char *const *extra_args);

/* Pushes cmd (struct_size bytes); FALSE when the ring is full. */
gboolean bench_backend_push(BenchBackend *b, struct pvgpu_cmd_hdr *cmd,
                            guint32 struct_size);

/* Publishes the producer and rings the doorbell. */
void bench_backend_kick(BenchBackend *b);

/* Pushes a FENCE with IRQ, kicks, and waits for its interrupt (other IRQs
 * are skipped); gives up after timeout_ms. */
void bench_backend_sync(BenchBackend *b, guint timeout_ms);

/* The device goes away; waits for the backend's thread and returns its
 * exit code. */
int bench_backend_stop(BenchBackend *b);

/* Waits for the backend's thread (after it was told to stop some other
 * way) and frees what start made; returns the exit code. */
int bench_backend_join(BenchBackend *b);

#endif
