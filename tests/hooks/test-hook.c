/* SPDX-License-Identifier: MIT */
/*
 * The hook's life cycle as libvirt drives it: which calls act, the backend
 * it starts (detached, on the device socket) and stops, its errors, and the
 * XML it prints for incoming migrations and restores. hook-harness.h says
 * how the tests run.
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

static void test_not_ours(void **state)
{
    Fixture *f = *state;
    static const char *const ops[][2] = {
        { "prepare", "begin" }, { "start", "begin" }, { "started", "begin" },
        { "stopped", "end" },   { "release", "end" }, { "reconnect", "begin" },
        { "migrate", "begin" }, { "restore", "begin" },
    };
    g_autofree char *plain = domain_xml(NULL, "");
    /* a gpu element of another namespace is not ours either */
    g_autofree char *other = g_strdup_printf(
        "%.*s<gpu:gpu xmlns:gpu='urn:example:gpu' shmem='3M'/>%s",
        (int)(strstr(plain, "  </metadata>") - plain), plain,
        strstr(plain, "  </metadata>"));
    const char *inputs[] = { plain, other };
    for (guint i = 0; i < G_N_ELEMENTS(inputs); i++) {
        for (guint j = 0; j < G_N_ELEMENTS(ops); j++) {
            g_autoptr(HookResult) r = run_hook(f, inputs[i], ops[j][0],
                                               ops[j][1]);
            assert_silent_success(r);
        }
    }
    g_autofree char *run = g_path_get_dirname(f->runtime);
    assert_false(exists(run));
}

