/* SPDX-License-Identifier: MIT */
#include "hook-qemu-conf.h"

#include "hook-error.h"

const char *hook_qemu_conf_path(void)
{
    const char *env = g_getenv("PVGPU_QEMU_CONF");
    return env != NULL && env[0] != '\0' ? env : HOOK_QEMU_CONF;
}

gboolean hook_qemu_conf_read(char **text, GError **error)
{
    const char *conf = hook_qemu_conf_path();
    g_autoptr(GError) read_error = NULL;
    *text = NULL;
    if (!g_file_get_contents(conf, text, NULL, &read_error) &&
        !g_error_matches(read_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                    "cannot read %s: %s", conf, read_error->message);
        return FALSE;
    }
    return TRUE;
}

static char *last_match(const char *text, const char *pattern, int group,
                        int fallback_group)
{
    g_autoptr(GRegex) re = g_regex_new(pattern,
                                       G_REGEX_MULTILINE | G_REGEX_RAW, 0,
                                       NULL);
    g_autoptr(GMatchInfo) match = NULL;
    char *value = NULL;
    g_regex_match(re, text, 0, &match);
    while (g_match_info_matches(match)) {
        g_free(value);
        value = g_match_info_fetch(match, group);
        if (fallback_group > 0 && (value == NULL || value[0] == '\0')) {
            g_free(value);
            value = g_match_info_fetch(match, fallback_group);
        }
        g_match_info_next(match, NULL);
    }
    return value;
}

char *hook_qemu_conf_string(const char *text, const char *key)
{
    g_autofree char *pattern = g_strdup_printf(
        "^[ \\t]*%s[ \\t]*=[ \\t]*(\"([^\"]*)\"|'([^']*)')[ \\t]*(#.*)?$", key);
    return last_match(text, pattern, 2, 3);
}

char *hook_qemu_conf_raw(const char *text, const char *key)
{
    g_autofree char *pattern = g_strdup_printf(
        "^[ \\t]*%s[ \\t]*=[ \\t]*([^#\\n]*)", key);
    char *value = last_match(text, pattern, 1, 0);
    return value != NULL ? g_strstrip(value) : NULL;
}
