/* SPDX-License-Identifier: MIT */
/*
 * BAR0 registers before any backend, and the control region the device
 * writes at the start of BAR2.
 */
#include <string.h>

#include "pvgpu-fixture.h"
#include "test-runner.h"

/* QEMU without a backend: registers show the device alone. */
static PvgpuFixture *start_alone(const char *props)
{
    PvgpuFixtureOptions opts = { .no_backend = TRUE, .device_props = props };

    return pvgpu_fixture_start(&opts);
}

static void test_regs_identity(void)
{
    g_autoptr(PvgpuFixture) fx = start_alone(NULL);

    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_MAGIC), ==, PVGPU_MAGIC);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_VERSION), ==,
                    PVGPU_PROTOCOL_VERSION);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_SHMEM_SIZE_LO), ==,
                    (guint32)PVGPU_SHMEM_DEFAULT_SIZE);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_SHMEM_SIZE_HI), ==, 0);
    g_assert_cmpuint(pvgpu_reg_read(fx, PVGPU_REG_NUM_VECTORS), ==,
                     PVGPU_NUM_VECTORS);
}

static void test_regs_shmem_size_8g(void)
{
    g_autoptr(PvgpuFixture) fx = start_alone("shmem_size=8G");

    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_SHMEM_SIZE_LO), ==, 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_SHMEM_SIZE_HI), ==, 2);
}

static void test_regs_initial_state(void)
{
    g_autoptr(PvgpuFixture) fx = start_alone(NULL);

    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS), ==, 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_FEATURES_LO), ==, 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_FEATURES_HI), ==, 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_GENERATION), ==, 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS), ==, 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_MASK), ==, 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_DOORBELL), ==, 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_RESET), ==, 0);
}

static void test_regs_device_features(void)
{
    g_autoptr(PvgpuFixture) fx = start_alone(NULL);
    g_autoptr(PvgpuFixture) no_efd = start_alone("eventfd=off");
    guint64 with, without;

    with = pvgpu_reg_read(fx, PVGPU_REG_DEVICE_FEATURES_LO) |
           (guint64)pvgpu_reg_read(fx, PVGPU_REG_DEVICE_FEATURES_HI) << 32;
    without = pvgpu_reg_read(no_efd, PVGPU_REG_DEVICE_FEATURES_LO) |
              (guint64)pvgpu_reg_read(no_efd, PVGPU_REG_DEVICE_FEATURES_HI)
              << 32;
    g_assert_cmphex(with & PVGPU_FEATURE_SHMEM_FD, !=, 0);
    g_assert_cmphex(with & PVGPU_FEATURE_EVENTFD, !=, 0);
    g_assert_cmphex(without & PVGPU_FEATURE_SHMEM_FD, !=, 0);
    g_assert_cmphex(without & PVGPU_FEATURE_EVENTFD, ==, 0);
}

/* Unlisted offsets read 0 and ignore writes; read-only ones stay. */
static void test_regs_unknown_offsets(void)
{
    static const guint32 unlisted[] = { 0x03c, 0x040, 0x100, 0x800, 0xffc };
    g_autoptr(PvgpuFixture) fx = start_alone(NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(unlisted); i++) {
        g_assert_cmphex(pvgpu_reg_read(fx, unlisted[i]), ==, 0);
        pvgpu_reg_write(fx, unlisted[i], 0xdeadbeef);
        g_assert_cmphex(pvgpu_reg_read(fx, unlisted[i]), ==, 0);
    }
    pvgpu_reg_write(fx, PVGPU_REG_MAGIC, 0);
    pvgpu_reg_write(fx, PVGPU_REG_NUM_VECTORS, 99);
    pvgpu_reg_write(fx, PVGPU_REG_GENERATION, 7);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_MAGIC), ==, PVGPU_MAGIC);
    g_assert_cmpuint(pvgpu_reg_read(fx, PVGPU_REG_NUM_VECTORS), ==,
                     PVGPU_NUM_VECTORS);
    g_assert_cmpuint(pvgpu_reg_read(fx, PVGPU_REG_GENERATION), ==, 0);
}

/* IRQ_MASK keeps the vector bits only. */
static void test_regs_irq_mask(void)
{
    g_autoptr(PvgpuFixture) fx = start_alone(NULL);

    pvgpu_reg_write(fx, PVGPU_REG_IRQ_MASK, 0x5);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_MASK), ==, 0x5);
    pvgpu_reg_write(fx, PVGPU_REG_IRQ_MASK, 0xffffffff);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_MASK), ==,
                    (1u << PVGPU_NUM_VECTORS) - 1);
    pvgpu_reg_write(fx, PVGPU_REG_IRQ_MASK, 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_MASK), ==, 0);
}

