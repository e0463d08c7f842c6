#pragma once

#include "pvgpuctl-args.h"
#include "pvgpuctl-context.h"

/* One signature for every command: FALSE with *error set on failure. */
typedef gboolean (*PvgpuctlHandler)(PvgpuctlContext *ctx,
                                    const PvgpuctlArgs *args, GError **error);

struct _PvgpuctlCommand {
    const char *name;
    const char *summary; /* one line for the command list */
    const char *usage; /* what follows "pvgpuctl [-c URI] NAME" */
    guint min_args;
    guint max_args;
    PvgpuctlOptionFlags options;
    PvgpuctlHandler handler;
    const char *description; /* paragraphs for "pvgpuctl help NAME" */
    const char *exit_status; /* NULL: the usual 0 / 1 / 2 */
    const char *examples;
};

/* The command table, terminated by an entry with name NULL. */
const PvgpuctlCommand *pvgpuctl_commands(void);
const PvgpuctlCommand *pvgpuctl_command_lookup(const char *name);

/* Help texts, man-page style: global (command == NULL) or per command. */
char *pvgpuctl_help_text(const PvgpuctlCommand *command);

/* The handlers, one file each. */
gboolean pvgpuctl_cmd_enable(PvgpuctlContext *ctx, const PvgpuctlArgs *args,
                             GError **error);
gboolean pvgpuctl_cmd_disable(PvgpuctlContext *ctx, const PvgpuctlArgs *args,
                              GError **error);
gboolean pvgpuctl_cmd_sync(PvgpuctlContext *ctx, const PvgpuctlArgs *args,
                           GError **error);
gboolean pvgpuctl_cmd_status(PvgpuctlContext *ctx, const PvgpuctlArgs *args,
                             GError **error);
gboolean pvgpuctl_cmd_screenshot(PvgpuctlContext *ctx,
                                 const PvgpuctlArgs *args, GError **error);
gboolean pvgpuctl_cmd_validate(PvgpuctlContext *ctx, const PvgpuctlArgs *args,
                               GError **error);
gboolean pvgpuctl_cmd_help(PvgpuctlContext *ctx, const PvgpuctlArgs *args,
                           GError **error);
