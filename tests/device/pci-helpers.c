/* SPDX-License-Identifier: MIT */
#include "pci-helpers.h"
#include "test-log.h"

#include <string.h>

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA    0xcfc

#define PCI_VENDOR_ID      0x00
#define PCI_DEVICE_ID      0x02
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_BAR0           0x10
#define PCI_CAPABILITY_LIST 0x34

#define PCI_COMMAND_IO     0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_STATUS_CAP_LIST 0x10

#define PCI_BAR_IO         0x1
#define PCI_BAR_MEM_TYPE_64 0x4
#define PCI_BAR_MEM_PREFETCH 0x8

#define PCI_CAP_ID_MSIX    0x11
#define PCI_MSIX_FLAGS     2
#define PCI_MSIX_TABLE     4
#define PCI_MSIX_PBA       8
#define PCI_MSIX_FLAGS_QSIZE 0x07ff
#define PCI_MSIX_FLAGS_ENABLE 0x8000
#define PCI_MSIX_FLAGS_MASKALL 0x4000
#define PCI_MSIX_BIR_MASK  0x7
#define PCI_MSIX_ENTRY_SIZE 16
#define PCI_MSIX_ENTRY_DATA 8
#define PCI_MSIX_ENTRY_CTRL 12

/* Address windows for BARs; see the header. */
#define MMIO32_START 0xC0000000ull
#define MMIO32_END   0xFEC00000ull
#define MMIO64_START 0x1000000000ull
#define IO_START     0xc000u

/* Where MSI-X messages are sent: low guest RAM, 16 bytes per vector. */
#define MSIX_RAM_BASE 0x10000ull
#define MSIX_DATA_TAG 0x5e000000u

static void select_reg(PciDevice *d, guint8 off)
{
    qt_outl(d->qt, PCI_CONFIG_ADDRESS,
            0x80000000u | ((guint32)d->bus << 16) | ((guint32)d->devfn << 8) |
            (off & 0xfcu));
}

guint32 pci_config_readl(PciDevice *d, guint8 off)
{
    select_reg(d, off);
    return qt_inl(d->qt, PCI_CONFIG_DATA);
}

guint16 pci_config_readw(PciDevice *d, guint8 off)
{
    select_reg(d, off);
    return qt_inw(d->qt, PCI_CONFIG_DATA + (off & 2));
}

guint8 pci_config_readb(PciDevice *d, guint8 off)
{
    select_reg(d, off);
    return qt_inb(d->qt, PCI_CONFIG_DATA + (off & 3));
}

void pci_config_writel(PciDevice *d, guint8 off, guint32 val)
{
    test_log("pci config[0x%02x] <- 0x%08x", off, val);
    select_reg(d, off);
    qt_outl(d->qt, PCI_CONFIG_DATA, val);
}

void pci_config_writew(PciDevice *d, guint8 off, guint16 val)
{
    test_log("pci config[0x%02x] <- 0x%04x (16 bit)", off, val);
    select_reg(d, off);
    qt_outw(d->qt, PCI_CONFIG_DATA + (off & 2), val);
}

void pci_config_writeb(PciDevice *d, guint8 off, guint8 val)
{
    test_log("pci config[0x%02x] <- 0x%02x (8 bit)", off, val);
    select_reg(d, off);
    qt_outb(d->qt, PCI_CONFIG_DATA + (off & 3), val);
}

gboolean pci_find_device(QTestClient *qt, guint16 vendor, guint16 device,
                         PciDevice *d)
{
    for (guint devfn = 0; devfn < 256; devfn++) {
        PciDevice probe = { .qt = qt, .bus = 0, .devfn = (guint8)devfn };
        guint32 id = pci_config_readl(&probe, PCI_VENDOR_ID);

        if ((id & 0xffff) == vendor && (id >> 16) == device) {
            *d = probe;
            test_log("found %04x:%04x at 00:%02x.%u", vendor, device,
                     devfn >> 3, devfn & 7);
            return TRUE;
        }
    }
    return FALSE;
}

