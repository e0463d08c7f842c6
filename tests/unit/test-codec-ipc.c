/* CMocka tests of the IPC half of the shared codec. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "pvgpu_codec.h"

static int decode(const uint8_t *buf, size_t len, struct pvgpu_msg *msg)
{
    size_t consumed = 0;
    int ret = pvgpu_ipc_decode(buf, len, msg, &consumed);

    if (ret == PVGPU_CODEC_OK) {
        assert_int_equal(consumed, len);
    }
    return ret;
}

static void put_hdr(uint8_t *buf, uint32_t type, uint32_t size)
{
    pvgpu_le32_store(buf, type);
    pvgpu_le32_store(buf + 4, size);
}

static struct pvgpu_handshake_ext sample_ext(void)
{
    struct pvgpu_handshake_ext ext = {
        .ext_size = sizeof(ext),
        .magic = PVGPU_HANDSHAKE_EXT_MAGIC,
        .version = PVGPU_PROTOCOL_VERSION,
        .num_vectors = PVGPU_NUM_VECTORS,
        .features = PVGPU_FEATURE_SHMEM_FD | PVGPU_FEATURE_EVENTFD,
        .num_fds = 6,
    };
    return ext;
}

/* ---- round trips ---------------------------------------------------- */

static void test_handshake_plain_roundtrip(void **state)
{
    uint8_t buf[PVGPU_IPC_MAX_MSG_SIZE];
    struct pvgpu_msg msg = { 0 };
    size_t len;

    (void)state;
    assert_int_equal(pvgpu_ipc_encode_handshake(buf, sizeof(buf), 256ull << 20,
                                                "/pvgpu-abc", NULL, &len),
                     PVGPU_CODEC_OK);
    assert_int_equal(len, 8 + 8 + 11);
    assert_int_equal(decode(buf, len, &msg), PVGPU_CODEC_OK);
    assert_int_equal(msg.type, PVGPU_MSG_HANDSHAKE);
    assert_int_equal(msg.u.handshake.shmem_size, 256ull << 20);
    assert_string_equal(msg.u.handshake.name, "/pvgpu-abc");
    assert_false(msg.u.handshake.has_ext);
}

static void test_handshake_ext_roundtrip(void **state)
{
    uint8_t buf[PVGPU_IPC_MAX_MSG_SIZE];
    struct pvgpu_handshake_ext ext = sample_ext();
    struct pvgpu_msg msg = { 0 };
    size_t len;

    (void)state;
    assert_int_equal(pvgpu_ipc_encode_handshake(buf, sizeof(buf), 8ull << 30,
                                                "", &ext, &len),
                     PVGPU_CODEC_OK);
    assert_int_equal(decode(buf, len, &msg), PVGPU_CODEC_OK);
    assert_int_equal(msg.u.handshake.shmem_size, 8ull << 30);
    assert_string_equal(msg.u.handshake.name, "");
    assert_true(msg.u.handshake.has_ext);
    assert_memory_equal(&msg.u.handshake.ext, &ext, sizeof(ext));
}

/* The wire bytes are part of the ABI: pin one message of each kind. */
static void test_golden_bytes(void **state)
{
    static const uint8_t want_hs[] = {
        1, 0, 0, 0, 10, 0, 0, 0,                  /* type 1, 10 bytes */
        0, 0, 0, 0x10, 0, 0, 0, 0,                /* 256 MiB */
        'x', 0,
    };
    static const uint8_t want_ack[] = {
        2, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,
    };
    static const uint8_t want_irq[] = { 4, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0 };
    static const uint8_t want_bell[] = { 3, 0, 0, 0, 0, 0, 0, 0 };
    uint8_t buf[64];
    size_t len;

    (void)state;
    assert_int_equal(pvgpu_ipc_encode_handshake(buf, sizeof(buf), 256ull << 20,
                                                "x", NULL, &len), 0);
    assert_int_equal(len, sizeof(want_hs));
    assert_memory_equal(buf, want_hs, len);
    assert_int_equal(pvgpu_ipc_encode_ack(buf, sizeof(buf),
                                          PVGPU_FEATURE_2D |
                                          PVGPU_FEATURE_SHMEM_FD, &len), 0);
    assert_memory_equal(buf, want_ack, sizeof(want_ack));
    assert_int_equal(pvgpu_ipc_encode_irq(buf, sizeof(buf), 3, &len), 0);
    assert_memory_equal(buf, want_irq, sizeof(want_irq));
    assert_int_equal(pvgpu_ipc_encode_empty(buf, sizeof(buf),
                                            PVGPU_MSG_DOORBELL, &len), 0);
    assert_int_equal(len, sizeof(want_bell));
    assert_memory_equal(buf, want_bell, len);
}

