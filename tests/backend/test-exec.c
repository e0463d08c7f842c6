/* SPDX-License-Identifier: MIT */
/* The executor: every command's success path and its refusals. */
#include "test-helpers.h"

#include "fake-device.h"

#define BGRA PVGPU_FORMAT_B8G8R8A8_UNORM
#define RGBA PVGPU_FORMAT_R8G8B8A8_UNORM

static int setup(void **state)
{
    *state = fake_device_new(FAKE_BUDGET);
    return 0;
}

static int setup_small_budget(void **state)
{
    *state = fake_device_new(pvgpu_renderer_alloc_cost(64, 64));
    return 0;
}

static int teardown(void **state)
{
    fake_device_free(*state);
    return 0;
}

/* The last error is code/detail for the command with this id. */
static void assert_refused(FakeDevice *d, guint32 id, guint32 code,
                           guint64 detail)
{
    assert_int_equal(d->ctrl->error_code, code);
    assert_int_equal(d->ctrl->error_cmd_id, id);
    assert_int_equal(d->ctrl->error_detail, detail);
    assert_int_equal(d->raised[PVGPU_VECTOR_ERROR], 1);
}

/* Runs the ring; the command with this id is refused with code/detail. */
static void assert_run_refuses(FakeDevice *d, guint32 id, guint32 code,
                               guint64 detail)
{
    fake_device_run(d);
    assert_refused(d, id, code, detail);
}

static void assert_no_error(FakeDevice *d)
{
    assert_int_equal(d->ctrl->error_count, 0);
    assert_int_equal(d->counters.errors, 0);
}

static guint64 rect_detail(guint32 x, guint32 y)
{
    return ((guint64)x << 32) | y;
}

static const PvgpuImage *resource(FakeDevice *d, guint32 id)
{
    return pvgpu_renderer_get_resource(fake_device_renderer(d), id);
}

/* Writes a w x h gradient to the heap: pixel (x, y) = 0xAA000000|y<<8|x. */
static void heap_gradient(FakeDevice *d, guint64 offset, guint32 stride,
                          guint32 w, guint32 h)
{
    for (guint32 y = 0; y < h; y++) {
        for (guint32 x = 0; x < w; x++) {
            guint32 v = 0xaa000000u | (y << 8) | x;
            memcpy(d->heap + offset + (guint64)y * stride + x * 4, &v, 4);
        }
    }
}

/* ---- create / destroy ------------------------------------------------ */

static void test_create_ok(void **state)
{
    FakeDevice *d = *state;
    const PvgpuImage *img;

    fake_create(d, 5, RGBA, 16, 8);
    fake_device_run(d);
    assert_no_error(d);
    img = resource(d, 5);
    assert_non_null(img);
    assert_int_equal(img->width, 16);
    assert_int_equal(img->height, 8);
    assert_int_equal(img->format, RGBA);
    assert_int_equal(fake_pixel(d, 5, 15, 7), 0);
    assert_int_equal(pvgpu_renderer_resource_count(fake_device_renderer(d)),
                     1);
    assert_int_equal(pvgpu_renderer_resource_bytes(fake_device_renderer(d)),
                     pvgpu_renderer_alloc_cost(16, 8));
}

static void test_create_id_zero(void **state)
{
    FakeDevice *d = *state;
    guint32 id = fake_create(d, 0, BGRA, 4, 4);

    assert_run_refuses(d, id, PVGPU_ERROR_RESOURCE_ID, 0);
    assert_int_equal(pvgpu_renderer_resource_count(fake_device_renderer(d)),
                     0);
}

static void test_create_duplicate(void **state)
{
    FakeDevice *d = *state;
    guint32 id;

    fake_create(d, 3, BGRA, 4, 4);
    id = fake_create(d, 3, RGBA, 8, 8);
    assert_run_refuses(d, id, PVGPU_ERROR_RESOURCE_EXISTS, 3);
    assert_int_equal(resource(d, 3)->format, BGRA);
    assert_int_equal(resource(d, 3)->width, 4);
}

static void test_create_bad_format(void **state)
{
    FakeDevice *d = *state;
    guint32 id = fake_create(d, 1, 9, 4, 4);

    assert_run_refuses(d, id, PVGPU_ERROR_BAD_FORMAT, 9);
    assert_null(resource(d, 1));
}