void pci_probe_bars(PciDevice *d)
{
    guint16 cmd = pci_config_readw(d, PCI_COMMAND);

    /* No decoding while a BAR holds all-ones. */
    pci_config_writew(d, PCI_COMMAND,
                      cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
    for (guint i = 0; i < PCI_NUM_BARS; i++) {
        guint8 off = (guint8)(PCI_BAR0 + 4 * i);
        guint32 orig = pci_config_readl(d, off);
        guint32 lo;
        guint64 mask;
        PciBar *bar = &d->bar[i];

        memset(bar, 0, sizeof(*bar));
        pci_config_writel(d, off, 0xffffffffu);
        lo = pci_config_readl(d, off);
        pci_config_writel(d, off, orig);
        if (lo == 0) {
            continue;
        }
        if (lo & PCI_BAR_IO) {
            bar->is_io = TRUE;
            mask = lo & ~0x3u & 0xffffu;
            bar->size = (~mask & 0xffffu) + 1;
            continue;
        }
        bar->prefetchable = (lo & PCI_BAR_MEM_PREFETCH) != 0;
        mask = lo & ~0xfu;
        if (lo & PCI_BAR_MEM_TYPE_64) {
            guint8 hi_off = (guint8)(off + 4);
            guint32 orig_hi = pci_config_readl(d, hi_off);

            g_assert_cmpuint(i, <, PCI_NUM_BARS - 1);
            bar->is_64bit = TRUE;
            pci_config_writel(d, hi_off, 0xffffffffu);
            mask |= (guint64)pci_config_readl(d, hi_off) << 32;
            pci_config_writel(d, hi_off, orig_hi);
            bar->size = ~mask + 1;
            test_log("BAR%u: %" G_GUINT64_FORMAT " bytes, 64-bit%s", i,
                     bar->size, bar->prefetchable ? ", prefetchable" : "");
            i++; /* the upper half is not a BAR of its own */
            memset(&d->bar[i], 0, sizeof(d->bar[i]));
            continue;
        }
        bar->size = (~mask & 0xffffffffu) + 1;
        test_log("BAR%u: %" G_GUINT64_FORMAT " bytes, 32-bit%s", i,
                 bar->size, bar->prefetchable ? ", prefetchable" : "");
    }
    pci_config_writew(d, PCI_COMMAND, cmd);
}

static guint64 align_up(guint64 v, guint64 align)
{
    return (v + align - 1) & ~(align - 1);
}

void pci_assign_bars(PciDevice *d)
{
    guint64 next32 = MMIO32_START;
    guint64 next64 = MMIO64_START;
    guint32 next_io = IO_START;

    for (guint i = 0; i < PCI_NUM_BARS; i++) {
        PciBar *bar = &d->bar[i];
        guint8 off = (guint8)(PCI_BAR0 + 4 * i);
        guint64 addr;

        if (bar->size == 0) {
            continue;
        }
        if (bar->is_io) {
            addr = align_up(next_io, bar->size);
            next_io = (guint32)(addr + bar->size);
        } else if (align_up(next32, bar->size) + bar->size <= MMIO32_END) {
            addr = align_up(next32, bar->size);
            next32 = addr + bar->size;
        } else {
            g_assert_true(bar->is_64bit);
            addr = align_up(next64, bar->size);
            next64 = addr + bar->size;
        }
        bar->addr = addr;
        test_log("BAR%u at 0x%" G_GINT64_MODIFIER "x", i, addr);
        pci_config_writel(d, off, (guint32)addr);
        if (bar->is_64bit) {
            pci_config_writel(d, (guint8)(off + 4), (guint32)(addr >> 32));
        }
    }
}

void pci_enable(PciDevice *d)
{
    guint16 cmd = pci_config_readw(d, PCI_COMMAND);

    pci_config_writew(d, PCI_COMMAND, cmd | PCI_COMMAND_IO |
                      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

guint8 pci_find_capability(PciDevice *d, guint8 id)
{
    guint8 pos;

    if (!(pci_config_readw(d, PCI_STATUS) & PCI_STATUS_CAP_LIST)) {
        return 0;
    }
    pos = pci_config_readb(d, PCI_CAPABILITY_LIST) & ~3u;
    /* 48 capabilities at most fit in the 256-byte space: no endless loop. */
    for (guint n = 0; pos && n < 48; n++) {
        if (pci_config_readb(d, pos) == id) {
            return pos;
        }
        pos = pci_config_readb(d, (guint8)(pos + 1)) & ~3u;
    }
    return 0;
}

static guint64 bir_address(PciDevice *d, guint32 reg)
{
    guint bir = reg & PCI_MSIX_BIR_MASK;

    g_assert_cmpuint(bir, <, PCI_NUM_BARS);
    g_assert_cmpuint(d->bar[bir].size, !=, 0);
    g_assert_cmpuint(d->bar[bir].addr, !=, 0);
    return d->bar[bir].addr + (reg & ~PCI_MSIX_BIR_MASK);
}

void pci_msix_enable(PciDevice *d)
{
    guint16 flags;

    d->msix_cap = pci_find_capability(d, PCI_CAP_ID_MSIX);
    g_assert_cmpuint(d->msix_cap, !=, 0);
    flags = pci_config_readw(d, (guint8)(d->msix_cap + PCI_MSIX_FLAGS));
    d->msix_table_size = (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
    d->msix_table = bir_address(
        d, pci_config_readl(d, (guint8)(d->msix_cap + PCI_MSIX_TABLE)));
    d->msix_pba = bir_address(
        d, pci_config_readl(d, (guint8)(d->msix_cap + PCI_MSIX_PBA)));
    flags |= PCI_MSIX_FLAGS_ENABLE;
    flags &= ~PCI_MSIX_FLAGS_MASKALL;
    pci_config_writew(d, (guint8)(d->msix_cap + PCI_MSIX_FLAGS), flags);
}

void pci_msix_disable(PciDevice *d)
{
    guint8 cap = pci_find_capability(d, PCI_CAP_ID_MSIX);
    guint16 flags;

    g_assert_cmpuint(cap, !=, 0);
    flags = pci_config_readw(d, (guint8)(cap + PCI_MSIX_FLAGS));
    pci_config_writew(d, (guint8)(cap + PCI_MSIX_FLAGS),
                      flags & ~PCI_MSIX_FLAGS_ENABLE);
}

void pci_msix_set_entry(PciDevice *d, guint vector, guint64 addr,
                        guint32 data, gboolean masked)
{
    guint64 entry = d->msix_table + (guint64)vector * PCI_MSIX_ENTRY_SIZE;

    g_assert_cmpuint(vector, <, d->msix_table_size);
    test_log("MSI-X[%u] <- addr 0x%" G_GINT64_MODIFIER "x data 0x%x%s",
             vector, addr, data, masked ? " masked" : "");
    qt_writel(d->qt, entry, (guint32)addr);
    qt_writel(d->qt, entry + 4, (guint32)(addr >> 32));
    qt_writel(d->qt, entry + PCI_MSIX_ENTRY_DATA, data);
    qt_writel(d->qt, entry + PCI_MSIX_ENTRY_CTRL, masked ? 1 : 0);
}

void pci_msix_mask(PciDevice *d, guint vector, gboolean masked)
{
    guint64 entry = d->msix_table + (guint64)vector * PCI_MSIX_ENTRY_SIZE;

    test_log("MSI-X[%u] %s", vector, masked ? "masked" : "unmasked");
    qt_writel(d->qt, entry + PCI_MSIX_ENTRY_CTRL, masked ? 1 : 0);
}

gboolean pci_msix_pending(PciDevice *d, guint vector)
{
    guint32 word = qt_readl(d->qt, d->msix_pba + (vector / 32) * 4);

    return (word >> (vector % 32)) & 1;
}

guint64 pci_msix_ram_address(guint vector)
{
    return MSIX_RAM_BASE + 16ull * vector;
}

guint32 pci_msix_ram_data(guint vector)
{
    return MSIX_DATA_TAG | vector;
}

void pci_msix_route_to_ram(PciDevice *d, guint num_vectors)
{
    for (guint v = 0; v < num_vectors; v++) {
        qt_writel(d->qt, pci_msix_ram_address(v), 0);
        pci_msix_set_entry(d, v, pci_msix_ram_address(v),
                           pci_msix_ram_data(v), FALSE);
    }
}

gboolean pci_msix_take_message(PciDevice *d, guint vector)
{
    guint32 word = qt_readl(d->qt, pci_msix_ram_address(vector));

    if (word == 0) {
        return FALSE;
    }
    g_assert_cmphex(word, ==, pci_msix_ram_data(vector));
    qt_writel(d->qt, pci_msix_ram_address(vector), 0);
    test_log("MSI-X message of vector %u received", vector);
    return TRUE;
}

gboolean pci_msix_wait_message(PciDevice *d, guint vector, gint64 deadline)
{
    while (!pci_msix_take_message(d, vector)) {
        if (g_get_monotonic_time() >= deadline) {
            return FALSE;
        }
        g_usleep(1000);
    }
    return TRUE;
}