static void test_ack_roundtrip(void **state)
{
    uint8_t buf[16];
    struct pvgpu_msg msg = { 0 };
    size_t len;

    (void)state;
    assert_int_equal(pvgpu_ipc_encode_ack(buf, sizeof(buf), 0x8000000000000001ull,
                                          &len), PVGPU_CODEC_OK);
    assert_int_equal(decode(buf, len, &msg), PVGPU_CODEC_OK);
    assert_int_equal(msg.type, PVGPU_MSG_HANDSHAKE_ACK);
    assert_int_equal(msg.u.ack.features, 0x8000000000000001ull);
}

static void test_irq_roundtrip(void **state)
{
    uint8_t buf[12];
    struct pvgpu_msg msg = { 0 };
    size_t len;

    (void)state;
    assert_int_equal(pvgpu_ipc_encode_irq(buf, sizeof(buf), 0xfffffffe, &len),
                     PVGPU_CODEC_OK);
    assert_int_equal(decode(buf, len, &msg), PVGPU_CODEC_OK);
    assert_int_equal(msg.type, PVGPU_MSG_IRQ);
    assert_int_equal(msg.u.irq.vector, 0xfffffffe);
}

static void test_doorbell_and_shutdown_roundtrip(void **state)
{
    uint8_t buf[8];
    struct pvgpu_msg msg = { 0 };
    size_t len;

    (void)state;
    assert_int_equal(pvgpu_ipc_encode_empty(buf, sizeof(buf),
                                            PVGPU_MSG_DOORBELL, &len), 0);
    assert_int_equal(decode(buf, len, &msg), PVGPU_CODEC_OK);
    assert_int_equal(msg.type, PVGPU_MSG_DOORBELL);
    assert_int_equal(pvgpu_ipc_encode_empty(buf, sizeof(buf),
                                            PVGPU_MSG_SHUTDOWN, &len), 0);
    assert_int_equal(decode(buf, len, &msg), PVGPU_CODEC_OK);
    assert_int_equal(msg.type, PVGPU_MSG_SHUTDOWN);
}

static void test_stream_of_messages(void **state)
{
    uint8_t buf[64];
    size_t a, b, consumed;
    struct pvgpu_msg msg = { 0 };

    (void)state;
    assert_int_equal(pvgpu_ipc_encode_irq(buf, sizeof(buf), 1, &a), 0);
    assert_int_equal(pvgpu_ipc_encode_empty(buf + a, sizeof(buf) - a,
                                            PVGPU_MSG_SHUTDOWN, &b), 0);
    assert_int_equal(pvgpu_ipc_decode(buf, a + b, &msg, &consumed), 0);
    assert_int_equal(consumed, a);
    assert_int_equal(msg.type, PVGPU_MSG_IRQ);
    assert_int_equal(pvgpu_ipc_decode(buf + a, b, &msg, &consumed), 0);
    assert_int_equal(msg.type, PVGPU_MSG_SHUTDOWN);
}

/* ---- refused input, one error path per test ------------------------- */

static void test_truncated_header(void **state)
{
    uint8_t buf[7] = { 3, 0, 0, 0, 0, 0, 0 };
    struct pvgpu_msg msg = { 0 };

    (void)state;
    assert_int_equal(decode(buf, sizeof(buf), &msg), PVGPU_CODEC_ERR_TRUNCATED);
    assert_int_equal(decode(buf, 0, &msg), PVGPU_CODEC_ERR_TRUNCATED);
}

static void test_truncated_payload(void **state)
{
    uint8_t buf[12];
    struct pvgpu_msg msg = { 0 };

    (void)state;
    put_hdr(buf, PVGPU_MSG_HANDSHAKE_ACK, 8);
    assert_int_equal(decode(buf, sizeof(buf), &msg), PVGPU_CODEC_ERR_TRUNCATED);
}

static void test_handshake_payload_zero(void **state)
{
    uint8_t buf[8];
    struct pvgpu_msg msg = { 0 };

    (void)state;
    put_hdr(buf, PVGPU_MSG_HANDSHAKE, 0);
    assert_int_equal(decode(buf, sizeof(buf), &msg),
                     PVGPU_CODEC_ERR_PAYLOAD_SIZE);
}

static void check_huge_payload(uint32_t size)
{
    uint8_t buf[8];
    struct pvgpu_ipc_hdr hdr;

    for (uint32_t type = PVGPU_MSG_HANDSHAKE; type <= PVGPU_MSG_TYPE_LAST;
         type++) {
        put_hdr(buf, type, size);
        assert_int_equal(pvgpu_ipc_decode_hdr(buf, sizeof(buf), &hdr),
                         PVGPU_CODEC_ERR_PAYLOAD_TOO_LARGE);
    }
}

static void test_payload_0x7fffffff(void **state)
{
    (void)state;
    check_huge_payload(0x7fffffffu);
}

