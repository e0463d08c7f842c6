/* SPDX-License-Identifier: MIT */
/*
 * QEMU's pvgpu device with the real pvgpu-backend: the test plays the guest
 * driver through qtest (commands into the ring in BAR2, doorbell, MSI-X
 * messages into guest RAM) and checks what the backend did, down to the
 * pixels of its screenshot.
 */
#include <string.h>

#include "guest-commands.h"
#include "png-image.h"
#include "pvgpu-fixture.h"
#include "real-backend.h"
#include "screendump.h"
#include "test-log.h"
#include "test-runner.h"

#define SHMEM_SIZE (64ull << 20)
#define ALL_VECTORS ((1u << PVGPU_NUM_VECTORS) - 1)

/* The scene of the screenshot test. */
#define SCENE_W 64
#define SCENE_H 48
#define BG_COLOR 0xff102030u   /* B8G8R8A8 in a little-endian u32 */
#define BOX_COLOR 0x80c00000u  /* red, half transparent */
#define TILE_W 16
#define TILE_H 8
#define TILE_X 10
#define TILE_Y 12
#define TILE_STRIDE (TILE_W * 4 + 32)
#define TILE_HEAP_OFFSET 0x2000u

typedef struct {
    PvgpuFixture *fx;
    RealBackend *backend;
    GuestRing ring;
} Rig;

static void rig_free(Rig *rig)
{
    real_backend_free(rig->backend);
    pvgpu_fixture_free(rig->fx);
    g_free(rig);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Rig, rig_free)

/* Waits for READY and starts from no pending interrupt. */
static void rig_wait_ready(Rig *rig)
{
    pvgpu_assert_ready(rig->fx);
    pvgpu_reg_write(rig->fx, PVGPU_REG_IRQ_STATUS, ALL_VECTORS);
    pci_msix_take_message(&rig->fx->pci, PVGPU_VECTOR_DEVICE);
}

static Rig *rig_start(void)
{
    PvgpuFixtureOptions opts = { .no_backend = TRUE,
                                 .device_props = "shmem_size=64M" };
    Rig *rig = g_new0(Rig, 1);

    rig->fx = pvgpu_fixture_start(&opts);
    pci_msix_enable(&rig->fx->pci);
    pci_msix_route_to_ram(&rig->fx->pci, PVGPU_NUM_VECTORS);
    rig->backend = real_backend_start(pvgpu_test_backend_binary(),
                                      rig->fx->tmpdir,
                                      rig->fx->socket_path);
    rig_wait_ready(rig);
    guest_ring_init(&rig->ring, rig->fx->qt, rig->fx->regs, rig->fx->shmem,
                    SHMEM_SIZE);
    return rig;
}

static void wait_fence(Rig *rig, guint64 fence_id)
{
    g_assert_true(guest_ring_wait_fence(&rig->ring, fence_id,
                                        pvgpu_deadline()));
}

static void wait_vector(Rig *rig, guint vector)
{
    g_assert_true(pci_msix_wait_message(&rig->fx->pci, vector,
                                        pvgpu_deadline()));
}

/* Waits until the backend consumed everything that was submitted. */
static void wait_consumed(Rig *rig)
{
    gint64 deadline = pvgpu_deadline();

    while (GUEST_CTRL64(&rig->ring, consumer) != rig->ring.producer) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(1000);
    }
}

