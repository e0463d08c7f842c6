/*
 * enable, disable and sync on domain documents (no libvirt): the pvgpu
 * metadata and the two derived <qemu:arg> are written, other metadata and
 * other QEMU arguments stay as they were, a hand-edited argument is
 * repaired. libvirt's test driver drops <qemu:commandline>, so this part of
 * the round trip is tested here (test-pvgpuctl-libvirt.c does the rest).
 */
#include "pvgpu-xml.h"
#include "pvgpuctl-edit.h"
#include "pvgpuctl-emulator.h"
#include "pvgpuctl-error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#define Q35_UUID "0c7e9a53-6f0e-4b63-8d9c-5a8f0e1e2a01"
#define Q35_DEVICE                                                            \
    "pvgpu,id=pvgpu0,bus=pcie.0,addr=0x1e,shmem_size=256M,"                   \
    "backend_pipe=/run/pvgpu/" Q35_UUID "/device.sock"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlBuffer, xmlBufferFree)

static xmlDoc *load(const char *name)
{
    g_autofree char *path =
        g_build_filename(g_getenv("PVGPUCTL_TEST_DIR"), "edit", name, NULL);
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    xmlDoc *doc;

    assert_true(g_file_get_contents(path, &data, &len, NULL));
    doc = pvgpu_xml_parse(data, len, &error);
    assert_non_null(doc);
    return doc;
}

/* The value of every <qemu:arg>, in document order, joined by " | ". */
static char *qemu_args(xmlDoc *doc)
{
    xmlNode *root = xmlDocGetRootElement(doc);
    GString *out = g_string_new(NULL);

    for (xmlNode *cl = root->children; cl; cl = cl->next) {
        if (!pvgpu_xml_is(cl, "commandline", PVGPU_QEMU_NS)) {
            continue;
        }
        for (xmlNode *a = cl->children; a; a = a->next) {
            xmlChar *v;

            if (!pvgpu_xml_is(a, "arg", PVGPU_QEMU_NS)) {
                continue;
            }
            v = xmlGetNoNsProp(a, (const xmlChar *)"value");
            g_string_append_printf(out, "%s%s", out->len ? " | " : "",
                                   (const char *)v);
            xmlFree(v);
        }
    }
    return g_string_free(out, FALSE);
}

/* The <pvgpu:gpu> element as text, NULL when there is none. */
static char *gpu_element(xmlDoc *doc)
{
    xmlNode *metadata =
        pvgpu_xml_child(xmlDocGetRootElement(doc), "metadata", NULL);
    xmlNode *gpu = pvgpu_xml_child(metadata, "gpu", PVGPU_METADATA_NS);
    g_autoptr(xmlBuffer) buf = NULL;
    char *text;

    if (gpu == NULL) {
        return NULL;
    }
    buf = xmlBufferCreate();
    xmlNodeDump(buf, doc, gpu, 0, 0);
    text = g_strdup((const char *)xmlBufferContent(buf));
    return text;
}

static gboolean has_note(xmlDoc *doc, const char *text)
{
    xmlNode *metadata =
        pvgpu_xml_child(xmlDocGetRootElement(doc), "metadata", NULL);
    xmlNode *note = pvgpu_xml_child(metadata, "keep", "urn:example:note");
    xmlChar *content = note ? xmlNodeGetContent(note) : NULL;
    gboolean same = content && strcmp((const char *)content, text) == 0;

    xmlFree(content);
    return same;
}

static PvgpuctlArgs *options(PvgpuctlOptionFlags given)
{
    PvgpuctlArgs *args = g_new0(PvgpuctlArgs, 1);

    args->given = given;
    return args;
}

static void run_edit(PvgpuctlEditFunc edit, xmlDoc *doc,
                     const PvgpuctlArgs *args, PvgpuDomainConfig **config)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(PvgpuctlArgs) none = options(0);

    if (!edit(doc, "vm", args ? args : none, config, &error)) {
        fail_msg("edit failed: %s", error->message);
    }
}

