/* CMocka tests of the BAR2 layout and ring validation half of the codec. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pvgpu_codec.h"

struct ring_fixture {
    struct pvgpu_layout layout;
    uint8_t *ring;
    _Alignas(16) uint8_t out[PVGPU_CMD_MAX_SIZE];
};

static int setup(void **state)
{
    struct ring_fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    assert_int_equal(pvgpu_layout_compute(16ull << 20, &f->layout), 0);
    f->ring = calloc(1, f->layout.ring_size);
    assert_non_null(f->ring);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct ring_fixture *f = *state;

    free(f->ring);
    free(f);
    return 0;
}

static void put_cmd(uint8_t *at, uint32_t type, uint32_t size)
{
    pvgpu_le32_store(at, type);
    pvgpu_le32_store(at + 4, size);
}

static int fetch_at(struct ring_fixture *f, uint64_t consumer,
                    uint64_t producer, struct pvgpu_cmd_hdr *hdr,
                    struct pvgpu_cmd_error *err)
{
    return pvgpu_ring_fetch(&f->layout, f->ring, consumer, producer, f->out,
                            hdr, err);
}

/* Builds a command in f->out as if fetched, and validates it. */
static int validate(struct ring_fixture *f, const void *cmd, size_t len,
                    struct pvgpu_cmd_error *err)
{
    struct pvgpu_cmd_hdr hdr;

    memset(f->out, 0, sizeof(f->out));
    memcpy(f->out, cmd, len);
    memcpy(&hdr, f->out, sizeof(hdr));
    return pvgpu_cmd_validate(&hdr, f->out, &f->layout, err);
}

#define CMD_HDR(t, s) { .type = (t), .size = pvgpu_cmd_ring_size(s) }

/* ---- layout --------------------------------------------------------- */

static void test_layout_sizes(void **state)
{
    struct pvgpu_layout l;

    (void)state;
    assert_int_equal(pvgpu_layout_compute(PVGPU_SHMEM_MIN_SIZE, &l), 0);
    assert_int_equal(l.ring_offset, PVGPU_CTRL_SIZE);
    assert_int_equal(l.heap_offset, PVGPU_RING_OFFSET + PVGPU_RING_SIZE);
    assert_int_equal(l.heap_offset + l.heap_size, PVGPU_SHMEM_MIN_SIZE);
    assert_int_equal(pvgpu_layout_compute(8ull << 30, &l), 0);
    assert_int_equal(l.heap_size, (8ull << 30) - PVGPU_HEAP_OFFSET);
    assert_int_equal(pvgpu_layout_compute(PVGPU_SHMEM_MAX_SIZE, &l), 0);
}

static void test_layout_refuses_bad_sizes(void **state)
{
    static const uint64_t bad[] = {
        0, 1, 3ull << 20, 2ull << 20, 300ull << 20, 128ull << 30,
        (256ull << 20) + 4096, UINT64_MAX, 1ull << 63,
    };
    struct pvgpu_layout l;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(pvgpu_layout_compute(bad[i], &l),
                         PVGPU_CODEC_ERR_SHMEM_SIZE);
    }
}

static void test_control_init_and_tamper(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_control *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    memset(c, 0xa5, sizeof(*c));
    pvgpu_control_init(c, &f->layout);
    assert_int_equal(c->magic, PVGPU_CTRL_MAGIC);
    assert_int_equal(c->producer, 0);
    assert_int_equal(c->reserved5[0], 0);
    assert_true(pvgpu_control_matches(c, &f->layout));
    c->heap_size += 4096;
    assert_false(pvgpu_control_matches(c, &f->layout));
    pvgpu_control_init(c, &f->layout);
    c->flags = 1;
    assert_false(pvgpu_control_matches(c, &f->layout));
    free(c);
}

/* ---- indices and framing -------------------------------------------- */

static void test_indices_valid(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_error err;

    assert_int_equal(pvgpu_ring_check_indices(&f->layout, 0, 0, &err), 0);
    assert_int_equal(pvgpu_ring_check_indices(&f->layout, 16,
                                              16 + f->layout.ring_size, &err), 0);
    assert_int_equal(pvgpu_ring_check_indices(&f->layout, UINT64_MAX - 15,
                                              UINT64_MAX - 15, &err), 0);
}

