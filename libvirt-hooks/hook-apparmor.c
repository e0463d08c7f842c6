/* SPDX-License-Identifier: MIT */
#include "hook-apparmor.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hook-error.h"

#define DIR_OPEN_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define PROFILE_MAX (1 << 20) /* virt-aa-helper's MAX_FILE_LEN */
#define TEMPLATE_NAME "\nprofile LIBVIRT_TEMPLATE"
#define PROFILE_END "\n}"
#define RULES_DIR "pvgpu"

static gboolean fail(GError **error, const char *what, const char *dir,
                     const char *name)
{
    int err = errno;
    g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL, "cannot %s %s/%s: %s",
                what, dir, name, g_strerror(err));
    return FALSE;
}

static const char *apparmor_dir(void)
{
    const char *dir = g_getenv("PVGPU_APPARMOR_DIR");
    return dir != NULL && dir[0] != '\0' ? dir : HOOK_APPARMOR_DIR;
}

/* AppArmor enabled in the kernel, and libvirt's profiles installed. */
gboolean hook_apparmor_in_use(void)
{
    const char *env = g_getenv("PVGPU_APPARMOR_ENABLED");
    const char *path = env != NULL && env[0] != '\0' ? env
                                                     : HOOK_APPARMOR_ENABLED;
    g_autofree char *enabled = NULL;
    g_autofree char *libvirt = g_build_filename(apparmor_dir(), "libvirt",
                                                NULL);
    return g_file_get_contents(path, &enabled, NULL, NULL) &&
           enabled[0] == 'Y' && g_file_test(libvirt, G_FILE_TEST_IS_DIR);
}

/* A directory only root may change: what is in it is what root wrote. */
static int open_root_dir(int at, const char *parent, const char *name,
                         gboolean create, GError **error)
{
    if (create && mkdirat(at, name, 0755) < 0 && errno != EEXIST) {
        fail(error, "create", parent, name);
        return -1;
    }
    int fd = openat(at, name, DIR_OPEN_FLAGS);
    struct stat st;
    if (fd < 0) {
        fail(error, "open", parent, name);
        return -1;
    }
    if (fstat(fd, &st) < 0 || st.st_uid != geteuid() ||
        (st.st_mode & (S_IWGRP | S_IWOTH))) {
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                    "%s/%s must belong to root and be writable only by it",
                    parent, name);
        close(fd);
        return -1;
    }
    return fd;
}

/* The text of name in dirfd, not through a symlink: NULL without an error
 * when it does not exist. */
static char *read_file_at(int dirfd, const char *dir, const char *name,
                          GError **error)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
                                     O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) {
            fail(error, "open", dir, name);
        }
        return NULL;
    }
    struct stat st;
    char *text = NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        st.st_size > PROFILE_MAX) {
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                    "%s/%s is not a regular file of at most %d bytes", dir,
                    name, PROFILE_MAX);
    } else {
        text = g_malloc0((gsize)st.st_size + 1);
        ssize_t n = read(fd, text, (size_t)st.st_size);
        if (n != st.st_size) {
            fail(error, "read", dir, name);
            g_clear_pointer(&text, g_free);
        }
    }
    close(fd);
    return text;
}

/* Replaces name in dirfd by a file holding text, mode 0644, atomically. */
static gboolean write_file_at(int dirfd, const char *dir, const char *name,
                              const char *text, GError **error)
{
    g_autofree char *temp = g_strdup_printf(".%s.pvgpu-tmp", name);
    unlinkat(dirfd, temp, 0);
    int fd = openat(dirfd, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                     O_CLOEXEC, 0644);
    if (fd < 0) {
        return fail(error, "create", dir, temp);
    }
    size_t len = strlen(text);
    gboolean ok = write(fd, text, len) == (ssize_t)len && fchmod(fd, 0644) == 0 &&
                  fsync(fd) == 0;
    if (close(fd) < 0) {
        ok = FALSE;
    }
    if (!ok || renameat(dirfd, temp, dirfd, name) < 0) {
        fail(error, "write", dir, name);
        unlinkat(dirfd, temp, 0);
        return FALSE;
    }
    return TRUE;
}

static gboolean quotable(const char *path)
{
    return strpbrk(path, "\"\n") == NULL;
}

static gboolean write_rules(int aa_fd, const char *aa, const HookDomain *d,
                            GError **error)
{
    int fd = open_root_dir(aa_fd, aa, RULES_DIR, TRUE, error);
    if (fd < 0) {
        return FALSE;
    }
    g_autofree char *dir = g_build_filename(aa, RULES_DIR, NULL);
    g_autofree char *text = g_strdup_printf(
        "# pvgpu: domain %s may reach its own backend only. Written by the\n"
        "# pvgpu libvirt hook at prepare, removed at release.\n"
        "  \"%s/\" r,\n"
        "  \"%s\" rw,\n",
        d->config->uuid, d->runtime_dir, d->device_socket);
    gboolean ok = write_file_at(fd, dir, d->config->uuid, text, error);
    close(fd);
    return ok;
}

