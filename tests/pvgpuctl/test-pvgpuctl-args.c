/* The command line: every command's argument counts, option values (with
 * hostile lengths), conflicting and misplaced options, help and exit
 * codes. */
#include "pvgpuctl-commands.h"
#include "pvgpuctl-error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

/* Parses "pvgpuctl " + line (shell quoting). */
static PvgpuctlArgs *parse(const char *line, GError **error)
{
    g_autofree char *full = g_strconcat("pvgpuctl ", line, NULL);
    g_auto(GStrv) argv = NULL;
    int argc = 0;

    assert_true(g_shell_parse_argv(full, &argc, &argv, NULL));
    return pvgpuctl_args_parse(argc, (const char *const *)argv, error);
}

static void expect_usage_error(const char *line, const char *message_part)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(PvgpuctlArgs) args = parse(line, &error);

    if (args != NULL) {
        fail_msg("'%s' was accepted", line);
    }
    assert_true(g_error_matches(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_USAGE));
    assert_int_equal(pvgpuctl_exit_status(error), 2);
    if (strstr(error->message, message_part) == NULL) {
        fail_msg("'%s': message '%s' lacks '%s'", line, error->message,
                 message_part);
    }
    /* one line, reported once by main */
    assert_null(strchr(error->message, '\n'));
}

static PvgpuctlArgs *expect_ok(const char *line)
{
    g_autoptr(GError) error = NULL;
    PvgpuctlArgs *args = parse(line, &error);

    if (args == NULL) {
        fail_msg("'%s' refused: %s", line, error->message);
    }
    return args;
}

static void test_argument_counts(void **state)
{
    static const struct {
        const char *line;
        const char *message;
    } cases[] = {
        { "enable", "'enable' takes 1 argument, 0 given" },
        { "enable a b", "'enable' takes 1 argument, 2 given" },
        { "disable", "'disable' takes 1 argument, 0 given" },
        { "disable a b", "'disable' takes 1 argument, 2 given" },
        { "sync", "'sync' takes 1 argument, 0 given" },
        { "sync a b c", "'sync' takes 1 argument, 3 given" },
        { "status a b", "'status' takes at most 1 argument, 2 given" },
        { "screenshot", "'screenshot' takes 2 arguments, 0 given" },
        { "screenshot vm", "'screenshot' takes 2 arguments, 1 given" },
        { "screenshot vm a.png b.png", "'screenshot' takes 2 arguments" },
        { "validate", "'validate' takes 1 argument, 0 given" },
        { "validate a b", "'validate' takes 1 argument, 2 given" },
        { "help a b", "'help' takes at most 1 argument, 2 given" },
        { "enable ''", "argument 1 of 'enable' is empty" },
    };

    (void)state;
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        expect_usage_error(cases[i].line, cases[i].message);
    }
    /* the usage of the command is part of the message */
    expect_usage_error("screenshot vm", "usage: pvgpuctl [-c URI] screenshot "
                                        "DOMAIN FILE.png");
}

static void test_bad_sizes(void **state)
{
    static const struct {
        const char *line;
        const char *message;
    } cases[] = {
        { "enable vm --shmem 3M", "power of two between 4M and 64G" },
        { "enable vm --shmem 2M", "power of two between 4M and 64G" },
        { "enable vm --shmem 128G", "power of two between 4M and 64G" },
        { "enable vm --shmem 0", "power of two between 4M and 64G" },
        { "enable vm --shmem 4294967295", "power of two" }, /* 0xffffffff */
        { "enable vm --shmem 2147483647", "power of two" }, /* 0x7fffffff */
        { "enable vm --shmem 18446744073709551616", "64 bits" },
        { "enable vm --shmem 17179869184T", "64 bits" },
        { "enable vm --shmem 0x10", "suffixes are K, M, G and T" },
        { "enable vm --shmem 256MB", "suffixes are K, M, G and T" },
        { "enable vm --shmem 256m", "suffixes are K, M, G and T" },
        { "enable vm --shmem -256M", "decimal digit" },
        { "enable vm --shmem ' 256M'", "decimal digit" },
        { "enable vm --shmem 0256M", "leading zeros" },
        { "enable vm --shmem ''", "empty" },
        { "enable vm --shmem=", "empty" },
        { "enable vm --shmem 1234567890123456789012M", "too long" },
        { "enable vm --memory-budget 512K", "between 1M and 1T" },
        { "enable vm --memory-budget 2T", "between 1M and 1T" },
        { "enable vm --memory-budget 0", "between 1M and 1T" },
    };

    (void)state;
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        expect_usage_error(cases[i].line, cases[i].message);
        /* the option is named */
        expect_usage_error(cases[i].line, "--");
    }
}

