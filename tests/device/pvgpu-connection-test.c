/* SPDX-License-Identifier: MIT */
/*
 * The device's connection to the backend over its life: no backend at
 * start, a backend that appears later, goes away, comes back; and the
 * RESET register and system reset, which reconnect too.
 */
#include <string.h>

#include "pvgpu-fixture.h"
#include "qmp-client.h"
#include "test-runner.h"

#define CONNECTED_READY \
    (PVGPU_STATUS_BACKEND_CONNECTED | PVGPU_STATUS_READY)
#define ALL_VECTORS ((1u << PVGPU_NUM_VECTORS) - 1)
#define PATTERN_OFFSET (PVGPU_HEAP_OFFSET + 0x4000)

static void wait_handshakes(PvgpuFixture *fx, guint n)
{
    g_assert_true(fake_backend_wait_count(fx->backend, FAKE_COUNT_HANDSHAKES,
                                          n, pvgpu_deadline()));
}

/* No backend: neither CONNECTED nor READY, and QEMU says it retries. */
static void test_connection_no_backend(void)
{
    PvgpuFixtureOptions opts = { .no_backend = TRUE };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);

    pvgpu_assert_stderr_mentions(fx, 0, fx->socket_path);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS) & CONNECTED_READY,
                    ==, 0);
    g_assert_cmpuint(pvgpu_reg_read(fx, PVGPU_REG_GENERATION), ==, 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS), ==, 0);
    pvgpu_assert_qemu_responsive(fx);
}

/* A backend that starts after QEMU gets a handshake and the device READY. */
static void test_connection_late_backend(void)
{
    PvgpuFixtureOptions opts = { .no_backend = TRUE };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);

    /* let at least one connection attempt fail first */
    pvgpu_assert_stderr_mentions(fx, 0, fx->socket_path);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS), ==, 0);

    pvgpu_fixture_start_backend(fx, TRUE, PVGPU_FEATURE_SHMEM_FD);
    wait_handshakes(fx, 1);
    pvgpu_assert_ready(fx);
    g_assert_cmpuint(pvgpu_reg_read(fx, PVGPU_REG_GENERATION), ==, 1);
    /* no backend was lost: it only appeared */
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS) &
                    PVGPU_STATUS_DEVICE_LOST, ==, 0);
}

/*
 * The backend dies: STATUS.DEVICE_LOST set, CONNECTED and READY cleared,
 * features forgotten, vector DEVICE raised (as an MSI-X message).
 */
static void test_connection_backend_lost(void)
{
    PvgpuFixtureOptions opts = { .ack_features = PVGPU_FEATURE_SHMEM_FD };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);

    pci_msix_enable(&fx->pci);
    pci_msix_route_to_ram(&fx->pci, PVGPU_NUM_VECTORS);
    pvgpu_assert_ready(fx);
    pvgpu_reg_write(fx, PVGPU_REG_IRQ_STATUS, ALL_VECTORS);
    pci_msix_take_message(&fx->pci, PVGPU_VECTOR_DEVICE);

    pvgpu_fixture_stop_backend(fx);
    g_assert_true(pvgpu_wait_reg(fx, PVGPU_REG_STATUS,
                                 PVGPU_STATUS_DEVICE_LOST,
                                 PVGPU_STATUS_DEVICE_LOST,
                                 pvgpu_deadline()));
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS), ==,
                    PVGPU_STATUS_DEVICE_LOST);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_FEATURES_LO), ==, 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_FEATURES_HI), ==, 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS), ==,
                    1u << PVGPU_VECTOR_DEVICE);
    g_assert_true(pci_msix_wait_message(&fx->pci, PVGPU_VECTOR_DEVICE,
                                        pvgpu_deadline()));
    /* the generation counts handshakes, it does not go back */
    g_assert_cmpuint(pvgpu_reg_read(fx, PVGPU_REG_GENERATION), ==, 1);
    pvgpu_assert_qemu_responsive(fx);
}

/*
 * A restarted backend: new connection and handshake, GENERATION + 1, the
 * same memory (what the guest wrote is in the new mapping), READY again;
 * DEVICE_LOST stays until the guest clears it.
 */
