/* SPDX-License-Identifier: MIT */
#include "pvgpu-fixture.h"

#include <string.h>

#include "qmp-client.h"
#include "test-log.h"
#include "test-runner.h"

/* Seconds QMP gets to prove QEMU's main loop is not blocked. */
#define RESPONSIVE_TIMEOUT_US (5 * G_TIME_SPAN_SECOND)

gint64 pvgpu_deadline(void)
{
    return g_get_monotonic_time() + QT_TIMEOUT_US;
}

void pvgpu_fixture_start_backend(PvgpuFixture *fx, gboolean auto_ack,
                                 guint64 ack_features)
{
    g_assert_null(fx->backend);
    fx->backend = fake_backend_new(fx->socket_path);
    fake_backend_set_auto_ack(fx->backend, auto_ack, ack_features);
}

void pvgpu_fixture_stop_backend(PvgpuFixture *fx)
{
    g_clear_pointer(&fx->backend, fake_backend_free);
}

PvgpuFixture *pvgpu_fixture_start(const PvgpuFixtureOptions *opts)
{
    static const PvgpuFixtureOptions defaults = { 0 };
    PvgpuFixture *fx = g_new0(PvgpuFixture, 1);
    g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);

    if (!opts) {
        opts = &defaults;
    }
    fx->tmpdir = pvgpu_test_make_tmpdir();
    fx->socket_path = g_build_filename(fx->tmpdir, "backend.sock", NULL);
    if (!opts->no_backend) {
        pvgpu_fixture_start_backend(fx, !opts->no_auto_ack,
                                    opts->ack_features);
    }
    g_ptr_array_add(args, g_strdup("-device"));
    g_ptr_array_add(args, g_strdup_printf(
        "pvgpu,id=pvgpu0,backend_pipe=%s%s%s", fx->socket_path,
        opts->device_props ? "," : "",
        opts->device_props ? opts->device_props : ""));
    if (opts->vnc) {
        fx->vnc_path = g_build_filename(fx->tmpdir, "vnc.sock", NULL);
        g_ptr_array_add(args, g_strdup("-vnc"));
        g_ptr_array_add(args, g_strdup_printf("unix:%s", fx->vnc_path));
    }
    for (gsize i = 0; opts->extra_args && opts->extra_args[i]; i++) {
        g_ptr_array_add(args, g_strdup(opts->extra_args[i]));
    }
    g_ptr_array_add(args, NULL);
    fx->qt = qt_start(fx->tmpdir, opts->machine ? opts->machine : "q35",
                      (const char *const *)args->pdata);

    if (!opts->no_pci_setup) {
        g_assert_true(pci_find_device(fx->qt, PVGPU_PCI_VENDOR_ID,
                                      PVGPU_PCI_DEVICE_ID, &fx->pci));
        pci_probe_bars(&fx->pci);
        pci_assign_bars(&fx->pci);
        pci_enable(&fx->pci);
        fx->regs = fx->pci.bar[PVGPU_BAR_REGS].addr;
        fx->shmem = fx->pci.bar[PVGPU_BAR_SHMEM].addr;
        g_assert_cmpuint(fx->regs, !=, 0);
        g_assert_cmpuint(fx->shmem, !=, 0);
    }
    return fx;
}

void pvgpu_fixture_free(PvgpuFixture *fx)
{
    if (!fx) {
        return;
    }
    if (fx->qt) {
        g_autofree gchar *err = qt_stderr(fx->qt);

        test_log("QEMU stderr:\n%s", err);
    }
    qt_free(fx->qt);
    pvgpu_fixture_stop_backend(fx);
    pvgpu_test_remove_tree(fx->tmpdir);
    g_free(fx->socket_path);
    g_free(fx->tmpdir);
    g_free(fx->vnc_path);
    g_free(fx);
}

const char *pvgpu_reg_name(guint32 off)
{
    switch (off) {
    case PVGPU_REG_MAGIC: return "MAGIC";
    case PVGPU_REG_VERSION: return "VERSION";
    case PVGPU_REG_DEVICE_FEATURES_LO: return "DEVICE_FEATURES_LO";
    case PVGPU_REG_DEVICE_FEATURES_HI: return "DEVICE_FEATURES_HI";
    case PVGPU_REG_FEATURES_LO: return "FEATURES_LO";
    case PVGPU_REG_FEATURES_HI: return "FEATURES_HI";
    case PVGPU_REG_STATUS: return "STATUS";
    case PVGPU_REG_GENERATION: return "GENERATION";
    case PVGPU_REG_DOORBELL: return "DOORBELL";
    case PVGPU_REG_IRQ_STATUS: return "IRQ_STATUS";
    case PVGPU_REG_IRQ_MASK: return "IRQ_MASK";
    case PVGPU_REG_RESET: return "RESET";
    case PVGPU_REG_SHMEM_SIZE_LO: return "SHMEM_SIZE_LO";
    case PVGPU_REG_SHMEM_SIZE_HI: return "SHMEM_SIZE_HI";
    case PVGPU_REG_NUM_VECTORS: return "NUM_VECTORS";
    default: return "(unlisted)";
    }
}