static void test_good_sizes(void **state)
{
    static const struct {
        const char *value;
        guint64 bytes;
    } cases[] = {
        { "4M", 4ull << 20 },         { "4194304", 4ull << 20 },
        { "4096K", 4ull << 20 },      { "256M", 256ull << 20 },
        { "2147483648", 2ull << 30 }, /* 0x80000000 */
        { "1G", 1ull << 30 },         { "64G", 64ull << 30 },
    };

    (void)state;
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *line =
            g_strdup_printf("enable vm --shmem %s", cases[i].value);
        g_autoptr(PvgpuctlArgs) args = expect_ok(line);

        assert_true(args->given & PVGPUCTL_OPT_SHMEM);
        assert_int_equal(args->shmem_size, cases[i].bytes);
    }
}

static void test_bad_display_and_slot(void **state)
{
    static const char *const displays[] = {
        "0x10",
        "16385x1",
        "1x16385",
        "1920x",
        "x1080",
        "1920X1080",
        "1920x1080x1",
        "01920x1080",
        "-1x5",
        "1920 x1080",
        "4294967297x1",
        "",
        "x",
        "99999999999999999999x1",
    };
    static const char *const slots[] = {
        "0x00", "0x20", "1e",   "0x1g", "0x001",      "0x",
        "30",   "0x-1", "0x+1", "",     "0xffffffff", "0X1a",
    };

    (void)state;
    for (guint i = 0; i < G_N_ELEMENTS(displays); i++) {
        g_autofree char *line =
            g_strdup_printf("enable vm --display '%s'", displays[i]);

        expect_usage_error(line, "--display '");
    }
    for (guint i = 0; i < G_N_ELEMENTS(slots); i++) {
        g_autofree char *line =
            g_strdup_printf("enable vm --slot '%s'", slots[i]);

        expect_usage_error(line, "0x01 to 0x1f");
    }
    expect_usage_error("enable vm --display 16385x768", "between 1 and 16384");
}

static void test_option_values(void **state)
{
    g_autoptr(PvgpuctlArgs) a =
        expect_ok("-c test:///default enable vm --shmem 1G --memory-budget=2G "
                  "--display 1920x1080 --slot 0x1A");
    g_autoptr(PvgpuctlArgs) b =
        expect_ok("status --connect=qemu:///system -q");
    g_autoptr(PvgpuctlArgs) c = expect_ok("status vm --json");
    g_autoptr(PvgpuctlArgs) d = expect_ok("validate -- -odd-name.xml");
    g_autoptr(PvgpuctlArgs) e = expect_ok("enable vm --display 16384x1");

    (void)state;
    assert_string_equal(a->uri, "test:///default");
    assert_string_equal(a->command->name, "enable");
    assert_string_equal(a->positional[0], "vm");
    assert_int_equal(a->shmem_size, 1ull << 30);
    assert_int_equal(a->memory_budget, 2ull << 30);
    assert_int_equal(a->display_width, 1920);
    assert_int_equal(a->display_height, 1080);
    assert_int_equal(a->slot, 0x1a);
    assert_int_equal(a->given, PVGPUCTL_OPT_SHMEM |
                                   PVGPUCTL_OPT_MEMORY_BUDGET |
                                   PVGPUCTL_OPT_DISPLAY | PVGPUCTL_OPT_SLOT);
    assert_string_equal(b->uri, "qemu:///system");
    assert_true(b->quiet);
    assert_false(b->json);
    assert_int_equal(pvgpuctl_args_count(b), 0);
    assert_true(c->json);
    assert_string_equal(c->positional[0], "vm");
    assert_string_equal(d->positional[0], "-odd-name.xml");
    assert_int_equal(e->display_width, 16384);
    /* nothing given: no option marked */
    {
        g_autoptr(PvgpuctlArgs) f = expect_ok("enable vm");

        assert_int_equal(f->given, 0);
        assert_null(f->uri);
    }
}

static void test_conflicts_and_misplaced_options(void **state)
{
    static const struct {
        const char *line;
        const char *message;
    } cases[] = {
        { "status --json --quiet", "--json and --quiet cannot be used "
                                   "together" },
        { "status -q --json vm", "--json and --quiet cannot be used" },
        { "--version status", "--version takes no command" },
        { "status --version", "--version takes no command" },
        { "enable vm --shmem 8M --shmem 16M", "--shmem is given twice" },
        { "status --json --json", "--json is given twice" },
        { "-c a -c b status", "--connect is given twice" },
        { "-c a status --connect=b", "--connect is given twice" },
        { "-c", "-c needs a value (URI)" },
        { "status --connect", "--connect needs a value (URI)" },
        { "--connect= status", "non-empty URI" },
        { "enable vm --shmem", "--shmem needs a value (SIZE)" },
        { "status --json=yes", "--json takes no value" },
        { "status --shmem 4M", "'status' does not accept --shmem" },
        { "enable vm --json", "'enable' does not accept --json" },
        { "disable vm --display 1x1", "'disable' does not accept --display" },
        { "validate f.xml -q", "'validate' does not accept --quiet" },
        { "enable vm --frobnicate", "unknown option '--frobnicate'; see "
                                    "'pvgpuctl help enable'" },
        { "enable vm --frob=1", "unknown option '--frob';" },
        { "status -x", "unknown option '-x'" },
        { "--json status", "--json is an option of a command" },
        { "frobnicate", "unknown command 'frobnicate'; see 'pvgpuctl "
                        "--help'" },
        { "", "no command given; see 'pvgpuctl --help'" },
        { "-c test:///default", "no command given" },
    };

    (void)state;
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        expect_usage_error(cases[i].line, cases[i].message);
    }
}