static void test_create_bad_dimensions(void **state)
{
    FakeDevice *d = *state;
    guint32 id = fake_create(d, 1, BGRA, PVGPU_MAX_DIMENSION + 1, 1);

    assert_run_refuses(d, id, PVGPU_ERROR_BAD_DIMENSIONS,
                       ((guint64)(PVGPU_MAX_DIMENSION + 1) << 32) | 1);
    assert_null(resource(d, 1));
}

static void test_create_over_budget(void **state)
{
    FakeDevice *d = *state; /* budget: one 64x64 resource */
    guint32 id;

    fake_create(d, 1, BGRA, 64, 32);
    id = fake_create(d, 2, BGRA, 64, 33);
    assert_run_refuses(d, id, PVGPU_ERROR_OUT_OF_MEMORY,
                       pvgpu_renderer_alloc_cost(64, 33));
    assert_null(resource(d, 2));
    assert_int_equal(pvgpu_renderer_resource_bytes(fake_device_renderer(d)),
                     pvgpu_renderer_alloc_cost(64, 32));
}

static void test_create_huge_over_budget(void **state)
{
    FakeDevice *d = *state;
    guint32 id = fake_create(d, 1, BGRA, PVGPU_MAX_DIMENSION,
                             PVGPU_MAX_DIMENSION);

    fake_device_run(d);
    /* refused by the budget, before any allocation is tried */
    assert_refused(d, id, PVGPU_ERROR_OUT_OF_MEMORY,
                   pvgpu_renderer_alloc_cost(PVGPU_MAX_DIMENSION,
                                             PVGPU_MAX_DIMENSION));
}

static void test_destroy_frees_budget(void **state)
{
    FakeDevice *d = *state;

    fake_create(d, 1, BGRA, 64, 64);
    fake_destroy(d, 1);
    fake_create(d, 2, BGRA, 64, 64);
    fake_device_run(d);
    assert_no_error(d);
    assert_null(resource(d, 1));
    assert_non_null(resource(d, 2));
}

static void test_destroy_unknown(void **state)
{
    FakeDevice *d = *state;
    guint32 id = fake_destroy(d, 9);

    assert_run_refuses(d, id, PVGPU_ERROR_RESOURCE_UNKNOWN, 9);
}

static void test_destroy_reserved(void **state)
{
    FakeDevice *d = *state;
    struct pvgpu_cmd_resource_destroy c = {
        .hdr.type = PVGPU_CMD_RESOURCE_DESTROY, .resource_id = 1,
        .reserved = { 0, 1, 0 },
    };

    fake_create(d, 1, BGRA, 4, 4);
    pvgpu_ring_writer_push(&d->writer, &c.hdr, sizeof(c));
    assert_run_refuses(d, c.hdr.id, PVGPU_ERROR_RESERVED_NONZERO, 0);
    assert_non_null(resource(d, 1));
}

static void test_destroy_scanout_disables(void **state)
{
    FakeDevice *d = *state;
    PvgpuScanout s;

    fake_create(d, 1, BGRA, 32, 32);
    fake_set_scanout(d, 1, 0, 0, 32, 32);
    fake_device_run(d);
    assert_int_equal(d->ctrl->scanout_resource, 1);
    fake_destroy(d, 1);
    fake_device_run(d);
    assert_no_error(d);
    assert_false(pvgpu_renderer_get_scanout(fake_device_renderer(d), &s));
    assert_int_equal(d->ctrl->scanout_resource, 0);
    assert_int_equal(d->ctrl->scanout_width, 0);
}

/* ---- upload ---------------------------------------------------------- */

static void test_upload_ok(void **state)
{
    FakeDevice *d = *state;

    heap_gradient(d, 4096, 64, 8, 4); /* stride wider than the rows */
    fake_create(d, 1, BGRA, 16, 16);
    fake_upload(d, 1, 64, 4096, 2, 3, 8, 4);
    fake_device_run(d);
    assert_no_error(d);
    assert_int_equal(fake_pixel(d, 1, 2, 3), 0xaa000000);
    assert_int_equal(fake_pixel(d, 1, 9, 6), 0xaa000307);
    assert_int_equal(fake_pixel(d, 1, 10, 6), 0);
    assert_int_equal(fake_pixel(d, 1, 1, 3), 0);
    assert_int_equal(d->counters.bytes_uploaded, 8 * 4 * 4);
}

