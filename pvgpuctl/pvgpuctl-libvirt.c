#include "pvgpuctl-libvirt.h"

#include "pvgpu-xml.h"
#include "pvgpuctl-context.h"
#include "pvgpuctl-error.h"

#include <libvirt/virterror.h>
#include <string.h>

static gboolean looks_like_uuid(const char *text)
{
    guint digits = 0;

    for (const char *p = text; *p; p++) {
        if (g_ascii_isxdigit(*p)) {
            digits++;
        } else if (*p != '-') {
            return FALSE;
        }
    }
    return digits == 32;
}

virDomainPtr pvgpuctl_domain_lookup(virConnectPtr conn, const char *name,
                                    GError **error)
{
    virDomainPtr dom = virDomainLookupByName(conn, name);

    if (dom == NULL && looks_like_uuid(name)) {
        virResetLastError();
        dom = virDomainLookupByUUIDString(conn, name);
    }
    if (dom == NULL) {
        pvgpuctl_set_libvirt_error(error, "cannot find domain '%s'", name);
    }
    return dom;
}

xmlDoc *pvgpuctl_domain_xml(virDomainPtr dom, unsigned int flags,
                            GError **error)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, flags);

    if (xml == NULL) {
        pvgpuctl_set_libvirt_error(error,
                                   "cannot read the definition of "
                                   "domain '%s'",
                                   virDomainGetName(dom));
        return NULL;
    }
    return pvgpu_xml_parse(xml, strlen(xml), error);
}

gboolean pvgpuctl_domain_define(virConnectPtr conn, xmlDoc *doc,
                                GError **error)
{
    xmlChar *xml = NULL;
    int len = 0;
    g_autoptr(virDomain) dom = NULL;

    xmlDocDumpMemory(doc, &xml, &len);
    if (xml == NULL) {
        g_set_error_literal(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_FAILED,
                            "cannot serialise the domain XML");
        return FALSE;
    }
    dom = virDomainDefineXML(conn, (const char *)xml);
    xmlFree(xml);
    if (dom == NULL) {
        pvgpuctl_set_libvirt_error(error,
                                   "libvirt refused the new definition");
        return FALSE;
    }
    return TRUE;
}

const char *pvgpuctl_domain_state_name(int state)
{
    switch (state) {
    case VIR_DOMAIN_RUNNING:
        return "running";
    case VIR_DOMAIN_BLOCKED:
        return "idle";
    case VIR_DOMAIN_PAUSED:
        return "paused";
    case VIR_DOMAIN_SHUTDOWN:
        return "in shutdown";
    case VIR_DOMAIN_SHUTOFF:
        return "shut off";
    case VIR_DOMAIN_CRASHED:
        return "crashed";
    case VIR_DOMAIN_PMSUSPENDED:
        return "pmsuspended";
    default:
        return "no state";
    }
}

gboolean pvgpuctl_domain_config(virDomainPtr dom, gboolean active,
                                PvgpuDomainConfig **config, gboolean *pending,
                                GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;

    *config = NULL;
    *pending = FALSE;
    doc = pvgpuctl_domain_xml(dom, 0, error);
    if (doc == NULL || !pvgpu_domain_config_from_xml(doc, config, error)) {
        return FALSE;
    }
    if (*config != NULL || !active || virDomainIsPersistent(dom) != 1) {
        return TRUE;
    }
    g_clear_pointer(&doc, xmlFreeDoc);
    doc = pvgpuctl_domain_xml(dom, VIR_DOMAIN_XML_INACTIVE, error);
    if (doc == NULL || !pvgpu_domain_config_from_xml(doc, config, error)) {
        return FALSE;
    }
    *pending = *config != NULL;
    return TRUE;
}
