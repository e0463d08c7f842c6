/* SPDX-License-Identifier: MIT */
#include "hook-owner.h"

#include <grp.h>
#include <pwd.h>

#include "hook-error.h"
#include "pvgpu-error.h"

/* The last `key = "value"` (or 'value') line, comments allowed after it. */
static char *conf_value(const char *text, const char *key)
{
    g_autofree char *pattern = g_strdup_printf(
        "^[ \\t]*%s[ \\t]*=[ \\t]*(\"([^\"]*)\"|'([^']*)')[ \\t]*(#.*)?$", key);
    g_autoptr(GRegex) re = g_regex_new(pattern, G_REGEX_MULTILINE | G_REGEX_RAW, 0, NULL);
    g_autoptr(GMatchInfo) match = NULL;
    char *value = NULL;
    g_regex_match(re, text, 0, &match);
    while (g_match_info_matches(match)) {
        g_free(value);
        value = g_match_info_fetch(match, 2);
        if (value == NULL || value[0] == '\0') {
            g_free(value);
            value = g_match_info_fetch(match, 3);
        }
        g_match_info_next(match, NULL);
    }
    return value;
}

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
    struct passwd *pw = getpwnam(name);
    if (pw == NULL) {
        return FALSE;
    }
    *id = pw->pw_uid;
    return TRUE;
}

static gboolean group_id(const char *name, guint *id)
{
    struct group *gr = getgrnam(name);
    if (gr == NULL) {
        return FALSE;
    }
    *id = gr->gr_gid;
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

/* libvirt's built-in user and group, each root when it does not exist. */
static void default_owner(HookOwner *owner)
{
    guint id = 0;
    owner->uid = user_id(HOOK_DEFAULT_QEMU_USER, &id) ? (uid_t)id : 0;
    owner->gid = group_id(HOOK_DEFAULT_QEMU_GROUP, &id) ? (gid_t)id : 0;
}

gboolean hook_owner_from_qemu_conf(HookOwner *owner, GError **error)
{
    const char *env = g_getenv("PVGPU_QEMU_CONF");
    const char *conf = env != NULL && env[0] != '\0' ? env : HOOK_QEMU_CONF;
    default_owner(owner);

    g_autofree char *text = NULL;
    g_autoptr(GError) read_error = NULL;
    if (!g_file_get_contents(conf, &text, NULL, &read_error)) {
        if (g_error_matches(read_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            return TRUE;
        }
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                    "cannot read %s: %s", conf, read_error->message);
        return FALSE;
    }
    g_autofree char *user = conf_value(text, "user");
    g_autofree char *group = conf_value(text, "group");
    guint uid = owner->uid, gid = owner->gid;
    if ((user != NULL &&
         !resolve_id(conf, "user", user, user_id, &uid, error)) ||
        (group != NULL &&
         !resolve_id(conf, "group", group, group_id, &gid, error))) {
        return FALSE;
    }
    owner->uid = (uid_t)uid;
    owner->gid = (gid_t)gid;
    return TRUE;
}
