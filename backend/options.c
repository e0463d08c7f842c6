/* SPDX-License-Identifier: MIT */
#include "options.h"

#include <errno.h>
#include <stdlib.h>

#include "peer-check.h"
#include "pvgpu_protocol.h"

#define USAGE_ERROR(error, ...) \
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, __VA_ARGS__)

gboolean pvgpu_parse_size(const char *text, guint64 *out, GError **error)
{
    guint64 value;
    guint shift = 0;
    char *end;

    if (!g_ascii_isdigit(text[0])) {
        USAGE_ERROR(error, "\"%s\" is not a size (try 512M or 1G)", text);
        return FALSE;
    }
    errno = 0;
    value = g_ascii_strtoull(text, &end, 10);
    if (errno != 0) {
        USAGE_ERROR(error, "size \"%s\" is too large", text);
        return FALSE;
    }
    switch (g_ascii_toupper(*end)) {
    case '\0':
        break;
    case 'K':
        shift = 10;
        break;
    case 'M':
        shift = 20;
        break;
    case 'G':
        shift = 30;
        break;
    case 'T':
        shift = 40;
        break;
    default:
        USAGE_ERROR(error, "\"%s\" is not a size (try 512M or 1G)", text);
        return FALSE;
    }
    if (*end != '\0' && end[1] != '\0') {
        USAGE_ERROR(error, "\"%s\" is not a size (try 512M or 1G)", text);
        return FALSE;
    }
    if (shift > 0 && value > (G_MAXUINT64 >> shift)) {
        USAGE_ERROR(error, "size \"%s\" is too large", text);
        return FALSE;
    }
    *out = value << shift;
    return TRUE;
}

gboolean pvgpu_parse_display(const char *text, guint32 *width,
                             guint32 *height, GError **error)
{
    guint64 w, h;
    char *end;

    if (!g_ascii_isdigit(text[0])) {
        goto bad;
    }
    w = g_ascii_strtoull(text, &end, 10);
    if (*end != 'x' || !g_ascii_isdigit(end[1])) {
        goto bad;
    }
    h = g_ascii_strtoull(end + 1, &end, 10);
    if (*end != '\0') {
        goto bad;
    }
    if (w < 1 || w > PVGPU_MAX_DIMENSION || h < 1 ||
        h > PVGPU_MAX_DIMENSION) {
        USAGE_ERROR(error, "display size %s is outside 1x1..%ux%u", text,
                    PVGPU_MAX_DIMENSION, PVGPU_MAX_DIMENSION);
        return FALSE;
    }
    *width = (guint32)w;
    *height = (guint32)h;
    return TRUE;
bad:
    USAGE_ERROR(error, "\"%s\" is not a display size (try 1024x768)", text);
    return FALSE;
}

gboolean pvgpu_parse_poll_us(const char *text, guint32 *out, GError **error)
{
    guint64 value;
    char *end;

    if (!g_ascii_isdigit(text[0])) {
        USAGE_ERROR(error, "\"%s\" is not a number of microseconds", text);
        return FALSE;
    }
    errno = 0;
    value = g_ascii_strtoull(text, &end, 10);
    if (*end != '\0') {
        USAGE_ERROR(error, "\"%s\" is not a number of microseconds", text);
        return FALSE;
    }
    if (errno != 0 || value > PVGPU_MAX_POLL_US) {
        USAGE_ERROR(error, "%s is more than the maximum of %u microseconds",
                    text, PVGPU_MAX_POLL_US);
        return FALSE;
    }
    *out = (guint32)value;
    return TRUE;
}

gboolean pvgpu_parse_timeout_ms(const char *text, guint32 *out,
                                GError **error)
{
    guint64 value;
    char *end;

    if (!g_ascii_isdigit(text[0])) {
        USAGE_ERROR(error, "\"%s\" is not a number of milliseconds", text);
        return FALSE;
    }
    errno = 0;
    value = g_ascii_strtoull(text, &end, 10);
    if (*end != '\0') {
        USAGE_ERROR(error, "\"%s\" is not a number of milliseconds", text);
        return FALSE;
    }
    if (errno != 0 || value < 1 || value > PVGPU_MAX_HANDSHAKE_TIMEOUT_MS) {
        USAGE_ERROR(error, "%s is outside 1..%u milliseconds", text,
                    PVGPU_MAX_HANDSHAKE_TIMEOUT_MS);
        return FALSE;
    }
    *out = (guint32)value;
    return TRUE;
}

