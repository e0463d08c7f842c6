/* SPDX-License-Identifier: MIT */
/*
 * Which user and group the backend, the runtime directory and the socket
 * belong to: qemu.conf, else libvirt's build-time default, never root by
 * default. Users and groups come from fake passwd and group files.
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

static void assert_owned_by(const char *path, uid_t uid, gid_t gid)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    if (st.st_uid != uid || st.st_gid != gid) {
        print_error("%s belongs to %u:%u, expected %u:%u\n", path,
                    (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)uid,
                    (unsigned)gid);
        fail();
    }
}

static void assert_backend_runs_as(const Fixture *f, uid_t uid, gid_t gid)
{
    pid_t pid = running_backend(f);
    g_autofree char *status_path = g_strdup_printf("/proc/%d/status", (int)pid);
    g_autofree char *status = NULL;
    assert_true(g_file_get_contents(status_path, &status, NULL, NULL));
    g_autofree char *uid_line = g_strdup_printf("\nUid:\t%u\t%u\t", uid, uid);
    g_autofree char *gid_line = g_strdup_printf("\nGid:\t%u\t%u\t", gid, gid);
    assert_non_null(strstr(status, uid_line));
    assert_non_null(strstr(status, gid_line));
}

/* The runtime directory and socket belong to the qemu.conf user, and so
 * does the backend process. */
static void test_qemu_conf_owner(void **state)
{
    Fixture *f = *state;
    require_backend();
    require_root();
    write_qemu_conf(f, "libvirt-qemu", "kvm");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    assert_owned_by(f->runtime, QEMU_UID, KVM_GID);
    assert_owned_by(f->device, QEMU_UID, KVM_GID);
    assert_backend_runs_as(f, QEMU_UID, KVM_GID);
}

/* Without user and group in qemu.conf (Debian ships them commented out),
 * QEMU runs as libvirt's built-in libvirt-qemu:libvirt-qemu: the socket
 * must belong to it, not to root. */
static void test_qemu_conf_default_owner(void **state)
{
    Fixture *f = *state;
    require_backend();
    require_root();
    write_file(f->qemu_conf, "# as Debian ships it\n"
                             "#user = \"libvirt-qemu\"\n"
                             "#group = \"libvirt-qemu\"\n");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    assert_owned_by(f->runtime, QEMU_UID, QEMU_GID);
    assert_owned_by(f->device, QEMU_UID, QEMU_GID);
    assert_backend_runs_as(f, QEMU_UID, QEMU_GID);
}

/* Fedora and RHEL build libvirt with qemu:qemu. */
static void test_qemu_conf_default_fedora_owner(void **state)
{
    Fixture *f = *state;
    require_backend();
    require_root();
    write_file(f->passwd, PASSWD_ROOT
               "qemu:x:64107:64107::/:/sbin/nologin\n");
    write_file(f->group, GROUP_ROOT "qemu:x:64107:\n");
    write_file(f->qemu_conf, "#user = \"qemu\"\n");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    assert_owned_by(f->runtime, FEDORA_QEMU_ID, FEDORA_QEMU_ID);
    assert_owned_by(f->device, FEDORA_QEMU_ID, FEDORA_QEMU_ID);
    assert_backend_runs_as(f, FEDORA_QEMU_ID, FEDORA_QEMU_ID);
}

/* No libvirt-qemu or qemu group: the default user's primary group. */
static void test_qemu_conf_default_primary_group(void **state)
{
    Fixture *f = *state;
    require_backend();
    require_root();
    write_file(f->passwd, PASSWD_ROOT
               "qemu:x:64107:64108::/:/sbin/nologin\n");
    write_file(f->group, GROUP_ROOT "users:x:64108:\n");
    write_file(f->qemu_conf, "");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    assert_owned_by(f->runtime, FEDORA_QEMU_ID, 64108);
    assert_backend_runs_as(f, FEDORA_QEMU_ID, 64108);
}

/* Neither default user exists: never root, say where to set one. */
static void test_qemu_conf_no_default_user(void **state)
{
    Fixture *f = *state;
    write_file(f->passwd, PASSWD_ROOT "nobody:x:65534:65534::/:/bin/false\n");
    write_file(f->group, GROUP_ROOT);
    write_file(f->qemu_conf, "#user = \"libvirt-qemu\"\n");
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 3);
    g_autofree char *part = g_strdup_printf(
        "%s sets no user and neither libvirt-qemu nor qemu exists; set user "
        "= \"...\" in %s", f->qemu_conf, f->qemu_conf);
    assert_one_error_line(r, part);
    assert_false(exists(f->runtime));

    /* A missing qemu.conf is the same */
    g_unlink(f->qemu_conf);
    g_autoptr(HookResult) r2 = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r2->status, 3);
    assert_one_error_line(r2, "sets no user and neither");
    assert_false(exists(f->runtime));
}

