/*
 * PVGPU paravirtualized GPU PCI device.
 *
 * BAR0: registers; BAR1: MSI-X; BAR2: shared memory (control region,
 * command ring, resource heap) that the host backend maps. The device
 * connects to the backend's Unix socket, hands it the memory and eventfds
 * (HANDSHAKE), forwards doorbells and raises the interrupts the backend
 * asks for. It never interprets the ring. Protocol: protocol/SPEC.md of
 * the PVGPU repository; ABI: pvgpu_protocol.h and pvgpu_codec.h.
 *
 * Everything here runs under the BQL: MMIO handlers, the socket and
 * eventfd handlers (iohandler context) and the reconnection timer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/un.h>
#include "qemu/cutils.h"
#include "qemu/log.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/memfd.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "crypto/random.h"
#include "hw/pci/pci.h"
#include "hw/pci/pcie.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/blocker.h"
#include "migration/vmstate.h"
#include "pvgpu.h"
#include "trace.h"

#define PVGPU_VECTOR_BITS ((1u << PVGPU_NUM_VECTORS) - 1)

static void pvgpu_schedule_connect(PVGPUState *s, int64_t delay_ms);

/* ---- interrupts -------------------------------------------------------- */

static void pvgpu_update_intx(PVGPUState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    int level = !msix_enabled(pdev) && (s->irq_status & ~s->irq_mask) != 0;

    trace_pvgpu_intx_update(s->irq_status, s->irq_mask, level);
    pci_set_irq(pdev, level);
}

static void pvgpu_raise_vector(PVGPUState *s, unsigned vector)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    bool use_msix = msix_enabled(pdev);

    s->irq_status |= 1u << vector;
    if (vector == PVGPU_VECTOR_ERROR) {
        s->status |= PVGPU_STATUS_ERROR;
    }
    trace_pvgpu_raise_vector(vector, s->irq_status, use_msix);
    if (use_msix) {
        msix_notify(pdev, vector);
    }
    pvgpu_update_intx(s);
}

/* Every vector is in use for the device's lifetime (as in ivshmem). */
static void pvgpu_msix_use_all(PVGPUState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    unsigned i;

    if (!msix_present(pdev)) {
        return;
    }
    msix_unuse_all_vectors(pdev);
    for (i = 0; i < PVGPU_NUM_VECTORS; i++) {
        msix_vector_use(pdev, i);
    }
}

static void pvgpu_vector_notify(EventNotifier *e)
{
    PVGPUVectorNotifier *v = container_of(e, PVGPUVectorNotifier, notifier);

    if (!event_notifier_test_and_clear(e)) {
        return;
    }
    trace_pvgpu_vector_eventfd(v->vector);
    pvgpu_raise_vector(v->s, v->vector);
}

/* ---- KVM irqfd for the vector eventfds ---------------------------------- */

/*
 * With KVM and MSI-X, the eventfds of FENCE and DISPLAY inject their MSI-X
 * message in the kernel (irqfd) while the vector is unmasked: no QEMU
 * wake-up per interrupt, but the device does not see them either, so
 * IRQ_STATUS is not set for them. ERROR and DEVICE always go through the
 * main loop: the device must see them (ERROR sets STATUS.ERROR).
 * A masked vector, or one whose route cannot be set up, is read by the
 * main loop as without KVM.
 */
static bool pvgpu_vector_wants_irqfd(unsigned vector)
{
    return vector == PVGPU_VECTOR_FENCE || vector == PVGPU_VECTOR_DISPLAY;
}

static void pvgpu_irqfd_fallback(unsigned vector, const char *what, int ret)
{
    g_autofree char *reason = g_strdup_printf("%s: %s", what,
                                              strerror(-ret));

    trace_pvgpu_irqfd_fallback(vector, reason);
}

static bool pvgpu_irqfd_add_route(PVGPUState *s, unsigned vector,
                                  Error **errp)
{
    PVGPUVectorNotifier *v = &s->vectors[vector];
    KVMRouteChange c = kvm_irqchip_begin_route_changes(kvm_state);
    int virq;

    virq = kvm_irqchip_add_msi_route(&c, vector, PCI_DEVICE(s));
    if (virq < 0) {
        error_setg_errno(errp, -virq, "cannot add a KVM MSI route");
        return false;
    }
    kvm_irqchip_commit_route_changes(&c);
    v->virq = virq;
    trace_pvgpu_irqfd_route_added(vector, virq);
    return true;
}

static void pvgpu_irqfd_release_route(PVGPUState *s, unsigned vector)
{
    PVGPUVectorNotifier *v = &s->vectors[vector];

    if (v->virq < 0) {
        return;
    }
    kvm_irqchip_release_virq(kvm_state, v->virq);
    trace_pvgpu_irqfd_route_removed(vector, v->virq);
    v->virq = -1;
}

/*
 * MSI-X use notifier: the guest unmasked a vector. It must not fail
 * (msix.c asserts on a negative result): on error the vector stays with
 * the main loop.
 */
static int pvgpu_vector_unmask(PCIDevice *pdev, unsigned vector,
                               MSIMessage msg)
{
    PVGPUState *s = PVGPU(pdev);
    PVGPUVectorNotifier *v;
    int ret;

    if (vector >= PVGPU_NUM_VECTORS) {
        return 0;
    }
    v = &s->vectors[vector];
    if (v->virq < 0 || v->irqfd) {
        return 0;
    }
    ret = kvm_irqchip_update_msi_route(kvm_state, v->virq, msg, pdev);
    if (ret < 0) {
        pvgpu_irqfd_fallback(vector, "cannot update the KVM MSI route", ret);
        return 0;
    }
    kvm_irqchip_commit_routes(kvm_state);

    /* KVM injects at once if the eventfd was signalled in between */
    event_notifier_set_handler(&v->notifier, NULL);
    ret = kvm_irqchip_add_irqfd_notifier_gsi(kvm_state, &v->notifier, NULL,
                                             v->virq);
    if (ret < 0) {
        event_notifier_set_handler(&v->notifier, pvgpu_vector_notify);
        pvgpu_irqfd_fallback(vector, "cannot add the irqfd", ret);
        return 0;
    }
    v->irqfd = true;
    trace_pvgpu_irqfd_attached(vector, v->virq);
    return 0;
}

/* MSI-X release notifier: while masked, the main loop sets the pending bit */
static void pvgpu_vector_mask(PCIDevice *pdev, unsigned vector)
{
    PVGPUState *s = PVGPU(pdev);
    PVGPUVectorNotifier *v;
    int ret;

    if (vector >= PVGPU_NUM_VECTORS || !s->vectors[vector].irqfd) {
        return;
    }
    v = &s->vectors[vector];
    ret = kvm_irqchip_remove_irqfd_notifier_gsi(kvm_state, &v->notifier,
                                                v->virq);
    if (ret < 0) {
        /* nothing better to do: the main loop reads the eventfd anyway */
        pvgpu_irqfd_fallback(vector, "cannot remove the irqfd", ret);
    }
    v->irqfd = false;
    event_notifier_set_handler(&v->notifier, pvgpu_vector_notify);
    trace_pvgpu_irqfd_detached(vector, v->virq);
}

