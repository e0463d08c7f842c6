/* SPDX-License-Identifier: MIT */
/*
 * HANDSHAKE as the backend receives it, the shared memory it hands over,
 * and what the guest sees once the backend acknowledges.
 */
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "pvgpu-fixture.h"
#include "test-log.h"
#include "test-runner.h"

/* Heap offset the tests write patterns at (inside every BAR2 size). */
#define PATTERN_OFFSET (PVGPU_HEAP_OFFSET + 0x1000)
#define PATTERN_BYTES 4096

static void wait_handshake(PvgpuFixture *fx, guint n)
{
    g_assert_true(fake_backend_wait_count(fx->backend, FAKE_COUNT_HANDSHAKES,
                                          n, pvgpu_deadline()));
}

static void test_handshake_payload(void)
{
    PvgpuFixtureOptions opts = { .no_auto_ack = TRUE };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);
    FakeHandshake hs;

    wait_handshake(fx, 1);
    hs = fake_backend_last_handshake(fx->backend);
    /* u64 size, "" (one NUL), then the 32-byte extension */
    g_assert_cmpuint(hs.payload_size, ==,
                     8 + 1 + sizeof(struct pvgpu_handshake_ext));
    g_assert_cmpuint(hs.shmem_size, ==, PVGPU_SHMEM_DEFAULT_SIZE);
    g_assert_cmpstr(hs.name, ==, "");
    g_assert_true(hs.has_ext);
    g_assert_cmpuint(hs.ext.ext_size, ==, sizeof(struct pvgpu_handshake_ext));
    g_assert_cmphex(hs.ext.magic, ==, PVGPU_HANDSHAKE_EXT_MAGIC);
    g_assert_cmphex(hs.ext.version, ==, PVGPU_PROTOCOL_VERSION);
    g_assert_cmpuint(hs.ext.num_vectors, ==, PVGPU_NUM_VECTORS);
    g_assert_cmphex(hs.ext.features, ==,
                    PVGPU_FEATURE_SHMEM_FD | PVGPU_FEATURE_EVENTFD |
                        PVGPU_FEATURE_DISPLAY | PVGPU_FEATURE_DISPLAY_HINT |
                        PVGPU_FEATURE_DISPLAY_CURSOR);
    g_assert_cmpuint(hs.ext.reserved, ==, 0);
    /* shmem fd, doorbell eventfd, one eventfd per vector */
    g_assert_cmpuint(hs.ext.num_fds, ==, 2 + PVGPU_NUM_VECTORS);
    g_assert_cmpuint(hs.num_fds, ==, hs.ext.num_fds);
    /* a memfd of exactly the BAR size, sealed against resizing */
    g_assert_cmpuint(hs.shmem_fd_size, ==, PVGPU_SHMEM_DEFAULT_SIZE);
    g_assert_cmpint(hs.shmem_fd_seals, >=, 0);
    g_assert_cmphex(hs.shmem_fd_seals & (F_SEAL_SHRINK | F_SEAL_GROW), ==,
                    F_SEAL_SHRINK | F_SEAL_GROW);
    /* no acknowledgement yet: connected, not ready */
    g_assert_true(pvgpu_wait_reg(fx, PVGPU_REG_STATUS,
                                 PVGPU_STATUS_BACKEND_CONNECTED,
                                 PVGPU_STATUS_BACKEND_CONNECTED,
                                 pvgpu_deadline()));
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS) &
                    PVGPU_STATUS_READY, ==, 0);
    g_assert_cmpuint(pvgpu_reg_read(fx, PVGPU_REG_GENERATION), ==, 0);
}

static void test_handshake_payload_no_eventfd(void)
{
    PvgpuFixtureOptions opts = {
        .no_auto_ack = TRUE,
        .device_props = "eventfd=off,shmem_size=64M",
    };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);
    FakeHandshake hs;

    wait_handshake(fx, 1);
    hs = fake_backend_last_handshake(fx->backend);
    g_assert_cmpuint(hs.shmem_size, ==, 64ull << 20);
    g_assert_true(hs.has_ext);
    g_assert_cmphex(hs.ext.features, ==,
                    PVGPU_FEATURE_SHMEM_FD | PVGPU_FEATURE_DISPLAY |
                        PVGPU_FEATURE_DISPLAY_HINT |
                        PVGPU_FEATURE_DISPLAY_CURSOR);
    g_assert_cmpuint(hs.ext.num_fds, ==, 1);
    g_assert_cmpuint(hs.num_fds, ==, 1);
    g_assert_cmpuint(hs.shmem_fd_size, ==, 64ull << 20);
}

/* ACK: READY, negotiated features, generation 1, vector DEVICE raised. */
static void test_handshake_ready(void)
{
    const guint64 acked = PVGPU_FEATURE_2D | PVGPU_FEATURE_SHMEM_FD;
    PvgpuFixtureOptions opts = { .ack_features = acked };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);

    pvgpu_assert_ready(fx);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_FEATURES_LO), ==,
                    (guint32)acked);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_FEATURES_HI), ==,
                    (guint32)(acked >> 32));
    g_assert_cmpuint(pvgpu_reg_read(fx, PVGPU_REG_GENERATION), ==, 1);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS) &
                    (1u << PVGPU_VECTOR_DEVICE), !=, 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS) &
                    PVGPU_STATUS_STICKY, ==, 0);
}

