/* SPDX-License-Identifier: MIT */
/*
 * What most device tests start from: a temporary directory, a fake backend
 * listening there, QEMU with one pvgpu device pointed at it, the device
 * found on the PCI bus with its BARs assigned and decoding enabled. Plus
 * register accessors that log every access by name, and waits on register
 * values with a deadline.
 */
#ifndef PVGPU_FIXTURE_H
#define PVGPU_FIXTURE_H

#include <glib.h>

#include "fake-backend.h"
#include "pci-helpers.h"
#include "qtest-client.h"

typedef struct {
    const char *machine;      /* default "q35" */
    const char *device_props; /* appended to "-device pvgpu,...", or NULL */
    gboolean no_backend;      /* do not start the fake backend */
    gboolean no_auto_ack;     /* the backend does not answer HANDSHAKE */
    guint64 ack_features;     /* what the backend acknowledges */
    gboolean no_pci_setup;    /* leave BARs unassigned */
    gboolean vnc;             /* QEMU's VNC server on fx->vnc_path */
    const char *const *extra_args;
} PvgpuFixtureOptions;

typedef struct {
    gchar *tmpdir;
    gchar *socket_path; /* the device's backend_pipe */
    gchar *vnc_path;    /* with opts->vnc: QEMU's VNC server's socket */
    FakeBackend *backend;
    QTestClient *qt;
    PciDevice pci;
    guint64 regs;  /* BAR0 address */
    guint64 shmem; /* BAR2 address */
} PvgpuFixture;

PvgpuFixture *pvgpu_fixture_start(const PvgpuFixtureOptions *opts);
void pvgpu_fixture_free(PvgpuFixture *fx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PvgpuFixture, pvgpu_fixture_free)

/* Starts a (new) fake backend on fx->socket_path. */
void pvgpu_fixture_start_backend(PvgpuFixture *fx, gboolean auto_ack,
                                 guint64 ack_features);
/* Stops the fake backend entirely: connection, listener and socket file. */
void pvgpu_fixture_stop_backend(PvgpuFixture *fx);

const char *pvgpu_reg_name(guint32 off);
guint32 pvgpu_reg_read(PvgpuFixture *fx, guint32 off);
void pvgpu_reg_write(PvgpuFixture *fx, guint32 off, guint32 val);

/*
 * Polls register off until (value & mask) == want; logs each change.
 * FALSE at the deadline.
 */
gboolean pvgpu_wait_reg(PvgpuFixture *fx, guint32 off, guint32 mask,
                        guint32 want, gint64 deadline);

/* Asserts that STATUS reaches CONNECTED|READY within the default time. */
void pvgpu_assert_ready(PvgpuFixture *fx);

/* A deadline QT_TIMEOUT_US from now. */
gint64 pvgpu_deadline(void);

/* Length of QEMU's stderr so far. */
gsize pvgpu_stderr_len(PvgpuFixture *fx);
/*
 * Asserts that QEMU's stderr after byte from gains needle within the
 * default time (QEMU's stderr goes to the log otherwise).
 */
void pvgpu_assert_stderr_mentions(PvgpuFixture *fx, gsize from,
                                  const char *needle);

/* Asserts that QEMU still answers QMP (query-status) within a deadline. */
void pvgpu_assert_qemu_responsive(PvgpuFixture *fx);

/* Where a test stood before a hostile backend's input. */
typedef struct {
    gsize stderr_len;
    guint64 disconnects;
    guint64 handshakes;
} PvgpuMark;

PvgpuMark pvgpu_mark(PvgpuFixture *fx);

/*
 * After a hostile backend's input since mark: QEMU answers, a new "pvgpu"
 * line is on its stderr, the fake backend's connection was closed and
 * another handshake arrived, and the guest sees DEVICE_LOST.
 */
void pvgpu_assert_survived_and_reconnected(PvgpuFixture *fx,
                                           const PvgpuMark *mark);

#endif /* PVGPU_FIXTURE_H */