static void test_connection_backend_restart(void)
{
    PvgpuFixtureOptions opts = { .ack_features = PVGPU_FEATURE_SHMEM_FD };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);
    static const char pattern[] = "written by the guest before the crash";
    guint8 *shm;
    gsize size = 0;

    pvgpu_assert_ready(fx);
    qt_memwrite(fx->qt, fx->shmem + PATTERN_OFFSET, pattern,
                sizeof(pattern));
    /* ring indices are guest data too and must survive */
    qt_writeq(fx->qt, fx->shmem + offsetof(struct pvgpu_control, producer),
              0x1230);

    pvgpu_fixture_stop_backend(fx);
    g_assert_true(pvgpu_wait_reg(fx, PVGPU_REG_STATUS,
                                 PVGPU_STATUS_DEVICE_LOST | CONNECTED_READY,
                                 PVGPU_STATUS_DEVICE_LOST,
                                 pvgpu_deadline()));

    pvgpu_fixture_start_backend(fx, TRUE, PVGPU_FEATURE_SHMEM_FD);
    wait_handshakes(fx, 1);
    g_assert_true(pvgpu_wait_reg(fx, PVGPU_REG_GENERATION, ~0u, 2,
                                 pvgpu_deadline()));
    pvgpu_assert_ready(fx);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS) &
                    PVGPU_STATUS_DEVICE_LOST, ==, PVGPU_STATUS_DEVICE_LOST);

    shm = fake_backend_shmem(fx->backend, &size);
    g_assert_nonnull(shm);
    g_assert_cmpuint(size, ==, PVGPU_SHMEM_DEFAULT_SIZE);
    g_assert_cmpmem(shm + PATTERN_OFFSET, sizeof(pattern), pattern,
                    sizeof(pattern));
    g_assert_cmphex(pvgpu_le64_load(shm + offsetof(struct pvgpu_control,
                                                   producer)), ==, 0x1230);
    g_assert_cmphex(pvgpu_le32_load(shm), ==, PVGPU_CTRL_MAGIC);

    pvgpu_reg_write(fx, PVGPU_REG_STATUS, PVGPU_STATUS_DEVICE_LOST);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS), ==,
                    CONNECTED_READY);
}

/* SHUTDOWN from the backend is a backend going away. */
static void test_connection_backend_shutdown(void)
{
    PvgpuFixtureOptions opts = { .ack_features = PVGPU_FEATURE_SHMEM_FD };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);
    guint8 msg[sizeof(struct pvgpu_ipc_hdr)];
    size_t len;

    pvgpu_assert_ready(fx);
    g_assert_cmpint(pvgpu_ipc_encode_empty(msg, sizeof(msg),
                                           PVGPU_MSG_SHUTDOWN, &len),
                    ==, PVGPU_CODEC_OK);
    g_assert_true(fake_backend_send_raw(fx->backend, msg, len));
    g_assert_true(fake_backend_wait_count(fx->backend,
                                          FAKE_COUNT_DISCONNECTS, 1,
                                          pvgpu_deadline()));
    /* the listener is still there: the device comes back */
    wait_handshakes(fx, 2);
    g_assert_true(pvgpu_wait_reg(fx, PVGPU_REG_GENERATION, ~0u, 2,
                                 pvgpu_deadline()));
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS) &
                    PVGPU_STATUS_DEVICE_LOST, ==, PVGPU_STATUS_DEVICE_LOST);
}

/*
 * State the reset tests start from: READY after one lost connection
 * (DEVICE_LOST set), an ERROR interrupt (STATUS.ERROR), a mask, a control
 * region the guest scribbled on. The backend stops answering handshakes,
 * so that nothing new is raised after the reset before the test looks.
 */
static PvgpuFixture *start_dirty(void)
{
    PvgpuFixtureOptions opts = { .ack_features = PVGPU_FEATURE_SHMEM_FD };
    PvgpuFixture *fx = pvgpu_fixture_start(&opts);
    const guint32 sticky = PVGPU_STATUS_STICKY;

    pvgpu_assert_ready(fx);
    fake_backend_drop_connection(fx->backend);
    wait_handshakes(fx, 2);
    g_assert_true(pvgpu_wait_reg(fx, PVGPU_REG_GENERATION, ~0u, 2,
                                 pvgpu_deadline()));
    g_assert_true(fake_backend_send_irq(fx->backend, PVGPU_VECTOR_ERROR));
    g_assert_true(pvgpu_wait_reg(fx, PVGPU_REG_STATUS, sticky, sticky,
                                 pvgpu_deadline()));
    pvgpu_reg_write(fx, PVGPU_REG_IRQ_MASK, 0x3);
    qt_writel(fx->qt, fx->shmem, 0xbad0bad0);
    qt_writeq(fx->qt, fx->shmem + offsetof(struct pvgpu_control, producer),
              0x40);
    fake_backend_set_auto_ack(fx->backend, FALSE, 0);
    return fx;
}

