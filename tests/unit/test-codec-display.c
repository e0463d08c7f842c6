/* CMocka tests of the DISPLAY_SCANOUT / DISPLAY_UPDATE codec. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "pvgpu_codec.h"

static struct pvgpu_display_scanout sample_scanout(void)
{
    struct pvgpu_display_scanout so = {
        .scanout_id = 0,
        .format = PVGPU_FORMAT_B8G8R8X8_UNORM,
        .width = 640,
        .height = 480,
        .stride = 640 * 4,
    };
    return so;
}

static int scanout_roundtrip(const struct pvgpu_display_scanout *in,
                             struct pvgpu_msg *msg)
{
    uint8_t buf[PVGPU_IPC_MAX_MSG_SIZE];
    size_t len = 0;
    size_t consumed = 0;
    int ret;

    assert_int_equal(pvgpu_ipc_encode_display_scanout(buf, sizeof(buf), in,
                                                      &len),
                     PVGPU_CODEC_OK);
    assert_int_equal(len, 8 + 24);
    ret = pvgpu_ipc_decode(buf, len, msg, &consumed);
    if (ret == PVGPU_CODEC_OK) {
        assert_int_equal(consumed, len);
    }
    return ret;
}

static int update_roundtrip(uint32_t x, uint32_t y, uint32_t w, uint32_t h,
                            struct pvgpu_msg *msg)
{
    struct pvgpu_display_update up = {
        .rect = { .x = x, .y = y, .width = w, .height = h },
    };
    uint8_t buf[PVGPU_IPC_MAX_MSG_SIZE];
    size_t len = 0;
    size_t consumed = 0;

    assert_int_equal(pvgpu_ipc_encode_display_update(buf, sizeof(buf), &up,
                                                     &len),
                     PVGPU_CODEC_OK);
    assert_int_equal(len, 8 + 24);
    return pvgpu_ipc_decode(buf, len, msg, &consumed);
}

static void test_scanout_roundtrip(void **state)
{
    struct pvgpu_display_scanout so = sample_scanout();
    struct pvgpu_msg msg = { 0 };

    (void)state;
    so.stride = 4096;
    assert_int_equal(scanout_roundtrip(&so, &msg), PVGPU_CODEC_OK);
    assert_int_equal(msg.type, PVGPU_MSG_DISPLAY_SCANOUT);
    assert_int_equal(msg.u.scanout.format, PVGPU_FORMAT_B8G8R8X8_UNORM);
    assert_int_equal(msg.u.scanout.width, 640);
    assert_int_equal(msg.u.scanout.height, 480);
    assert_int_equal(msg.u.scanout.stride, 4096);
}

static void test_scanout_disable(void **state)
{
    struct pvgpu_display_scanout so = { 0 };
    struct pvgpu_msg msg = { 0 };

    (void)state;
    assert_int_equal(scanout_roundtrip(&so, &msg), PVGPU_CODEC_OK);
    assert_int_equal(msg.u.scanout.width, 0);
    /* a disable that still names a size is refused */
    so.height = 480;
    assert_int_equal(scanout_roundtrip(&so, &msg), PVGPU_CODEC_ERR_DISPLAY);
}

