/* SPDX-License-Identifier: MIT */
#include "pvgpu-xml.h"

#include <libxml/parser.h>

#include "pvgpu-error.h"

/* "the domain XML <what> (line N): <libxml2's last message>" */
static void set_parser_error(GError **error, xmlParserCtxt *ctxt,
                             const char *what)
{
    const xmlError *e = &ctxt->lastError;
    g_autofree char *msg = g_strstrip(g_strdup(
        e->message != NULL ? e->message : "unknown error"));
    g_autofree char *quoted = pvgpu_quote(msg);

    g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_INVALID,
                "the domain XML %s (line %d): %s", what, e->line, quoted);
}

xmlDoc *pvgpu_xml_parse(const char *data, gsize len, GError **error)
{
    if (len > G_MAXINT) {
        g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_INVALID,
                    "the domain XML is too large");
        return NULL;
    }
    xmlParserCtxt *ctxt = xmlNewParserCtxt();
    if (ctxt == NULL) {
        g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_INVALID,
                    "cannot allocate an XML parser");
        return NULL;
    }
    xmlDoc *doc = xmlCtxtReadMemory(ctxt, data, (int)len, "domain.xml", NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR |
                                    XML_PARSE_NOWARNING);
    if (doc == NULL) {
        set_parser_error(error, ctxt, "is not well-formed");
    } else if (!ctxt->nsWellFormed) {
        /* An undeclared prefix leaves "qemu:arg" a plain name that the
         * prefix would bind once we add its declaration and write the
         * document out: refuse rather than change what it means. */
        set_parser_error(error, ctxt, "has a namespace error");
        g_clear_pointer(&doc, xmlFreeDoc);
    } else if (doc->intSubset != NULL || doc->extSubset != NULL) {
        g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_INVALID,
                    "the domain XML must not contain a DTD");
        g_clear_pointer(&doc, xmlFreeDoc);
    } else if (xmlDocGetRootElement(doc) == NULL) {
        g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_INVALID,
                    "the domain XML has no root element");
        g_clear_pointer(&doc, xmlFreeDoc);
    }
    xmlFreeParserCtxt(ctxt);
    return doc;
}

gboolean pvgpu_xml_is(const xmlNode *node, const char *name,
                      const char *ns_href)
{
    if (node == NULL || node->type != XML_ELEMENT_NODE ||
        !xmlStrEqual(node->name, (const xmlChar *)name)) {
        return FALSE;
    }
    if (ns_href == NULL) {
        return node->ns == NULL;
    }
    return node->ns != NULL &&
           xmlStrEqual(node->ns->href, (const xmlChar *)ns_href);
}

xmlNode *pvgpu_xml_child(xmlNode *parent, const char *name,
                         const char *ns_href)
{
    for (xmlNode *n = parent != NULL ? parent->children : NULL; n != NULL;
         n = n->next) {
        if (pvgpu_xml_is(n, name, ns_href)) {
            return n;
        }
    }
    return NULL;
}

xmlNode *pvgpu_xml_domain_root(xmlDoc *doc, GError **error)
{
    xmlNode *root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    if (!pvgpu_xml_is(root, "domain", NULL)) {
        g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_INVALID,
                    "the XML is not a libvirt <domain>");
        return NULL;
    }
    return root;
}

char *pvgpu_xml_attr(xmlNode *node, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(node, (const xmlChar *)name);
    char *copy = g_strdup((const char *)v);
    xmlFree(v);
    return copy;
}