gboolean pvgpu_parse_uid(const char *text, guint32 *out, GError **error)
{
    guint64 value;
    char *end;

    errno = 0;
    value = g_ascii_isdigit(text[0]) ? g_ascii_strtoull(text, &end, 10) : 0;
    if (!g_ascii_isdigit(text[0]) || *end != '\0') {
        USAGE_ERROR(error, "\"%s\" is not a numeric uid", text);
        return FALSE;
    }
    if (errno != 0 || value >= G_MAXUINT32) {
        USAGE_ERROR(error, "uid %s is outside 0..%u", text, G_MAXUINT32 - 1);
        return FALSE;
    }
    *out = (guint32)value;
    return TRUE;
}

gboolean pvgpu_check_peer_label(const char *label, GError **error)
{
    gsize len = strlen(label);

    if (len == 0 || len > PVGPU_PEER_LABEL_MAX) {
        USAGE_ERROR(error, "a label has 1 to %u bytes",
                    PVGPU_PEER_LABEL_MAX);
        return FALSE;
    }
    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isgraph(label[i]) && label[i] != ' ') {
            USAGE_ERROR(error, "a label has printable ASCII characters only");
            return FALSE;
        }
    }
    if (strcmp(label, "unconfined") == 0) {
        USAGE_ERROR(error, "\"unconfined\" is the label of every process "
                           "without a profile; it isolates nothing");
        return FALSE;
    }
    if (label[len - 1] == ')' && strstr(label, " (") != NULL) {
        USAGE_ERROR(error, "give the profile name without its mode, e.g. "
                           "libvirt-UUID, not \"%s\"", label);
        return FALSE;
    }
    return TRUE;
}

static const char summary[] =
    "Executes the command ring of a QEMU pvgpu device: maps the device's\n"
    "shared memory, runs its 2D commands on the CPU and raises its\n"
    "interrupts. It serves one device at a time over a Unix socket, and\n"
    "after a device goes away it waits for the next one. It does not\n"
    "daemonize and logs to standard error.";

