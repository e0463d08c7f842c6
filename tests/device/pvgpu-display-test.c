/* SPDX-License-Identifier: MIT */
/*
 * The pvgpu console (PVGPU_FEATURE_DISPLAY) against a scripted backend:
 * the frame in the memfd the backend hands over is what QMP screendump of
 * the device's console shows, updates show without a new descriptor (the
 * mapping is the backend's memory), and every malformed display message
 * is a protocol error QEMU survives, without leaking descriptors.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pvgpu-fixture.h"
#include "screendump.h"
#include "test-log.h"
#include "test-runner.h"

#define FRAME_W 24
#define FRAME_H 10
#define FRAME_STRIDE (FRAME_W * 4 + 16) /* padding the device must skip */
#define FRAME_BYTES (FRAME_STRIDE * FRAME_H)
#define SEALS (F_SEAL_SHRINK | F_SEAL_GROW)

typedef struct {
    int fd;
    guint8 *map;
    gsize size;
} Frame;

static PvgpuFixture *start(guint64 ack_features)
{
    PvgpuFixtureOptions opts = { .ack_features = ack_features };
    PvgpuFixture *fx = pvgpu_fixture_start(&opts);
    FakeHandshake hs;

    pvgpu_assert_ready(fx);
    hs = fake_backend_last_handshake(fx->backend);
    g_assert_true(hs.has_ext);
    g_assert_cmphex(hs.ext.features & PVGPU_FEATURE_DISPLAY, ==,
                    PVGPU_FEATURE_DISPLAY);
    return fx;
}

static PvgpuFixture *start_display(void)
{
    return start(PVGPU_FEATURE_SHMEM_FD | PVGPU_FEATURE_DISPLAY);
}

static Frame frame_new(gsize size, int seals)
{
    Frame f = { .size = size };

    f.fd = memfd_create("pvgpu-display-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    g_assert_cmpint(f.fd, >=, 0);
    g_assert_cmpint(ftruncate(f.fd, (off_t)size), ==, 0);
    if (seals) {
        g_assert_cmpint(fcntl(f.fd, F_ADD_SEALS, seals), ==, 0);
    }
    f.map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd, 0);
    g_assert_true(f.map != MAP_FAILED);
    return f;
}

static void frame_free(Frame *f)
{
    munmap(f->map, f->size);
    close(f->fd);
}

/* B8G8R8X8 test pattern, shifted by seed; padding bytes are garbage. */
static void frame_draw(Frame *f, guint seed)
{
    memset(f->map, 0x5a, f->size);
    for (guint32 y = 0; y < FRAME_H; y++) {
        for (guint32 x = 0; x < FRAME_W; x++) {
            guint8 *p = f->map + y * FRAME_STRIDE + x * 4;

            p[0] = (guint8)(x * 7 + seed);
            p[1] = (guint8)(y * 13);
            p[2] = (guint8)((x + y) * 3 + seed * 5);
            p[3] = 0x11; /* X: not shown */
        }
    }
}

/* What the console should show of f: RGB rows without padding. */
static guint8 *frame_rgb(const Frame *f)
{
    guint8 *rgb = g_malloc(FRAME_W * FRAME_H * 3);

    for (guint32 y = 0; y < FRAME_H; y++) {
        for (guint32 x = 0; x < FRAME_W; x++) {
            const guint8 *p = f->map + y * FRAME_STRIDE + x * 4;
            guint8 *o = rgb + (y * FRAME_W + x) * 3;

            o[0] = p[2];
            o[1] = p[1];
            o[2] = p[0];
        }
    }
    return rgb;
}

static struct pvgpu_display_scanout frame_scanout(void)
{
    return (struct pvgpu_display_scanout){
        .format = PVGPU_FORMAT_B8G8R8X8_UNORM,
        .width = FRAME_W,
        .height = FRAME_H,
        .stride = FRAME_STRIDE,
    };
}

static void send_scanout(PvgpuFixture *fx,
                         const struct pvgpu_display_scanout *so,
                         const int *fds, guint nfds)
{
    guint8 msg[PVGPU_IPC_MAX_MSG_SIZE];
    size_t len;

    g_assert_cmpint(pvgpu_ipc_encode_display_scanout(msg, sizeof(msg), so,
                                                     &len),
                    ==, PVGPU_CODEC_OK);
    g_assert_true(fake_backend_send_with_fds(fx->backend, msg, len, fds,
                                             nfds));
}

