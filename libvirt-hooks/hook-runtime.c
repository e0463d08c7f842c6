/* SPDX-License-Identifier: MIT */
#include "hook-runtime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hook-error.h"

/* g_file_set_contents() writes "<pidfile>.XXXXXX" before renaming it. */
#define PIDFILE_TEMP_SUFFIX_LEN 7
#define DIR_OPEN_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

static gboolean fail(GError **error, const char *what, const char *path)
{
    int err = errno;
    g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL, "cannot %s %s: %s",
                what, path, g_strerror(err));
    return FALSE;
}

void hook_runtime_dir_free(HookRuntimeDir *dir)
{
    if (dir != NULL) {
        if (dir->fd >= 0) {
            close(dir->fd);
        }
        if (dir->base_fd >= 0) {
            close(dir->base_fd);
        }
        g_free(dir->path);
        g_free(dir);
    }
}

static HookRuntimeDir *dir_new(const HookDomain *d)
{
    HookRuntimeDir *dir = g_new0(HookRuntimeDir, 1);
    dir->base_fd = -1;
    dir->fd = -1;
    dir->path = g_strdup(d->runtime_dir);
    return dir;
}

/* /run/pvgpu, which only root may write: no one else can swap or plant
 * a <uuid> entry there. TRUE with *fd -1 when it does not exist. */
static gboolean open_base(const HookDomain *d, gboolean create, int *fd,
                          GError **error)
{
    g_autofree char *base = g_path_get_dirname(d->runtime_dir);
    *fd = -1;
    if (create && g_mkdir_with_parents(base, 0755) < 0) {
        return fail(error, "create", base);
    }
    int opened = open(base, DIR_OPEN_FLAGS);
    if (opened < 0) {
        return errno == ENOENT ? TRUE : fail(error, "open", base);
    }
    struct stat st;
    if (fstat(opened, &st) < 0) {
        fail(error, "inspect", base);
    } else if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                    "%s must belong to root and be writable only by it "
                    "(owner %u, mode %04o)", base, (unsigned)st.st_uid,
                    (unsigned)(st.st_mode & 07777));
    } else {
        *fd = opened;
        return TRUE;
    }
    close(opened);
    return FALSE;
}

/* The <uuid> entry as a directory, never through a symlink. TRUE with
 * dir->fd -1 when it does not exist. */
static gboolean open_domain_dir(HookRuntimeDir *dir, const char *name,
                                GError **error)
{
    dir->fd = openat(dir->base_fd, name, DIR_OPEN_FLAGS);
    if (dir->fd >= 0) {
        struct stat st;
        if (fstat(dir->fd, &st) < 0) {
            return fail(error, "inspect", dir->path);
        }
        dir->uid = st.st_uid;
        return TRUE;
    }
    if (errno == ENOENT) {
        return TRUE;
    }
    if (errno == ELOOP || errno == ENOTDIR) {
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                    "%s is not a directory (a symlink?); left in place",
                    dir->path);
        return FALSE;
    }
    return fail(error, "open", dir->path);
}

gboolean hook_runtime_dir_open(const HookDomain *d, HookRuntimeDir **out,
                               GError **error)
{
    g_autoptr(HookRuntimeDir) dir = dir_new(d);
    g_autofree char *name = g_path_get_basename(d->runtime_dir);
    *out = NULL;
    if (!open_base(d, FALSE, &dir->base_fd, error) ||
        (dir->base_fd >= 0 && !open_domain_dir(dir, name, error))) {
        return FALSE;
    }
    if (dir->fd >= 0) {
        *out = g_steal_pointer(&dir);
    }
    return TRUE;
}

/* Bound while the directory is root's and 0700, so the path cannot lead
 * elsewhere; the mode comes from the umask, as fchmod() on a socket fd does
 * not reach the file. */
static int listen_device_socket(const HookRuntimeDir *dir,
                                const HookDomain *d, const HookOwner *owner,
                                GError **error)
{
    const char *path = d->device_socket;
    g_autofree char *name = g_path_get_basename(path);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    /* pvgpu_domain_config_from_xml() already refused longer paths. */
    g_assert(strlen(path) < sizeof(addr.sun_path));
    strcpy(addr.sun_path, path);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail(error, "create a socket for", path);
        return -1;
    }
    mode_t old_umask = umask(0117);
    int bound = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old_umask);
    if (bound < 0) {
        fail(error, "bind", path);
    } else if (fchownat(dir->fd, name, owner->uid, owner->gid,
                        AT_SYMLINK_NOFOLLOW) < 0) {
        fail(error, "change the owner of", path);
    } else if (listen(fd, 8) < 0) {
        fail(error, "listen on", path);
    } else {
        return fd;
    }
    close(fd);
    return -1;
}

