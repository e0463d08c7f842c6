/* SPDX-License-Identifier: MIT */
/*
 * libvirt QEMU hook for pvgpu domains, installed as
 * /etc/libvirt/hooks/qemu.d/pvgpu and run as
 *   pvgpu <domain> <operation> <sub-operation> <extra>
 * with the domain XML on stdin. Starts the domain's pvgpu-backend before
 * QEMU, stops it after, and regenerates the pvgpu QEMU arguments for
 * incoming migrations and restores. Never calls libvirt (it would deadlock).
 * Exit codes: hook-error.h and README.md.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "hook-apparmor.h"
#include "hook-qemu-conf.h"
#include "hook-backend.h"
#include "hook-domain.h"
#include "hook-error.h"
#include "hook-runtime.h"
#include "hook-seclabel.h"
#include "pvgpu-domain.h"
#include "pvgpu-error.h"
#include "pvgpu-xml.h"

#define HOOK_INPUT_MAX (16u << 20)
#define HOOK_READ_CHUNK (64u << 10)

typedef struct {
    const char *name; /* from argv: always there, even for broken XML */
    xmlDoc *doc;
    const PvgpuDomainConfig *config;
    const HookDomain *domain;
    const char *operation;
} HookRun;

typedef gboolean (*HookHandler)(const HookRun *run, GError **error);

static gboolean op_prepare(const HookRun *run, GError **error)
{
    g_autoptr(GError) mismatch = NULL;
    if (!pvgpu_domain_check_commandline(run->doc, run->config, &mismatch)) {
        g_autofree char *arg = pvgpu_quote_arg(run->name);
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INVALID,
                    "the QEMU command line does not match the pvgpu metadata; "
                    "run: pvgpuctl sync %s", arg);
        return FALSE;
    }
    /* Before libvirt creates or reloads the domain's AppArmor profile. */
    return hook_apparmor_allow(run->domain, error) &&
           hook_backend_start(run->domain, run->operation, error);
}

static gboolean op_check_running(const HookRun *run, GError **error)
{
    if (hook_backend_running(run->domain, NULL, error)) {
        return TRUE;
    }
    if (*error != NULL) {
        return FALSE;
    }
    g_set_error(error, HOOK_ERROR, HOOK_EXIT_BACKEND,
                "the pvgpu backend is no longer running (log: %s)",
                run->domain->log_path);
    return FALSE;
}

/* A refused pidfile or a leftover directory is worth a line, but never a
 * failed stop (main() exits 0): both are reported. */
static gboolean op_stop(const HookRun *run, GError **error)
{
    g_autoptr(GError) remove_error = NULL;
    gboolean stopped = hook_backend_stop(run->domain, error);
    gboolean removed = hook_runtime_dir_remove(run->domain, &remove_error) &&
                       hook_apparmor_revoke(run->domain, &remove_error);
    if (!removed && stopped) {
        g_propagate_error(error, g_steal_pointer(&remove_error));
    } else if (!removed) {
        char *both = g_strdup_printf("%s; %s", (*error)->message,
                                     remove_error->message);
        g_free((*error)->message);
        (*error)->message = both;
    }
    return stopped && removed;
}

/* libvirt kills a running QEMU whose reconnect hook fails: main() exits 0
 * whatever happens here. The device in QEMU reconnects on its own. */
static gboolean op_reconnect(const HookRun *run, GError **error)
{
    if (hook_backend_running(run->domain, NULL, error)) {
        return TRUE;
    }
    if (*error != NULL) {
        return FALSE;
    }
    return hook_backend_start(run->domain, run->operation, error);
}

/* Incoming migration or restore: the XML printed replaces libvirt's. */
static gboolean op_filter(const HookRun *run, GError **error)
{
    if (!pvgpu_domain_apply(run->doc, run->config, error)) {
        return FALSE;
    }
    xmlChar *xml = NULL;
    int len = 0;
    xmlDocDumpMemory(run->doc, &xml, &len);
    gboolean ok = xml != NULL && fwrite(xml, 1, (size_t)len, stdout) ==
                                     (size_t)len &&
                  fflush(stdout) == 0;
    xmlFree(xml);
    if (!ok) {
        g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                    "cannot write the domain XML to standard output: %s",
                    g_strerror(errno));
    }
    return ok;
}