/* Connecting, being acknowledged and reconnecting close only what the device
 * opened: QEMU's stdin (the serial console of `-serial stdio`) and its
 * stdout/stderr stay what they were. */
static void test_handshake_keeps_qemu_stdio(void)
{
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(NULL);
    ChildProcess *proc = qt_process(fx->qt);
    g_autofree gchar *out = child_process_fd_target(proc, 1);
    guint64 handshakes;

    pvgpu_assert_ready(fx);
    handshakes = fake_backend_count(fx->backend, FAKE_COUNT_HANDSHAKES);
    pvgpu_reg_write(fx, PVGPU_REG_RESET, PVGPU_RESET_VALUE);
    wait_handshake(fx, handshakes + 1);
    pvgpu_assert_ready(fx);
    for (int fd = 0; fd <= 2; fd++) {
        g_autofree gchar *target = child_process_fd_target(proc, fd);

        g_test_message("QEMU fd %d: %s", fd, target ? target : "(closed)");
        g_assert_cmpstr(target, ==, fd == 0 ? "/dev/null" : out);
    }
}

/* Host-IPC features the device did not offer are not negotiated. */
static void test_handshake_unoffered_feature(void)
{
    PvgpuFixtureOptions opts = {
        .device_props = "eventfd=off",
        .ack_features = PVGPU_FEATURE_SHMEM_FD | PVGPU_FEATURE_EVENTFD,
    };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);

    pvgpu_assert_ready(fx);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_FEATURES_HI), ==,
                    (guint32)(PVGPU_FEATURE_SHMEM_FD >> 32));
}

/* The fd maps the very memory the guest sees through BAR2, both ways. */
static void test_handshake_shared_memory(void)
{
    PvgpuFixtureOptions opts = { .ack_features = PVGPU_FEATURE_SHMEM_FD };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);
    g_autofree guint8 *pattern = g_malloc(PATTERN_BYTES);
    g_autofree guint8 *readback = g_malloc(PATTERN_BYTES);
    guint8 *shm;
    gsize size = 0;

    wait_handshake(fx, 1);
    shm = fake_backend_shmem(fx->backend, &size);
    g_assert_nonnull(shm);
    g_assert_cmpuint(size, ==, PVGPU_SHMEM_DEFAULT_SIZE);

    /* what the device wrote at realize is in the backend's mapping */
    g_assert_cmphex(pvgpu_le32_load(shm), ==, PVGPU_CTRL_MAGIC);

    for (guint i = 0; i < PATTERN_BYTES; i++) {
        pattern[i] = (guint8)(i * 7 + 1);
    }
    qt_memwrite(fx->qt, fx->shmem + PATTERN_OFFSET, pattern, PATTERN_BYTES);
    g_assert_cmpmem(shm + PATTERN_OFFSET, PATTERN_BYTES, pattern,
                    PATTERN_BYTES);

    for (guint i = 0; i < PATTERN_BYTES; i++) {
        pattern[i] = (guint8)(255 - i);
    }
    memcpy(shm + PATTERN_OFFSET, pattern, PATTERN_BYTES);
    qt_memread(fx->qt, fx->shmem + PATTERN_OFFSET, readback, PATTERN_BYTES);
    g_assert_cmpmem(readback, PATTERN_BYTES, pattern, PATTERN_BYTES);

    /* the last byte of the BAR too */
    shm[size - 1] = 0xa5;
    g_assert_cmphex(qt_readb(fx->qt, fx->shmem + size - 1), ==, 0xa5);
}

/*
 * legacy_shm_name=on: the handshake also names a POSIX shm object, which
 * exists until the backend acknowledges and is unlinked then.
 */
static void test_handshake_legacy_name(void)
{
    PvgpuFixtureOptions opts = {
        .no_auto_ack = TRUE,
        .device_props = "legacy_shm_name=on,shmem_size=4M",
    };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);
    g_autofree gchar *dev_shm = NULL;
    FakeHandshake hs;

    wait_handshake(fx, 1);
    hs = fake_backend_last_handshake(fx->backend);
    g_assert_true(g_str_has_prefix(hs.name, "/pvgpu-"));
    g_assert_cmpuint(strlen(hs.name), >, strlen("/pvgpu-"));
    g_assert_cmpuint(hs.payload_size, ==,
                     8 + strlen(hs.name) + 1 +
                     sizeof(struct pvgpu_handshake_ext));
    dev_shm = g_strconcat("/dev/shm", hs.name, NULL);
    g_assert_true(g_file_test(dev_shm, G_FILE_TEST_EXISTS));

    g_assert_true(fake_backend_send_ack(fx->backend,
                                        PVGPU_FEATURE_SHMEM_FD));
    pvgpu_assert_ready(fx);
    g_assert_false(g_file_test(dev_shm, G_FILE_TEST_EXISTS));
}

