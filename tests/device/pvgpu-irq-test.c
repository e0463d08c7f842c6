/* SPDX-License-Identifier: MIT */
/*
 * Interrupts the backend asks for: MSI-X messages (seen as memory writes
 * into guest RAM, or as pending bits when masked), eventfd-signalled
 * vectors, and the INTx line when MSI-X is off or not enabled.
 */

#include "pvgpu-fixture.h"
#include "test-log.h"
#include "test-runner.h"

#define ALL_VECTORS ((1u << PVGPU_NUM_VECTORS) - 1)
/* q35 routes PCI INTx to I/O APIC inputs 16..23 */
#define FIRST_PCI_GSI 16
#define LAST_PCI_GSI  23

/* READY with MSI-X enabled and every vector pointed at guest RAM. */
static PvgpuFixture *start_msix(guint64 ack_features)
{
    PvgpuFixtureOptions opts = { .ack_features = ack_features };
    PvgpuFixture *fx = pvgpu_fixture_start(&opts);

    pci_msix_enable(&fx->pci);
    g_assert_cmpuint(fx->pci.msix_table_size, ==, PVGPU_NUM_VECTORS);
    pci_msix_route_to_ram(&fx->pci, PVGPU_NUM_VECTORS);
    pvgpu_assert_ready(fx);
    /* the READY interrupt may have come before MSI-X was on: start clean */
    pvgpu_reg_write(fx, PVGPU_REG_IRQ_STATUS, ALL_VECTORS);
    pci_msix_take_message(&fx->pci, PVGPU_VECTOR_DEVICE);
    return fx;
}

static void assert_no_message(PvgpuFixture *fx, guint vector)
{
    g_assert_cmphex(qt_readl(fx->qt, pci_msix_ram_address(vector)), ==, 0);
}

static void test_irq_msix_vectors(void)
{
    g_autoptr(PvgpuFixture) fx = start_msix(PVGPU_FEATURE_SHMEM_FD);

    for (guint v = 0; v < PVGPU_NUM_VECTORS; v++) {
        g_assert_true(fake_backend_send_irq(fx->backend, v));
        g_assert_true(pci_msix_wait_message(&fx->pci, v, pvgpu_deadline()));
        g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS), ==,
                        1u << v);
        for (guint other = 0; other < PVGPU_NUM_VECTORS; other++) {
            assert_no_message(fx, other);
        }
        pvgpu_reg_write(fx, PVGPU_REG_IRQ_STATUS, 1u << v);
        g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS), ==, 0);
    }
    /* the ERROR vector also sets the sticky STATUS.ERROR */
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS) &
                    PVGPU_STATUS_ERROR, ==, PVGPU_STATUS_ERROR);
    pvgpu_reg_write(fx, PVGPU_REG_STATUS, PVGPU_STATUS_ERROR);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS) &
                    PVGPU_STATUS_ERROR, ==, 0);
}

/* A masked vector sets its PBA bit instead; unmasking delivers it. */
static void test_irq_msix_masked_pending(void)
{
    g_autoptr(PvgpuFixture) fx = start_msix(PVGPU_FEATURE_SHMEM_FD);
    const guint v = PVGPU_VECTOR_FENCE;
    gint64 deadline = pvgpu_deadline();

    pci_msix_mask(&fx->pci, v, TRUE);
    g_assert_false(pci_msix_pending(&fx->pci, v));
    g_assert_true(fake_backend_send_irq(fx->backend, v));
    while (!pci_msix_pending(&fx->pci, v)) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(1000);
    }
    assert_no_message(fx, v);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS), ==, 1u << v);

    pci_msix_mask(&fx->pci, v, FALSE);
    g_assert_true(pci_msix_wait_message(&fx->pci, v, pvgpu_deadline()));
    g_assert_false(pci_msix_pending(&fx->pci, v));
}