/*
 * Only aligned 32-bit accesses reach the registers: narrower or unaligned
 * ones are refused (reads give no register bits, writes change nothing).
 * (Wider ones are not tried: qtest's writeq is split into two 32-bit
 * accesses by QEMU's memory core before the device sees it.)
 */
static void test_regs_access_size(void)
{
    g_autoptr(PvgpuFixture) fx = start_alone(NULL);
    QTestClient *qt = fx->qt;

    g_assert_cmphex(qt_readw(qt, fx->regs + PVGPU_REG_MAGIC), !=,
                    PVGPU_MAGIC & 0xffff);
    g_assert_cmphex(qt_readb(qt, fx->regs + PVGPU_REG_MAGIC), !=,
                    PVGPU_MAGIC & 0xff);
    g_assert_cmphex(qt_readl(qt, fx->regs + PVGPU_REG_MAGIC + 2), !=,
                    PVGPU_MAGIC >> 16);
    qt_writeb(qt, fx->regs + PVGPU_REG_IRQ_MASK, 0x3);
    qt_writew(qt, fx->regs + PVGPU_REG_IRQ_MASK, 0x3);
    qt_writel(qt, fx->regs + PVGPU_REG_IRQ_MASK + 1, 0x3);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_MASK), ==, 0);
    /* the aligned 32-bit access does work */
    pvgpu_reg_write(fx, PVGPU_REG_IRQ_MASK, 0x3);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_MASK), ==, 0x3);
}

/* The control region equals pvgpu_control_init() of the layout. */
static void check_control_region(const char *props, guint64 shmem_size)
{
    g_autoptr(PvgpuFixture) fx = start_alone(props);
    struct pvgpu_layout layout = { 0 };
    struct pvgpu_control *want = g_new0(struct pvgpu_control, 1);
    struct pvgpu_control *got = g_new0(struct pvgpu_control, 1);

    g_assert_cmpint(pvgpu_layout_compute(shmem_size, &layout), ==,
                    PVGPU_CODEC_OK);
    pvgpu_control_init(want, &layout);
    qt_memread(fx->qt, fx->shmem, got, sizeof(*got));
    g_assert_cmphex(got->magic, ==, PVGPU_CTRL_MAGIC);
    g_assert_cmphex(got->version, ==, PVGPU_PROTOCOL_VERSION);
    g_assert_cmpuint(got->ctrl_size, ==, sizeof(struct pvgpu_control));
    g_assert_cmpuint(got->shmem_size, ==, shmem_size);
    g_assert_cmpuint(got->ring_offset, ==, layout.ring_offset);
    g_assert_cmpuint(got->ring_size, ==, layout.ring_size);
    g_assert_cmpuint(got->heap_offset, ==, layout.heap_offset);
    g_assert_cmpuint(got->heap_size, ==, layout.heap_size);
    g_assert_true(pvgpu_control_matches(got, &layout));
    /* and everything else is zero */
    g_assert_cmpmem(got, sizeof(*got), want, sizeof(*want));
    g_free(want);
    g_free(got);
}

static void test_regs_control_region(void)
{
    check_control_region(NULL, PVGPU_SHMEM_DEFAULT_SIZE);
}

static void test_regs_control_region_4m(void)
{
    check_control_region("shmem_size=4M", 4ull << 20);
}

static void test_regs_control_region_8g(void)
{
    check_control_region("shmem_size=8G", 8ull << 30);
}

int main(int argc, char **argv)
{
    pvgpu_test_init(&argc, &argv);
    pvgpu_test_add("/pvgpu/regs/identity", test_regs_identity);
    pvgpu_test_add("/pvgpu/regs/shmem-size-8G", test_regs_shmem_size_8g);
    pvgpu_test_add("/pvgpu/regs/initial-state", test_regs_initial_state);
    pvgpu_test_add("/pvgpu/regs/device-features", test_regs_device_features);
    pvgpu_test_add("/pvgpu/regs/unknown-offsets", test_regs_unknown_offsets);
    pvgpu_test_add("/pvgpu/regs/irq-mask", test_regs_irq_mask);
    pvgpu_test_add("/pvgpu/regs/access-size", test_regs_access_size);
    pvgpu_test_add("/pvgpu/regs/control-region", test_regs_control_region);
    pvgpu_test_add("/pvgpu/regs/control-region-4M",
                   test_regs_control_region_4m);
    pvgpu_test_add("/pvgpu/regs/control-region-8G",
                   test_regs_control_region_8g);
    return pvgpu_test_run();
}