static void test_payload_0x80000000(void **state)
{
    (void)state;
    check_huge_payload(0x80000000u);
}

static void test_payload_0xffffffff(void **state)
{
    (void)state;
    check_huge_payload(0xffffffffu);
}

static void test_payload_one_above_max(void **state)
{
    (void)state;
    check_huge_payload(PVGPU_IPC_MAX_PAYLOAD + 1);
}

static void test_unknown_type(void **state)
{
    static const uint32_t types[] = { 0, PVGPU_MSG_TYPE_LAST + 1, 0x100,
                                      0xffffffffu };
    uint8_t buf[8];
    struct pvgpu_msg msg = { 0 };

    (void)state;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        put_hdr(buf, types[i], 0);
        assert_int_equal(decode(buf, sizeof(buf), &msg),
                         PVGPU_CODEC_ERR_UNKNOWN_TYPE);
    }
}

static void test_fixed_size_messages_wrong_size(void **state)
{
    uint8_t buf[8];
    struct pvgpu_ipc_hdr hdr;

    (void)state;
    put_hdr(buf, PVGPU_MSG_HANDSHAKE_ACK, 4);
    assert_int_equal(pvgpu_ipc_decode_hdr(buf, 8, &hdr),
                     PVGPU_CODEC_ERR_PAYLOAD_SIZE);
    put_hdr(buf, PVGPU_MSG_IRQ, 8);
    assert_int_equal(pvgpu_ipc_decode_hdr(buf, 8, &hdr),
                     PVGPU_CODEC_ERR_PAYLOAD_SIZE);
    put_hdr(buf, PVGPU_MSG_DOORBELL, 1);
    assert_int_equal(pvgpu_ipc_decode_hdr(buf, 8, &hdr),
                     PVGPU_CODEC_ERR_PAYLOAD_SIZE);
    put_hdr(buf, PVGPU_MSG_SHUTDOWN, 4);
    assert_int_equal(pvgpu_ipc_decode_hdr(buf, 8, &hdr),
                     PVGPU_CODEC_ERR_PAYLOAD_SIZE);
}

static void test_name_missing_nul(void **state)
{
    uint8_t buf[8 + 8 + 4];
    struct pvgpu_msg msg = { 0 };

    (void)state;
    put_hdr(buf, PVGPU_MSG_HANDSHAKE, 12);
    pvgpu_le64_store(buf + 8, 4ull << 20);
    memcpy(buf + 16, "abcd", 4);
    assert_int_equal(decode(buf, sizeof(buf), &msg),
                     PVGPU_CODEC_ERR_NAME_UNTERMINATED);
}

static void test_name_oversized(void **state)
{
    uint8_t buf[8 + 8 + PVGPU_SHMEM_NAME_MAX + 1];
    struct pvgpu_msg msg = { 0 };

    (void)state;
    put_hdr(buf, PVGPU_MSG_HANDSHAKE, 8 + PVGPU_SHMEM_NAME_MAX + 1);
    pvgpu_le64_store(buf + 8, 4ull << 20);
    memset(buf + 16, 'n', PVGPU_SHMEM_NAME_MAX);
    buf[sizeof(buf) - 1] = '\0';
    assert_int_equal(decode(buf, sizeof(buf), &msg),
                     PVGPU_CODEC_ERR_NAME_TOO_LONG);
}

static void test_name_longest_allowed(void **state)
{
    char name[PVGPU_SHMEM_NAME_MAX];
    uint8_t buf[PVGPU_IPC_MAX_MSG_SIZE];
    struct pvgpu_msg msg = { 0 };
    size_t len;

    (void)state;
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    assert_int_equal(pvgpu_ipc_encode_handshake(buf, sizeof(buf), 4ull << 20,
                                                name, NULL, &len), 0);
    assert_int_equal(decode(buf, len, &msg), PVGPU_CODEC_OK);
    assert_string_equal(msg.u.handshake.name, name);
}

static void test_encode_name_too_long(void **state)
{
    char name[PVGPU_SHMEM_NAME_MAX + 1];
    uint8_t buf[PVGPU_IPC_MAX_MSG_SIZE + 16];
    size_t len;

    (void)state;
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    assert_int_equal(pvgpu_ipc_encode_handshake(buf, sizeof(buf), 4ull << 20,
                                                name, NULL, &len),
                     PVGPU_CODEC_ERR_NAME_TOO_LONG);
}

static void test_encode_no_space(void **state)
{
    uint8_t buf[15];
    size_t len;

    (void)state;
    assert_int_equal(pvgpu_ipc_encode_ack(buf, sizeof(buf), 1, &len),
                     PVGPU_CODEC_ERR_NO_SPACE);
}

static size_t ext_message(uint8_t *buf, size_t cap,
                          const struct pvgpu_handshake_ext *ext)
{
    size_t len;

    assert_int_equal(pvgpu_ipc_encode_handshake(buf, cap, 4ull << 20, "",
                                                ext, &len), 0);
    return len;
}

