#include "pvgpuctl-error.h"

G_DEFINE_QUARK(pvgpuctl - error - quark, pvgpuctl_error)

int pvgpuctl_exit_status(const GError *error)
{
    if (error == NULL) {
        return 0;
    }
    if (error->domain == PVGPUCTL_ERROR &&
        (error->code == PVGPUCTL_ERROR_USAGE ||
         error->code == PVGPUCTL_ERROR_UNHEALTHY)) {
        return error->code;
    }
    return PVGPUCTL_ERROR_FAILED;
}

gboolean pvgpuctl_fail(GError **error, PvgpuctlErrorCode code,
                       const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    g_autofree char *message = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error_literal(error, PVGPUCTL_ERROR, code, message);
    return FALSE;
}
