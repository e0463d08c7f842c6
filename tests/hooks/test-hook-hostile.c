/* SPDX-License-Identifier: MIT */
/*
 * What the QEMU user (or anyone able to write the runtime directory) can
 * put there must not make the root hook follow a symlink, hang, eat memory
 * or signal a process that is not this domain's backend.
 */
#include "hook-harness.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvgpu-domain.h"
#include "pvgpu-xml.h"
#include "syscall-pause.h"

typedef struct {
    const Fixture *fixture;
    const char *victim;
    gboolean swapped;
} Swap;

/* As the QEMU user, replaces device.sock by a symlink to the victim. */
static void swap_device_socket(gpointer data)
{
    Swap *swap = data;
    g_autofree char *temp = g_build_filename(swap->fixture->runtime,
                                             ".swap", NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgroups(0, NULL) < 0 || setgid(KVM_GID) < 0 ||
            setuid(QEMU_UID) < 0) {
            _exit(2);
        }
        _exit(symlink(swap->victim, temp) == 0 &&
                      rename(temp, swap->fixture->device) == 0
                  ? 0
                  : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    swap->swapped = WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The QEMU user swaps device.sock for a symlink right after root binds it:
 * root must not chmod or chown what the symlink points at. */
static void test_prepare_device_socket_race(void **state)
{
    Fixture *f = *state;
    require_root();
    write_qemu_conf(f, "libvirt-qemu", "kvm");
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    g_autofree char *victim = make_victim(f, "victim");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autofree char *input = g_build_filename(f->base, "input.xml", NULL);
    g_autofree char *out = g_build_filename(f->base, "out.txt", NULL);
    g_autofree char *err = g_build_filename(f->base, "err.txt", NULL);
    write_file(input, xml);
    char *argv[] = { (char *)hook_path, "vm1", "prepare", "begin", "-", NULL };
    Swap swap = { .fixture = f, .victim = victim };
    gboolean paused = FALSE;
    int status = syscall_pause_run(argv, input, out, err, SYS_bind,
                                   swap_device_socket, &swap, &paused);
    assert_true(paused);
    assert_true(WIFEXITED(status));
    assert_untouched(victim);
    /* /bin/true is no backend: the start fails, cleanly */
    assert_int_equal(WEXITSTATUS(status), 2);
    g_autofree char *text = NULL;
    assert_true(g_file_get_contents(err, &text, NULL, NULL));
    assert_non_null(strstr(text, "exited with status 0 during start-up"));
}

/* /run/pvgpu/<uuid> is a symlink: neither prepare nor release may follow
 * it (both once removed device.sock and backend.pid inside the target). */
static void test_runtime_dir_symlink(void **state)
{
    Fixture *f = *state;
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    g_autofree char *target = g_build_filename(f->base, "victim-dir", NULL);
    assert_int_equal(g_mkdir(target, 0700), 0);
    g_autofree char *pidfile = make_victim(f, "victim-dir/backend.pid");
    g_autofree char *socket = make_victim(f, "victim-dir/device.sock");
    g_autofree char *run = g_path_get_dirname(f->runtime);
    assert_int_equal(g_mkdir(run, 0755), 0);
    assert_int_equal(symlink(target, f->runtime), 0);

    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 3);
    assert_one_error_line(r, "is not a directory");
    g_autoptr(HookResult) r2 = run_hook(f, xml, "release", "end");
    assert_int_equal(r2->status, 0);
    assert_one_error_line(r2, "is not a directory");
    assert_untouched(pidfile);
    assert_untouched(socket);
}

/* Others may write /run/pvgpu: it cannot be trusted to hold our sockets. */
static void test_runtime_base_writable(void **state)
{
    Fixture *f = *state;
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    g_autofree char *run = g_path_get_dirname(f->runtime);
    assert_int_equal(g_mkdir(run, 0755), 0);
    assert_int_equal(chmod(run, 01777), 0);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 3);
    assert_one_error_line(r, "must belong to root and be writable only by "
                             "it");
    assert_false(exists(f->runtime));
}

/* Runs release with backend.pid made by plant(f) in a root-owned runtime
 * directory: it must end promptly, exit 0 and name the refusal. */
static void check_release_refuses_pidfile(Fixture *f,
                                          void (*plant)(const Fixture *f),
                                          const char *why)
{
    assert_int_equal(g_mkdir_with_parents(f->runtime, 0750), 0);
    plant(f);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    gint64 start = g_get_monotonic_time();
    g_autoptr(HookResult) r = run_hook(f, xml, "release", "end");
    assert_true(g_get_monotonic_time() - start < 5 * G_USEC_PER_SEC);
    assert_int_equal(r->status, 0);
    g_autofree char *part = g_strdup_printf(
        "refusing the pidfile %s: %s", f->pidfile, why);
    assert_one_error_line(r, part);
    /* started/start say so too, instead of "no longer running" */
    plant(f);
    g_autoptr(HookResult) r2 = run_hook(f, xml, "started", "begin");
    assert_int_equal(r2->status, 3);
    assert_one_error_line(r2, part);
}

static void plant_fifo(const Fixture *f)
{
    g_unlink(f->pidfile);
    g_mkdir_with_parents(f->runtime, 0750);
    assert_int_equal(mkfifo(f->pidfile, 0644), 0);
}

