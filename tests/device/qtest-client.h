/* SPDX-License-Identifier: MIT */
/*
 * Drives a real qemu-system-x86_64 through the qtest text protocol and QMP,
 * like QEMU's own libqtest but standalone: the test listens on two Unix
 * sockets in its temporary directory and QEMU connects to both.
 *
 * Every call has a deadline. When QEMU does not answer in time, or exits
 * while the test talks to it, the test aborts with QEMU's stderr in the
 * message. QEMU is killed when the client is freed (and, through
 * PR_SET_PDEATHSIG, when the test process dies).
 */
#ifndef PVGPU_QTEST_CLIENT_H
#define PVGPU_QTEST_CLIENT_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "child-process.h"

/* Default deadline for one reply or one awaited condition. */
#define QT_TIMEOUT_US (10 * G_TIME_SPAN_SECOND)

typedef struct QTestClient QTestClient;

/*
 * The QEMU binary: the one set with qt_set_qemu_binary(), else env
 * PVGPU_QEMU. NULL when neither is set.
 */
const char *qt_qemu_binary(void);
void qt_set_qemu_binary(const char *path);

/*
 * Starts QEMU with "-machine MACHINE -accel qtest -display none -nodefaults"
 * plus the qtest and QMP sockets, then extra_args (NULL-terminated, may be
 * NULL). Files go to tmpdir (which must exist). Aborts the test on failure.
 */
QTestClient *qt_start(const char *tmpdir, const char *machine,
                      const char *const *extra_args);

/* Like qt_start() but returns NULL and sets *error when QEMU fails. */
QTestClient *qt_start_full(const char *tmpdir, const char *machine,
                           const char *const *extra_args, GError **error);

/* Kills QEMU (if still running) and removes the sockets. */
void qt_free(QTestClient *qt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QTestClient, qt_free)

/*
 * Runs QEMU without qtest/QMP sockets and waits (deadline) for it to exit.
 * Returns TRUE when it exited; *wait_status and *stderr_text (caller frees)
 * say how. A QEMU still running at the deadline is killed (FALSE).
 */
gboolean qt_run_to_exit(const char *tmpdir, const char *machine,
                        const char *const *extra_args, gint64 deadline,
                        int *wait_status, gchar **stderr_text);

ChildProcess *qt_process(QTestClient *qt);

/* QEMU's stderr so far (caller frees). */
gchar *qt_stderr(QTestClient *qt);

/* Waits until QEMU's stderr contains needle (after byte offset from). */
gboolean qt_wait_stderr(QTestClient *qt, gsize from, const char *needle,
                        gint64 deadline);

/* ---- qtest protocol ---- */
guint8 qt_readb(QTestClient *qt, guint64 addr);
guint16 qt_readw(QTestClient *qt, guint64 addr);
guint32 qt_readl(QTestClient *qt, guint64 addr);
guint64 qt_readq(QTestClient *qt, guint64 addr);
void qt_writeb(QTestClient *qt, guint64 addr, guint8 val);
void qt_writew(QTestClient *qt, guint64 addr, guint16 val);
void qt_writel(QTestClient *qt, guint64 addr, guint32 val);
void qt_writeq(QTestClient *qt, guint64 addr, guint64 val);
guint8 qt_inb(QTestClient *qt, guint16 port);
guint16 qt_inw(QTestClient *qt, guint16 port);
guint32 qt_inl(QTestClient *qt, guint16 port);
void qt_outb(QTestClient *qt, guint16 port, guint8 val);
void qt_outw(QTestClient *qt, guint16 port, guint16 val);
void qt_outl(QTestClient *qt, guint16 port, guint32 val);
void qt_memread(QTestClient *qt, guint64 addr, void *buf, gsize len);
void qt_memwrite(QTestClient *qt, guint64 addr, const void *buf, gsize len);
void qt_memset(QTestClient *qt, guint64 addr, guint8 val, gsize len);
/* Advances the virtual clock; returns the new value in ns. */
gint64 qt_clock_step(QTestClient *qt, gint64 ns);

/*
 * count writel of the same value, pipelined in batches so that QEMU is not
 * waited for after each one (still one reply per command, all checked).
 */
void qt_writel_repeat(QTestClient *qt, guint64 addr, guint32 val,
                      guint count);

/* Sends one command and checks its "OK"; for commands without helpers. */
gchar *qt_command(QTestClient *qt, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* ---- interrupt lines (irq_intercept_in) ---- */
void qt_irq_intercept_in(QTestClient *qt, const char *qom_path);
/* Current level of intercepted line n, after reading pending IRQ lines. */
gboolean qt_irq_level(QTestClient *qt, guint n);
/* Number of raise edges seen on line n so far. */
guint qt_irq_raise_count(QTestClient *qt, guint n);
/* Waits for line n to reach level; FALSE at the deadline. */
gboolean qt_wait_irq_level(QTestClient *qt, guint n, gboolean level,
                           gint64 deadline);
/* Lowest line number currently raised, or -1. */
int qt_irq_first_raised(QTestClient *qt);
/* Waits until some line is raised; returns the lowest, or -1. */
int qt_wait_irq_any(QTestClient *qt, gint64 deadline);

/* ---- QMP ---- */
/* Returns the whole reply ({"return"} or {"error"}); aborts on timeout. */
JsonObject *qt_qmp(QTestClient *qt, const char *command);
JsonObject *qt_qmp_deadline(QTestClient *qt, const char *command,
                            gint64 deadline, GError **error);
/* Waits for an event; NULL at the deadline. */
JsonObject *qt_qmp_wait_event(QTestClient *qt, const char *name,
                              gint64 deadline);
/* Sends "quit" and waits for QEMU to exit; returns its wait status. */
int qt_quit(QTestClient *qt);

#endif /* PVGPU_QTEST_CLIENT_H */