static const char description[] =
    "Exactly one of --socket-path and --fd is required.\n"
    "\n"
    "Sockets:\n"
    "  --socket-path creates PATH with mode 0600, replacing a stale socket\n"
    "  file that nobody accepts on; a live socket or another kind of file\n"
    "  is refused. Devices are served one at a time; after a device goes,\n"
    "  the next one is accepted. --fd=N accepts on N if it listens, or\n"
    "  serves N if it is connected and exits once that device goes.\n"
    "  --memory-budget takes bytes with K, M, G or T suffixes (x1024).\n"
    "  The pidfile is written once the sockets listen and removed at exit.\n"
    "\n"
    "Connections:\n"
    "  Up to 4 connections may be waiting for their HANDSHAKE at once;\n"
    "  one that has not sent a complete HANDSHAKE after\n"
    "  --handshake-timeout-ms=N (1..600000, default 2000) is closed. The\n"
    "  first to complete it becomes the device and the other waiting ones\n"
    "  are closed. While a device is served, new connections are closed at\n"
    "  once, unless the device has hung up (a reset device reconnecting).\n"
    "  --peer-uid=UID: only a peer of that uid (SO_PEERCRED) is served,\n"
    "  root included; default: the backend's own effective uid. The peer of\n"
    "  an inherited connected --fd is not checked.\n"
    "  --peer-label=LABEL: only a peer whose LSM label (SO_PEERSEC) is\n"
    "  LABEL is served: an AppArmor profile name (libvirt-UUID; the mode\n"
    "  such as \" (enforce)\" is ignored) or a whole SELinux context. A peer\n"
    "  without a label (no LSM active) is refused. Without the option the\n"
    "  label is not checked.\n"
    "  The shared memory must come as a descriptor sealed against shrinking\n"
    "  (PVGPU_FEATURE_SHMEM_FD). A device that only names a POSIX shared\n"
    "  memory object is refused: such memory cannot be sealed, and a peer\n"
    "  that shrinks it would crash the backend (SIGBUS). --allow-shm-name\n"
    "  accepts it anyway, for devices that predate SHMEM_FD.\n"
    "\n"
    "Polling:\n"
    "  --poll-us=N (0..10000, default 0 = off): after a batch that ran\n"
    "  commands, keep re-reading the ring's producer index for up to N\n"
    "  microseconds and run new commands without waiting for a doorbell;\n"
    "  each batch that runs commands restarts the window. This trades a\n"
    "  busy CPU for latency. The main loop is held at most N microseconds\n"
    "  (plus the commands' run time) at a time.\n"
    "\n"
    "Control socket:\n"
    "  Newline-delimited JSON, one request per line (at most 4096 bytes):\n"
    "    {\"command\":\"status\"}\n"
    "    {\"command\":\"screenshot\",\"path\":\"/abs/shot.png\"}\n"
    "    {\"command\":\"screenshot\",\"fd\":true}  (with a descriptor)\n"
    "  See backend/README.md for the responses.\n"
    "\n"
    "Signals:\n"
    "  SIGTERM, SIGINT  send SHUTDOWN to the device, remove the pidfile and\n"
    "                   the sockets created, exit 0.\n"
    "  With NOTIFY_SOCKET set, \"READY=1\" is sent there once the sockets\n"
    "  listen.\n"
    "\n"
    "Exit status:\n"
    "  0  clean exit (signal, or the device of --fd=N went away)\n"
    "  1  usage error\n"
    "  2  setup failure (socket, inherited fd, pidfile)\n"
    "  3  internal error\n"
    "\n"
    "Examples:\n"
    "  pvgpu-backend --socket-path=/run/pvgpu/vm1.sock \\\n"
    "      --control-socket=/run/pvgpu/vm1.ctl --pidfile=/run/pvgpu/vm1.pid\n"
    "  pvgpu-backend --fd=3 --memory-budget=1G --display=1920x1080\n"
    "  pvgpu-backend --fd=3 --peer-uid=64055 \\\n"
    "      --peer-label=libvirt-6f1c3a52-0d1e-4b8e-9a57-2f3e4d5c6b7a\n"
    "  pvgpu-backend --print-capabilities\n";

