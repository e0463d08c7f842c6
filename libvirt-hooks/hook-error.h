/* SPDX-License-Identifier: MIT */
/* Exit codes of the hook (libvirt-hooks/README.md); errors carry them. */
#ifndef HOOK_ERROR_H
#define HOOK_ERROR_H

#include <glib.h>

typedef enum {
    HOOK_EXIT_OK = 0,       /* done, or not a pvgpu domain */
    HOOK_EXIT_INVALID = 1,  /* invalid metadata or QEMU command line */
    HOOK_EXIT_BACKEND = 2,  /* the backend could not be started or died */
    HOOK_EXIT_INTERNAL = 3, /* anything else (I/O, configuration, bugs) */
} HookExit;

#define HOOK_ERROR (hook_error_quark())
GQuark hook_error_quark(void);

#endif
