/* SPDX-License-Identifier: MIT */
#include "hook-backend.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hook-error.h"
#include "hook-owner.h"
#include "hook-pidfile.h"
#include "hook-runtime.h"
#include "hook-spawn.h"
#include "pvgpu-size.h"

#define POLL_INTERVAL_US (10 * 1000)
#define LOG_TAIL_BYTES 4096
#define LOG_TAIL_LINES 3
#define DELETED_SUFFIX " (deleted)"

static int pidfd_open(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0u);
}

static int pidfd_signal(int pidfd, int sig)
{
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0u);
}

/* /proc/<pid>/exe is the backend binary, also after an upgrade replaced
 * the file (the link then ends in " (deleted)"). */
static gboolean runs_backend_binary(const HookDomain *d, pid_t pid)
{
    g_autofree char *link = g_strdup_printf("/proc/%d/exe", (int)pid);
    g_autofree char *exe = g_file_read_link(link, NULL);
    if (exe == NULL) {
        return FALSE;
    }
    if (g_str_has_suffix(exe, DELETED_SUFFIX)) {
        exe[strlen(exe) - strlen(DELETED_SUFFIX)] = '\0';
    }
    char *real = realpath(d->backend, NULL);
    gboolean same = strcmp(exe, real != NULL ? real : d->backend) == 0;
    free(real);
    return same;
}

/* The process runs this domain's backend: the backend binary, with our
 * --pidfile among its arguments. Zombies have no exe and no cmdline. */
static gboolean process_is_backend(const HookDomain *d, pid_t pid)
{
    if (!runs_backend_binary(d, pid)) {
        return FALSE;
    }
    g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", (int)pid);
    g_autofree char *cmdline = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &cmdline, &len, NULL) || len == 0) {
        return FALSE;
    }
    g_autofree char *want_arg = g_strconcat("--pidfile=", d->pidfile, NULL);
    for (gsize i = strlen(cmdline) + 1; i < len; i += strlen(cmdline + i) + 1) {
        if (strcmp(cmdline + i, want_arg) == 0) {
            return TRUE;
        }
    }
    return FALSE;
}

/* A pidfd of the backend the pidfile names; -1 when none runs. */
static gboolean open_backend(const HookDomain *d, const HookRuntimeDir *dir,
                             int *pidfd, pid_t *pid, GError **error)
{
    g_autofree char *name = g_path_get_basename(d->pidfile);
    *pidfd = -1;
    if (!hook_pidfile_read(dir, name, pid, error)) {
        return FALSE;
    }
    if (*pid == 0) {
        return TRUE;
    }
    int fd = pidfd_open(*pid);
    if (fd < 0) {
        if (errno == ESRCH) {
            return TRUE;
        }
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                    "cannot watch process %d: %s", (int)*pid,
                    g_strerror(errno));
        return FALSE;
    }
    /* Checked with the pidfd held: the pid cannot be reused meanwhile. */
    if (!process_is_backend(d, *pid)) {
        close(fd);
        return TRUE;
    }
    *pidfd = fd;
    return TRUE;
}

gboolean hook_backend_running(const HookDomain *d, pid_t *pid,
                              GError **error)
{
    g_autoptr(HookRuntimeDir) dir = NULL;
    int pidfd = -1;
    pid_t found = 0;
    if (!hook_runtime_dir_open(d, &dir, error) || dir == NULL ||
        !open_backend(d, dir, &pidfd, &found, error) || pidfd < 0) {
        return FALSE;
    }
    close(pidfd);
    if (pid != NULL) {
        *pid = found;
    }
    return TRUE;
}

static gboolean wait_gone(int pidfd, int timeout_ms)
{
    struct pollfd fds = { .fd = pidfd, .events = POLLIN };
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    for (;;) {
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        int n = poll(&fds, 1, (int)MAX(left, 0));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        return n > 0; /* readable: the process has exited */
    }
}