/* MSI-X poll notifier: a PBA read sees what the backend signalled so far */
static void pvgpu_vector_poll(PCIDevice *pdev, unsigned vector_start,
                              unsigned vector_end)
{
    PVGPUState *s = PVGPU(pdev);
    unsigned vector;

    vector_end = MIN(vector_end, PVGPU_NUM_VECTORS);
    for (vector = vector_start; vector < vector_end; vector++) {
        PVGPUVectorNotifier *v = &s->vectors[vector];

        if (v->virq < 0 || !msix_is_masked(pdev, vector)) {
            continue;
        }
        if (event_notifier_test_and_clear(&v->notifier)) {
            trace_pvgpu_vector_eventfd(vector);
            pvgpu_raise_vector(s, vector);
        }
    }
}

static void pvgpu_irqfd_enable(PVGPUState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    bool routed = false;
    unsigned i;
    int ret;

    for (i = 0; i < PVGPU_NUM_VECTORS; i++) {
        Error *err = NULL;

        if (!pvgpu_vector_wants_irqfd(i)) {
            continue;
        }
        if (!pvgpu_irqfd_add_route(s, i, &err)) {
            trace_pvgpu_irqfd_fallback(i, error_get_pretty(err));
            error_free(err);
            continue;
        }
        routed = true;
    }
    if (!routed) {
        return;
    }
    /* attaches every unmasked routed vector through pvgpu_vector_unmask */
    ret = msix_set_vector_notifiers(pdev, pvgpu_vector_unmask,
                                    pvgpu_vector_mask, pvgpu_vector_poll);
    if (ret < 0) {
        for (i = 0; i < PVGPU_NUM_VECTORS; i++) {
            if (s->vectors[i].virq >= 0) {
                pvgpu_irqfd_fallback(i, "cannot set the MSI-X notifiers",
                                     ret);
                pvgpu_vector_mask(pdev, i);
                pvgpu_irqfd_release_route(s, i);
            }
        }
        return;
    }
    s->irqfd_enabled = true;
    trace_pvgpu_irqfd_enabled(true);
}

/* Hands every vector back to the main loop and frees the KVM routes. */
static void pvgpu_irqfd_disable(PVGPUState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    unsigned i;

    if (!s->irqfd_enabled) {
        return;
    }
    msix_unset_vector_notifiers(pdev);
    for (i = 0; i < PVGPU_NUM_VECTORS; i++) {
        /*
         * With MSI-X already disabled, msix_unset_vector_notifiers() did
         * not call the release notifier.
         */
        pvgpu_vector_mask(pdev, i);
        pvgpu_irqfd_release_route(s, i);
    }
    s->irqfd_enabled = false;
    trace_pvgpu_irqfd_enabled(false);
}

/* irqfd while the backend signals eventfds and the guest enabled MSI-X */
static void pvgpu_irqfd_update(PVGPUState *s)
{
    bool want;

    if (!kvm_msi_via_irqfd_enabled()) {
        return;
    }
    want = s->vector_eventfds_active && msix_enabled(PCI_DEVICE(s));
    if (want && !s->irqfd_enabled) {
        pvgpu_irqfd_enable(s);
    } else if (!want && s->irqfd_enabled) {
        pvgpu_irqfd_disable(s);
    }
}

/* ---- eventfds of one connection ----------------------------------------- */

static bool pvgpu_eventfds_init(PVGPUState *s)
{
    unsigned i;
    int ret;

    ret = event_notifier_init(&s->doorbell_notifier, 0);
    if (ret < 0) {
        warn_report("pvgpu: cannot create the doorbell eventfd: %s",
                    strerror(-ret));
        return false;
    }
    for (i = 0; i < PVGPU_NUM_VECTORS; i++) {
        ret = event_notifier_init(&s->vectors[i].notifier, 0);
        if (ret < 0) {
            warn_report("pvgpu: cannot create the eventfd of vector %u: %s",
                        i, strerror(-ret));
            while (i-- > 0) {
                event_notifier_cleanup(&s->vectors[i].notifier);
            }
            event_notifier_cleanup(&s->doorbell_notifier);
            return false;
        }
        s->vectors[i].s = s;
        s->vectors[i].vector = i;
        s->vectors[i].virq = -1;
        s->vectors[i].irqfd = false;
    }
    s->have_eventfds = true;
    return true;
}

/* After the backend accepted PVGPU_FEATURE_EVENTFD. */
static void pvgpu_eventfds_activate(PVGPUState *s)
{
    unsigned i;

    memory_region_add_eventfd(&s->mmio, PVGPU_REG_DOORBELL, 4, false, 0,
                              &s->doorbell_notifier);
    s->doorbell_ioeventfd = true;
    for (i = 0; i < PVGPU_NUM_VECTORS; i++) {
        event_notifier_set_handler(&s->vectors[i].notifier,
                                   pvgpu_vector_notify);
    }
    s->vector_eventfds_active = true;
    pvgpu_irqfd_update(s);
}

static void pvgpu_eventfds_cleanup(PVGPUState *s)
{
    unsigned i;

    pvgpu_irqfd_disable(s);
    s->vector_eventfds_active = false;
    if (s->doorbell_ioeventfd) {
        memory_region_del_eventfd(&s->mmio, PVGPU_REG_DOORBELL, 4, false, 0,
                                  &s->doorbell_notifier);
        s->doorbell_ioeventfd = false;
    }
    if (!s->have_eventfds) {
        return;
    }
    for (i = 0; i < PVGPU_NUM_VECTORS; i++) {
        event_notifier_set_handler(&s->vectors[i].notifier, NULL);
        event_notifier_cleanup(&s->vectors[i].notifier);
    }
    event_notifier_cleanup(&s->doorbell_notifier);
    s->have_eventfds = false;
}

/* ---- connection ------------------------------------------------------- */

static void pvgpu_chan_read(void *opaque);
static void pvgpu_chan_write(void *opaque);

/* The socket's handlers in the main loop's iohandler context. */
static void pvgpu_chan_set_fd_handlers(PVGPUState *s, IOHandler *io_read,
                                       IOHandler *io_write)
{
    AioContext *ctx = iohandler_get_aio_context();

#if PVGPU_QEMU_AT_LEAST(8, 2)
    /* one context per direction since QEMU 8.2 */
    qio_channel_set_aio_fd_handler(QIO_CHANNEL(s->sioc), ctx, io_read, ctx,
                                   io_write, s);
#else
    qio_channel_set_aio_fd_handler(QIO_CHANNEL(s->sioc), ctx, io_read,
                                   io_write, s);
#endif
}

static void pvgpu_set_handlers(PVGPUState *s)
{
    pvgpu_chan_set_fd_handlers(s, pvgpu_chan_read,
                               s->tx_blocked ? pvgpu_chan_write : NULL);
}

static void pvgpu_rx_fd_close(PVGPUState *s)
{
    if (s->rx_fd >= 0) {
        close(s->rx_fd);
        s->rx_fd = -1;
    }
    s->rx_extra_fds = 0;
}

