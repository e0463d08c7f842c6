/* SPDX-License-Identifier: MIT */
/*
 * The pointer in QEMU's UI (PVGPU_FEATURE_DISPLAY_CURSOR): a DISPLAY_CURSOR
 * from the backend, its image in a sealed memfd, is what a VNC viewer gets
 * as the cursor shape (RichCursor: pixels, hotspot, opaque mask); every
 * malformed cursor message is a protocol error QEMU survives.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pvgpu-fixture.h"
#include "test-runner.h"
#include "vnc-client.h"

#define CURSOR_FEATURES \
    (PVGPU_FEATURE_SHMEM_FD | PVGPU_FEATURE_DISPLAY | \
     PVGPU_FEATURE_DISPLAY_CURSOR)
#define CUR_W 5
#define CUR_H 4

/* B8G8R8A8 as a little-endian word: opaque except where x == y. */
static guint32 cursor_argb(guint32 x, guint32 y)
{
    guint32 alpha = x == y ? 0x40u : 0xffu;

    return alpha << 24 | (x * 40) << 16 | (y * 50) << 8 | 0x33u;
}

/* A sealed memfd holding the image, or with seals 0 an unsealed one. */
static int cursor_memfd(gsize size, int seals)
{
    int fd = memfd_create("pvgpu-cursor-test", MFD_CLOEXEC |
                                                   MFD_ALLOW_SEALING);
    guint8 *map;

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, (off_t)size), ==, 0);
    map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    g_assert_true(map != MAP_FAILED);
    for (guint32 y = 0; y < CUR_H; y++) {
        for (guint32 x = 0; x < CUR_W; x++) {
            guint32 v = cursor_argb(x, y);

            if ((y * CUR_W + x + 1) * 4 <= size) {
                memcpy(map + (y * CUR_W + x) * 4, &v, 4);
            }
        }
    }
    munmap(map, size);
    if (seals) {
        g_assert_cmpint(fcntl(fd, F_ADD_SEALS, seals), ==, 0);
    }
    return fd;
}

static struct pvgpu_display_cursor cursor_shape(void)
{
    return (struct pvgpu_display_cursor){
        .flags = PVGPU_DISPLAY_CURSOR_VISIBLE | PVGPU_DISPLAY_CURSOR_SHAPE,
        .x = 30, .y = 40, .hot_x = 1, .hot_y = 2,
        .width = CUR_W, .height = CUR_H,
    };
}

static void send_cursor(PvgpuFixture *fx,
                        const struct pvgpu_display_cursor *c, const int *fds,
                        guint nfds)
{
    guint8 msg[PVGPU_IPC_MAX_MSG_SIZE];
    size_t len;

    g_assert_cmpint(pvgpu_ipc_encode_display_cursor(msg, sizeof(msg), c,
                                                    &len),
                    ==, PVGPU_CODEC_OK);
    g_assert_true(fake_backend_send_with_fds(fx->backend, msg, len, fds,
                                             nfds));
}

static PvgpuFixture *start(guint64 ack_features)
{
    PvgpuFixtureOptions opts = { .ack_features = ack_features,
                                 .vnc = TRUE };
    PvgpuFixture *fx = pvgpu_fixture_start(&opts);
    FakeHandshake hs;

    pvgpu_assert_ready(fx);
    hs = fake_backend_last_handshake(fx->backend);
    g_assert_cmphex(hs.ext.features & PVGPU_FEATURE_DISPLAY_CURSOR, ==,
                    PVGPU_FEATURE_DISPLAY_CURSOR);
    return fx;
}

static void test_cursor_shown_to_viewer(void)
{
    g_autoptr(PvgpuFixture) fx = start(CURSOR_FEATURES);
    g_autoptr(GError) error = NULL;
    g_autoptr(VncClient) vnc = vnc_client_connect(fx->vnc_path,
                                                  pvgpu_deadline(), &error);
    struct pvgpu_display_cursor c = cursor_shape();
    int fd = cursor_memfd(CUR_W * CUR_H * 4, F_SEAL_SHRINK);
    PvgpuMark mark = pvgpu_mark(fx);
    const VncCursor *seen;

    g_assert_no_error(error);
    send_cursor(fx, &c, &fd, 1);
    close(fd);
    g_assert_true(vnc_client_wait_cursor(vnc, 1, pvgpu_deadline(), &error));
    g_assert_no_error(error);
    seen = vnc_client_cursor(vnc);
    g_assert_cmpuint(seen->width, ==, CUR_W);
    g_assert_cmpuint(seen->height, ==, CUR_H);
    g_assert_cmpuint(seen->hot_x, ==, 1);
    g_assert_cmpuint(seen->hot_y, ==, 2);
    for (guint32 y = 0; y < CUR_H; y++) {
        for (guint32 x = 0; x < CUR_W; x++) {
            gboolean opaque = (seen->mask[y] >> (7 - x)) & 1;

            g_assert_cmphex(seen->pixels[y * CUR_W + x] & 0xffffff, ==,
                            cursor_argb(x, y) & 0xffffff);
            g_assert_cmpint(opaque, ==, x != y);
        }
    }
    /* moves and hiding carry no image and keep the connection */
    c = (struct pvgpu_display_cursor){
        .flags = PVGPU_DISPLAY_CURSOR_VISIBLE, .x = -3, .y = 900 };
    send_cursor(fx, &c, NULL, 0);
    c.flags = 0;
    send_cursor(fx, &c, NULL, 0);
    pvgpu_assert_qemu_responsive(fx);
    g_assert_cmpuint(fake_backend_count(fx->backend, FAKE_COUNT_DISCONNECTS),
                     ==, mark.disconnects);
    g_assert_cmpuint(fake_backend_count(fx->backend, FAKE_COUNT_HANDSHAKES),
                     ==, mark.handshakes);
}