gboolean hook_backend_stop(const HookDomain *d, GError **error)
{
    g_autoptr(HookRuntimeDir) dir = NULL;
    int pidfd = -1;
    pid_t pid = 0;
    if (!hook_runtime_dir_open(d, &dir, error)) {
        return FALSE;
    }
    if (dir == NULL || !open_backend(d, dir, &pidfd, &pid, error)) {
        return dir == NULL;
    }
    if (pidfd < 0) {
        return TRUE;
    }
    pidfd_signal(pidfd, SIGTERM);
    if (!wait_gone(pidfd, HOOK_STOP_TIMEOUT_MS)) {
        pidfd_signal(pidfd, SIGKILL);
        wait_gone(pidfd, 1000);
    }
    close(pidfd);
    return TRUE;
}

/* The last lines the backend wrote since offset, on one line. */
static char *log_tail(const char *log_path, goffset offset)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents(log_path, &text, &len, NULL) ||
        (goffset)len <= offset) {
        return NULL;
    }
    gsize start = MAX((gsize)offset, len > LOG_TAIL_BYTES ? len - LOG_TAIL_BYTES
                                                          : 0);
    for (gsize i = start; i < len; i++) {
        if (text[i] != '\n' && (g_ascii_iscntrl(text[i]) || text[i] < 0)) {
            text[i] = '?';
        }
    }
    text[len] = '\0';
    g_auto(GStrv) lines = g_strsplit(text + start, "\n", -1);
    g_autoptr(GPtrArray) kept = g_ptr_array_new();
    for (gint i = (gint)g_strv_length(lines) - 1;
         i >= 0 && kept->len < LOG_TAIL_LINES; i--) {
        if (g_strstrip(lines[i])[0] != '\0') {
            g_ptr_array_insert(kept, 0, lines[i]);
        }
    }
    if (kept->len == 0) {
        return NULL;
    }
    g_ptr_array_add(kept, NULL);
    return g_strjoinv(" | ", (char **)kept->pdata);
}

static char *describe_status(int status)
{
    if (WIFEXITED(status)) {
        return g_strdup_printf("exited with status %d", WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        return g_strdup_printf("was killed by signal %d (%s)",
                               WTERMSIG(status), g_strsignal(WTERMSIG(status)));
    }
    return g_strdup_printf("stopped (wait status 0x%x)", (unsigned)status);
}

static gboolean is_socket(const HookRuntimeDir *dir, const char *path)
{
    g_autofree char *name = g_path_get_basename(path);
    struct stat st;
    return fstatat(dir->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISSOCK(st.st_mode);
}

static gboolean pidfile_names(const HookDomain *d, const HookRuntimeDir *dir,
                              pid_t pid)
{
    g_autofree char *name = g_path_get_basename(d->pidfile);
    g_autoptr(GError) ignored = NULL;
    pid_t found = 0;
    return hook_pidfile_read(dir, name, &found, &ignored) && found != 0 &&
           (pid == 0 || found == pid);
}

/* via_systemd: the pid in the pidfile is systemd-run's child, not ours. */
static gboolean wait_ready(const HookDomain *d, const HookRuntimeDir *dir,
                           pid_t child, goffset log_start,
                           gboolean via_systemd, GError **error)
{
    gint64 deadline = g_get_monotonic_time() +
                      (gint64)HOOK_START_TIMEOUT_MS * 1000;
    for (;;) {
        int status = 0;
        if (waitpid(child, &status, WNOHANG) == child) {
            g_autofree char *how = describe_status(status);
            g_autofree char *tail = log_tail(d->log_path, log_start);
            g_set_error(error, HOOK_ERROR, HOOK_EXIT_BACKEND,
                        "the pvgpu backend %s during start-up%s%s (log: %s)",
                        how, tail != NULL ? ": " : "", tail != NULL ? tail : "",
                        d->log_path);
            return FALSE;
        }
        if (pidfile_names(d, dir, via_systemd ? 0 : child) &&
            is_socket(dir, d->control_socket)) {
            return TRUE;
        }
        if (g_get_monotonic_time() >= deadline) {
            kill(child, SIGKILL);
            waitpid(child, &status, 0);
            g_set_error(error, HOOK_ERROR, HOOK_EXIT_BACKEND,
                        "the pvgpu backend did not become ready within %d ms "
                        "and was killed (log: %s)", HOOK_START_TIMEOUT_MS,
                        d->log_path);
            return FALSE;
        }
        g_usleep(POLL_INTERVAL_US);
    }
}

static int open_log(const HookDomain *d, const HookOwner *owner,
                    const char *operation, goffset *start, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(d->log_path);
    if (g_mkdir_with_parents(dir, 0750) < 0) {
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                    "cannot create %s: %s", dir, g_strerror(errno));
        return -1;
    }
    int fd = open(d->log_path,
                  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                  0640);
    if (fd < 0) {
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                    "cannot open %s: %s", d->log_path, g_strerror(errno));
        return -1;
    }
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format_iso8601(now);
    /* libvirt drops a successful hook's stderr: the log is where a warning
     * is read. */
    g_autofree char *header = g_strdup_printf(
        "%s pvgpu hook (%s): starting %s\n%s", stamp, operation, d->backend,
        owner->root_by_choice ? "pvgpu hook: warning: qemu.conf sets user "
                                "root, so the backend runs as root\n"
                              : "");
    if (write(fd, header, strlen(header)) < 0) {
        /* The log is for people; a full disk must not stop the VM. */
    }
    /* Start-up errors quote what the backend wrote after this point. */
    *start = lseek(fd, 0, SEEK_END);
    return fd;
}

