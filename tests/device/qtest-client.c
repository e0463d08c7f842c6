/* SPDX-License-Identifier: MIT */
#include "qtest-client.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "line-channel.h"
#include "qmp-client.h"
#include "test-log.h"

#define QT_MAX_IRQ 256
/* Commands sent before their replies are read, in qt_writel_repeat(). */
#define QT_PIPELINE_BATCH 256

struct QTestClient {
    ChildProcess *proc;
    gchar *qtest_path;
    gchar *qmp_path;
    LineChannel *qtest;
    QmpClient *qmp;
    gboolean irq_level[QT_MAX_IRQ];
    guint irq_raises[QT_MAX_IRQ];
};

static gchar *qemu_binary_override;

const char *qt_qemu_binary(void)
{
    const char *env;

    if (qemu_binary_override) {
        return qemu_binary_override;
    }
    env = g_getenv("PVGPU_QEMU");
    return env && *env ? env : NULL;
}

void qt_set_qemu_binary(const char *path)
{
    g_free(qemu_binary_override);
    qemu_binary_override = g_strdup(path);
}

static G_GNUC_NORETURN G_GNUC_PRINTF(2, 3)
void qt_die(QTestClient *qt, const char *fmt, ...)
{
    g_autofree gchar *what = NULL;
    g_autofree gchar *err = NULL;
    g_autofree gchar *how = NULL;
    int status;
    va_list ap;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* a lost connection usually means QEMU is exiting: say how */
    if (child_process_wait_exit(qt->proc,
                                g_get_monotonic_time() + G_TIME_SPAN_SECOND,
                                &status)) {
        how = child_process_describe_status(status);
    } else {
        how = g_strdup("still running");
    }
    err = child_process_stderr(qt->proc);
    g_error("%s (QEMU %s)\n--- QEMU stderr ---\n%s--- end ---", what, how,
            err);
}

static gboolean qemu_alive(gpointer data)
{
    return !child_process_exited(data, NULL);
}

static int listen_unix(const char *path, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
                    "socket path too long: %s", path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(fd, 1) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot listen on %s: %s", path, g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

/* Accepts one connection, giving up when QEMU exits or at the deadline. */
static int accept_qemu(int listen_fd, ChildProcess *proc, gint64 deadline,
                       const char *what, GError **error)
{
    for (;;) {
        struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
        int status;
        int r;

        if (child_process_exited(proc, &status)) {
            g_autofree gchar *how = child_process_describe_status(status);
            g_autofree gchar *err = child_process_stderr(proc);

            g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                        "QEMU exited (%s) before connecting %s; stderr:\n%s",
                        how, what, err);
            return -1;
        }
        if (g_get_monotonic_time() >= deadline) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                        "QEMU did not connect %s before the deadline", what);
            return -1;
        }
        r = poll(&pfd, 1, 50);
        if (r > 0) {
            int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

            if (fd >= 0) {
                return fd;
            }
        }
    }
}

static GPtrArray *base_argv(const char *machine)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);

    g_ptr_array_add(argv, g_strdup(qt_qemu_binary()));
    g_ptr_array_add(argv, g_strdup("-machine"));
    g_ptr_array_add(argv, g_strdup(machine));
    g_ptr_array_add(argv, g_strdup("-accel"));
    g_ptr_array_add(argv, g_strdup("qtest"));
    g_ptr_array_add(argv, g_strdup("-display"));
    g_ptr_array_add(argv, g_strdup("none"));
    g_ptr_array_add(argv, g_strdup("-nodefaults"));
    return argv;
}

static void add_args(GPtrArray *argv, const char *const *extra_args)
{
    for (gsize i = 0; extra_args && extra_args[i]; i++) {
        g_ptr_array_add(argv, g_strdup(extra_args[i]));
    }
    g_ptr_array_add(argv, NULL);
}

static void log_argv(GPtrArray *argv)
{
    g_autofree gchar *cmd = g_strjoinv(" ", (gchar **)argv->pdata);

    test_log("starting: %s", cmd);
}