gboolean pvgpu_options_parse(int *argc, char ***argv, PvgpuOptions *opts,
                             GError **error)
{
    g_autoptr(GOptionContext) ctx = NULL;
    g_autofree gchar *budget = NULL;
    g_autofree gchar *display = NULL;
    g_autofree gchar *poll_us = NULL;
    g_autofree gchar *handshake_timeout = NULL;
    g_autofree gchar *peer_uid = NULL;
    gint fd = G_MININT;
    GOptionEntry entries[] = {
        { "socket-path", 0, 0, G_OPTION_ARG_FILENAME, &opts->socket_path,
          "Listen for the device on PATH (mode 0600)", "PATH" },
        { "fd", 0, 0, G_OPTION_ARG_INT, &fd,
          "Serve the inherited Unix socket N", "N" },
        { "control-socket", 0, 0, G_OPTION_ARG_FILENAME,
          &opts->control_socket,
          "Serve the JSON control socket at PATH", "PATH" },
        { "memory-budget", 0, 0, G_OPTION_ARG_STRING, &budget,
          "Resource memory budget (default 512M)", "SIZE" },
        { "display", 0, 0, G_OPTION_ARG_STRING, &display,
          "Preferred display mode (default 1024x768)", "WxH" },
        { "poll-us", 0, 0, G_OPTION_ARG_STRING, &poll_us,
          "Poll the ring for N microseconds after work (default 0, off)",
          "N" },
        { "handshake-timeout-ms", 0, 0, G_OPTION_ARG_STRING,
          &handshake_timeout,
          "Close connections without a HANDSHAKE after N ms (default 2000)",
          "N" },
        { "peer-uid", 0, 0, G_OPTION_ARG_STRING, &peer_uid,
          "Serve only peers of uid UID (default: our own)", "UID" },
        /* bytes as given, whatever the locale: checked as ASCII below */
        { "peer-label", 0, 0, G_OPTION_ARG_FILENAME, &opts->peer_label,
          "Serve only peers with LSM label LABEL", "LABEL" },
        { "allow-shm-name", 0, 0, G_OPTION_ARG_NONE, &opts->allow_shm_name,
          "Accept shared memory opened by name (cannot be sealed)", NULL },
        { "pidfile", 0, 0, G_OPTION_ARG_FILENAME, &opts->pidfile,
          "Write the process id to PATH", "PATH" },
        { "print-capabilities", 0, 0, G_OPTION_ARG_NONE,
          &opts->print_capabilities,
          "Print the capabilities as JSON and exit", NULL },
        { "version", 0, 0, G_OPTION_ARG_NONE, &opts->version,
          "Print the version and exit", NULL },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opts->verbose,
          "Log debug messages too", NULL },
        { NULL },
    };

    memset(opts, 0, sizeof(*opts));
    opts->fd = -1;
    opts->memory_budget = PVGPU_DEFAULT_MEMORY_BUDGET;
    opts->display_width = PVGPU_DEFAULT_DISPLAY_WIDTH;
    opts->display_height = PVGPU_DEFAULT_DISPLAY_HEIGHT;
    opts->handshake_timeout_ms = PVGPU_DEFAULT_HANDSHAKE_TIMEOUT_MS;

    ctx = g_option_context_new("--socket-path=PATH | --fd=N");
    g_option_context_set_summary(ctx, summary);
    g_option_context_set_description(ctx, description);
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, argc, argv, error)) {
        return FALSE;
    }
    if (*argc > 1) {
        USAGE_ERROR(error, "unexpected argument \"%s\"", (*argv)[1]);
        return FALSE;
    }
    if (opts->print_capabilities || opts->version) {
        return TRUE;
    }
    if (fd != G_MININT) {
        if (fd < 0) {
            USAGE_ERROR(error, "--fd needs a descriptor number of 0 or more");
            return FALSE;
        }
        opts->fd = fd;
    }
    if (opts->socket_path != NULL && opts->fd >= 0) {
        USAGE_ERROR(error, "--socket-path and --fd cannot be used together; "
                           "give exactly one");
        return FALSE;
    }
    if (opts->socket_path == NULL && opts->fd < 0) {
        USAGE_ERROR(error, "either --socket-path=PATH or --fd=N is required");
        return FALSE;
    }
    if (opts->socket_path != NULL && opts->socket_path[0] == '\0') {
        USAGE_ERROR(error, "--socket-path needs a non-empty path");
        return FALSE;
    }
    if (budget != NULL) {
        if (!pvgpu_parse_size(budget, &opts->memory_budget, error)) {
            g_prefix_error(error, "--memory-budget: ");
            return FALSE;
        }
        if (opts->memory_budget == 0) {
            USAGE_ERROR(error, "--memory-budget must be more than 0");
            return FALSE;
        }
    }
    if (display != NULL &&
        !pvgpu_parse_display(display, &opts->display_width,
                             &opts->display_height, error)) {
        g_prefix_error(error, "--display: ");
        return FALSE;
    }
    if (poll_us != NULL &&
        !pvgpu_parse_poll_us(poll_us, &opts->poll_us, error)) {
        g_prefix_error(error, "--poll-us: ");
        return FALSE;
    }
    if (handshake_timeout != NULL &&
        !pvgpu_parse_timeout_ms(handshake_timeout,
                                &opts->handshake_timeout_ms, error)) {
        g_prefix_error(error, "--handshake-timeout-ms: ");
        return FALSE;
    }
    if (peer_uid != NULL) {
        if (!pvgpu_parse_uid(peer_uid, &opts->peer_uid, error)) {
            g_prefix_error(error, "--peer-uid: ");
            return FALSE;
        }
        opts->peer_uid_set = TRUE;
    }
    if (opts->peer_label != NULL &&
        !pvgpu_check_peer_label(opts->peer_label, error)) {
        g_prefix_error(error, "--peer-label: ");
        return FALSE;
    }
    return TRUE;
}

void pvgpu_options_clear(PvgpuOptions *opts)
{
    g_clear_pointer(&opts->socket_path, g_free);
    g_clear_pointer(&opts->control_socket, g_free);
    g_clear_pointer(&opts->pidfile, g_free);
    g_clear_pointer(&opts->peer_label, g_free);
}