static void test_backend_fence(void)
{
    g_autoptr(Rig) rig = rig_start();
    g_autoptr(JsonObject) status = NULL;

    /* the backend implements the 2D command set */
    g_assert_cmphex(pvgpu_reg_read(rig->fx, PVGPU_REG_FEATURES_LO) &
                    PVGPU_FEATURE_2D, ==, PVGPU_FEATURE_2D);
    status = real_backend_status(rig->backend);
    g_assert_true(json_object_get_boolean_member(status, "connected"));
    g_assert_true(json_object_get_boolean_member(status, "ready"));
    g_assert_cmpuint(json_object_get_int_member(status, "shmem_size"), ==,
                     SHMEM_SIZE);

    cmd_fence(&rig->ring, 1, PVGPU_FENCE_FLAG_IRQ);
    guest_ring_submit(&rig->ring);
    wait_fence(rig, 1);
    wait_vector(rig, PVGPU_VECTOR_FENCE);
    g_assert_cmphex(pvgpu_reg_read(rig->fx, PVGPU_REG_IRQ_STATUS), ==,
                    1u << PVGPU_VECTOR_FENCE);
    wait_consumed(rig);

    /* many fences in one batch: the last one counts */
    for (guint64 f = 2; f <= 40; f++) {
        cmd_fence(&rig->ring, f, f == 40 ? PVGPU_FENCE_FLAG_IRQ : 0);
    }
    guest_ring_submit(&rig->ring);
    wait_fence(rig, 40);
    wait_vector(rig, PVGPU_VECTOR_FENCE);
    g_assert_cmpuint(GUEST_CTRL32(&rig->ring, error_count), ==, 0);
}

/* B8G8R8A8 bytes of a little-endian u32 color, as RGBA. */
static void color_to_rgba(guint32 color, guint8 *rgba)
{
    rgba[0] = (guint8)(color >> 16);
    rgba[1] = (guint8)(color >> 8);
    rgba[2] = (guint8)color;
    rgba[3] = (guint8)(color >> 24);
}

/* Tile pixel (x, y) in memory order B, G, R, A. */
static void tile_pixel(guint32 x, guint32 y, guint8 *bgra)
{
    bgra[0] = (guint8)(x * 16);
    bgra[1] = (guint8)(y * 32);
    bgra[2] = 0x80;
    bgra[3] = 0xff;
}

static void fill_expected(guint8 *img, guint32 color, struct pvgpu_rect r)
{
    for (guint32 y = r.y; y < r.y + r.height && y < SCENE_H; y++) {
        for (guint32 x = r.x; x < r.x + r.width && x < SCENE_W; x++) {
            color_to_rgba(color, img + (y * SCENE_W + x) * 4);
        }
    }
}

/*
 * Draws a scene (fill, upload from the heap, a clipped fill), shows it,
 * and compares the backend's screenshot with the expected pixels.
 */
/* Draws the scene (fill, upload from the heap, a clipped fill), shows it,
 * and waits until the backend presented it. */
static void draw_scene(Rig *rig)
{
    const struct pvgpu_rect all = { 0, 0, SCENE_W, SCENE_H };
    const struct pvgpu_rect box = { 40, 30, 100, 100 }; /* clipped */
    g_autofree guint8 *tile = g_malloc0(TILE_STRIDE * TILE_H);

    /* the tile in the heap, with garbage between rows */
    memset(tile, 0xee, TILE_STRIDE * TILE_H);
    for (guint32 y = 0; y < TILE_H; y++) {
        for (guint32 x = 0; x < TILE_W; x++) {
            tile_pixel(x, y, tile + y * TILE_STRIDE + x * 4);
        }
    }
    qt_memwrite(rig->fx->qt, rig->fx->shmem + PVGPU_HEAP_OFFSET +
                TILE_HEAP_OFFSET, tile, TILE_STRIDE * TILE_H);

    cmd_resource_create(&rig->ring, 1, PVGPU_FORMAT_B8G8R8A8_UNORM, SCENE_W,
                        SCENE_H);
    cmd_fill_rect(&rig->ring, 1, BG_COLOR, all);
    cmd_resource_upload(&rig->ring, 1, TILE_STRIDE, TILE_HEAP_OFFSET,
                        (struct pvgpu_rect){ TILE_X, TILE_Y, TILE_W,
                                             TILE_H });
    cmd_fill_rect(&rig->ring, 1, BOX_COLOR, box);
    cmd_set_scanout(&rig->ring, 1, all);
    cmd_present(&rig->ring, PVGPU_PRESENT_FLAG_IRQ, all);
    cmd_fence(&rig->ring, 1, PVGPU_FENCE_FLAG_IRQ);
    guest_ring_submit(&rig->ring);
    wait_fence(rig, 1);
    wait_vector(rig, PVGPU_VECTOR_DISPLAY);
    wait_vector(rig, PVGPU_VECTOR_FENCE);
}

