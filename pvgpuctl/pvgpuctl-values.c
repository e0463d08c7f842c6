#include "pvgpuctl-values.h"

#include "pvgpu-domain.h"
#include "pvgpu-error.h"
#include "pvgpu-size.h"
#include "pvgpu_codec.h"
#include "pvgpuctl-error.h"

#include <string.h>

static gboolean fail(GError **error, const char *text, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

/* "'TEXT' <why>", with TEXT escaped and cut by pvgpu_quote. */
static gboolean fail(GError **error, const char *text, const char *format, ...)
{
    g_autofree char *quoted = pvgpu_quote(text);
    g_autofree char *why = NULL;
    va_list ap;

    va_start(ap, format);
    why = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_USAGE, "'%s' %s", quoted,
                why);
    return FALSE;
}

static gboolean parse_size(const char *text, guint64 *out, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (!pvgpu_size_parse(text, out, &local)) {
        g_set_error_literal(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_USAGE,
                            local->message);
        return FALSE;
    }
    return TRUE;
}

gboolean pvgpuctl_parse_shmem_size(const char *text, guint64 *out,
                                   GError **error)
{
    guint64 size;

    if (!parse_size(text, &size, error)) {
        return FALSE;
    }
    if (!pvgpu_shmem_size_valid(size)) {
        return fail(error, text,
                    "is not a valid shared memory size: it must "
                    "be a power of two from 4M to 64G");
    }
    *out = size;
    return TRUE;
}

gboolean pvgpuctl_parse_memory_budget(const char *text, guint64 *out,
                                      GError **error)
{
    guint64 size;

    if (!parse_size(text, &size, error)) {
        return FALSE;
    }
    if (size < PVGPU_MIN_MEMORY_BUDGET || size > PVGPU_MAX_MEMORY_BUDGET) {
        return fail(error, text,
                    "is not a valid memory budget: it must be "
                    "from 1M to 1T");
    }
    *out = size;
    return TRUE;
}

/* Decimal digits only, no sign, no leading zero, at most `max`. */
static gboolean parse_decimal(const char *text, gsize len, guint max,
                              guint *out)
{
    guint value = 0;

    if (len == 0 || len > 5 || text[0] == '0') {
        return FALSE;
    }
    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isdigit(text[i])) {
            return FALSE;
        }
        value = value * 10 + (guint)(text[i] - '0');
    }
    if (value > max) {
        return FALSE;
    }
    *out = value;
    return TRUE;
}

gboolean pvgpuctl_parse_display(const char *text, guint *width, guint *height,
                                GError **error)
{
    const char *x = strchr(text, 'x');
    guint w, h;

    if (x == NULL || !parse_decimal(text, (gsize)(x - text), G_MAXUINT, &w) ||
        !parse_decimal(x + 1, strlen(x + 1), G_MAXUINT, &h)) {
        return fail(error, text,
                    "is not a display size: write WIDTHxHEIGHT, "
                    "e.g. 1920x1080");
    }
    if (!pvgpu_dimensions_valid(w, h)) {
        return fail(error, text,
                    "is not a valid display size: width and "
                    "height must be from 1 to %u",
                    PVGPU_MAX_DIMENSION);
    }
    *width = w;
    *height = h;
    return TRUE;
}

gboolean pvgpuctl_parse_slot(const char *text, guint *slot, GError **error)
{
    gsize len = strlen(text);
    guint value = 0;

    if (len >= 3 && len <= 4 && text[0] == '0' &&
        (text[1] == 'x' || text[1] == 'X')) {
        for (gsize i = 2; i < len && value != G_MAXUINT; i++) {
            value = g_ascii_isxdigit(text[i])
                        ? value * 16 + (guint)g_ascii_xdigit_value(text[i])
                        : G_MAXUINT;
        }
    }
    if (len < 3 || len > 4 || value < 0x01 || value > 0x1f) {
        return fail(error, text,
                    "is not a valid PCI slot: write a hex "
                    "number from 0x01 to 0x1f");
    }
    *slot = value;
    return TRUE;
}