static void test_other_operations_ignored(void **state)
{
    Fixture *f = *state;
    g_autofree char *xml = domain_xml("shmem='3M'", "shmem='256M'");
    static const char *const ops[][2] = {
        { "attach", "begin" }, { "prepare", "end" }, { "release", "begin" },
        { "bogus", "-" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(ops); i++) {
        g_autoptr(HookResult) r = run_hook(f, xml, ops[i][0], ops[i][1]);
        assert_silent_success(r);
    }
    assert_false(exists(f->runtime));
}

static void test_prepare_and_release(void **state)
{
    Fixture *f = *state;
    require_backend();
    g_autofree char *xml = domain_xml("shmem='64M' display='800x600'", NULL);
    prepare(f, xml);

    struct stat st;
    assert_int_equal(lstat(f->runtime, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0750);
    assert_int_equal(lstat(f->device, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0660);
    pid_t pid = running_backend(f);

    /* The device socket listens for QEMU */
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    g_strlcpy(addr.sun_path, f->device, sizeof(addr.sun_path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    close(fd);

    for (const char *op = "start"; op != NULL;
         op = strcmp(op, "start") == 0 ? "started" : NULL) {
        g_autoptr(HookResult) r = run_hook(f, xml, op, "begin");
        assert_silent_success(r);
    }

    g_autoptr(HookResult) stopped = run_hook(f, xml, "stopped", "end");
    assert_silent_success(stopped);
    assert_true(wait_process_gone(pid));
    assert_false(exists(f->runtime));
    g_autoptr(HookResult) release = run_hook(f, xml, "release", "end");
    assert_silent_success(release);
    assert_true(exists(f->log));
}

/* stdin from /dev/null, stdout and stderr into the log, fd 3 the socket. */
static void test_backend_is_detached(void **state)
{
    Fixture *f = *state;
    require_backend();
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    pid_t pid = running_backend(f);
    static const char *const expected[] = { "/dev/null", NULL, NULL };
    for (int fd = 0; fd <= 3; fd++) {
        g_autofree char *link = g_strdup_printf("/proc/%d/fd/%d", (int)pid, fd);
        g_autofree char *target = g_file_read_link(link, NULL);
        assert_non_null(target);
        if (fd == 3) {
            assert_true(g_str_has_prefix(target, "socket:"));
        } else {
            assert_string_equal(target, expected[fd] ? expected[fd] : f->log);
        }
    }
    g_autofree char *stat_path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *stat = NULL;
    assert_true(g_file_get_contents(stat_path, &stat, NULL, NULL));
    /* fields after ") ": state ppid pgrp session; a new session: sid == pid */
    int ppid = 0, pgrp = 0, session = 0;
    assert_int_equal(sscanf(strrchr(stat, ')') + 2, "%*c %d %d %d", &ppid,
                            &pgrp, &session), 3);
    assert_int_equal(session, pid);
    g_autoptr(HookResult) r = run_hook(f, xml, "release", "end");
    assert_silent_success(r);
    assert_true(wait_process_gone(pid));
}

static void test_prepare_replaces_stale_backend(void **state)
{
    Fixture *f = *state;
    require_backend();
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    pid_t first = running_backend(f);
    prepare(f, xml);
    pid_t second = running_backend(f);
    assert_int_not_equal(first, second);
    assert_true(wait_process_gone(first));
}

static void test_invalid_metadata(void **state)
{
    Fixture *f = *state;
    g_autofree char *xml = domain_xml("shmem='3M'", "shmem='4M'");
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 1);
    assert_one_error_line(r, "pvgpu: domain 'vm1': shmem '3M' must be a power "
                             "of two between 4M and 64G");
    assert_string_equal(r->out, "");
    assert_false(exists(f->runtime));
}

static void test_not_well_formed(void **state)
{
    Fixture *f = *state;
    g_autoptr(HookResult) r = run_hook(f, "<domain><name>vm1", "prepare",
                                       "begin");
    assert_int_equal(r->status, 1);
    assert_one_error_line(r, "is not well-formed");
}

static void test_commandline_mismatch(void **state)
{
    Fixture *f = *state;
    g_autofree char *stale = domain_xml("shmem='256M'", "shmem='512M'");
    g_autoptr(HookResult) r = run_hook(f, stale, "prepare", "begin");
    assert_int_equal(r->status, 1);
    assert_string_equal(r->err, MISMATCH_LINE);
    assert_false(exists(f->runtime));

    g_autofree char *missing = domain_xml("shmem='256M'", "");
    g_autoptr(HookResult) r2 = run_hook(f, missing, "prepare", "begin");
    assert_int_equal(r2->status, 1);
    assert_string_equal(r2->err, MISMATCH_LINE);
}

static void test_missing_backend(void **state)
{
    Fixture *f = *state;
    g_autofree char *missing = g_build_filename(f->base, "no-backend", NULL);
    g_setenv("PVGPU_BACKEND", missing, TRUE);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 2);
    g_autofree char *part = g_strdup_printf(
        "the pvgpu backend %s is missing or not executable", missing);
    assert_one_error_line(r, part);
    assert_false(exists(f->runtime));
}

static void test_backend_dies_during_start(void **state)
{
    Fixture *f = *state;
    use_stand_in_backend(f);

    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 2);
    /* status 2 (not 8 or 9): fd 3 was a socket and fds 4..9 were closed */
    assert_one_error_line(r, "the pvgpu backend exited with status 2 during "
                             "start-up: ");
    assert_non_null(strstr(r->err, "pvgpu-backend: cannot open display :0"));
    assert_non_null(strstr(r->err, f->log));
    assert_false(exists(f->runtime));
    g_autofree char *log = NULL;
    assert_true(g_file_get_contents(f->log, &log, NULL, NULL));
    assert_non_null(strstr(log, "--fd=3 --control-socket="));
}

static void test_started_with_dead_backend(void **state)
{
    Fixture *f = *state;
    require_backend();
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    pid_t pid = running_backend(f);
    kill(pid, SIGKILL);
    assert_true(wait_process_gone(pid));
    g_autoptr(HookResult) r = run_hook(f, xml, "started", "begin");
    assert_int_equal(r->status, 2);
    assert_one_error_line(r, "the pvgpu backend is no longer running");
}

static void test_reconnect_restarts_dead_backend(void **state)
{
    Fixture *f = *state;
    require_backend();
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    pid_t old = running_backend(f);

    g_autoptr(HookResult) alive = run_hook(f, xml, "reconnect", "begin");
    assert_silent_success(alive);
    assert_int_equal(running_backend(f), old);

    kill(old, SIGKILL);
    assert_true(wait_process_gone(old));
    g_autoptr(HookResult) r = run_hook(f, xml, "reconnect", "begin");
    assert_silent_success(r);
    pid_t new_pid = running_backend(f);
    assert_int_not_equal(new_pid, old);

    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    g_strlcpy(addr.sun_path, f->device, sizeof(addr.sun_path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    close(fd);
}

/* libvirt kills the VM when reconnect fails: always 0, but say why. */
static void test_reconnect_failure_exits_zero(void **state)
{
    Fixture *f = *state;
    g_setenv("PVGPU_BACKEND", "/nonexistent/pvgpu-backend", TRUE);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "reconnect", "begin");
    assert_int_equal(r->status, 0);
    assert_one_error_line(r, "is missing or not executable");

    g_autofree char *invalid = domain_xml("shmem='3M'", "shmem='4M'");
    g_autoptr(HookResult) r2 = run_hook(f, invalid, "reconnect", "begin");
    assert_int_equal(r2->status, 0);
    assert_one_error_line(r2, "shmem '3M'");
}

static void check_filter(const Fixture *f, const char *op)
{
    g_autofree char *stale = domain_xml("shmem='256M'", "shmem='1G'");
    g_autoptr(HookResult) r = run_hook(f, stale, op, "begin");
    assert_int_equal(r->status, 0);
    assert_string_equal(r->err, "");
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = pvgpu_xml_parse(r->out, strlen(r->out), &error);
    assert_non_null(doc);
    g_autoptr(PvgpuDomainConfig) config = NULL;
    assert_true(pvgpu_domain_config_from_xml(doc, &config, &error));
    assert_non_null(config);
    assert_true(config->shmem_size == (G_GUINT64_CONSTANT(256) << 20));
    if (!pvgpu_domain_check_commandline(doc, config, &error)) {
        print_error("%s\n", error->message);
        fail();
    }
    assert_non_null(strstr(r->out, "shmem_size=256M,backend_pipe="));
    assert_null(strstr(r->out, "shmem_size=1G"));
    const char *user_arg = strstr(r->out, "device.x.y=1");
    assert_non_null(user_arg);
    assert_true(user_arg < strstr(r->out, "pvgpu,id=pvgpu0"));
    assert_non_null(strstr(r->out, "urn:example:app"));
    assert_false(exists(f->runtime)); /* a filter starts nothing */
}

static void test_migrate_filter(void **state)
{
    check_filter(*state, "migrate");
}

static void test_restore_filter(void **state)
{
    check_filter(*state, "restore");
}

/* A pidfile naming a process that is not this domain's backend. */
static void test_release_spares_foreign_pid(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    GPid sleeper = 0;
    const char *argv[] = { "sleep", "60", NULL };
    assert_true(g_spawn_async(NULL, (char **)argv, NULL,
                              G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                              NULL, NULL, &sleeper, &error));
    assert_int_equal(g_mkdir_with_parents(f->runtime, 0750), 0);
    g_autofree char *pid_text = g_strdup_printf("%d\n", (int)sleeper);
    write_file(f->pidfile, pid_text);

    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "release", "end");
    assert_silent_success(r);
    gboolean survived = process_alive(sleeper);
    kill(sleeper, SIGKILL);
    waitpid(sleeper, NULL, 0);
    assert_true(survived);
    assert_false(exists(f->runtime));
}

static void test_release_keeps_foreign_files(void **state)
{
    Fixture *f = *state;
    assert_int_equal(g_mkdir_with_parents(f->runtime, 0750), 0);
    g_autofree char *notes = g_build_filename(f->runtime, "notes.txt", NULL);
    write_file(notes, "mine");
    write_file(f->pidfile, "1\n"); /* init is never the backend */
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "release", "end");
    assert_int_equal(r->status, 0);
    assert_one_error_line(r, "it holds files pvgpu did not create");
    assert_true(exists(notes));
    assert_false(exists(f->pidfile));
}

static void test_oversized_input(void **state)
{
    Fixture *f = *state;
    g_autofree char *input = g_build_filename(f->base, "huge.xml", NULL);
    write_file(input, "");
    assert_int_equal(truncate(input, (17 << 20)), 0);
    g_autoptr(HookResult) r = run_hook_file(input, "prepare", "begin");
    assert_int_equal(r->status, 3);
    assert_one_error_line(r, "larger than 16 MiB");
}

/* The backend serves only the QEMU user (SO_PEERCRED): --peer-uid. */
static void test_backend_argv_peer_uid(void **state)
{
    Fixture *f = *state;
    require_root();
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autofree char *log = stand_in_backend_args(f, xml, "prepare", NULL);
    g_autofree char *arg = g_strdup_printf(" --peer-uid=%u ", QEMU_UID);
    if (strstr(log, arg) == NULL) {
        print_error("no \"%s\" in the backend's arguments: %s\n", arg, log);
        fail();
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        HOOK_TEST(test_not_ours),
        HOOK_TEST(test_other_operations_ignored),
        HOOK_TEST(test_prepare_and_release),
        HOOK_TEST(test_backend_is_detached),
        HOOK_TEST(test_prepare_replaces_stale_backend),
        HOOK_TEST(test_invalid_metadata),
        HOOK_TEST(test_not_well_formed),
        HOOK_TEST(test_commandline_mismatch),
        HOOK_TEST(test_missing_backend),
        HOOK_TEST(test_backend_dies_during_start),
        HOOK_TEST(test_started_with_dead_backend),
        HOOK_TEST(test_reconnect_restarts_dead_backend),
        HOOK_TEST(test_reconnect_failure_exits_zero),
        HOOK_TEST(test_migrate_filter),
        HOOK_TEST(test_restore_filter),
        HOOK_TEST(test_release_spares_foreign_pid),
        HOOK_TEST(test_release_keeps_foreign_files),
        HOOK_TEST(test_oversized_input),
        HOOK_TEST(test_backend_argv_peer_uid),
    };
    return hook_harness_run(argc, argv, "test-hook", tests,
                            G_N_ELEMENTS(tests));
}
