/* SPDX-License-Identifier: MIT */
/* Who may be the device: label matching and the peer check itself. */
#include "test-helpers.h"

#include <gio/gio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peer-check.h"

#define LABEL "libvirt-6f1c3a52-0d1e-4b8e-9a57-2f3e4d5c6b7a"

/* raw is matched with its length given apart: it may hold NULs. */
static void assert_label_matches(const char *raw, gsize len)
{
    GError *error = NULL;

    if (!pvgpu_peer_label_matches(raw, len, LABEL, &error)) {
        fail_msg("label of %zu bytes refused: %s", len, error->message);
    }
}

/* Refused, with phrase in the error. */
static void assert_label_refused(const char *raw, gsize len,
                                 const char *phrase)
{
    GError *error = NULL;

    assert_false(pvgpu_peer_label_matches(raw, len, LABEL, &error));
    assert_non_null(error);
    if (strstr(error->message, phrase) == NULL) {
        fail_msg("\"%s\" lacks \"%s\"", error->message, phrase);
    }
    g_error_free(error);
}

#define RAW(s) (s), sizeof(s) - 1 /* without the literal's own NUL */

static void test_apparmor_modes(void **state)
{
    (void)state;
    assert_label_matches(RAW(LABEL " (enforce)\0"));
    assert_label_matches(RAW(LABEL " (enforce)"));     /* no NUL at all */
    assert_label_matches(RAW(LABEL " (complain)\n"));
    assert_label_matches(RAW(LABEL " (enforce)\n\0\0"));
    assert_label_matches(RAW(LABEL "\0"));             /* no mode */
    assert_label_matches(RAW(LABEL));
}

static void test_other_profiles_refused(void **state)
{
    (void)state;
    assert_label_refused(RAW("unconfined\0"), "\"unconfined\", not");
    assert_label_refused(RAW("unconfined (unconfined)\0"), "not \"" LABEL);
    assert_label_refused(RAW("libvirt-00000000-0000-0000-0000-000000000000 "
                             "(enforce)"), "not");
    /* prefixes and extensions of the right name */
    assert_label_refused(RAW("libvirt-6f1c3a52 (enforce)"), "not");
    assert_label_refused(RAW(LABEL "x (enforce)"), "not");
    assert_label_refused(RAW(LABEL "//null-child (enforce)"), "not");
    assert_label_refused(RAW("x" LABEL), "not");
    /* only one suffix is a mode, and only a lower-case word in " (...)" */
    assert_label_refused(RAW(LABEL " (enforce) (enforce)"), "not");
    assert_label_refused(RAW(LABEL " (Enforce)"), "not");
    assert_label_refused(RAW(LABEL " ()"), "not");
    assert_label_refused(RAW(LABEL "(enforce)"), "not");
    assert_label_refused(RAW(LABEL " (enforce"), "not");
}

static void test_selinux_context_whole(void **state)
{
    static const char ctx[] = "system_u:system_r:svirt_t:s0:c87,c520";
    GError *error = NULL;

    (void)state;
    assert_true(pvgpu_peer_label_matches(ctx, sizeof(ctx), ctx, &error));
    assert_true(pvgpu_peer_label_matches(ctx, sizeof(ctx) - 1, ctx, &error));
    assert_false(pvgpu_peer_label_matches(
        RAW("system_u:system_r:svirt_t:s0:c87,c521"), ctx, &error));
    assert_non_null(strstr(error->message, "c521"));
    g_clear_error(&error);
    assert_false(pvgpu_peer_label_matches(RAW("system_u:system_r:svirt_t:s0"),
                                          ctx, &error));
    g_clear_error(&error);
}

static void test_empty_refused(void **state)
{
    (void)state;
    assert_label_refused("", 0, "empty");
    assert_label_refused(RAW("\0"), "empty");
    assert_label_refused(RAW("\0\0\0\0"), "empty");
    assert_label_refused(RAW("\n"), "empty");
}

static void test_nul_inside_refused(void **state)
{
    (void)state;
    /* what a C string compare would take for the right label */
    assert_label_refused(RAW(LABEL "\0junk"), "NUL");
    assert_label_refused(RAW("\0" LABEL), "NUL");
    assert_label_refused(RAW(LABEL "\0 (enforce)"), "NUL");
}

