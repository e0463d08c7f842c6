/* SPDX-License-Identifier: MIT */
#include "hook-seclabel.h"

#include <libxml/xpath.h>
#include <string.h>

#include "hook-qemu-conf.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)

/* The string value of expr, NULL when empty. */
static char *xpath_string(xmlDoc *doc, const char *expr)
{
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    if (ctx == NULL) {
        return NULL;
    }
    g_autoptr(xmlXPathObject) obj =
        xmlXPathEvalExpression((const xmlChar *)expr, ctx);
    if (obj == NULL) {
        return NULL;
    }
    xmlChar *value = xmlXPathCastToString(obj);
    char *text = value != NULL && value[0] != '\0'
                     ? g_strstrip(g_strdup((const char *)value))
                     : NULL;
    xmlFree(value);
    return text;
}

#define APPARMOR_SECLABEL \
    "/domain/seclabel[not(@model) or @model='apparmor']"

static gboolean driver_list_names_apparmor(const char *value)
{
    return strstr(value, "\"apparmor\"") != NULL ||
           strstr(value, "'apparmor'") != NULL;
}

char *hook_seclabel_apparmor(xmlDoc *doc, const char *uuid,
                             gboolean apparmor_in_use, const char *qemu_conf)
{
    g_autofree char *type = xpath_string(doc, "string(" APPARMOR_SECLABEL
                                              "/@type)");
    if (type != NULL && strcmp(type, "none") == 0) {
        return NULL;
    }
    char *live = xpath_string(doc, "string(" APPARMOR_SECLABEL "/label)");
    if (live != NULL) {
        return live;
    }
    if (!apparmor_in_use) {
        return NULL;
    }
    g_autofree char *driver =
        qemu_conf != NULL ? hook_qemu_conf_raw(qemu_conf, "security_driver")
                          : NULL;
    if (driver != NULL && !driver_list_names_apparmor(driver)) {
        return NULL;
    }
    return g_strconcat("libvirt-", uuid, NULL);
}

char *hook_seclabel_dac(xmlDoc *doc)
{
    return xpath_string(doc, "string(/domain/seclabel[@model='dac' and "
                             "not(@type='none')]/label)");
}
