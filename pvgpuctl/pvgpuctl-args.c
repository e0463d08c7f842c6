#include "pvgpuctl-args.h"

#include "pvgpu-values.h"
#include "pvgpuctl-commands.h"
#include "pvgpuctl-error.h"

#include <string.h>

static const PvgpuctlOptionSpec option_specs[] = {
    { PVGPUCTL_OPT_SHMEM, "shmem", 0, "SIZE",
      "size of the shared memory BAR: a power of two from 4M to 64G, with "
      "an optional K, M, G or T suffix (default 256M)" },
    { PVGPUCTL_OPT_MEMORY_BUDGET, "memory-budget", 0, "SIZE",
      "memory the backend may spend on guest resources (default 512M)" },
    { PVGPUCTL_OPT_DISPLAY, "display", 0, "WxH",
      "initial display size, e.g. 1920x1080 (each side 1 to 16384)" },
    { PVGPUCTL_OPT_SLOT, "slot", 0, "SLOT",
      "PCI slot on the root bus, 0x01 to 0x1f (default 0x1e on q35, "
      "0x1f on pc)" },
    { PVGPUCTL_OPT_EMULATOR, "emulator", 0, "PATH",
      "the QEMU binary the domain runs, which must have the pvgpu device "
      "(an absolute path; written to <emulator>)" },
    { PVGPUCTL_OPT_JSON, "json", 0, NULL, "print JSON instead of text" },
    { PVGPUCTL_OPT_QUIET, "quiet", 'q', NULL,
      "print nothing on standard output; the exit status tells the "
      "result" },
    { 0, NULL, 0, NULL, NULL },
};

const PvgpuctlOptionSpec *pvgpuctl_option_specs(void)
{
    return option_specs;
}

void pvgpuctl_args_free(PvgpuctlArgs *args)
{
    if (args == NULL) {
        return;
    }
    g_free(args->uri);
    g_free(args->emulator);
    g_strfreev(args->positional);
    g_free(args);
}

guint pvgpuctl_args_count(const PvgpuctlArgs *args)
{
    return args->positional ? g_strv_length(args->positional) : 0;
}

static char *help_hint(const PvgpuctlCommand *command)
{
    return command ? g_strdup_printf("see 'pvgpuctl help %s'", command->name)
                   : g_strdup("see 'pvgpuctl --help'");
}

static const PvgpuctlOptionSpec *find_option(const char *arg, gsize name_len)
{
    for (const PvgpuctlOptionSpec *o = option_specs; o->long_name; o++) {
        if (arg[1] != '-') {
            if (name_len == 1 && o->short_name == arg[1]) {
                return o;
            }
        } else if (strlen(o->long_name) == name_len &&
                   strncmp(arg + 2, o->long_name, name_len) == 0) {
            return o;
        }
    }
    return NULL;
}

static gboolean store_option_value(PvgpuctlArgs *args,
                                   const PvgpuctlOptionSpec *o,
                                   const char *value, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *name = g_strconcat("--", o->long_name, NULL);
    gboolean ok = TRUE;

    /* the same checks as the metadata attributes of the same names */
    switch (o->flag) {
    case PVGPUCTL_OPT_SHMEM:
        ok = pvgpu_parse_shmem_size(name, value, &args->shmem_size, &local);
        break;
    case PVGPUCTL_OPT_MEMORY_BUDGET:
        ok = pvgpu_parse_memory_budget(name, value, &args->memory_budget,
                                       &local);
        break;
    case PVGPUCTL_OPT_DISPLAY:
        ok = pvgpu_parse_display(name, value, &args->display_width,
                                 &args->display_height, &local);
        break;
    case PVGPUCTL_OPT_SLOT:
        ok = pvgpu_parse_slot(name, value, &args->slot, &local);
        break;
    case PVGPUCTL_OPT_JSON:
        args->json = TRUE;
        break;
    case PVGPUCTL_OPT_QUIET:
        args->quiet = TRUE;
        break;
    case PVGPUCTL_OPT_EMULATOR:
        ok = g_path_is_absolute(value);
        if (ok) {
            g_free(args->emulator);
            args->emulator = g_strdup(value);
        } else {
            g_set_error(&local, PVGPUCTL_ERROR, PVGPUCTL_ERROR_USAGE,
                        "%s wants an absolute path, not '%s'", name, value);
        }
        break;
    }
    if (!ok) {
        g_set_error_literal(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_USAGE,
                            local->message);
        return FALSE;
    }
    args->given |= o->flag;
    return TRUE;
}

/* Handles the command option argv[*i] ("--name", "--name=value", "-q"),
 * consuming its value from argv[*i + 1] when needed. */
