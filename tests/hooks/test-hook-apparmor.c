/* SPDX-License-Identifier: MIT */
/*
 * The per-domain AppArmor rule the hook writes at prepare, in a temporary
 * AppArmor directory.
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

/* As Debian 12 ships /etc/apparmor.d/libvirt/TEMPLATE.qemu. */
#define TEMPLATE_QEMU \
    "#\n# This profile is for the domain whose UUID matches this file.\n#\n\n" \
    "#include <tunables/global>\n\n" \
    "profile LIBVIRT_TEMPLATE flags=(attach_disconnected) {\n" \
    "  #include <abstractions/libvirt-qemu>\n}\n"
#define PROFILE_NAME "libvirt-" UUID
#define RULES_INCLUDE "  #include if exists <pvgpu/" UUID ">\n"

/* A temporary /etc/apparmor.d with libvirt's template; AppArmor enabled. */
static char *make_apparmor_dir(const Fixture *f)
{
    g_autofree char *libvirt = g_build_filename(f->apparmor, "libvirt", NULL);
    assert_int_equal(g_mkdir_with_parents(libvirt, 0755), 0);
    g_autofree char *template = g_build_filename(libvirt, "TEMPLATE.qemu",
                                                 NULL);
    write_file(template, TEMPLATE_QEMU);
    write_file(f->apparmor_enabled, "Y\n");
    return g_build_filename(libvirt, PROFILE_NAME, NULL);
}

/* At prepare the domain's profile does not exist yet (libvirt deletes it
 * at every stop): the hook creates it as virt-aa-helper -c would, with an
 * include of a rule for this domain's socket only; release removes the
 * rule. */
static void test_apparmor_per_domain_rule(void **state)
{
    Fixture *f = *state;
    require_backend();
    g_autofree char *profile = make_apparmor_dir(f);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);

    g_autofree char *rules_path = g_build_filename(f->apparmor, "pvgpu", UUID,
                                                   NULL);
    g_autofree char *rules = read_text(rules_path);
    g_autofree char *rule = g_strdup_printf("\n  \"%s\" rw,\n", f->device);
    assert_non_null(strstr(rules, rule));
    assert_null(strchr(rules, '*'));
    struct stat st;
    assert_int_equal(lstat(rules_path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);

    g_autofree char *text = read_text(profile);
    g_autofree char *expected = g_strdup_printf(
        "#\n# This profile is for the domain whose UUID matches this file.\n"
        "#\n\n#include <tunables/global>\n\n"
        "profile " PROFILE_NAME " flags=(attach_disconnected) {\n"
        "  #include <abstractions/libvirt-qemu>\n"
        "  #include <libvirt/" PROFILE_NAME ".files>\n" RULES_INCLUDE "}\n");
    assert_string_equal(text, expected);

    g_autoptr(HookResult) r = run_hook(f, xml, "release", "end");
    assert_silent_success(r);
    assert_false(exists(rules_path));
}

/* A profile that exists (older libvirt keeps it, or the admin wrote it)
 * gets the include once, before its last closing brace. */
static void test_apparmor_existing_profile(void **state)
{
    Fixture *f = *state;
    require_backend();
    g_autofree char *profile = make_apparmor_dir(f);
    write_file(profile, "profile " PROFILE_NAME " {\n  # mine\n}\n");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    prepare(f, xml);
    g_autofree char *text = read_text(profile);
    assert_string_equal(text, "profile " PROFILE_NAME " {\n  # mine\n"
                              RULES_INCLUDE "}\n");
}

/* AppArmor disabled, or libvirt without its AppArmor profiles: nothing. */
static void test_apparmor_not_in_use(void **state)
{
    Fixture *f = *state;
    require_backend();
    g_autofree char *profile = make_apparmor_dir(f);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    write_file(f->apparmor_enabled, "N\n");
    prepare(f, xml);
    g_autofree char *rules_dir = g_build_filename(f->apparmor, "pvgpu", NULL);
    assert_false(exists(rules_dir));
    assert_false(exists(profile));
}

