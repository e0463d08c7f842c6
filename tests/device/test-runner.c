/* SPDX-License-Identifier: MIT */
#include "test-runner.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "qtest-client.h"
#include "test-log.h"

/* Environment handed from the runner to each test subprocess. */
#define ENV_TMPROOT "PVGPU_DEVTEST_TMPROOT"
#define ENV_LOG     "PVGPU_DEVTEST_LOG"

/* A test subprocess that runs longer than this is killed and fails. */
#define TEST_TIMEOUT_US (90 * G_TIME_SPAN_SECOND)

static gchar *tmp_root;
static gchar *backend_binary;
static guint test_counter;

/* Removes "--name PATH" / "--name=PATH" from argv; returns PATH or NULL. */
static gchar *take_option(int *argc, char ***argv, const char *name)
{
    g_autofree gchar *eq = g_strconcat(name, "=", NULL);
    gchar *value = NULL;
    int out = 1;

    for (int i = 1; i < *argc; i++) {
        const char *a = (*argv)[i];

        if (strcmp(a, name) == 0 && i + 1 < *argc) {
            g_free(value);
            value = g_strdup((*argv)[++i]);
        } else if (g_str_has_prefix(a, eq)) {
            g_free(value);
            value = g_strdup(a + strlen(eq));
        } else {
            (*argv)[out++] = (*argv)[i];
        }
    }
    (*argv)[out] = NULL;
    *argc = out;
    return value;
}

void pvgpu_test_init(int *argc, char ***argv)
{
    g_autofree gchar *qemu = take_option(argc, argv, "--qemu");

    backend_binary = take_option(argc, argv, "--backend");
    if (!backend_binary && g_getenv("PVGPU_BACKEND") &&
        *g_getenv("PVGPU_BACKEND")) {
        backend_binary = g_strdup(g_getenv("PVGPU_BACKEND"));
    }
    if (qemu) {
        qt_set_qemu_binary(qemu);
    }
    g_test_init(argc, argv, NULL);

    if (g_test_subprocess()) {
        const char *log = g_getenv(ENV_LOG);

        tmp_root = g_strdup(g_getenv(ENV_TMPROOT));
        if (log) {
            test_log_open(log);
        }
        return;
    }
    /* The runner: a failed check marks its test failed, the run goes on. */
    g_test_set_nonfatal_assertions();
    tmp_root = g_dir_make_tmp("pvgpu-devtest-XXXXXX", NULL);
    if (!tmp_root) {
        g_error("cannot create a temporary directory");
    }
    /* Subprocesses inherit our environment. */
    g_setenv(ENV_TMPROOT, tmp_root, TRUE);
}

static void print_log(const char *path, const char *test_path)
{
    g_autofree gchar *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL) || !*text) {
        return;
    }
    g_printerr("---- log of %s ----\n%s---- end of log ----\n", test_path,
               text);
}

typedef struct {
    GTestFunc fn;
    gboolean needs_backend;
} TestCase;

static void run_isolated(gconstpointer data)
{
    const TestCase *tc = data;
    g_autofree gchar *log = NULL;

    if (g_test_subprocess()) {
        tc->fn();
        return;
    }
    if (!qt_qemu_binary()) {
        g_test_skip("no QEMU binary (set PVGPU_QEMU or pass --qemu PATH)");
        return;
    }
    if (tc->needs_backend && !backend_binary) {
        g_test_skip("no pvgpu-backend (set PVGPU_BACKEND or pass "
                    "--backend PATH)");
        return;
    }
    log = g_strdup_printf("%s/test-%u.log", tmp_root, ++test_counter);
    g_setenv(ENV_LOG, log, TRUE);
    g_test_trap_subprocess(NULL, TEST_TIMEOUT_US,
                           G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_unsetenv(ENV_LOG);
    if (!g_test_trap_has_passed() || g_test_verbose()) {
        print_log(log, g_test_get_path());
    }
    g_test_trap_assert_passed();
}

static void add_case(const char *path, GTestFunc fn, gboolean needs_backend)
{
    TestCase *tc = g_new0(TestCase, 1);

    tc->fn = fn;
    tc->needs_backend = needs_backend;
    g_test_add_data_func_full(path, tc, run_isolated, g_free);
}

void pvgpu_test_add(const char *path, GTestFunc fn)
{
    add_case(path, fn, FALSE);
}

void pvgpu_test_add_with_backend(const char *path, GTestFunc fn)
{
    add_case(path, fn, TRUE);
}

int pvgpu_test_run(void)
{
    int ret = g_test_run();

    if (!g_test_subprocess() && tmp_root) {
        pvgpu_test_remove_tree(tmp_root);
    }
    g_clear_pointer(&tmp_root, g_free);
    g_clear_pointer(&backend_binary, g_free);
    return ret;
}

gchar *pvgpu_test_make_tmpdir(void)
{
    g_autofree gchar *tmpl = g_build_filename(
        tmp_root ? tmp_root : g_get_tmp_dir(), "t-XXXXXX", NULL);
    gchar *dir = g_mkdtemp(g_steal_pointer(&tmpl));

    if (!dir) {
        g_error("cannot create a test directory: %s", g_strerror(errno));
    }
    return dir;
}

void pvgpu_test_remove_tree(const char *path)
{
    GStatBuf st;

    if (g_lstat(path, &st) != 0) {
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *name;

        while (dir && (name = g_dir_read_name(dir))) {
            g_autofree gchar *child = g_build_filename(path, name, NULL);

            pvgpu_test_remove_tree(child);
        }
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

const char *pvgpu_test_backend_binary(void)
{
    return backend_binary;
}