static const struct {
    const char *operation;
    const char *sub_operation;
    HookHandler handler;
    gboolean always_succeeds;
} operations[] = {
    { "prepare", "begin", op_prepare, FALSE },
    { "start", "begin", op_check_running, FALSE },
    { "started", "begin", op_check_running, FALSE },
    { "stopped", "end", op_stop, TRUE },
    { "release", "end", op_stop, TRUE },
    { "reconnect", "begin", op_reconnect, TRUE },
    { "migrate", "begin", op_filter, FALSE },
    { "restore", "begin", op_filter, FALSE },
};

static int find_operation(int argc, char **argv)
{
    for (guint i = 0; argc > 3 && i < G_N_ELEMENTS(operations); i++) {
        if (strcmp(argv[2], operations[i].operation) == 0 &&
            strcmp(argv[3], operations[i].sub_operation) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* All of stdin, refusing more than HOOK_INPUT_MAX bytes. */
static GByteArray *read_input(GError **error)
{
    g_autoptr(GByteArray) input = g_byte_array_new();
    g_autofree guint8 *chunk = g_malloc(HOOK_READ_CHUNK);
    for (;;) {
        ssize_t n = read(STDIN_FILENO, chunk, HOOK_READ_CHUNK);
        if (n == 0) {
            return g_steal_pointer(&input);
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                        "cannot read the domain XML from standard input: %s",
                        g_strerror(errno));
            return NULL;
        }
        if (input->len + (gsize)n > HOOK_INPUT_MAX) {
            g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                        "the domain XML on standard input is larger than "
                        "%u MiB", HOOK_INPUT_MAX >> 20);
            return NULL;
        }
        g_byte_array_append(input, chunk, (guint)n);
    }
}

static HookExit exit_code(const GError *error)
{
    if (error->domain == HOOK_ERROR) {
        return (HookExit)error->code;
    }
    if (error->domain == PVGPU_COMMON_ERROR &&
        (error->code == PVGPU_COMMON_ERROR_INVALID ||
         error->code == PVGPU_COMMON_ERROR_MISMATCH)) {
        return HOOK_EXIT_INVALID;
    }
    return HOOK_EXIT_INTERNAL;
}

static gboolean run_operation(int index, const char *name,
                              const GByteArray *input, GError **error)
{
    g_autoptr(xmlDoc) doc = pvgpu_xml_parse((const char *)input->data,
                                            input->len, error);
    if (doc == NULL) {
        return FALSE;
    }
    g_autoptr(PvgpuDomainConfig) config = NULL;
    if (!pvgpu_domain_config_from_xml(doc, &config, error)) {
        return FALSE;
    }
    if (config == NULL) {
        return TRUE; /* not a pvgpu domain */
    }
    g_autoptr(HookDomain) domain = hook_domain_new(config, error);
    g_autofree char *qemu_conf = NULL;
    if (domain == NULL || !hook_qemu_conf_read(&qemu_conf, error)) {
        return FALSE;
    }
    domain->peer_label = hook_seclabel_apparmor(doc, config->uuid,
                                                hook_apparmor_in_use(),
                                                qemu_conf);
    domain->dac_label = hook_seclabel_dac(doc);
    HookRun run = {
        .name = name,
        .doc = doc,
        .config = config,
        .domain = domain,
        .operation = operations[index].operation,
    };
    return operations[index].handler(&run, error);
}

/* "pvgpu: domain 'NAME': MESSAGE" on exactly one line. */
static void report(const char *name, const GError *error)
{
    g_autofree char *quoted = pvgpu_quote(name);
    g_autofree char *line = g_strdup_printf("pvgpu: domain '%s': %s", quoted,
                                            error->message);
    for (char *p = line; *p != '\0'; p++) {
        if (g_ascii_iscntrl(*p)) {
            *p = ' ';
        }
    }
    fprintf(stderr, "%s\n", line);
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "";
    int index = find_operation(argc, argv);
    g_autoptr(GError) error = NULL;

    /* Read even when the operation is not ours: libvirt writes it all. */
    g_autoptr(GByteArray) input = read_input(&error);
    if (index < 0) {
        return HOOK_EXIT_OK;
    }
    if (input != NULL) {
        run_operation(index, name, input, &error);
    }
    if (error == NULL) {
        return HOOK_EXIT_OK;
    }
    report(name, error);
    return operations[index].always_succeeds ? HOOK_EXIT_OK
                                             : (int)exit_code(error);
}