/*
 * memdev: the HANDSHAKE fd is the memory backend's memfd (its name), and
 * it maps the very memory
 * the guest sees through BAR2, with the control region initialised.
 */
static void test_handshake_memdev(void)
{
    const char *args[] = {
        "-object",
        "memory-backend-memfd,id=gpumem,size=64M,share=on",
        NULL
    };
    PvgpuFixtureOptions opts = {
        .device_props = "memdev=gpumem",
        .ack_features = PVGPU_FEATURE_SHMEM_FD,
        .extra_args = args,
    };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);
    g_autofree guint8 *pattern = g_malloc(PATTERN_BYTES);
    g_autofree guint8 *readback = g_malloc(PATTERN_BYTES);
    FakeHandshake hs;
    guint8 *shm;
    gsize size = 0;

    wait_handshake(fx, 1);
    hs = fake_backend_last_handshake(fx->backend);
    g_assert_cmpuint(hs.shmem_size, ==, 64ull << 20);
    g_assert_cmpstr(hs.name, ==, "");
    g_assert_cmpuint(hs.shmem_fd_size, ==, 64ull << 20);
    test_log("memdev fd: %s", hs.shmem_fd_target);
    g_assert_nonnull(strstr(hs.shmem_fd_target, "memory-backend-memfd"));

    shm = fake_backend_shmem(fx->backend, &size);
    g_assert_nonnull(shm);
    g_assert_cmpuint(size, ==, 64ull << 20);
    g_assert_cmphex(pvgpu_le32_load(shm), ==, PVGPU_CTRL_MAGIC);
    g_assert_cmphex(qt_readl(fx->qt, fx->shmem), ==, PVGPU_CTRL_MAGIC);
    g_assert_cmphex(qt_readq(fx->qt, fx->shmem +
                             offsetof(struct pvgpu_control, shmem_size)),
                    ==, 64ull << 20);

    for (guint i = 0; i < PATTERN_BYTES; i++) {
        pattern[i] = (guint8)(i * 13 + 5);
    }
    qt_memwrite(fx->qt, fx->shmem + PATTERN_OFFSET, pattern, PATTERN_BYTES);
    g_assert_cmpmem(shm + PATTERN_OFFSET, PATTERN_BYTES, pattern,
                    PATTERN_BYTES);

    for (guint i = 0; i < PATTERN_BYTES; i++) {
        pattern[i] = (guint8)(i ^ 0x5a);
    }
    memcpy(shm + PATTERN_OFFSET, pattern, PATTERN_BYTES);
    qt_memread(fx->qt, fx->shmem + PATTERN_OFFSET, readback, PATTERN_BYTES);
    g_assert_cmpmem(readback, PATTERN_BYTES, pattern, PATTERN_BYTES);

    shm[size - 1] = 0x3c;
    g_assert_cmphex(qt_readb(fx->qt, fx->shmem + size - 1), ==, 0x3c);
    pvgpu_assert_ready(fx);
}

/* memory-backend-memfd's own seals (seal=on, its default) reach the peer */
static void test_handshake_memdev_sealed(void)
{
    const char *args[] = {
        "-object", "memory-backend-memfd,id=gpumem,size=4M", NULL
    };
    PvgpuFixtureOptions opts = {
        .no_auto_ack = TRUE,
        .device_props = "memdev=gpumem,shmem_size=4M",
        .extra_args = args,
    };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);
    FakeHandshake hs;

    wait_handshake(fx, 1);
    hs = fake_backend_last_handshake(fx->backend);
    g_assert_cmpuint(hs.shmem_size, ==, 4ull << 20);
    g_assert_nonnull(strstr(hs.shmem_fd_target, "memory-backend-memfd"));
    g_assert_cmphex(hs.shmem_fd_seals & (F_SEAL_SHRINK | F_SEAL_GROW), ==,
                    F_SEAL_SHRINK | F_SEAL_GROW);
}

int main(int argc, char **argv)
{
    pvgpu_test_init(&argc, &argv);
    pvgpu_test_add("/pvgpu/handshake/payload", test_handshake_payload);
    pvgpu_test_add("/pvgpu/handshake/payload-no-eventfd",
                   test_handshake_payload_no_eventfd);
    pvgpu_test_add("/pvgpu/handshake/ready", test_handshake_ready);
    pvgpu_test_add("/pvgpu/handshake/keeps-qemu-stdio",
                   test_handshake_keeps_qemu_stdio);
    pvgpu_test_add("/pvgpu/handshake/unoffered-feature",
                   test_handshake_unoffered_feature);
    pvgpu_test_add("/pvgpu/handshake/shared-memory",
                   test_handshake_shared_memory);
    pvgpu_test_add("/pvgpu/handshake/legacy-name",
                   test_handshake_legacy_name);
    pvgpu_test_add("/pvgpu/handshake/memdev", test_handshake_memdev);
    pvgpu_test_add("/pvgpu/handshake/memdev-sealed",
                   test_handshake_memdev_sealed);
    return pvgpu_test_run();
}