static void test_scanout_invalid(void **state)
{
    struct pvgpu_msg msg = { 0 };
    struct pvgpu_display_scanout so;

    (void)state;
    so = sample_scanout();
    so.stride = 640 * 4 - 1;
    assert_int_equal(scanout_roundtrip(&so, &msg), PVGPU_CODEC_ERR_DISPLAY);
    so = sample_scanout();
    so.stride = 640 * 4 + 2; /* not a whole number of pixels */
    assert_int_equal(scanout_roundtrip(&so, &msg), PVGPU_CODEC_ERR_DISPLAY);
    so = sample_scanout();
    so.width = PVGPU_MAX_DIMENSION + 1;
    so.stride = 0xffffffffu;
    assert_int_equal(scanout_roundtrip(&so, &msg), PVGPU_CODEC_ERR_DISPLAY);
    so = sample_scanout();
    so.height = 0;
    assert_int_equal(scanout_roundtrip(&so, &msg), PVGPU_CODEC_ERR_DISPLAY);
    so = sample_scanout();
    so.format = 0;
    assert_int_equal(scanout_roundtrip(&so, &msg), PVGPU_CODEC_ERR_DISPLAY);
    so = sample_scanout();
    so.format = PVGPU_FORMAT_R8G8B8X8_UNORM + 1;
    assert_int_equal(scanout_roundtrip(&so, &msg), PVGPU_CODEC_ERR_DISPLAY);
    so = sample_scanout();
    so.scanout_id = PVGPU_MAX_SCANOUTS;
    assert_int_equal(scanout_roundtrip(&so, &msg), PVGPU_CODEC_ERR_DISPLAY);
    so = sample_scanout();
    so.reserved = 1;
    assert_int_equal(scanout_roundtrip(&so, &msg), PVGPU_CODEC_ERR_DISPLAY);
    so = sample_scanout();
    so.width = PVGPU_MAX_DIMENSION;
    so.height = PVGPU_MAX_DIMENSION;
    so.stride = PVGPU_MAX_DIMENSION * 4;
    assert_int_equal(scanout_roundtrip(&so, &msg), PVGPU_CODEC_OK);
}

static void test_scanout_fits(void **state)
{
    struct pvgpu_display_scanout so = sample_scanout();

    (void)state;
    assert_true(pvgpu_display_scanout_fits(&so, 640 * 4 * 480));
    assert_false(pvgpu_display_scanout_fits(&so, 640 * 4 * 480 - 1));
    /* no 32-bit overflow: 2^32 - 1 stride times 16384 rows */
    so.stride = 0xfffffffcu;
    so.height = PVGPU_MAX_DIMENSION;
    assert_false(pvgpu_display_scanout_fits(&so, 0xffffffffull));
    assert_true(pvgpu_display_scanout_fits(&so,
                                           0xfffffffcull * PVGPU_MAX_DIMENSION));
}

static void test_update_roundtrip(void **state)
{
    struct pvgpu_msg msg = { 0 };

    (void)state;
    assert_int_equal(update_roundtrip(1, 2, 3, 4, &msg), PVGPU_CODEC_OK);
    assert_int_equal(msg.type, PVGPU_MSG_DISPLAY_UPDATE);
    assert_int_equal(msg.u.update.rect.x, 1);
    assert_int_equal(msg.u.update.rect.y, 2);
    assert_int_equal(msg.u.update.rect.width, 3);
    assert_int_equal(msg.u.update.rect.height, 4);
}

static void test_update_invalid(void **state)
{
    struct pvgpu_msg msg = { 0 };

    (void)state;
    assert_int_equal(update_roundtrip(0, 0, 0, 4, &msg),
                     PVGPU_CODEC_ERR_DISPLAY);
    assert_int_equal(update_roundtrip(0, 0, 4, 0, &msg),
                     PVGPU_CODEC_ERR_DISPLAY);
    assert_int_equal(update_roundtrip(0xffffffffu, 0, 2, 1, &msg),
                     PVGPU_CODEC_ERR_DISPLAY);
    assert_int_equal(update_roundtrip(0, PVGPU_MAX_DIMENSION, 1, 1, &msg),
                     PVGPU_CODEC_ERR_DISPLAY);
}

static void test_update_fits(void **state)
{
    struct pvgpu_display_update up = {
        .rect = { .x = 600, .y = 400, .width = 40, .height = 80 },
    };

    (void)state;
    assert_true(pvgpu_display_update_fits(&up, 640, 480));
    assert_false(pvgpu_display_update_fits(&up, 639, 480));
    assert_false(pvgpu_display_update_fits(&up, 640, 479));
}

