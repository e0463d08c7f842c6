/* SPDX-License-Identifier: MIT */
/*
 * Data-driven test of pvgpu_domain_config_from_xml, like libvirt's
 * qemuxml2argvtest: for every DIR/NAME.xml,
 *   NAME.args  the two expected <qemu:arg> values, one per line; empty when
 *              the domain is not a pvgpu domain;
 *   NAME-invalid.err  a part of the expected error message.
 * Valid domains also go through pvgpu_domain_apply and back.
 *
 * Usage: test-domain-files DIR (PVGPU_SCHEMA_DIR names the schema).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>

#include "pvgpu-domain.h"
#include "pvgpu-error.h"
#include "pvgpu-xml.h"

static const char *data_dir;

static char *read_sibling(const char *xml_name, const char *extension)
{
    g_autofree char *stem = g_strndup(xml_name, strlen(xml_name) - 4);
    g_autofree char *path = g_strconcat(data_dir, "/", stem, extension, NULL);
    char *text = NULL;
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents(path, &text, NULL, &error)) {
        print_error("%s\n", error->message);
    }
    return text;
}

static xmlDoc *parse_path(const char *path)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_autoptr(GError) error = NULL;
    xmlDoc *doc = pvgpu_xml_parse(data, len, &error);
    if (doc == NULL) {
        print_error("%s: %s\n", path, error->message);
    }
    return doc;
}

static gboolean check_invalid(const char *name, xmlDoc *doc)
{
    g_autofree char *expected = read_sibling(name, ".err");
    g_autoptr(PvgpuDomainConfig) config = NULL;
    g_autoptr(GError) error = NULL;
    if (expected == NULL) {
        return FALSE;
    }
    g_strstrip(expected);
    if (pvgpu_domain_config_from_xml(doc, &config, &error)) {
        print_error("%s: accepted, expected \"%s\"\n", name, expected);
        return FALSE;
    }
    if (config != NULL || !g_error_matches(error, PVGPU_COMMON_ERROR,
                                           PVGPU_COMMON_ERROR_INVALID) ||
        strstr(error->message, expected) == NULL ||
        strchr(error->message, '\n') != NULL ||
        strlen(error->message) > 600) {
        print_error("%s: got \"%s\", expected \"%s\"\n", name, error->message,
                    expected);
        return FALSE;
    }
    return TRUE;
}

static char *args_text(const PvgpuDomainConfig *config)
{
    g_autoptr(GPtrArray) args = pvgpu_domain_qemu_args(config);
    g_autoptr(GString) text = g_string_new(NULL);
    for (guint i = 0; i < args->len; i++) {
        g_string_append_printf(text, "%s\n", (const char *)args->pdata[i]);
    }
    return g_string_free(g_steal_pointer(&text), FALSE);
}

static gboolean same_config(const PvgpuDomainConfig *a,
                            const PvgpuDomainConfig *b)
{
    return g_strcmp0(a->uuid, b->uuid) == 0 &&
           g_strcmp0(a->name, b->name) == 0 &&
           g_strcmp0(a->machine, b->machine) == 0 &&
           a->shmem_size == b->shmem_size &&
           a->memory_budget == b->memory_budget &&
           a->display_width == b->display_width &&
           a->display_height == b->display_height && a->slot == b->slot;
}

/* apply() writes the config back; the result must parse to the same one and
 * pass the command-line check. */
static gboolean check_round_trip(const char *name, xmlDoc *doc,
                                 const PvgpuDomainConfig *config)
{
    g_autoptr(GError) error = NULL;
    xmlChar *xml = NULL;
    int len = 0;
    if (!pvgpu_domain_apply(doc, config, &error)) {
        print_error("%s: apply: %s\n", name, error->message);
        return FALSE;
    }
    xmlDocDumpMemory(doc, &xml, &len);
    g_autoptr(xmlDoc) again = pvgpu_xml_parse((const char *)xml, (gsize)len,
                                              &error);
    xmlFree(xml);
    g_autoptr(PvgpuDomainConfig) reread = NULL;
    if (again == NULL ||
        !pvgpu_domain_config_from_xml(again, &reread, &error) ||
        reread == NULL || !same_config(config, reread) ||
        !pvgpu_domain_check_commandline(again, reread, &error)) {
        print_error("%s: round trip failed: %s\n", name,
                    error != NULL ? error->message : "config differs");
        return FALSE;
    }
    return TRUE;
}

static gboolean check_valid(const char *name, xmlDoc *doc)
{
    g_autofree char *expected = read_sibling(name, ".args");
    g_autoptr(PvgpuDomainConfig) config = NULL;
    g_autoptr(GError) error = NULL;
    if (expected == NULL) {
        return FALSE;
    }
    if (!pvgpu_domain_config_from_xml(doc, &config, &error)) {
        print_error("%s: refused: %s\n", name, error->message);
        return FALSE;
    }
    if (expected[0] == '\0') {
        if (config != NULL) {
            print_error("%s: taken as a pvgpu domain\n", name);
        }
        return config == NULL;
    }
    if (config == NULL) {
        print_error("%s: not taken as a pvgpu domain\n", name);
        return FALSE;
    }
    g_autofree char *actual = args_text(config);
    if (strcmp(actual, expected) != 0) {
        print_error("%s: args\n%sexpected\n%s", name, actual, expected);
        return FALSE;
    }
    return check_round_trip(name, doc, config);
}

static void test_domain_files(void **state)
{
    (void)state;
    g_autoptr(GDir) dir = g_dir_open(data_dir, 0, NULL);
    assert_non_null(dir);
    guint valid = 0, invalid = 0, failed = 0;
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        if (!g_str_has_suffix(name, ".xml")) {
            continue;
        }
        g_autofree char *path = g_build_filename(data_dir, name, NULL);
        g_autoptr(xmlDoc) doc = parse_path(path);
        assert_non_null(doc);
        gboolean is_invalid = g_str_has_suffix(name, "-invalid.xml");
        gboolean ok = is_invalid ? check_invalid(name, doc)
                                 : check_valid(name, doc);
        failed += !ok;
        *(is_invalid ? &invalid : &valid) += 1;
    }
    assert_int_equal(failed, 0);
    assert_true(valid >= 15);
    assert_true(invalid >= 25);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        g_printerr("usage: %s DIR\n", argv[0]);
        return 2;
    }
    data_dir = argv[1];
    /* The goldens hold the default paths. */
    g_unsetenv("PVGPU_RUNTIME_DIR");
    g_unsetenv("PVGPU_LOG_DIR");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
