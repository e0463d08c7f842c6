/* SPDX-License-Identifier: MIT */
/* pvgpu_text_printable: no terminal control sequence survives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>

#include "pvgpu-text.h"

static void expect(const char *in, gboolean keep_newlines, const char *out)
{
    g_autofree char *text = pvgpu_text_printable(in, keep_newlines);
    assert_string_equal(text, out);
}

static void test_plain_text_unchanged(void **state)
{
    (void)state;
    expect("no scanout yet", FALSE, "no scanout yet");
    expect("résolution 1920×1080 ✓", FALSE, "résolution 1920×1080 ✓");
    expect("", FALSE, "");
}

static void test_c0_and_del_replaced(void **state)
{
    (void)state;
    expect("a\x1b[2Jb", FALSE, "a?[2Jb");
    expect("bell\a, cr\r, bs\b", FALSE, "bell?, cr?, bs?");
    expect("del\x7f", FALSE, "del?");
    expect("one\ntwo\tthree", FALSE, "one?two?three");
}

static void test_c1_replaced(void **state)
{
    (void)state;
    /* U+009B is CSI, U+009D is OSC: 8-bit escapes in UTF-8 form */
    expect("x\xc2\x9b" "2Jy", FALSE, "x?2Jy");
    expect("\xc2\x9d" "0;title\xc2\x9c", FALSE, "?0;title?");
    expect("\xc2\x80\xc2\x9f", FALSE, "??");
    /* U+00A0 and above are printable */
    expect("\xc2\xa0", FALSE, "\xc2\xa0");
}

static void test_newlines_kept_on_request(void **state)
{
    (void)state;
    expect("one\ntwo\tthree\x1b", TRUE, "one\ntwo\tthree?");
}

static void test_invalid_utf8_made_valid(void **state)
{
    (void)state;
    g_autofree char *text = pvgpu_text_printable("a\xff\x9b" "b", FALSE);
    assert_true(g_utf8_validate(text, -1, NULL));
    assert_null(strchr(text, '\x1b'));
    assert_null(strstr(text, "\xc2\x9b"));
    assert_int_equal(text[0], 'a');
    assert_int_equal(text[strlen(text) - 1], 'b');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text_unchanged),
        cmocka_unit_test(test_c0_and_del_replaced),
        cmocka_unit_test(test_c1_replaced),
        cmocka_unit_test(test_newlines_kept_on_request),
        cmocka_unit_test(test_invalid_utf8_made_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