static void send_update(PvgpuFixture *fx, guint32 x, guint32 y, guint32 w,
                        guint32 h)
{
    struct pvgpu_display_update up = { .rect = { x, y, w, h } };
    guint8 msg[PVGPU_IPC_MAX_MSG_SIZE];
    size_t len;

    g_assert_cmpint(pvgpu_ipc_encode_display_update(msg, sizeof(msg), &up,
                                                    &len),
                    ==, PVGPU_CODEC_OK);
    g_assert_true(fake_backend_send_raw(fx->backend, msg, len));
}

static void assert_shows_frame(PvgpuFixture *fx, const Frame *f)
{
    g_autofree guint8 *want = frame_rgb(f);

    screendump_wait_for(fx->qt, fx->tmpdir, "pvgpu0", want, FRAME_W,
                        FRAME_H);
}

/* Shows f as the scanout and waits until the console shows it. */
static void show_frame(PvgpuFixture *fx, const Frame *f)
{
    struct pvgpu_display_scanout so = frame_scanout();

    send_scanout(fx, &so, &f->fd, 1);
    send_update(fx, 0, 0, FRAME_W, FRAME_H);
    assert_shows_frame(fx, f);
}

/* The console shows anything but f (QEMU's placeholder). */
static void assert_not_showing(PvgpuFixture *fx, const Frame *f)
{
    g_autofree guint8 *want = frame_rgb(f);
    gint64 deadline = pvgpu_deadline();

    while (screendump_shows(fx->qt, fx->tmpdir, "pvgpu0", want, FRAME_W,
                            FRAME_H)) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(20000);
    }
}

static void test_frame_shown(void)
{
    g_autoptr(PvgpuFixture) fx = start_display();
    Frame f = frame_new(FRAME_BYTES, SEALS);
    PvgpuMark mark = pvgpu_mark(fx);

    frame_draw(&f, 0);
    show_frame(fx, &f);

    /* the console maps the backend's memory: new pixels and an update,
     * no new descriptor */
    frame_draw(&f, 9);
    send_update(fx, 2, 3, 4, 5);
    assert_shows_frame(fx, &f);
    g_assert_cmpuint(fake_backend_count(fx->backend,
                                        FAKE_COUNT_DISCONNECTS), ==,
                     mark.disconnects);
    frame_free(&f);
}

/* A primary qxl-vga must be console 0. A pvgpu realized before it (as a
 * "-device pvgpu,..." from libvirt's <qemu:commandline> is, before libvirt's
 * JSON devices) leaves it that number and is the next console. */
static void test_console_after_primary_display(void)
{
    const char *const qxl[] = { "-device", "qxl-vga,id=vga0", NULL };
    PvgpuFixtureOptions opts = {
        .ack_features = PVGPU_FEATURE_SHMEM_FD | PVGPU_FEATURE_DISPLAY,
        .extra_args = qxl,
    };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);
    Frame f = frame_new(FRAME_BYTES, SEALS);
    g_autofree guint8 *want = NULL;
    g_autofree guint8 *console0 = NULL;
    guint32 w = 0, h = 0;

    pvgpu_assert_ready(fx);
    frame_draw(&f, 3);
    show_frame(fx, &f);
    want = frame_rgb(&f);
    console0 = screendump_rgb(fx->qt, fx->tmpdir, NULL, &w, &h);
    g_assert_false(w == FRAME_W && h == FRAME_H &&
                   memcmp(console0, want, (gsize)w * h * 3) == 0);
    frame_free(&f);
}

static void test_disable_shows_placeholder(void)
{
    g_autoptr(PvgpuFixture) fx = start_display();
    Frame f = frame_new(FRAME_BYTES, SEALS);
    struct pvgpu_display_scanout off = { 0 };
    PvgpuMark mark = pvgpu_mark(fx);

    frame_draw(&f, 1);
    show_frame(fx, &f);
    send_scanout(fx, &off, NULL, 0);
    assert_not_showing(fx, &f);
    /* and a frame can come back */
    show_frame(fx, &f);
    g_assert_cmpuint(fake_backend_count(fx->backend,
                                        FAKE_COUNT_DISCONNECTS), ==,
                     mark.disconnects);
    frame_free(&f);
}