/* A numeric user without a group, and no default group: not gid 0. */
static void test_qemu_conf_no_default_group(void **state)
{
    Fixture *f = *state;
    write_file(f->group, GROUP_ROOT);
    write_file(f->qemu_conf, "user = \"+64100\"\n");
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 3);
    assert_one_error_line(r, "sets no group and neither libvirt-qemu nor qemu "
                             "exists; set group = \"...\" in");
    assert_false(exists(f->runtime));
}

/* Only the user set: the group stays libvirt's default, as in libvirt. */
static void test_qemu_conf_default_group(void **state)
{
    Fixture *f = *state;
    require_backend();
    require_root();
    write_file(f->qemu_conf, "user = \"+0\"\n");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    assert_owned_by(f->runtime, 0, QEMU_GID);
    assert_owned_by(f->device, 0, QEMU_GID);
}

/* root written out in qemu.conf is honoured, with a warning in the log
 * (libvirt drops the stderr of a hook that succeeds). */
static void test_qemu_conf_root_warns(void **state)
{
    Fixture *f = *state;
    require_backend();
    require_root();
    write_qemu_conf(f, "root", "root");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    assert_backend_runs_as(f, 0, 0);
    g_autofree char *log = NULL;
    assert_true(g_file_get_contents(f->log, &log, NULL, NULL));
    assert_non_null(strstr(log, "pvgpu hook: warning: qemu.conf sets user "
                                "root, so the backend runs as root\n"));
}

static void test_qemu_conf_unknown_user(void **state)
{
    Fixture *f = *state;
    write_qemu_conf(f, "no-such-user-pvgpu", "root");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 3);
    assert_one_error_line(r, "sets user = \"no-such-user-pvgpu\", which does "
                             "not exist");
    assert_false(exists(f->runtime));
}

#define DAC_UID 64200
#define DAC_GID 64201

/* A domain with its own DAC label (<seclabel type='static' model='dac'>)
 * runs QEMU as that user, not qemu.conf's: the runtime directory, the
 * socket and the backend are that user's, and only it may connect. This
 * is what keeps VMs apart where no AppArmor profile does. */
static void test_dac_seclabel_owner(void **state)
{
    Fixture *f = *state;
    require_backend();
    require_root();
    write_qemu_conf(f, "libvirt-qemu", "kvm");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autofree char *own = with_seclabel(
        xml, "<seclabel type='static' model='dac' relabel='yes'>"
             "<label>+64200:+64201</label></seclabel>");
    prepare(f, own);
    assert_owned_by(f->runtime, DAC_UID, DAC_GID);
    assert_owned_by(f->device, DAC_UID, DAC_GID);
    assert_backend_runs_as(f, DAC_UID, DAC_GID);
    g_autofree char *cmdline_path = g_strdup_printf(
        "/proc/%d/cmdline", (int)running_backend(f));
    gchar *cmdline = NULL;
    gsize len = 0;
    assert_true(g_file_get_contents(cmdline_path, &cmdline, &len, NULL));
    gboolean found = FALSE;
    for (gsize off = 0; off < len; off += strlen(cmdline + off) + 1) {
        found |= strcmp(cmdline + off, "--peer-uid=64200") == 0;
    }
    g_free(cmdline);
    assert_true(found);
}

/* A DAC label that is not USER:GROUP, or names nobody, is refused. */
static void test_dac_seclabel_invalid(void **state)
{
    Fixture *f = *state;
    write_qemu_conf(f, "libvirt-qemu", "kvm");
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    static const struct {
        const char *label;
        const char *error;
    } cases[] = {
        { "+64200", "DAC <seclabel> '+64200' is not USER:GROUP" },
        { "a:b:c", "is not USER:GROUP" },
        { ":kvm", "is not USER:GROUP" },
        { "no-such-user-pvgpu:kvm",
          "sets user = \"no-such-user-pvgpu\", which does not exist" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *seclabel = g_strdup_printf(
            "<seclabel type='static' model='dac'><label>%s</label>"
            "</seclabel>", cases[i].label);
        g_autofree char *bad = with_seclabel(xml, seclabel);
        g_autoptr(HookResult) r = run_hook(f, bad, "prepare", "begin");
        assert_true(r->exited && r->status != 0);
        assert_one_error_line(r, cases[i].error);
        assert_false(exists(f->runtime));
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        HOOK_TEST(test_qemu_conf_owner),
        HOOK_TEST(test_qemu_conf_unknown_user),
        HOOK_TEST(test_qemu_conf_default_owner),
        HOOK_TEST(test_qemu_conf_default_fedora_owner),
        HOOK_TEST(test_qemu_conf_default_primary_group),
        HOOK_TEST(test_qemu_conf_no_default_user),
        HOOK_TEST(test_qemu_conf_no_default_group),
        HOOK_TEST(test_qemu_conf_default_group),
        HOOK_TEST(test_qemu_conf_root_warns),
        HOOK_TEST(test_dac_seclabel_owner),
        HOOK_TEST(test_dac_seclabel_invalid),
    };
    return hook_harness_run(argc, argv, "test-hook-owner", tests,
                            G_N_ELEMENTS(tests));
}
