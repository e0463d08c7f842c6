/* SPDX-License-Identifier: MIT */
#include "pvgpu-values.h"

#include "pvgpu_codec.h"
#include "pvgpu-domain.h"
#include "pvgpu-error.h"
#include "pvgpu-size.h"

/* "NAME 'TEXT' WHY", with TEXT escaped and cut by pvgpu_quote. */
static gboolean invalid_value(GError **error, const char *name,
                              const char *text, const char *format, ...)
    G_GNUC_PRINTF(4, 5);

static gboolean invalid_value(GError **error, const char *name,
                              const char *text, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    g_autofree char *why = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_autofree char *quoted = pvgpu_quote(text);
    g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_INVALID,
                "%s '%s' %s", name, quoted, why);
    return FALSE;
}

/* A size that valid() accepts, else "NAME 'TEXT' must be RULE between MIN
 * and MAX". */
static gboolean parse_size_where(const char *name, const char *text,
                                 gboolean (*valid)(guint64 size),
                                 const char *rule, guint64 min, guint64 max,
                                 guint64 *out, GError **error)
{
    guint64 size = 0;
    if (!pvgpu_size_parse(text, &size, error)) {
        g_prefix_error(error, "%s: ", name);
        return FALSE;
    }
    if (!valid(size)) {
        g_autofree char *lo = pvgpu_size_format(min);
        g_autofree char *hi = pvgpu_size_format(max);
        return invalid_value(error, name, text, "must be %sbetween %s and %s",
                             rule, lo, hi);
    }
    *out = size;
    return TRUE;
}

static gboolean shmem_size_valid(guint64 size)
{
    return pvgpu_shmem_size_valid(size);
}

static gboolean memory_budget_valid(guint64 size)
{
    return size >= PVGPU_MIN_MEMORY_BUDGET && size <= PVGPU_MAX_MEMORY_BUDGET;
}

gboolean pvgpu_parse_shmem_size(const char *name, const char *text,
                                guint64 *out, GError **error)
{
    return parse_size_where(name, text, shmem_size_valid, "a power of two ",
                            PVGPU_SHMEM_MIN_SIZE, PVGPU_SHMEM_MAX_SIZE, out,
                            error);
}

gboolean pvgpu_parse_memory_budget(const char *name, const char *text,
                                   guint64 *out, GError **error)
{
    return parse_size_where(name, text, memory_budget_valid, "",
                            PVGPU_MIN_MEMORY_BUDGET, PVGPU_MAX_MEMORY_BUDGET,
                            out, error);
}

/* 1 to 5 decimal digits, the first not 0. */
static gboolean parse_dimension(const char *text, gsize len, guint *out)
{
    if (len == 0 || len > 5 || text[0] == '0') {
        return FALSE;
    }
    guint value = 0;
    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isdigit(text[i])) {
            return FALSE;
        }
        value = value * 10 + (guint)(text[i] - '0');
    }
    *out = value;
    return TRUE;
}

gboolean pvgpu_parse_display(const char *name, const char *text,
                             guint *width, guint *height, GError **error)
{
    const char *x = strchr(text, 'x');
    guint w = 0, h = 0;
    if (x != NULL && parse_dimension(text, (gsize)(x - text), &w) &&
        parse_dimension(x + 1, strlen(x + 1), &h) &&
        pvgpu_dimensions_valid(w, h)) {
        *width = w;
        *height = h;
        return TRUE;
    }
    return invalid_value(error, name, text, "must be WIDTHxHEIGHT, each "
                         "between 1 and %u (e.g. 1024x768)",
                         PVGPU_MAX_DIMENSION);
}

gboolean pvgpu_parse_slot(const char *name, const char *text, guint *slot,
                          GError **error)
{
    gsize len = strlen(text);
    if (len >= 3 && len <= 4 && text[0] == '0' && text[1] == 'x') {
        guint value = 0;
        gsize i = 2;
        for (; i < len && g_ascii_isxdigit(text[i]); i++) {
            value = value * 16 + (guint)g_ascii_xdigit_value(text[i]);
        }
        if (i == len && value >= 0x01 && value <= 0x1f) {
            *slot = value;
            return TRUE;
        }
    }
    return invalid_value(error, name, text, "must be a PCI slot from 0x01 "
                         "to 0x1f");
}
