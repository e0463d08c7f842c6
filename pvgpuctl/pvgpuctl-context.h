#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

/* What a command handler works with: the connection, opened on first use,
 * and the text it prints on standard output (main writes it out, also when
 * the command fails, so that a partial report is not lost). */
typedef struct {
    char *uri; /* NULL: LIBVIRT_DEFAULT_URI, else libvirt's default */
    virConnectPtr conn;
    GString *out;
} PvgpuctlContext;

PvgpuctlContext *pvgpuctl_context_new(const char *uri);
void pvgpuctl_context_free(PvgpuctlContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PvgpuctlContext, pvgpuctl_context_free)

/* The connection, opened with the default authentication callbacks. */
virConnectPtr pvgpuctl_context_connection(PvgpuctlContext *ctx,
                                          GError **error);

/* TRUE when the connection's daemon runs on this host, so that the pvgpu
 * runtime directory (control sockets) is reachable from here. */
gboolean pvgpuctl_context_is_local(PvgpuctlContext *ctx);

/* TRUE for a libvirt URI without a host ("qemu:///system"). */
gboolean pvgpuctl_uri_is_local(const char *uri);

/* Silences libvirt's own printing of errors to stderr; pvgpuctl reports
 * each error once, through GError. Call once before using libvirt. */
void pvgpuctl_libvirt_errors_init(void);

/* Sets *error from libvirt's last error: "<what>: <libvirt's message>". */
void pvgpuctl_set_libvirt_error(GError **error, const char *what_format, ...)
    G_GNUC_PRINTF(2, 3);