/* Closes the connection and forgets everything tied to it. */
static void pvgpu_disconnect(PVGPUState *s)
{
    if (!s->sioc) {
        return;
    }
    trace_pvgpu_disconnect(s->status);
    pvgpu_chan_set_fd_handlers(s, NULL, NULL);
    qio_channel_close(QIO_CHANNEL(s->sioc), NULL);
    object_unref(OBJECT(s->sioc));
    s->sioc = NULL;

    pvgpu_eventfds_cleanup(s);
    pvgpu_rx_fd_close(s);
    pvgpu_display_reset(s);
    s->status &= ~(PVGPU_STATUS_BACKEND_CONNECTED | PVGPU_STATUS_READY);
    s->features = 0;
    s->offered_features = 0;
    s->rx_len = 0;
    s->tx_off = 0;
    s->tx_len = 0;
    s->tx_blocked = false;
    s->doorbell_pending = false;
    s->hint_pending = false;
}

static void pvgpu_backoff(PVGPUState *s)
{
    pvgpu_schedule_connect(s, s->retry_delay_ms);
    s->retry_delay_ms = MIN(s->retry_delay_ms * 2, PVGPU_RETRY_MAX_MS);
}

/* The backend went away or misbehaved: tell the guest, then reconnect. */
static void pvgpu_connection_lost(PVGPUState *s, const char *reason)
{
    trace_pvgpu_connection_lost(reason);
    warn_report_once_cond(&s->backend_warned, "pvgpu: lost the backend %s: %s",
                          s->backend_pipe, reason);
    pvgpu_disconnect(s);
    s->status |= PVGPU_STATUS_DEVICE_LOST;
    pvgpu_raise_vector(s, PVGPU_VECTOR_DEVICE);
    pvgpu_backoff(s);
}

static void G_GNUC_PRINTF(2, 3)
pvgpu_protocol_error(PVGPUState *s, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    warn_report_once_cond(&s->backend_warned,
                          "pvgpu: protocol error from backend %s: %s",
                          s->backend_pipe, msg);
    pvgpu_connection_lost(s, msg);
}

/*
 * Sends what tx_buf holds, then the pending hint and doorbell (each one
 * message however often it was asked for), without blocking.
 * May drop the connection: callers must not use it afterwards.
 */
static void pvgpu_flush(PVGPUState *s)
{
    Error *err = NULL;
    size_t len;
    ssize_t ret;

    while (s->sioc) {
        if (s->tx_len == 0 && s->hint_pending) {
            struct pvgpu_display_hint hint = {
                .width = s->hint_width, .height = s->hint_height,
            };

            pvgpu_ipc_encode_display_hint(s->tx_buf, sizeof(s->tx_buf),
                                          &hint, &len);
            s->tx_off = 0;
            s->tx_len = len;
            s->hint_pending = false;
            trace_pvgpu_display_hint_send(hint.width, hint.height);
        } else if (s->tx_len == 0) {
            if (!s->doorbell_pending) {
                break;
            }
            pvgpu_ipc_encode_empty(s->tx_buf, sizeof(s->tx_buf),
                                   PVGPU_MSG_DOORBELL, &len);
            s->tx_off = 0;
            s->tx_len = len;
            s->doorbell_pending = false;
            trace_pvgpu_doorbell_send();
        }
        ret = qio_channel_write(QIO_CHANNEL(s->sioc),
                                (char *)s->tx_buf + s->tx_off, s->tx_len,
                                &err);
        if (ret == QIO_CHANNEL_ERR_BLOCK) {
            trace_pvgpu_tx_blocked(s->tx_len);
            if (!s->tx_blocked) {
                s->tx_blocked = true;
                pvgpu_set_handlers(s);
            }
            return;
        }
        if (ret < 0) {
            g_autofree char *msg = g_strdup_printf("write failed: %s",
                                                   error_get_pretty(err));
            error_free(err);
            pvgpu_connection_lost(s, msg);
            return;
        }
        s->tx_off += ret;
        s->tx_len -= ret;
    }
    if (s->sioc && s->tx_blocked) {
        s->tx_blocked = false;
        pvgpu_set_handlers(s);
    }
}

void pvgpu_send_display_hint(PVGPUState *s)
{
    if (!(s->features & PVGPU_FEATURE_DISPLAY_HINT) || s->hint_width == 0) {
        return;
    }
    s->hint_pending = true;
    if (!s->tx_blocked) {
        pvgpu_flush(s);
    }
}

static void pvgpu_chan_write(void *opaque)
{
    PVGPUState *s = opaque;

    trace_pvgpu_tx_ready(s->tx_len, s->doorbell_pending);
    pvgpu_flush(s);
}

/* Best effort, never blocks: on unrealize and at QEMU exit. */
static void pvgpu_send_shutdown(PVGPUState *s)
{
    uint8_t buf[sizeof(struct pvgpu_ipc_hdr)];
    size_t len;
    ssize_t ret;

    if (!s->sioc) {
        return;
    }
    s->doorbell_pending = false;
    s->hint_pending = false;
    pvgpu_flush(s);
    if (!s->sioc || s->tx_len != 0) {
        return;
    }
    pvgpu_ipc_encode_empty(buf, sizeof(buf), PVGPU_MSG_SHUTDOWN, &len);
    ret = qio_channel_write(QIO_CHANNEL(s->sioc), (char *)buf, len, NULL);
    trace_pvgpu_shutdown_sent(ret);
}

static bool pvgpu_send_handshake(PVGPUState *s, Error **errp)
{
    struct pvgpu_handshake_ext ext = {
        .ext_size = sizeof(struct pvgpu_handshake_ext),
        .magic = PVGPU_HANDSHAKE_EXT_MAGIC,
        .version = PVGPU_PROTOCOL_VERSION,
        .num_vectors = PVGPU_NUM_VECTORS,
    };
    int fds[PVGPU_IPC_MAX_FDS];
    size_t nfds = 0;
    struct iovec iov;
    size_t len;
    ssize_t ret;
    unsigned i;
    int rc;

    s->offered_features = PVGPU_FEATURE_SHMEM_FD | PVGPU_FEATURE_DISPLAY |
                          PVGPU_FEATURE_DISPLAY_HINT |
                          PVGPU_FEATURE_DISPLAY_CURSOR;
    fds[nfds++] = s->shmem_fd;
    if (s->have_eventfds) {
        s->offered_features |= PVGPU_FEATURE_EVENTFD;
        fds[nfds++] = event_notifier_get_fd(&s->doorbell_notifier);
        for (i = 0; i < PVGPU_NUM_VECTORS; i++) {
            fds[nfds++] = event_notifier_get_fd(&s->vectors[i].notifier);
        }
    }
    ext.features = s->offered_features;
    ext.num_fds = nfds;

    rc = pvgpu_ipc_encode_handshake(s->tx_buf, sizeof(s->tx_buf),
                                    s->shmem_size, s->shm_name, &ext, &len);
    if (rc != PVGPU_CODEC_OK) {
        error_setg(errp, "cannot encode HANDSHAKE: %s",
                   pvgpu_codec_strerror(rc));
        return false;
    }
    iov.iov_base = s->tx_buf;
    iov.iov_len = len;
    ret = qio_channel_writev_full(QIO_CHANNEL(s->sioc), &iov, 1, fds, nfds,
                                  0, errp);
    if (ret == QIO_CHANNEL_ERR_BLOCK) {
        /* cannot happen on a fresh socket; the fds could not be re-sent */
        error_setg(errp, "socket not writable for HANDSHAKE");
        return false;
    }
    if (ret < 0) {
        return false;
    }
    trace_pvgpu_handshake_sent(s->shmem_size, s->shm_name,
                               s->offered_features, nfds);
    /* the descriptors went with the first byte; queue what is left */
    s->tx_off = ret;
    s->tx_len = len - ret;
    return true;
}

