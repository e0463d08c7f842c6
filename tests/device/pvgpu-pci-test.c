/* SPDX-License-Identifier: MIT */
/*
 * PCI identity and BARs of the pvgpu device (its own memory or a memdev),
 * and the shmem_size and memdev settings realize must refuse.
 */
#include <string.h>
#include <sys/wait.h>

#include "pvgpu-fixture.h"
#include "test-log.h"
#include "test-runner.h"

#define PCI_REVISION_ID    0x08
#define PCI_CLASS_PROG     0x09
#define PCI_HEADER_TYPE    0x0e
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID   0x2e
#define PCI_INTERRUPT_PIN  0x3d
#define PCI_CAP_ID_EXP     0x10
#define PCI_CAP_ID_MSIX    0x11

static void test_pci_ids(void)
{
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(NULL);
    PciDevice *d = &fx->pci;

    g_assert_cmphex(pci_config_readw(d, 0x00), ==, PVGPU_PCI_VENDOR_ID);
    g_assert_cmphex(pci_config_readw(d, 0x02), ==, PVGPU_PCI_DEVICE_ID);
    g_assert_cmphex(pci_config_readb(d, PCI_REVISION_ID), ==,
                    PVGPU_PCI_REVISION);
    g_assert_cmphex(pci_config_readl(d, PCI_REVISION_ID) >> 8, ==,
                    PVGPU_PCI_CLASS_CODE);
    g_assert_cmphex(pci_config_readb(d, PCI_CLASS_PROG), ==, 0);
    g_assert_cmphex(pci_config_readb(d, PCI_HEADER_TYPE) & 0x7f, ==, 0);
    g_assert_cmphex(pci_config_readw(d, PCI_SUBSYSTEM_VENDOR_ID), ==,
                    PVGPU_PCI_SUBSYSTEM_VENDOR_ID);
    g_assert_cmphex(pci_config_readw(d, PCI_SUBSYSTEM_ID), ==,
                    PVGPU_PCI_SUBSYSTEM_ID);
    /* INTx fallback needs an interrupt pin (INTA). */
    g_assert_cmphex(pci_config_readb(d, PCI_INTERRUPT_PIN), ==, 1);
    /* on q35's PCI Express root bus it is an express device */
    g_assert_cmpuint(pci_find_capability(d, PCI_CAP_ID_EXP), !=, 0);
}

static void test_pci_bar0_bar1(void)
{
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(NULL);
    PciDevice *d = &fx->pci;
    PciBar *regs = &d->bar[PVGPU_BAR_REGS];
    PciBar *msix = &d->bar[PVGPU_BAR_MSIX];
    guint8 cap;

    g_assert_cmpuint(regs->size, ==, PVGPU_BAR0_SIZE);
    g_assert_false(regs->is_io);
    g_assert_false(regs->is_64bit);
    g_assert_false(regs->prefetchable);

    g_assert_cmpuint(msix->size, >, 0);
    g_assert_false(msix->is_io);

    /* The MSI-X table and PBA live in BAR1, with one entry per vector. */
    cap = pci_find_capability(d, PCI_CAP_ID_MSIX);
    g_assert_cmpuint(cap, !=, 0);
    g_assert_cmpuint(pci_config_readl(d, (guint8)(cap + 4)) & 7, ==,
                     PVGPU_BAR_MSIX);
    g_assert_cmpuint(pci_config_readl(d, (guint8)(cap + 8)) & 7, ==,
                     PVGPU_BAR_MSIX);
    g_assert_cmpuint((pci_config_readw(d, (guint8)(cap + 2)) & 0x7ff) + 1,
                     ==, PVGPU_NUM_VECTORS);
}

/* BAR2 is 64-bit prefetchable memory of exactly size bytes, all usable. */
static void assert_bar2(PvgpuFixture *fx, guint64 size, guint64 pattern)
{
    PciBar *bar = &fx->pci.bar[PVGPU_BAR_SHMEM];
    guint64 last = fx->shmem + size - 8;

    g_assert_cmpuint(bar->size, ==, size);
    g_assert_true(bar->is_64bit);
    g_assert_true(bar->prefetchable);
    g_assert_false(bar->is_io);

    /* The whole BAR is backed: its last bytes read back what was written. */
    qt_writeq(fx->qt, last, pattern);
    g_assert_cmphex(qt_readq(fx->qt, last), ==, pattern);
}

/* BAR2 for one shmem_size. */
static void check_bar2(const char *prop, guint64 size)
{
    g_autofree gchar *props = g_strdup_printf("shmem_size=%s", prop);
    PvgpuFixtureOptions opts = { .device_props = props };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);

    assert_bar2(fx, size, 0x0123456789abcdefull);
}

