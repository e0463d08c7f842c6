/* SPDX-License-Identifier: MIT */
/* Parsing of option values and the option rules. */
#include "test-helpers.h"

#include "options.h"

static void test_size_suffixes(void **state)
{
    guint64 v = 0;

    (void)state;
    assert_true(pvgpu_parse_size("4096", &v, NULL));
    assert_int_equal(v, 4096);
    assert_true(pvgpu_parse_size("8K", &v, NULL));
    assert_int_equal(v, 8192);
    assert_true(pvgpu_parse_size("512M", &v, NULL));
    assert_int_equal(v, 512ull << 20);
    assert_true(pvgpu_parse_size("2g", &v, NULL));
    assert_int_equal(v, 2ull << 30);
    assert_true(pvgpu_parse_size("1T", &v, NULL));
    assert_int_equal(v, 1ull << 40);
}

static void test_size_invalid(void **state)
{
    static const char *const bad[] = {
        "", "M", "-1", "12X", "1MB", "1.5G", " 1G", "0x10",
    };
    guint64 v;

    (void)state;
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *error = NULL;

        assert_false(pvgpu_parse_size(bad[i], &v, &error));
        assert_non_null(error);
        g_error_free(error);
    }
}

static void test_size_overflow(void **state)
{
    GError *error = NULL;
    guint64 v;

    (void)state;
    assert_false(pvgpu_parse_size("99999999999999999999", &v, &error));
    g_clear_error(&error);
    assert_false(pvgpu_parse_size("17179869184G", &v, &error));
    assert_non_null(strstr(error->message, "too large"));
    g_error_free(error);
}

static void test_display(void **state)
{
    guint32 w = 0, h = 0;
    GError *error = NULL;

    (void)state;
    assert_true(pvgpu_parse_display("1920x1080", &w, &h, NULL));
    assert_int_equal(w, 1920);
    assert_int_equal(h, 1080);
    assert_false(pvgpu_parse_display("0x768", &w, &h, &error));
    g_clear_error(&error);
    assert_false(pvgpu_parse_display("16385x1", &w, &h, &error));
    g_clear_error(&error);
    assert_false(pvgpu_parse_display("1024*768", &w, &h, &error));
    g_clear_error(&error);
    assert_false(pvgpu_parse_display("1024x", &w, &h, &error));
    g_clear_error(&error);
}

static void test_poll_us(void **state)
{
    guint32 v = 99;

    (void)state;
    assert_true(pvgpu_parse_poll_us("0", &v, NULL));
    assert_int_equal(v, 0);
    assert_true(pvgpu_parse_poll_us("250", &v, NULL));
    assert_int_equal(v, 250);
    assert_true(pvgpu_parse_poll_us("10000", &v, NULL));
    assert_int_equal(v, PVGPU_MAX_POLL_US);
    assert_true(pvgpu_parse_poll_us("007", &v, NULL));
    assert_int_equal(v, 7);
}

static void test_poll_us_invalid(void **state)
{
    static const char *const bad[] = {
        "", "-1", "+5", " 5", "5 ", "1e3", "12us", "0x10", "1.5", "abc",
    };
    static const char *const too_large[] = {
        "10001", "4294967296", "99999999999999999999",
    };
    guint32 v = 42;

    (void)state;
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *error = NULL;

        assert_false(pvgpu_parse_poll_us(bad[i], &v, &error));
        assert_non_null(strstr(error->message, "not a number"));
        g_error_free(error);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(too_large); i++) {
        GError *error = NULL;

        assert_false(pvgpu_parse_poll_us(too_large[i], &v, &error));
        assert_non_null(strstr(error->message, "maximum of 10000"));
        g_error_free(error);
    }
    assert_int_equal(v, 42);
}

/* Parses the arguments after the program name. */
static gboolean parse(PvgpuOptions *opts, GError **error, ...)
{
    GPtrArray *args = g_ptr_array_new();
    const char *arg;
    gboolean ok;
    char **argv;
    int argc;
    va_list ap;

    g_ptr_array_add(args, g_strdup("pvgpu-backend"));
    va_start(ap, error);
    while ((arg = va_arg(ap, const char *)) != NULL) {
        g_ptr_array_add(args, g_strdup(arg));
    }
    va_end(ap);
    g_ptr_array_add(args, NULL);
    argc = (int)args->len - 1;
    argv = (char **)g_ptr_array_free(args, FALSE);
    {
        char **orig = g_memdup2(argv, sizeof(char *) * (argc + 1));

        ok = pvgpu_options_parse(&argc, &argv, opts, error);
        g_strfreev(orig);
    }
    g_free(argv);
    return ok;
}