/* libvirt-<uuid> as virt-aa-helper -c writes it, plus our include. */
static char *profile_from_template(const char *template_text,
                                   const char *profile, const char *include)
{
    if (strstr(template_text, TEMPLATE_NAME) == NULL ||
        g_strrstr(template_text, PROFILE_END) == NULL) {
        return NULL;
    }
    g_autofree char *files = g_strdup_printf(
        "\n  #include <libvirt/%s.files>\n%s}", profile, include);
    g_autofree char *name = g_strdup_printf("\nprofile %s", profile);
    g_autoptr(GString) text = g_string_new(template_text);
    g_string_replace(text, TEMPLATE_NAME, name, 1);
    gsize end = (gsize)(g_strrstr(text->str, PROFILE_END) - text->str);
    g_string_erase(text, (gssize)end, (gssize)strlen(PROFILE_END));
    g_string_insert(text, (gssize)end, files);
    return g_string_free(g_steal_pointer(&text), FALSE);
}

/* Our include before the profile's last closing brace, once. */
static char *profile_with_include(const char *existing, const char *include)
{
    if (strstr(existing, include) != NULL) {
        return g_strdup(existing);
    }
    const char *end = g_strrstr(existing, PROFILE_END);
    if (end == NULL) {
        return NULL;
    }
    return g_strdup_printf("%.*s\n%s}%s", (int)(end - existing), existing,
                           include, end + strlen(PROFILE_END));
}

static char *profile_text(int fd, const char *dir, const char *profile,
                          const char *include, const char *existing,
                          GError **error)
{
    if (existing != NULL) {
        char *text = profile_with_include(existing, include);
        if (text == NULL) {
            g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                        "%s/%s has no closing brace to add the pvgpu rule "
                        "before", dir, profile);
        }
        return text;
    }
    g_autoptr(GError) read_error = NULL;
    g_autofree char *template_text = read_file_at(fd, dir, "TEMPLATE.qemu",
                                                  &read_error);
    char *text = template_text != NULL
                     ? profile_from_template(template_text, profile, include)
                     : NULL;
    if (read_error != NULL) {
        g_propagate_error(error, g_steal_pointer(&read_error));
    } else if (text == NULL) {
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                    "%s/TEMPLATE.qemu is missing or has no 'profile "
                    "LIBVIRT_TEMPLATE' and closing brace", dir);
    }
    return text;
}

static gboolean write_profile(int aa_fd, const char *aa, const HookDomain *d,
                              GError **error)
{
    int fd = open_root_dir(aa_fd, aa, "libvirt", FALSE, error);
    if (fd < 0) {
        return FALSE;
    }
    g_autofree char *dir = g_build_filename(aa, "libvirt", NULL);
    g_autofree char *profile = g_strconcat("libvirt-", d->config->uuid, NULL);
    g_autofree char *include = g_strdup_printf(
        "  #include if exists <" RULES_DIR "/%s>\n", d->config->uuid);
    g_autoptr(GError) local = NULL;
    g_autofree char *existing = read_file_at(fd, dir, profile, &local);
    g_autofree char *text = local == NULL ? profile_text(fd, dir, profile,
                                                         include, existing,
                                                         &local)
                                          : NULL;
    gboolean ok = text != NULL &&
                  (g_strcmp0(text, existing) == 0 ||
                   write_file_at(fd, dir, profile, text, &local));
    close(fd);
    if (!ok) {
        g_propagate_error(error, g_steal_pointer(&local));
    }
    return ok;
}

gboolean hook_apparmor_allow(const HookDomain *d, GError **error)
{
    if (!hook_apparmor_in_use()) {
        return TRUE;
    }
    const char *aa = apparmor_dir();
    if (!quotable(d->runtime_dir) || !quotable(d->device_socket)) {
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                    "%s cannot be written in an AppArmor rule",
                    d->device_socket);
        return FALSE;
    }
    int aa_fd = open(aa, DIR_OPEN_FLAGS);
    if (aa_fd < 0) {
        return fail(error, "open", aa, ".");
    }
    gboolean ok = write_rules(aa_fd, aa, d, error) &&
                  write_profile(aa_fd, aa, d, error);
    close(aa_fd);
    return ok;
}

gboolean hook_apparmor_revoke(const HookDomain *d, GError **error)
{
    const char *aa = apparmor_dir();
    int aa_fd = open(aa, DIR_OPEN_FLAGS);
    if (aa_fd < 0) {
        return TRUE; /* no AppArmor configuration, no rule */
    }
    int fd = openat(aa_fd, RULES_DIR, DIR_OPEN_FLAGS);
    gboolean ok = TRUE;
    if (fd >= 0) {
        if (unlinkat(fd, d->config->uuid, 0) < 0 && errno != ENOENT) {
            ok = fail(error, "remove", aa, RULES_DIR);
        }
        close(fd);
    }
    close(aa_fd);
    return ok;
}
