/* SPDX-License-Identifier: MIT */
/*
 * pvgpu-values: the one parser of shmem, memory-budget, display and slot,
 * used for the metadata attributes and for pvgpuctl's options. Boundaries,
 * hostile lengths, and messages that name the value as the caller calls it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>

#include "pvgpu-error.h"
#include "pvgpu-values.h"

static void expect_message(const GError *error, const char *text,
                           const char *message)
{
    assert_non_null(error);
    assert_true(g_error_matches(error, PVGPU_COMMON_ERROR,
                                PVGPU_COMMON_ERROR_INVALID));
    if (strcmp(error->message, message) != 0) {
        print_error("'%s': got \"%s\", expected \"%s\"\n", text,
                    error->message, message);
        fail();
    }
}

static void test_shmem_size(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        guint64 bytes; /* 0: refused */
    } cases[] = {
        { "4M", 4u << 20 },
        { "4194304", 4u << 20 },
        { "2147483648", 0x80000000u },
        { "64G", G_GUINT64_CONSTANT(64) << 30 },
        { "2M", 0 },
        { "3M", 0 },
        { "128G", 0 },
        { "0", 0 },
        { "2147483647", 0 },
        { "4294967295", 0 },
        { "18446744073709551615", 0 },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        guint64 value = 1234;
        g_autoptr(GError) error = NULL;
        gboolean ok = pvgpu_parse_shmem_size("shmem", cases[i].text, &value,
                                             &error);
        if (cases[i].bytes != 0) {
            assert_true(ok);
            assert_true(value == cases[i].bytes);
            continue;
        }
        assert_false(ok);
        assert_true(value == 1234);
        g_autofree char *message = g_strdup_printf(
            "shmem '%s' must be a power of two between 4M and 64G",
            cases[i].text);
        expect_message(error, cases[i].text, message);
    }
}

static void test_sizes_not_parsed(void **state)
{
    (void)state;
    guint64 value = 0;
    g_autoptr(GError) error = NULL;
    assert_false(pvgpu_parse_shmem_size("--shmem", "256Q", &value, &error));
    expect_message(error, "256Q", "--shmem: '256Q' is not a size: the only "
                   "suffixes are K, M, G and T");
    g_clear_error(&error);
    assert_false(pvgpu_parse_memory_budget("memory-budget", "", &value,
                                           &error));
    expect_message(error, "", "memory-budget: '' is not a size: it is empty");
}

static void test_memory_budget(void **state)
{
    (void)state;
    guint64 value = 0;
    assert_true(pvgpu_parse_memory_budget("b", "1M", &value, NULL));
    assert_true(value == 1u << 20);
    assert_true(pvgpu_parse_memory_budget("b", "1T", &value, NULL));
    assert_true(value == G_GUINT64_CONSTANT(1) << 40);
    assert_false(pvgpu_parse_memory_budget("b", "1000000", &value, NULL));
    static const char *const refused[] = {
        "1048575", "2T", "0", "1099511627777", "18446744073709551615",
    };
    for (guint i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_autoptr(GError) error = NULL;
        assert_false(pvgpu_parse_memory_budget("--memory-budget", refused[i],
                                               &value, &error));
        g_autofree char *message = g_strdup_printf(
            "--memory-budget '%s' must be between 1M and 1T", refused[i]);
        expect_message(error, refused[i], message);
    }
}

static void test_display(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        guint width, height;
    } good[] = {
        { "1x1", 1, 1 },
        { "1024x768", 1024, 768 },
        { "16384x16384", 16384, 16384 },
        { "16384x1", 16384, 1 },
    };
    for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
        guint w = 0, h = 0;
        assert_true(pvgpu_parse_display("display", good[i].text, &w, &h,
                                        NULL));
        assert_int_equal(w, good[i].width);
        assert_int_equal(h, good[i].height);
    }
    static const char *const bad[] = {
        "0x0", "0x10", "16385x1", "1x16385", "99999x1", "1920x", "x1080",
        "x", "", "1920X1080", "1920x1080x1", "01920x1080", "-1x5", "+1x5",
        "1920 x1080", " 1920x1080", "4294967296x1", "4294967297x1",
        "99999999999999999999x1", "2147483647x2147483647",
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        guint w = 7, h = 7;
        g_autoptr(GError) error = NULL;
        assert_false(pvgpu_parse_display("--display", bad[i], &w, &h,
                                         &error));
        assert_int_equal(w, 7);
        assert_int_equal(h, 7);
        g_autofree char *message = g_strdup_printf(
            "--display '%s' must be WIDTHxHEIGHT, each between 1 and 16384 "
            "(e.g. 1024x768)", bad[i]);
        expect_message(error, bad[i], message);
    }
}

static void test_slot(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        guint slot;
    } good[] = {
        { "0x1", 0x01 }, { "0x01", 0x01 }, { "0x1e", 0x1e },
        { "0x1F", 0x1f }, { "0xa", 0x0a }, { "0x0A", 0x0a },
    };
    for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
        guint slot = 0;
        assert_true(pvgpu_parse_slot("slot", good[i].text, &slot, NULL));
        assert_int_equal(slot, good[i].slot);
    }
    static const char *const bad[] = {
        "0x00", "0x0", "0x20", "0xff", "1e", "30", "0x1g", "0x001", "0x",
        "0X1a", "0x-1", "0x+1", "", " 0x1", "0xffffffff", "0x7fffffff",
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        guint slot = 7;
        g_autoptr(GError) error = NULL;
        assert_false(pvgpu_parse_slot("slot", bad[i], &slot, &error));
        assert_int_equal(slot, 7);
        g_autofree char *message = g_strdup_printf(
            "slot '%s' must be a PCI slot from 0x01 to 0x1f", bad[i]);
        expect_message(error, bad[i], message);
    }
}

/* Values are quoted escaped and cut: messages stay one short line. */
static void test_hostile_text(void **state)
{
    (void)state;
    g_autofree char *long_text = g_strnfill(100000, '1');
    guint w = 0, h = 0, slot = 0;
    g_autoptr(GError) error = NULL;
    assert_false(pvgpu_parse_display("display", long_text, &w, &h, &error));
    assert_true(strlen(error->message) < 400);
    g_clear_error(&error);
    assert_false(pvgpu_parse_slot("slot", "0x1\n", &slot, &error));
    assert_null(strchr(error->message, '\n'));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shmem_size),
        cmocka_unit_test(test_sizes_not_parsed),
        cmocka_unit_test(test_memory_budget),
        cmocka_unit_test(test_display),
        cmocka_unit_test(test_slot),
        cmocka_unit_test(test_hostile_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