/* A backend that goes away takes its frame with it. */
static void test_backend_lost_shows_placeholder(void)
{
    g_autoptr(PvgpuFixture) fx = start_display();
    Frame f = frame_new(FRAME_BYTES, SEALS);

    frame_draw(&f, 2);
    show_frame(fx, &f);
    fake_backend_drop_connection(fx->backend);
    assert_not_showing(fx, &f);
    frame_free(&f);
}

/* Each new frame's descriptor is closed once mapped; the old mapping
 * goes when the next frame replaces it. */
static void test_frames_do_not_leak(void)
{
    g_autoptr(PvgpuFixture) fx = start_display();
    ChildProcess *proc = qt_process(fx->qt);
    Frame first = frame_new(FRAME_BYTES, SEALS);
    int fds_before;

    frame_draw(&first, 0);
    show_frame(fx, &first);
    fds_before = child_process_count_fds(proc);
    for (guint i = 1; i <= 16; i++) {
        Frame f = frame_new(FRAME_BYTES, SEALS);

        frame_draw(&f, i);
        show_frame(fx, &f);
        frame_free(&f);
    }
    g_assert_cmpint(child_process_count_fds(proc), <=, fds_before);
    frame_free(&first);
}

/* ---- hostile display messages ----------------------------------------- */

static void assert_refused(PvgpuFixture *fx, const PvgpuMark *mark)
{
    pvgpu_assert_survived_and_reconnected(fx, mark);
    pvgpu_assert_ready(fx);
}

static void check_bad_scanout(gsize size, int seals,
                              struct pvgpu_display_scanout so)
{
    g_autoptr(PvgpuFixture) fx = start_display();
    PvgpuMark mark = pvgpu_mark(fx);
    Frame f = frame_new(size, seals);

    send_scanout(fx, &so, &f.fd, 1);
    assert_refused(fx, &mark);
    frame_free(&f);
}

static void test_hostile_unsealed_frame(void)
{
    check_bad_scanout(FRAME_BYTES, 0, frame_scanout());
}

static void test_hostile_grow_seal_only(void)
{
    check_bad_scanout(FRAME_BYTES, F_SEAL_GROW, frame_scanout());
}

static void test_hostile_frame_too_small(void)
{
    check_bad_scanout(FRAME_BYTES - 1, SEALS, frame_scanout());
}

static void test_hostile_frame_larger_than_memfd(void)
{
    struct pvgpu_display_scanout so = frame_scanout();

    so.width = so.height = PVGPU_MAX_DIMENSION;
    so.stride = PVGPU_MAX_DIMENSION * 4;
    check_bad_scanout(FRAME_BYTES, SEALS, so);
}

static void test_hostile_scanout_without_fd(void)
{
    g_autoptr(PvgpuFixture) fx = start_display();
    PvgpuMark mark = pvgpu_mark(fx);
    struct pvgpu_display_scanout so = frame_scanout();

    send_scanout(fx, &so, NULL, 0);
    assert_refused(fx, &mark);
}

static void test_hostile_scanout_pipe_fd(void)
{
    g_autoptr(PvgpuFixture) fx = start_display();
    PvgpuMark mark = pvgpu_mark(fx);
    struct pvgpu_display_scanout so = frame_scanout();
    int p[2];

    g_assert_cmpint(pipe(p), ==, 0);
    send_scanout(fx, &so, &p[0], 1);
    assert_refused(fx, &mark);
    close(p[0]);
    close(p[1]);
}

static void test_hostile_scanout_two_fds(void)
{
    g_autoptr(PvgpuFixture) fx = start_display();
    PvgpuMark mark = pvgpu_mark(fx);
    struct pvgpu_display_scanout so = frame_scanout();
    Frame a = frame_new(FRAME_BYTES, SEALS);
    Frame b = frame_new(FRAME_BYTES, SEALS);
    int fds[2] = { a.fd, b.fd };

    send_scanout(fx, &so, fds, 2);
    assert_refused(fx, &mark);
    frame_free(&a);
    frame_free(&b);
}

static void test_hostile_disable_with_fd(void)
{
    g_autoptr(PvgpuFixture) fx = start_display();
    PvgpuMark mark = pvgpu_mark(fx);
    struct pvgpu_display_scanout off = { 0 };
    Frame f = frame_new(FRAME_BYTES, SEALS);

    send_scanout(fx, &off, &f.fd, 1);
    assert_refused(fx, &mark);
    frame_free(&f);
}