static void pvgpu_connect(PVGPUState *s)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    Error *err = NULL;
    int fd;

    if (s->sioc) {
        return;
    }
    trace_pvgpu_connect(s->backend_pipe);
    pstrcpy(addr.sun_path, sizeof(addr.sun_path), s->backend_pipe);

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        warn_report_once_cond(&s->backend_warned,
                              "pvgpu: cannot create a socket: %s",
                              strerror(errno));
        pvgpu_backoff(s);
        return;
    }
    /* A Unix socket connects or fails at once; it never blocks. */
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int e = errno;

        close(fd);
        trace_pvgpu_connect_failed(s->backend_pipe, strerror(e));
        warn_report_once_cond(&s->backend_warned,
                              "pvgpu: backend %s not reachable (%s), "
                              "retrying in the background",
                              s->backend_pipe, strerror(e));
        pvgpu_backoff(s);
        return;
    }
    s->sioc = qio_channel_socket_new_fd(fd, &err);
    if (!s->sioc) {
        close(fd);
        warn_report_once_cond(&s->backend_warned, "pvgpu: %s",
                              error_get_pretty(err));
        error_free(err);
        pvgpu_backoff(s);
        return;
    }
    qio_channel_set_name(QIO_CHANNEL(s->sioc), "pvgpu-backend");
    s->status |= PVGPU_STATUS_BACKEND_CONNECTED;
    s->rx_len = 0;
    trace_pvgpu_connected(s->backend_pipe);

    if (s->eventfd) {
        pvgpu_eventfds_init(s);
    }
    if (!pvgpu_send_handshake(s, &err)) {
        g_autofree char *msg = g_strdup_printf("HANDSHAKE failed: %s",
                                               error_get_pretty(err));
        error_free(err);
        warn_report_once_cond(&s->backend_warned, "pvgpu: backend %s: %s",
                              s->backend_pipe, msg);
        pvgpu_connection_lost(s, msg);
        return;
    }
    pvgpu_set_handlers(s);
    pvgpu_flush(s);
}

static void pvgpu_retry_timer_cb(void *opaque)
{
    pvgpu_connect(opaque);
}

static void pvgpu_schedule_connect(PVGPUState *s, int64_t delay_ms)
{
    trace_pvgpu_connect_scheduled(delay_ms);
    timer_mod(&s->retry_timer,
              qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + delay_ms);
}

/* ---- messages from the backend ---------------------------------------- */

static void pvgpu_handle_ack(PVGPUState *s, uint64_t acked)
{
    if (s->status & PVGPU_STATUS_READY) {
        pvgpu_protocol_error(s, "second HANDSHAKE_ACK");
        return;
    }
    s->features = (acked & PVGPU_FEATURES_GUEST_MASK) |
                  (acked & s->offered_features & ~PVGPU_FEATURES_GUEST_MASK);
    s->status |= PVGPU_STATUS_READY;
    s->generation++;
    s->retry_delay_ms = PVGPU_RETRY_MIN_MS;
    s->backend_warned = false;
    trace_pvgpu_ready(acked, s->features, s->generation);

    if (s->features & PVGPU_FEATURE_EVENTFD) {
        pvgpu_eventfds_activate(s);
    }
    if (s->shm_name[0]) {
        /* the backend has opened it; nobody else may */
        if (shm_unlink(s->shm_name) < 0) {
            warn_report("pvgpu: shm_unlink(%s) failed: %s", s->shm_name,
                        strerror(errno));
        }
        trace_pvgpu_shm_unlinked(s->shm_name);
        s->shm_name[0] = '\0';
    }
    pvgpu_raise_vector(s, PVGPU_VECTOR_DEVICE);
    /* a new backend learns the viewer's size a previous one was told */
    pvgpu_send_display_hint(s);
}

static void pvgpu_handle_display(PVGPUState *s, const struct pvgpu_msg *msg)
{
    Error *err = NULL;
    bool ok;

    if (!(s->features & PVGPU_FEATURE_DISPLAY)) {
        pvgpu_protocol_error(s, "display message (type %u) without the "
                             "DISPLAY feature", msg->type);
        return;
    }
    if (msg->type == PVGPU_MSG_DISPLAY_CURSOR &&
        !(s->features & PVGPU_FEATURE_DISPLAY_CURSOR)) {
        pvgpu_protocol_error(s, "DISPLAY_CURSOR without the display-cursor "
                             "feature");
        return;
    }
    if (msg->type == PVGPU_MSG_DISPLAY_SCANOUT) {
        ok = pvgpu_display_set_scanout(s, &msg->u.scanout, s->rx_fd, &err);
    } else if (msg->type == PVGPU_MSG_DISPLAY_CURSOR) {
        ok = pvgpu_display_set_cursor(s, &msg->u.cursor, s->rx_fd, &err);
    } else {
        ok = pvgpu_display_update(s, &msg->u.update, &err);
    }
    if (!ok) {
        pvgpu_protocol_error(s, "%s", error_get_pretty(err));
        error_free(err);
    }
}

static void pvgpu_handle_msg(PVGPUState *s, const struct pvgpu_msg *msg)
{
    trace_pvgpu_msg_recv(msg->type, msg->payload_size);

    switch (msg->type) {
    case PVGPU_MSG_HANDSHAKE_ACK:
        pvgpu_handle_ack(s, msg->u.ack.features);
        break;
    case PVGPU_MSG_IRQ:
        if (!(s->status & PVGPU_STATUS_READY)) {
            pvgpu_protocol_error(s, "IRQ before HANDSHAKE_ACK");
            return;
        }
        if (msg->u.irq.vector >= PVGPU_NUM_VECTORS) {
            trace_pvgpu_irq_bad_vector(msg->u.irq.vector);
            warn_report_once_cond(&s->backend_warned,
                                  "pvgpu: backend %s sent IRQ for vector %u "
                                  "(device has %u), ignored",
                                  s->backend_pipe, msg->u.irq.vector,
                                  PVGPU_NUM_VECTORS);
            return;
        }
        pvgpu_raise_vector(s, msg->u.irq.vector);
        break;
    case PVGPU_MSG_DISPLAY_SCANOUT:
    case PVGPU_MSG_DISPLAY_UPDATE:
    case PVGPU_MSG_DISPLAY_CURSOR:
        pvgpu_handle_display(s, msg);
        break;
    case PVGPU_MSG_SHUTDOWN:
        trace_pvgpu_backend_shutdown();
        pvgpu_connection_lost(s, "backend sent SHUTDOWN");
        break;
    default:
        pvgpu_protocol_error(s, "unexpected message type %u", msg->type);
        break;
    }
}

/* The backend's messages that may carry a descriptor (the frame, the
 * pointer's image). */
static bool pvgpu_msg_takes_fd(uint32_t type)
{
    return type == PVGPU_MSG_DISPLAY_SCANOUT ||
           type == PVGPU_MSG_DISPLAY_CURSOR;
}

/*
 * Reads up to want bytes of the current message into rx_buf. The first
 * descriptor that comes with them is kept in rx_fd for the message; any
 * more are closed at once and counted in rx_extra_fds.
 */
