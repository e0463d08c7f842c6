#include "pvgpuctl-commands.h"

#include <string.h>

#define EXIT_STATUS_COMMON                                                    \
    "  0  success\n"                                                          \
    "  1  the command failed; the message says why\n"                         \
    "  2  usage error (bad command line)\n"

static const PvgpuctlCommand commands[] = {
    {
        "enable",
        "Add the pvgpu device to a domain's persistent definition",
        "DOMAIN [--shmem SIZE] [--memory-budget SIZE] [--display WxH] "
        "[--slot SLOT] [--emulator PATH]",
        1,
        1,
        PVGPUCTL_OPT_SHMEM | PVGPUCTL_OPT_MEMORY_BUDGET |
            PVGPUCTL_OPT_DISPLAY | PVGPUCTL_OPT_SLOT | PVGPUCTL_OPT_EMULATOR,
        pvgpuctl_cmd_enable,
        "Writes the pvgpu metadata element (<pvgpu:gpu> in the namespace\n"
        "urn:x-pvgpu:domain:1.0) into the persistent definition of DOMAIN\n"
        "(a name or UUID) and derives from it the two <qemu:arg> elements\n"
        "that add the device, with an explicit PCI bus and slot. Other\n"
        "metadata and other QEMU arguments are kept. When DOMAIN already has\n"
        "pvgpu metadata, the options given replace its values and the others\n"
        "keep theirs. A running domain is not changed: the new definition\n"
        "takes effect at its next start. The libvirt qemu hook of PVGPU\n"
        "starts the backend when the domain starts.\n"
        "\n"
        "The domain's QEMU (<emulator>, or --emulator PATH, which replaces\n"
        "it) must have the pvgpu device: enable runs it with -device help\n"
        "and changes nothing when the device is missing, naming the binary.\n"
        "Distribution QEMUs have no pvgpu device; scripts/build-qemu.sh\n"
        "builds one. Over a remote connection the binary is not checked.\n",
        NULL,
        "  pvgpuctl enable win10\n"
        "  pvgpuctl -c qemu:///system enable win10 --shmem 1G "
        "--display 1920x1080\n"
        "  pvgpuctl enable win10 --emulator /usr/local/bin/qemu-pvgpu\n",
    },
    {
        "disable",
        "Remove the pvgpu device from a domain's persistent "
        "definition",
        "DOMAIN",
        1,
        1,
        0,
        pvgpuctl_cmd_disable,
        "Removes the pvgpu metadata element and the pvgpu <qemu:arg> pair\n"
        "from the persistent definition of DOMAIN; every other metadata\n"
        "element and QEMU argument is kept. A running domain keeps its\n"
        "device until it stops.\n",
        NULL,
        "  pvgpuctl disable win10\n",
    },
    {
        "sync",
        "Re-derive the QEMU arguments from the pvgpu metadata",
        "DOMAIN",
        1,
        1,
        0,
        pvgpuctl_cmd_sync,
        "Checks the pvgpu metadata of DOMAIN's persistent definition and\n"
        "rewrites the pvgpu <qemu:arg> pair to match it. Run it after\n"
        "editing the metadata by hand (virsh edit, virt-manager): the hook\n"
        "refuses to start a domain whose arguments do not match.\n",
        NULL,
        "  virsh edit win10      # change shmem=\"256M\" to shmem=\"1G\"\n"
        "  pvgpuctl sync win10\n",
    },
    {
        "status",
        "Show the pvgpu domains and the state of their backends",
        "[DOMAIN] [--json | --quiet]",
        0,
        1,
        PVGPUCTL_OPT_JSON | PVGPUCTL_OPT_QUIET,
        pvgpuctl_cmd_status,
        "Without DOMAIN, prints one row for every domain that has pvgpu\n"
        "metadata: NAME, STATE, SHMEM (shared memory size), BACKEND (the\n"
        "backend's process id), HEALTH, CONNECTED (whether QEMU is connected\n"
        "to the backend), FEATURES (negotiated), CMDS (commands executed),\n"
        "FENCES (fences completed), ERRORS (commands refused) and LAST "
        "ERROR.\n"
        "With DOMAIN, prints every detail of that domain, one per line.\n"
        "\n"
        "HEALTH is ok when the backend answers on its control socket,\n"
        "not-running when no backend is expected (the domain is shut off, or\n"
        "pvgpu was enabled after it started), unreachable when nothing\n"
        "answers, and error when the backend answers with an error or the\n"
        "metadata is invalid. A dash marks a value that is not available.\n"
        "The backend is asked only when the connection is local: for a\n"
        "remote URI the backend columns and HEALTH are not available, and\n"
        "do not change the exit status.\n",
        "  0  every domain listed is healthy (ok or not-running)\n"
        "  1  the command failed; the message says why\n"
        "  2  usage error (bad command line)\n"
        "  3  at least one domain listed is unhealthy (unreachable or "
        "error)\n",
        "  pvgpuctl status\n"
        "  pvgpuctl status win10 --json\n"
        "  pvgpuctl status --quiet || echo 'a pvgpu backend needs care'\n",
    },
    {
        "screenshot",
        "Save the domain's display as a PNG file",
        "DOMAIN FILE.png",
        2,
        2,
        0,
        pvgpuctl_cmd_screenshot,
        "Asks the backend of the running DOMAIN to write its current scanout\n"
        "to FILE.png. The file is written by the backend process, so a\n"
        "relative FILE is made absolute first. Works on the domain's host\n"
        "only.\n",
        NULL,
        "  pvgpuctl screenshot win10 /tmp/win10.png\n",
    },
    {
        "validate",
        "Check a domain XML file or a <pvgpu:gpu> element file",
        "FILE",
        1,
        1,
        0,
        pvgpuctl_cmd_validate,
        "Checks FILE without connecting to libvirt. FILE holds either a\n"
        "whole domain definition (as printed by 'virsh dumpxml') or just a\n"
        "<pvgpu:gpu> element. The pvgpu metadata is checked against the\n"
        "RelaxNG schema and the value rules; in a domain definition, the\n"
        "pvgpu <qemu:arg> pair must also match what the metadata derives.\n"
        "Prints \"FILE: valid\", or the reason it is not.\n",
        "  0  FILE is valid\n"
        "  1  FILE is not valid or cannot be read; the message says why\n"
        "  2  usage error (bad command line)\n",
        "  virsh dumpxml --inactive win10 > win10.xml\n"
        "  pvgpuctl validate win10.xml\n",
    },
    {
        "help",
        "Show the help of pvgpuctl or of one command",
        "[COMMAND]",
        0,
        1,
        0,
        pvgpuctl_cmd_help,
        "Prints the help of COMMAND, or of pvgpuctl when none is given.\n",
        NULL,
        "  pvgpuctl help enable\n",
    },
    { NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL, NULL },
};