QTestClient *qt_start_full(const char *tmpdir, const char *machine,
                           const char *const *extra_args, GError **error)
{
    g_autoptr(QTestClient) qt = g_new0(QTestClient, 1);
    g_autoptr(GPtrArray) argv = NULL;
    g_autofree gchar *stderr_path = NULL;
    gint64 deadline = g_get_monotonic_time() + QT_TIMEOUT_US;
    int qtest_listen;
    int qmp_listen;
    int fd;

    if (!qt_qemu_binary()) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "no QEMU binary: set PVGPU_QEMU or pass --qemu PATH");
        return NULL;
    }
    qt->qtest_path = g_build_filename(tmpdir, "qtest.sock", NULL);
    qt->qmp_path = g_build_filename(tmpdir, "qmp.sock", NULL);
    stderr_path = g_build_filename(tmpdir, "qemu-stderr.log", NULL);
    qtest_listen = listen_unix(qt->qtest_path, error);
    if (qtest_listen < 0) {
        return NULL;
    }
    qmp_listen = listen_unix(qt->qmp_path, error);
    if (qmp_listen < 0) {
        close(qtest_listen);
        return NULL;
    }

    argv = base_argv(machine);
    g_ptr_array_add(argv, g_strdup("-qtest"));
    g_ptr_array_add(argv, g_strdup_printf("unix:%s", qt->qtest_path));
    /* qtest logs every command to stderr otherwise */
    g_ptr_array_add(argv, g_strdup("-qtest-log"));
    g_ptr_array_add(argv, g_strdup("/dev/null"));
    g_ptr_array_add(argv, g_strdup("-qmp"));
    g_ptr_array_add(argv, g_strdup_printf("unix:%s", qt->qmp_path));
    add_args(argv, extra_args);
    log_argv(argv);

    qt->proc = child_process_spawn((const char *const *)argv->pdata,
                                   stderr_path, error);
    if (qt->proc) {
        fd = accept_qemu(qtest_listen, qt->proc, deadline, "qtest", error);
        if (fd >= 0) {
            qt->qtest = line_channel_new(fd, qemu_alive, qt->proc);
            fd = accept_qemu(qmp_listen, qt->proc, deadline, "QMP", error);
        }
        if (fd >= 0) {
            qt->qmp = qmp_client_new(line_channel_new(fd, qemu_alive,
                                                      qt->proc),
                                     deadline, error);
        }
    }
    close(qtest_listen);
    close(qmp_listen);
    if (!qt->qmp) {
        return NULL;
    }
    return g_steal_pointer(&qt);
}

QTestClient *qt_start(const char *tmpdir, const char *machine,
                      const char *const *extra_args)
{
    g_autoptr(GError) error = NULL;
    QTestClient *qt = qt_start_full(tmpdir, machine, extra_args, &error);

    if (!qt) {
        g_error("cannot start QEMU: %s", error->message);
    }
    return qt;
}

void qt_free(QTestClient *qt)
{
    if (!qt) {
        return;
    }
    qmp_client_free(qt->qmp);
    line_channel_free(qt->qtest);
    child_process_free(qt->proc);
    if (qt->qtest_path) {
        unlink(qt->qtest_path);
    }
    if (qt->qmp_path) {
        unlink(qt->qmp_path);
    }
    g_free(qt->qtest_path);
    g_free(qt->qmp_path);
    g_free(qt);
}

gboolean qt_run_to_exit(const char *tmpdir, const char *machine,
                        const char *const *extra_args, gint64 deadline,
                        int *wait_status, gchar **stderr_text)
{
    g_autoptr(GPtrArray) argv = base_argv(machine);
    g_autofree gchar *stderr_path =
        g_build_filename(tmpdir, "qemu-stderr.log", NULL);
    g_autoptr(ChildProcess) proc = NULL;
    g_autoptr(GError) error = NULL;
    gboolean exited;

    g_assert_nonnull(qt_qemu_binary());
    add_args(argv, extra_args);
    log_argv(argv);
    proc = child_process_spawn((const char *const *)argv->pdata, stderr_path,
                               &error);
    g_assert_no_error(error);
    exited = child_process_wait_exit(proc, deadline, wait_status);
    if (!exited) {
        child_process_signal(proc, SIGKILL);
        child_process_wait_exit(proc, G_MAXINT64, NULL);
    }
    *stderr_text = child_process_stderr(proc);
    return exited;
}