static void test_upload_clipped(void **state)
{
    FakeDevice *d = *state;

    heap_gradient(d, 0, 32, 8, 8);
    fake_create(d, 1, BGRA, 4, 4);
    fake_upload(d, 1, 32, 0, 2, 2, 8, 8);
    fake_device_run(d);
    assert_no_error(d);
    assert_int_equal(fake_pixel(d, 1, 3, 3), 0xaa000101);
    assert_int_equal(fake_pixel(d, 1, 1, 1), 0);
    assert_int_equal(d->counters.bytes_uploaded, 2 * 2 * 4);
}

static void test_upload_heap_range(void **state)
{
    FakeDevice *d = *state;
    guint64 offset = d->layout.heap_size - 4 * 4 + 4; /* one pixel short */
    guint32 id;

    fake_create(d, 1, BGRA, 4, 4);
    id = fake_upload(d, 1, 16, offset, 0, 0, 4, 1);
    assert_run_refuses(d, id, PVGPU_ERROR_HEAP_RANGE, offset);
    assert_int_equal(d->counters.bytes_uploaded, 0);
}

static void test_upload_offset_beyond_heap(void **state)
{
    FakeDevice *d = *state;
    guint32 id;

    fake_create(d, 1, BGRA, 4, 4);
    id = fake_upload(d, 1, 16, G_MAXUINT64 - 8, 0, 0, 4, 4);
    assert_run_refuses(d, id, PVGPU_ERROR_HEAP_RANGE, G_MAXUINT64 - 8);
}

static void test_upload_bad_stride(void **state)
{
    FakeDevice *d = *state;
    guint32 id;

    fake_create(d, 1, BGRA, 4, 4);
    id = fake_upload(d, 1, 12, 0, 0, 0, 4, 4);
    assert_run_refuses(d, id, PVGPU_ERROR_BAD_STRIDE, 12);
}

static void test_upload_unknown_resource(void **state)
{
    FakeDevice *d = *state;
    guint32 id = fake_upload(d, 4, 16, 0, 0, 0, 4, 4);

    assert_run_refuses(d, id, PVGPU_ERROR_RESOURCE_UNKNOWN, 4);
}

static void test_upload_rect_outside(void **state)
{
    FakeDevice *d = *state;
    guint32 id;

    fake_create(d, 1, BGRA, 4, 4);
    id = fake_upload(d, 1, 16, 0, 4, 0, 4, 4);
    assert_run_refuses(d, id, PVGPU_ERROR_RECT_BOUNDS, rect_detail(4, 0));
}

/* ---- fill ------------------------------------------------------------ */

static void test_fill_ok(void **state)
{
    FakeDevice *d = *state;

    fake_create(d, 1, BGRA, 8, 8);
    fake_fill(d, 1, 0x80112233, 2, 2, 3, 4);
    fake_device_run(d);
    assert_no_error(d);
    assert_int_equal(fake_pixel(d, 1, 2, 2), 0x80112233);
    assert_int_equal(fake_pixel(d, 1, 4, 5), 0x80112233);
    assert_int_equal(fake_pixel(d, 1, 5, 5), 0);
    assert_int_equal(fake_pixel(d, 1, 4, 6), 0);
    assert_int_equal(fake_pixel(d, 1, 1, 2), 0);
    /* memory byte order: B, G, R, A */
    assert_int_equal(resource(d, 1)->pixels[(2 * 8 + 2) * 4], 0x33);
    assert_int_equal(resource(d, 1)->pixels[(2 * 8 + 2) * 4 + 3], 0x80);
}

static void test_fill_clipped(void **state)
{
    FakeDevice *d = *state;

    fake_create(d, 1, BGRA, 8, 8);
    fake_fill(d, 1, 0xffffffff, 6, 6, 100, G_MAXUINT32);
    fake_device_run(d);
    assert_no_error(d);
    assert_int_equal(fake_pixel(d, 1, 7, 7), 0xffffffff);
    assert_int_equal(fake_pixel(d, 1, 5, 7), 0);
}