static ssize_t pvgpu_read_with_fd(PVGPUState *s, uint32_t want, Error **errp)
{
    struct iovec iov = { .iov_base = s->rx_buf + s->rx_len, .iov_len = want };
    g_autofree int *fds = NULL;
    size_t nfds = 0;
    ssize_t ret;
    size_t i;

#if PVGPU_QEMU_AT_LEAST(8, 0)
    ret = qio_channel_readv_full(QIO_CHANNEL(s->sioc), &iov, 1, &fds, &nfds,
                                 0, errp);
#else
    ret = qio_channel_readv_full(QIO_CHANNEL(s->sioc), &iov, 1, &fds, &nfds,
                                 errp);
#endif
    for (i = 0; i < nfds; i++) {
        if (s->rx_fd < 0) {
            s->rx_fd = fds[i];
        } else {
            close(fds[i]);
            s->rx_extra_fds++;
        }
    }
    return ret;
}

/*
 * Reads at most one message per step into rx_buf: first the header, whose
 * payload_size pvgpu_ipc_decode_hdr() bounds, then exactly that payload.
 */
static void pvgpu_chan_read(void *opaque)
{
    PVGPUState *s = opaque;
    const uint32_t hdr_size = sizeof(struct pvgpu_ipc_hdr);
    unsigned budget;

    for (budget = 0; budget < PVGPU_RX_BUDGET && s->sioc; ) {
        uint32_t want;
        Error *err = NULL;
        ssize_t ret;
        int rc;

        if (s->rx_len < hdr_size) {
            want = hdr_size - s->rx_len;
        } else {
            want = hdr_size + s->rx_hdr.payload_size - s->rx_len;
        }
        if (want > 0) {
            ret = pvgpu_read_with_fd(s, want, &err);
            if (ret == QIO_CHANNEL_ERR_BLOCK) {
                return;
            }
            if (ret < 0) {
                g_autofree char *msg =
                    g_strdup_printf("read failed: %s", error_get_pretty(err));
                error_free(err);
                pvgpu_connection_lost(s, msg);
                return;
            }
            if (ret == 0) {
                pvgpu_connection_lost(s, "backend closed the connection");
                return;
            }
            s->rx_len += ret;
            if (s->rx_len < hdr_size) {
                continue;
            }
            if (s->rx_len == hdr_size) {
                rc = pvgpu_ipc_decode_hdr(s->rx_buf, s->rx_len, &s->rx_hdr);
                if (rc != PVGPU_CODEC_OK) {
                    pvgpu_protocol_error(s, "%s (type %u, payload %u)",
                                         pvgpu_codec_strerror(rc),
                                         pvgpu_le32_load(s->rx_buf),
                                         pvgpu_le32_load(s->rx_buf + 4));
                    return;
                }
            }
        }
        if (s->rx_len == hdr_size + s->rx_hdr.payload_size) {
            struct pvgpu_msg msg;
            size_t consumed;

            rc = pvgpu_ipc_decode(s->rx_buf, s->rx_len, &msg, &consumed);
            s->rx_len = 0;
            if (rc != PVGPU_CODEC_OK) {
                pvgpu_protocol_error(s, "%s", pvgpu_codec_strerror(rc));
                return;
            }
            if (pvgpu_msg_takes_fd(msg.type) && s->rx_extra_fds) {
                pvgpu_protocol_error(s, "message type %u with %u "
                                     "descriptors", msg.type,
                                     1 + s->rx_extra_fds);
                return;
            }
            if (s->rx_fd >= 0 && !pvgpu_msg_takes_fd(msg.type)) {
                /* nobody asked for it: it must not stay open in QEMU */
                trace_pvgpu_unexpected_fds(msg.type, 1 + s->rx_extra_fds);
                pvgpu_rx_fd_close(s);
            }
            s->rx_extra_fds = 0;
            pvgpu_handle_msg(s, &msg);
            /* the display mapped what it needed */
            pvgpu_rx_fd_close(s);
            budget++;
        }
    }
}

/* ---- device reset --------------------------------------------------- */

static void pvgpu_control_reset(PVGPUState *s)
{
    pvgpu_control_init(memory_region_get_ram_ptr(s->shmem), &s->layout);
}

/* How long to wait before the reconnection a reset asks for. */
static int64_t pvgpu_reset_delay(PVGPUState *s)
{
    int64_t now = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);

    if (now - s->reset_connect_ms >= PVGPU_RESET_QUIET_MS) {
        s->reset_delay_ms = 0;
    } else {
        s->reset_delay_ms = MIN(MAX(s->reset_delay_ms * 2, PVGPU_RETRY_MIN_MS),
                                PVGPU_RETRY_MAX_MS);
        trace_pvgpu_reset_throttled(s->reset_delay_ms);
    }
    s->reset_connect_ms = now + s->reset_delay_ms;
    return s->reset_delay_ms;
}

static void pvgpu_do_reset(PVGPUState *s)
{
    bool reconnect = s->sioc != NULL;

    trace_pvgpu_reset(reconnect);
    if (reconnect) {
        /* the backend starts clean; this is no loss of the backend */
        pvgpu_disconnect(s);
        s->retry_delay_ms = PVGPU_RETRY_MIN_MS;
        pvgpu_schedule_connect(s, pvgpu_reset_delay(s));
    }
    s->status &= ~PVGPU_STATUS_STICKY;
    s->irq_status = 0;
    s->irq_mask = 0;
    pvgpu_update_intx(s);
    pvgpu_control_reset(s);
    pvgpu_msix_use_all(s);
}

static void pvgpu_reset(DeviceState *dev)
{
    pvgpu_do_reset(PVGPU(dev));
}

/* ---- BAR0 registers --------------------------------------------------- */

static uint64_t pvgpu_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    PVGPUState *s = opaque;
    uint32_t val;

    switch (addr) {
    case PVGPU_REG_MAGIC:
        val = PVGPU_MAGIC;
        break;
    case PVGPU_REG_VERSION:
        val = PVGPU_PROTOCOL_VERSION;
        break;
    case PVGPU_REG_DEVICE_FEATURES_LO:
        val = (uint32_t)s->device_features;
        break;
    case PVGPU_REG_DEVICE_FEATURES_HI:
        val = s->device_features >> 32;
        break;
    case PVGPU_REG_FEATURES_LO:
        val = (uint32_t)s->features;
        break;
    case PVGPU_REG_FEATURES_HI:
        val = s->features >> 32;
        break;
    case PVGPU_REG_STATUS:
        val = s->status;
        break;
    case PVGPU_REG_GENERATION:
        val = s->generation;
        break;
    case PVGPU_REG_IRQ_STATUS:
        val = s->irq_status;
        break;
    case PVGPU_REG_IRQ_MASK:
        val = s->irq_mask;
        break;
    case PVGPU_REG_SHMEM_SIZE_LO:
        val = (uint32_t)s->shmem_size;
        break;
    case PVGPU_REG_SHMEM_SIZE_HI:
        val = s->shmem_size >> 32;
        break;
    case PVGPU_REG_NUM_VECTORS:
        val = PVGPU_NUM_VECTORS;
        break;
    case PVGPU_REG_DOORBELL:
    case PVGPU_REG_RESET:
        val = 0;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "pvgpu: read of unknown register 0x%" HWADDR_PRIx "\n",
                      addr);
        val = 0;
        break;
    }
    trace_pvgpu_mmio_read(addr, val);
    return val;
}