static gboolean parse_command_option(PvgpuctlArgs *args, int argc,
                                     const char *const *argv, int *i,
                                     GError **error)
{
    const char *arg = argv[*i];
    const char *equals = arg[1] == '-' ? strchr(arg, '=') : NULL;
    gsize name_len = equals ? (gsize)(equals - arg - 2)
                            : strlen(arg) - (arg[1] == '-' ? 2 : 1);
    const PvgpuctlOptionSpec *o = find_option(arg, name_len);
    g_autofree char *hint = help_hint(args->command);
    const char *value = NULL;

    if (o == NULL) {
        return pvgpuctl_fail(
            error, PVGPUCTL_ERROR_USAGE, "unknown option '%.*s'; %s",
            (int)(equals ? equals - arg : (gssize)strlen(arg)), arg, hint);
    }
    if (args->command == NULL) {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_USAGE,
                             "--%s is an option of a command: write it "
                             "after the command name; %s",
                             o->long_name, hint);
    }
    if ((args->command->options & o->flag) == 0) {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_USAGE,
                             "'%s' does not accept --%s; %s",
                             args->command->name, o->long_name, hint);
    }
    if (args->given & o->flag) {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_USAGE,
                             "--%s is given twice", o->long_name);
    }
    if (o->metavar == NULL) {
        if (equals) {
            return pvgpuctl_fail(error, PVGPUCTL_ERROR_USAGE,
                                 "--%s takes no value", o->long_name);
        }
    } else if (equals) {
        value = equals + 1;
    } else if (*i + 1 < argc) {
        value = argv[++*i];
    } else {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_USAGE,
                             "--%s needs a value (%s)", o->long_name,
                             o->metavar);
    }
    return store_option_value(args, o, value, error);
}

/* -c URI, --connect URI, --connect=URI; TRUE when argv[*i] was one. */
static gboolean parse_connect(PvgpuctlArgs *args, int argc,
                              const char *const *argv, int *i,
                              gboolean *matched, GError **error)
{
    const char *arg = argv[*i];
    const char *value;

    *matched = FALSE;
    if (g_str_has_prefix(arg, "--connect=")) {
        value = arg + strlen("--connect=");
    } else if (strcmp(arg, "-c") == 0 || strcmp(arg, "--connect") == 0) {
        if (*i + 1 >= argc) {
            return pvgpuctl_fail(error, PVGPUCTL_ERROR_USAGE,
                                 "%s needs a value (URI)", arg);
        }
        value = argv[++*i];
    } else {
        return TRUE;
    }
    *matched = TRUE;
    if (args->uri != NULL) {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_USAGE,
                             "--connect is given twice");
    }
    if (*value == '\0') {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_USAGE,
                             "--connect needs a non-empty URI");
    }
    args->uri = g_strdup(value);
    return TRUE;
}

static gboolean check_arg_count(const PvgpuctlArgs *args, guint n,
                                GError **error)
{
    const PvgpuctlCommand *c = args->command;
    g_autofree char *expected = NULL;

    if (n >= c->min_args && n <= c->max_args) {
        return TRUE;
    }
    if (c->min_args == c->max_args) {
        expected = g_strdup_printf("%u argument%s", c->max_args,
                                   c->max_args == 1 ? "" : "s");
    } else if (n < c->min_args) {
        expected = g_strdup_printf("at least %u argument%s", c->min_args,
                                   c->min_args == 1 ? "" : "s");
    } else {
        expected = g_strdup_printf("at most %u argument%s", c->max_args,
                                   c->max_args == 1 ? "" : "s");
    }
    return pvgpuctl_fail(error, PVGPUCTL_ERROR_USAGE,
                         "'%s' takes %s, %u given; usage: pvgpuctl "
                         "[-c URI] %s %s",
                         c->name, expected, n, c->name, c->usage);
}

static gboolean check_combination(const PvgpuctlArgs *args, GError **error)
{
    if (args->version && args->command != NULL) {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_USAGE,
                             "--version takes no command; use either "
                             "'pvgpuctl --version' or 'pvgpuctl %s'",
                             args->command->name);
    }
    if (args->command == NULL && !args->version) {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_USAGE,
                             "no command given; see 'pvgpuctl --help'");
    }
    if (args->json && args->quiet) {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_USAGE,
                             "--json and --quiet cannot be used "
                             "together: --quiet prints nothing");
    }
    return TRUE;
}

PvgpuctlArgs *pvgpuctl_args_parse(int argc, const char *const *argv,
                                  GError **error)
{
    g_autoptr(PvgpuctlArgs) args = g_new0(PvgpuctlArgs, 1);
    g_autoptr(GPtrArray) positional = g_ptr_array_new_with_free_func(g_free);
    gboolean options_ended = FALSE;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        gboolean matched;

        if (options_ended || arg[0] != '-' || arg[1] == '\0') {
            if (args->command == NULL) {
                args->command = pvgpuctl_command_lookup(arg);
                if (args->command == NULL) {
                    pvgpuctl_fail(error, PVGPUCTL_ERROR_USAGE,
                                  "unknown command '%s'; see "
                                  "'pvgpuctl --help'",
                                  arg);
                    return NULL;
                }
            } else if (*arg == '\0') {
                pvgpuctl_fail(error, PVGPUCTL_ERROR_USAGE,
                              "argument %u of '%s' is empty",
                              positional->len + 1, args->command->name);
                return NULL;
            } else {
                g_ptr_array_add(positional, g_strdup(arg));
            }
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_ended = TRUE;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            /* help is shown whatever else the line holds */
            args->help = TRUE;
            return g_steal_pointer(&args);
        }
        if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
            args->version = TRUE;
            continue;
        }
        if (!parse_connect(args, argc, argv, &i, &matched, error)) {
            return NULL;
        }
        if (!matched && !parse_command_option(args, argc, argv, &i, error)) {
            return NULL;
        }
    }
    g_ptr_array_add(positional, NULL);
    args->positional = (GStrv)g_ptr_array_steal(positional, NULL);
    if (!check_combination(args, error)) {
        return NULL;
    }
    if (args->command != NULL &&
        !check_arg_count(args, pvgpuctl_args_count(args), error)) {
        return NULL;
    }
    return g_steal_pointer(&args);
}