static void enable(xmlDoc *doc, const PvgpuctlArgs *args)
{
    g_autoptr(PvgpuDomainConfig) config = NULL;

    run_edit(pvgpuctl_edit_enable, doc, args, &config);
    assert_non_null(config);
}

static void test_enable_q35_keeps_user_args(void **state)
{
    g_autoptr(xmlDoc) doc = load("q35-user-args.xml");
    g_autoptr(PvgpuDomainConfig) config = NULL;
    g_autofree char *args = NULL;
    g_autofree char *gpu = NULL;
    g_autoptr(GError) error = NULL;

    (void)state;
    run_edit(pvgpuctl_edit_enable, doc, NULL, &config);
    assert_string_equal(config->uuid, Q35_UUID);
    assert_int_equal(config->shmem_size, 256u << 20);
    args = qemu_args(doc);
    assert_string_equal(args,
                        "-global | kvm-pit.lost_tick_policy=delay | "
                        "-device | virtio-rng-pci | -device | " Q35_DEVICE);
    gpu = gpu_element(doc);
    assert_string_equal(
        gpu,
        "<pvgpu:gpu xmlns:pvgpu=\"urn:x-pvgpu:domain:1.0\" shmem=\"256M\"/>");
    assert_true(has_note(doc, "keep me"));
    assert_true(pvgpu_domain_check_commandline(doc, config, &error));
}

static void test_enable_pc_creates_commandline(void **state)
{
    g_autoptr(xmlDoc) doc = load("pc-plain.xml");
    g_autoptr(PvgpuctlArgs) args =
        options(PVGPUCTL_OPT_SHMEM | PVGPUCTL_OPT_DISPLAY |
                PVGPUCTL_OPT_MEMORY_BUDGET);
    g_autofree char *values = NULL;
    g_autofree char *gpu = NULL;

    (void)state;
    args->shmem_size = 1ull << 30;
    args->display_width = 800;
    args->display_height = 600;
    args->memory_budget = 2ull << 30;
    enable(doc, args);
    values = qemu_args(doc);
    assert_string_equal(values,
                        "-device | pvgpu,id=pvgpu0,bus=pci.0,addr=0x1f,"
                        "shmem_size=1G,backend_pipe=/run/pvgpu/"
                        "0c7e9a53-6f0e-4b63-8d9c-5a8f0e1e2a02/device.sock");
    gpu = gpu_element(doc);
    assert_non_null(strstr(gpu, "shmem=\"1G\""));
    assert_non_null(strstr(gpu, "memory-budget=\"2G\""));
    assert_non_null(strstr(gpu, "display=\"800x600\""));
    assert_null(strstr(gpu, "slot="));
}

static void test_enable_again_changes_nothing(void **state)
{
    g_autoptr(xmlDoc) doc = load("q35-user-args.xml");
    g_autofree char *once = NULL;
    g_autofree char *twice = NULL;

    (void)state;
    enable(doc, NULL);
    once = pvgpuctl_edit_canonical_text(doc);
    enable(doc, NULL);
    twice = pvgpuctl_edit_canonical_text(doc);
    assert_string_equal(once, twice);
}

/* --emulator replaces <emulator>, and adds it first among the devices of
 * a definition that has none. */