static void test_pci_bar2_256m(void)
{
    check_bar2("256M", 256ull << 20);
}

static void test_pci_bar2_1g(void)
{
    check_bar2("1G", 1ull << 30);
}

static void test_pci_bar2_8g(void)
{
    check_bar2("8G", 8ull << 30);
}

static void test_pci_bar2_default(void)
{
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(NULL);

    g_assert_cmpuint(fx->pci.bar[PVGPU_BAR_SHMEM].size, ==,
                     PVGPU_SHMEM_DEFAULT_SIZE);
}

/* On the i440fx machine too (conventional PCI, no PCI Express). */
static void test_pci_pc_machine(void)
{
    PvgpuFixtureOptions opts = { .machine = "pc" };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);

    g_assert_cmpuint(fx->pci.bar[PVGPU_BAR_REGS].size, ==, PVGPU_BAR0_SIZE);
    g_assert_cmpuint(fx->pci.bar[PVGPU_BAR_SHMEM].size, ==,
                     PVGPU_SHMEM_DEFAULT_SIZE);
    g_assert_cmpuint(pci_find_capability(&fx->pci, PCI_CAP_ID_EXP), ==, 0);
    g_assert_cmpuint(pci_find_capability(&fx->pci, PCI_CAP_ID_MSIX), !=, 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_MAGIC), ==, PVGPU_MAGIC);
    pvgpu_assert_ready(fx);
}

/*
 * realize refuses the device: QEMU exits with status 1 (not a crash) and
 * the device says why, after QEMU's echo of the -device option. object is
 * an -object option or NULL; the same -device is given n_devices times.
 */
static void check_refused(const char *object, const char *props,
                          guint n_devices, const char *const *needles)
{
    g_autofree gchar *tmpdir = pvgpu_test_make_tmpdir();
    g_autofree gchar *sock = g_build_filename(tmpdir, "backend.sock", NULL);
    g_autofree gchar *device = g_strdup_printf(
        "pvgpu,backend_pipe=%s,%s", sock, props);
    g_autofree gchar *echo = g_strdup_printf("%s: ", device);
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    g_autofree gchar *err = NULL;
    g_autofree gchar *msg = NULL;
    const char *after;
    int status = 0;

    if (object) {
        g_ptr_array_add(args, (gpointer)"-object");
        g_ptr_array_add(args, (gpointer)object);
    }
    for (guint i = 0; i < n_devices; i++) {
        g_ptr_array_add(args, (gpointer)"-device");
        g_ptr_array_add(args, device);
    }
    g_ptr_array_add(args, NULL);
    g_assert_true(qt_run_to_exit(tmpdir, "q35",
                                 (const char *const *)args->pdata,
                                 pvgpu_deadline(), &status, &err));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    after = strstr(err, echo);
    g_assert_nonnull(after);
    /* the device's own sentence, after QEMU's echo of the option */
    msg = g_ascii_strdown(after + strlen(echo), -1);
    test_log("refused with: %s", msg);
    for (guint i = 0; needles[i]; i++) {
        g_assert_nonnull(strstr(msg, needles[i]));
    }
    pvgpu_test_remove_tree(tmpdir);
}

static void check_bad_size(const char *prop)
{
    static const char *const needles[] = {
        "shmem_size", "power of two", NULL
    };
    g_autofree gchar *props = g_strdup_printf("shmem_size=%s", prop);

    check_refused(NULL, props, 1, needles);
}

static void test_pci_bad_size_3m(void)
{
    check_bad_size("3M");
}

static void test_pci_bad_size_300m(void)
{
    check_bad_size("300M");
}

static void test_pci_bad_size_128g(void)
{
    check_bad_size("128G");
}

/* memdev: BAR2 is the memory backend's memory, sized like it. */
static void check_bar2_memdev(const char *size_prop, guint64 size)
{
    g_autofree gchar *object = g_strdup_printf(
        "memory-backend-memfd,id=gpumem,size=%s,share=on", size_prop);
    const char *args[] = { "-object", object, NULL };
    PvgpuFixtureOptions opts = {
        .device_props = "memdev=gpumem",
        .extra_args = args,
    };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);

    /* BAR0 reports the memdev's size too */
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_SHMEM_SIZE_LO), ==,
                    (guint32)size);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_SHMEM_SIZE_HI), ==,
                    (guint32)(size >> 32));
    g_assert_cmphex(qt_readl(fx->qt, fx->shmem), ==, PVGPU_CTRL_MAGIC);
    assert_bar2(fx, size, 0xfedcba9876543210ull);
}

static void test_pci_memdev_64m(void)
{
    check_bar2_memdev("64M", 64ull << 20);
}