guint32 pvgpu_reg_read(PvgpuFixture *fx, guint32 off)
{
    guint32 v = qt_readl(fx->qt, fx->regs + off);

    test_log("BAR0[0x%03x %s] -> 0x%08x", off, pvgpu_reg_name(off), v);
    return v;
}

void pvgpu_reg_write(PvgpuFixture *fx, guint32 off, guint32 val)
{
    test_log("BAR0[0x%03x %s] <- 0x%08x", off, pvgpu_reg_name(off), val);
    qt_writel(fx->qt, fx->regs + off, val);
}

gboolean pvgpu_wait_reg(PvgpuFixture *fx, guint32 off, guint32 mask,
                        guint32 want, gint64 deadline)
{
    guint32 last = qt_readl(fx->qt, fx->regs + off);

    test_log("BAR0[0x%03x %s] -> 0x%08x (waiting for 0x%x under mask 0x%x)",
             off, pvgpu_reg_name(off), last, want, mask);
    for (;;) {
        guint32 v;

        if ((last & mask) == want) {
            return TRUE;
        }
        if (g_get_monotonic_time() >= deadline) {
            test_log("BAR0[0x%03x %s]: deadline passed at 0x%08x", off,
                     pvgpu_reg_name(off), last);
            return FALSE;
        }
        g_usleep(1000);
        v = qt_readl(fx->qt, fx->regs + off);
        if (v != last) {
            test_log("BAR0[0x%03x %s] -> 0x%08x", off, pvgpu_reg_name(off),
                     v);
        }
        last = v;
    }
}

void pvgpu_assert_ready(PvgpuFixture *fx)
{
    const guint32 both = PVGPU_STATUS_BACKEND_CONNECTED |
                         PVGPU_STATUS_READY;

    g_assert_true(pvgpu_wait_reg(fx, PVGPU_REG_STATUS, both, both,
                                 pvgpu_deadline()));
}

void pvgpu_assert_stderr_mentions(PvgpuFixture *fx, gsize from,
                                  const char *needle)
{
    if (!qt_wait_stderr(fx->qt, from, needle, pvgpu_deadline())) {
        g_autofree gchar *err = qt_stderr(fx->qt);

        test_log("QEMU stderr after byte %zu has no '%s':\n%s", from, needle,
                 strlen(err) > from ? err + from : "");
        g_assert_not_reached();
    }
}

gsize pvgpu_stderr_len(PvgpuFixture *fx)
{
    g_autofree gchar *err = qt_stderr(fx->qt);

    return strlen(err);
}

void pvgpu_assert_qemu_responsive(PvgpuFixture *fx)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) reply = NULL;
    JsonObject *ret;

    reply = qt_qmp_deadline(fx->qt, "{'execute': 'query-status'}",
                            g_get_monotonic_time() + RESPONSIVE_TIMEOUT_US,
                            &error);
    g_assert_no_error(error);
    g_assert_null(qmp_reply_error_desc(reply));
    ret = json_object_get_object_member(reply, "return");
    g_assert_nonnull(ret);
    g_assert_true(json_object_has_member(ret, "status"));
}

PvgpuMark pvgpu_mark(PvgpuFixture *fx)
{
    return (PvgpuMark){
        .stderr_len = pvgpu_stderr_len(fx),
        .disconnects = fake_backend_count(fx->backend,
                                          FAKE_COUNT_DISCONNECTS),
        .handshakes = fake_backend_count(fx->backend, FAKE_COUNT_HANDSHAKES),
    };
}

void pvgpu_assert_survived_and_reconnected(PvgpuFixture *fx,
                                           const PvgpuMark *mark)
{
    g_assert_true(fake_backend_wait_count(fx->backend,
                                          FAKE_COUNT_DISCONNECTS,
                                          mark->disconnects + 1,
                                          pvgpu_deadline()));
    g_assert_true(fake_backend_wait_count(fx->backend, FAKE_COUNT_HANDSHAKES,
                                          mark->handshakes + 1,
                                          pvgpu_deadline()));
    pvgpu_assert_qemu_responsive(fx);
    pvgpu_assert_stderr_mentions(fx, mark->stderr_len, "pvgpu");
    /* the guest was told */
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS) &
                    PVGPU_STATUS_DEVICE_LOST, ==, PVGPU_STATUS_DEVICE_LOST);
}