static void test_enable_emulator(void **state)
{
    g_autoptr(xmlDoc) doc = load("q35-user-args.xml");
    PvgpuctlArgs args = { .given = PVGPUCTL_OPT_EMULATOR,
                          .emulator = "/opt/pvgpu/bin/qemu-system-x86_64" };
    g_autofree char *path = NULL;

    (void)state;
    enable(doc, &args);
    path = pvgpuctl_emulator_of(doc);
    assert_string_equal(path, "/opt/pvgpu/bin/qemu-system-x86_64");

    xmlNode *devices = NULL;
    for (xmlNode *n = xmlDocGetRootElement(doc)->children; n; n = n->next) {
        if (pvgpu_xml_is(n, "devices", NULL)) {
            devices = n;
        }
    }
    assert_non_null(devices);
    xmlNode *emulator = pvgpu_xml_child(devices, "emulator", NULL);
    xmlUnlinkNode(emulator);
    xmlFreeNode(emulator);
    g_clear_pointer(&path, g_free);
    assert_null(pvgpuctl_emulator_of(doc));
    enable(doc, &args);
    path = pvgpuctl_emulator_of(doc);
    assert_string_equal(path, "/opt/pvgpu/bin/qemu-system-x86_64");
    xmlNode *first = devices->children;
    while (first != NULL && first->type != XML_ELEMENT_NODE) {
        first = first->next;
    }
    assert_true(pvgpu_xml_is(first, "emulator", NULL));
}

static void test_enable_keeps_values_not_given(void **state)
{
    g_autoptr(xmlDoc) doc = load("q35-user-args.xml");
    g_autoptr(PvgpuctlArgs) first =
        options(PVGPUCTL_OPT_DISPLAY | PVGPUCTL_OPT_SLOT);
    g_autoptr(PvgpuctlArgs) second = options(PVGPUCTL_OPT_SHMEM);
    g_autoptr(PvgpuDomainConfig) config = NULL;
    g_autofree char *values = NULL;

    (void)state;
    first->display_width = 1024;
    first->display_height = 768;
    first->slot = 0x10;
    enable(doc, first);
    second->shmem_size = 64u << 20;
    run_edit(pvgpuctl_edit_enable, doc, second, &config);
    assert_int_equal(config->shmem_size, 64u << 20);
    assert_int_equal(config->display_width, 1024);
    assert_int_equal(config->display_height, 768);
    assert_int_equal(config->slot, 0x10);
    values = qemu_args(doc);
    assert_non_null(strstr(values, "bus=pcie.0,addr=0x10,shmem_size=64M,"));
}

static void test_disable_restores_original(void **state)
{
    g_autoptr(xmlDoc) doc = load("q35-user-args.xml");
    g_autofree char *original = pvgpuctl_edit_canonical_text(doc);
    g_autofree char *enabled = NULL;
    g_autofree char *disabled = NULL;
    g_autoptr(PvgpuDomainConfig) config = NULL;

    (void)state;
    enable(doc, NULL);
    enabled = pvgpuctl_edit_canonical_text(doc);
    assert_string_not_equal(original, enabled);
    run_edit(pvgpuctl_edit_disable, doc, NULL, &config);
    assert_null(config);
    disabled = pvgpuctl_edit_canonical_text(doc);
    assert_string_equal(original, disabled);
    assert_true(has_note(doc, "keep me"));
}

static void test_disable_pc_removes_what_enable_added(void **state)
{
    g_autoptr(xmlDoc) doc = load("pc-plain.xml");
    g_autoptr(PvgpuDomainConfig) config = NULL;
    g_autofree char *args = NULL;
    xmlNode *root = xmlDocGetRootElement(doc);

    (void)state;
    enable(doc, NULL);
    run_edit(pvgpuctl_edit_disable, doc, NULL, &config);
    args = qemu_args(doc);
    assert_string_equal(args, "");
    assert_null(gpu_element(doc));
    assert_null(pvgpu_xml_child(root, "metadata", NULL));
    assert_null(pvgpu_xml_child(root, "commandline", PVGPU_QEMU_NS));
}

static void test_disable_without_pvgpu_changes_nothing(void **state)
{
    g_autoptr(xmlDoc) doc = load("q35-user-args.xml");
    g_autofree char *before = pvgpuctl_edit_canonical_text(doc);
    g_autofree char *after = NULL;
    g_autoptr(PvgpuDomainConfig) config = NULL;

    (void)state;
    run_edit(pvgpuctl_edit_disable, doc, NULL, &config);
    after = pvgpuctl_edit_canonical_text(doc);
    assert_string_equal(before, after);
}

