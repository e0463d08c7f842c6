/* SPDX-License-Identifier: MIT */
#include "hook-runtime.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hook-error.h"

/* g_file_set_contents() writes "<pidfile>.XXXXXX" before renaming it. */
#define PIDFILE_TEMP_SUFFIX_LEN 7

static gboolean fail(GError **error, const char *what, const char *path)
{
    int err = errno;
    g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL, "cannot %s %s: %s",
                what, path, g_strerror(err));
    return FALSE;
}

static gboolean set_owner_and_mode(const char *path, const HookOwner *owner,
                                   mode_t mode, GError **error)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        return fail(error, "inspect", path);
    }
    if ((st.st_uid != owner->uid || st.st_gid != owner->gid) &&
        lchown(path, owner->uid, owner->gid) < 0) {
        return fail(error, "change the owner of", path);
    }
    if (chmod(path, mode) < 0) {
        return fail(error, "change the mode of", path);
    }
    return TRUE;
}

gboolean hook_runtime_dir_create(const HookDomain *d, const HookOwner *owner,
                                 GError **error)
{
    g_autofree char *base = g_path_get_dirname(d->runtime_dir);
    if (g_mkdir_with_parents(base, 0755) < 0) {
        return fail(error, "create", base);
    }
    if (mkdir(d->runtime_dir, 0750) < 0 && errno != EEXIST) {
        return fail(error, "create", d->runtime_dir);
    }
    struct stat st;
    if (lstat(d->runtime_dir, &st) < 0) {
        return fail(error, "inspect", d->runtime_dir);
    }
    if (!S_ISDIR(st.st_mode)) {
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                    "%s exists and is not a directory", d->runtime_dir);
        return FALSE;
    }
    return set_owner_and_mode(d->runtime_dir, owner, 0750, error);
}

static gboolean remove_file(const char *path, GError **error)
{
    if (unlink(path) < 0 && errno != ENOENT) {
        return fail(error, "remove", path);
    }
    return TRUE;
}

static gboolean remove_pidfile_temps(const HookDomain *d, GError **error)
{
    g_autoptr(GDir) dir = g_dir_open(d->runtime_dir, 0, NULL);
    g_autofree char *prefix = g_path_get_basename(d->pidfile);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        if (g_str_has_prefix(name, prefix) &&
            strlen(name) == strlen(prefix) + PIDFILE_TEMP_SUFFIX_LEN &&
            name[strlen(prefix)] == '.') {
            g_autofree char *path = g_build_filename(d->runtime_dir, name,
                                                     NULL);
            if (!remove_file(path, error)) {
                return FALSE;
            }
        }
    }
    return TRUE;
}

gboolean hook_runtime_dir_remove(const HookDomain *d, GError **error)
{
    if (!remove_file(d->device_socket, error) ||
        !remove_file(d->control_socket, error) ||
        !remove_file(d->pidfile, error) || !remove_pidfile_temps(d, error)) {
        return FALSE;
    }
    if (rmdir(d->runtime_dir) < 0 && errno != ENOENT) {
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

int hook_listen_device_socket(const HookDomain *d, const HookOwner *owner,
                              GError **error)
{
    const char *path = d->device_socket;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    /* pvgpu_domain_config_from_xml() already refused longer paths. */
    g_assert(strlen(path) < sizeof(addr.sun_path));
    strcpy(addr.sun_path, path);

    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                        "%s exists and is not a socket", path);
            return -1;
        }
        if (!remove_file(path, error)) {
            return -1;
        }
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail(error, "create a socket for", path);
        return -1;
    }
    /* The socket file gets its mode at bind(); fchmod() on a socket fd does
     * not reach the file. */
    mode_t old_umask = umask(0117);
    int bound = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old_umask);
    if (bound < 0) {
        fail(error, "bind", path);
    } else if (set_owner_and_mode(path, owner, 0660, error)) {
        if (listen(fd, 8) == 0) {
            return fd;
        }
        fail(error, "listen on", path);
    }
    close(fd);
    return -1;
}