static void pvgpu_doorbell(PVGPUState *s, uint32_t val)
{
    trace_pvgpu_doorbell(val);
    if (!(s->status & PVGPU_STATUS_READY)) {
        trace_pvgpu_doorbell_dropped(s->status);
        return;
    }
    if (s->features & PVGPU_FEATURE_EVENTFD) {
        /* normally the memory core signals the ioeventfd without us */
        event_notifier_set(&s->doorbell_notifier);
        return;
    }
    /*
     * A DOORBELL still queued, even partly sent, reaches the backend after
     * this write, so it already covers it.
     */
    if (s->doorbell_pending ||
        (s->tx_len > 0 &&
         pvgpu_le32_load(s->tx_buf) == PVGPU_MSG_DOORBELL)) {
        trace_pvgpu_doorbell_coalesced();
        return;
    }
    if (s->tx_blocked) {
        s->doorbell_pending = true;
        trace_pvgpu_doorbell_coalesced();
        return;
    }
    s->doorbell_pending = true;
    pvgpu_flush(s);
}

static void pvgpu_mmio_write(void *opaque, hwaddr addr, uint64_t val64,
                             unsigned size)
{
    PVGPUState *s = opaque;
    uint32_t val = val64;

    trace_pvgpu_mmio_write(addr, val);

    switch (addr) {
    case PVGPU_REG_STATUS:
        s->status &= ~(val & PVGPU_STATUS_STICKY);
        break;
    case PVGPU_REG_DOORBELL:
        pvgpu_doorbell(s, val);
        break;
    case PVGPU_REG_IRQ_STATUS:
        s->irq_status &= ~val;
        pvgpu_update_intx(s);
        break;
    case PVGPU_REG_IRQ_MASK:
        if (val & ~PVGPU_VECTOR_BITS) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "pvgpu: IRQ_MASK 0x%x has bits above vector %u\n",
                          val, PVGPU_NUM_VECTORS - 1);
        }
        s->irq_mask = val & PVGPU_VECTOR_BITS;
        pvgpu_update_intx(s);
        break;
    case PVGPU_REG_RESET:
        if (val != PVGPU_RESET_VALUE) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "pvgpu: RESET written with 0x%x, expected 0x%x\n",
                          val, PVGPU_RESET_VALUE);
            break;
        }
        pvgpu_do_reset(s);
        break;
    case PVGPU_REG_MAGIC:
    case PVGPU_REG_VERSION:
    case PVGPU_REG_DEVICE_FEATURES_LO:
    case PVGPU_REG_DEVICE_FEATURES_HI:
    case PVGPU_REG_FEATURES_LO:
    case PVGPU_REG_FEATURES_HI:
    case PVGPU_REG_GENERATION:
    case PVGPU_REG_SHMEM_SIZE_LO:
    case PVGPU_REG_SHMEM_SIZE_HI:
    case PVGPU_REG_NUM_VECTORS:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "pvgpu: write 0x%x to read-only register 0x%"
                      HWADDR_PRIx "\n", val, addr);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "pvgpu: write 0x%x to unknown register 0x%"
                      HWADDR_PRIx "\n", val, addr);
        break;
    }
}

