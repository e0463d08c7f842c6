/*
 * pvgpuctl enable's check that a domain's QEMU has the pvgpu device: stand-in
 * QEMUs written by the test, and the project's QEMU when PVGPU_QEMU names it.
 */
#include "pvgpuctl-emulator.h"
#include "pvgpuctl-error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct {
    char *dir;
} Fixture;

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);

    f->dir = g_dir_make_tmp("pvgpuctl-emulator-XXXXXX", NULL);
    *state = f;
    return f->dir != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    g_autoptr(GDir) dir = g_dir_open(f->dir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(f->dir, name, NULL);
        g_unlink(path);
    }
    g_rmdir(f->dir);
    g_free(f->dir);
    g_free(f);
    return 0;
}

/* A stand-in QEMU: a shell script with body, mode 0755 (or mode). */
static char *fake_qemu(const Fixture *f, const char *name, const char *body,
                       int mode)
{
    char *path = g_build_filename(f->dir, name, NULL);
    g_autofree char *text = g_strdup_printf("#!/bin/sh\n%s\n", body);

    assert_true(g_file_set_contents(path, text, -1, NULL));
    assert_int_equal(g_chmod(path, mode), 0);
    return path;
}

static void assert_refused(const char *path, const char *part)
{
    g_autoptr(GError) error = NULL;

    assert_false(pvgpuctl_emulator_check("vm1", path, &error));
    assert_non_null(error);
    if (strstr(error->message, part) == NULL ||
        strstr(error->message, path) == NULL ||
        strstr(error->message, "--emulator PATH") == NULL) {
        print_error("unexpected: %s\n", error->message);
        fail();
    }
}

static void test_device_listed(void **state)
{
    g_autofree char *qemu = fake_qemu(
        *state, "qemu-pvgpu",
        "[ \"$1 $2\" = \"-device help\" ] || exit 1\n"
        "echo 'Display devices:'\n"
        "echo 'name \"pvgpu\", bus PCI, desc \"PVGPU paravirtualized GPU\"'",
        0755);
    g_autoptr(GError) error = NULL;

    assert_true(pvgpuctl_emulator_check("vm1", qemu, &error));
    assert_null(error);
}

/* Debian's QEMU, say: other GPUs, no pvgpu (not even as a prefix). */
static void test_device_missing(void **state)
{
    g_autofree char *qemu = fake_qemu(
        *state, "qemu-distro",
        "echo 'name \"virtio-gpu-pci\", bus PCI'\n"
        "echo 'name \"pvgpu-other\", bus PCI'",
        0755);

    assert_refused(qemu, "has no pvgpu device");
}

static void test_not_runnable(void **state)
{
    g_autofree char *plain = fake_qemu(*state, "not-executable", "exit 0",
                                       0644);
    g_autofree char *failing = fake_qemu(*state, "failing", "exit 3", 0755);
    g_autofree char *missing = g_build_filename(((Fixture *)*state)->dir,
                                                "missing", NULL);

    assert_refused(plain, "is not an executable file");
    assert_refused(missing, "is not an executable file");
    assert_refused(failing, "cannot ask the QEMU");
}

/* The QEMU this project builds has the device (registered only in a build
 * configured with -Dqemu=PATH, which passes PVGPU_QEMU). */
static void test_project_qemu(void **state)
{
    const char *qemu = g_getenv("PVGPU_QEMU");
    g_autoptr(GError) error = NULL;

    (void)state;
    assert_true(pvgpuctl_emulator_check("vm1", qemu, &error));
    assert_refused("/bin/true", "has no pvgpu device");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_device_listed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_runnable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_project_qemu, setup, teardown),
    };
    const char *qemu = g_getenv("PVGPU_QEMU");
    gsize n = G_N_ELEMENTS(tests);

    if (qemu == NULL || qemu[0] == '\0') {
        n--; /* test_project_qemu, last */
    }
    return _cmocka_run_group_tests("pvgpuctl-emulator", tests, n, NULL, NULL);
}
