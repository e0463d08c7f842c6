/* SPDX-License-Identifier: MIT */
/*
 * The memory budget charges what resources and the presented frame really
 * cost: many tiny resources stop at the budget (and at the resource cap)
 * with OUT_OF_MEMORY, the process stays within the budget, and a frame
 * copy that does not fit is refused.
 */
#include "test-helpers.h"

#include <stdio.h>
#include <unistd.h>

#include "fake-device.h"
#include "renderer.h"

#define BGRA PVGPU_FORMAT_B8G8R8A8_UNORM
/* What the process may grow by besides twice the budget: allocator
 * arenas, sanitizer bookkeeping, the hash table's spare slots. */
#define RSS_BASELINE (16ull << 20)

static guint64 rss_bytes(void)
{
    g_autofree gchar *statm = NULL;
    guint64 size = 0, resident = 0;

    assert_true(g_file_get_contents("/proc/self/statm", &statm, NULL, NULL));
    assert_int_equal(sscanf(statm, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                            &size, &resident), 2);
    return resident * (guint64)sysconf(_SC_PAGESIZE);
}

static guint32 create(PvgpuRenderer *r, guint32 id, guint32 w, guint32 h,
                      struct pvgpu_cmd_error *err)
{
    struct pvgpu_cmd_resource_create_2d c = {
        .hdr.type = PVGPU_CMD_RESOURCE_CREATE_2D,
        .resource_id = id, .format = BGRA, .width = w, .height = h,
    };

    return pvgpu_renderer_create(r, &c, err);
}

static guint32 show_and_present(PvgpuRenderer *r, guint32 id, guint32 w,
                                guint32 h, struct pvgpu_cmd_error *err)
{
    struct pvgpu_cmd_set_scanout s = {
        .hdr.type = PVGPU_CMD_SET_SCANOUT, .resource_id = id,
        .src = { 0, 0, w, h },
    };
    struct pvgpu_cmd_present p = {
        .hdr.type = PVGPU_CMD_PRESENT, .damage = { 0, 0, w, h },
    };

    assert_int_equal(pvgpu_renderer_set_scanout(r, &s, err),
                     PVGPU_ERROR_NONE);
    return pvgpu_renderer_present(r, &p, err);
}

/* Creates 1x1 resources until one is refused, at most `most`; returns how
 * many were created, *code the refusal. */
static guint create_tiny_until_refused(PvgpuRenderer *r, guint most,
                                       guint32 *code)
{
    struct pvgpu_cmd_error err = { 0 };

    *code = PVGPU_ERROR_NONE;
    for (guint i = 0; i < most; i++) {
        *code = create(r, i + 1, 1, 1, &err);
        if (*code != PVGPU_ERROR_NONE) {
            assert_int_equal(err.detail, pvgpu_renderer_alloc_cost(1, 1));
            return i;
        }
    }
    return most;
}

static void test_cost_counts_overhead(void **state)
{
    (void)state;
    assert_true(pvgpu_renderer_alloc_cost(1, 1) >=
                PVGPU_RENDERER_ALLOC_OVERHEAD + 4);
    /* large pixel buffers are whole pages */
    assert_int_equal(pvgpu_renderer_alloc_cost(1000, 1000) -
                     PVGPU_RENDERER_ALLOC_OVERHEAD,
                     (4000000 + 4095) / 4096 * 4096);
    assert_true(pvgpu_renderer_alloc_cost(PVGPU_MAX_DIMENSION,
                                          PVGPU_MAX_DIMENSION) >
                (guint64)PVGPU_MAX_DIMENSION * PVGPU_MAX_DIMENSION * 4);
    assert_int_equal(pvgpu_renderer_alloc_cost(G_MAXUINT32, G_MAXUINT32),
                     G_MAXUINT64);
}

static void test_tiny_resources_stop_at_budget(void **state)
{
    const guint64 budget = 4ull << 20;
    g_autoptr(PvgpuRenderer) r = pvgpu_renderer_new(budget);
    guint64 before = rss_bytes(), grown;
    guint32 code;
    guint made;

    (void)state;
    /* counting pixels alone, budget / 4 of them would fit */
    made = create_tiny_until_refused(r, budget / 4, &code);
    assert_int_equal(code, PVGPU_ERROR_OUT_OF_MEMORY);
    assert_int_equal(made, budget / pvgpu_renderer_alloc_cost(1, 1));
    assert_true(made <= budget / PVGPU_RENDERER_ALLOC_OVERHEAD);
    assert_int_equal(pvgpu_renderer_resource_count(r), made);
    assert_true(pvgpu_renderer_resource_bytes(r) <= budget);
    grown = rss_bytes() - MIN(before, rss_bytes());
    if (grown > 2 * budget + RSS_BASELINE) {
        fail_msg("%u resources under a %" G_GUINT64_FORMAT "-byte budget "
                 "grew the process by %" G_GUINT64_FORMAT " bytes",
                 made, budget, grown);
    }
}

