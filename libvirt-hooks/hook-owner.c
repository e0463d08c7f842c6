/* SPDX-License-Identifier: MIT */
#include "hook-owner.h"

#include <string.h>

#include "hook-error.h"
#include "hook-passwd.h"
#include "hook-qemu-conf.h"
#include "pvgpu-error.h"

/* "+N" is always the id N; otherwise a name, or a number if no such name. */
static gboolean numeric_id(const char *text, gboolean plus_only, guint *out)
{
    const char *digits = text[0] == '+' ? text + 1 : text;
    guint64 v = 0;
    if ((plus_only && digits == text) ||
        !g_ascii_string_to_unsigned(digits, 10, 0, G_MAXUINT32 - 1, &v,
                                    NULL) ||
        !g_ascii_isdigit(digits[0])) {
        return FALSE;
    }
    *out = (guint)v;
    return TRUE;
}

static gboolean user_id(const char *name, guint *id)
{
    uid_t uid = 0;
    gid_t gid = 0;
    if (!hook_passwd_user(name, &uid, &gid)) {
        return FALSE;
    }
    *id = uid;
    return TRUE;
}

static gboolean group_id(const char *name, guint *id)
{
    gid_t gid = 0;
    if (!hook_passwd_group(name, &gid)) {
        return FALSE;
    }
    *id = gid;
    return TRUE;
}

/* The id of `key = "name"` in conf ("user" or "group"), as libvirt reads
 * it: "+N", else a name looked up, else a number. */
static gboolean resolve_id(const char *conf, const char *key,
                           const char *name,
                           gboolean (*lookup)(const char *name, guint *id),
                           guint *id, GError **error)
{
    if (numeric_id(name, TRUE, id) || lookup(name, id) ||
        numeric_id(name, FALSE, id)) {
        return TRUE;
    }
    g_autofree char *quoted = pvgpu_quote(name);
    g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                "%s sets %s = \"%s\", which does not exist", conf, key,
                quoted);
    return FALSE;
}

/* Without `user` in qemu.conf, QEMU runs as libvirt's build-time default:
 * the first of these that exists. Never root: that must be written out. */
static const char *const default_names[] = {
    HOOK_DEFAULT_QEMU_USER,
    HOOK_FALLBACK_QEMU_USER,
};

static gboolean default_user(const char *conf, HookOwner *owner,
                             gboolean *have_gid, GError **error)
{
    for (guint i = 0; i < G_N_ELEMENTS(default_names); i++) {
        if (hook_passwd_user(default_names[i], &owner->uid, &owner->gid)) {
            *have_gid = TRUE;
            return TRUE;
        }
    }
    g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                "cannot tell which user QEMU runs as: %s sets no user and "
                "neither %s nor %s exists; set user = \"...\" in %s (the "
                "pvgpu backend never runs as root unless it says so)",
                conf, default_names[0], default_names[1], conf);
    return FALSE;
}

/* libvirt's default group, else the primary group of the default user. */
static gboolean default_group(const char *conf, HookOwner *owner,
                              gboolean have_gid, GError **error)
{
    for (guint i = 0; i < G_N_ELEMENTS(default_names); i++) {
        if (hook_passwd_group(default_names[i], &owner->gid)) {
            return TRUE;
        }
    }
    if (have_gid) {
        return TRUE;
    }
    g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                "cannot tell which group QEMU runs as: %s sets no group and "
                "neither %s nor %s exists; set group = \"...\" in %s",
                conf, default_names[0], default_names[1], conf);
    return FALSE;
}

gboolean hook_owner_from_qemu_conf(HookOwner *owner, GError **error)
{
    const char *conf = hook_qemu_conf_path();
    *owner = (HookOwner){ 0 };

    g_autofree char *text = NULL;
    if (!hook_qemu_conf_read(&text, error)) {
        return FALSE;
    }
    g_autofree char *user = text != NULL ? hook_qemu_conf_string(text, "user") : NULL;
    g_autofree char *group = text != NULL ? hook_qemu_conf_string(text, "group") : NULL;
    gboolean have_gid = FALSE;
    guint id = 0;
    if (user == NULL) {
        if (!default_user(conf, owner, &have_gid, error)) {
            return FALSE;
        }
    } else if (resolve_id(conf, "user", user, user_id, &id, error)) {
        owner->uid = (uid_t)id;
        owner->root_by_choice = id == 0;
    } else {
        return FALSE;
    }
    if (group == NULL) {
        return default_group(conf, owner, have_gid, error);
    }
    if (!resolve_id(conf, "group", group, group_id, &id, error)) {
        return FALSE;
    }
    owner->gid = (gid_t)id;
    return TRUE;
}

gboolean hook_owner_from_dac_label(HookOwner *owner, const char *label,
                                   GError **error)
{
    const char *colon = strchr(label, ':');
    if (colon == NULL || colon == label || colon[1] == '\0' ||
        strchr(colon + 1, ':') != NULL) {
        g_autofree char *quoted = pvgpu_quote(label);
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INVALID,
                    "the domain's DAC <seclabel> '%s' is not USER:GROUP",
                    quoted);
        return FALSE;
    }
    g_autofree char *user = g_strndup(label, (gsize)(colon - label));
    const char *where = "the domain's DAC <seclabel>";
    guint uid = 0, gid = 0;
    if (!resolve_id(where, "user", user, user_id, &uid, error) ||
        !resolve_id(where, "group", colon + 1, group_id, &gid, error)) {
        return FALSE;
    }
    owner->uid = (uid_t)uid;
    owner->gid = (gid_t)gid;
    owner->root_by_choice = uid == 0;
    return TRUE;
}