HookRuntimeDir *hook_runtime_dir_create(const HookDomain *d,
                                        const HookOwner *owner,
                                        int *listen_fd, GError **error)
{
    g_autoptr(HookRuntimeDir) dir = dir_new(d);
    g_autofree char *name = g_path_get_basename(d->runtime_dir);
    *listen_fd = -1;
    if (!open_base(d, TRUE, &dir->base_fd, error)) {
        return NULL;
    }
    if (dir->base_fd < 0 || mkdirat(dir->base_fd, name, 0700) < 0) {
        fail(error, "create", dir->path);
        return NULL;
    }
    if (!open_domain_dir(dir, name, error)) {
        return NULL;
    }
    if (dir->fd < 0 || dir->uid != geteuid()) {
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                    "%s changed while it was being created", dir->path);
        return NULL;
    }
    int fd = listen_device_socket(dir, d, owner, error);
    if (fd < 0) {
        return NULL;
    }
    /* From here on the QEMU user may change anything inside. */
    if (fchown(dir->fd, owner->uid, owner->gid) < 0 ||
        fchmod(dir->fd, 0750) < 0) {
        fail(error, "hand over", dir->path);
        close(fd);
        return NULL;
    }
    dir->uid = owner->uid;
    *listen_fd = fd;
    return g_steal_pointer(&dir);
}

static gboolean remove_entry(const HookRuntimeDir *dir, const char *name,
                             GError **error)
{
    if (unlinkat(dir->fd, name, 0) < 0 && errno != ENOENT) {
        g_autofree char *path = g_build_filename(dir->path, name, NULL);
        return fail(error, "remove", path);
    }
    return TRUE;
}

static gboolean is_pidfile_temp(const char *name, const char *pidfile)
{
    size_t len = strlen(pidfile);
    return strncmp(name, pidfile, len) == 0 && name[len] == '.' &&
           strlen(name) == len + PIDFILE_TEMP_SUFFIX_LEN;
}

static gboolean remove_pidfile_temps(const HookRuntimeDir *dir,
                                     const char *pidfile, GError **error)
{
    int fd = fcntl(dir->fd, F_DUPFD_CLOEXEC, 0);
    DIR *entries = fd >= 0 ? fdopendir(fd) : NULL;
    if (entries == NULL) {
        if (fd >= 0) {
            close(fd);
        }
        return fail(error, "list", dir->path);
    }
    /* fdopendir() may start where the fd's offset is */
    rewinddir(entries);
    gboolean ok = TRUE;
    struct dirent *entry;
    while (ok && (entry = readdir(entries)) != NULL) {
        if (is_pidfile_temp(entry->d_name, pidfile)) {
            ok = remove_entry(dir, entry->d_name, error);
        }
    }
    closedir(entries);
    return ok;
}

gboolean hook_runtime_dir_remove(const HookDomain *d, GError **error)
{
    g_autoptr(HookRuntimeDir) dir = NULL;
    if (!hook_runtime_dir_open(d, &dir, error)) {
        return FALSE;
    }
    if (dir == NULL) {
        return TRUE;
    }
    const char *paths[] = { d->device_socket, d->control_socket, d->pidfile };
    for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
        g_autofree char *name = g_path_get_basename(paths[i]);
        if (!remove_entry(dir, name, error)) {
            return FALSE;
        }
    }
    g_autofree char *pidfile = g_path_get_basename(d->pidfile);
    if (!remove_pidfile_temps(dir, pidfile, error)) {
        return FALSE;
    }
    g_autofree char *name = g_path_get_basename(d->runtime_dir);
    if (unlinkat(dir->base_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
        if (errno == ENOTEMPTY || errno == EEXIST) {
            g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                        "left %s in place: it holds files pvgpu did not "
                        "create", d->runtime_dir);
            return FALSE;
        }
        return fail(error, "remove", d->runtime_dir);
    }
    return TRUE;
}