static void test_resource_count_capped(void **state)
{
    g_autoptr(PvgpuRenderer) r = pvgpu_renderer_new(G_MAXUINT64 / 2);
    guint32 code;

    (void)state;
    assert_int_equal(create_tiny_until_refused(
                         r, PVGPU_RENDERER_MAX_RESOURCES + 1, &code),
                     PVGPU_RENDERER_MAX_RESOURCES);
    assert_int_equal(code, PVGPU_ERROR_OUT_OF_MEMORY);
}

/* The guest sees the refusal in the control region; the engine goes on. */
static void test_refused_through_the_ring(void **state)
{
    FakeDevice *d = fake_device_new(10 * pvgpu_renderer_alloc_cost(1, 1));
    guint32 id = 0;

    (void)state;
    for (guint32 i = 1; i <= 11; i++) {
        id = fake_create(d, i, BGRA, 1, 1);
    }
    fake_nop(d);
    fake_device_run(d);
    assert_int_equal(d->ctrl->error_count, 1);
    assert_int_equal(d->ctrl->error_code, PVGPU_ERROR_OUT_OF_MEMORY);
    assert_int_equal(d->ctrl->error_cmd_id, id);
    assert_int_equal(d->ctrl->error_detail, pvgpu_renderer_alloc_cost(1, 1));
    assert_int_equal(d->ctrl->consumer, d->writer.producer);
    assert_int_equal(pvgpu_renderer_resource_count(fake_device_renderer(d)),
                     10);
    fake_device_free(d);
}

static void test_present_frame_over_budget(void **state)
{
    const guint32 w = 2048, h = 2048;
    guint64 cost = pvgpu_renderer_alloc_cost(w, h);
    g_autoptr(PvgpuRenderer) r = pvgpu_renderer_new(2 * cost - 1);
    struct pvgpu_cmd_error err = { 0 };
    PvgpuImage view;

    (void)state;
    assert_int_equal(create(r, 1, w, h, &err), PVGPU_ERROR_NONE);
    assert_int_equal(show_and_present(r, 1, w, h, &err),
                     PVGPU_ERROR_OUT_OF_MEMORY);
    assert_int_equal(err.detail, cost);
    assert_int_equal(pvgpu_renderer_resource_bytes(r), cost);
    /* without a frame a screenshot shows the scanout itself */
    assert_true(pvgpu_renderer_peek_frame(r, &view));
    assert_ptr_equal(view.pixels, pvgpu_renderer_get_resource(r, 1)->pixels);
}

static void test_present_frame_charged(void **state)
{
    const guint32 w = 256, h = 128;
    guint64 cost = pvgpu_renderer_alloc_cost(w, h);
    g_autoptr(PvgpuRenderer) r = pvgpu_renderer_new(3 * cost);
    struct pvgpu_cmd_error err = { 0 };

    (void)state;
    assert_int_equal(create(r, 1, w, h, &err), PVGPU_ERROR_NONE);
    assert_int_equal(create(r, 2, w, h, &err), PVGPU_ERROR_NONE);
    assert_int_equal(show_and_present(r, 1, w, h, &err), PVGPU_ERROR_NONE);
    assert_int_equal(pvgpu_renderer_resource_bytes(r), 3 * cost);
    /* the frame's share of the budget is taken */
    assert_int_equal(create(r, 3, 1, 1, &err), PVGPU_ERROR_OUT_OF_MEMORY);
    /* a frame from another scanout replaces the old one, not added to it */
    assert_int_equal(show_and_present(r, 2, w, h, &err), PVGPU_ERROR_NONE);
    assert_int_equal(pvgpu_renderer_resource_bytes(r), 3 * cost);
    /* a smaller frame gives the difference back */
    assert_int_equal(show_and_present(r, 2, w / 2, h, &err),
                     PVGPU_ERROR_NONE);
    assert_int_equal(pvgpu_renderer_resource_bytes(r),
                     2 * cost + pvgpu_renderer_alloc_cost(w / 2, h));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PATH_TEST("/backend/budget/cost-counts-overhead",
                  test_cost_counts_overhead, NULL, NULL),
        PATH_TEST("/backend/budget/tiny-resources-stop-at-budget",
                  test_tiny_resources_stop_at_budget, NULL, NULL),
        PATH_TEST("/backend/budget/resource-count-capped",
                  test_resource_count_capped, NULL, NULL),
        PATH_TEST("/backend/budget/refused-through-the-ring",
                  test_refused_through_the_ring, NULL, NULL),
        PATH_TEST("/backend/budget/present-frame-over-budget",
                  test_present_frame_over_budget, NULL, NULL),
        PATH_TEST("/backend/budget/present-frame-charged",
                  test_present_frame_charged, NULL, NULL),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