/* Symlinks in the AppArmor directories are replaced or refused, never
 * written through. */
static void test_apparmor_symlinks(void **state)
{
    Fixture *f = *state;
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    g_autofree char *profile = make_apparmor_dir(f);
    g_autofree char *victim = make_victim(f, "victim");
    g_autofree char *rules_dir = g_build_filename(f->apparmor, "pvgpu", NULL);
    assert_int_equal(g_mkdir(rules_dir, 0755), 0);
    g_autofree char *rules = g_build_filename(rules_dir, UUID, NULL);
    assert_int_equal(symlink(victim, rules), 0);
    assert_int_equal(symlink(victim, profile), 0);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 3);
    assert_one_error_line(r, PROFILE_NAME ": Too many levels of symbolic "
                             "links");
    assert_untouched(victim);
    g_autofree char *text = read_text(victim);
    assert_string_equal(text, "victim\n");
    struct stat st;
    assert_int_equal(lstat(rules, &st), 0);
    assert_true(S_ISREG(st.st_mode)); /* the symlink was replaced */
}

#define PEER_LABEL_ARG " --peer-label=" PROFILE_NAME " "

/* Under AppArmor (libvirt's default driver there) the backend serves only
 * the QEMU confined by this domain's profile. */
static void test_apparmor_peer_label(void **state)
{
    Fixture *f = *state;
    require_root();
    g_free(make_apparmor_dir(f));
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autofree char *args = stand_in_backend_args(f, xml, "prepare", NULL);
    assert_non_null(strstr(args, PEER_LABEL_ARG));
}

/* No label asked for where QEMU will not be confined: AppArmor off,
 * security_driver without apparmor, or a domain that opts out. */
static void test_apparmor_no_peer_label(void **state)
{
    Fixture *f = *state;
    require_root();
    g_free(make_apparmor_dir(f));
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);

    write_file(f->apparmor_enabled, "N\n");
    g_autofree char *off = stand_in_backend_args(f, xml, "prepare", NULL);
    assert_non_null(strstr(off, " --peer-uid="));
    assert_null(strstr(off, "--peer-label"));

    write_file(f->apparmor_enabled, "Y\n");
    g_autofree char *optout_xml =
        with_seclabel(xml, "<seclabel type='none' model='apparmor'/>");
    g_autofree char *optout = stand_in_backend_args(f, optout_xml, "prepare", NULL);
    assert_null(strstr(optout, "--peer-label"));

    g_autofree char *none = stand_in_backend_args(
        f, xml, "prepare", "security_driver = [ \"selinux\" ]  # not apparmor");
    assert_null(strstr(none, "--peer-label"));
}

/* After a libvirtd restart, the live definition names the label. */
static void test_apparmor_live_label(void **state)
{
    Fixture *f = *state;
    require_root();
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autofree char *live = with_seclabel(
        xml, "<seclabel type='dynamic' model='dac' relabel='yes'>"
             "<label>+64100:+64100</label></seclabel>"
             "<seclabel type='dynamic' model='apparmor' relabel='yes'>"
             "<label>" PROFILE_NAME "</label>"
             "<imagelabel>" PROFILE_NAME "</imagelabel></seclabel>");
    g_autofree char *args = stand_in_backend_args(f, live, "reconnect", NULL);
    assert_non_null(strstr(args, PEER_LABEL_ARG));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        HOOK_TEST(test_apparmor_per_domain_rule),
        HOOK_TEST(test_apparmor_existing_profile),
        HOOK_TEST(test_apparmor_not_in_use),
        HOOK_TEST(test_apparmor_symlinks),
        HOOK_TEST(test_apparmor_peer_label),
        HOOK_TEST(test_apparmor_no_peer_label),
        HOOK_TEST(test_apparmor_live_label),
    };
    return hook_harness_run(argc, argv, "test-hook-apparmor", tests,
                            G_N_ELEMENTS(tests));
}
