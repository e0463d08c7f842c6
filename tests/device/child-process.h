/* SPDX-License-Identifier: MIT */
/*
 * A child process of the device tests (QEMU, pvgpu-backend): spawned with
 * its stdout and stderr in a file, reaped without blocking, killed at the
 * end. The child gets PR_SET_PDEATHSIG so that a test that aborts never
 * leaves it behind.
 */
#ifndef PVGPU_CHILD_PROCESS_H
#define PVGPU_CHILD_PROCESS_H

#include <glib.h>

typedef struct ChildProcess ChildProcess;

/* argv[0] is the binary. stderr (and stdout) go to stderr_path. */
ChildProcess *child_process_spawn(const char *const *argv,
                                  const char *stderr_path, GError **error);

/* Kills (SIGKILL) the process if it still runs, reaps it, frees. */
void child_process_free(ChildProcess *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ChildProcess, child_process_free)

GPid child_process_pid(const ChildProcess *p);

/*
 * TRUE once the process has exited; *wait_status (may be NULL) gets the
 * waitpid() status. Never blocks.
 */
gboolean child_process_exited(ChildProcess *p, int *wait_status);

/* Waits until the process exits or the deadline (monotonic µs) passes. */
gboolean child_process_wait_exit(ChildProcess *p, gint64 deadline,
                                 int *wait_status);

/* Sends a signal if the process still runs. */
void child_process_signal(ChildProcess *p, int sig);

/* The whole stderr file so far. */
gchar *child_process_stderr(const ChildProcess *p);

/* "exit status 1", "killed by signal 9", ... */
gchar *child_process_describe_status(int wait_status);

/* Resident set size in KiB from /proc, or 0 when unknown. */
guint64 child_process_rss_kib(const ChildProcess *p);

/* Number of open descriptors in /proc/PID/fd, or -1. */
int child_process_count_fds(const ChildProcess *p);

/* What descriptor fd of the process refers to (readlink of /proc/PID/fd/FD),
 * or NULL when it is not open. */
gchar *child_process_fd_target(const ChildProcess *p, int fd);

#endif /* PVGPU_CHILD_PROCESS_H */