static void test_irq_eventfd_vectors(void)
{
    g_autoptr(PvgpuFixture) fx =
        start_msix(PVGPU_FEATURE_SHMEM_FD | PVGPU_FEATURE_EVENTFD);

    for (guint v = 0; v < PVGPU_NUM_VECTORS; v++) {
        g_assert_true(fake_backend_signal_vector(fx->backend, v));
        g_assert_true(pci_msix_wait_message(&fx->pci, v, pvgpu_deadline()));
        g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS), ==,
                        1u << v);
        pvgpu_reg_write(fx, PVGPU_REG_IRQ_STATUS, 1u << v);
    }
}

/*
 * INTx: asserted while IRQ_STATUS & ~IRQ_MASK != 0. The backend does not
 * answer until the I/O APIC inputs are intercepted, so that the READY
 * interrupt is seen too.
 */
static void check_intx(PvgpuFixture *fx)
{
    int line;

    qt_irq_intercept_in(fx->qt, "ioapic");
    g_assert_true(fake_backend_wait_count(fx->backend, FAKE_COUNT_HANDSHAKES,
                                          1, pvgpu_deadline()));
    g_assert_cmpint(qt_irq_first_raised(fx->qt), ==, -1);
    g_assert_true(fake_backend_send_ack(fx->backend, PVGPU_FEATURE_SHMEM_FD));
    pvgpu_assert_ready(fx);

    /* READY raised vector DEVICE */
    line = qt_wait_irq_any(fx->qt, pvgpu_deadline());
    test_log("pvgpu INTx is I/O APIC input %d", line);
    g_assert_cmpint(line, >=, FIRST_PCI_GSI);
    g_assert_cmpint(line, <=, LAST_PCI_GSI);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS), ==,
                    1u << PVGPU_VECTOR_DEVICE);
    pvgpu_reg_write(fx, PVGPU_REG_IRQ_STATUS, 1u << PVGPU_VECTOR_DEVICE);
    g_assert_true(qt_wait_irq_level(fx->qt, line, FALSE, pvgpu_deadline()));

    /* a backend IRQ asserts it */
    g_assert_true(fake_backend_send_irq(fx->backend, PVGPU_VECTOR_FENCE));
    g_assert_true(qt_wait_irq_level(fx->qt, line, TRUE, pvgpu_deadline()));
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS), ==,
                    1u << PVGPU_VECTOR_FENCE);

    /* masking the vector deasserts it, the status bit stays */
    pvgpu_reg_write(fx, PVGPU_REG_IRQ_MASK, 1u << PVGPU_VECTOR_FENCE);
    g_assert_false(qt_irq_level(fx->qt, line));
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS), ==,
                    1u << PVGPU_VECTOR_FENCE);
    /* a masked vector raised again does not assert it either */
    g_assert_true(fake_backend_send_irq(fx->backend, PVGPU_VECTOR_FENCE));
    g_assert_true(fake_backend_send_irq(fx->backend, PVGPU_VECTOR_DISPLAY));
    g_assert_true(pvgpu_wait_reg(fx, PVGPU_REG_IRQ_STATUS,
                                 1u << PVGPU_VECTOR_DISPLAY,
                                 1u << PVGPU_VECTOR_DISPLAY,
                                 pvgpu_deadline()));
    g_assert_true(qt_irq_level(fx->qt, line));
    pvgpu_reg_write(fx, PVGPU_REG_IRQ_STATUS, 1u << PVGPU_VECTOR_DISPLAY);
    g_assert_false(qt_irq_level(fx->qt, line));

    /* unmasking asserts it again; clearing the bit (W1C) deasserts it */
    pvgpu_reg_write(fx, PVGPU_REG_IRQ_MASK, 0);
    g_assert_true(qt_irq_level(fx->qt, line));
    pvgpu_reg_write(fx, PVGPU_REG_IRQ_STATUS, 1u << PVGPU_VECTOR_FENCE);
    g_assert_false(qt_irq_level(fx->qt, line));
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS), ==, 0);
}

