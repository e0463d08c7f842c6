/* SPDX-License-Identifier: MIT */
#include "hook-spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hook-error.h"

#define FIRST_FREE_FD 3
#define PASSED_FD 3
#define SCRATCH_FD_MIN 10 /* above every fd the child rearranges */

/* Only async-signal-safe calls from here until exec. */
static void child_write(const char *text)
{
    ssize_t unused = write(STDERR_FILENO, text, strlen(text));
    (void)unused;
}

static G_GNUC_NORETURN void child_fail(const char *what)
{
    char digits[16];
    int err = errno;
    int i = (int)sizeof(digits) - 1;
    digits[i] = '\0';
    do {
        digits[--i] = (char)('0' + err % 10);
        err /= 10;
    } while (err > 0 && i > 0);
    child_write("pvgpu hook: cannot start the backend: ");
    child_write(what);
    child_write(" failed, errno ");
    child_write(digits + i);
    child_write("\n");
    _exit(127);
}

static void close_from(int first, int max_fd)
{
    if (syscall(SYS_close_range, (unsigned)first, ~0u, 0u) == 0) {
        return;
    }
    for (int fd = first; fd < max_fd; fd++) {
        close(fd);
    }
}

static G_GNUC_NORETURN void child(const HookSpawn *s, int null_fd, int log_fd,
                                  int listen_fd, int max_fd)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) {
            signal(sig, SIG_DFL);
        }
    }
    if (setsid() < 0) {
        child_fail("setsid");
    }
    if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
        dup2(log_fd, STDERR_FILENO) < 0) {
        child_fail("dup2");
    }
    if (dup2(listen_fd, PASSED_FD) < 0) {
        child_fail("dup2");
    }
    close_from(PASSED_FD + 1, max_fd);
    if (s->set_ids) {
        if (setgroups(0, NULL) < 0 || setgid(s->gid) < 0 ||
            setuid(s->uid) < 0) {
            child_fail("switching to the qemu.conf user");
        }
    }
    execve(s->argv[0], s->argv, s->envp);
    child_fail("exec");
}

static int scratch_dup(int fd)
{
    return fcntl(fd, F_DUPFD_CLOEXEC, SCRATCH_FD_MIN);
}

pid_t hook_spawn_detached(const HookSpawn *s, GError **error)
{
    int max_fd = (int)MIN(sysconf(_SC_OPEN_MAX), 65536);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fds[3] = {
        null_fd >= 0 ? scratch_dup(null_fd) : -1,
        scratch_dup(s->log_fd),
        scratch_dup(s->listen_fd),
    };
    pid_t pid = -1;
    if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0) {
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                    "cannot prepare the backend's file descriptors: %s",
                    g_strerror(errno));
    } else {
        pid = fork();
        if (pid == 0) {
            child(s, fds[0], fds[1], fds[2], MAX(max_fd, FIRST_FREE_FD + 1));
        }
        if (pid < 0) {
            g_set_error(error, HOOK_ERROR, HOOK_EXIT_BACKEND,
                        "cannot fork the backend: %s", g_strerror(errno));
        }
    }
    for (guint i = 0; i < G_N_ELEMENTS(fds); i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    if (null_fd >= 0) {
        close(null_fd);
    }
    return pid;
}