static void test_indices_producer_behind(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_error err;

    assert_int_equal(pvgpu_ring_check_indices(&f->layout, 32, 16, &err),
                     PVGPU_ERROR_RING_INDEX);
    assert_int_equal(err.detail, 16);
}

static void test_indices_overrun(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_error err;

    assert_int_equal(pvgpu_ring_check_indices(&f->layout, 0,
                                              f->layout.ring_size + 16, &err),
                     PVGPU_ERROR_RING_INDEX);
}

static void test_indices_unaligned(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_error err;

    assert_int_equal(pvgpu_ring_check_indices(&f->layout, 0, 24, &err),
                     PVGPU_ERROR_RING_INDEX);
}

static void test_fetch_valid(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_hdr hdr;
    struct pvgpu_cmd_error err;

    put_cmd(f->ring, PVGPU_CMD_FENCE, 32);
    pvgpu_le64_store(f->ring + 16, 7);
    assert_int_equal(fetch_at(f, 0, 32, &hdr, &err), 0);
    assert_int_equal(hdr.type, PVGPU_CMD_FENCE);
    assert_int_equal(hdr.size, 32);
    assert_int_equal(pvgpu_le64_load(f->out + 16), 7);
}

static void test_fetch_size_zero(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_hdr hdr;
    struct pvgpu_cmd_error err;

    put_cmd(f->ring, PVGPU_CMD_NOP, 0);
    assert_int_equal(fetch_at(f, 0, 64, &hdr, &err), PVGPU_ERROR_CMD_SIZE);
    assert_int_equal(err.detail, 0);
}

static void test_fetch_size_unaligned(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_hdr hdr;
    struct pvgpu_cmd_error err;

    put_cmd(f->ring, PVGPU_CMD_NOP, 24);
    assert_int_equal(fetch_at(f, 0, 64, &hdr, &err), PVGPU_ERROR_CMD_SIZE);
    assert_int_equal(err.detail, 24);
}

static void test_fetch_size_above_max(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_hdr hdr;
    struct pvgpu_cmd_error err;

    put_cmd(f->ring, PVGPU_CMD_NOP, PVGPU_CMD_MAX_SIZE + 16);
    assert_int_equal(fetch_at(f, 0, 8192, &hdr, &err), PVGPU_ERROR_CMD_SIZE);
    put_cmd(f->ring, PVGPU_CMD_NOP, 0xfffffff0u);
    assert_int_equal(fetch_at(f, 0, 8192, &hdr, &err), PVGPU_ERROR_CMD_SIZE);
}

static void test_fetch_past_producer(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_hdr hdr;
    struct pvgpu_cmd_error err;

    put_cmd(f->ring, PVGPU_CMD_FENCE, 32);
    assert_int_equal(fetch_at(f, 0, 16, &hdr, &err), PVGPU_ERROR_CMD_SIZE);
}

static void test_fetch_header_incomplete(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_hdr hdr;
    struct pvgpu_cmd_error err;

    /* producer 0 ahead: nothing to fetch is a framing error if asked */
    assert_int_equal(fetch_at(f, 32, 32, &hdr, &err), PVGPU_ERROR_CMD_SIZE);
}

static void test_fetch_crosses_ring_end(void **state)
{
    struct ring_fixture *f = *state;
    uint64_t last = f->layout.ring_size - 16;
    struct pvgpu_cmd_hdr hdr;
    struct pvgpu_cmd_error err;

    put_cmd(f->ring + last, PVGPU_CMD_FENCE, 32);
    assert_int_equal(fetch_at(f, last, last + 64, &hdr, &err),
                     PVGPU_ERROR_CMD_SIZE);
}

