/*
 * PVGPU paravirtualized GPU PCI device: device state.
 *
 * The device owns BAR2 shared memory, the connection to the host backend
 * and the guest's interrupts; the backend executes the command ring. See
 * protocol/SPEC.md in the PVGPU repository for the guest and IPC contract.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_DISPLAY_PVGPU_H
#define HW_DISPLAY_PVGPU_H

/* For the API changes between QEMU 7.2 and 10.0 */
#define PVGPU_QEMU_AT_LEAST(major, minor) \
    (QEMU_VERSION_MAJOR > (major) || \
     (QEMU_VERSION_MAJOR == (major) && QEMU_VERSION_MINOR >= (minor)))

#include "hw/pci/pci.h"
#if PVGPU_QEMU_AT_LEAST(8, 0) /* struct PCIDevice moved out of pci.h */
#include "hw/pci/pci_device.h"
#endif
#include "io/channel-socket.h"
#include "qemu/event_notifier.h"
#include "qemu/notify.h"
#include "qemu/timer.h"
#include "qom/object.h"
#include "ui/console.h"
#if PVGPU_QEMU_AT_LEAST(10, 0) /* include/sysemu became include/system */
#include "system/hostmem.h"
#include "system/kvm.h"
#include "system/system.h"
#else
#include "sysemu/hostmem.h"
#include "sysemu/kvm.h"
#include "sysemu/sysemu.h"
#endif
#include "hw/display/pvgpu_protocol.h"
#include "hw/display/pvgpu_codec.h"

#define TYPE_PVGPU "pvgpu"
OBJECT_DECLARE_SIMPLE_TYPE(PVGPUState, PVGPU)

/* backend_pipe when neither it nor $XDG_RUNTIME_DIR is set */
#define PVGPU_DEFAULT_SOCKET_PATH "/run/pvgpu/pvgpu.sock"
/* relative to $XDG_RUNTIME_DIR when that is set */
#define PVGPU_XDG_SOCKET_DIR  "pvgpu"
#define PVGPU_XDG_SOCKET_NAME "pvgpu.sock"

/* Reconnection backoff: 50 ms doubling up to 2 s. */
#define PVGPU_RETRY_MIN_MS 50
#define PVGPU_RETRY_MAX_MS 2000

/*
 * A guest RESET reconnects at once unless the previous reset's reconnection
 * was less than this long ago; then the same backoff applies, so that a
 * guest resetting in a loop costs the backend at most one handshake (and
 * its log lines) per PVGPU_RETRY_MAX_MS.
 */
#define PVGPU_RESET_QUIET_MS PVGPU_RETRY_MAX_MS

/*
 * Messages handled per wake-up, so that a flooding backend cannot starve
 * the main loop (the fd stays readable and we are called again).
 */
#define PVGPU_RX_BUDGET 64

/* "/pvgpu-" followed by 32 random hex digits */
#define PVGPU_LEGACY_NAME_BYTES 16
#define PVGPU_LEGACY_NAME_LEN (7 + 2 * PVGPU_LEGACY_NAME_BYTES + 1)

typedef struct PVGPUVectorNotifier {
    EventNotifier notifier;
    PVGPUState *s;
    unsigned vector;
    int virq;                       /* KVM MSI route, -1 without */
    bool irqfd;                     /* KVM, not the main loop, reads it */
} PVGPUVectorNotifier;

struct PVGPUState {
    /*< private >*/
    PCIDevice parent_obj;
    /*< public >*/

    /* properties */
    uint64_t shmem_size;
    bool shmem_size_set;            /* given by the user, not the default */
    HostMemoryBackend *memdev;      /* BAR2 memory, when given */
    char *backend_pipe;
    bool msi;
    bool eventfd;
    bool legacy_shm_name;