static void test_fill_rect_outside(void **state)
{
    FakeDevice *d = *state;
    guint32 id;

    fake_create(d, 1, BGRA, 8, 8);
    id = fake_fill(d, 1, 1, 0, 8, 4, 4);
    assert_run_refuses(d, id, PVGPU_ERROR_RECT_BOUNDS, rect_detail(0, 8));
}

static void test_fill_rect_empty(void **state)
{
    FakeDevice *d = *state;
    guint32 id;

    fake_create(d, 1, BGRA, 8, 8);
    id = fake_fill(d, 1, 1, 1, 1, 0, 4);
    assert_run_refuses(d, id, PVGPU_ERROR_RECT_BOUNDS, rect_detail(1, 1));
    assert_int_equal(fake_pixel(d, 1, 1, 1), 0);
}

static void test_fill_unknown_resource(void **state)
{
    FakeDevice *d = *state;
    guint32 id = fake_fill(d, 2, 1, 0, 0, 1, 1);

    assert_run_refuses(d, id, PVGPU_ERROR_RESOURCE_UNKNOWN, 2);
}

static void test_fill_reserved(void **state)
{
    FakeDevice *d = *state;
    struct pvgpu_cmd_fill_rect c = {
        .hdr.type = PVGPU_CMD_FILL_RECT, .resource_id = 1, .color = 5,
        .rect = { 0, 0, 1, 1 }, .reserved = 2,
    };

    fake_create(d, 1, BGRA, 4, 4);
    pvgpu_ring_writer_push(&d->writer, &c.hdr, sizeof(c));
    assert_run_refuses(d, c.hdr.id, PVGPU_ERROR_RESERVED_NONZERO, 2);
    assert_int_equal(fake_pixel(d, 1, 0, 0), 0);
}

/* ---- copy ------------------------------------------------------------ */

/* Resource id of size w x h with pixel (x, y) = y << 8 | x. */
static void make_numbered(FakeDevice *d, guint32 id, guint32 format,
                          guint32 w, guint32 h)
{
    guint64 offset = (guint64)id * 65536;

    g_assert(w * h * 4 <= 65536);
    heap_gradient(d, offset, w * 4, w, h);
    fake_create(d, id, format, w, h);
    fake_upload(d, id, w * 4, offset, 0, 0, w, h);
}

static void test_copy_ok(void **state)
{
    FakeDevice *d = *state;

    make_numbered(d, 1, BGRA, 8, 8);
    fake_create(d, 2, BGRA, 8, 8);
    fake_copy(d, 1, 2, (struct pvgpu_rect){ 1, 2, 3, 2 }, 4, 5);
    fake_device_run(d);
    assert_no_error(d);
    assert_int_equal(fake_pixel(d, 2, 4, 5), 0xaa000201);
    assert_int_equal(fake_pixel(d, 2, 6, 6), 0xaa000303);
    assert_int_equal(fake_pixel(d, 2, 7, 6), 0);
    assert_int_equal(fake_pixel(d, 2, 4, 7), 0);
}

static void test_copy_clipped_to_dst(void **state)
{
    FakeDevice *d = *state;

    make_numbered(d, 1, BGRA, 8, 8);
    fake_create(d, 2, BGRA, 4, 4);
    fake_copy(d, 1, 2, (struct pvgpu_rect){ 0, 0, 8, 8 }, 2, 2);
    fake_device_run(d);
    assert_no_error(d);
    assert_int_equal(fake_pixel(d, 2, 3, 3), 0xaa000101);
    assert_int_equal(fake_pixel(d, 2, 1, 1), 0);
}

static void test_copy_overlap_down(void **state)
{
    FakeDevice *d = *state;

    make_numbered(d, 1, BGRA, 8, 8);
    /* rows 0..3 onto rows 1..4, columns 0..3 onto 1..4 */
    fake_copy(d, 1, 1, (struct pvgpu_rect){ 0, 0, 4, 4 }, 1, 1);
    fake_device_run(d);
    assert_no_error(d);
    for (guint32 y = 0; y < 4; y++) {
        for (guint32 x = 0; x < 4; x++) {
            assert_int_equal(fake_pixel(d, 1, x + 1, y + 1),
                             0xaa000000u | (y << 8) | x);
        }
    }
    assert_int_equal(fake_pixel(d, 1, 0, 0), 0xaa000000);
}