static void test_hostile_update_outside_frame(void)
{
    g_autoptr(PvgpuFixture) fx = start_display();
    PvgpuMark mark = pvgpu_mark(fx);
    Frame f = frame_new(FRAME_BYTES, SEALS);

    frame_draw(&f, 3);
    show_frame(fx, &f);
    send_update(fx, FRAME_W - 2, 0, 3, 1);
    assert_refused(fx, &mark);
    frame_free(&f);
}

static void test_hostile_update_without_scanout(void)
{
    g_autoptr(PvgpuFixture) fx = start_display();
    PvgpuMark mark = pvgpu_mark(fx);

    send_update(fx, 0, 0, 1, 1);
    assert_refused(fx, &mark);
}

/* A backend that did not acknowledge DISPLAY may not use it. */
static void test_hostile_display_not_negotiated(void)
{
    g_autoptr(PvgpuFixture) fx = start(PVGPU_FEATURE_SHMEM_FD);
    PvgpuMark mark = pvgpu_mark(fx);
    struct pvgpu_display_scanout so = frame_scanout();
    Frame f = frame_new(FRAME_BYTES, SEALS);

    send_scanout(fx, &so, &f.fd, 1);
    assert_refused(fx, &mark);
    frame_free(&f);
}

/* Protocol errors close the descriptors that came with the message. */
static void test_hostile_refused_fds_closed(void)
{
    g_autoptr(PvgpuFixture) fx = start_display();
    ChildProcess *proc = qt_process(fx->qt);
    int fds_before = child_process_count_fds(proc);

    for (guint i = 0; i < 8; i++) {
        struct pvgpu_display_scanout so = frame_scanout();
        Frame f = frame_new(FRAME_BYTES, 0);

        send_scanout(fx, &so, &f.fd, 1);
        g_assert_true(fake_backend_wait_count(fx->backend,
                                              FAKE_COUNT_HANDSHAKES, i + 2,
                                              pvgpu_deadline()));
        pvgpu_assert_qemu_responsive(fx);
        frame_free(&f);
        pvgpu_assert_ready(fx);
    }
    g_assert_cmpint(child_process_count_fds(proc), <=, fds_before);
}

int main(int argc, char **argv)
{
    pvgpu_test_init(&argc, &argv);
    pvgpu_test_add("/pvgpu/display/frame-shown", test_frame_shown);
    pvgpu_test_add("/pvgpu/display/console-after-primary-display",
                   test_console_after_primary_display);
    pvgpu_test_add("/pvgpu/display/disable-shows-placeholder",
                   test_disable_shows_placeholder);
    pvgpu_test_add("/pvgpu/display/backend-lost-shows-placeholder",
                   test_backend_lost_shows_placeholder);
    pvgpu_test_add("/pvgpu/display/frames-do-not-leak",
                   test_frames_do_not_leak);
    pvgpu_test_add("/pvgpu/display/hostile/unsealed-frame",
                   test_hostile_unsealed_frame);
    pvgpu_test_add("/pvgpu/display/hostile/grow-seal-only",
                   test_hostile_grow_seal_only);
    pvgpu_test_add("/pvgpu/display/hostile/frame-too-small",
                   test_hostile_frame_too_small);
    pvgpu_test_add("/pvgpu/display/hostile/frame-larger-than-memfd",
                   test_hostile_frame_larger_than_memfd);
    pvgpu_test_add("/pvgpu/display/hostile/scanout-without-fd",
                   test_hostile_scanout_without_fd);
    pvgpu_test_add("/pvgpu/display/hostile/scanout-pipe-fd",
                   test_hostile_scanout_pipe_fd);
    pvgpu_test_add("/pvgpu/display/hostile/scanout-two-fds",
                   test_hostile_scanout_two_fds);
    pvgpu_test_add("/pvgpu/display/hostile/disable-with-fd",
                   test_hostile_disable_with_fd);
    pvgpu_test_add("/pvgpu/display/hostile/update-outside-frame",
                   test_hostile_update_outside_frame);
    pvgpu_test_add("/pvgpu/display/hostile/update-without-scanout",
                   test_hostile_update_without_scanout);
    pvgpu_test_add("/pvgpu/display/hostile/display-not-negotiated",
                   test_hostile_display_not_negotiated);
    pvgpu_test_add("/pvgpu/display/hostile/refused-fds-closed",
                   test_hostile_refused_fds_closed);
    return pvgpu_test_run();
}