    MemoryRegion mmio;              /* BAR0 registers */
    MemoryRegion shmem_ram;         /* BAR2 memory created without memdev */
    MemoryRegion *shmem;            /* BAR2: shmem_ram or the memdev's */
    int shmem_fd;                   /* owned by the RAMBlock or the memdev */
    char shm_name[PVGPU_LEGACY_NAME_LEN]; /* legacy name while it exists */
    struct pvgpu_layout layout;

    /* registers */
    uint64_t device_features;       /* offered by this device */
    uint64_t features;              /* negotiated with the current backend */
    uint32_t status;
    uint32_t generation;
    uint32_t irq_status;
    uint32_t irq_mask;

    /* backend connection; sioc is NULL while disconnected */
    QIOChannelSocket *sioc;
    QEMUTimer retry_timer;
    int64_t retry_delay_ms;
    int64_t reset_delay_ms;         /* backoff of reset reconnections */
    int64_t reset_connect_ms;       /* when the last one was scheduled for */
    uint64_t offered_features;      /* in this connection's HANDSHAKE */
    bool backend_warned;            /* one warning per failure episode */

    struct pvgpu_ipc_hdr rx_hdr;    /* valid once rx_len >= header size */
    uint32_t rx_len;
    uint8_t rx_buf[sizeof(struct pvgpu_ipc_hdr) + PVGPU_IPC_MAX_PAYLOAD];

    uint8_t tx_buf[PVGPU_IPC_MAX_MSG_SIZE];
    uint32_t tx_off;
    uint32_t tx_len;                /* bytes of tx_buf not yet sent */
    bool tx_blocked;                /* waiting for the socket to drain */
    bool doorbell_pending;          /* one DOORBELL owed to the backend */
    bool hint_pending;              /* DISPLAY_HINT of hint_* owed */

    /* eventfds handed to the current backend (eventfd=on) */
    bool have_eventfds;
    bool doorbell_ioeventfd;        /* DOORBELL is wired to the eventfd */
    bool vector_eventfds_active;    /* the backend signals vectors by them */
    bool irqfd_enabled;             /* MSI-X vector notifiers installed */
    EventNotifier doorbell_notifier;
    PVGPUVectorNotifier vectors[PVGPU_NUM_VECTORS];

    int rx_fd;                      /* came with the message in rx_buf */
    unsigned rx_extra_fds;          /* more that came with it, closed */

    /* the console (pvgpu-display.c) */
    QemuConsole *con;               /* from machine-init-done on */
    Notifier console_notifier;      /* machine-init-done: create con */
    bool console_pending;           /* console_notifier is registered */
    void *scanout_map;              /* the backend's frame, read-only */
    size_t scanout_map_size;
    struct pvgpu_display_scanout scanout; /* width 0: nothing shown */
    bool cursor_visible;            /* the backend shows a pointer */
    uint32_t hint_width;            /* the viewer's size; 0: none asked */
    uint32_t hint_height;

    Notifier exit_notifier;
    Error *migration_blocker;
};

/* pvgpu-display.c */
void pvgpu_display_realize(PVGPUState *s);
void pvgpu_display_unrealize(PVGPUState *s);
/* fd is borrowed (-1: none came); false is a protocol error. */
bool pvgpu_display_set_scanout(PVGPUState *s,
                               const struct pvgpu_display_scanout *so,
                               int fd, Error **errp);
bool pvgpu_display_update(PVGPUState *s, const struct pvgpu_display_update *up,
                          Error **errp);
/* fd is borrowed (-1: none came); false is a protocol error. */
bool pvgpu_display_set_cursor(PVGPUState *s,
                              const struct pvgpu_display_cursor *c, int fd,
                              Error **errp);
/* The backend went away: back to QEMU's placeholder, no pointer. */
void pvgpu_display_reset(PVGPUState *s);

/* pvgpu.c: queues DISPLAY_HINT of hint_* if the backend takes hints. */
void pvgpu_send_display_hint(PVGPUState *s);

#endif /* HW_DISPLAY_PVGPU_H */