static void test_copy_overlap_up(void **state)
{
    FakeDevice *d = *state;

    make_numbered(d, 1, BGRA, 8, 8);
    fake_copy(d, 1, 1, (struct pvgpu_rect){ 2, 2, 4, 4 }, 1, 1);
    fake_device_run(d);
    assert_no_error(d);
    for (guint32 y = 0; y < 4; y++) {
        for (guint32 x = 0; x < 4; x++) {
            assert_int_equal(fake_pixel(d, 1, x + 1, y + 1),
                             0xaa000000u | ((y + 2) << 8) | (x + 2));
        }
    }
}

/* A copy from src to dst is refused with code/detail. */
static void assert_copy_refused(FakeDevice *d, guint32 src, guint32 dst,
                                struct pvgpu_rect src_rect, guint32 dst_x,
                                guint32 dst_y, guint32 code, guint64 detail)
{
    guint32 id = fake_copy(d, src, dst, src_rect, dst_x, dst_y);

    assert_run_refuses(d, id, code, detail);
}

static void test_copy_format_mismatch(void **state)
{
    FakeDevice *d = *state;

    fake_create(d, 1, BGRA, 4, 4);
    fake_create(d, 2, RGBA, 4, 4);
    assert_copy_refused(d, 1, 2, (struct pvgpu_rect){ 0, 0, 4, 4 }, 0, 0,
                        PVGPU_ERROR_FORMAT_MISMATCH,
                        ((guint64)BGRA << 32) | RGBA);
}

static void test_copy_src_outside(void **state)
{
    FakeDevice *d = *state;

    fake_create(d, 1, BGRA, 4, 4);
    fake_create(d, 2, BGRA, 4, 4);
    assert_copy_refused(d, 1, 2, (struct pvgpu_rect){ 9, 0, 1, 1 }, 0, 0,
                        PVGPU_ERROR_RECT_BOUNDS, rect_detail(9, 0));
}

static void test_copy_dst_outside(void **state)
{
    FakeDevice *d = *state;

    fake_create(d, 1, BGRA, 4, 4);
    fake_create(d, 2, BGRA, 4, 4);
    assert_copy_refused(d, 1, 2, (struct pvgpu_rect){ 0, 0, 2, 2 }, 0, 4,
                        PVGPU_ERROR_RECT_BOUNDS, rect_detail(0, 4));
}

static void test_copy_unknown_src(void **state)
{
    FakeDevice *d = *state;

    fake_create(d, 2, BGRA, 4, 4);
    assert_copy_refused(d, 7, 2, (struct pvgpu_rect){ 0, 0, 1, 1 }, 0, 0,
                        PVGPU_ERROR_RESOURCE_UNKNOWN, 7);
}

static void test_copy_unknown_dst(void **state)
{
    FakeDevice *d = *state;

    fake_create(d, 1, BGRA, 4, 4);
    assert_copy_refused(d, 1, 8, (struct pvgpu_rect){ 0, 0, 1, 1 }, 0, 0,
                        PVGPU_ERROR_RESOURCE_UNKNOWN, 8);
}

static void test_copy_id_zero(void **state)
{
    assert_copy_refused(*state, 0, 1, (struct pvgpu_rect){ 0, 0, 1, 1 }, 0, 0,
                        PVGPU_ERROR_RESOURCE_ID, 0);
}

/* ---- scanout and present ---------------------------------------------- */

static void test_scanout_set(void **state)
{
    FakeDevice *d = *state;
    PvgpuScanout s;

    fake_create(d, 1, RGBA, 64, 32);
    fake_set_scanout(d, 1, 8, 4, 100, 10);
    fake_device_run(d);
    assert_no_error(d);
    assert_true(pvgpu_renderer_get_scanout(fake_device_renderer(d), &s));
    assert_int_equal(s.resource_id, 1);
    assert_int_equal(s.rect.x, 8);
    assert_int_equal(s.rect.width, 56); /* clipped */
    assert_int_equal(s.rect.height, 10);
    assert_int_equal(d->ctrl->scanout_resource, 1);
    assert_int_equal(d->ctrl->scanout_width, 56);
    assert_int_equal(d->ctrl->scanout_height, 10);
    assert_int_equal(d->ctrl->scanout_format, RGBA);
}

