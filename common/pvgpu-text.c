#include "pvgpu-text.h"

static gboolean is_control(gunichar c, gboolean keep_newlines)
{
    if (keep_newlines && (c == '\n' || c == '\t')) {
        return FALSE;
    }
    return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

char *pvgpu_text_printable(const char *text, gboolean keep_newlines)
{
    g_autofree char *valid = g_utf8_make_valid(text, -1);
    GString *out = g_string_sized_new(strlen(valid));

    for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (is_control(c, keep_newlines)) {
            g_string_append_c(out, '?');
        } else {
            g_string_append_unichar(out, c);
        }
    }
    return g_string_free(out, FALSE);
}
