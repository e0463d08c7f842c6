/* SPDX-License-Identifier: MIT */
/* Safe parsing of domain XML that came from libvirt, a file or stdin. */
#ifndef PVGPU_XML_H
#define PVGPU_XML_H

#include <glib.h>
#include <libxml/tree.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

/*
 * Parses without network access and refuses documents that carry a DTD
 * (libvirt never writes one; entities are a way to smuggle content in).
 */
xmlDoc *pvgpu_xml_parse(const char *data, gsize len, GError **error);

/* The first child element of parent named name in namespace ns_href (NULL:
 * no namespace). */
xmlNode *pvgpu_xml_child(xmlNode *parent, const char *name,
                         const char *ns_href);

gboolean pvgpu_xml_is(const xmlNode *node, const char *name,
                      const char *ns_href);

/* The root element of a libvirt domain document (NULL doc accepted), else
 * NULL with PVGPU_COMMON_ERROR_INVALID. */
xmlNode *pvgpu_xml_domain_root(xmlDoc *doc, GError **error);

/* The attribute name (no namespace) of node as a GLib string; NULL when
 * absent. */
char *pvgpu_xml_attr(xmlNode *node, const char *name);

#endif