static void test_scanout_disable(void **state)
{
    FakeDevice *d = *state;
    PvgpuScanout s;

    fake_create(d, 1, BGRA, 8, 8);
    fake_set_scanout(d, 1, 0, 0, 8, 8);
    fake_set_scanout(d, 0, 0, 0, 0, 0);
    fake_device_run(d);
    assert_no_error(d);
    assert_false(pvgpu_renderer_get_scanout(fake_device_renderer(d), &s));
    assert_int_equal(d->ctrl->scanout_resource, 0);
    assert_int_equal(d->ctrl->scanout_height, 0);
}

static void test_scanout_unknown(void **state)
{
    FakeDevice *d = *state;
    guint32 id = fake_set_scanout(d, 3, 0, 0, 8, 8);

    assert_run_refuses(d, id, PVGPU_ERROR_RESOURCE_UNKNOWN, 3);
    assert_int_equal(d->ctrl->scanout_resource, 0);
}

static void test_scanout_rect_outside(void **state)
{
    FakeDevice *d = *state;
    guint32 id;

    fake_create(d, 1, BGRA, 8, 8);
    id = fake_set_scanout(d, 1, 8, 8, 8, 8);
    assert_run_refuses(d, id, PVGPU_ERROR_RECT_BOUNDS, rect_detail(8, 8));
}

static void test_scanout_bad_id(void **state)
{
    FakeDevice *d = *state;
    struct pvgpu_cmd_set_scanout c = {
        .hdr.type = PVGPU_CMD_SET_SCANOUT, .scanout_id = 1, .resource_id = 1,
        .src = { 0, 0, 8, 8 },
    };

    fake_create(d, 1, BGRA, 8, 8);
    pvgpu_ring_writer_push(&d->writer, &c.hdr, sizeof(c));
    assert_run_refuses(d, c.hdr.id, PVGPU_ERROR_SCANOUT_ID, 1);
}

static void test_present_ok(void **state)
{
    FakeDevice *d = *state;
    PvgpuImage frame;
    guint32 v;

    fake_create(d, 1, BGRA, 16, 16);
    fake_fill(d, 1, 0xff0000ff, 0, 0, 16, 16);
    fake_set_scanout(d, 1, 4, 4, 8, 8);
    fake_present(d, PVGPU_PRESENT_FLAG_IRQ, 0, 0, 8, 8);
    fake_present(d, 0, 0, 0, 8, 8);
    /* drawn after the present: not part of the presented frame */
    fake_fill(d, 1, 0xff00ff00, 0, 0, 16, 16);
    fake_device_run(d);
    assert_no_error(d);
    assert_int_equal(d->ctrl->present_count, 2);
    assert_int_equal(d->counters.presents, 2);
    assert_int_equal(d->raised[PVGPU_VECTOR_DISPLAY], 1);
    assert_true(pvgpu_renderer_peek_frame(fake_device_renderer(d), &frame));
    assert_int_equal(frame.width, 8);
    assert_int_equal(frame.height, 8);
    assert_int_equal(frame.format, BGRA);
    memcpy(&v, frame.pixels + 7 * frame.stride + 7 * 4, 4);
    assert_int_equal(v, 0xff0000ff);
}

static void test_present_damage_only(void **state)
{
    FakeDevice *d = *state;
    PvgpuImage frame;
    guint32 inside, outside;

    fake_create(d, 1, BGRA, 8, 8);
    fake_set_scanout(d, 1, 0, 0, 8, 8);
    fake_present(d, 0, 0, 0, 8, 8);
    fake_fill(d, 1, 0x01010101, 0, 0, 8, 8);
    fake_present(d, 0, 2, 2, 2, 2);
    fake_device_run(d);
    assert_no_error(d);
    assert_true(pvgpu_renderer_peek_frame(fake_device_renderer(d), &frame));
    memcpy(&inside, frame.pixels + 3 * frame.stride + 3 * 4, 4);
    memcpy(&outside, frame.pixels + 5 * frame.stride + 5 * 4, 4);
    assert_int_equal(inside, 0x01010101);
    assert_int_equal(outside, 0);
}