const PvgpuctlCommand *pvgpuctl_commands(void)
{
    return commands;
}

const PvgpuctlCommand *pvgpuctl_command_lookup(const char *name)
{
    for (const PvgpuctlCommand *c = commands; c->name; c++) {
        if (strcmp(c->name, name) == 0) {
            return c;
        }
    }
    return NULL;
}

#define HELP_INDENT 26
#define HELP_WIDTH 79

/* "  NAMES    help text", the help wrapped at HELP_WIDTH, indented. */
static void append_option(GString *out, const char *names, const char *help)
{
    g_auto(GStrv) words = g_strsplit(help, " ", -1);
    gsize column;

    g_string_append_printf(out, "  %s", names);
    column = 2 + strlen(names);
    if (column + 2 > HELP_INDENT) {
        g_string_append_c(out, '\n');
        column = 0;
    }
    for (guint i = 0; words[i]; i++) {
        gsize len = strlen(words[i]);

        if (i > 0 && column + 1 + len > HELP_WIDTH) {
            g_string_append_c(out, '\n');
            column = 0;
        }
        if (column < HELP_INDENT) {
            g_string_append_printf(out, "%*s", (int)(HELP_INDENT - column),
                                   "");
            column = HELP_INDENT;
        } else {
            g_string_append_c(out, ' ');
            column++;
        }
        g_string_append(out, words[i]);
        column += len;
    }
    g_string_append_c(out, '\n');
}

static void append_command_options(GString *out,
                                   const PvgpuctlCommand *command)
{
    for (const PvgpuctlOptionSpec *o = pvgpuctl_option_specs(); o->long_name;
         o++) {
        g_autoptr(GString) names = g_string_new(NULL);

        if ((command->options & o->flag) == 0) {
            continue;
        }
        if (o->short_name) {
            g_string_append_printf(names, "-%c, ", o->short_name);
        }
        g_string_append_printf(names, "--%s", o->long_name);
        if (o->metavar) {
            g_string_append_printf(names, " %s", o->metavar);
        }
        append_option(out, names->str, o->help);
    }
}