static void test_fetch_nop_pad_then_wrap(void **state)
{
    struct ring_fixture *f = *state;
    uint64_t size = f->layout.ring_size;
    uint64_t consumer = 3 * size - 48; /* third lap, 48 bytes before end */
    struct pvgpu_cmd_hdr hdr;
    struct pvgpu_cmd_error err;

    put_cmd(f->ring + size - 48, PVGPU_CMD_NOP, 48);
    put_cmd(f->ring, PVGPU_CMD_FENCE, 32);
    assert_int_equal(fetch_at(f, consumer, consumer + 80, &hdr, &err), 0);
    assert_int_equal(hdr.type, PVGPU_CMD_NOP);
    assert_int_equal(fetch_at(f, consumer + 48, consumer + 80, &hdr, &err), 0);
    assert_int_equal(hdr.type, PVGPU_CMD_FENCE);
}

/* ---- producer planning ---------------------------------------------- */

static int plan(struct ring_fixture *f, uint64_t producer, uint64_t consumer,
                uint32_t size, uint32_t *pad)
{
    *pad = 0xdead; /* must be overwritten whatever the answer */
    return pvgpu_ring_plan(&f->layout, producer, consumer, size, pad);
}

static void test_plan_fits(void **state)
{
    struct ring_fixture *f = *state;
    uint32_t pad;

    assert_int_equal(plan(f, 0, 0, 32, &pad), PVGPU_ERROR_NONE);
    assert_int_equal(pad, 0);
    assert_int_equal(plan(f, 4096, 1024, PVGPU_CMD_MAX_SIZE, &pad),
                     PVGPU_ERROR_NONE);
    assert_int_equal(pad, 0);
}

static void test_plan_needs_pad(void **state)
{
    struct ring_fixture *f = *state;
    uint64_t producer = 3 * f->layout.ring_size - 48;
    uint32_t pad;

    assert_int_equal(plan(f, producer, producer, 64, &pad), PVGPU_ERROR_NONE);
    assert_int_equal(pad, 48);
    /* a command that ends exactly at the ring end needs no pad */
    assert_int_equal(plan(f, producer, producer, 48, &pad), PVGPU_ERROR_NONE);
    assert_int_equal(pad, 0);
}

static void test_plan_pad_and_wrap_exactly_full(void **state)
{
    struct ring_fixture *f = *state;
    uint64_t producer = 2 * f->layout.ring_size - 48;
    /* free space is exactly the 48-byte pad plus the 64-byte command */
    uint64_t consumer = producer - (f->layout.ring_size - 112);
    uint32_t pad;

    assert_int_equal(plan(f, producer, consumer, 64, &pad), PVGPU_ERROR_NONE);
    assert_int_equal(pad, 48);
    assert_int_equal(plan(f, producer, consumer - 16, 64, &pad),
                     PVGPU_RING_PLAN_NO_SPACE);
    assert_int_equal(pad, 48);
}

static void test_plan_no_space(void **state)
{
    struct ring_fixture *f = *state;
    uint64_t producer = 5 * f->layout.ring_size;
    uint32_t pad;

    assert_int_equal(plan(f, producer, producer - f->layout.ring_size, 16,
                          &pad),
                     PVGPU_RING_PLAN_NO_SPACE);
    assert_int_equal(pad, 0);
    assert_int_equal(plan(f, producer, producer - f->layout.ring_size + 16,
                          32, &pad),
                     PVGPU_RING_PLAN_NO_SPACE);
    assert_int_equal(plan(f, producer, producer - f->layout.ring_size + 32,
                          32, &pad),
                     PVGPU_ERROR_NONE);
}

static void test_plan_invalid_size(void **state)
{
    struct ring_fixture *f = *state;
    const uint32_t sizes[] = { 0, 8, 24, 40, PVGPU_CMD_MAX_SIZE + 16,
                               0xfffffff0u };
    uint32_t pad;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        assert_int_equal(plan(f, 0, 0, sizes[i], &pad), PVGPU_ERROR_CMD_SIZE);
        assert_int_equal(pad, 0);
    }
}

static void test_plan_bad_indices(void **state)
{
    struct ring_fixture *f = *state;
    uint32_t pad;

    assert_int_equal(plan(f, 16, 32, 16, &pad), PVGPU_ERROR_RING_INDEX);
    assert_int_equal(plan(f, f->layout.ring_size + 16, 0, 16, &pad),
                     PVGPU_ERROR_RING_INDEX);
    assert_int_equal(plan(f, 24, 0, 16, &pad), PVGPU_ERROR_RING_INDEX);
    assert_int_equal(pad, 0);
}

