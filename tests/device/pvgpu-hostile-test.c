/* SPDX-License-Identifier: MIT */
/*
 * A backend that breaks the protocol, one way per test. Whatever it sends,
 * QEMU stays up and answers QMP, says on stderr what happened, and (for
 * anything that leaves the stream unusable) drops the connection and comes
 * back with a new handshake.
 */
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pvgpu-fixture.h"
#include "test-runner.h"

static PvgpuFixture *start(gboolean ready)
{
    PvgpuFixtureOptions opts = { .no_auto_ack = !ready,
                                 .ack_features = PVGPU_FEATURE_SHMEM_FD };
    PvgpuFixture *fx = pvgpu_fixture_start(&opts);

    g_assert_true(fake_backend_wait_count(fx->backend, FAKE_COUNT_HANDSHAKES,
                                          1, pvgpu_deadline()));
    if (ready) {
        pvgpu_assert_ready(fx);
    }
    return fx;
}

/* A header announcing payload_size bytes of HANDSHAKE_ACK, then garbage. */
static void check_payload_size(guint32 payload_size)
{
    g_autoptr(PvgpuFixture) fx = start(TRUE);
    PvgpuMark mark = pvgpu_mark(fx);
    guint8 msg[64];

    memset(msg, 0x41, sizeof(msg));
    pvgpu_le32_store(msg, PVGPU_MSG_HANDSHAKE_ACK);
    pvgpu_le32_store(msg + 4, payload_size);
    g_assert_true(fake_backend_send_raw(fx->backend, msg, sizeof(msg)));
    pvgpu_assert_survived_and_reconnected(fx, &mark);
    /* and the device works with the next connection */
    pvgpu_assert_ready(fx);
    g_assert_cmpuint(pvgpu_reg_read(fx, PVGPU_REG_GENERATION), ==, 2);
}

static void test_hostile_payload_ffffffff(void)
{
    check_payload_size(0xffffffffu);
}

static void test_hostile_payload_80000000(void)
{
    check_payload_size(0x80000000u);
}

static void test_hostile_payload_7fffffff(void)
{
    check_payload_size(0x7fffffffu);
}

/* IRQ with an 8-byte payload instead of 4. */
static void test_hostile_irq_wrong_size(void)
{
    g_autoptr(PvgpuFixture) fx = start(TRUE);
    PvgpuMark mark = pvgpu_mark(fx);
    guint8 msg[16] = { 0 };

    pvgpu_le32_store(msg, PVGPU_MSG_IRQ);
    pvgpu_le32_store(msg + 4, 8);
    g_assert_true(fake_backend_send_raw(fx->backend, msg, sizeof(msg)));
    pvgpu_assert_survived_and_reconnected(fx, &mark);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS) & 1, ==, 0);
}

static void test_hostile_unknown_type(void)
{
    g_autoptr(PvgpuFixture) fx = start(TRUE);
    PvgpuMark mark = pvgpu_mark(fx);
    guint8 msg[8];

    pvgpu_le32_store(msg, 0x99);
    pvgpu_le32_store(msg + 4, 0);
    g_assert_true(fake_backend_send_raw(fx->backend, msg, sizeof(msg)));
    pvgpu_assert_survived_and_reconnected(fx, &mark);
}

/* A well-formed message of a type only the device may send. */
static void test_hostile_handshake_from_backend(void)
{
    g_autoptr(PvgpuFixture) fx = start(TRUE);
    PvgpuMark mark = pvgpu_mark(fx);
    guint8 msg[PVGPU_IPC_MAX_MSG_SIZE];
    size_t len;

    g_assert_cmpint(pvgpu_ipc_encode_handshake(msg, sizeof(msg),
                                               PVGPU_SHMEM_DEFAULT_SIZE, "",
                                               NULL, &len),
                    ==, PVGPU_CODEC_OK);
    g_assert_true(fake_backend_send_raw(fx->backend, msg, len));
    pvgpu_assert_survived_and_reconnected(fx, &mark);
}

/* Half a header, then the backend dies. */
static void test_hostile_truncated_header(void)
{
    g_autoptr(PvgpuFixture) fx = start(TRUE);
    PvgpuMark mark = pvgpu_mark(fx);
    guint8 msg[4];

    pvgpu_le32_store(msg, PVGPU_MSG_IRQ);
    g_assert_true(fake_backend_send_raw(fx->backend, msg, sizeof(msg)));
    fake_backend_drop_connection(fx->backend);
    g_assert_true(fake_backend_wait_count(fx->backend, FAKE_COUNT_HANDSHAKES,
                                          2, pvgpu_deadline()));
    pvgpu_assert_qemu_responsive(fx);
    pvgpu_assert_stderr_mentions(fx, mark.stderr_len, "pvgpu");
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS) &
                    PVGPU_STATUS_DEVICE_LOST, ==, PVGPU_STATUS_DEVICE_LOST);
}

static void test_hostile_ack_twice(void)
{
    g_autoptr(PvgpuFixture) fx = start(TRUE);
    PvgpuMark mark = pvgpu_mark(fx);

    g_assert_true(fake_backend_send_ack(fx->backend, PVGPU_FEATURE_SHMEM_FD));
    pvgpu_assert_survived_and_reconnected(fx, &mark);
}

