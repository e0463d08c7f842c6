/* SPDX-License-Identifier: MIT */
/*
 * Resolution follows the viewer (PVGPU_FEATURE_DISPLAY_HINT): a VNC client
 * of QEMU's own VNC server asks for a desktop size (SetDesktopSize, as a
 * resized viewer window does) and the backend gets DISPLAY_HINT with that
 * size; a new backend connection gets the newest hint again; a backend
 * that did not acknowledge the feature gets none.
 */
#include <string.h>

#include "pvgpu-fixture.h"
#include "test-log.h"
#include "test-runner.h"
#include "vnc-client.h"

#define HINT_FEATURES \
    (PVGPU_FEATURE_SHMEM_FD | PVGPU_FEATURE_DISPLAY | \
     PVGPU_FEATURE_DISPLAY_HINT)
#define RFB_STATUS_FORWARDED 4 /* QEMU: handed to the display device */

typedef struct {
    PvgpuFixture *fx;
    VncClient *vnc;
} Rig;

static Rig start(guint64 ack_features)
{
    PvgpuFixtureOptions opts = { .ack_features = ack_features,
                                 .vnc = TRUE };
    g_autoptr(GError) error = NULL;
    Rig rig;
    FakeHandshake hs;

    rig.fx = pvgpu_fixture_start(&opts);
    pvgpu_assert_ready(rig.fx);
    hs = fake_backend_last_handshake(rig.fx->backend);
    g_assert_true(hs.has_ext);
    g_assert_cmphex(hs.ext.features & PVGPU_FEATURE_DISPLAY_HINT, ==,
                    PVGPU_FEATURE_DISPLAY_HINT);
    rig.vnc = vnc_client_connect(rig.fx->vnc_path, pvgpu_deadline(),
                                 &error);
    g_assert_no_error(error);
    return rig;
}

static void rig_free(Rig *rig)
{
    vnc_client_free(rig->vnc);
    pvgpu_fixture_free(rig->fx);
}

/* The viewer asks for width x height; QEMU says it forwarded the request. */
static void resize_viewer(Rig *rig, guint width, guint height)
{
    g_autoptr(GError) error = NULL;
    guint status = 0;

    g_assert_true(vnc_client_set_desktop_size(rig->vnc, width, height,
                                              &error));
    g_assert_true(vnc_client_wait_resize_answer(rig->vnc, &status,
                                                pvgpu_deadline(), &error));
    g_assert_no_error(error);
    g_assert_cmpuint(status, ==, RFB_STATUS_FORWARDED);
}

/* The backend's hint count reaches count and the last hint is w x h. */
static void assert_hint(Rig *rig, guint64 count, guint32 w, guint32 h)
{
    struct pvgpu_display_hint hint;

    g_assert_true(fake_backend_wait_count(rig->fx->backend,
                                          FAKE_COUNT_DISPLAY_HINTS, count,
                                          pvgpu_deadline()));
    hint = fake_backend_last_hint(rig->fx->backend);
    g_assert_cmpuint(hint.scanout_id, ==, 0);
    g_assert_cmpuint(hint.width, ==, w);
    g_assert_cmpuint(hint.height, ==, h);
    g_assert_cmpuint(hint.reserved, ==, 0);
}

static void test_viewer_resize_sends_hint(void)
{
    Rig rig = start(HINT_FEATURES);

    g_assert_cmpuint(fake_backend_count(rig.fx->backend,
                                        FAKE_COUNT_DISPLAY_HINTS), ==, 0);
    resize_viewer(&rig, 800, 600);
    assert_hint(&rig, 1, 800, 600);
    resize_viewer(&rig, 1280, 720);
    assert_hint(&rig, 2, 1280, 720);
    g_assert_cmpuint(fake_backend_count(rig.fx->backend,
                                        FAKE_COUNT_BAD_MESSAGES), ==, 0);
    rig_free(&rig);
}

/* A viewer bigger than the protocol allows gets the protocol's limit. */
static void test_hint_clamped_to_limit(void)
{
    Rig rig = start(HINT_FEATURES);

    resize_viewer(&rig, 20000, 300);
    assert_hint(&rig, 1, PVGPU_MAX_DIMENSION, 300);
    rig_free(&rig);
}

/* A restarted backend learns the viewer's size at its handshake. */
static void test_hint_resent_after_reconnect(void)
{
    Rig rig = start(HINT_FEATURES);
    guint64 handshakes;
    guint64 hints;

    resize_viewer(&rig, 1024, 600);
    assert_hint(&rig, 1, 1024, 600);
    handshakes = fake_backend_count(rig.fx->backend, FAKE_COUNT_HANDSHAKES);
    hints = fake_backend_count(rig.fx->backend, FAKE_COUNT_DISPLAY_HINTS);
    fake_backend_drop_connection(rig.fx->backend);
    g_assert_true(fake_backend_wait_count(rig.fx->backend,
                                          FAKE_COUNT_HANDSHAKES,
                                          handshakes + 1, pvgpu_deadline()));
    assert_hint(&rig, hints + 1, 1024, 600);
    rig_free(&rig);
}

/* Without the acknowledged feature the backend never sees a hint; the
 * device stays connected. */
static void test_no_hint_without_feature(void)
{
    Rig rig = start(PVGPU_FEATURE_SHMEM_FD | PVGPU_FEATURE_DISPLAY);
    PvgpuMark mark = pvgpu_mark(rig.fx);

    resize_viewer(&rig, 800, 600);
    /* the hint would be queued by the time QMP answers (both run in
     * QEMU's main loop, the hint first: console.c's timer is due now) */
    g_usleep(100000);
    pvgpu_assert_qemu_responsive(rig.fx);
    g_usleep(100000);
    g_assert_cmpuint(fake_backend_count(rig.fx->backend,
                                        FAKE_COUNT_DISPLAY_HINTS), ==, 0);
    g_assert_cmpuint(fake_backend_count(rig.fx->backend,
                                        FAKE_COUNT_BAD_MESSAGES), ==, 0);
    g_assert_cmpuint(fake_backend_count(rig.fx->backend,
                                        FAKE_COUNT_DISCONNECTS), ==,
                     mark.disconnects);
    rig_free(&rig);
}

int main(int argc, char **argv)
{
    pvgpu_test_init(&argc, &argv);
    pvgpu_test_add("/pvgpu/display-hint/viewer-resize-sends-hint",
                   test_viewer_resize_sends_hint);
    pvgpu_test_add("/pvgpu/display-hint/clamped-to-limit",
                   test_hint_clamped_to_limit);
    pvgpu_test_add("/pvgpu/display-hint/resent-after-reconnect",
                   test_hint_resent_after_reconnect);
    pvgpu_test_add("/pvgpu/display-hint/no-hint-without-feature",
                   test_no_hint_without_feature);
    return pvgpu_test_run();
}
