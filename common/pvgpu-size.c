/* SPDX-License-Identifier: MIT */
#include "pvgpu-size.h"

#include "pvgpu-error.h"

/* 20 digits hold any guint64; one more character for the suffix. */
#define SIZE_TEXT_MAX 21

static const struct {
    char suffix;
    guint shift;
} units[] = {
    { 'T', 40 }, { 'G', 30 }, { 'M', 20 }, { 'K', 10 },
};

static gboolean fail(GError **error, const char *text, const char *why)
{
    g_autofree char *quoted = pvgpu_quote(text);
    g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_INVALID,
                "'%s' is not a size: %s", quoted, why);
    return FALSE;
}

static guint unit_shift(char suffix)
{
    for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
        if (units[i].suffix == suffix) {
            return units[i].shift;
        }
    }
    return 0;
}

gboolean pvgpu_size_parse(const char *text, guint64 *out, GError **error)
{
    if (text == NULL || text[0] == '\0') {
        return fail(error, "", "it is empty");
    }
    if (strnlen(text, SIZE_TEXT_MAX + 1) > SIZE_TEXT_MAX) {
        return fail(error, text, "it is too long");
    }
    if (!g_ascii_isdigit(text[0])) {
        return fail(error, text, "it must start with a decimal digit");
    }
    if (text[0] == '0' && g_ascii_isdigit(text[1])) {
        return fail(error, text, "leading zeros are not allowed");
    }

    guint64 value = 0;
    const char *p = text;
    for (; g_ascii_isdigit(*p); p++) {
        guint digit = (guint)(*p - '0');
        if (value > (G_MAXUINT64 - digit) / 10) {
            return fail(error, text, "it does not fit in 64 bits");
        }
        value = value * 10 + digit;
    }

    if (*p != '\0') {
        guint shift = unit_shift(*p);
        if (shift == 0 || p[1] != '\0') {
            return fail(error, text, "the only suffixes are K, M, G and T");
        }
        if (value > (G_MAXUINT64 >> shift)) {
            return fail(error, text, "it does not fit in 64 bits");
        }
        value <<= shift;
    }
    *out = value;
    return TRUE;
}

char *pvgpu_size_format(guint64 bytes)
{
    for (gsize i = 0; bytes != 0 && i < G_N_ELEMENTS(units); i++) {
        guint64 unit = G_GUINT64_CONSTANT(1) << units[i].shift;
        if (bytes % unit == 0) {
            return g_strdup_printf("%" G_GUINT64_FORMAT "%c", bytes / unit,
                                   units[i].suffix);
        }
    }
    return g_strdup_printf("%" G_GUINT64_FORMAT, bytes);
}