static void append_global_options(GString *out)
{
    append_option(out, "-c, --connect URI",
                  "libvirt connection URI; default: $LIBVIRT_DEFAULT_URI, "
                  "else libvirt's default");
    append_option(out, "-h, --help",
                  "show the help, of a command when "
                  "written after it");
    append_option(out, "-V, --version", "print the version");
}

/* The usage line, wrapped between [options] when it is too long. */
static void append_usage(GString *out, const PvgpuctlCommand *c)
{
    g_autofree char *lead =
        g_strdup_printf("Usage: pvgpuctl [-c URI] %s ", c->name);
    gsize column = strlen(lead);
    const char *p = c->usage;

    g_string_append(out, lead);
    while (*p) {
        /* one word: up to a space outside brackets */
        const char *end = p;
        int depth = 0;

        while (*end && (*end != ' ' || depth > 0)) {
            depth += *end == '[' ? 1 : *end == ']' ? -1 : 0;
            end++;
        }
        if (p != c->usage) {
            if (column + 1 + (gsize)(end - p) > HELP_WIDTH) {
                g_string_append_printf(out, "\n%*s", (int)strlen(lead), "");
                column = strlen(lead);
            } else {
                g_string_append_c(out, ' ');
                column++;
            }
        }
        g_string_append_len(out, p, end - p);
        column += (gsize)(end - p);
        p = *end ? end + 1 : end;
    }
    g_string_append_c(out, '\n');
}

static char *command_help(const PvgpuctlCommand *c)
{
    GString *out = g_string_new(NULL);

    append_usage(out, c);
    g_string_append_printf(out, "\n%s.\n\n%s\n", c->summary, c->description);
    if (c->options) {
        g_string_append(out, "Options:\n");
        append_command_options(out, c);
        g_string_append_c(out, '\n');
    }
    g_string_append(out, "Global options:\n");
    append_global_options(out);
    g_string_append_printf(
        out, "\nExit status:\n%s\nExamples:\n%s",
        c->exit_status ? c->exit_status : EXIT_STATUS_COMMON, c->examples);
    g_string_append(out, "\nSee pvgpuctl(1).\n");
    return g_string_free(out, FALSE);
}

static char *global_help(void)
{
    GString *out = g_string_new(
        "Usage: pvgpuctl [-c URI] COMMAND [ARGUMENTS...] [OPTIONS...]\n"
        "       pvgpuctl help [COMMAND]\n"
        "       pvgpuctl --version\n"
        "\n"
        "Manage the PVGPU paravirtualized GPU of libvirt domains: add the\n"
        "device to a domain's persistent definition, remove it, keep its "
        "QEMU\n"
        "arguments in step with its metadata, and report the state of the\n"
        "backends.\n"
        "\n"
        "Commands:\n");

    for (const PvgpuctlCommand *c = commands; c->name; c++) {
        g_string_append_printf(out, "  %-12s%s\n", c->name, c->summary);
    }
    g_string_append(out, "\nGlobal options:\n");
    append_global_options(out);
    g_string_append(
        out,
        "\n"
        "Exit status:\n" EXIT_STATUS_COMMON
        "  3  status: a domain listed is unhealthy\n"
        "\n"
        "Environment:\n"
        "  LIBVIRT_DEFAULT_URI  connection URI when -c is not given\n"
        "  PVGPU_RUNTIME_DIR    instead of /run/pvgpu (backend sockets)\n"
        "  PVGPU_SCHEMA_DIR     directory of pvgpu-metadata.rng\n"
        "\n"
        "Examples:\n"
        "  pvgpuctl enable win10 --shmem 512M --display 1920x1080\n"
        "  virsh start win10\n"
        "  pvgpuctl status\n"
        "  pvgpuctl -c qemu:///system status win10 --json\n"
        "\n"
        "Run 'pvgpuctl help COMMAND' for the help of one command; see also\n"
        "pvgpuctl(1).\n");
    return g_string_free(out, FALSE);
}

char *pvgpuctl_help_text(const PvgpuctlCommand *command)
{
    return command ? command_help(command) : global_help();
}
