/* SPDX-License-Identifier: MIT */
/* The pvgpu pair of <qemu:arg> in <qemu:commandline>, and the metadata
 * element: checking them against a config and rewriting them. */
#include "pvgpu-domain.h"

#include "pvgpu-error.h"
#include "pvgpu-size.h"
#include "pvgpu-xml.h"

#define PVGPU_DEVICE_PREFIX "pvgpu,"

static char *arg_value(xmlNode *arg)
{
    return pvgpu_xml_attr(arg, "value");
}

/* Every <qemu:arg> of every <qemu:commandline>, in document order. */
static GPtrArray *collect_args(xmlNode *root)
{
    GPtrArray *args = g_ptr_array_new();
    for (xmlNode *cl = root->children; cl != NULL; cl = cl->next) {
        if (!pvgpu_xml_is(cl, "commandline", PVGPU_QEMU_NS)) {
            continue;
        }
        for (xmlNode *a = cl->children; a != NULL; a = a->next) {
            if (pvgpu_xml_is(a, "arg", PVGPU_QEMU_NS)) {
                g_ptr_array_add(args, a);
            }
        }
    }
    return args;
}

/* TRUE when args[i], args[i + 1] are "-device", "pvgpu,...". */
static gboolean is_pvgpu_pair(GPtrArray *args, guint i)
{
    if (i + 1 >= args->len) {
        return FALSE;
    }
    g_autofree char *option = arg_value(args->pdata[i]);
    g_autofree char *device = arg_value(args->pdata[i + 1]);
    return g_strcmp0(option, "-device") == 0 && device != NULL &&
           g_str_has_prefix(device, PVGPU_DEVICE_PREFIX);
}

gboolean pvgpu_domain_check_commandline(xmlDoc *domain,
                                        const PvgpuDomainConfig *c,
                                        GError **error)
{
    xmlNode *root = pvgpu_xml_domain_root(domain, error);
    if (root == NULL) {
        return FALSE;
    }
    g_autoptr(GPtrArray) args = collect_args(root);
    g_autoptr(GPtrArray) expected = pvgpu_domain_qemu_args(c);
    g_autofree char *actual = NULL;
    guint found = 0;
    for (guint i = 0; i < args->len; i++) {
        if (is_pvgpu_pair(args, i)) {
            found++;
            g_free(actual);
            actual = arg_value(args->pdata[i + 1]);
            i++;
        }
    }

    g_autofree char *problem = NULL;
    if (found == 0) {
        problem = g_strdup("has no pvgpu device");
    } else if (found > 1) {
        problem = g_strdup_printf("has %u pvgpu devices", found);
    } else if (strcmp(actual, expected->pdata[1]) != 0) {
        g_autofree char *quoted = pvgpu_quote(actual);
        problem = g_strdup_printf("has '%s' but the pvgpu metadata needs '%s'",
                                  quoted, (const char *)expected->pdata[1]);
    } else {
        return TRUE;
    }
    g_autofree char *name = pvgpu_quote(c->name);
    g_autofree char *arg = pvgpu_quote_arg(c->name);
    g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_MISMATCH,
                "domain '%s': the QEMU command line %s; run: pvgpuctl sync %s",
                name, problem, arg);
    return FALSE;
}

/* Unlinks node and the indentation in front of it. */
static void remove_node(xmlNode *node)
{
    xmlNode *prev = node->prev;
    if (prev != NULL && xmlIsBlankNode(prev)) {
        xmlUnlinkNode(prev);
        xmlFreeNode(prev);
    }
    xmlUnlinkNode(node);
    xmlFreeNode(node);
}