static gboolean use_systemd_run(char **systemd_run)
{
    const char *choice = g_getenv("PVGPU_HOOK_LAUNCHER");
    if (g_strcmp0(choice, "direct") == 0) {
        return FALSE;
    }
    if (g_strcmp0(choice, "systemd-run") != 0 &&
        !g_file_test("/run/systemd/system", G_FILE_TEST_IS_DIR)) {
        return FALSE;
    }
    *systemd_run = g_find_program_in_path("systemd-run");
    return *systemd_run != NULL;
}

static GPtrArray *backend_argv(const HookDomain *d, const HookOwner *owner,
                               const char *systemd_run)
{
    const PvgpuDomainConfig *c = d->config;
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    if (systemd_run != NULL) {
        /* A scope: systemd-run execs the backend itself, so fd 3 and the
         * pid stay ours, and the backend gets its own cgroup and unit. */
        g_ptr_array_add(argv, g_strdup(systemd_run));
        g_ptr_array_add(argv, g_strdup("--scope"));
        g_ptr_array_add(argv, g_strdup("--quiet"));
        g_ptr_array_add(argv, g_strdup("--collect"));
        g_ptr_array_add(argv, g_strdup_printf("--unit=pvgpu-%s", c->uuid));
        g_ptr_array_add(argv, g_strdup_printf(
            "--description=pvgpu backend of domain %s", c->name));
        if (owner->uid != 0 || owner->gid != 0) {
            g_ptr_array_add(argv, g_strdup_printf("--uid=%u", owner->uid));
            g_ptr_array_add(argv, g_strdup_printf("--gid=%u", owner->gid));
        }
        g_ptr_array_add(argv, g_strdup("--"));
    }
    g_autofree char *budget = pvgpu_size_format(c->memory_budget);
    g_ptr_array_add(argv, g_strdup(d->backend));
    g_ptr_array_add(argv, g_strdup("--fd=3"));
    g_ptr_array_add(argv, g_strconcat("--control-socket=", d->control_socket,
                                      NULL));
    g_ptr_array_add(argv, g_strconcat("--pidfile=", d->pidfile, NULL));
    /* Only QEMU may connect to device.sock (checked with SO_PEERCRED). */
    g_ptr_array_add(argv, g_strdup_printf("--peer-uid=%u",
                                          (unsigned)owner->uid));
    /* and, where QEMU is confined, only this domain's QEMU */
    if (d->peer_label != NULL) {
        g_ptr_array_add(argv, g_strconcat("--peer-label=", d->peer_label,
                                          NULL));
    }
    g_ptr_array_add(argv, g_strconcat("--memory-budget=", budget, NULL));
    if (c->display_width != 0) {
        g_ptr_array_add(argv, g_strdup_printf("--display=%ux%u",
                                              c->display_width,
                                              c->display_height));
    }
    g_ptr_array_add(argv, NULL);
    return argv;
}