static void test_defaults(void **state)
{
    PvgpuOptions opts;

    (void)state;
    assert_true(parse(&opts, NULL, "--fd=3", NULL));
    assert_int_equal(opts.fd, 3);
    assert_null(opts.socket_path);
    assert_int_equal(opts.memory_budget, PVGPU_DEFAULT_MEMORY_BUDGET);
    assert_int_equal(opts.display_width, 1024);
    assert_int_equal(opts.display_height, 768);
    assert_int_equal(opts.poll_us, 0);
    pvgpu_options_clear(&opts);
}

static void test_poll_us_option(void **state)
{
    PvgpuOptions opts;

    (void)state;
    assert_true(parse(&opts, NULL, "--fd=3", "--poll-us=500", NULL));
    assert_int_equal(opts.poll_us, 500);
    pvgpu_options_clear(&opts);
    assert_true(parse(&opts, NULL, "--socket-path=/tmp/s", "--poll-us",
                      "10000", NULL));
    assert_int_equal(opts.poll_us, 10000);
    pvgpu_options_clear(&opts);
}

static void test_poll_us_option_refused(void **state)
{
    static const char *const bad[] = {
        "--poll-us=10001", "--poll-us=-1", "--poll-us=", "--poll-us=fast",
        "--poll-us=0xffffffff",
    };

    (void)state;
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        PvgpuOptions opts;
        GError *error = NULL;

        assert_false(parse(&opts, &error, "--fd=3", bad[i], NULL));
        assert_non_null(error);
        assert_true(g_str_has_prefix(error->message, "--poll-us: "));
        g_error_free(error);
        pvgpu_options_clear(&opts);
    }
}

static void test_handshake_timeout_option(void **state)
{
    static const char *const bad[] = {
        "--handshake-timeout-ms=0", "--handshake-timeout-ms=600001",
        "--handshake-timeout-ms=", "--handshake-timeout-ms=-5",
        "--handshake-timeout-ms=2s", "--handshake-timeout-ms=99999999999999999999",
    };
    PvgpuOptions opts;

    (void)state;
    assert_true(parse(&opts, NULL, "--fd=3", NULL));
    assert_int_equal(opts.handshake_timeout_ms, 2000);
    pvgpu_options_clear(&opts);
    assert_true(parse(&opts, NULL, "--fd=3", "--handshake-timeout-ms=150",
                      NULL));
    assert_int_equal(opts.handshake_timeout_ms, 150);
    pvgpu_options_clear(&opts);
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *error = NULL;

        assert_false(parse(&opts, &error, "--fd=3", bad[i], NULL));
        assert_non_null(error);
        assert_true(g_str_has_prefix(error->message,
                                     "--handshake-timeout-ms: "));
        g_error_free(error);
        pvgpu_options_clear(&opts);
    }
}

static void test_peer_uid_option(void **state)
{
    static const char *const bad[] = {
        "--peer-uid=", "--peer-uid=-1", "--peer-uid=4294967295",
        "--peer-uid=99999999999999999999", "--peer-uid=qemu",
        "--peer-uid=12a", "--peer-uid= 1",
    };
    PvgpuOptions opts;

    (void)state;
    assert_true(parse(&opts, NULL, "--fd=3", NULL));
    assert_false(opts.peer_uid_set);
    pvgpu_options_clear(&opts);
    assert_true(parse(&opts, NULL, "--fd=3", "--peer-uid=0", NULL));
    assert_true(opts.peer_uid_set);
    assert_int_equal(opts.peer_uid, 0);
    pvgpu_options_clear(&opts);
    assert_true(parse(&opts, NULL, "--fd=3", "--peer-uid", "4294967294",
                      NULL));
    assert_int_equal(opts.peer_uid, 4294967294u);
    pvgpu_options_clear(&opts);
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *error = NULL;

        assert_false(parse(&opts, &error, "--fd=3", bad[i], NULL));
        assert_non_null(error);
        assert_true(g_str_has_prefix(error->message, "--peer-uid: "));
        g_error_free(error);
        pvgpu_options_clear(&opts);
    }
}

