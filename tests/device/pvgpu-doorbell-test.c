/* SPDX-License-Identifier: MIT */
/*
 * DOORBELL: one message per write while the backend keeps up, an eventfd
 * kick instead when the backend acknowledged EVENTFD, and coalescing (with
 * QEMU staying responsive and bounded) when the backend stops reading.
 */
#include "pvgpu-fixture.h"
#include "test-log.h"
#include "test-runner.h"

#define STORM_DOORBELLS 100000u
/* QEMU's resident memory may not grow by this much during the storm. */
#define STORM_RSS_LIMIT_KIB (64u * 1024u)

static PvgpuFixture *start_ready(guint64 ack_features)
{
    PvgpuFixtureOptions opts = { .ack_features = ack_features };
    PvgpuFixture *fx = pvgpu_fixture_start(&opts);

    pvgpu_assert_ready(fx);
    return fx;
}

/*
 * The device's messages and the end of the connection arrive in order:
 * once the backend sees the EOF that RESET causes, every DOORBELL the
 * device sent before it has been counted.
 */
static void barrier_by_reset(PvgpuFixture *fx)
{
    guint64 disconnects = fake_backend_count(fx->backend,
                                             FAKE_COUNT_DISCONNECTS);

    pvgpu_reg_write(fx, PVGPU_REG_RESET, PVGPU_RESET_VALUE);
    g_assert_true(fake_backend_wait_count(fx->backend,
                                          FAKE_COUNT_DISCONNECTS,
                                          disconnects + 1,
                                          pvgpu_deadline()));
}

static void test_doorbell_socket(void)
{
    g_autoptr(PvgpuFixture) fx = start_ready(PVGPU_FEATURE_SHMEM_FD);
    const guint writes = 10;

    g_assert_cmpuint(fake_backend_count(fx->backend, FAKE_COUNT_DOORBELLS),
                     ==, 0);
    for (guint i = 1; i <= writes; i++) {
        pvgpu_reg_write(fx, PVGPU_REG_DOORBELL, i);
        g_assert_true(fake_backend_wait_count(fx->backend,
                                              FAKE_COUNT_DOORBELLS, i,
                                              pvgpu_deadline()));
    }
    barrier_by_reset(fx);
    g_assert_cmpuint(fake_backend_count(fx->backend, FAKE_COUNT_DOORBELLS),
                     ==, writes);
    g_assert_cmpuint(fake_backend_count(fx->backend,
                                        FAKE_COUNT_DOORBELL_KICKS), ==, 0);
    g_assert_cmpuint(fake_backend_count(fx->backend,
                                        FAKE_COUNT_BAD_MESSAGES), ==, 0);
}

/* Before READY there is nobody to ring: the write is dropped. */
static void test_doorbell_not_ready(void)
{
    PvgpuFixtureOptions opts = { .no_auto_ack = TRUE };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);

    g_assert_true(fake_backend_wait_count(fx->backend, FAKE_COUNT_HANDSHAKES,
                                          1, pvgpu_deadline()));
    pvgpu_reg_write(fx, PVGPU_REG_DOORBELL, 1);
    barrier_by_reset(fx);
    g_assert_cmpuint(fake_backend_count(fx->backend, FAKE_COUNT_DOORBELLS),
                     ==, 0);
}

static void test_doorbell_eventfd(void)
{
    g_autoptr(PvgpuFixture) fx =
        start_ready(PVGPU_FEATURE_SHMEM_FD | PVGPU_FEATURE_EVENTFD);
    const guint writes = 5;

    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_FEATURES_HI), ==,
                    (guint32)((PVGPU_FEATURE_SHMEM_FD |
                               PVGPU_FEATURE_EVENTFD) >> 32));
    for (guint i = 1; i <= writes; i++) {
        pvgpu_reg_write(fx, PVGPU_REG_DOORBELL, i);
        g_assert_true(fake_backend_wait_count(fx->backend,
                                              FAKE_COUNT_DOORBELL_KICKS, i,
                                              pvgpu_deadline()));
    }
    barrier_by_reset(fx);
    g_assert_cmpuint(fake_backend_count(fx->backend, FAKE_COUNT_DOORBELLS),
                     ==, 0);
    g_assert_cmpuint(fake_backend_count(fx->backend,
                                        FAKE_COUNT_DOORBELL_KICKS), ==,
                     writes);
}

/*
 * 100k doorbells against a backend that stopped reading: QEMU answers
 * every qtest write and QMP, its memory stays bounded, and once the
 * backend reads again it gets the DOORBELLs the socket held plus exactly
 * one for everything that was coalesced.
 */
static void test_doorbell_stalled_backend(void)
{
    g_autoptr(PvgpuFixture) fx = start_ready(PVGPU_FEATURE_SHMEM_FD);
    ChildProcess *proc = qt_process(fx->qt);
    guint64 rss_before, rss_after;
    gsize queued;
    guint64 in_socket;

    fake_backend_set_stalled(fx->backend, TRUE);
    rss_before = child_process_rss_kib(proc);
    g_assert_cmpuint(rss_before, >, 0);

    qt_writel_repeat(fx->qt, fx->regs + PVGPU_REG_DOORBELL, 1,
                     STORM_DOORBELLS);
    pvgpu_assert_qemu_responsive(fx);
    rss_after = child_process_rss_kib(proc);
    test_log("QEMU RSS %" G_GUINT64_FORMAT " KiB -> %" G_GUINT64_FORMAT
             " KiB", rss_before, rss_after);
    g_assert_cmpuint(rss_after, <, rss_before + STORM_RSS_LIMIT_KIB);
    g_assert_cmpuint(fake_backend_count(fx->backend, FAKE_COUNT_DOORBELLS),
                     ==, 0);

    fake_backend_set_stalled(fx->backend, FALSE);
    queued = fake_backend_queued_at_resume(fx->backend);
    g_assert_cmpuint(queued % sizeof(struct pvgpu_ipc_hdr), ==, 0);
    in_socket = queued / sizeof(struct pvgpu_ipc_hdr);
    /* the socket filled up long before the storm ended */
    g_assert_cmpuint(in_socket, >, 0);
    g_assert_cmpuint(in_socket, <, STORM_DOORBELLS / 2);

    g_assert_true(fake_backend_wait_count(fx->backend, FAKE_COUNT_DOORBELLS,
                                          in_socket + 1, pvgpu_deadline()));
    barrier_by_reset(fx);
    test_log("%" G_GUINT64_FORMAT " DOORBELLs received; the socket held %"
             G_GUINT64_FORMAT ", one more stands for all coalesced ones",
             fake_backend_count(fx->backend, FAKE_COUNT_DOORBELLS),
             in_socket);
    g_assert_cmpuint(fake_backend_count(fx->backend, FAKE_COUNT_DOORBELLS),
                     ==, in_socket + 1);
    g_assert_cmpuint(fake_backend_count(fx->backend,
                                        FAKE_COUNT_BAD_MESSAGES), ==, 0);
}

int main(int argc, char **argv)
{
    pvgpu_test_init(&argc, &argv);
    pvgpu_test_add("/pvgpu/doorbell/socket", test_doorbell_socket);
    pvgpu_test_add("/pvgpu/doorbell/not-ready", test_doorbell_not_ready);
    pvgpu_test_add("/pvgpu/doorbell/eventfd", test_doorbell_eventfd);
    pvgpu_test_add("/pvgpu/doorbell/stalled-backend",
                   test_doorbell_stalled_backend);
    return pvgpu_test_run();
}
