/* SPDX-License-Identifier: MIT */
#include "hook-passwd.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>

static const char *override_file(const char *variable)
{
    const char *path = g_getenv(variable);
    return path != NULL && path[0] != '\0' ? path : NULL;
}

static struct passwd *find_user(const char *name)
{
    const char *path = override_file("PVGPU_PASSWD_FILE");
    if (path == NULL) {
        return getpwnam(name);
    }
    FILE *file = fopen(path, "re");
    struct passwd *pw = NULL;
    while (file != NULL && (pw = fgetpwent(file)) != NULL &&
           strcmp(pw->pw_name, name) != 0) {
    }
    if (file != NULL) {
        fclose(file); /* pw points into glibc's static buffer, not file */
    }
    return pw;
}

static struct group *find_group(const char *name)
{
    const char *path = override_file("PVGPU_GROUP_FILE");
    if (path == NULL) {
        return getgrnam(name);
    }
    FILE *file = fopen(path, "re");
    struct group *gr = NULL;
    while (file != NULL && (gr = fgetgrent(file)) != NULL &&
           strcmp(gr->gr_name, name) != 0) {
    }
    if (file != NULL) {
        fclose(file);
    }
    return gr;
}

gboolean hook_passwd_user(const char *name, uid_t *uid, gid_t *gid)
{
    struct passwd *pw = find_user(name);
    if (pw == NULL) {
        return FALSE;
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    return TRUE;
}

gboolean hook_passwd_group(const char *name, gid_t *gid)
{
    struct group *gr = find_group(name);
    if (gr == NULL) {
        return FALSE;
    }
    *gid = gr->gr_gid;
    return TRUE;
}