static void test_irq_intx_msi_off(void)
{
    PvgpuFixtureOptions opts = { .no_auto_ack = TRUE,
                                 .device_props = "msi=off" };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);

    /* no MSI-X capability and no BAR1 at all */
    g_assert_cmpuint(pci_find_capability(&fx->pci, 0x11), ==, 0);
    g_assert_cmpuint(fx->pci.bar[PVGPU_BAR_MSIX].size, ==, 0);
    check_intx(fx);
}

static void test_irq_intx_msix_disabled(void)
{
    PvgpuFixtureOptions opts = { .no_auto_ack = TRUE };
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(&opts);
    int line;

    check_intx(fx);

    /* once the guest enables MSI-X, vectors stop using the line */
    line = FIRST_PCI_GSI;
    while (line <= LAST_PCI_GSI && qt_irq_raise_count(fx->qt, line) == 0) {
        line++;
    }
    g_assert_cmpint(line, <=, LAST_PCI_GSI);
    pci_msix_enable(&fx->pci);
    pci_msix_route_to_ram(&fx->pci, PVGPU_NUM_VECTORS);
    g_assert_true(fake_backend_send_irq(fx->backend, PVGPU_VECTOR_DISPLAY));
    g_assert_true(pci_msix_wait_message(&fx->pci, PVGPU_VECTOR_DISPLAY,
                                        pvgpu_deadline()));
    g_assert_false(qt_irq_level(fx->qt, line));
}

/* A vector >= 4 is refused and logged; the connection stays. */
static void test_irq_vector_out_of_range(void)
{
    g_autoptr(PvgpuFixture) fx = start_msix(PVGPU_FEATURE_SHMEM_FD);
    gsize err_from = pvgpu_stderr_len(fx);

    g_assert_true(fake_backend_send_irq(fx->backend, PVGPU_NUM_VECTORS));
    g_assert_true(fake_backend_send_irq(fx->backend, 0xffffffffu));
    /* a valid IRQ after them: when it arrives, they were handled */
    g_assert_true(fake_backend_send_irq(fx->backend, PVGPU_VECTOR_DISPLAY));
    g_assert_true(pci_msix_wait_message(&fx->pci, PVGPU_VECTOR_DISPLAY,
                                        pvgpu_deadline()));
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_IRQ_STATUS), ==,
                    1u << PVGPU_VECTOR_DISPLAY);
    for (guint v = 0; v < PVGPU_NUM_VECTORS; v++) {
        assert_no_message(fx, v);
    }
    pvgpu_assert_stderr_mentions(fx, err_from, "vector 4");
    g_assert_cmpuint(fake_backend_count(fx->backend, FAKE_COUNT_DISCONNECTS),
                     ==, 0);
    g_assert_cmpuint(fake_backend_count(fx->backend, FAKE_COUNT_HANDSHAKES),
                     ==, 1);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS), ==,
                    PVGPU_STATUS_BACKEND_CONNECTED | PVGPU_STATUS_READY);
}

int main(int argc, char **argv)
{
    pvgpu_test_init(&argc, &argv);
    pvgpu_test_add("/pvgpu/irq/msix-vectors", test_irq_msix_vectors);
    pvgpu_test_add("/pvgpu/irq/msix-masked-pending",
                   test_irq_msix_masked_pending);
    pvgpu_test_add("/pvgpu/irq/eventfd-vectors", test_irq_eventfd_vectors);
    pvgpu_test_add("/pvgpu/irq/intx-msi-off", test_irq_intx_msi_off);
    pvgpu_test_add("/pvgpu/irq/intx-msix-disabled",
                   test_irq_intx_msix_disabled);
    pvgpu_test_add("/pvgpu/irq/vector-out-of-range",
                   test_irq_vector_out_of_range);
    return pvgpu_test_run();
}
