/* The changes of enable, disable and sync to a domain document. */
#include "pvgpuctl-edit.h"
#include "pvgpuctl-emulator.h"

#include "pvgpu-error.h"
#include "pvgpu-xml.h"
#include "pvgpuctl-error.h"

#include <libxml/parser.h>

/* The document without formatting blanks, so that a comparison sees only
 * the changes that matter (pvgpu_domain_apply re-indents nothing). */
char *pvgpuctl_edit_canonical_text(xmlDoc *doc)
{
    xmlChar *xml = NULL;
    int len = 0;
    g_autoptr(xmlDoc) reparsed = NULL;
    char *text;

    xmlDocDumpMemory(doc, &xml, &len);
    if (xml == NULL) {
        return g_strdup("");
    }
    reparsed = xmlReadMemory((const char *)xml, len, NULL, NULL,
                             XML_PARSE_NONET | XML_PARSE_NOBLANKS |
                                 XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (reparsed == NULL) {
        text = g_strndup((const char *)xml, (gsize)len);
        xmlFree(xml);
        return text;
    }
    xmlFree(xml);
    xmlDocDumpMemory(reparsed, &xml, &len);
    text = g_strndup((const char *)xml, xml ? (gsize)len : 0);
    xmlFree(xml);
    return text;
}

/* A missing schema is the installation's fault, not the domain's. */
static gboolean schema_failure(const GError *local, GError **error)
{
    if (!g_error_matches(local, PVGPU_COMMON_ERROR,
                         PVGPU_COMMON_ERROR_SCHEMA)) {
        return FALSE;
    }
    g_set_error_literal(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_FAILED,
                        local->message);
    return TRUE;
}

gboolean pvgpuctl_edit_read_config(xmlDoc *doc, const char *name,
                                   PvgpuDomainConfig **config, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (!pvgpu_domain_config_from_xml(doc, config, &local)) {
        if (schema_failure(local, error)) {
            return FALSE;
        }
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                             "the pvgpu configuration of domain '%s' is "
                             "invalid: %s (correct it with 'virsh edit %s' "
                             "or remove it with 'pvgpuctl disable %s')",
                             name, local->message, name, name);
    }
    return TRUE;
}

/* Writes c and reads it back: the metadata written must itself be valid. */
static gboolean apply_and_reread(xmlDoc *doc, const char *name,
                                 const PvgpuDomainConfig *c,
                                 PvgpuDomainConfig **config, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (!pvgpu_domain_apply(doc, c, &local)) {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                             "cannot update the definition of domain '%s': "
                             "%s",
                             name, local->message);
    }
    if (c != NULL && !pvgpu_domain_config_from_xml(doc, config, &local)) {
        if (schema_failure(local, error)) {
            return FALSE;
        }
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                             "these pvgpu settings do not fit domain '%s': "
                             "%s",
                             name, local->message);
    }
    return TRUE;
}

gboolean pvgpuctl_edit_enable(xmlDoc *doc, const char *name,
                              const PvgpuctlArgs *args,
                              PvgpuDomainConfig **config, GError **error)
{
    g_autoptr(PvgpuDomainConfig) c = NULL;

    if (!pvgpuctl_edit_read_config(doc, name, &c, error)) {
        return FALSE;
    }
    if (c == NULL) {
        g_autoptr(GError) local = NULL;

        c = pvgpu_domain_config_new_default(doc, &local);
        if (c == NULL) {
            return pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                                 "cannot enable pvgpu on domain '%s': %s",
                                 name, local->message);
        }
    }
    if (args->given & PVGPUCTL_OPT_SHMEM) {
        c->shmem_size = args->shmem_size;
    }
    if (args->given & PVGPUCTL_OPT_MEMORY_BUDGET) {
        c->memory_budget = args->memory_budget;
    }
    if (args->given & PVGPUCTL_OPT_DISPLAY) {
        c->display_width = args->display_width;
        c->display_height = args->display_height;
    }
    if (args->given & PVGPUCTL_OPT_SLOT) {
        c->slot = args->slot;
    }
    if ((args->given & PVGPUCTL_OPT_EMULATOR) &&
        !pvgpuctl_emulator_set(doc, args->emulator, error)) {
        return FALSE;
    }
    return apply_and_reread(doc, name, c, config, error);
}

gboolean pvgpuctl_edit_disable(xmlDoc *doc, const char *name,
                               const PvgpuctlArgs *args,
                               PvgpuDomainConfig **config, GError **error)
{
    (void)args;
    *config = NULL;
    return apply_and_reread(doc, name, NULL, config, error);
}

gboolean pvgpuctl_edit_sync(xmlDoc *doc, const char *name,
                            const PvgpuctlArgs *args,
                            PvgpuDomainConfig **config, GError **error)
{
    g_autoptr(PvgpuDomainConfig) c = NULL;

    (void)args;
    if (!pvgpuctl_edit_read_config(doc, name, &c, error)) {
        return FALSE;
    }
    if (c == NULL) {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                             "domain '%s' has no pvgpu metadata; add it with "
                             "'pvgpuctl enable %s'",
                             name, name);
    }
    return apply_and_reread(doc, name, c, config, error);
}
