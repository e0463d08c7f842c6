/*
 * libFuzzer target: arbitrary bytes as a domain XML document, parsed as the
 * libvirt hook parses it. When the pvgpu metadata is accepted, the QEMU
 * arguments are derived and checked against the document, and the document
 * is rewritten; the rewritten document (also after serialising and parsing
 * it again, as the hook's filter hands it to libvirt) must then yield the
 * same configuration and a matching command line. Removing pvgpu must leave
 * no pvgpu metadata behind. Needs PVGPU_SCHEMA_DIR.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "pvgpu-domain.h"
#include "pvgpu-error.h"
#include "pvgpu-xml.h"

#define CHECK(cond) do { if (!(cond)) { abort(); } } while (0)

/* An accepted document must stay accepted: report why it did not. */
static void check_ok(gboolean ok, const GError *error)
{
    if (!ok) {
        g_printerr("fuzz-domain-metadata: %s\n",
                   error != NULL ? error->message : "no error set");
        abort();
    }
}

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    xmlInitParser();
    /* The schema validator reports through its own handler; anything else
     * libxml2 might print would only flood the fuzzer's output. */
    xmlSetGenericErrorFunc(NULL, quiet);
    if (g_getenv("PVGPU_SCHEMA_DIR") == NULL) {
        g_printerr("fuzz-domain-metadata: set PVGPU_SCHEMA_DIR\n");
        abort();
    }
    return 0;
}

static void check_same_config(const PvgpuDomainConfig *a,
                              const PvgpuDomainConfig *b)
{
    CHECK(a != NULL && b != NULL);
    CHECK(g_strcmp0(a->uuid, b->uuid) == 0);
    CHECK(g_strcmp0(a->name, b->name) == 0);
    CHECK(g_strcmp0(a->machine, b->machine) == 0);
    CHECK(a->shmem_size == b->shmem_size);
    CHECK(a->memory_budget == b->memory_budget);
    CHECK(a->display_width == b->display_width);
    CHECK(a->display_height == b->display_height);
    CHECK(a->slot == b->slot);
}

/* doc, as rewritten for c, must give back c and match its arguments. */
static void check_applied(xmlDoc *doc, const PvgpuDomainConfig *c)
{
    g_autoptr(PvgpuDomainConfig) again = NULL;
    g_autoptr(GError) error = NULL;

    check_ok(pvgpu_domain_config_from_xml(doc, &again, &error), error);
    check_same_config(c, again);
    check_ok(pvgpu_domain_check_commandline(doc, c, &error), error);
}

static xmlDoc *reparse(xmlDoc *doc)
{
    xmlChar *xml = NULL;
    int len = 0;

    xmlDocDumpMemory(doc, &xml, &len);
    CHECK(xml != NULL);
    g_autoptr(GError) error = NULL;
    xmlDoc *copy = pvgpu_xml_parse((const char *)xml, (gsize)len, &error);
    xmlFree(xml);
    CHECK(copy != NULL);
    return copy;
}

static void fuzz_accepted(xmlDoc *doc, const PvgpuDomainConfig *c)
{
    g_autoptr(GPtrArray) args = pvgpu_domain_qemu_args(c);
    g_autoptr(GError) mismatch = NULL;

    CHECK(args != NULL && args->len == 2);
    CHECK(strcmp(g_ptr_array_index(args, 0), "-device") == 0);
    CHECK(g_str_has_prefix(g_ptr_array_index(args, 1), "pvgpu,"));
    if (!pvgpu_domain_check_commandline(doc, c, &mismatch)) {
        CHECK(g_error_matches(mismatch, PVGPU_COMMON_ERROR,
                              PVGPU_COMMON_ERROR_MISMATCH));
    }

    g_autoptr(GError) error = NULL;
    check_ok(pvgpu_domain_apply(doc, c, &error), error);
    check_applied(doc, c);
    g_autoptr(xmlDoc) copy = reparse(doc);
    check_applied(copy, c);

    g_autoptr(PvgpuDomainConfig) none = NULL;
    check_ok(pvgpu_domain_apply(copy, NULL, &error), error);
    check_ok(pvgpu_domain_config_from_xml(copy, &none, &error), error);
    CHECK(none == NULL);
    g_autoptr(GError) no_device = NULL;
    CHECK(!pvgpu_domain_check_commandline(copy, c, &no_device));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = pvgpu_xml_parse((const char *)data, size, &error);

    if (doc == NULL) {
        CHECK(error != NULL);
        return 0;
    }
    g_autoptr(PvgpuDomainConfig) config = NULL;
    if (!pvgpu_domain_config_from_xml(doc, &config, &error)) {
        CHECK(config == NULL && error != NULL &&
              error->domain == PVGPU_COMMON_ERROR);
        /* Only the installed schema's own failure is not the document's. */
        CHECK(error->code != PVGPU_COMMON_ERROR_SCHEMA);
        return 0;
    }
    if (config != NULL) {
        fuzz_accepted(doc, config);
    }
    return 0;
}
