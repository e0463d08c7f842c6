#pragma once

#include <glib.h>

/* Options a command may accept; PvgpuctlCommand.options is a mask of these. */
typedef enum {
    PVGPUCTL_OPT_SHMEM = 1 << 0,
    PVGPUCTL_OPT_MEMORY_BUDGET = 1 << 1,
    PVGPUCTL_OPT_DISPLAY = 1 << 2,
    PVGPUCTL_OPT_SLOT = 1 << 3,
    PVGPUCTL_OPT_JSON = 1 << 4,
    PVGPUCTL_OPT_QUIET = 1 << 5,
    PVGPUCTL_OPT_EMULATOR = 1 << 6,
} PvgpuctlOptionFlags;

typedef struct {
    PvgpuctlOptionFlags flag;
    const char *long_name; /* without "--" */
    char short_name; /* 0 for none */
    const char *metavar; /* NULL for a flag without value */
    const char *help;
} PvgpuctlOptionSpec;

typedef struct _PvgpuctlCommand PvgpuctlCommand;

/* A parsed command line; typed values are set for the options in `given`. */
typedef struct {
    char *uri; /* -c/--connect, NULL for the default */
    gboolean help; /* --help, global or after a command */
    gboolean version; /* --version */
    const PvgpuctlCommand *command; /* NULL with global --help/--version */
    GStrv positional; /* arguments after the command name */
    PvgpuctlOptionFlags given;
    guint64 shmem_size;
    guint64 memory_budget;
    guint display_width;
    guint display_height;
    guint slot;
    gboolean json;
    gboolean quiet;
    char *emulator; /* --emulator, an absolute path */
} PvgpuctlArgs;

/* Parses argv (argv[0] is the program name). Bad command lines give a
 * PVGPUCTL_ERROR_USAGE error with one sentence that names the problem. */
PvgpuctlArgs *pvgpuctl_args_parse(int argc, const char *const *argv,
                                  GError **error);
void pvgpuctl_args_free(PvgpuctlArgs *args);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PvgpuctlArgs, pvgpuctl_args_free)

guint pvgpuctl_args_count(const PvgpuctlArgs *args);

/* Every option spec, terminated by an entry with long_name NULL. */
const PvgpuctlOptionSpec *pvgpuctl_option_specs(void);