static const MemoryRegionOps pvgpu_mmio_ops = {
    .read = pvgpu_mmio_read,
    .write = pvgpu_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
        .unaligned = false,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

static void pvgpu_config_write(PCIDevice *pdev, uint32_t addr, uint32_t val,
                               int len)
{
    PVGPUState *s = PVGPU(pdev);

    pci_default_write_config(pdev, addr, val, len);
    /* MSI-X enable and INTx disable decide which line the vectors use */
    pvgpu_update_intx(s);
    pvgpu_irqfd_update(s);
}

/* ---- shared memory ---------------------------------------------------- */

static int pvgpu_legacy_shm_create(PVGPUState *s, Error **errp)
{
    uint8_t rnd[PVGPU_LEGACY_NAME_BYTES];
    unsigned attempt, i;
    int fd;

    for (attempt = 0; attempt < 8; attempt++) {
        if (qcrypto_random_bytes(rnd, sizeof(rnd), errp) < 0) {
            return -1;
        }
        pstrcpy(s->shm_name, sizeof(s->shm_name), "/pvgpu-");
        for (i = 0; i < sizeof(rnd); i++) {
            snprintf(s->shm_name + 7 + 2 * i, 3, "%02x", rnd[i]);
        }
        fd = shm_open(s->shm_name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC,
                      0600);
        if (fd >= 0) {
            return fd;
        }
        if (errno != EEXIST) {
            break;
        }
    }
    error_setg_errno(errp, errno, "cannot create shared memory %s",
                     s->shm_name);
    s->shm_name[0] = '\0';
    return -1;
}

static void pvgpu_legacy_shm_unlink(PVGPUState *s)
{
    if (s->shm_name[0]) {
        shm_unlink(s->shm_name);
        trace_pvgpu_shm_unlinked(s->shm_name);
        s->shm_name[0] = '\0';
    }
}

/* Creates BAR2's memory: a sealed memfd, or a named POSIX shm object. */
static bool pvgpu_shmem_init(PVGPUState *s, Error **errp)
{
    Error *err = NULL;
    int fd;

    if (s->legacy_shm_name) {
        fd = pvgpu_legacy_shm_create(s, errp);
        if (fd < 0) {
            return false;
        }
        if (ftruncate(fd, s->shmem_size) < 0) {
            error_setg_errno(errp, errno, "cannot size shared memory %s",
                             s->shm_name);
            close(fd);
            pvgpu_legacy_shm_unlink(s);
            return false;
        }
    } else {
        fd = qemu_memfd_create("pvgpu-shmem", s->shmem_size, false, 0,
                               F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL,
                               errp);
        if (fd < 0) {
            return false;
        }
        /* only this process and the backend it hands the fd to */
        if (fchmod(fd, 0600) < 0) {
            error_setg_errno(errp, errno, "cannot restrict shared memory");
            close(fd);
            return false;
        }
    }

    memory_region_init_ram_from_fd(&s->shmem_ram, OBJECT(s), "pvgpu.shmem",
                                   s->shmem_size, RAM_SHARED, fd, 0, &err);
    if (err) {
        error_propagate(errp, err);
        close(fd);
        pvgpu_legacy_shm_unlink(s);
        return false;
    }
    s->shmem = &s->shmem_ram;
    s->shmem_fd = fd;
    return true;
}

/*
 * With memdev, BAR2 is the memdev's memory and shmem_size its size. The
 * backend maps it through the memdev's fd, so the memory must be shared
 * and fd-backed, and sealed against shrinking like the memfd the device
 * creates itself; the memdev owns the fd and its seals
 * (memory-backend-memfd's seal option, on by default).
 */
static bool pvgpu_memdev_check(PVGPUState *s, Error **errp)
{
    const char *id = object_get_canonical_path_component(OBJECT(s->memdev));
    MemoryRegion *mr = host_memory_backend_get_memory(s->memdev);
    g_autofree char *size = NULL;
    g_autofree char *want = NULL;
    int fd;

    if (host_memory_backend_is_mapped(s->memdev)) {
        error_setg(errp, "memdev '%s' is already in use by another device",
                   id);
        return false;
    }
    if (s->legacy_shm_name) {
        error_setg(errp, "legacy_shm_name=on cannot be used with memdev: "
                   "the memory of a memdev has no name to send");
        return false;
    }
    fd = mr ? memory_region_get_fd(mr) : -1;
    if (fd < 0 || !s->memdev->share) {
        error_setg(errp, "memdev '%s' must be shared and fd-backed: use "
                   "memory-backend-memfd with share=on", id);
        return false;
    }
    /* a peer that maps the memory must not lose pages under it (SIGBUS) */
    if (!(fcntl(fd, F_GET_SEALS) & F_SEAL_SHRINK)) {
        error_setg(errp, "memdev '%s' must be sealed against shrinking: use "
                   "memory-backend-memfd with seal=on (its default)", id);
        return false;
    }
    size = size_to_str(memory_region_size(mr));
    if (s->shmem_size_set && s->shmem_size != memory_region_size(mr)) {
        want = size_to_str(s->shmem_size);
        error_setg(errp, "shmem_size %s does not match the size %s of "
                   "memdev '%s': leave shmem_size unset or make them equal",
                   want, size, id);
        return false;
    }
    if (!pvgpu_shmem_size_valid(memory_region_size(mr))) {
        error_setg(errp, "invalid size %s of memdev '%s': %s", size, id,
                   pvgpu_codec_strerror(PVGPU_CODEC_ERR_SHMEM_SIZE));
        return false;
    }
    s->shmem_size = memory_region_size(mr);
    return true;
}

static void pvgpu_memdev_map(PVGPUState *s)
{
    s->shmem = host_memory_backend_get_memory(s->memdev);
    s->shmem_fd = memory_region_get_fd(s->shmem);
    host_memory_backend_set_mapped(s->memdev, true);
}

/* Only once mapped by this device: a busy memdev is another device's. */
static void pvgpu_memdev_unmap(PVGPUState *s)
{
    if (s->memdev && s->shmem) {
        host_memory_backend_set_mapped(s->memdev, false);
        s->shmem = NULL;
        s->shmem_fd = -1;
    }
}

/* ---- realize / unrealize ------------------------------------------------ */

/* QEMU 8.2 made the blocker functions take the reason by reference. */
#define PVGPU_BLOCKER_BY_REFERENCE PVGPU_QEMU_AT_LEAST(8, 2)

static bool pvgpu_migration_blocker_add(PVGPUState *s, Error **errp)
{
    error_setg(&s->migration_blocker,
               "pvgpu: migration is not supported: the backend's GPU state "
               "cannot be transferred");
#if PVGPU_BLOCKER_BY_REFERENCE
    /* frees the reason and clears the pointer on failure */
    return migrate_add_blocker(&s->migration_blocker, errp) == 0;
#else
    if (migrate_add_blocker(s->migration_blocker, errp) < 0) {
        error_free(s->migration_blocker);
        s->migration_blocker = NULL;
        return false;
    }
    return true;
#endif
}

static void pvgpu_migration_blocker_remove(PVGPUState *s)
{
#if PVGPU_BLOCKER_BY_REFERENCE
    migrate_del_blocker(&s->migration_blocker);
#else
    migrate_del_blocker(s->migration_blocker);
    error_free(s->migration_blocker);
    s->migration_blocker = NULL;
#endif
}

static bool pvgpu_resolve_socket_path(PVGPUState *s, Error **errp)
{
    struct sockaddr_un addr;
    const char *xdg;

    if (!s->backend_pipe) {
        xdg = g_getenv("XDG_RUNTIME_DIR");
        if (xdg && xdg[0]) {
            s->backend_pipe = g_build_filename(xdg, PVGPU_XDG_SOCKET_DIR,
                                               PVGPU_XDG_SOCKET_NAME, NULL);
        } else {
            s->backend_pipe = g_strdup(PVGPU_DEFAULT_SOCKET_PATH);
        }
    }
    if (!s->backend_pipe[0]) {
        error_setg(errp, "backend_pipe must not be empty");
        return false;
    }
    if (strlen(s->backend_pipe) >= sizeof(addr.sun_path)) {
        error_setg(errp, "backend_pipe '%s' is longer than %zu bytes",
                   s->backend_pipe, sizeof(addr.sun_path) - 1);
        return false;
    }
    return true;
}

static void pvgpu_exit_notify(Notifier *n, void *data)
{
    PVGPUState *s = container_of(n, PVGPUState, exit_notifier);

    pvgpu_send_shutdown(s);
    pvgpu_legacy_shm_unlink(s);
}

static void pvgpu_realize(PCIDevice *pdev, Error **errp)
{
    PVGPUState *s = PVGPU(pdev);
    int rc;

    if (s->memdev && !pvgpu_memdev_check(s, errp)) {
        return;
    }
    rc = pvgpu_layout_compute(s->shmem_size, &s->layout);
    if (rc != PVGPU_CODEC_OK) {
        g_autofree char *size = size_to_str(s->shmem_size);

        error_setg(errp, "invalid shmem_size %s: %s", size,
                   pvgpu_codec_strerror(rc));
        return;
    }
    if (!pvgpu_resolve_socket_path(s, errp)) {
        return;
    }

    if (!pvgpu_migration_blocker_add(s, errp)) {
        return;
    }

    if (s->memdev) {
        pvgpu_memdev_map(s);
    } else if (!pvgpu_shmem_init(s, errp)) {
        goto fail_blocker;
    }

    if (pci_bus_is_express(pci_get_bus(pdev))) {
        if (pcie_endpoint_cap_init(pdev, 0x80) < 0) {
            error_setg(errp, "cannot add the PCI Express capability");
            goto fail_shmem;
        }
    } else {
        pdev->cap_present &= ~QEMU_PCI_CAP_EXPRESS;
    }
    if (s->msi) {
        if (msix_init_exclusive_bar(pdev, PVGPU_NUM_VECTORS, PVGPU_BAR_MSIX,
                                    errp)) {
            goto fail_pcie;
        }
        pvgpu_msix_use_all(s);
    }
    pci_config_set_interrupt_pin(pdev->config, 1);

    memory_region_init_io(&s->mmio, OBJECT(s), &pvgpu_mmio_ops, s,
                          "pvgpu.regs", PVGPU_BAR0_SIZE);
    pci_register_bar(pdev, PVGPU_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->mmio);
    vmstate_register_ram(s->shmem, DEVICE(s));
    pci_register_bar(pdev, PVGPU_BAR_SHMEM,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_PREFETCH |
                     PCI_BASE_ADDRESS_MEM_TYPE_64,
                     s->shmem);
    pvgpu_control_reset(s);

    s->device_features = PVGPU_FEATURE_SHMEM_FD |
                         (s->eventfd ? PVGPU_FEATURE_EVENTFD : 0);
    s->status = 0;
    s->features = 0;

    /* realize never waits for the backend: the first attempt is a timer */
    timer_init_ms(&s->retry_timer, QEMU_CLOCK_REALTIME, pvgpu_retry_timer_cb,
                  s);
    s->retry_delay_ms = PVGPU_RETRY_MIN_MS;
    pvgpu_schedule_connect(s, 0);

    pvgpu_display_realize(s);

    s->exit_notifier.notify = pvgpu_exit_notify;
    qemu_add_exit_notifier(&s->exit_notifier);
    return;

fail_pcie:
    if (pci_is_express(pdev)) {
        pcie_cap_exit(pdev);
    }
fail_shmem:
    /* the RAMBlock closes our own fd when the device is finalized */
    pvgpu_legacy_shm_unlink(s);
    pvgpu_memdev_unmap(s);
fail_blocker:
    pvgpu_migration_blocker_remove(s);
}

static void pvgpu_exit(PCIDevice *pdev)
{
    PVGPUState *s = PVGPU(pdev);

    trace_pvgpu_unrealize();
    pvgpu_send_shutdown(s);
    pvgpu_disconnect(s);
    timer_del(&s->retry_timer);
    qemu_remove_exit_notifier(&s->exit_notifier);
    pvgpu_display_unrealize(s);

    pci_set_irq(pdev, 0);
    if (msix_present(pdev)) {
        msix_uninit_exclusive_bar(pdev);
    }
    if (pci_is_express(pdev)) {
        pcie_cap_exit(pdev);
    }
    vmstate_unregister_ram(s->shmem, DEVICE(s));
    pvgpu_legacy_shm_unlink(s);
    /* our own RAMBlock unmaps and closes shmem_fd at finalize */
    pvgpu_memdev_unmap(s);
    pvgpu_migration_blocker_remove(s);
}

static void pvgpu_instance_init(Object *obj)
{
    PVGPUState *s = PVGPU(obj);

    s->shmem_fd = -1;
    s->rx_fd = -1;
    /* the default was stored through the setter before instance_init */
    s->shmem_size_set = false;
    /* hybrid device: PCI Express on an Express bus, conventional elsewhere */
    PCI_DEVICE(obj)->cap_present |= QEMU_PCI_CAP_EXPRESS;
}

/* ---- migration (refused by the blocker; kept for completeness) -------- */

static int pvgpu_post_load(void *opaque, int version_id)
{
    PVGPUState *s = opaque;

    pvgpu_msix_use_all(s);
    pvgpu_update_intx(s);
    return 0;
}

static const VMStateDescription pvgpu_vmstate = {
    .name = TYPE_PVGPU,
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = pvgpu_post_load,
    .fields = (VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, PVGPUState),
        VMSTATE_MSIX(parent_obj, PVGPUState),
        VMSTATE_UINT32(status, PVGPUState),
        VMSTATE_UINT32(generation, PVGPUState),
        VMSTATE_UINT32(irq_status, PVGPUState),
        VMSTATE_UINT32(irq_mask, PVGPUState),
        VMSTATE_UINT64(features, PVGPUState),
        VMSTATE_END_OF_LIST()
    },
};

