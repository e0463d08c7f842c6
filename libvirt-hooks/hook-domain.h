/* SPDX-License-Identifier: MIT */
/* Everything the hook derives from a pvgpu domain's configuration. */
#ifndef HOOK_DOMAIN_H
#define HOOK_DOMAIN_H

#include <glib.h>

#include "pvgpu-domain.h"

typedef struct {
    const PvgpuDomainConfig *config;
    char *backend; /* absolute path of pvgpu-backend */
    char *runtime_dir;
    char *device_socket;
    char *control_socket;
    char *pidfile;
    char *log_path;
    char *peer_label; /* what QEMU runs confined as; NULL: not confined */
    char *dac_label;  /* "USER:GROUP" of a per-domain DAC label, or NULL */
} HookDomain;

/* The backend is $PVGPU_BACKEND, else the installed pvgpu-backend. */
HookDomain *hook_domain_new(const PvgpuDomainConfig *config, GError **error);
void hook_domain_free(HookDomain *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HookDomain, hook_domain_free)

#endif
