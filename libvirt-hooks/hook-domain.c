/* SPDX-License-Identifier: MIT */
#include "hook-domain.h"

#include "hook-error.h"
#include "pvgpu-error.h"

HookDomain *hook_domain_new(const PvgpuDomainConfig *config, GError **error)
{
    const char *backend = g_getenv("PVGPU_BACKEND");
    if (backend == NULL || backend[0] == '\0') {
        backend = PVGPU_BACKEND_PATH;
    }
    if (!g_path_is_absolute(backend)) {
        g_autofree char *quoted = pvgpu_quote(backend);
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                    "PVGPU_BACKEND='%s' must be an absolute path", quoted);
        return NULL;
    }
    HookDomain *d = g_new0(HookDomain, 1);
    d->config = config;
    d->backend = g_strdup(backend);
    d->runtime_dir = pvgpu_domain_runtime_dir(config);
    d->device_socket = pvgpu_domain_device_socket(config);
    d->control_socket = pvgpu_domain_control_socket(config);
    d->pidfile = pvgpu_domain_pidfile(config);
    d->log_path = pvgpu_domain_log_path(config);
    return d;
}

void hook_domain_free(HookDomain *d)
{
    if (d != NULL) {
        g_free(d->backend);
        g_free(d->runtime_dir);
        g_free(d->device_socket);
        g_free(d->control_socket);
        g_free(d->pidfile);
        g_free(d->log_path);
        g_free(d->peer_label);
        g_free(d->dac_label);
        g_free(d);
    }
}
