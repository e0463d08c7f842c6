/* SPDX-License-Identifier: MIT */
/* Error domain of the pvgpu common library, shared by the hook and pvgpuctl. */
#ifndef PVGPU_ERROR_H
#define PVGPU_ERROR_H

#include <glib.h>

#define PVGPU_COMMON_ERROR (pvgpu_common_error_quark())

typedef enum {
    PVGPU_COMMON_ERROR_INVALID,  /* bad metadata, size, or domain XML */
    PVGPU_COMMON_ERROR_MISMATCH, /* <qemu:commandline> disagrees with metadata */
    PVGPU_COMMON_ERROR_PATH,     /* a derived path is unusable (too long...) */
    PVGPU_COMMON_ERROR_SCHEMA,   /* the RelaxNG schema is missing or broken */
    PVGPU_COMMON_ERROR_CONTROL,  /* control socket I/O, timeout, malformed
                                    reply */
    PVGPU_COMMON_ERROR_REFUSED,  /* the backend answered {"ok":false} */
    PVGPU_COMMON_ERROR_UNREACHABLE, /* cannot connect to the control socket:
                                       no backend listens there */
} PvgpuCommonError;

GQuark pvgpu_common_error_quark(void);

/*
 * Returns text fit for quoting inside an error message: escaped (no control
 * characters, so messages stay on one line) and cut at 200 characters.
 */
char *pvgpu_quote(const char *text);

/* text as one shell word: unchanged when it is plain, else single-quoted
 * (for hints such as "run: pvgpuctl sync NAME"). */
char *pvgpu_quote_arg(const char *text);

#endif
