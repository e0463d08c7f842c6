/* SPDX-License-Identifier: MIT */
/*
 * Runs a program under ptrace and pauses it right after a given system call
 * succeeds, so that a test can act in the window that follows (e.g. swap a
 * file the program just created) exactly when a racing process could.
 */
#ifndef SYSCALL_PAUSE_H
#define SYSCALL_PAUSE_H

#include <glib.h>

typedef void (*SyscallPaused)(gpointer data);

/*
 * Runs argv (argv[0] a path) with stdin from in_path and stdout and stderr
 * written to out_path and err_path. When the first syscall number nr
 * returns without error, calls paused(data) while the program is stopped,
 * then lets it run on untraced. Returns the wait status; *was_paused tells
 * whether paused() ran.
 */
int syscall_pause_run(char **argv, const char *in_path, const char *out_path,
                      const char *err_path, long nr, SyscallPaused paused,
                      gpointer data, gboolean *was_paused);

#endif
