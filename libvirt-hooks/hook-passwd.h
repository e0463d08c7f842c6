/* SPDX-License-Identifier: MIT */
/* User and group lookups: NSS, or $PVGPU_PASSWD_FILE and $PVGPU_GROUP_FILE
 * (files in /etc/passwd and /etc/group format, for tests). */
#ifndef HOOK_PASSWD_H
#define HOOK_PASSWD_H

#include <glib.h>
#include <sys/types.h>

/* The uid and primary gid of the user called name. */
gboolean hook_passwd_user(const char *name, uid_t *uid, gid_t *gid);

gboolean hook_passwd_group(const char *name, gid_t *gid);

#endif
