#include "pvgpuctl-context.h"

#include "pvgpuctl-error.h"

#include <libvirt/virterror.h>

PvgpuctlContext *pvgpuctl_context_new(const char *uri)
{
    PvgpuctlContext *ctx = g_new0(PvgpuctlContext, 1);

    ctx->uri = g_strdup(uri);
    ctx->out = g_string_new(NULL);
    return ctx;
}

void pvgpuctl_context_free(PvgpuctlContext *ctx)
{
    if (ctx == NULL) {
        return;
    }
    if (ctx->conn) {
        virConnectClose(ctx->conn);
    }
    g_string_free(ctx->out, TRUE);
    g_free(ctx->uri);
    g_free(ctx);
}

static void ignore_libvirt_error(void *userdata, virErrorPtr error)
{
    (void)userdata;
    (void)error;
}

void pvgpuctl_libvirt_errors_init(void)
{
    virSetErrorFunc(NULL, ignore_libvirt_error);
}

void pvgpuctl_set_libvirt_error(GError **error, const char *what_format, ...)
{
    virErrorPtr last = virGetLastError();
    g_autofree char *what = NULL;
    va_list ap;

    va_start(ap, what_format);
    what = g_strdup_vprintf(what_format, ap);
    va_end(ap);
    g_set_error(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_FAILED, "%s: %s", what,
                last && last->message ? last->message
                                      : "libvirt gave no reason");
    virResetLastError();
}

virConnectPtr pvgpuctl_context_connection(PvgpuctlContext *ctx, GError **error)
{
    if (ctx->conn == NULL) {
        ctx->conn = virConnectOpenAuth(ctx->uri, virConnectAuthPtrDefault, 0);
        if (ctx->conn == NULL) {
            pvgpuctl_set_libvirt_error(error, "cannot connect to %s",
                                       ctx->uri ? ctx->uri
                                                : "the default libvirt URI");
        }
    }
    return ctx->conn;
}

gboolean pvgpuctl_uri_is_local(const char *uri)
{
    g_autoptr(GUri) parsed = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);
    const char *host = parsed ? g_uri_get_host(parsed) : NULL;

    return parsed != NULL && (host == NULL || *host == '\0');
}

gboolean pvgpuctl_context_is_local(PvgpuctlContext *ctx)
{
    g_autofree char *uri = ctx->conn ? virConnectGetURI(ctx->conn) : NULL;

    if (uri == NULL) {
        virResetLastError();
        return FALSE;
    }
    return pvgpuctl_uri_is_local(uri);
}