ChildProcess *qt_process(QTestClient *qt)
{
    return qt->proc;
}

gchar *qt_stderr(QTestClient *qt)
{
    return child_process_stderr(qt->proc);
}

gboolean qt_wait_stderr(QTestClient *qt, gsize from, const char *needle,
                        gint64 deadline)
{
    for (;;) {
        g_autofree gchar *text = child_process_stderr(qt->proc);

        if (strlen(text) > from && strstr(text + from, needle)) {
            return TRUE;
        }
        if (g_get_monotonic_time() >= deadline) {
            return FALSE;
        }
        g_usleep(5000);
    }
}

/* ---- qtest protocol ------------------------------------------------- */

/* Consumes an asynchronous "IRQ raise|lower N" line; FALSE if not one. */
static gboolean handle_irq_line(QTestClient *qt, const char *line)
{
    g_auto(GStrv) words = NULL;
    guint64 n;

    if (!g_str_has_prefix(line, "IRQ ")) {
        return FALSE;
    }
    words = g_strsplit(line, " ", 0);
    if (g_strv_length(words) != 3 ||
        !g_ascii_string_to_unsigned(words[2], 10, 0, QT_MAX_IRQ - 1, &n,
                                    NULL)) {
        qt_die(qt, "malformed qtest IRQ line: %s", line);
    }
    if (strcmp(words[1], "raise") == 0) {
        if (!qt->irq_level[n]) {
            qt->irq_raises[n]++;
        }
        qt->irq_level[n] = TRUE;
    } else {
        qt->irq_level[n] = FALSE;
    }
    test_log("qtest: %s", line);
    return TRUE;
}

/* Reads the reply to one command: "OK [args]". Returns the args part. */
static gchar *read_reply(QTestClient *qt, const char *cmd, gint64 deadline)
{
    for (;;) {
        g_autofree gchar *line = NULL;

        switch (line_channel_read_line(qt->qtest, deadline, &line)) {
        case LINE_CHANNEL_OK:
            break;
        case LINE_CHANNEL_TIMEOUT:
            qt_die(qt, "QEMU did not answer qtest '%s' before the deadline",
                   cmd);
        case LINE_CHANNEL_CLOSED:
        default:
            qt_die(qt, "qtest connection lost during '%s'", cmd);
        }
        if (handle_irq_line(qt, line)) {
            continue;
        }
        if (strcmp(line, "OK") == 0) {
            return g_strdup("");
        }
        if (g_str_has_prefix(line, "OK ")) {
            return g_strdup(line + 3);
        }
        qt_die(qt, "qtest '%s' failed: %s", cmd, line);
    }
}

static gchar *command_v(QTestClient *qt, const char *fmt, va_list ap)
{
    g_autofree gchar *cmd = g_strdup_vprintf(fmt, ap);
    g_autofree gchar *line = g_strconcat(cmd, "\n", NULL);

    if (!line_channel_write(qt->qtest, line, strlen(line))) {
        qt_die(qt, "cannot send qtest '%s'", cmd);
    }
    return read_reply(qt, cmd, g_get_monotonic_time() + QT_TIMEOUT_US);
}

gchar *qt_command(QTestClient *qt, const char *fmt, ...)
{
    va_list ap;
    gchar *reply;

    va_start(ap, fmt);
    reply = command_v(qt, fmt, ap);
    va_end(ap);
    return reply;
}