/* The pvgpu device argument of doc, for editing by hand. */
static xmlNode *pvgpu_arg(xmlDoc *doc)
{
    xmlNode *cl = pvgpu_xml_child(xmlDocGetRootElement(doc), "commandline",
                                  PVGPU_QEMU_NS);

    for (xmlNode *a = cl ? cl->children : NULL; a; a = a->next) {
        xmlChar *v = pvgpu_xml_is(a, "arg", PVGPU_QEMU_NS)
                         ? xmlGetNoNsProp(a, (const xmlChar *)"value")
                         : NULL;
        gboolean ours = v && g_str_has_prefix((const char *)v, "pvgpu,");

        xmlFree(v);
        if (ours) {
            return a;
        }
    }
    fail_msg("no pvgpu argument");
    return NULL;
}

static void test_sync_repairs_hand_edited_arg(void **state)
{
    g_autoptr(xmlDoc) doc = load("q35-user-args.xml");
    g_autoptr(PvgpuDomainConfig) config = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *args = NULL;

    (void)state;
    enable(doc, NULL);
    xmlSetProp(pvgpu_arg(doc), (const xmlChar *)"value",
               (const xmlChar *)"pvgpu,id=pvgpu0,shmem_size=128M");
    run_edit(pvgpuctl_edit_sync, doc, NULL, &config);
    assert_true(pvgpu_domain_check_commandline(doc, config, &error));
    args = qemu_args(doc);
    assert_string_equal(args,
                        "-global | kvm-pit.lost_tick_policy=delay | "
                        "-device | virtio-rng-pci | -device | " Q35_DEVICE);
}

/* q35-user-args.xml enabled, then its shmem attribute edited by hand. */
static xmlDoc *enabled_with_shmem(const char *shmem)
{
    xmlDoc *doc = load("q35-user-args.xml");
    xmlNode *gpu;

    enable(doc, NULL);
    gpu = pvgpu_xml_child(
        pvgpu_xml_child(xmlDocGetRootElement(doc), "metadata", NULL), "gpu",
        PVGPU_METADATA_NS);
    xmlSetProp(gpu, (const xmlChar *)"shmem", (const xmlChar *)shmem);
    return doc;
}

static void test_sync_follows_edited_metadata(void **state)
{
    g_autoptr(xmlDoc) doc = enabled_with_shmem("1048576K");
    g_autoptr(PvgpuDomainConfig) config = NULL;
    g_autofree char *values = NULL;

    (void)state;
    run_edit(pvgpuctl_edit_sync, doc, NULL, &config);
    assert_int_equal(config->shmem_size, 1ull << 30);
    values = qemu_args(doc);
    assert_non_null(strstr(values, ",shmem_size=1G,"));
}

static void test_sync_removes_duplicate_device(void **state)
{
    g_autoptr(xmlDoc) doc = load("q35-user-args.xml");
    g_autoptr(PvgpuDomainConfig) config = NULL;
    xmlNode *cl = pvgpu_xml_child(xmlDocGetRootElement(doc), "commandline",
                                  PVGPU_QEMU_NS);
    g_autofree char *args = NULL;

    (void)state;
    enable(doc, NULL);
    xmlSetProp(xmlNewChild(cl, cl->ns, (const xmlChar *)"arg", NULL),
               (const xmlChar *)"value", (const xmlChar *)"-device");
    xmlSetProp(xmlNewChild(cl, cl->ns, (const xmlChar *)"arg", NULL),
               (const xmlChar *)"value", (const xmlChar *)"pvgpu,id=old");
    run_edit(pvgpuctl_edit_sync, doc, NULL, &config);
    args = qemu_args(doc);
    assert_string_equal(args,
                        "-global | kvm-pit.lost_tick_policy=delay | "
                        "-device | virtio-rng-pci | -device | " Q35_DEVICE);
}