/*
 * shmem_size is a size property that remembers whether it was set, so that
 * with memdev a value given by the user must match the memdev's size.
 */
static void pvgpu_get_shmem_size(Object *obj, Visitor *v, const char *name,
                                 void *opaque, Error **errp)
{
    visit_type_size(v, name, &PVGPU(obj)->shmem_size, errp);
}

static void pvgpu_set_shmem_size(Object *obj, Visitor *v, const char *name,
                                 void *opaque, Error **errp)
{
    PVGPUState *s = PVGPU(obj);

    if (visit_type_size(v, name, &s->shmem_size, errp)) {
        s->shmem_size_set = true;
    }
}

static void pvgpu_set_default_shmem_size(ObjectProperty *op,
                                         const Property *prop)
{
    object_property_set_default_uint(op, prop->defval.u);
}

static const PropertyInfo pvgpu_prop_shmem_size = {
#if PVGPU_QEMU_AT_LEAST(10, 0) /* the type's name, renamed in 10.0 */
    .type = "size",
#else
    .name = "size",
#endif
    .get = pvgpu_get_shmem_size,
    .set = pvgpu_set_shmem_size,
    .set_default_value = pvgpu_set_default_shmem_size,
};

#if PVGPU_QEMU_AT_LEAST(10, 0) /* const, sized by device_class_set_props() */
static const Property pvgpu_properties[] = {
#else
static Property pvgpu_properties[] = {
#endif
    DEFINE_PROP_UNSIGNED("shmem_size", PVGPUState, shmem_size,
                         PVGPU_SHMEM_DEFAULT_SIZE, pvgpu_prop_shmem_size,
                         uint64_t),
    DEFINE_PROP_LINK("memdev", PVGPUState, memdev, TYPE_MEMORY_BACKEND,
                     HostMemoryBackend *),
    DEFINE_PROP_STRING("backend_pipe", PVGPUState, backend_pipe),
    DEFINE_PROP_BOOL("msi", PVGPUState, msi, true),
    DEFINE_PROP_BOOL("eventfd", PVGPUState, eventfd, true),
    DEFINE_PROP_BOOL("legacy_shm_name", PVGPUState, legacy_shm_name, false),
#if !PVGPU_QEMU_AT_LEAST(10, 0)
    DEFINE_PROP_END_OF_LIST(),
#endif
};

static void pvgpu_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = pvgpu_realize;
    k->exit = pvgpu_exit;
    k->config_write = pvgpu_config_write;
    k->vendor_id = PVGPU_PCI_VENDOR_ID;
    k->device_id = PVGPU_PCI_DEVICE_ID;
    k->revision = PVGPU_PCI_REVISION;
    k->class_id = PVGPU_PCI_CLASS_CODE >> 8;
    k->subsystem_vendor_id = PVGPU_PCI_SUBSYSTEM_VENDOR_ID;
    k->subsystem_id = PVGPU_PCI_SUBSYSTEM_ID;
#if PVGPU_QEMU_AT_LEAST(9, 1)
    device_class_set_legacy_reset(dc, pvgpu_reset);
#else
    dc->reset = pvgpu_reset;
#endif
    dc->vmsd = &pvgpu_vmstate;
    dc->desc = "PVGPU paravirtualized GPU";
    device_class_set_props(dc, pvgpu_properties);
    object_class_property_set_description(klass, "shmem_size",
        "BAR2 shared memory size: a power of two from 4M to 64G; "
        "with memdev, the memdev's size");
    object_class_property_set_description(klass, "memdev",
        "memory backend for BAR2 (memory-backend-memfd, share=on and "
        "seal=on, their defaults)");
    object_class_property_set_description(klass, "backend_pipe",
        "Unix socket of the backend (default "
        "$XDG_RUNTIME_DIR/" PVGPU_XDG_SOCKET_DIR "/" PVGPU_XDG_SOCKET_NAME
        ", else " PVGPU_DEFAULT_SOCKET_PATH ")");
    object_class_property_set_description(klass, "msi",
        "offer MSI-X; off leaves only INTx");
    object_class_property_set_description(klass, "eventfd",
        "offer doorbell and vector eventfds to the backend");
    object_class_property_set_description(klass, "legacy_shm_name",
        "also name the memory in /dev/shm for backends that open it by name");
    set_bit(DEVICE_CATEGORY_DISPLAY, dc->categories);
}

static const TypeInfo pvgpu_info = {
    .name = TYPE_PVGPU,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(PVGPUState),
    .instance_init = pvgpu_instance_init,
    .class_init = pvgpu_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void pvgpu_register_types(void)
{
    type_register_static(&pvgpu_info);
}

type_init(pvgpu_register_types)
