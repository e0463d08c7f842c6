/*
 * validate, data-driven like libvirt's virschematest: every file in
 * validate/ named *-valid.xml must be reported valid, every *-invalid.xml
 * invalid with the reason its first line names ("<!-- expect: ... -->").
 */
#include "pvgpuctl-commands.h"
#include "pvgpuctl-error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static gboolean run_validate(const char *path, char **out, GError **error)
{
    g_autoptr(PvgpuctlContext) ctx = pvgpuctl_context_new(NULL);
    const char *argv[] = { "pvgpuctl", "validate", path };
    g_autoptr(PvgpuctlArgs) args =
        pvgpuctl_args_parse(G_N_ELEMENTS(argv), argv, NULL);
    gboolean ok;

    assert_non_null(args);
    ok = args->command->handler(ctx, args, error);
    *out = g_strdup(ctx->out->str);
    return ok;
}

/* The reason an invalid file must give: its "expect:" comment. */
static char *expectation(const char *path)
{
    g_autofree char *data = NULL;
    const char *start, *end;

    assert_true(g_file_get_contents(path, &data, NULL, NULL));
    if (data[0] == '\0') {
        return g_strdup("the file is empty");
    }
    start = strstr(data, "<!-- expect: ");
    if (start == NULL) {
        fail_msg("%s has no expect comment", path);
    }
    start += strlen("<!-- expect: ");
    end = strstr(start, " -->");
    assert_non_null(end);
    return g_strndup(start, (gsize)(end - start));
}

static void test_files(void **state)
{
    g_autofree char *dir_path =
        g_build_filename(g_getenv("PVGPUCTL_TEST_DIR"), "validate", NULL);
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
    const char *name;
    guint valid = 0, invalid = 0;

    (void)state;
    assert_non_null(dir);
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(dir_path, name, NULL);
        g_autofree char *out = NULL;
        g_autoptr(GError) error = NULL;
        gboolean ok = run_validate(path, &out, &error);

        if (g_str_has_suffix(name, "-valid.xml")) {
            g_autofree char *expected = g_strdup_printf("%s: valid\n", path);

            if (!ok) {
                fail_msg("%s: %s", name, error->message);
            }
            assert_string_equal(out, expected);
            valid++;
        } else if (g_str_has_suffix(name, "-invalid.xml")) {
            g_autofree char *reason = expectation(path);
            g_autofree char *prefix = g_strdup_printf("%s: ", path);

            if (ok) {
                fail_msg("%s was found valid", name);
            }
            assert_string_equal(out, "");
            assert_int_equal(pvgpuctl_exit_status(error), 1);
            assert_true(g_str_has_prefix(error->message, prefix));
            if (strstr(error->message, reason) == NULL) {
                fail_msg("%s: '%s' lacks '%s'", name, error->message, reason);
            }
            assert_null(strchr(error->message, '\n'));
            invalid++;
        } else {
            fail_msg("%s: name must end in -valid.xml or -invalid.xml", name);
        }
    }
    assert_true(valid >= 3);
    assert_true(invalid >= 20);
}

static void test_unreadable(void **state)
{
    g_autofree char *out = NULL;
    g_autoptr(GError) missing = NULL;
    g_autoptr(GError) directory = NULL;

    (void)state;
    assert_false(run_validate("/nonexistent/dom.xml", &out, &missing));
    assert_string_equal(missing->message,
                        "/nonexistent/dom.xml: cannot open: No such file or "
                        "directory");
    g_clear_pointer(&out, g_free);
    assert_false(
        run_validate(g_getenv("PVGPUCTL_TEST_DIR"), &out, &directory));
    assert_non_null(strstr(directory->message, "Is a directory"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_unreadable),
    };

    /* the valid domain files carry arguments derived from /run/pvgpu */
    g_unsetenv("PVGPU_RUNTIME_DIR");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