static void test_plan_producer_at_ring_end(void **state)
{
    struct ring_fixture *f = *state;
    uint64_t producer = f->layout.ring_size; /* offset 0 of the second lap */
    uint32_t pad;

    assert_int_equal(plan(f, producer, producer - 4096, PVGPU_CMD_MAX_SIZE,
                          &pad),
                     PVGPU_ERROR_NONE);
    assert_int_equal(pad, 0);
    /* the last 16 bytes hold one header-only command without a pad */
    assert_int_equal(plan(f, producer - 16, producer - 16, 16, &pad),
                     PVGPU_ERROR_NONE);
    assert_int_equal(pad, 0);
    assert_int_equal(plan(f, UINT64_MAX - 15, UINT64_MAX - 15, 32, &pad),
                     PVGPU_ERROR_NONE);
    assert_int_equal(pad, 16);
}

static void test_nop_init_is_a_valid_command(void **state)
{
    struct ring_fixture *f = *state;
    uint64_t at = f->layout.ring_size - 48;
    struct pvgpu_cmd_hdr hdr;
    struct pvgpu_cmd_error err;

    memset(f->ring + at - 16, 0xaa, 64);
    pvgpu_cmd_nop_init(f->ring + at, 48, 9);
    assert_int_equal(f->ring[at - 1], 0xaa); /* nothing written before */
    for (uint64_t i = 16; i < 48; i++) {
        assert_int_equal(f->ring[at + i], 0);
    }
    assert_int_equal(fetch_at(f, at, at + 48, &hdr, &err), PVGPU_ERROR_NONE);
    assert_int_equal(hdr.type, PVGPU_CMD_NOP);
    assert_int_equal(hdr.size, 48);
    assert_int_equal(hdr.flags, 0);
    assert_int_equal(hdr.id, 9);
    assert_int_equal(pvgpu_cmd_validate(&hdr, f->out, &f->layout, &err),
                     PVGPU_ERROR_NONE);
}

/* ---- command validation --------------------------------------------- */

static void test_validate_unknown_type(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_hdr cmd = { .type = 0x0999, .size = 16 };
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_CMD_UNKNOWN);
    assert_int_equal(err.detail, 0x0999);
}

static void test_validate_wrong_length(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_fence cmd = { .hdr = { PVGPU_CMD_FENCE, 48, 0, 0 } };
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_CMD_LENGTH);
}

static void test_validate_header_flags(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_nop cmd = { .hdr = { PVGPU_CMD_NOP, 16, 0x1, 0 } };
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_RESERVED_NONZERO);
}

static void test_validate_padding_nonzero(void **state)
{
    struct ring_fixture *f = *state;
    uint8_t cmd[48] = { 0 };
    struct pvgpu_cmd_present *p = (struct pvgpu_cmd_present *)cmd;
    struct pvgpu_cmd_error err;

    p->hdr.type = PVGPU_CMD_PRESENT;
    p->hdr.size = 48; /* 40-byte struct padded to 48 */
    p->damage.width = p->damage.height = 1;
    cmd[44] = 1;
    assert_int_equal(validate(f, cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_RESERVED_NONZERO);
    assert_int_equal(err.detail, 44);
    cmd[44] = 0;
    assert_int_equal(validate(f, cmd, sizeof(cmd), &err), 0);
}

static void test_validate_create_ok(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_resource_create_2d cmd = {
        .hdr = CMD_HDR(PVGPU_CMD_RESOURCE_CREATE_2D, sizeof(cmd)),
        .resource_id = 1, .format = PVGPU_FORMAT_R8G8B8A8_UNORM,
        .width = PVGPU_MAX_DIMENSION, .height = 1,
    };
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err), 0);
}

static void test_validate_create_id_zero(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_resource_create_2d cmd = {
        .hdr = CMD_HDR(PVGPU_CMD_RESOURCE_CREATE_2D, sizeof(cmd)),
        .format = PVGPU_FORMAT_B8G8R8A8_UNORM, .width = 4, .height = 4,
    };
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_RESOURCE_ID);
}

