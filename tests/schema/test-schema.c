/* SPDX-License-Identifier: MIT */
/*
 * Data-driven schema test, like libvirt's virschematest: every file in the
 * metadata folder is a <pvgpu:gpu> element that pvgpu-metadata.rng must
 * accept, or refuse when its name ends in -invalid.xml. The C parser
 * (pvgpu_domain_config_from_xml on a domain holding the element) must come
 * to the same verdict, and both must agree on every shmem spelling.
 *
 * Usage: test-schema METADATA_DIR (PVGPU_SCHEMA_DIR names the schema).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "pvgpu_codec.h"
#include "pvgpu-domain.h"
#include "pvgpu-schema.h"
#include "pvgpu-size.h"
#include "pvgpu-xml.h"

static const char *metadata_dir;
static xmlRelaxNG *schema;

static void ignore_error(void *data, xmlError *e)
{
    (void)data;
    (void)e;
}

static int load_schema(void **state)
{
    (void)state;
    g_autofree char *path = pvgpu_schema_path();
    xmlRelaxNGParserCtxt *ctxt = xmlRelaxNGNewParserCtxt(path);
    schema = xmlRelaxNGParse(ctxt);
    xmlRelaxNGFreeParserCtxt(ctxt);
    if (schema == NULL) {
        print_error("cannot load the schema %s\n", path);
        return -1;
    }
    return 0;
}

static int free_schema(void **state)
{
    (void)state;
    xmlRelaxNGFree(schema);
    return 0;
}

static gboolean schema_accepts(xmlDoc *doc)
{
    xmlRelaxNGValidCtxt *ctxt = xmlRelaxNGNewValidCtxt(schema);
    xmlRelaxNGSetValidStructuredErrors(ctxt, ignore_error, NULL);
    int status = xmlRelaxNGValidateDoc(ctxt, doc);
    xmlRelaxNGFreeValidCtxt(ctxt);
    assert_true(status >= 0); /* < 0 would be an internal libxml2 error */
    return status == 0;
}

/* The verdict of the C parser on a q35 domain holding the element. */
static gboolean c_accepts(xmlDoc *element_doc, char **why)
{
    g_autoptr(xmlDoc) domain = xmlNewDoc((const xmlChar *)"1.0");
    xmlNode *root = xmlNewNode(NULL, (const xmlChar *)"domain");
    xmlDocSetRootElement(domain, root);
    xmlNewTextChild(root, NULL, (const xmlChar *)"name",
                    (const xmlChar *)"schema-test");
    xmlNewTextChild(root, NULL, (const xmlChar *)"uuid",
                    (const xmlChar *)"8d5a7c55-2a5b-4f38-9c4e-0c1d2e3f4a5b");
    xmlNode *os = xmlNewChild(root, NULL, (const xmlChar *)"os", NULL);
    xmlNode *type = xmlNewTextChild(os, NULL, (const xmlChar *)"type",
                                    (const xmlChar *)"hvm");
    xmlNewProp(type, (const xmlChar *)"machine", (const xmlChar *)"q35");
    xmlNode *metadata = xmlNewChild(root, NULL, (const xmlChar *)"metadata",
                                    NULL);
    xmlAddChild(metadata,
                xmlDocCopyNode(xmlDocGetRootElement(element_doc), domain, 1));

    g_autoptr(PvgpuDomainConfig) config = NULL;
    g_autoptr(GError) error = NULL;
    if (!pvgpu_domain_config_from_xml(domain, &config, &error)) {
        *why = g_strdup(error->message);
        return FALSE;
    }
    *why = g_strdup(config == NULL ? "not pvgpu metadata" : "accepted");
    return config != NULL;
}

static xmlDoc *parse_file(const char *path)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents(path, &data, &len, &error)) {
        print_error("%s\n", error->message);
        return NULL;
    }
    xmlDoc *doc = pvgpu_xml_parse(data, len, &error);
    if (doc == NULL) {
        print_error("%s: %s\n", path, error->message);
    }
    return doc;
}

static void test_metadata_files(void **state)
{
    (void)state;
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) dir = g_dir_open(metadata_dir, 0, &error);
    assert_non_null(dir);
    guint valid = 0, invalid = 0, wrong = 0;
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        if (!g_str_has_suffix(name, ".xml")) {
            continue;
        }
        g_autofree char *path = g_build_filename(metadata_dir, name, NULL);
        g_autoptr(xmlDoc) doc = parse_file(path);
        assert_non_null(doc);
        gboolean expect = !g_str_has_suffix(name, "-invalid.xml");
        gboolean by_schema = schema_accepts(doc);
        g_autofree char *why = NULL;
        gboolean by_c = c_accepts(doc, &why);
        if (by_schema != expect || by_c != expect) {
            print_error("%s: expected %s, schema says %s, C says %s (%s)\n",
                        name, expect ? "valid" : "invalid",
                        by_schema ? "valid" : "invalid",
                        by_c ? "valid" : "invalid", why);
            wrong++;
        }
        *(expect ? &valid : &invalid) += 1;
    }
    assert_int_equal(wrong, 0);
    /* Guards against an empty or mistyped folder passing silently. */
    assert_true(valid >= 10);
    assert_true(invalid >= 40);
}