static gboolean has_element_children(xmlNode *node)
{
    for (xmlNode *n = node->children; n != NULL; n = n->next) {
        if (n->type == XML_ELEMENT_NODE) {
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean has_blank_children(xmlNode *node)
{
    for (xmlNode *n = node->children; n != NULL; n = n->next) {
        if (xmlIsBlankNode(n)) {
            return TRUE;
        }
    }
    return FALSE;
}

static char *indentation(xmlNode *node, int extra)
{
    int depth = extra;
    for (xmlNode *p = node; p->parent != NULL &&
                            p->parent->type == XML_ELEMENT_NODE; p = p->parent) {
        depth++;
    }
    return g_strdup_printf("\n%*s", depth * 2, "");
}

/* Appends child as the last element of parent, indented like its siblings
 * when the document is indented (libvirt writes two spaces per level).
 * Text nodes are edited in place: libxml2 merges adjacent ones. */
static void append_child(xmlNode *parent, xmlNode *child)
{
    xmlNode *last = parent->last;
    g_autofree char *inner = indentation(parent, 1);
    g_autofree char *outer = indentation(parent, 0);
    if (last != NULL && xmlIsBlankNode(last)) {
        xmlNodeSetContent(last, (const xmlChar *)inner);
    } else if (parent->children == NULL && parent->parent != NULL &&
               has_blank_children(parent->parent)) {
        xmlAddChild(parent, xmlNewText((const xmlChar *)inner));
    } else {
        xmlAddChild(parent, child);
        return;
    }
    xmlAddChild(parent, child);
    xmlAddChild(parent, xmlNewText((const xmlChar *)outer));
}

static xmlNode *new_gpu_element(const PvgpuDomainConfig *c)
{
    xmlNode *gpu = xmlNewNode(NULL, (const xmlChar *)PVGPU_METADATA_ELEMENT);
    xmlSetNs(gpu, xmlNewNs(gpu, (const xmlChar *)PVGPU_METADATA_NS,
                           (const xmlChar *)PVGPU_METADATA_PREFIX));
    g_autofree char *shmem = pvgpu_size_format(c->shmem_size);
    xmlNewProp(gpu, (const xmlChar *)"shmem", (const xmlChar *)shmem);
    if (c->memory_budget != PVGPU_DEFAULT_MEMORY_BUDGET) {
        g_autofree char *budget = pvgpu_size_format(c->memory_budget);
        xmlNewProp(gpu, (const xmlChar *)"memory-budget",
                   (const xmlChar *)budget);
    }
    if (c->display_width != 0) {
        g_autofree char *display = g_strdup_printf("%ux%u", c->display_width,
                                                   c->display_height);
        xmlNewProp(gpu, (const xmlChar *)"display", (const xmlChar *)display);
    }
    if (c->slot != 0) {
        g_autofree char *slot = g_strdup_printf("0x%02x", c->slot);
        xmlNewProp(gpu, (const xmlChar *)"slot", (const xmlChar *)slot);
    }
    return gpu;
}

/* Replaces every pvgpu element (of any namespace version) by c's. */
static void apply_metadata(xmlNode *root, const PvgpuDomainConfig *c)
{
    xmlNode *first_metadata = NULL;
    for (xmlNode *m = root->children, *next_m; m != NULL; m = next_m) {
        next_m = m->next;
        if (!pvgpu_xml_is(m, "metadata", NULL)) {
            continue;
        }
        gboolean removed = FALSE;
        for (xmlNode *e = m->children, *next; e != NULL; e = next) {
            next = e->next;
            if (e->type == XML_ELEMENT_NODE && e->ns != NULL &&
                g_str_has_prefix((const char *)e->ns->href, PVGPU_NS_FAMILY)) {
                remove_node(e);
                removed = TRUE;
            }
        }
        if (c == NULL && removed && !has_element_children(m)) {
            remove_node(m);
        } else if (first_metadata == NULL) {
            first_metadata = m;
        }
    }
    if (c != NULL) {
        if (first_metadata == NULL) {
            first_metadata = xmlNewNode(NULL, (const xmlChar *)"metadata");
            append_child(root, first_metadata);
        }
        append_child(first_metadata, new_gpu_element(c));
    }
}

/* Removes the first pvgpu pair of args; FALSE when there is none. */
static gboolean remove_first_pair(xmlNode *root, GPtrArray *touched)
{
    g_autoptr(GPtrArray) args = collect_args(root);
    for (guint i = 0; i < args->len; i++) {
        if (is_pvgpu_pair(args, i)) {
            for (guint j = i; j <= i + 1; j++) {
                xmlNode *arg = args->pdata[j];
                if (!g_ptr_array_find(touched, arg->parent, NULL)) {
                    g_ptr_array_add(touched, arg->parent);
                }
                remove_node(arg);
            }
            return TRUE;
        }
    }
    return FALSE;
}

static void remove_pvgpu_args(xmlNode *root, gboolean drop_empty)
{
    g_autoptr(GPtrArray) touched = g_ptr_array_new();
    /* one pair at a time: removing "-device pvgpu,A" from
     * "-device -device pvgpu,A pvgpu,B" makes "-device pvgpu,B" a pair */
    while (remove_first_pair(root, touched)) {
    }
    for (guint i = 0; drop_empty && i < touched->len; i++) {
        xmlNode *commandline = touched->pdata[i];
        if (!has_element_children(commandline)) {
            remove_node(commandline);
        }
    }
}

static xmlNode *find_or_add_commandline(xmlDoc *domain, xmlNode *root)
{
    xmlNode *commandline = pvgpu_xml_child(root, "commandline", PVGPU_QEMU_NS);
    if (commandline != NULL) {
        return commandline;
    }
    xmlNs *ns = xmlSearchNsByHref(domain, root, (const xmlChar *)PVGPU_QEMU_NS);
    if (ns == NULL) {
        /* NULL when root already binds the prefix "qemu" to something else. */
        ns = xmlNewNs(root, (const xmlChar *)PVGPU_QEMU_NS,
                      (const xmlChar *)"qemu");
    }
    commandline = xmlNewNode(NULL, (const xmlChar *)"commandline");
    append_child(root, commandline);
    if (ns == NULL) {
        ns = xmlNewNs(commandline, (const xmlChar *)PVGPU_QEMU_NS,
                      (const xmlChar *)"qemu");
    }
    xmlSetNs(commandline, ns);
    return commandline;
}

gboolean pvgpu_domain_apply(xmlDoc *domain, const PvgpuDomainConfig *c,
                            GError **error)
{
    xmlNode *root = pvgpu_xml_domain_root(domain, error);
    if (root == NULL) {
        return FALSE;
    }
    apply_metadata(root, c);
    remove_pvgpu_args(root, c == NULL);
    if (c != NULL) {
        xmlNode *commandline = find_or_add_commandline(domain, root);
        g_autoptr(GPtrArray) values = pvgpu_domain_qemu_args(c);
        for (guint i = 0; i < values->len; i++) {
            xmlNode *arg = xmlNewNode(commandline->ns, (const xmlChar *)"arg");
            xmlNewProp(arg, (const xmlChar *)"value",
                       (const xmlChar *)values->pdata[i]);
            append_child(commandline, arg);
        }
    }
    return TRUE;
}
