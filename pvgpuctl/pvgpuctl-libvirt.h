#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include <libxml/tree.h>

#include "pvgpu-domain.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)

/* DOMAIN as the user wrote it: a name, else a UUID. */
virDomainPtr pvgpuctl_domain_lookup(virConnectPtr conn, const char *name,
                                    GError **error);

/* The domain's XML (virDomainGetXMLDesc flags), parsed. */
xmlDoc *pvgpuctl_domain_xml(virDomainPtr dom, unsigned int flags,
                            GError **error);

/* Defines doc as the persistent definition (virDomainDefineXML). */
gboolean pvgpuctl_domain_define(virConnectPtr conn, xmlDoc *doc,
                                GError **error);

/* virsh's word for a domain state: "running", "shut off"... */
const char *pvgpuctl_domain_state_name(int state);

/* The pvgpu configuration the domain runs with: the live definition when
 * it is active, else the persistent one. An active domain without pvgpu
 * whose persistent definition has it gives that one and *pending = TRUE.
 * *config is NULL when neither has pvgpu metadata. Invalid metadata fails
 * with a PVGPU_COMMON_ERROR, libvirt failures with a PVGPUCTL_ERROR. */
gboolean pvgpuctl_domain_config(virDomainPtr dom, gboolean active,
                                PvgpuDomainConfig **config, gboolean *pending,
                                GError **error);
