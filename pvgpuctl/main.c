#include "pvgpuctl-commands.h"
#include "pvgpuctl-error.h"
#include "pvgpu-text.h"

#include <stdio.h>

static void print_version(void)
{
    unsigned long libvirt_version = 0;

    printf("pvgpuctl %s", PVGPU_VERSION);
    if (virGetVersion(&libvirt_version, NULL, NULL) == 0) {
        printf(" (libvirt %lu.%lu.%lu)", libvirt_version / 1000000,
               libvirt_version / 1000 % 1000, libvirt_version % 1000);
    }
    printf("\n");
}

static int report(const GError *error)
{
    /* messages quote domain XML, libvirt and the backend */
    g_autofree char *message = pvgpu_text_printable(error->message, TRUE);

    fprintf(stderr, "pvgpuctl: %s\n", message);
    return pvgpuctl_exit_status(error);
}

int main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(PvgpuctlArgs) args = NULL;
    g_autoptr(PvgpuctlContext) ctx = NULL;
    gboolean ok;

    args = pvgpuctl_args_parse(argc, (const char *const *)argv, &error);
    if (args == NULL) {
        return report(error);
    }
    if (args->help) {
        g_autofree char *help = pvgpuctl_help_text(args->command);

        fputs(help, stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (args->version) {
        print_version();
        return fflush(stdout) == 0 ? 0 : 1;
    }

    pvgpuctl_libvirt_errors_init();
    ctx = pvgpuctl_context_new(args->uri);
    ok = args->command->handler(ctx, args, &error);
    /* what a failing command printed before it failed is still shown */
    if (fwrite(ctx->out->str, 1, ctx->out->len, stdout) != ctx->out->len ||
        fflush(stdout) != 0) {
        if (ok) {
            g_set_error_literal(&error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_FAILED,
                                "cannot write to standard output");
            ok = FALSE;
        }
    }
    return ok ? 0 : report(error);
}