/* Opening a FIFO for reading waits for a writer: libvirtd would hang. */
static void test_pidfile_fifo(void **state)
{
    check_release_refuses_pidfile(*state, plant_fifo,
                                  "it is not a regular file");
}

static void plant_dev_zero(const Fixture *f)
{
    g_unlink(f->pidfile);
    g_mkdir_with_parents(f->runtime, 0750);
    assert_int_equal(symlink("/dev/zero", f->pidfile), 0);
}

/* Reading /dev/zero to the end never ends. */
static void test_pidfile_dev_zero(void **state)
{
    check_release_refuses_pidfile(*state, plant_dev_zero,
                                  "it is a symbolic link");
}

static void plant_huge(const Fixture *f)
{
    g_mkdir_with_parents(f->runtime, 0750);
    g_autofree char *digits = g_strnfill(4096, '1');
    write_file(f->pidfile, digits);
}

static void test_pidfile_huge(void **state)
{
    check_release_refuses_pidfile(*state, plant_huge,
                                  "it is larger than 32 bytes");
}

static void plant_garbage(const Fixture *f)
{
    g_mkdir_with_parents(f->runtime, 0750);
    write_file(f->pidfile, "12 34\n");
}

static void plant_signed(const Fixture *f)
{
    g_mkdir_with_parents(f->runtime, 0750);
    write_file(f->pidfile, "-1\n");
}

static void plant_overflow(const Fixture *f)
{
    g_mkdir_with_parents(f->runtime, 0750);
    write_file(f->pidfile, "4294967297\n");
}

static void test_pidfile_garbage(void **state)
{
    check_release_refuses_pidfile(*state, plant_garbage,
                                  "it does not hold a pid");
    check_release_refuses_pidfile(*state, plant_signed,
                                  "it does not hold a pid");
    check_release_refuses_pidfile(*state, plant_overflow,
                                  "it does not hold a pid");
}

static void plant_foreign_owner(const Fixture *f)
{
    g_mkdir_with_parents(f->runtime, 0750);
    write_file(f->pidfile, "1\n");
    assert_int_equal(chown(f->pidfile, 12345, 12345), 0);
}

/* Only the directory's owner (the QEMU user) or root writes the pidfile. */
static void test_pidfile_foreign_owner(void **state)
{
    require_root();
    check_release_refuses_pidfile(*state, plant_foreign_owner,
                                  "it belongs to uid 12345, not to 0 or "
                                  "root");
}

/* prepare cannot tell whether a stale backend still runs: it says so. */
static void test_prepare_refuses_stale_pidfile(void **state)
{
    Fixture *f = *state;
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    plant_fifo(f);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 3);
    g_autofree char *part = g_strdup_printf(
        "refusing the pidfile %s: it is not a regular file", f->pidfile);
    assert_one_error_line(r, part);
}

/* A process that looks like this domain's backend in /proc/<pid>/cmdline
 * (argv[0] and --pidfile) but runs another binary is not signalled. */
static void test_release_spares_lookalike(void **state)
{
    Fixture *f = *state;
    g_autofree char *backend = g_build_filename(f->base, "bin",
                                                "pvgpu-backend", NULL);
    g_setenv("PVGPU_BACKEND", backend, TRUE);
    g_autofree char *pidfile_arg = g_strconcat("--pidfile=", f->pidfile, NULL);
    /* The shell blocks in a builtin: no child outlives the test. */
    g_autofree char *fifo = g_build_filename(f->base, "block", NULL);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    g_autofree char *wait = g_strdup_printf("read x < %s; :", fifo);
    const char *argv[] = { "/bin/sh", backend, "-c", wait, "sh", pidfile_arg,
                           NULL };
    GPid lookalike = 0;
    g_autoptr(GError) error = NULL;
    assert_true(g_spawn_async(NULL, (char **)argv, NULL,
                              G_SPAWN_FILE_AND_ARGV_ZERO |
                                  G_SPAWN_DO_NOT_REAP_CHILD |
                                  G_SPAWN_STDOUT_TO_DEV_NULL,
                              NULL, NULL, &lookalike, &error));
    assert_int_equal(g_mkdir_with_parents(f->runtime, 0750), 0);
    g_autofree char *pid_text = g_strdup_printf("%d\n", (int)lookalike);
    write_file(f->pidfile, pid_text);

    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "release", "end");
    gboolean survived = process_alive(lookalike);
    kill(lookalike, SIGKILL);
    waitpid(lookalike, NULL, 0);
    assert_silent_success(r);
    assert_true(survived);
    assert_false(exists(f->runtime));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        HOOK_TEST(test_prepare_device_socket_race),
        HOOK_TEST(test_runtime_dir_symlink),
        HOOK_TEST(test_runtime_base_writable),
        HOOK_TEST(test_pidfile_fifo),
        HOOK_TEST(test_pidfile_dev_zero),
        HOOK_TEST(test_pidfile_huge),
        HOOK_TEST(test_pidfile_garbage),
        HOOK_TEST(test_pidfile_foreign_owner),
        HOOK_TEST(test_prepare_refuses_stale_pidfile),
        HOOK_TEST(test_release_spares_lookalike),
    };
    return hook_harness_run(argc, argv, "test-hook-hostile", tests,
                            G_N_ELEMENTS(tests));
}