static guint64 command_value(QTestClient *qt, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static guint64 command_value(QTestClient *qt, const char *fmt, ...)
{
    g_autofree gchar *reply = NULL;
    gchar *end = NULL;
    guint64 v;
    va_list ap;

    va_start(ap, fmt);
    reply = command_v(qt, fmt, ap);
    va_end(ap);
    v = g_ascii_strtoull(reply, &end, 0);
    if (end == reply) {
        qt_die(qt, "qtest reply without a value: 'OK %s'", reply);
    }
    return v;
}

#define ADDR "0x%" G_GINT64_MODIFIER "x"

guint8 qt_readb(QTestClient *qt, guint64 addr)
{
    return (guint8)command_value(qt, "readb " ADDR, addr);
}

guint16 qt_readw(QTestClient *qt, guint64 addr)
{
    return (guint16)command_value(qt, "readw " ADDR, addr);
}

guint32 qt_readl(QTestClient *qt, guint64 addr)
{
    return (guint32)command_value(qt, "readl " ADDR, addr);
}

guint64 qt_readq(QTestClient *qt, guint64 addr)
{
    return command_value(qt, "readq " ADDR, addr);
}

void qt_writeb(QTestClient *qt, guint64 addr, guint8 val)
{
    g_free(qt_command(qt, "writeb " ADDR " 0x%x", addr, val));
}

void qt_writew(QTestClient *qt, guint64 addr, guint16 val)
{
    g_free(qt_command(qt, "writew " ADDR " 0x%x", addr, val));
}

void qt_writel(QTestClient *qt, guint64 addr, guint32 val)
{
    g_free(qt_command(qt, "writel " ADDR " 0x%x", addr, val));
}

void qt_writeq(QTestClient *qt, guint64 addr, guint64 val)
{
    g_free(qt_command(qt, "writeq " ADDR " 0x%" G_GINT64_MODIFIER "x",
                      addr, val));
}

guint8 qt_inb(QTestClient *qt, guint16 port)
{
    return (guint8)command_value(qt, "inb 0x%x", port);
}

guint16 qt_inw(QTestClient *qt, guint16 port)
{
    return (guint16)command_value(qt, "inw 0x%x", port);
}

guint32 qt_inl(QTestClient *qt, guint16 port)
{
    return (guint32)command_value(qt, "inl 0x%x", port);
}

void qt_outb(QTestClient *qt, guint16 port, guint8 val)
{
    g_free(qt_command(qt, "outb 0x%x 0x%x", port, val));
}

void qt_outw(QTestClient *qt, guint16 port, guint16 val)
{
    g_free(qt_command(qt, "outw 0x%x 0x%x", port, val));
}

void qt_outl(QTestClient *qt, guint16 port, guint32 val)
{
    g_free(qt_command(qt, "outl 0x%x 0x%x", port, val));
}

void qt_memread(QTestClient *qt, guint64 addr, void *buf, gsize len)
{
    g_autofree gchar *reply = NULL;
    g_autofree guchar *data = NULL;
    gsize got = 0;

    if (len == 0) {
        return;
    }
    reply = qt_command(qt, "b64read " ADDR " 0x%zx", addr, len);
    data = g_base64_decode(reply, &got);
    if (got != len) {
        qt_die(qt, "b64read of %zu bytes returned %zu", len, got);
    }
    memcpy(buf, data, len);
}

void qt_memwrite(QTestClient *qt, guint64 addr, const void *buf, gsize len)
{
    g_autofree gchar *b64 = NULL;

    if (len == 0) {
        return;
    }
    b64 = g_base64_encode(buf, len);
    g_free(qt_command(qt, "b64write " ADDR " 0x%zx %s", addr, len, b64));
}

void qt_memset(QTestClient *qt, guint64 addr, guint8 val, gsize len)
{
    g_free(qt_command(qt, "memset " ADDR " 0x%zx 0x%x", addr, len, val));
}

gint64 qt_clock_step(QTestClient *qt, gint64 ns)
{
    return (gint64)command_value(qt, "clock_step %" G_GINT64_FORMAT, ns);
}

void qt_writel_repeat(QTestClient *qt, guint64 addr, guint32 val,
                      guint count)
{
    g_autofree gchar *cmd = g_strdup_printf("writel " ADDR " 0x%x", addr,
                                            val);
    g_autofree gchar *line = g_strconcat(cmd, "\n", NULL);
    gsize line_len = strlen(line);
    g_autoptr(GString) batch = g_string_new(NULL);

    while (count > 0) {
        guint n = MIN(count, QT_PIPELINE_BATCH);

        g_string_truncate(batch, 0);
        for (guint i = 0; i < n; i++) {
            g_string_append_len(batch, line, (gssize)line_len);
        }
        if (!line_channel_write(qt->qtest, batch->str, batch->len)) {
            qt_die(qt, "cannot send qtest '%s'", cmd);
        }
        for (guint i = 0; i < n; i++) {
            g_free(read_reply(qt, cmd,
                              g_get_monotonic_time() + QT_TIMEOUT_US));
        }
        count -= n;
    }
}

/* ---- interrupt lines ------------------------------------------------ */

void qt_irq_intercept_in(QTestClient *qt, const char *qom_path)
{
    g_free(qt_command(qt, "irq_intercept_in %s", qom_path));
}

/* Waits for one unsolicited line (only IRQ lines may be); FALSE at the
 * deadline. */
static gboolean read_async_line(QTestClient *qt, gint64 deadline)
{
    g_autofree gchar *line = NULL;

    switch (line_channel_read_line(qt->qtest, deadline, &line)) {
    case LINE_CHANNEL_OK:
        if (!handle_irq_line(qt, line)) {
            qt_die(qt, "unsolicited qtest line: %s", line);
        }
        return TRUE;
    case LINE_CHANNEL_TIMEOUT:
        return FALSE;
    case LINE_CHANNEL_CLOSED:
    default:
        qt_die(qt, "qtest connection lost while waiting for an IRQ");
    }
}

/*
 * A command round trip: every IRQ line QEMU sent before it has been read
 * (read_reply() handles them) when it returns.
 */
static void sync_irq_lines(QTestClient *qt)
{
    g_free(qt_command(qt, "endianness"));
}

gboolean qt_irq_level(QTestClient *qt, guint n)
{
    g_assert_cmpuint(n, <, QT_MAX_IRQ);
    sync_irq_lines(qt);
    return qt->irq_level[n];
}

guint qt_irq_raise_count(QTestClient *qt, guint n)
{
    g_assert_cmpuint(n, <, QT_MAX_IRQ);
    sync_irq_lines(qt);
    return qt->irq_raises[n];
}

gboolean qt_wait_irq_level(QTestClient *qt, guint n, gboolean level,
                           gint64 deadline)
{
    g_assert_cmpuint(n, <, QT_MAX_IRQ);
    sync_irq_lines(qt);
    while (qt->irq_level[n] != level) {
        if (!read_async_line(qt, deadline)) {
            return FALSE;
        }
    }
    return TRUE;
}

static int first_raised(QTestClient *qt)
{
    for (int i = 0; i < QT_MAX_IRQ; i++) {
        if (qt->irq_level[i]) {
            return i;
        }
    }
    return -1;
}

int qt_irq_first_raised(QTestClient *qt)
{
    sync_irq_lines(qt);
    return first_raised(qt);
}

int qt_wait_irq_any(QTestClient *qt, gint64 deadline)
{
    sync_irq_lines(qt);
    while (first_raised(qt) < 0) {
        if (!read_async_line(qt, deadline)) {
            return -1;
        }
    }
    return first_raised(qt);
}

/* ---- QMP ------------------------------------------------------------- */

JsonObject *qt_qmp_deadline(QTestClient *qt, const char *command,
                            gint64 deadline, GError **error)
{
    return qmp_client_command(qt->qmp, command, deadline, error);
}

JsonObject *qt_qmp(QTestClient *qt, const char *command)
{
    g_autoptr(GError) error = NULL;
    JsonObject *reply = qt_qmp_deadline(
        qt, command, g_get_monotonic_time() + QT_TIMEOUT_US, &error);

    if (!reply) {
        qt_die(qt, "QMP %s: %s", command, error->message);
    }
    return reply;
}

JsonObject *qt_qmp_wait_event(QTestClient *qt, const char *name,
                              gint64 deadline)
{
    g_autoptr(GError) error = NULL;
    JsonObject *ev = qmp_client_wait_event(qt->qmp, name, deadline, &error);

    if (!ev) {
        test_log("no QMP event %s: %s", name, error->message);
    }
    return ev;
}

int qt_quit(QTestClient *qt)
{
    int status = 0;

    qmp_client_send(qt->qmp, "{'execute': 'quit'}");
    if (!child_process_wait_exit(qt->proc,
                                 g_get_monotonic_time() + QT_TIMEOUT_US,
                                 &status)) {
        qt_die(qt, "QEMU did not exit after 'quit'");
    }
    return status;
}