/* IRQ while the handshake is unanswered: refused, not raised. */
static void test_hostile_irq_before_handshake(void)
{
    g_autoptr(PvgpuFixture) fx = start(FALSE);
    PvgpuMark mark = pvgpu_mark(fx);

    g_assert_true(fake_backend_send_irq(fx->backend, PVGPU_VECTOR_FENCE));
    pvgpu_assert_survived_and_reconnected(fx, &mark);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS) &
                    (1u << PVGPU_VECTOR_FENCE), ==, 0);
    g_assert_cmpuint(pvgpu_reg_read(fx, PVGPU_REG_GENERATION), ==, 0);
}

/*
 * A vector out of range is refused and logged; the stream is still well
 * framed, so the connection stays (SPEC.md: "refused and logged").
 */
static void test_hostile_vector_out_of_range(void)
{
    g_autoptr(PvgpuFixture) fx = start(TRUE);
    PvgpuMark mark = pvgpu_mark(fx);
    guint32 before = pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS);

    g_assert_true(fake_backend_send_irq(fx->backend, 0x80000000u));
    g_assert_true(fake_backend_send_irq(fx->backend, PVGPU_VECTOR_DISPLAY));
    g_assert_true(pvgpu_wait_reg(fx, PVGPU_REG_IRQ_STATUS,
                                 1u << PVGPU_VECTOR_DISPLAY,
                                 1u << PVGPU_VECTOR_DISPLAY,
                                 pvgpu_deadline()));
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS), ==,
                    before | (1u << PVGPU_VECTOR_DISPLAY));
    pvgpu_assert_stderr_mentions(fx, mark.stderr_len, "pvgpu");
    pvgpu_assert_qemu_responsive(fx);
    g_assert_cmpuint(fake_backend_count(fx->backend, FAKE_COUNT_DISCONNECTS),
                     ==, 0);
    g_assert_cmpuint(fake_backend_count(fx->backend, FAKE_COUNT_HANDSHAKES),
                     ==, 1);
}

/*
 * Descriptors the device never asked for, attached to IRQ messages: they
 * must not pile up in QEMU (no leak), and the messages still work.
 */
static void test_hostile_unexpected_fds(void)
{
    g_autoptr(PvgpuFixture) fx = start(TRUE);
    ChildProcess *proc = qt_process(fx->qt);
    const guint rounds = 16;
    int fds_before;
    int fds_after;
    guint8 msg[16];
    size_t len;

    fds_before = child_process_count_fds(proc);
    g_assert_cmpint(fds_before, >, 0);
    g_assert_cmpint(pvgpu_ipc_encode_irq(msg, sizeof(msg),
                                         PVGPU_VECTOR_DISPLAY, &len),
                    ==, PVGPU_CODEC_OK);
    for (guint i = 0; i < rounds; i++) {
        int efd = eventfd(0, EFD_CLOEXEC);

        g_assert_cmpint(efd, >=, 0);
        g_assert_true(fake_backend_send_with_fds(fx->backend, msg, len,
                                                 &efd, 1));
        close(efd);
        g_assert_true(pvgpu_wait_reg(fx, PVGPU_REG_IRQ_STATUS,
                                     1u << PVGPU_VECTOR_DISPLAY,
                                     1u << PVGPU_VECTOR_DISPLAY,
                                     pvgpu_deadline()));
        pvgpu_reg_write(fx, PVGPU_REG_IRQ_STATUS,
                        1u << PVGPU_VECTOR_DISPLAY);
    }
    pvgpu_assert_qemu_responsive(fx);
    fds_after = child_process_count_fds(proc);
    g_assert_cmpint(fds_after, <=, fds_before);
}

int main(int argc, char **argv)
{
    pvgpu_test_init(&argc, &argv);
    pvgpu_test_add("/pvgpu/hostile/payload-size-ffffffff",
                   test_hostile_payload_ffffffff);
    pvgpu_test_add("/pvgpu/hostile/payload-size-80000000",
                   test_hostile_payload_80000000);
    pvgpu_test_add("/pvgpu/hostile/payload-size-7fffffff",
                   test_hostile_payload_7fffffff);
    pvgpu_test_add("/pvgpu/hostile/irq-wrong-size",
                   test_hostile_irq_wrong_size);
    pvgpu_test_add("/pvgpu/hostile/unknown-type", test_hostile_unknown_type);
    pvgpu_test_add("/pvgpu/hostile/handshake-from-backend",
                   test_hostile_handshake_from_backend);
    pvgpu_test_add("/pvgpu/hostile/truncated-header",
                   test_hostile_truncated_header);
    pvgpu_test_add("/pvgpu/hostile/ack-twice", test_hostile_ack_twice);
    pvgpu_test_add("/pvgpu/hostile/irq-before-handshake",
                   test_hostile_irq_before_handshake);
    pvgpu_test_add("/pvgpu/hostile/vector-out-of-range",
                   test_hostile_vector_out_of_range);
    pvgpu_test_add("/pvgpu/hostile/unexpected-fds",
                   test_hostile_unexpected_fds);
    return pvgpu_test_run();
}