static char **backend_environment(void)
{
    char **env = g_get_environ();
    /* Not meant for the backend: readiness and sockets are ours to pass. */
    env = g_environ_unsetenv(env, "NOTIFY_SOCKET");
    env = g_environ_unsetenv(env, "LISTEN_FDS");
    env = g_environ_unsetenv(env, "LISTEN_PID");
    return env;
}

static gboolean launch(const HookDomain *d, const HookRuntimeDir *dir,
                       const HookOwner *owner, const char *operation,
                       int listen_fd, GError **error)
{
    goffset log_start = 0;
    int log_fd = open_log(d, owner, operation, &log_start, error);
    if (log_fd < 0) {
        return FALSE;
    }
    g_autofree char *systemd_run = NULL;
    gboolean via_systemd = use_systemd_run(&systemd_run);
    g_autoptr(GPtrArray) argv = backend_argv(d, owner, systemd_run);
    g_auto(GStrv) envp = backend_environment();
    HookSpawn spawn = {
        .argv = (char **)argv->pdata,
        .envp = envp,
        .listen_fd = listen_fd,
        .log_fd = log_fd,
        .set_ids = !via_systemd &&
                   (owner->uid != geteuid() || owner->gid != getegid()),
        .uid = owner->uid,
        .gid = owner->gid,
    };
    pid_t child = hook_spawn_detached(&spawn, error);
    close(log_fd);
    return child > 0 &&
           wait_ready(d, dir, child, log_start, via_systemd, error);
}

static gboolean check_executable(const HookDomain *d, GError **error)
{
    if (!g_file_test(d->backend, G_FILE_TEST_IS_REGULAR) ||
        access(d->backend, X_OK) < 0) {
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_BACKEND,
                    "the pvgpu backend %s is missing or not executable "
                    "(install pvgpu-backend)", d->backend);
        return FALSE;
    }
    return TRUE;
}

gboolean hook_backend_start(const HookDomain *d, const char *operation,
                            GError **error)
{
    HookOwner owner;
    if (!check_executable(d, error) ||
        !hook_owner_from_qemu_conf(&owner, error) ||
        (d->dac_label != NULL &&
         !hook_owner_from_dac_label(&owner, d->dac_label, error))) {
        return FALSE;
    }
    /* A stale backend that cannot be told apart, or a directory that
     * cannot be removed, is no place to start in. */
    if (!hook_backend_stop(d, error) || !hook_runtime_dir_remove(d, error)) {
        return FALSE;
    }
    int listen_fd = -1;
    g_autoptr(HookRuntimeDir) dir = hook_runtime_dir_create(d, &owner,
                                                            &listen_fd, error);
    gboolean ok = dir != NULL &&
                  launch(d, dir, &owner, operation, listen_fd, error);
    if (listen_fd >= 0) {
        close(listen_fd);
    }
    if (!ok) {
        g_autoptr(GError) stop_error = NULL;
        g_autoptr(GError) cleanup_error = NULL;
        hook_backend_stop(d, &stop_error);
        hook_runtime_dir_remove(d, &cleanup_error);
    }
    return ok;
}
