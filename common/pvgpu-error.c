/* SPDX-License-Identifier: MIT */
#include "pvgpu-error.h"

#define QUOTE_MAX 200

G_DEFINE_QUARK(pvgpu-common-error-quark, pvgpu_common_error)

char *pvgpu_quote(const char *text)
{
    if (text == NULL) {
        return g_strdup("(null)");
    }
    gsize len = strlen(text);
    g_autofree char *cut = g_strndup(text, MIN(len, QUOTE_MAX));
    g_autofree char *escaped = g_strescape(cut, NULL);
    return len > QUOTE_MAX ? g_strconcat(escaped, "...", NULL)
                           : g_steal_pointer(&escaped);
}

char *pvgpu_quote_arg(const char *text)
{
    g_autofree char *quoted = pvgpu_quote(text);
    for (const char *p = quoted; *p != '\0'; p++) {
        if (!g_ascii_isalnum(*p) && strchr("._+-:@%/=", *p) == NULL) {
            return g_shell_quote(quoted);
        }
    }
    return g_steal_pointer(&quoted);
}