static void expect_edit_error(PvgpuctlEditFunc edit, xmlDoc *doc,
                              const PvgpuctlArgs *args, const char *part)
{
    g_autoptr(PvgpuDomainConfig) config = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(PvgpuctlArgs) none = options(0);

    assert_false(edit(doc, "vm", args ? args : none, &config, &error));
    assert_null(config);
    assert_true(g_error_matches(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_FAILED));
    if (strstr(error->message, part) == NULL) {
        fail_msg("message '%s' lacks '%s'", error->message, part);
    }
}

static void test_sync_without_metadata(void **state)
{
    g_autoptr(xmlDoc) doc = load("pc-plain.xml");

    (void)state;
    expect_edit_error(pvgpuctl_edit_sync, doc, NULL,
                      "domain 'vm' has no pvgpu metadata; add it with "
                      "'pvgpuctl enable vm'");
}

static void test_invalid_metadata(void **state)
{
    g_autoptr(xmlDoc) doc = enabled_with_shmem("3M");
    g_autoptr(PvgpuDomainConfig) config = NULL;
    g_autofree char *values = NULL;

    (void)state;
    expect_edit_error(pvgpuctl_edit_enable, doc, NULL, "is invalid: shmem");
    expect_edit_error(pvgpuctl_edit_sync, doc, NULL, "power of two");
    /* disable still removes it */
    run_edit(pvgpuctl_edit_disable, doc, NULL, &config);
    assert_null(gpu_element(doc));
    values = qemu_args(doc);
    assert_null(strstr(values, "pvgpu,"));
}

static void test_slot_of_ich9_refused_on_q35(void **state)
{
    g_autoptr(xmlDoc) doc = load("q35-user-args.xml");
    g_autoptr(PvgpuctlArgs) args = options(PVGPUCTL_OPT_SLOT);

    (void)state;
    args->slot = 0x1f;
    expect_edit_error(pvgpuctl_edit_enable, doc, args,
                      "these pvgpu settings do not fit domain 'vm': slot "
                      "0x1f holds the ICH9");
}

/* A document without <uuid> (not defined yet) gets nothing written. */
static void test_enable_without_uuid(void **state)
{
    static const char xml[] = "<domain type='qemu'><name>vm</name>"
                              "<os><type machine='q35'>hvm</type></os>"
                              "</domain>";
    g_autoptr(xmlDoc) doc = pvgpu_xml_parse(xml, sizeof(xml) - 1, NULL);

    (void)state;
    assert_non_null(doc);
    expect_edit_error(pvgpuctl_edit_enable, doc, NULL,
                      "cannot enable pvgpu on domain 'vm': the domain XML "
                      "has no <uuid>");
    assert_null(gpu_element(doc));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enable_q35_keeps_user_args),
        cmocka_unit_test(test_enable_pc_creates_commandline),
        cmocka_unit_test(test_enable_again_changes_nothing),
        cmocka_unit_test(test_enable_emulator),
        cmocka_unit_test(test_enable_keeps_values_not_given),
        cmocka_unit_test(test_disable_restores_original),
        cmocka_unit_test(test_disable_pc_removes_what_enable_added),
        cmocka_unit_test(test_disable_without_pvgpu_changes_nothing),
        cmocka_unit_test(test_sync_repairs_hand_edited_arg),
        cmocka_unit_test(test_sync_follows_edited_metadata),
        cmocka_unit_test(test_sync_removes_duplicate_device),
        cmocka_unit_test(test_sync_without_metadata),
        cmocka_unit_test(test_invalid_metadata),
        cmocka_unit_test(test_slot_of_ich9_refused_on_q35),
        cmocka_unit_test(test_enable_without_uuid),
    };

    /* the derived paths under the default runtime directory */
    g_unsetenv("PVGPU_RUNTIME_DIR");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