static void test_present_damage_outside(void **state)
{
    FakeDevice *d = *state;
    guint32 id;

    fake_create(d, 1, BGRA, 8, 8);
    fake_set_scanout(d, 1, 0, 0, 4, 4);
    id = fake_present(d, 0, 4, 0, 2, 2);
    assert_run_refuses(d, id, PVGPU_ERROR_RECT_BOUNDS, rect_detail(4, 0));
    assert_int_equal(d->ctrl->present_count, 0);
}

static void test_present_flags_reserved(void **state)
{
    FakeDevice *d = *state;
    guint32 id = fake_present(d, 0x2, 0, 0, 1, 1);

    assert_run_refuses(d, id, PVGPU_ERROR_RESERVED_NONZERO, 0x2);
    assert_int_equal(d->ctrl->present_count, 0);
}

static void test_present_without_scanout(void **state)
{
    FakeDevice *d = *state;
    PvgpuImage frame;

    fake_present(d, PVGPU_PRESENT_FLAG_IRQ, 0, 0, 1, 1);
    fake_device_run(d);
    assert_no_error(d);
    assert_int_equal(d->ctrl->present_count, 1);
    assert_int_equal(d->raised[PVGPU_VECTOR_DISPLAY], 1);
    assert_false(pvgpu_renderer_peek_frame(fake_device_renderer(d), &frame));
}

static void test_peek_scanout_before_present(void **state)
{
    FakeDevice *d = *state;
    PvgpuImage view;
    guint32 v;

    make_numbered(d, 1, BGRA, 8, 8);
    fake_set_scanout(d, 1, 2, 3, 4, 4);
    fake_device_run(d);
    assert_true(pvgpu_renderer_peek_frame(fake_device_renderer(d), &view));
    assert_int_equal(view.width, 4);
    memcpy(&v, view.pixels + view.stride + 4, 4);
    assert_int_equal(v, 0xaa000403);
}

/* ---- fence ------------------------------------------------------------- */

static void test_fence_irq(void **state)
{
    FakeDevice *d = *state;

    fake_fence(d, 10, PVGPU_FENCE_FLAG_IRQ);
    fake_device_run(d);
    assert_no_error(d);
    assert_int_equal(d->ctrl->fence_completed, 10);
    assert_int_equal(d->raised[PVGPU_VECTOR_FENCE], 1);
    assert_int_equal(d->counters.fences_completed, 1);
}

static void test_fence_without_irq(void **state)
{
    FakeDevice *d = *state;

    fake_fence(d, 1, 0);
    fake_fence(d, 2, 0);
    fake_device_run(d);
    assert_int_equal(d->ctrl->fence_completed, 2);
    assert_int_equal(d->raised[PVGPU_VECTOR_FENCE], 0);
}

static void test_fence_order_equal(void **state)
{
    FakeDevice *d = *state;
    guint32 id;

    fake_fence(d, 4, 0);
    id = fake_fence(d, 4, PVGPU_FENCE_FLAG_IRQ);
    assert_run_refuses(d, id, PVGPU_ERROR_FENCE_ORDER, 4);
    assert_int_equal(d->raised[PVGPU_VECTOR_FENCE], 0);
}

static void test_fence_order_lower(void **state)
{
    FakeDevice *d = *state;
    guint32 id;

    fake_fence(d, 9, 0);
    id = fake_fence(d, 3, 0);
    assert_run_refuses(d, id, PVGPU_ERROR_FENCE_ORDER, 3);
    assert_int_equal(d->ctrl->fence_completed, 9);
}

static void test_fence_reserved(void **state)
{
    FakeDevice *d = *state;
    guint32 id = fake_fence(d, 1, 0x10);

    assert_run_refuses(d, id, PVGPU_ERROR_RESERVED_NONZERO, 0x10);
    assert_int_equal(d->ctrl->fence_completed, 0);
}

static void test_error_then_next_command_runs(void **state)
{
    FakeDevice *d = *state;

    fake_fill(d, 5, 1, 0, 0, 1, 1);
    fake_create(d, 5, BGRA, 2, 2);
    fake_fill(d, 5, 7, 0, 0, 2, 2);
    fake_device_run(d);
    assert_int_equal(d->ctrl->error_count, 1);
    assert_int_equal(fake_pixel(d, 5, 1, 1), 7);
}