static void test_help_and_version(void **state)
{
    g_autoptr(PvgpuctlArgs) global = expect_ok("--help");
    g_autoptr(PvgpuctlArgs) cmd = expect_ok("enable --help");
    g_autoptr(PvgpuctlArgs) cmd_short = expect_ok("-c x screenshot -h");
    g_autoptr(PvgpuctlArgs) version = expect_ok("--version");
    g_autoptr(PvgpuctlArgs) help_cmd = expect_ok("help status");

    (void)state;
    assert_true(global->help);
    assert_null(global->command);
    /* help wins over the missing DOMAIN */
    assert_true(cmd->help);
    assert_string_equal(cmd->command->name, "enable");
    assert_true(cmd_short->help);
    assert_string_equal(cmd_short->command->name, "screenshot");
    assert_true(version->version);
    assert_null(version->command);
    assert_string_equal(help_cmd->command->name, "help");
    assert_string_equal(help_cmd->positional[0], "status");
}

/* Man-page quality: every help has a synopsis, a description, the exit
 * status and examples; every option of a command is documented. */
static void test_help_texts(void **state)
{
    g_autofree char *global = pvgpuctl_help_text(NULL);
    GStrv lines = NULL;

    (void)state;
    for (const PvgpuctlCommand *c = pvgpuctl_commands(); c->name; c++) {
        g_autofree char *text = pvgpuctl_help_text(c);
        g_autofree char *usage =
            g_strdup_printf("Usage: pvgpuctl [-c URI] %s", c->name);

        assert_true(g_str_has_prefix(text, usage));
        assert_non_null(strstr(text, c->summary));
        assert_non_null(strstr(text, "\nExit status:\n  0  "));
        assert_non_null(strstr(text, "\nExamples:\n  "));
        assert_non_null(strstr(global, c->name));
        for (const PvgpuctlOptionSpec *o = pvgpuctl_option_specs();
             o->long_name; o++) {
            g_autofree char *name = g_strdup_printf("--%s", o->long_name);

            assert_int_equal(strstr(text, name) != NULL,
                             (c->options & o->flag) != 0);
        }
        lines = g_strsplit(text, "\n", -1);
        for (guint i = 0; lines[i]; i++) {
            if (g_utf8_strlen(lines[i], -1) > 80) {
                fail_msg("help of %s: line too long: %s", c->name, lines[i]);
            }
        }
        g_clear_pointer(&lines, g_strfreev);
    }
    assert_non_null(strstr(global, "\nExit status:\n"));
    assert_non_null(strstr(global, "  3  status"));
    assert_non_null(strstr(global, "LIBVIRT_DEFAULT_URI"));
}

static void test_help_command_handler(void **state)
{
    g_autoptr(PvgpuctlContext) ctx = pvgpuctl_context_new(NULL);
    g_autoptr(PvgpuctlArgs) good = expect_ok("help sync");
    g_autoptr(PvgpuctlArgs) bad = expect_ok("help frobnicate");
    g_autoptr(GError) error = NULL;

    (void)state;
    assert_true(good->command->handler(ctx, good, &error));
    assert_true(g_str_has_prefix(ctx->out->str,
                                 "Usage: pvgpuctl [-c URI] sync DOMAIN"));
    assert_false(bad->command->handler(ctx, bad, &error));
    assert_true(g_error_matches(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_USAGE));
    assert_non_null(strstr(error->message, "pvgpuctl --help"));
}

static void test_exit_status(void **state)
{
    g_autoptr(GError) usage =
        g_error_new(PVGPUCTL_ERROR, PVGPUCTL_ERROR_USAGE, "u");
    g_autoptr(GError) unhealthy =
        g_error_new(PVGPUCTL_ERROR, PVGPUCTL_ERROR_UNHEALTHY, "h");
    g_autoptr(GError) failed =
        g_error_new(PVGPUCTL_ERROR, PVGPUCTL_ERROR_FAILED, "f");
    g_autoptr(GError) other =
        g_error_new(G_FILE_ERROR, G_FILE_ERROR_NOENT, "io");

    (void)state;
    assert_int_equal(pvgpuctl_exit_status(NULL), 0);
    assert_int_equal(pvgpuctl_exit_status(failed), 1);
    assert_int_equal(pvgpuctl_exit_status(other), 1);
    assert_int_equal(pvgpuctl_exit_status(usage), 2);
    assert_int_equal(pvgpuctl_exit_status(unhealthy), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argument_counts),
        cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_good_sizes),
        cmocka_unit_test(test_bad_display_and_slot),
        cmocka_unit_test(test_option_values),
        cmocka_unit_test(test_conflicts_and_misplaced_options),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_help_texts),
        cmocka_unit_test(test_help_command_handler),
        cmocka_unit_test(test_exit_status),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