static xmlDoc *element_with(const char *attribute, const char *value)
{
    g_autofree char *escaped = g_markup_escape_text(value, -1);
    g_autofree char *xml = g_strdup_printf(
        "<pvgpu:gpu xmlns:pvgpu='" PVGPU_METADATA_NS "' shmem='4M' %s='%s'/>",
        attribute, escaped);
    /* A repeated shmem attribute would be a parse error: replace it. */
    if (strcmp(attribute, "shmem") == 0) {
        g_free(xml);
        xml = g_strdup_printf("<pvgpu:gpu xmlns:pvgpu='" PVGPU_METADATA_NS
                              "' shmem='%s'/>", escaped);
    }
    g_autoptr(GError) error = NULL;
    xmlDoc *doc = pvgpu_xml_parse(xml, strlen(xml), &error);
    assert_non_null(doc);
    return doc;
}

static gboolean c_size_ok(const char *text)
{
    guint64 size = 0;
    return pvgpu_size_parse(text, &size, NULL) && pvgpu_shmem_size_valid(size);
}

/* Every power of two and its neighbours, in every suffix where exact. */
static void test_shmem_spellings_agree(void **state)
{
    (void)state;
    static const struct {
        const char *suffix;
        guint shift;
    } units[] = { { "", 0 }, { "K", 10 }, { "M", 20 }, { "G", 30 },
                  { "T", 40 } };
    guint accepted = 0, checked = 0;
    for (guint k = 0; k < 64; k++) {
        guint64 candidates[] = { G_GUINT64_CONSTANT(1) << k,
                                 (G_GUINT64_CONSTANT(1) << k) + 1,
                                 (G_GUINT64_CONSTANT(3) << k) };
        for (guint c = 0; c < G_N_ELEMENTS(candidates); c++) {
            for (guint u = 0; u < G_N_ELEMENTS(units); u++) {
                guint64 unit = G_GUINT64_CONSTANT(1) << units[u].shift;
                if (candidates[c] % unit != 0) {
                    continue;
                }
                g_autofree char *text = g_strdup_printf(
                    "%" G_GUINT64_FORMAT "%s", candidates[c] / unit,
                    units[u].suffix);
                g_autoptr(xmlDoc) doc = element_with("shmem", text);
                gboolean by_schema = schema_accepts(doc);
                if (by_schema != c_size_ok(text)) {
                    print_error("shmem='%s': schema %d, C %d\n", text,
                                by_schema, c_size_ok(text));
                    fail();
                }
                accepted += by_schema;
                checked++;
            }
        }
    }
    /* 2^22..2^36 as bytes, K and M (15 each) and as 1G..64G (7). */
    assert_int_equal(accepted, 15 * 3 + 7);
    assert_true(checked > 300);
}

static void test_display_boundaries_agree(void **state)
{
    (void)state;
    static const char *numbers[] = {
        "0", "1", "2", "9", "10", "99", "100", "999", "1000", "9999",
        "10000", "16379", "16380", "16383", "16384", "16385", "16390",
        "16399", "16400", "17000", "20000", "99999", "100000", "01",
    };
    for (guint i = 0; i < G_N_ELEMENTS(numbers); i++) {
        for (guint side = 0; side < 2; side++) {
            g_autofree char *text = side == 0
                ? g_strdup_printf("%sx768", numbers[i])
                : g_strdup_printf("1024x%s", numbers[i]);
            g_autoptr(xmlDoc) doc = element_with("display", text);
            g_autofree char *why = NULL;
            gboolean by_schema = schema_accepts(doc);
            gboolean by_c = c_accepts(doc, &why);
            guint64 n = g_ascii_strtoull(numbers[i], NULL, 10);
            gboolean expect = numbers[i][0] != '0' && n >= 1 && n <= 16384;
            if (by_schema != expect || by_c != expect) {
                print_error("display='%s': expected %d, schema %d, C %d (%s)\n",
                            text, expect, by_schema, by_c, why);
                fail();
            }
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        g_printerr("usage: %s METADATA_DIR\n", argv[0]);
        return 2;
    }
    metadata_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata_files),
        cmocka_unit_test(test_shmem_spellings_agree),
        cmocka_unit_test(test_display_boundaries_agree),
    };
    int failed = cmocka_run_group_tests(tests, load_schema, free_schema);
    xmlCleanupParser();
    return failed;
}
