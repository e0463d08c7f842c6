/* SPDX-License-Identifier: MIT */
#include "syscall-pause.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#define SYSCALL_STOP (SIGTRAP | 0x80) /* with PTRACE_O_TRACESYSGOOD */

static G_GNUC_NORETURN void traced_child(char **argv, const char *in_path,
                                         const char *out_path,
                                         const char *err_path)
{
    int in = open(in_path, O_RDONLY);
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0 || dup2(in, STDIN_FILENO) < 0 ||
        dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0 ||
        ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0) {
        _exit(126);
    }
    raise(SIGSTOP); /* lets the parent set options before exec */
    execv(argv[0], argv);
    _exit(127);
}

/* TRUE at the successful return of syscall nr; tracks entries in *entered. */
static gboolean returned_from(pid_t pid, long nr, long *entered)
{
    struct __ptrace_syscall_info info = { 0 };
    if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(info), &info) <= 0) {
        return FALSE;
    }
    if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
        *entered = (long)info.entry.nr;
        return FALSE;
    }
    return info.op == PTRACE_SYSCALL_INFO_EXIT && *entered == nr &&
           !info.exit.is_error;
}

int syscall_pause_run(char **argv, const char *in_path, const char *out_path,
                      const char *err_path, long nr, SyscallPaused paused,
                      gpointer data, gboolean *was_paused)
{
    *was_paused = FALSE;
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        traced_child(argv, in_path, out_path, err_path);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status) ||
        ptrace(PTRACE_SETOPTIONS, pid, NULL,
               (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC |
                              PTRACE_O_EXITKILL)) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    long entered = -1;
    int deliver = 0;
    for (;;) {
        if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)deliver) < 0 ||
            waitpid(pid, &status, 0) != pid) {
            return -1;
        }
        deliver = 0;
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            return status;
        }
        int sig = WSTOPSIG(status);
        if (sig == SYSCALL_STOP) {
            if (returned_from(pid, nr, &entered)) {
                break;
            }
        } else if (sig != SIGTRAP || (status >> 16) == 0) {
            deliver = sig; /* a real signal, not a ptrace event */
        }
    }
    paused(data);
    *was_paused = TRUE;
    /* Untraced from here: LeakSanitizer refuses to run under ptrace. */
    ptrace(PTRACE_DETACH, pid, NULL, NULL);
    if (waitpid(pid, &status, 0) != pid) {
        return -1;
    }
    return status;
}