/* What a reset leaves: registers cleared, control region re-initialised. */
static void assert_reset_state(PvgpuFixture *fx)
{
    struct pvgpu_layout layout = { 0 };
    struct pvgpu_control *want = g_new0(struct pvgpu_control, 1);
    struct pvgpu_control *got = g_new0(struct pvgpu_control, 1);

    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS), ==, 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_MASK), ==, 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS) &
                    (PVGPU_STATUS_STICKY | PVGPU_STATUS_READY), ==, 0);
    g_assert_cmpint(pvgpu_layout_compute(PVGPU_SHMEM_DEFAULT_SIZE, &layout),
                    ==, PVGPU_CODEC_OK);
    pvgpu_control_init(want, &layout);
    qt_memread(fx->qt, fx->shmem, got, sizeof(*got));
    g_assert_cmpmem(got, sizeof(*got), want, sizeof(*want));
    g_free(want);
    g_free(got);
}

/* The device reconnects after a reset: a new handshake, READY on ACK. */
static void assert_reconnects_after_reset(PvgpuFixture *fx)
{
    wait_handshakes(fx, 3);
    g_assert_true(fake_backend_send_ack(fx->backend, PVGPU_FEATURE_SHMEM_FD));
    pvgpu_assert_ready(fx);
    g_assert_cmpuint(pvgpu_reg_read(fx, PVGPU_REG_GENERATION), ==, 3);
    /* a reset is no loss of the backend */
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS) &
                    PVGPU_STATUS_DEVICE_LOST, ==, 0);
}

static void test_reset_register(void)
{
    g_autoptr(PvgpuFixture) fx = start_dirty();

    /* only the value 1 resets */
    pvgpu_reg_write(fx, PVGPU_REG_RESET, 2);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_MASK), ==, 0x3);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS) &
                    PVGPU_STATUS_STICKY, ==, PVGPU_STATUS_STICKY);

    pvgpu_reg_write(fx, PVGPU_REG_RESET, PVGPU_RESET_VALUE);
    assert_reset_state(fx);
    assert_reconnects_after_reset(fx);
}

static void test_reset_system(void)
{
    g_autoptr(PvgpuFixture) fx = start_dirty();
    g_autoptr(JsonObject) reply = qt_qmp(fx->qt,
                                         "{'execute': 'system_reset'}");

    g_autoptr(JsonObject) event = NULL;

    g_assert_null(qmp_reply_error_desc(reply));
    event = qt_qmp_wait_event(fx->qt, "RESET", pvgpu_deadline());
    g_assert_nonnull(event);
    /* firmware would assign BARs again; the test does */
    pci_assign_bars(&fx->pci);
    pci_enable(&fx->pci);
    assert_reset_state(fx);
    assert_reconnects_after_reset(fx);
}

/*
 * A guest resetting in a loop: each reset while connected reconnects, but
 * a storm costs the backend a handful of handshakes, not one per reset,
 * QEMU logs nothing per reset, and the device still comes back READY.
 */
static void test_reset_storm(void)
{
    PvgpuFixtureOptions opts = { .ack_features = PVGPU_FEATURE_SHMEM_FD };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);
    gsize stderr_before;
    guint64 connections;
    gint64 end;
    guint resets = 0;

    pvgpu_assert_ready(fx);
    stderr_before = pvgpu_stderr_len(fx);
    end = g_get_monotonic_time() + G_USEC_PER_SEC;
    while (g_get_monotonic_time() < end) {
        pvgpu_reg_write(fx, PVGPU_REG_RESET, PVGPU_RESET_VALUE);
        resets++;
        /* give the main loop time to run a zero-delay reconnection */
        g_usleep(2000);
    }
    connections = fake_backend_count(fx->backend, FAKE_COUNT_CONNECTIONS);
    g_test_message("%u resets in 1 s, %" G_GUINT64_FORMAT " connections",
                   resets, connections);
    g_assert_cmpuint(resets, >=, 100);
    /* 0, 50, 100, 200, 400, 800 ms: at most 7 in a second, with slack */
    g_assert_cmpuint(connections, <=, 10);
    g_assert_cmpuint(pvgpu_stderr_len(fx) - stderr_before, <, 512);
    pvgpu_assert_ready(fx);
}

int main(int argc, char **argv)
{
    pvgpu_test_init(&argc, &argv);
    pvgpu_test_add("/pvgpu/connection/no-backend",
                   test_connection_no_backend);
    pvgpu_test_add("/pvgpu/connection/late-backend",
                   test_connection_late_backend);
    pvgpu_test_add("/pvgpu/connection/backend-lost",
                   test_connection_backend_lost);
    pvgpu_test_add("/pvgpu/connection/backend-restart",
                   test_connection_backend_restart);
    pvgpu_test_add("/pvgpu/connection/backend-shutdown",
                   test_connection_backend_shutdown);
    pvgpu_test_add("/pvgpu/reset/register", test_reset_register);
    pvgpu_test_add("/pvgpu/reset/system-reset", test_reset_system);
    pvgpu_test_add("/pvgpu/reset/storm", test_reset_storm);
    return pvgpu_test_run();
}
