/* SPDX-License-Identifier: MIT */
#include "child-process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct ChildProcess {
    GPid pid;
    gboolean reaped;
    int wait_status;
    gchar *stderr_path;
};

static void child_setup(gpointer user_data)
{
    (void)user_data;
    /* QEMU dies with the test process, even when the test aborts. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

ChildProcess *child_process_spawn(const char *const *argv,
                                  const char *stderr_path, GError **error)
{
    g_autoptr(ChildProcess) p = g_new0(ChildProcess, 1);
    int out_fd;
    int null_fd;
    gboolean ok;

    p->pid = -1;
    p->stderr_path = g_strdup(stderr_path);
    out_fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out_fd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot create %s: %s", stderr_path, g_strerror(errno));
        return NULL;
    }
    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot open /dev/null: %s", g_strerror(errno));
        close(out_fd);
        return NULL;
    }
    ok = g_spawn_async_with_pipes_and_fds(
        NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL,
        null_fd, out_fd, out_fd, NULL, NULL, 0, &p->pid, NULL, NULL, NULL,
        error);
    close(out_fd);
    close(null_fd);
    if (!ok) {
        p->pid = -1;
        return NULL;
    }
    return g_steal_pointer(&p);
}

GPid child_process_pid(const ChildProcess *p)
{
    return p->pid;
}

gboolean child_process_exited(ChildProcess *p, int *wait_status)
{
    if (!p->reaped && p->pid > 0) {
        int status;
        pid_t r = waitpid(p->pid, &status, WNOHANG);

        if (r == p->pid) {
            p->reaped = TRUE;
            p->wait_status = status;
        }
    }
    if (p->reaped && wait_status) {
        *wait_status = p->wait_status;
    }
    return p->reaped;
}

gboolean child_process_wait_exit(ChildProcess *p, gint64 deadline,
                                 int *wait_status)
{
    while (!child_process_exited(p, wait_status)) {
        if (g_get_monotonic_time() >= deadline) {
            return FALSE;
        }
        g_usleep(5000);
    }
    return TRUE;
}

void child_process_signal(ChildProcess *p, int sig)
{
    if (p->pid > 0 && !child_process_exited(p, NULL)) {
        kill(p->pid, sig);
    }
}

void child_process_free(ChildProcess *p)
{
    if (!p) {
        return;
    }
    if (p->pid > 0 && !child_process_exited(p, NULL)) {
        int status;

        kill(p->pid, SIGKILL);
        while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR) {
        }
        p->reaped = TRUE;
    }
    if (p->pid > 0) {
        g_spawn_close_pid(p->pid);
    }
    g_free(p->stderr_path);
    g_free(p);
}

gchar *child_process_stderr(const ChildProcess *p)
{
    gchar *text = NULL;

    if (!g_file_get_contents(p->stderr_path, &text, NULL, NULL)) {
        return g_strdup("");
    }
    return text;
}

gchar *child_process_describe_status(int wait_status)
{
    if (WIFEXITED(wait_status)) {
        return g_strdup_printf("exit status %d", WEXITSTATUS(wait_status));
    }
    if (WIFSIGNALED(wait_status)) {
        return g_strdup_printf("killed by signal %d (%s)",
                               WTERMSIG(wait_status),
                               g_strsignal(WTERMSIG(wait_status)));
    }
    return g_strdup_printf("wait status 0x%x", wait_status);
}

guint64 child_process_rss_kib(const ChildProcess *p)
{
    g_autofree gchar *path = g_strdup_printf("/proc/%d/status", p->pid);
    g_autofree gchar *text = NULL;
    const char *line;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return 0;
    }
    line = strstr(text, "\nVmRSS:");
    if (!line) {
        return 0;
    }
    return g_ascii_strtoull(line + strlen("\nVmRSS:"), NULL, 10);
}

int child_process_count_fds(const ChildProcess *p)
{
    g_autofree gchar *path = g_strdup_printf("/proc/%d/fd", p->pid);
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    int n = 0;

    if (!dir) {
        return -1;
    }
    while (g_dir_read_name(dir)) {
        n++;
    }
    return n;
}

gchar *child_process_fd_target(const ChildProcess *p, int fd)
{
    g_autofree gchar *path = g_strdup_printf("/proc/%d/fd/%d", p->pid, fd);

    return g_file_read_link(path, NULL);
}
