/* SPDX-License-Identifier: MIT */
#include "pvgpu-schema.h"

#include <libxml/relaxng.h>

#include "pvgpu-error.h"
#include "pvgpu-xml.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNGParserCtxt, xmlRelaxNGFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNG, xmlRelaxNGFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNGValidCtxt, xmlRelaxNGFreeValidCtxt)

char *pvgpu_schema_path(void)
{
    const char *dir = g_getenv("PVGPU_SCHEMA_DIR");
    return g_build_filename(dir != NULL && dir[0] != '\0' ? dir
                                                          : PVGPU_SCHEMA_DIR,
                            PVGPU_SCHEMA_FILE, NULL);
}

/* Keeps the first message only: later ones are usually consequences. */
static void keep_first_error(void *data, xmlError *e)
{
    char **first = data;
    if (*first == NULL && e != NULL && e->message != NULL) {
        g_autofree char *msg = g_strstrip(g_strdup(e->message));
        *first = pvgpu_quote(msg);
    }
}

static xmlRelaxNG *load_schema(GError **error)
{
    g_autofree char *path = pvgpu_schema_path();
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_SCHEMA,
                    "the pvgpu schema %s is missing (reinstall pvgpu or set "
                    "PVGPU_SCHEMA_DIR)", path);
        return NULL;
    }
    g_autoptr(xmlRelaxNGParserCtxt) pctxt = xmlRelaxNGNewParserCtxt(path);
    g_autofree char *first = NULL;
    if (pctxt == NULL) {
        g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_SCHEMA,
                    "cannot allocate a RelaxNG parser");
        return NULL;
    }
    xmlRelaxNGSetParserStructuredErrors(pctxt, keep_first_error, &first);
    xmlRelaxNG *schema = xmlRelaxNGParse(pctxt);
    if (schema == NULL) {
        g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_SCHEMA,
                    "the pvgpu schema %s is broken: %s", path,
                    first != NULL ? first : "unknown error");
    }
    return schema;
}

gboolean pvgpu_schema_validate_doc(xmlDoc *doc, GError **error)
{
    g_autoptr(xmlRelaxNG) schema = load_schema(error);
    if (schema == NULL) {
        return FALSE;
    }
    g_autoptr(xmlRelaxNGValidCtxt) vctxt = xmlRelaxNGNewValidCtxt(schema);
    if (vctxt == NULL) {
        g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_SCHEMA,
                    "cannot allocate a RelaxNG validator");
        return FALSE;
    }
    g_autofree char *first = NULL;
    xmlRelaxNGSetValidStructuredErrors(vctxt, keep_first_error, &first);
    if (xmlRelaxNGValidateDoc(vctxt, doc) != 0) {
        g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_INVALID,
                    "the pvgpu metadata does not match the schema: %s",
                    first != NULL ? first : "unknown error");
        return FALSE;
    }
    return TRUE;
}

gboolean pvgpu_schema_validate_element(xmlNode *element, GError **error)
{
    g_autoptr(xmlDoc) doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNode *copy = doc != NULL ? xmlDocCopyNode(element, doc, 1) : NULL;
    if (copy == NULL) {
        g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_INVALID,
                    "cannot copy the pvgpu metadata element");
        return FALSE;
    }
    xmlDocSetRootElement(doc, copy);
    /* Namespaces declared on ancestors (e.g. <domain>) move onto the copy. */
    xmlReconciliateNs(doc, copy);
    return pvgpu_schema_validate_doc(doc, error);
}
