/* SPDX-License-Identifier: MIT */
/*
 * PCI as a guest sees it, through qtest: configuration space via ports
 * 0xcf8/0xcfc, BAR sizing and assignment, capabilities, MSI-X.
 *
 * With no guest firmware under qtest, nothing is assigned: the test does
 * it. 32-bit BARs go to [0xC0000000, 0xFEC00000) (q35's MMCONFIG ends at
 * 0xC0000000); 64-bit BARs that do not fit there go above 4 GiB from
 * 64 GiB on, where the PCI address space is reachable too.
 *
 * MSI-X messages are observed without a guest by pointing each table
 * entry's address at guest RAM: a delivery is then a plain memory write
 * the test reads back (pci_msix_ram_address()). A masked vector instead
 * sets its pending bit in the PBA.
 */
#ifndef PVGPU_PCI_HELPERS_H
#define PVGPU_PCI_HELPERS_H

#include <glib.h>

#include "qtest-client.h"

#define PCI_NUM_BARS 6

typedef struct {
    guint64 addr;
    guint64 size;      /* 0: not implemented */
    gboolean is_io;
    gboolean is_64bit;
    gboolean prefetchable;
} PciBar;

typedef struct {
    QTestClient *qt;
    guint8 bus;
    guint8 devfn;
    PciBar bar[PCI_NUM_BARS];
    /* MSI-X, filled by pci_msix_enable() */
    guint8 msix_cap;
    guint16 msix_table_size;
    guint64 msix_table;  /* guest-physical address of the table */
    guint64 msix_pba;    /* guest-physical address of the PBA */
} PciDevice;

guint32 pci_config_readl(PciDevice *d, guint8 off);
guint16 pci_config_readw(PciDevice *d, guint8 off);
guint8 pci_config_readb(PciDevice *d, guint8 off);
void pci_config_writel(PciDevice *d, guint8 off, guint32 val);
void pci_config_writew(PciDevice *d, guint8 off, guint16 val);
void pci_config_writeb(PciDevice *d, guint8 off, guint8 val);

/* Scans bus 0 for vendor:device; fills d (BARs not yet probed). */
gboolean pci_find_device(QTestClient *qt, guint16 vendor, guint16 device,
                         PciDevice *d);

/* Sizes every BAR (all-ones, read back, restore) into d->bar[]. */
void pci_probe_bars(PciDevice *d);

/* Assigns addresses to every probed BAR (see the windows above). */
void pci_assign_bars(PciDevice *d);

/* Enables memory and I/O decoding and bus mastering. */
void pci_enable(PciDevice *d);

/* Offset of capability id in the capability list, 0 when absent. */
guint8 pci_find_capability(PciDevice *d, guint8 id);

/* Finds the table and PBA, enables MSI-X, clears the function mask. */
void pci_msix_enable(PciDevice *d);
void pci_msix_disable(PciDevice *d);

/* Programs one table entry. */
void pci_msix_set_entry(PciDevice *d, guint vector, guint64 addr,
                        guint32 data, gboolean masked);
void pci_msix_mask(PciDevice *d, guint vector, gboolean masked);

/* The pending bit of vector in the PBA. */
gboolean pci_msix_pending(PciDevice *d, guint vector);

/*
 * Guest RAM address where the test points vector n, and the data word it
 * writes there; pci_msix_route_to_ram() programs all vectors so and zeroes
 * those RAM words.
 */
guint64 pci_msix_ram_address(guint vector);
guint32 pci_msix_ram_data(guint vector);
void pci_msix_route_to_ram(PciDevice *d, guint num_vectors);

/* TRUE once vector n's message word appeared in RAM; clears it. */
gboolean pci_msix_take_message(PciDevice *d, guint vector);
/* Waits for vector n's message in RAM, then clears it. */
gboolean pci_msix_wait_message(PciDevice *d, guint vector, gint64 deadline);

#endif /* PVGPU_PCI_HELPERS_H */