/* The scene's pixels as RGBA. */
static guint8 *scene_rgba(void)
{
    const struct pvgpu_rect all = { 0, 0, SCENE_W, SCENE_H };
    const struct pvgpu_rect box = { 40, 30, 100, 100 };
    guint8 *want = g_malloc0(SCENE_W * SCENE_H * 4);

    fill_expected(want, BG_COLOR, all);
    for (guint32 y = 0; y < TILE_H; y++) {
        for (guint32 x = 0; x < TILE_W; x++) {
            guint8 bgra[4];
            guint8 *px = want + ((TILE_Y + y) * SCENE_W + TILE_X + x) * 4;

            tile_pixel(x, y, bgra);
            px[0] = bgra[2];
            px[1] = bgra[1];
            px[2] = bgra[0];
            px[3] = bgra[3];
        }
    }
    fill_expected(want, BOX_COLOR, box);
    return want;
}

/* The backend's screenshot (what pvgpuctl screenshot saves), as RGBA. */
static guint8 *backend_screenshot(Rig *rig)
{
    g_autofree gchar *png = g_build_filename(rig->fx->tmpdir, "shot.png",
                                             NULL);
    g_autoptr(GError) error = NULL;
    guint32 w = 0, h = 0;
    guint8 *got;

    real_backend_screenshot(rig->backend, png, &w, &h);
    g_assert_cmpuint(w, ==, SCENE_W);
    g_assert_cmpuint(h, ==, SCENE_H);
    got = png_image_read_rgba(png, &w, &h, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(w, ==, SCENE_W);
    g_assert_cmpuint(h, ==, SCENE_H);
    return got;
}

/* Draws the scene and compares the backend's screenshot with it. */
static void test_backend_scanout_screenshot(void)
{
    g_autoptr(Rig) rig = rig_start();
    g_autofree guint8 *want = scene_rgba();
    g_autofree guint8 *got = NULL;

    draw_scene(rig);
    g_assert_cmpuint(GUEST_CTRL32(&rig->ring, error_count), ==, 0);
    g_assert_cmpuint(GUEST_CTRL32(&rig->ring, scanout_resource), ==, 1);
    g_assert_cmpuint(GUEST_CTRL32(&rig->ring, scanout_width), ==, SCENE_W);
    g_assert_cmpuint(GUEST_CTRL32(&rig->ring, scanout_height), ==, SCENE_H);
    g_assert_cmpuint(GUEST_CTRL32(&rig->ring, scanout_format), ==,
                     PVGPU_FORMAT_B8G8R8A8_UNORM);
    g_assert_cmpuint(GUEST_CTRL64(&rig->ring, present_count), ==, 1);

    got = backend_screenshot(rig);
    for (guint32 i = 0; i < SCENE_W * SCENE_H; i++) {
        if (memcmp(got + i * 4, want + i * 4, 4) != 0) {
            test_log("pixel (%u, %u): got %02x%02x%02x%02x want "
                     "%02x%02x%02x%02x", i % SCENE_W, i / SCENE_W,
                     got[i * 4], got[i * 4 + 1], got[i * 4 + 2],
                     got[i * 4 + 3], want[i * 4], want[i * 4 + 1],
                     want[i * 4 + 2], want[i * 4 + 3]);
            g_assert_not_reached();
        }
    }
}

/* RGB of RGBA pixels: what a console shows (alpha is not shown). */
static guint8 *rgba_to_rgb(const guint8 *rgba, guint32 n)
{
    guint8 *rgb = g_malloc(n * 3);

    for (guint32 i = 0; i < n; i++) {
        memcpy(rgb + i * 3, rgba + i * 4, 3);
    }
    return rgb;
}

/*
 * QEMU's console shows the backend's frame: QMP screendump of the pvgpu
 * console (what virsh screenshot, VNC and SPICE read) equals the backend's
 * screenshot pixel for pixel, after the first present and after a present
 * that damages only a few pixels.
 */
static void test_backend_console_matches_screenshot(void)
{
    g_autoptr(Rig) rig = rig_start();
    g_autofree guint8 *shot = NULL;
    g_autofree guint8 *want = NULL;
    g_autofree guint8 *shot2 = NULL;
    g_autofree guint8 *want2 = NULL;
    const struct pvgpu_rect dot = { 3, 4, 2, 1 };

    draw_scene(rig);
    shot = backend_screenshot(rig);
    want = rgba_to_rgb(shot, SCENE_W * SCENE_H);
    screendump_wait_for(rig->fx->qt, rig->fx->tmpdir, "pvgpu0", want,
                        SCENE_W, SCENE_H);

    cmd_fill_rect(&rig->ring, 1, 0xff00ff00u, dot);
    cmd_present(&rig->ring, 0, dot);
    cmd_fence(&rig->ring, 2, 0);
    guest_ring_submit(&rig->ring);
    wait_fence(rig, 2);
    shot2 = backend_screenshot(rig);
    want2 = rgba_to_rgb(shot2, SCENE_W * SCENE_H);
    g_assert_cmpint(memcmp(want, want2, SCENE_W * SCENE_H * 3), !=, 0);
    g_assert_cmphex(want2[(4 * SCENE_W + 3) * 3 + 1], ==, 0xff);
    screendump_wait_for(rig->fx->qt, rig->fx->tmpdir, "pvgpu0", want2,
                        SCENE_W, SCENE_H);
}

/* The last error report, acknowledged afterwards as a driver would. */
static void assert_error(Rig *rig, guint32 code, guint32 count)
{
    g_assert_cmphex(GUEST_CTRL32(&rig->ring, error_code), ==, code);
    g_assert_cmpuint(GUEST_CTRL32(&rig->ring, error_count), ==, count);
    wait_vector(rig, PVGPU_VECTOR_ERROR);
    g_assert_cmphex(pvgpu_reg_read(rig->fx, PVGPU_REG_STATUS) &
                    PVGPU_STATUS_ERROR, ==, PVGPU_STATUS_ERROR);
    guest_ctrl_write32(&rig->ring, offsetof(struct pvgpu_control, error_code),
                       0);
    pvgpu_reg_write(rig->fx, PVGPU_REG_STATUS, PVGPU_STATUS_ERROR);
    pvgpu_reg_write(rig->fx, PVGPU_REG_IRQ_STATUS, ALL_VECTORS);
}

/*
 * Hostile commands get error reports (error_* fields, ERROR vector,
 * STATUS.ERROR) and valid work after them still completes.
 */
static void test_backend_hostile_commands(void)
{
    g_autoptr(Rig) rig = rig_start();
    guint8 raw[32] = { 0 };
    guint64 bad_index;

    /* an unknown command type: refused, the next command runs */
    pvgpu_le32_store(raw, 0x0999);
    pvgpu_le32_store(raw + 4, 16);
    pvgpu_le32_store(raw + 12, 500);
    bad_index = rig->ring.producer;
    guest_ring_push_raw(&rig->ring, raw, 16);
    cmd_fence(&rig->ring, 10, PVGPU_FENCE_FLAG_IRQ);
    guest_ring_submit(&rig->ring);
    wait_fence(rig, 10);
    g_assert_cmphex(GUEST_CTRL32(&rig->ring, error_cmd_type), ==, 0x0999);
    g_assert_cmpuint(GUEST_CTRL32(&rig->ring, error_cmd_id), ==, 500);
    g_assert_cmpuint(GUEST_CTRL64(&rig->ring, error_ring_offset), ==,
                     bad_index);
    assert_error(rig, PVGPU_ERROR_CMD_UNKNOWN, 1);

    /* bad ids and heap ranges, each refused on its own */
    cmd_resource_create(&rig->ring, 0, PVGPU_FORMAT_B8G8R8A8_UNORM, 8, 8);
    cmd_fill_rect(&rig->ring, 77, 0, (struct pvgpu_rect){ 0, 0, 1, 1 });
    cmd_resource_create(&rig->ring, 5, PVGPU_FORMAT_B8G8R8A8_UNORM, 8, 8);
    cmd_resource_upload(&rig->ring, 5, 0xffffffffu, G_MAXUINT64 - 0xff,
                        (struct pvgpu_rect){ 0, 0, 8, 8 });
    cmd_resource_upload(&rig->ring, 5, 32, SHMEM_SIZE,
                        (struct pvgpu_rect){ 0, 0, 8, 8 });
    cmd_fence(&rig->ring, 11, PVGPU_FENCE_FLAG_IRQ);
    guest_ring_submit(&rig->ring);
    wait_fence(rig, 11);
    assert_error(rig, PVGPU_ERROR_HEAP_RANGE, 5);

    /* a framing error discards the rest of the batch, fence included */
    memset(raw, 0, sizeof(raw));
    pvgpu_le32_store(raw, PVGPU_CMD_NOP);
    pvgpu_le32_store(raw + 4, 0);
    guest_ring_push_raw(&rig->ring, raw, 16);
    cmd_fence(&rig->ring, 12, PVGPU_FENCE_FLAG_IRQ);
    guest_ring_submit(&rig->ring);
    wait_consumed(rig);
    assert_error(rig, PVGPU_ERROR_CMD_SIZE, 6);
    g_assert_cmpuint(GUEST_CTRL64(&rig->ring, fence_completed), ==, 11);

    /* a fence id that does not grow */
    cmd_fence(&rig->ring, 11, 0);
    cmd_fence(&rig->ring, 13, PVGPU_FENCE_FLAG_IRQ);
    guest_ring_submit(&rig->ring);
    wait_fence(rig, 13);
    assert_error(rig, PVGPU_ERROR_FENCE_ORDER, 7);

    /* and after all that, ordinary work */
    cmd_fill_rect(&rig->ring, 5, 0xff00ff00u,
                  (struct pvgpu_rect){ 0, 0, 8, 8 });
    cmd_fence(&rig->ring, 14, PVGPU_FENCE_FLAG_IRQ);
    guest_ring_submit(&rig->ring);
    wait_fence(rig, 14);
    wait_vector(rig, PVGPU_VECTOR_FENCE);
    g_assert_cmpuint(GUEST_CTRL32(&rig->ring, error_count), ==, 7);
    g_assert_cmphex(GUEST_CTRL32(&rig->ring, error_code), ==, 0);
    g_assert_cmphex(pvgpu_reg_read(rig->fx, PVGPU_REG_STATUS), ==,
                    PVGPU_STATUS_BACKEND_CONNECTED | PVGPU_STATUS_READY);
}

/*
 * SIGKILL while a long batch runs; a new backend on the same socket: the
 * device reconnects (GENERATION 2) and new work completes, with the
 * resources recreated as a driver does after DEVICE_LOST.
 */
static void test_backend_killed_restarted(void)
{
    g_autoptr(Rig) rig = rig_start();
    const struct pvgpu_rect big = { 0, 0, 1024, 1024 };
    const struct pvgpu_rect small = { 0, 0, 4, 4 };
    g_autofree gchar *png = g_build_filename(rig->fx->tmpdir, "after.png",
                                             NULL);
    g_autofree guint8 *pixels = NULL;
    g_autoptr(GError) error = NULL;
    guint32 w = 0, h = 0;

    cmd_resource_create(&rig->ring, 1, PVGPU_FORMAT_B8G8R8X8_UNORM, 1024,
                        1024);
    cmd_fence(&rig->ring, 1, 0);
    guest_ring_submit(&rig->ring);
    wait_fence(rig, 1);

    for (guint i = 0; i < 300; i++) {
        cmd_fill_rect(&rig->ring, 1, 0xff000000u | i, big);
    }
    cmd_fence(&rig->ring, 2, PVGPU_FENCE_FLAG_IRQ);
    guest_ring_submit(&rig->ring);
    real_backend_kill(g_steal_pointer(&rig->backend));

    g_assert_true(pvgpu_wait_reg(rig->fx, PVGPU_REG_STATUS,
                                 PVGPU_STATUS_DEVICE_LOST |
                                 PVGPU_STATUS_READY,
                                 PVGPU_STATUS_DEVICE_LOST,
                                 pvgpu_deadline()));
    wait_vector(rig, PVGPU_VECTOR_DEVICE);
    pvgpu_assert_qemu_responsive(rig->fx);

    rig->backend = real_backend_start(pvgpu_test_backend_binary(),
                                      rig->fx->tmpdir, rig->fx->socket_path);
    g_assert_true(pvgpu_wait_reg(rig->fx, PVGPU_REG_GENERATION, ~0u, 2,
                                 pvgpu_deadline()));
    rig_wait_ready(rig);
    pvgpu_reg_write(rig->fx, PVGPU_REG_STATUS, PVGPU_STATUS_STICKY);

    cmd_resource_create(&rig->ring, 9, PVGPU_FORMAT_R8G8B8A8_UNORM, 4, 4);
    cmd_fill_rect(&rig->ring, 9, 0xff336699u, small);
    cmd_set_scanout(&rig->ring, 9, small);
    cmd_present(&rig->ring, 0, small);
    cmd_fence(&rig->ring, 3, PVGPU_FENCE_FLAG_IRQ);
    guest_ring_submit(&rig->ring);
    wait_fence(rig, 3);
    wait_vector(rig, PVGPU_VECTOR_FENCE);

    real_backend_screenshot(rig->backend, png, &w, &h);
    pixels = png_image_read_rgba(png, &w, &h, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(w, ==, 4);
    g_assert_cmpuint(h, ==, 4);
    /* R8G8B8A8: the u32 0xff336699 is bytes 99 66 33 ff */
    for (guint i = 0; i < 16; i++) {
        g_assert_cmphex(pixels[i * 4], ==, 0x99);
        g_assert_cmphex(pixels[i * 4 + 1], ==, 0x66);
        g_assert_cmphex(pixels[i * 4 + 2], ==, 0x33);
        g_assert_cmphex(pixels[i * 4 + 3], ==, 0xff);
    }
}

/* SIGTERM: the backend says SHUTDOWN, exits 0, and the guest is told. */
static void test_backend_sigterm(void)
{
    g_autoptr(Rig) rig = rig_start();

    real_backend_stop(g_steal_pointer(&rig->backend));
    g_assert_true(pvgpu_wait_reg(rig->fx, PVGPU_REG_STATUS,
                                 PVGPU_STATUS_DEVICE_LOST |
                                 PVGPU_STATUS_BACKEND_CONNECTED |
                                 PVGPU_STATUS_READY,
                                 PVGPU_STATUS_DEVICE_LOST,
                                 pvgpu_deadline()));
    wait_vector(rig, PVGPU_VECTOR_DEVICE);
}

int main(int argc, char **argv)
{
    pvgpu_test_init(&argc, &argv);
    pvgpu_test_add_with_backend("/pvgpu/backend/fence", test_backend_fence);
    pvgpu_test_add_with_backend("/pvgpu/backend/console-matches-screenshot",
                                test_backend_console_matches_screenshot);
    pvgpu_test_add_with_backend("/pvgpu/backend/scanout-screenshot",
                                test_backend_scanout_screenshot);
    pvgpu_test_add_with_backend("/pvgpu/backend/hostile-commands",
                                test_backend_hostile_commands);
    pvgpu_test_add_with_backend("/pvgpu/backend/killed-restarted",
                                test_backend_killed_restarted);
    pvgpu_test_add_with_backend("/pvgpu/backend/sigterm",
                                test_backend_sigterm);
    return pvgpu_test_run();
}