static void test_peer_label_option(void **state)
{
    static const char *const bad[] = {
        "--peer-label=", "--peer-label=unconfined",
        "--peer-label=libvirt-x (enforce)", "--peer-label=a\tb",
        "--peer-label=caf\xc3\xa9",
    };
    g_autofree gchar *overlong = g_strnfill(4096, 'a');
    g_autofree gchar *longest = g_strnfill(4095, 'a');
    PvgpuOptions opts;
    GError *error = NULL;

    (void)state;
    assert_true(parse(&opts, NULL, "--fd=3", NULL));
    assert_null(opts.peer_label);
    pvgpu_options_clear(&opts);
    assert_true(parse(&opts, NULL, "--fd=3", "--peer-label=libvirt-1234",
                      NULL));
    assert_string_equal(opts.peer_label, "libvirt-1234");
    pvgpu_options_clear(&opts);
    assert_true(parse(&opts, NULL, "--fd=3", "--peer-label",
                      "system_u:system_r:svirt_t:s0:c1,c2", NULL));
    pvgpu_options_clear(&opts);
    assert_true(parse(&opts, NULL, "--fd=3", "--peer-label", longest, NULL));
    pvgpu_options_clear(&opts);
    assert_false(parse(&opts, &error, "--fd=3", "--peer-label", overlong,
                       NULL));
    assert_non_null(strstr(error->message, "4095"));
    g_clear_error(&error);
    pvgpu_options_clear(&opts);
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        assert_false(parse(&opts, &error, "--fd=3", bad[i], NULL));
        assert_non_null(error);
        if (!g_str_has_prefix(error->message, "--peer-label: ")) {
            fail_msg("%s: %s", bad[i], error->message);
        }
        g_clear_error(&error);
        pvgpu_options_clear(&opts);
    }
}

static void test_both_sockets(void **state)
{
    PvgpuOptions opts;
    GError *error = NULL;

    (void)state;
    assert_false(parse(&opts, &error, "--fd=3", "--socket-path=/tmp/s",
                       NULL));
    assert_non_null(strstr(error->message, "cannot be used together"));
    g_error_free(error);
    pvgpu_options_clear(&opts);
}

static void test_no_socket(void **state)
{
    PvgpuOptions opts;
    GError *error = NULL;

    (void)state;
    assert_false(parse(&opts, &error, "--verbose", NULL));
    assert_non_null(strstr(error->message, "is required"));
    g_error_free(error);
    pvgpu_options_clear(&opts);
}

static void test_zero_budget(void **state)
{
    PvgpuOptions opts;
    GError *error = NULL;

    (void)state;
    assert_false(parse(&opts, &error, "--fd=3", "--memory-budget=0", NULL));
    assert_non_null(strstr(error->message, "--memory-budget"));
    g_error_free(error);
    pvgpu_options_clear(&opts);
}

static void test_negative_fd(void **state)
{
    PvgpuOptions opts;
    GError *error = NULL;

    (void)state;
    assert_false(parse(&opts, &error, "--fd=-2", NULL));
    assert_non_null(strstr(error->message, "--fd"));
    g_error_free(error);
    pvgpu_options_clear(&opts);
}

static void test_stray_argument(void **state)
{
    PvgpuOptions opts;
    GError *error = NULL;

    (void)state;
    assert_false(parse(&opts, &error, "--fd=3", "extra", NULL));
    assert_non_null(strstr(error->message, "\"extra\""));
    g_error_free(error);
    pvgpu_options_clear(&opts);
}

#define P(path, fn) PATH_TEST(path, fn, NULL, NULL)

int main(void)
{
    const struct CMUnitTest tests[] = {
        P("/backend/options/size-suffixes", test_size_suffixes),
        P("/backend/options/size-invalid", test_size_invalid),
        P("/backend/options/size-overflow", test_size_overflow),
        P("/backend/options/display", test_display),
        P("/backend/options/poll-us", test_poll_us),
        P("/backend/options/poll-us-invalid", test_poll_us_invalid),
        P("/backend/options/poll-us-option", test_poll_us_option),
        P("/backend/options/poll-us-option-refused",
          test_poll_us_option_refused),
        P("/backend/options/defaults", test_defaults),
        P("/backend/options/handshake-timeout",
          test_handshake_timeout_option),
        P("/backend/options/peer-uid", test_peer_uid_option),
        P("/backend/options/peer-label", test_peer_label_option),
        P("/backend/options/both-sockets", test_both_sockets),
        P("/backend/options/no-socket", test_no_socket),
        P("/backend/options/zero-budget", test_zero_budget),
        P("/backend/options/negative-fd", test_negative_fd),
        P("/backend/options/stray-argument", test_stray_argument),
    };

    return cmocka_run_group_tests_name("backend-options", tests, NULL, NULL);
}