#define T(path, fn) PATH_TEST(path, fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T("/backend/exec/create-ok", test_create_ok),
        T("/backend/exec/create-id-zero", test_create_id_zero),
        T("/backend/exec/create-duplicate", test_create_duplicate),
        T("/backend/exec/create-bad-format", test_create_bad_format),
        T("/backend/exec/create-bad-dimensions", test_create_bad_dimensions),
        PATH_TEST("/backend/exec/create-over-budget", test_create_over_budget,
                  setup_small_budget, teardown),
        T("/backend/exec/create-huge-over-budget",
          test_create_huge_over_budget),
        PATH_TEST("/backend/exec/destroy-frees-budget",
                  test_destroy_frees_budget, setup_small_budget, teardown),
        T("/backend/exec/destroy-unknown", test_destroy_unknown),
        T("/backend/exec/destroy-reserved", test_destroy_reserved),
        T("/backend/exec/destroy-scanout-disables",
          test_destroy_scanout_disables),
        T("/backend/exec/upload-ok", test_upload_ok),
        T("/backend/exec/upload-clipped", test_upload_clipped),
        T("/backend/exec/upload-heap-range", test_upload_heap_range),
        T("/backend/exec/upload-offset-beyond-heap",
          test_upload_offset_beyond_heap),
        T("/backend/exec/upload-bad-stride", test_upload_bad_stride),
        T("/backend/exec/upload-unknown-resource",
          test_upload_unknown_resource),
        T("/backend/exec/upload-rect-outside", test_upload_rect_outside),
        T("/backend/exec/fill-ok", test_fill_ok),
        T("/backend/exec/fill-clipped", test_fill_clipped),
        T("/backend/exec/fill-rect-outside", test_fill_rect_outside),
        T("/backend/exec/fill-rect-empty", test_fill_rect_empty),
        T("/backend/exec/fill-unknown-resource", test_fill_unknown_resource),
        T("/backend/exec/fill-reserved", test_fill_reserved),
        T("/backend/exec/copy-ok", test_copy_ok),
        T("/backend/exec/copy-clipped-to-dst", test_copy_clipped_to_dst),
        T("/backend/exec/copy-overlap-down", test_copy_overlap_down),
        T("/backend/exec/copy-overlap-up", test_copy_overlap_up),
        T("/backend/exec/copy-format-mismatch", test_copy_format_mismatch),
        T("/backend/exec/copy-src-outside", test_copy_src_outside),
        T("/backend/exec/copy-dst-outside", test_copy_dst_outside),
        T("/backend/exec/copy-unknown-src", test_copy_unknown_src),
        T("/backend/exec/copy-unknown-dst", test_copy_unknown_dst),
        T("/backend/exec/copy-id-zero", test_copy_id_zero),
        T("/backend/exec/scanout-set", test_scanout_set),
        T("/backend/exec/scanout-disable", test_scanout_disable),
        T("/backend/exec/scanout-unknown", test_scanout_unknown),
        T("/backend/exec/scanout-rect-outside", test_scanout_rect_outside),
        T("/backend/exec/scanout-bad-id", test_scanout_bad_id),
        T("/backend/exec/present-ok", test_present_ok),
        T("/backend/exec/present-damage-only", test_present_damage_only),
        T("/backend/exec/present-damage-outside",
          test_present_damage_outside),
        T("/backend/exec/present-flags-reserved",
          test_present_flags_reserved),
        T("/backend/exec/present-without-scanout",
          test_present_without_scanout),
        T("/backend/exec/peek-scanout-before-present",
          test_peek_scanout_before_present),
        T("/backend/exec/fence-irq", test_fence_irq),
        T("/backend/exec/fence-without-irq", test_fence_without_irq),
        T("/backend/exec/fence-order-equal", test_fence_order_equal),
        T("/backend/exec/fence-order-lower", test_fence_order_lower),
        T("/backend/exec/fence-reserved", test_fence_reserved),
        T("/backend/exec/error-then-next-command-runs",
          test_error_then_next_command_runs),
    };

    return cmocka_run_group_tests_name("backend-exec", tests, NULL, NULL);
}