static void test_validate_create_bad_format(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_resource_create_2d cmd = {
        .hdr = CMD_HDR(PVGPU_CMD_RESOURCE_CREATE_2D, sizeof(cmd)),
        .resource_id = 1, .format = 5, .width = 4, .height = 4,
    };
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_BAD_FORMAT);
    cmd.format = 0;
    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_BAD_FORMAT);
}

static void test_validate_create_bad_dimensions(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_resource_create_2d cmd = {
        .hdr = CMD_HDR(PVGPU_CMD_RESOURCE_CREATE_2D, sizeof(cmd)),
        .resource_id = 1, .format = 1, .width = 0, .height = 4,
    };
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_BAD_DIMENSIONS);
    cmd.width = PVGPU_MAX_DIMENSION + 1;
    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_BAD_DIMENSIONS);
    cmd.width = 0xffffffffu;
    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_BAD_DIMENSIONS);
}

static void test_validate_destroy_reserved(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_resource_destroy cmd = {
        .hdr = CMD_HDR(PVGPU_CMD_RESOURCE_DESTROY, sizeof(cmd)),
        .resource_id = 3, .reserved = { 0, 0, 9 },
    };
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_RESERVED_NONZERO);
}

static struct pvgpu_cmd_resource_upload upload_cmd(uint64_t heap_offset,
                                                   uint32_t stride,
                                                   uint32_t w, uint32_t h)
{
    struct pvgpu_cmd_resource_upload cmd = {
        .hdr = CMD_HDR(PVGPU_CMD_RESOURCE_UPLOAD, sizeof(cmd)),
        .resource_id = 1, .stride = stride, .heap_offset = heap_offset,
        .dst = { 0, 0, w, h },
    };
    return cmd;
}

static void test_validate_upload_last_byte_of_heap(void **state)
{
    struct ring_fixture *f = *state;
    uint64_t heap = f->layout.heap_size;
    struct pvgpu_cmd_resource_upload cmd = upload_cmd(heap - 64 * 4, 64 * 4,
                                                      64, 1);
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err), 0);
    cmd.heap_offset += 4;
    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_HEAP_RANGE);
}

static void test_validate_upload_offset_outside(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_resource_upload cmd = upload_cmd(UINT64_MAX - 3, 16, 4, 4);
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_HEAP_RANGE);
    assert_int_equal(err.detail, UINT64_MAX - 3);
}

static void test_validate_upload_stride_overflow(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_resource_upload cmd = upload_cmd(0, 0xffffffffu, 4,
                                                      PVGPU_MAX_DIMENSION);
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_HEAP_RANGE);
}

static void test_validate_upload_stride_short(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_resource_upload cmd = upload_cmd(0, 15, 4, 4);
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_BAD_STRIDE);
}

static void test_validate_upload_empty(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_resource_upload cmd = upload_cmd(0, 16, 0, 4);
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_BAD_DIMENSIONS);
}

static void test_validate_fill_reserved(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_fill_rect cmd = {
        .hdr = CMD_HDR(PVGPU_CMD_FILL_RECT, sizeof(cmd)),
        .resource_id = 1, .rect = { 0, 0, 1, 1 }, .reserved = 1,
    };
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_RESERVED_NONZERO);
}

static void test_validate_copy_id_zero(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_copy_rect cmd = {
        .hdr = CMD_HDR(PVGPU_CMD_COPY_RECT, sizeof(cmd)),
        .src_resource_id = 1, .src = { 0, 0, 1, 1 },
    };
    struct pvgpu_cmd_error err;

    assert_int_equal(cmd.hdr.size, 64);
    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_RESOURCE_ID);
}

static void test_validate_scanout_id(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_set_scanout cmd = {
        .hdr = CMD_HDR(PVGPU_CMD_SET_SCANOUT, sizeof(cmd)),
        .scanout_id = 1, .resource_id = 1,
    };
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_SCANOUT_ID);
}

static void test_validate_present_flags(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_present cmd = {
        .hdr = CMD_HDR(PVGPU_CMD_PRESENT, sizeof(cmd)),
        .flags = 0x2,
    };
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_RESERVED_NONZERO);
}