static void test_ext_bad_magic(void **state)
{
    uint8_t buf[PVGPU_IPC_MAX_MSG_SIZE];
    struct pvgpu_handshake_ext ext = sample_ext();
    struct pvgpu_msg msg = { 0 };

    (void)state;
    ext.magic = 0x12345678;
    assert_int_equal(decode(buf, ext_message(buf, sizeof(buf), &ext), &msg),
                     PVGPU_CODEC_ERR_EXTENSION);
}

static void test_ext_reserved_nonzero(void **state)
{
    uint8_t buf[PVGPU_IPC_MAX_MSG_SIZE];
    struct pvgpu_handshake_ext ext = sample_ext();
    struct pvgpu_msg msg = { 0 };

    (void)state;
    ext.reserved = 1;
    assert_int_equal(decode(buf, ext_message(buf, sizeof(buf), &ext), &msg),
                     PVGPU_CODEC_ERR_EXTENSION);
}

static void test_ext_too_many_fds(void **state)
{
    uint8_t buf[PVGPU_IPC_MAX_MSG_SIZE];
    struct pvgpu_handshake_ext ext = sample_ext();
    struct pvgpu_msg msg = { 0 };

    (void)state;
    ext.num_fds = PVGPU_IPC_MAX_FDS + 1;
    assert_int_equal(decode(buf, ext_message(buf, sizeof(buf), &ext), &msg),
                     PVGPU_CODEC_ERR_EXTENSION);
}

static void test_ext_wrong_length(void **state)
{
    uint8_t buf[PVGPU_IPC_MAX_MSG_SIZE];
    struct pvgpu_handshake_ext ext = sample_ext();
    struct pvgpu_msg msg = { 0 };
    size_t len = ext_message(buf, sizeof(buf), &ext);

    (void)state;
    /* drop the last 4 bytes of the extension */
    pvgpu_le32_store(buf + 4, (uint32_t)(len - 8 - 4));
    assert_int_equal(decode(buf, len - 4, &msg), PVGPU_CODEC_ERR_EXTENSION);
}

static void test_ext_size_field_wrong(void **state)
{
    uint8_t buf[PVGPU_IPC_MAX_MSG_SIZE];
    struct pvgpu_handshake_ext ext = sample_ext();
    struct pvgpu_msg msg = { 0 };

    (void)state;
    ext.ext_size = 64;
    assert_int_equal(decode(buf, ext_message(buf, sizeof(buf), &ext), &msg),
                     PVGPU_CODEC_ERR_EXTENSION);
}

static void test_strerror_distinct(void **state)
{
    (void)state;
    for (int a = PVGPU_CODEC_OK; a <= PVGPU_CODEC_ERR_DISPLAY; a++) {
        for (int b = a + 1; b <= PVGPU_CODEC_ERR_DISPLAY; b++) {
            assert_string_not_equal(pvgpu_codec_strerror(a),
                                    pvgpu_codec_strerror(b));
        }
    }
    assert_string_equal(pvgpu_codec_strerror(999), "unknown codec error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_plain_roundtrip),
        cmocka_unit_test(test_handshake_ext_roundtrip),
        cmocka_unit_test(test_golden_bytes),
        cmocka_unit_test(test_ack_roundtrip),
        cmocka_unit_test(test_irq_roundtrip),
        cmocka_unit_test(test_doorbell_and_shutdown_roundtrip),
        cmocka_unit_test(test_stream_of_messages),
        cmocka_unit_test(test_truncated_header),
        cmocka_unit_test(test_truncated_payload),
        cmocka_unit_test(test_handshake_payload_zero),
        cmocka_unit_test(test_payload_0x7fffffff),
        cmocka_unit_test(test_payload_0x80000000),
        cmocka_unit_test(test_payload_0xffffffff),
        cmocka_unit_test(test_payload_one_above_max),
        cmocka_unit_test(test_unknown_type),
        cmocka_unit_test(test_fixed_size_messages_wrong_size),
        cmocka_unit_test(test_name_missing_nul),
        cmocka_unit_test(test_name_oversized),
        cmocka_unit_test(test_name_longest_allowed),
        cmocka_unit_test(test_encode_name_too_long),
        cmocka_unit_test(test_encode_no_space),
        cmocka_unit_test(test_ext_bad_magic),
        cmocka_unit_test(test_ext_reserved_nonzero),
        cmocka_unit_test(test_ext_too_many_fds),
        cmocka_unit_test(test_ext_wrong_length),
        cmocka_unit_test(test_ext_size_field_wrong),
        cmocka_unit_test(test_strerror_distinct),
    };

    return cmocka_run_group_tests_name("codec-ipc", tests, NULL, NULL);
}