static void test_overlong_refused(void **state)
{
    gsize len = PVGPU_PEER_LABEL_MAX + 1;
    g_autofree gchar *raw = g_malloc(len + 16);
    GError *error = NULL;

    (void)state;
    memset(raw, 'a', len + 16);
    assert_label_refused(raw, len, "longer than 4095");
    /* the right label padded with NULs up to any length is still it */
    memcpy(raw, LABEL, sizeof(LABEL));
    memset(raw + sizeof(LABEL), 0, len + 16 - sizeof(LABEL));
    assert_label_matches(raw, len + 16);
    /* the longest label accepted */
    memset(raw, 'a', PVGPU_PEER_LABEL_MAX);
    raw[PVGPU_PEER_LABEL_MAX] = '\0';
    assert_true(pvgpu_peer_label_matches(raw, PVGPU_PEER_LABEL_MAX + 1, raw,
                                         &error));
    assert_null(error);
}

/* The error names a label with control characters escaped. */
static void test_refusal_escapes_label(void **state)
{
    GError *error = NULL;

    (void)state;
    assert_false(pvgpu_peer_label_matches(RAW("evil\x1b[2J (enforce)"), LABEL,
                                          &error));
    assert_null(strchr(error->message, '\x1b'));
    assert_non_null(strstr(error->message, "evil\\033[2J"));
    g_error_free(error);
}

/* ---- the check on a socket -------------------------------------------- */

static void test_check_own_uid(void **state)
{
    PvgpuPeerPolicy policy = { .uid = geteuid() };
    g_autofree gchar *peer = NULL;
    g_autofree gchar *pid = g_strdup_printf("pid %d ", (int)getpid());
    GError *error = NULL;
    int sv[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    assert_true(pvgpu_peer_check(sv[0], &policy, &peer, &error));
    assert_null(error);
    assert_non_null(strstr(peer, pid));
    g_clear_pointer(&peer, g_free);

    policy.uid = geteuid() + 1;
    assert_false(pvgpu_peer_check(sv[0], &policy, &peer, &error));
    assert_non_null(strstr(error->message, "only uid"));
    assert_non_null(strstr(peer, pid));
    g_error_free(error);
    close(sv[0]);
    close(sv[1]);
}

/* This process has no label of the wanted name: no LSM, or unconfined. */
static void test_check_label_refused(void **state)
{
    PvgpuPeerPolicy policy = { .uid = geteuid(), .label = LABEL };
    g_autofree gchar *peer = NULL;
    GError *error = NULL;
    int sv[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    assert_false(pvgpu_peer_check(sv[0], &policy, &peer, &error));
    assert_non_null(strstr(error->message, "label"));
    print_message("refusal: %s\n", error->message);
    g_error_free(error);
    close(sv[0]);
    close(sv[1]);
}

/* An unconnected socket has no peer to serve. */
static void test_check_no_peer(void **state)
{
    PvgpuPeerPolicy policy = { .uid = geteuid() };
    g_autofree gchar *peer = NULL;
    GError *error = NULL;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    (void)state;
    assert_false(pvgpu_peer_check(fd, &policy, &peer, &error));
    assert_non_null(error);
    assert_non_null(peer);
    g_clear_error(&error);
    close(fd);
}

#define P(path, fn) PATH_TEST(path, fn, NULL, NULL)

int main(void)
{
    const struct CMUnitTest tests[] = {
        P("/backend/peer/apparmor-modes", test_apparmor_modes),
        P("/backend/peer/other-profiles-refused",
          test_other_profiles_refused),
        P("/backend/peer/selinux-context-whole", test_selinux_context_whole),
        P("/backend/peer/empty-refused", test_empty_refused),
        P("/backend/peer/nul-inside-refused", test_nul_inside_refused),
        P("/backend/peer/overlong-refused", test_overlong_refused),
        P("/backend/peer/refusal-escapes-label", test_refusal_escapes_label),
        P("/backend/peer/check-own-uid", test_check_own_uid),
        P("/backend/peer/check-label-refused", test_check_label_refused),
        P("/backend/peer/check-no-peer", test_check_no_peer),
    };

    return cmocka_run_group_tests_name("backend-peer", tests, NULL, NULL);
}
