#include "pvgpuctl-commands.h"
#include "pvgpuctl-error.h"

gboolean pvgpuctl_cmd_help(PvgpuctlContext *ctx, const PvgpuctlArgs *args,
                           GError **error)
{
    const PvgpuctlCommand *command = NULL;
    g_autofree char *text = NULL;

    if (pvgpuctl_args_count(args) == 1) {
        command = pvgpuctl_command_lookup(args->positional[0]);
        if (command == NULL) {
            g_set_error(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_USAGE,
                        "unknown command '%s'; see 'pvgpuctl --help'",
                        args->positional[0]);
            return FALSE;
        }
    }
    text = pvgpuctl_help_text(command);
    g_string_append(ctx->out, text);
    return TRUE;
}