static void test_wrong_payload_size(void **state)
{
    uint8_t buf[8];
    struct pvgpu_ipc_hdr hdr;

    (void)state;
    pvgpu_le32_store(buf, PVGPU_MSG_DISPLAY_SCANOUT);
    pvgpu_le32_store(buf + 4, 20);
    assert_int_equal(pvgpu_ipc_decode_hdr(buf, 8, &hdr),
                     PVGPU_CODEC_ERR_PAYLOAD_SIZE);
    pvgpu_le32_store(buf, PVGPU_MSG_DISPLAY_UPDATE);
    pvgpu_le32_store(buf + 4, 28);
    assert_int_equal(pvgpu_ipc_decode_hdr(buf, 8, &hdr),
                     PVGPU_CODEC_ERR_PAYLOAD_SIZE);
    pvgpu_le32_store(buf, PVGPU_MSG_DISPLAY_HINT);
    pvgpu_le32_store(buf + 4, 24);
    assert_int_equal(pvgpu_ipc_decode_hdr(buf, 8, &hdr),
                     PVGPU_CODEC_ERR_PAYLOAD_SIZE);
}

static void test_hint_roundtrip(void **state)
{
    struct pvgpu_display_hint hint = { .width = 1920, .height = 1080 };
    uint8_t buf[64];
    struct pvgpu_msg msg;
    size_t len = 0, used = 0;

    (void)state;
    assert_int_equal(pvgpu_ipc_encode_display_hint(buf, sizeof(buf), &hint,
                                                   &len), PVGPU_CODEC_OK);
    assert_int_equal(len, 8 + 16);
    assert_int_equal(pvgpu_le32_load(buf), PVGPU_MSG_DISPLAY_HINT);
    assert_int_equal(pvgpu_le32_load(buf + 12), 1920);
    assert_int_equal(pvgpu_le32_load(buf + 16), 1080);
    assert_int_equal(pvgpu_ipc_decode(buf, len, &msg, &used),
                     PVGPU_CODEC_OK);
    assert_int_equal(used, len);
    assert_int_equal(msg.type, PVGPU_MSG_DISPLAY_HINT);
    assert_int_equal(msg.u.hint.width, 1920);
    assert_int_equal(msg.u.hint.height, 1080);
}

static void test_hint_invalid(void **state)
{
    static const struct pvgpu_display_hint bad[] = {
        { 0, 0, 1080, 0 },
        { 0, 1920, 0, 0 },
        { 0, PVGPU_MAX_DIMENSION + 1, 1080, 0 },
        { 0, 1920, PVGPU_MAX_DIMENSION + 1, 0 },
        { PVGPU_MAX_SCANOUTS, 1920, 1080, 0 },
        { 0, 1920, 1080, 1 },
    };
    struct pvgpu_display_hint edge = { 0, PVGPU_MAX_DIMENSION,
                                       PVGPU_MAX_DIMENSION, 0 };
    uint8_t buf[64];
    struct pvgpu_msg msg;
    size_t len, used;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(pvgpu_ipc_encode_display_hint(buf, sizeof(buf),
                                                       &bad[i], &len),
                         PVGPU_CODEC_OK);
        assert_int_equal(pvgpu_ipc_decode(buf, len, &msg, &used),
                         PVGPU_CODEC_ERR_DISPLAY);
    }
    assert_true(pvgpu_display_hint_valid(&edge));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scanout_roundtrip),
        cmocka_unit_test(test_scanout_disable),
        cmocka_unit_test(test_scanout_invalid),
        cmocka_unit_test(test_scanout_fits),
        cmocka_unit_test(test_update_roundtrip),
        cmocka_unit_test(test_update_invalid),
        cmocka_unit_test(test_update_fits),
        cmocka_unit_test(test_wrong_payload_size),
        cmocka_unit_test(test_hint_roundtrip),
        cmocka_unit_test(test_hint_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