static void check_refused(const struct pvgpu_display_cursor *c, gsize size,
                          int seals, gboolean with_fd)
{
    g_autoptr(PvgpuFixture) fx = start(CURSOR_FEATURES);
    PvgpuMark mark = pvgpu_mark(fx);
    int fd = cursor_memfd(size, seals);

    send_cursor(fx, c, &fd, with_fd ? 1 : 0);
    close(fd);
    pvgpu_assert_survived_and_reconnected(fx, &mark);
}

static void test_hostile_shape_without_fd(void)
{
    struct pvgpu_display_cursor c = cursor_shape();

    check_refused(&c, CUR_W * CUR_H * 4, F_SEAL_SHRINK, FALSE);
}

static void test_hostile_unsealed_image(void)
{
    struct pvgpu_display_cursor c = cursor_shape();

    check_refused(&c, CUR_W * CUR_H * 4, 0, TRUE);
}

static void test_hostile_image_too_small(void)
{
    struct pvgpu_display_cursor c = cursor_shape();

    check_refused(&c, CUR_W * CUR_H * 4 - 4, F_SEAL_SHRINK, TRUE);
}

static void test_hostile_move_with_fd(void)
{
    struct pvgpu_display_cursor c = {
        .flags = PVGPU_DISPLAY_CURSOR_VISIBLE, .x = 1, .y = 1 };

    check_refused(&c, CUR_W * CUR_H * 4, F_SEAL_SHRINK, TRUE);
}

static void test_hostile_bad_fields(void)
{
    static const struct pvgpu_display_cursor bad[] = {
        { .flags = PVGPU_DISPLAY_CURSOR_SHAPE, .width = 65, .height = 4 },
        { .flags = PVGPU_DISPLAY_CURSOR_SHAPE, .width = 5, .height = 4,
          .hot_x = 5 },
        { .flags = PVGPU_DISPLAY_CURSOR_SHAPE | 0x80, .width = 5,
          .height = 4 },
        { .flags = PVGPU_DISPLAY_CURSOR_VISIBLE, .width = 5, .height = 4 },
        { .scanout_id = 1, .flags = PVGPU_DISPLAY_CURSOR_VISIBLE },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        check_refused(&bad[i], CUR_W * CUR_H * 4, F_SEAL_SHRINK,
                      bad[i].flags & PVGPU_DISPLAY_CURSOR_SHAPE);
    }
}

/* A backend that did not get display-cursor acknowledged must not send
 * it. */
static void test_hostile_not_negotiated(void)
{
    g_autoptr(PvgpuFixture) fx = start(PVGPU_FEATURE_SHMEM_FD |
                                       PVGPU_FEATURE_DISPLAY);
    PvgpuMark mark = pvgpu_mark(fx);
    struct pvgpu_display_cursor c = {
        .flags = PVGPU_DISPLAY_CURSOR_VISIBLE, .x = 1, .y = 1 };

    send_cursor(fx, &c, NULL, 0);
    pvgpu_assert_survived_and_reconnected(fx, &mark);
}

int main(int argc, char **argv)
{
    pvgpu_test_init(&argc, &argv);
    pvgpu_test_add("/pvgpu/display-cursor/shown-to-viewer",
                   test_cursor_shown_to_viewer);
    pvgpu_test_add("/pvgpu/display-cursor/hostile/shape-without-fd",
                   test_hostile_shape_without_fd);
    pvgpu_test_add("/pvgpu/display-cursor/hostile/unsealed-image",
                   test_hostile_unsealed_image);
    pvgpu_test_add("/pvgpu/display-cursor/hostile/image-too-small",
                   test_hostile_image_too_small);
    pvgpu_test_add("/pvgpu/display-cursor/hostile/move-with-fd",
                   test_hostile_move_with_fd);
    pvgpu_test_add("/pvgpu/display-cursor/hostile/bad-fields",
                   test_hostile_bad_fields);
    pvgpu_test_add("/pvgpu/display-cursor/hostile/not-negotiated",
                   test_hostile_not_negotiated);
    return pvgpu_test_run();
}
