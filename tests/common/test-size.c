/* SPDX-License-Identifier: MIT */
/* pvgpu_size_parse / pvgpu_size_format, including hostile lengths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>

#include "pvgpu-error.h"
#include "pvgpu-size.h"

static void test_parse_valid(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        guint64 value;
    } cases[] = {
        { "0", 0 },
        { "1", 1 },
        { "0K", 0 },
        { "1K", 1024 },
        { "4M", 4u << 20 },
        { "256M", G_GUINT64_CONSTANT(256) << 20 },
        { "262144K", G_GUINT64_CONSTANT(256) << 20 },
        { "64G", G_GUINT64_CONSTANT(64) << 30 },
        { "1T", G_GUINT64_CONSTANT(1) << 40 },
        { "2147483647", 0x7fffffff },
        { "2147483648", 0x80000000u },
        { "4294967295", 0xffffffffu },
        { "4294967296", G_GUINT64_CONSTANT(0x100000000) },
        { "18446744073709551615", G_MAXUINT64 },
        { "16777215T", G_GUINT64_CONSTANT(16777215) << 40 },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        guint64 value = 1234;
        g_autoptr(GError) error = NULL;
        if (!pvgpu_size_parse(cases[i].text, &value, &error)) {
            print_error("'%s': %s\n", cases[i].text, error->message);
            fail();
        }
        assert_true(value == cases[i].value);
    }
}

static void expect_refused(const char *text, const char *why)
{
    guint64 value = 1234;
    g_autoptr(GError) error = NULL;
    assert_false(pvgpu_size_parse(text, &value, &error));
    assert_true(g_error_matches(error, PVGPU_COMMON_ERROR,
                                PVGPU_COMMON_ERROR_INVALID));
    if (strstr(error->message, why) == NULL) {
        print_error("'%s': got \"%s\", expected \"%s\"\n", text,
                    error->message, why);
        fail();
    }
    assert_null(strchr(error->message, '\n'));
    assert_true(value == 1234); /* untouched on failure */
}

static void test_parse_refused(void **state)
{
    (void)state;
    expect_refused(NULL, "it is empty");
    expect_refused("", "it is empty");
    expect_refused("-1", "must start with a decimal digit");
    expect_refused("+1", "must start with a decimal digit");
    expect_refused(" 1", "must start with a decimal digit");
    expect_refused("M", "must start with a decimal digit");
    expect_refused("1 ", "the only suffixes are K, M, G and T");
    expect_refused("256m", "the only suffixes are K, M, G and T");
    expect_refused("256Q", "the only suffixes are K, M, G and T");
    expect_refused("1KB", "the only suffixes are K, M, G and T");
    expect_refused("1KiB", "the only suffixes are K, M, G and T");
    expect_refused("0.5G", "the only suffixes are K, M, G and T");
    expect_refused("0x7fffffff", "the only suffixes are K, M, G and T");
    expect_refused("0x80000000", "the only suffixes are K, M, G and T");
    expect_refused("0xffffffff", "the only suffixes are K, M, G and T");
    expect_refused("00", "leading zeros are not allowed");
    expect_refused("0256M", "leading zeros are not allowed");
    expect_refused("1\n", "the only suffixes are K, M, G and T");
    expect_refused("18446744073709551616", "it does not fit in 64 bits");
    expect_refused("99999999999999999999", "it does not fit in 64 bits");
    expect_refused("100000000000000000000", "it does not fit in 64 bits");
    expect_refused("16777216T", "it does not fit in 64 bits");
    expect_refused("17179869184G", "it does not fit in 64 bits");
    expect_refused("18446744073709551615K", "it does not fit in 64 bits");
    expect_refused("1000000000000000000000", "it is too long");
}

/* Strings far longer than any size: refused quickly, message kept short. */
static void test_parse_hostile_lengths(void **state)
{
    (void)state;
    static const gsize lengths[] = { 22, 4096, 1u << 20 };
    for (guint i = 0; i < G_N_ELEMENTS(lengths); i++) {
        g_autofree char *text = g_malloc(lengths[i] + 1);
        memset(text, '9', lengths[i]);
        text[lengths[i]] = '\0';
        g_autoptr(GError) error = NULL;
        guint64 value = 0;
        assert_false(pvgpu_size_parse(text, &value, &error));
        assert_non_null(strstr(error->message, "it is too long"));
        assert_true(strlen(error->message) < 300);
    }
}

static void test_format(void **state)
{
    (void)state;
    static const struct {
        guint64 value;
        const char *text;
    } cases[] = {
        { 0, "0" },
        { 1, "1" },
        { 1023, "1023" },
        { 1024, "1K" },
        { 1536, "1536" },
        { 3u << 20, "3M" },
        { G_GUINT64_CONSTANT(256) << 20, "256M" },
        { G_GUINT64_CONSTANT(1) << 30, "1G" },
        { G_GUINT64_CONSTANT(1) << 40, "1T" },
        { G_GUINT64_CONSTANT(1) << 50, "1024T" },
        { G_MAXUINT64, "18446744073709551615" },
        { G_GUINT64_CONSTANT(1) << 63, "8388608T" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = pvgpu_size_format(cases[i].value);
        assert_string_equal(text, cases[i].text);
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    for (guint k = 0; k < 64; k++) {
        guint64 values[] = { G_GUINT64_CONSTANT(1) << k,
                             (G_GUINT64_CONSTANT(1) << k) - 1,
                             (G_GUINT64_CONSTANT(1) << k) + 1 };
        for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
            g_autofree char *text = pvgpu_size_format(values[i]);
            guint64 back = 0;
            assert_true(pvgpu_size_parse(text, &back, NULL));
            assert_true(back == values[i]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_refused),
        cmocka_unit_test(test_parse_hostile_lengths),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
