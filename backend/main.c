/* SPDX-License-Identifier: MIT */
/* pvgpu-backend: executes the command ring of a QEMU pvgpu device. */
#include <locale.h>
#include <signal.h>
#include <stdio.h>

#include "backend.h"
#include "capabilities.h"
#include "options.h"
#include "pvgpu_protocol.h"

int main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    PvgpuOptions opts;
    int ret;

    setlocale(LC_ALL, "");
    g_log_writer_default_set_use_stderr(TRUE);
    if (!pvgpu_options_parse(&argc, &argv, &opts, &error)) {
        fprintf(stderr, "pvgpu-backend: %s\n"
                        "Try 'pvgpu-backend --help' for more information.\n",
                error->message);
        pvgpu_options_clear(&opts);
        return PVGPU_EXIT_USAGE;
    }
    if (opts.print_capabilities) {
        g_autofree gchar *json = pvgpu_capabilities_json();

        printf("%s\n", json);
        pvgpu_options_clear(&opts);
        return PVGPU_EXIT_OK;
    }
    if (opts.version) {
        printf("pvgpu-backend %s (protocol %u.%u)\n", PVGPU_BACKEND_VERSION,
               PVGPU_VERSION_MAJOR, PVGPU_VERSION_MINOR);
        pvgpu_options_clear(&opts);
        return PVGPU_EXIT_OK;
    }
    if (opts.verbose) {
        g_log_set_debug_enabled(TRUE);
    }
    /* a peer that closes must cost an EPIPE, not the process */
    signal(SIGPIPE, SIG_IGN);
    ret = pvgpu_backend_run(&opts);
    pvgpu_options_clear(&opts);
    return ret;
}