static void test_pci_memdev_1g(void)
{
    check_bar2_memdev("1G", 1ull << 30);
}

static void test_pci_memdev_not_shared(void)
{
    static const char *const needles[] = {
        "memdev 'gpumem'", "must be shared and fd-backed", "share=on", NULL
    };

    check_refused("memory-backend-memfd,id=gpumem,size=64M,share=off",
                  "memdev=gpumem", 1, needles);
}

static void test_pci_memdev_no_fd(void)
{
    static const char *const needles[] = {
        "memdev 'gpumem'", "must be shared and fd-backed", NULL
    };

    /* private RAM: no fd (QEMU >= 9.2 backs share=on RAM with a memfd,
     * which the seal check refuses instead) */
    check_refused("memory-backend-ram,id=gpumem,size=64M,share=off",
                  "memdev=gpumem", 1, needles);
}

/* an unsealed memfd could shrink under the backend's mapping */
static void test_pci_memdev_unsealed(void)
{
    static const char *const needles[] = {
        "memdev 'gpumem' must be sealed against shrinking", "seal=on", NULL
    };

    check_refused("memory-backend-memfd,id=gpumem,size=64M,share=on,seal=off",
                  "memdev=gpumem", 1, needles);
}

static void test_pci_memdev_bad_size(void)
{
    static const char *const needles[] = {
        "invalid size 48 mib of memdev 'gpumem'", "power of two", NULL
    };

    check_refused("memory-backend-memfd,id=gpumem,size=48M,share=on",
                  "memdev=gpumem", 1, needles);
}

static void test_pci_memdev_size_mismatch(void)
{
    static const char *const needles[] = {
        "shmem_size 256 mib does not match the size 64 mib of memdev "
        "'gpumem'", NULL
    };

    check_refused("memory-backend-memfd,id=gpumem,size=64M,share=on",
                  "memdev=gpumem,shmem_size=256M", 1, needles);
}

static void test_pci_memdev_legacy_name(void)
{
    static const char *const needles[] = {
        "legacy_shm_name=on cannot be used with memdev", NULL
    };

    check_refused("memory-backend-memfd,id=gpumem,size=64M,share=on",
                  "memdev=gpumem,legacy_shm_name=on", 1, needles);
}

static void test_pci_memdev_busy(void)
{
    static const char *const needles[] = {
        "memdev 'gpumem' is already in use", NULL
    };

    check_refused("memory-backend-memfd,id=gpumem,size=64M,share=on",
                  "memdev=gpumem", 2, needles);
}

int main(int argc, char **argv)
{
    pvgpu_test_init(&argc, &argv);
    pvgpu_test_add("/pvgpu/pci/ids", test_pci_ids);
    pvgpu_test_add("/pvgpu/pci/bar0-bar1", test_pci_bar0_bar1);
    pvgpu_test_add("/pvgpu/pci/pc-machine", test_pci_pc_machine);
    pvgpu_test_add("/pvgpu/pci/bar2/default", test_pci_bar2_default);
    pvgpu_test_add("/pvgpu/pci/bar2/256M", test_pci_bar2_256m);
    pvgpu_test_add("/pvgpu/pci/bar2/1G", test_pci_bar2_1g);
    pvgpu_test_add("/pvgpu/pci/bar2/8G", test_pci_bar2_8g);
    pvgpu_test_add("/pvgpu/pci/bad-size/3M", test_pci_bad_size_3m);
    pvgpu_test_add("/pvgpu/pci/bad-size/300M", test_pci_bad_size_300m);
    pvgpu_test_add("/pvgpu/pci/bad-size/128G", test_pci_bad_size_128g);
    pvgpu_test_add("/pvgpu/pci/memdev/64M", test_pci_memdev_64m);
    pvgpu_test_add("/pvgpu/pci/memdev/1G", test_pci_memdev_1g);
    pvgpu_test_add("/pvgpu/pci/memdev/not-shared",
                   test_pci_memdev_not_shared);
    pvgpu_test_add("/pvgpu/pci/memdev/no-fd", test_pci_memdev_no_fd);
    pvgpu_test_add("/pvgpu/pci/memdev/unsealed", test_pci_memdev_unsealed);
    pvgpu_test_add("/pvgpu/pci/memdev/bad-size", test_pci_memdev_bad_size);
    pvgpu_test_add("/pvgpu/pci/memdev/size-mismatch",
                   test_pci_memdev_size_mismatch);
    pvgpu_test_add("/pvgpu/pci/memdev/legacy-name",
                   test_pci_memdev_legacy_name);
    pvgpu_test_add("/pvgpu/pci/memdev/busy", test_pci_memdev_busy);
    return pvgpu_test_run();
}
