/*
 * libFuzzer target: arbitrary bytes as a size, shmem size, memory budget,
 * display or slot string (up to the first NUL, as a C caller would pass
 * it). Whatever a parser accepts must be in its documented range and come
 * back unchanged through its canonical form; whatever it refuses must give
 * a one-line PVGPU_COMMON_ERROR_INVALID message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "pvgpu_codec.h"
#include "pvgpu-domain.h"
#include "pvgpu-error.h"
#include "pvgpu-size.h"
#include "pvgpu-values.h"

#define CHECK(cond) do { if (!(cond)) { abort(); } } while (0)

static void check_refusal(gboolean ok, GError *error)
{
    if (ok) {
        CHECK(error == NULL);
        return;
    }
    CHECK(g_error_matches(error, PVGPU_COMMON_ERROR,
                          PVGPU_COMMON_ERROR_INVALID));
    CHECK(error->message[0] != '\0');
    for (const char *p = error->message; *p != '\0'; p++) {
        CHECK((guchar)*p >= 0x20 && *p != 0x7f);
    }
    g_error_free(error);
}

/* format() gives a size that parses back to the same value, and is the
 * shortest form: formatting what it parses to gives it again. */
static void check_size_round_trip(guint64 value)
{
    g_autofree char *text = pvgpu_size_format(value);
    guint64 back = 0;

    CHECK(pvgpu_size_parse(text, &back, NULL));
    CHECK(back == value);
    g_autofree char *again = pvgpu_size_format(back);
    CHECK(strcmp(text, again) == 0);
}

static void fuzz_size(const char *text)
{
    GError *error = NULL;
    guint64 value = 0;
    gboolean ok = pvgpu_size_parse(text, &value, &error);

    check_refusal(ok, error);
    if (ok) {
        check_size_round_trip(value);
    }
}

static void fuzz_shmem(const char *text)
{
    GError *error = NULL;
    guint64 value = 0;
    gboolean ok = pvgpu_parse_shmem_size("shmem", text, &value, &error);

    check_refusal(ok, error);
    if (ok) {
        CHECK(pvgpu_shmem_size_valid(value));
        g_autofree char *canonical = pvgpu_size_format(value);
        guint64 back = 0;
        CHECK(pvgpu_parse_shmem_size("shmem", canonical, &back, NULL));
        CHECK(back == value);
    }
}

static void fuzz_memory_budget(const char *text)
{
    GError *error = NULL;
    guint64 value = 0;
    gboolean ok = pvgpu_parse_memory_budget("memory-budget", text, &value,
                                            &error);

    check_refusal(ok, error);
    if (ok) {
        CHECK(value >= PVGPU_MIN_MEMORY_BUDGET &&
              value <= PVGPU_MAX_MEMORY_BUDGET);
        g_autofree char *canonical = pvgpu_size_format(value);
        guint64 back = 0;
        CHECK(pvgpu_parse_memory_budget("memory-budget", canonical, &back,
                                        NULL));
        CHECK(back == value);
    }
}

/* The display syntax has one spelling per value: "%ux%u" is the input. */
static void fuzz_display(const char *text)
{
    GError *error = NULL;
    guint width = 0, height = 0;
    gboolean ok = pvgpu_parse_display("display", text, &width, &height,
                                      &error);

    check_refusal(ok, error);
    if (ok) {
        CHECK(width >= 1 && width <= PVGPU_MAX_DIMENSION);
        CHECK(height >= 1 && height <= PVGPU_MAX_DIMENSION);
        g_autofree char *canonical = g_strdup_printf("%ux%u", width, height);
        CHECK(strcmp(canonical, text) == 0);
    }
}

/* A slot is "0x" and one or two hex digits: the input is one of the two
 * spellings of its value, up to the case of the digits. */
static void fuzz_slot(const char *text)
{
    GError *error = NULL;
    guint slot = 0;
    gboolean ok = pvgpu_parse_slot("slot", text, &slot, &error);

    check_refusal(ok, error);
    if (ok) {
        CHECK(slot >= 0x01 && slot <= 0x1f);
        g_autofree char *lower = g_ascii_strdown(text, -1);
        g_autofree char *one = g_strdup_printf("0x%x", slot);
        g_autofree char *two = g_strdup_printf("0x%02x", slot);
        CHECK(strcmp(lower, one) == 0 || strcmp(lower, two) == 0);
        guint back = 0;
        CHECK(pvgpu_parse_slot("slot", two, &back, NULL) && back == slot);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *)data, size);
    guint64 raw = 0;

    fuzz_size(text);
    fuzz_shmem(text);
    fuzz_memory_budget(text);
    fuzz_display(text);
    fuzz_slot(text);

    /* Every 64-bit value formats to a size that parses back to it. */
    memcpy(&raw, data, MIN(size, sizeof(raw)));
    check_size_round_trip(raw);
    return 0;
}