static void test_validate_fence_reserved(void **state)
{
    struct ring_fixture *f = *state;
    struct pvgpu_cmd_fence cmd = {
        .hdr = CMD_HDR(PVGPU_CMD_FENCE, sizeof(cmd)),
        .fence_id = 1, .flags = PVGPU_FENCE_FLAG_IRQ, .reserved = 1,
    };
    struct pvgpu_cmd_error err;

    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err),
                     PVGPU_ERROR_RESERVED_NONZERO);
    cmd.reserved = 0;
    assert_int_equal(validate(f, &cmd, sizeof(cmd), &err), 0);
}

static void test_rect_clip(void **state)
{
    struct pvgpu_rect r = { 10, 10, 100, 100 }, out;

    (void)state;
    assert_true(pvgpu_rect_clip(&r, 50, 40, &out));
    assert_int_equal(out.width, 40);
    assert_int_equal(out.height, 30);
    r = (struct pvgpu_rect){ 0xfffffff0u, 0, 0xffffffffu, 1 };
    assert_false(pvgpu_rect_clip(&r, 64, 64, &out));
    r = (struct pvgpu_rect){ 63, 63, 0xffffffffu, 0xffffffffu };
    assert_true(pvgpu_rect_clip(&r, 64, 64, &out));
    assert_int_equal(out.width, 1);
    assert_int_equal(out.height, 1);
    r = (struct pvgpu_rect){ 0, 0, 0, 5 };
    assert_false(pvgpu_rect_clip(&r, 64, 64, &out));
}

static void test_error_names_distinct(void **state)
{
    static const uint32_t codes[] = {
        0x0000, 0x0101, 0x0102, 0x0103, 0x0201, 0x0202, 0x0203, 0x0204,
        0x0205, 0x0206, 0x0207, 0x0208, 0x0209, 0x020A, 0x020B, 0x020C,
        0x020D, 0x020E, 0x0301,
    };
    size_t n = sizeof(codes) / sizeof(codes[0]);

    (void)state;
    for (size_t a = 0; a < n; a++) {
        assert_string_not_equal(pvgpu_error_name(codes[a]), "unknown-error");
        for (size_t b = a + 1; b < n; b++) {
            assert_string_not_equal(pvgpu_error_name(codes[a]),
                                    pvgpu_error_name(codes[b]));
        }
    }
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_layout_sizes),
        T(test_layout_refuses_bad_sizes),
        T(test_control_init_and_tamper),
        T(test_indices_valid),
        T(test_indices_producer_behind),
        T(test_indices_overrun),
        T(test_indices_unaligned),
        T(test_fetch_valid),
        T(test_fetch_size_zero),
        T(test_fetch_size_unaligned),
        T(test_fetch_size_above_max),
        T(test_fetch_past_producer),
        T(test_fetch_header_incomplete),
        T(test_fetch_crosses_ring_end),
        T(test_fetch_nop_pad_then_wrap),
        T(test_plan_fits),
        T(test_plan_needs_pad),
        T(test_plan_pad_and_wrap_exactly_full),
        T(test_plan_no_space),
        T(test_plan_invalid_size),
        T(test_plan_bad_indices),
        T(test_plan_producer_at_ring_end),
        T(test_nop_init_is_a_valid_command),
        T(test_validate_unknown_type),
        T(test_validate_wrong_length),
        T(test_validate_header_flags),
        T(test_validate_padding_nonzero),
        T(test_validate_create_ok),
        T(test_validate_create_id_zero),
        T(test_validate_create_bad_format),
        T(test_validate_create_bad_dimensions),
        T(test_validate_destroy_reserved),
        T(test_validate_upload_last_byte_of_heap),
        T(test_validate_upload_offset_outside),
        T(test_validate_upload_stride_overflow),
        T(test_validate_upload_stride_short),
        T(test_validate_upload_empty),
        T(test_validate_fill_reserved),
        T(test_validate_copy_id_zero),
        T(test_validate_scanout_id),
        T(test_validate_present_flags),
        T(test_validate_fence_reserved),
        T(test_rect_clip),
        T(test_error_names_distinct),
    };

    return cmocka_run_group_tests_name("codec-ring", tests, NULL, NULL);
}
