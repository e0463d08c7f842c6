#pragma once

#include <glib.h>

/* Every failure of pvgpuctl is a GError; its code chooses the exit status. */
#define PVGPUCTL_ERROR (pvgpuctl_error_quark())

typedef enum {
    PVGPUCTL_ERROR_FAILED = 1, /* the command could not do its work */
    PVGPUCTL_ERROR_USAGE = 2, /* bad command line */
    PVGPUCTL_ERROR_UNHEALTHY = 3, /* status: a running domain is unhealthy */
} PvgpuctlErrorCode;

GQuark pvgpuctl_error_quark(void);

/* The exit status for an error: its PvgpuctlErrorCode, else 1. */
int pvgpuctl_exit_status(const GError *error);

/* Sets *error (PVGPUCTL_ERROR, code) and returns FALSE, for
 * "return pvgpuctl_fail(error, ...);" in handlers. */
gboolean pvgpuctl_fail(GError **error, PvgpuctlErrorCode code,
                       const char *format, ...) G_GNUC_PRINTF(3, 4);
