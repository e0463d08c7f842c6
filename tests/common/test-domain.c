/* SPDX-License-Identifier: MIT */
/*
 * pvgpu-domain: derived paths, QEMU arguments for q35 and pc, the
 * command-line check and its messages, and pvgpu_domain_apply() round trips
 * that must keep other <qemu:arg> and other metadata namespaces intact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "pvgpu-domain.h"
#include "pvgpu-error.h"
#include "pvgpu-xml.h"

#define UUID "3f9c1c2e-8b7a-4d6e-9f10-2a3b4c5d6e7f"
#define UUID_UPPER "3F9C1C2E-8B7A-4D6E-9F10-2A3B4C5D6E7F"
#define QEMU_NS_DECL "xmlns:qemu='" PVGPU_QEMU_NS "'"
#define GPU(attrs) \
    "<pvgpu:gpu xmlns:pvgpu='" PVGPU_METADATA_NS "' " attrs "/>"
#define ARG(v) "<qemu:arg value='" v "'/>"
#define Q35_DEVICE(size) \
    "pvgpu,id=pvgpu0,bus=pcie.0,addr=0x1e,shmem_size=" size \
    ",backend_pipe=/run/pvgpu/" UUID "/device.sock"

/* A q35 domain with the given <metadata> and <qemu:commandline> content. */
static char *domain_xml(const char *name, const char *metadata,
                        const char *args)
{
    return g_strdup_printf(
        "<domain type='qemu' " QEMU_NS_DECL ">\n"
        "  <name>%s</name>\n"
        "  <uuid>" UUID "</uuid>\n"
        "%s%s%s"
        "  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>\n"
        "%s%s%s"
        "</domain>\n",
        name, metadata ? "  <metadata>\n    " : "", metadata ? metadata : "",
        metadata ? "\n  </metadata>\n" : "",
        args ? "  <qemu:commandline>\n    " : "", args ? args : "",
        args ? "\n  </qemu:commandline>\n" : "");
}

static xmlDoc *parse(const char *xml)
{
    g_autoptr(GError) error = NULL;
    xmlDoc *doc = pvgpu_xml_parse(xml, strlen(xml), &error);
    if (doc == NULL) {
        print_error("%s\n", error->message);
    }
    assert_non_null(doc);
    return doc;
}

static PvgpuDomainConfig *config_of(xmlDoc *doc)
{
    PvgpuDomainConfig *config = NULL;
    g_autoptr(GError) error = NULL;
    if (!pvgpu_domain_config_from_xml(doc, &config, &error)) {
        print_error("%s\n", error->message);
        fail();
    }
    assert_non_null(config);
    return config;
}

static char *dump(xmlDoc *doc)
{
    xmlChar *xml = NULL;
    int len = 0;
    xmlDocDumpMemory(doc, &xml, &len);
    char *copy = g_strndup((const char *)xml, (gsize)len);
    xmlFree(xml);
    return copy;
}

/* Values of the nodes an XPath selects (qemu, pvgpu, app prefixes). */
static GPtrArray *xpath_values(xmlDoc *doc, const char *expr)
{
    xmlXPathContext *ctxt = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(ctxt, (const xmlChar *)"qemu",
                       (const xmlChar *)PVGPU_QEMU_NS);
    xmlXPathRegisterNs(ctxt, (const xmlChar *)"pvgpu",
                       (const xmlChar *)PVGPU_METADATA_NS);
    xmlXPathRegisterNs(ctxt, (const xmlChar *)"app",
                       (const xmlChar *)"urn:example:app");
    xmlXPathObject *result = xmlXPathEvalExpression((const xmlChar *)expr,
                                                    ctxt);
    assert_non_null(result);
    GPtrArray *values = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; result->nodesetval != NULL &&
                    i < result->nodesetval->nodeNr; i++) {
        xmlChar *v = xmlNodeGetContent(result->nodesetval->nodeTab[i]);
        g_ptr_array_add(values, g_strdup((const char *)v));
        xmlFree(v);
    }
    xmlXPathFreeObject(result);
    xmlXPathFreeContext(ctxt);
    return values;
}

static char *joined(GPtrArray *values)
{
    g_autoptr(GString) s = g_string_new(NULL);
    for (guint i = 0; i < values->len; i++) {
        g_string_append_printf(s, "%s%s", i ? "|" : "",
                               (const char *)values->pdata[i]);
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static char *arg_values(xmlDoc *doc)
{
    g_autoptr(GPtrArray) v = xpath_values(doc,
                                          "/domain/qemu:commandline/qemu:arg/@value");
    return joined(v);
}

static int reset_env(void **state)
{
    (void)state;
    g_unsetenv("PVGPU_RUNTIME_DIR");
    g_unsetenv("PVGPU_LOG_DIR");
    return 0;
}

static void test_paths_default(void **state)
{
    (void)state;
    g_autofree char *xml = domain_xml("vm1", GPU("shmem='256M'"), NULL);
    g_autoptr(xmlDoc) doc = parse(xml);
    g_autoptr(PvgpuDomainConfig) c = config_of(doc);
    g_autofree char *dir = pvgpu_domain_runtime_dir(c);
    g_autofree char *device = pvgpu_domain_device_socket(c);
    g_autofree char *control = pvgpu_domain_control_socket(c);
    g_autofree char *pidfile = pvgpu_domain_pidfile(c);
    g_autofree char *log = pvgpu_domain_log_path(c);
    assert_string_equal(dir, "/run/pvgpu/" UUID);
    assert_string_equal(device, "/run/pvgpu/" UUID "/device.sock");
    assert_string_equal(control, "/run/pvgpu/" UUID "/control.sock");
    assert_string_equal(pidfile, "/run/pvgpu/" UUID "/backend.pid");
    assert_string_equal(log, "/var/log/pvgpu/" UUID ".log");
    assert_string_equal(c->name, "vm1");
    assert_string_equal(c->machine, "pc-q35-7.2");
    assert_true(c->memory_budget == PVGPU_DEFAULT_MEMORY_BUDGET);
}

static void test_paths_from_environment(void **state)
{
    (void)state;
    g_setenv("PVGPU_RUNTIME_DIR", "/tmp/r", TRUE);
    g_setenv("PVGPU_LOG_DIR", "/tmp/l", TRUE);
    g_autofree char *xml = domain_xml("vm1", GPU("shmem='256M'"), NULL);
    g_autoptr(xmlDoc) doc = parse(xml);
    g_autoptr(PvgpuDomainConfig) c = config_of(doc);
    g_autofree char *device = pvgpu_domain_device_socket(c);
    g_autofree char *log = pvgpu_domain_log_path(c);
    assert_string_equal(device, "/tmp/r/" UUID "/device.sock");
    assert_string_equal(log, "/tmp/l/" UUID ".log");
}

static void expect_path_error(const char *message_part)
{
    g_autofree char *xml = domain_xml("vm1", GPU("shmem='256M'"), NULL);
    g_autoptr(xmlDoc) doc = parse(xml);
    g_autoptr(PvgpuDomainConfig) c = NULL;
    g_autoptr(GError) error = NULL;
    assert_false(pvgpu_domain_config_from_xml(doc, &c, &error));
    assert_null(c);
    assert_true(g_error_matches(error, PVGPU_COMMON_ERROR,
                                PVGPU_COMMON_ERROR_PATH));
    if (strstr(error->message, message_part) == NULL) {
        print_error("got \"%s\"\n", error->message);
        fail();
    }
}

/* sun_path holds 108 bytes with the NUL: 107 is the longest usable path. */
static void test_socket_path_limit(void **state)
{
    (void)state;
    /* base + "/" + 36 (uuid) + "/control.sock" (13) = base + 50 */
    g_autofree char *fits = g_strnfill(107 - 50, 'a');
    fits[0] = '/';
    g_setenv("PVGPU_RUNTIME_DIR", fits, TRUE);
    {
        g_autofree char *xml = domain_xml("vm1", GPU("shmem='256M'"), NULL);
        g_autoptr(xmlDoc) doc = parse(xml);
        g_autoptr(PvgpuDomainConfig) c = config_of(doc);
        g_autofree char *control = pvgpu_domain_control_socket(c);
        assert_int_equal(strlen(control), 107);
    }
    g_autofree char *too_long = g_strnfill(108 - 50, 'a');
    too_long[0] = '/';
    g_setenv("PVGPU_RUNTIME_DIR", too_long, TRUE);
    expect_path_error("is 108 bytes long; Unix socket paths must be shorter "
                      "than 108 bytes");
    g_autofree char *hostile = g_strnfill(100000, 'a');
    hostile[0] = '/';
    g_setenv("PVGPU_RUNTIME_DIR", hostile, TRUE);
    expect_path_error("must be shorter than 108 bytes");
}

static void test_relative_base_refused(void **state)
{
    (void)state;
    g_setenv("PVGPU_RUNTIME_DIR", "run/pvgpu", TRUE);
    expect_path_error("PVGPU_RUNTIME_DIR='run/pvgpu' must be an absolute path");
    g_unsetenv("PVGPU_RUNTIME_DIR");
    g_setenv("PVGPU_LOG_DIR", "logs", TRUE);
    expect_path_error("PVGPU_LOG_DIR='logs' must be an absolute path");
}

static void test_qemu_args_q35_and_pc(void **state)
{
    (void)state;
    static const struct {
        const char *machine;
        const char *slot_attr;
        const char *device;
    } cases[] = {
        { "pc-q35-7.2", "", Q35_DEVICE("256M") },
        { "q35", "slot='0x3'",
          "pvgpu,id=pvgpu0,bus=pcie.0,addr=0x03,shmem_size=256M,"
          "backend_pipe=/run/pvgpu/" UUID "/device.sock" },
        { "pc-i440fx-7.2", "",
          "pvgpu,id=pvgpu0,bus=pci.0,addr=0x1f,shmem_size=256M,"
          "backend_pipe=/run/pvgpu/" UUID "/device.sock" },
        { "pc", "slot='0x1f'",
          "pvgpu,id=pvgpu0,bus=pci.0,addr=0x1f,shmem_size=256M,"
          "backend_pipe=/run/pvgpu/" UUID "/device.sock" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *xml = g_strdup_printf(
            "<domain><name>vm1</name><uuid>" UUID "</uuid><metadata>"
            "<pvgpu:gpu xmlns:pvgpu='" PVGPU_METADATA_NS "' shmem='256M' %s/>"
            "</metadata><os><type machine='%s'>hvm</type></os></domain>",
            cases[i].slot_attr, cases[i].machine);
        g_autoptr(xmlDoc) doc = parse(xml);
        g_autoptr(PvgpuDomainConfig) c = config_of(doc);
        g_autoptr(GPtrArray) args = pvgpu_domain_qemu_args(c);
        assert_int_equal(args->len, 2);
        assert_string_equal(args->pdata[0], "-device");
        assert_string_equal(args->pdata[1], cases[i].device);
    }
}

/* QEMU's option syntax doubles a comma inside a value. */
static void test_qemu_args_escape_comma(void **state)
{
    (void)state;
    g_setenv("PVGPU_RUNTIME_DIR", "/tmp/a,b", TRUE);
    g_autofree char *xml = domain_xml("vm1", GPU("shmem='4M'"), NULL);
    g_autoptr(xmlDoc) doc = parse(xml);
    g_autoptr(PvgpuDomainConfig) c = config_of(doc);
    g_autoptr(GPtrArray) args = pvgpu_domain_qemu_args(c);
    assert_string_equal(args->pdata[1],
                        "pvgpu,id=pvgpu0,bus=pcie.0,addr=0x1e,shmem_size=4M,"
                        "backend_pipe=/tmp/a,,b/" UUID "/device.sock");
}

static void expect_mismatch(const char *name, const char *args,
                            const char *message)
{
    g_autofree char *xml = domain_xml(name, GPU("shmem='256M'"), args);
    g_autoptr(xmlDoc) doc = parse(xml);
    g_autoptr(PvgpuDomainConfig) c = config_of(doc);
    g_autoptr(GError) error = NULL;
    assert_false(pvgpu_domain_check_commandline(doc, c, &error));
    assert_true(g_error_matches(error, PVGPU_COMMON_ERROR,
                                PVGPU_COMMON_ERROR_MISMATCH));
    if (strcmp(error->message, message) != 0) {
        print_error("got      \"%s\"\nexpected \"%s\"\n", error->message,
                    message);
        fail();
    }
}

static void test_check_commandline(void **state)
{
    (void)state;
    g_autofree char *xml = domain_xml(
        "vm1", GPU("shmem='256M'"),
        ARG("-set") ARG("x") ARG("-device") ARG(Q35_DEVICE("256M")));
    g_autoptr(xmlDoc) doc = parse(xml);
    g_autoptr(PvgpuDomainConfig) c = config_of(doc);
    g_autoptr(GError) error = NULL;
    assert_true(pvgpu_domain_check_commandline(doc, c, &error));
    assert_null(error);
}

static void test_check_commandline_mismatch_messages(void **state)
{
    (void)state;
    expect_mismatch("vm1", NULL,
                    "domain 'vm1': the QEMU command line has no pvgpu "
                    "device; run: pvgpuctl sync vm1");
    expect_mismatch("vm1", ARG("-device") ARG("virtio-rng-pci"),
                    "domain 'vm1': the QEMU command line has no pvgpu "
                    "device; run: pvgpuctl sync vm1");
    /* "pvgpu,..." not after -device is not a device of ours */
    expect_mismatch("vm1", ARG("-set") ARG(Q35_DEVICE("256M")),
                    "domain 'vm1': the QEMU command line has no pvgpu "
                    "device; run: pvgpuctl sync vm1");
    expect_mismatch("vm1",
                    ARG("-device") ARG(Q35_DEVICE("256M"))
                    ARG("-device") ARG(Q35_DEVICE("256M")),
                    "domain 'vm1': the QEMU command line has 2 pvgpu "
                    "devices; run: pvgpuctl sync vm1");
    expect_mismatch("vm1", ARG("-device") ARG(Q35_DEVICE("512M")),
                    "domain 'vm1': the QEMU command line has '"
                    Q35_DEVICE("512M") "' but the pvgpu metadata needs '"
                    Q35_DEVICE("256M") "'; run: pvgpuctl sync vm1");
    expect_mismatch("my vm", NULL,
                    "domain 'my vm': the QEMU command line has no pvgpu "
                    "device; run: pvgpuctl sync 'my vm'");
}

static const char *const user_args =
    ARG("-chardev") ARG("socket,id=c0,path=/tmp/c0")
    ARG("-device") ARG("pvgpu,id=pvgpu0,old=1")
    ARG("-device") ARG("virtio-rng-pci")
    ARG("-set") ARG("device.rng.x=1");

static const char *const other_metadata =
    "<app:settings xmlns:app='urn:example:app' level='3'><app:item/>"
    "</app:settings>";

static void test_apply_preserves_the_rest(void **state)
{
    (void)state;
    g_autofree char *metadata = g_strconcat(other_metadata,
                                            GPU("shmem='64M'"), NULL);
    g_autofree char *xml = domain_xml("vm1", metadata, user_args);
    g_autoptr(xmlDoc) doc = parse(xml);
    g_autoptr(PvgpuDomainConfig) c = config_of(doc);
    c->shmem_size = G_GUINT64_CONSTANT(1) << 30;
    c->display_width = 800;
    c->display_height = 600;
    assert_true(pvgpu_domain_apply(doc, c, NULL));

    g_autofree char *args = arg_values(doc);
    assert_string_equal(args,
                        "-chardev|socket,id=c0,path=/tmp/c0|-device|"
                        "virtio-rng-pci|-set|device.rng.x=1|-device|"
                        Q35_DEVICE("1G"));
    g_autoptr(GPtrArray) app = xpath_values(
        doc, "/domain/metadata/app:settings/@level | "
             "/domain/metadata/app:settings/app:item");
    assert_int_equal(app->len, 2);
    assert_string_equal(app->pdata[0], "3");
    g_autoptr(GPtrArray) gpu = xpath_values(
        doc, "/domain/metadata/pvgpu:gpu/@*");
    g_autofree char *gpu_attrs = joined(gpu);
    assert_string_equal(gpu_attrs, "1G|800x600");

    /* What apply wrote reads back as the same config and passes the check */
    g_autofree char *text = dump(doc);
    g_autoptr(xmlDoc) again = parse(text);
    g_autoptr(PvgpuDomainConfig) reread = config_of(again);
    assert_true(reread->shmem_size == c->shmem_size);
    assert_int_equal(reread->display_width, 800);
    assert_int_equal(reread->display_height, 600);
    assert_true(pvgpu_domain_check_commandline(again, reread, NULL));
}

static void test_apply_is_idempotent(void **state)
{
    (void)state;
    g_autofree char *metadata = g_strconcat(GPU("shmem='64M' slot='0x07'"),
                                            other_metadata, NULL);
    g_autofree char *xml = domain_xml("vm1", metadata, user_args);
    g_autoptr(xmlDoc) doc = parse(xml);
    g_autoptr(PvgpuDomainConfig) c = config_of(doc);
    assert_true(pvgpu_domain_apply(doc, c, NULL));
    g_autofree char *once = dump(doc);
    assert_true(pvgpu_domain_apply(doc, c, NULL));
    g_autofree char *twice = dump(doc);
    assert_string_equal(once, twice);
}

static void test_apply_creates_missing_elements(void **state)
{
    (void)state;
    static const char *const bare =
        "<domain type='qemu'><name>vm1</name><uuid>" UUID "</uuid>"
        "<os><type machine='q35'>hvm</type></os></domain>";
    g_autoptr(xmlDoc) doc = parse(bare);
    PvgpuDomainConfig c = {
        .uuid = (char *)UUID, .name = (char *)"vm1", .machine = (char *)"q35",
        .shmem_size = G_GUINT64_CONSTANT(256) << 20,
        .memory_budget = G_GUINT64_CONSTANT(2) << 30,
    };
    assert_true(pvgpu_domain_apply(doc, &c, NULL));
    g_autofree char *text = dump(doc);
    g_autoptr(xmlDoc) again = parse(text);
    g_autoptr(PvgpuDomainConfig) reread = config_of(again);
    assert_true(reread->memory_budget == c.memory_budget);
    assert_true(pvgpu_domain_check_commandline(again, reread, NULL));
    assert_non_null(strstr(text, "memory-budget=\"2G\""));
}

/* A root that binds "qemu" to another namespace gets ours declared on the
 * new <commandline> instead. */
static void test_apply_with_foreign_qemu_prefix(void **state)
{
    (void)state;
    static const char *const xml =
        "<domain xmlns:qemu='urn:example:not-qemu'><name>vm1</name>"
        "<uuid>" UUID "</uuid><metadata>" GPU("shmem='8M'") "</metadata>"
        "<os><type machine='q35'>hvm</type></os></domain>";
    g_autoptr(xmlDoc) doc = parse(xml);
    g_autoptr(PvgpuDomainConfig) c = config_of(doc);
    assert_true(pvgpu_domain_apply(doc, c, NULL));
    g_autofree char *text = dump(doc);
    g_autoptr(xmlDoc) again = parse(text);
    assert_true(pvgpu_domain_check_commandline(again, c, NULL));
    assert_non_null(strstr(text, "xmlns:qemu=\"urn:example:not-qemu\""));
}

static void test_apply_null_removes_ours_only(void **state)
{
    (void)state;
    g_autofree char *metadata = g_strconcat(other_metadata,
                                            GPU("shmem='64M'"), NULL);
    g_autofree char *xml = domain_xml("vm1", metadata, user_args);
    g_autoptr(xmlDoc) doc = parse(xml);
    assert_true(pvgpu_domain_apply(doc, NULL, NULL));

    g_autofree char *args = arg_values(doc);
    assert_string_equal(args,
                        "-chardev|socket,id=c0,path=/tmp/c0|-device|"
                        "virtio-rng-pci|-set|device.rng.x=1");
    g_autoptr(GPtrArray) app = xpath_values(doc,
                                            "/domain/metadata/app:settings");
    assert_int_equal(app->len, 1);
    g_autoptr(PvgpuDomainConfig) c = NULL;
    assert_true(pvgpu_domain_config_from_xml(doc, &c, NULL));
    assert_null(c);
}

static void test_apply_null_drops_emptied_elements(void **state)
{
    (void)state;
    g_autofree char *xml = domain_xml(
        "vm1", GPU("shmem='64M'"),
        ARG("-device") ARG(Q35_DEVICE("64M")));
    g_autoptr(xmlDoc) doc = parse(xml);
    assert_true(pvgpu_domain_apply(doc, NULL, NULL));
    g_autofree char *text = dump(doc);
    assert_null(strstr(text, "commandline"));
    assert_null(strstr(text, "metadata"));
    assert_null(strstr(text, "pvgpu"));
    /* Removing from a domain that never had pvgpu is fine too */
    assert_true(pvgpu_domain_apply(doc, NULL, NULL));
}

static void test_apply_replaces_other_pvgpu_versions(void **state)
{
    (void)state;
    g_autofree char *xml = domain_xml(
        "vm1",
        "<v2:gpu xmlns:v2='urn:x-pvgpu:domain:2.0' shmem='64M' future='1'/>",
        NULL);
    g_autoptr(xmlDoc) doc = parse(xml);
    PvgpuDomainConfig c = {
        .uuid = (char *)UUID, .name = (char *)"vm1", .machine = (char *)"q35",
        .shmem_size = G_GUINT64_CONSTANT(16) << 20,
        .memory_budget = PVGPU_DEFAULT_MEMORY_BUDGET,
    };
    assert_true(pvgpu_domain_apply(doc, &c, NULL));
    g_autoptr(PvgpuDomainConfig) reread = config_of(doc);
    assert_true(reread->shmem_size == c.shmem_size);
}

/* What pvgpuctl enable starts from on a domain without pvgpu metadata. */
static void test_new_default(void **state)
{
    (void)state;
    g_autofree char *xml = domain_xml("vm", NULL, NULL);
    g_autoptr(xmlDoc) doc = parse(xml);
    g_autoptr(GError) error = NULL;
    g_autoptr(PvgpuDomainConfig) c = pvgpu_domain_config_new_default(doc,
                                                                     &error);
    assert_non_null(c);
    assert_string_equal(c->uuid, UUID);
    assert_string_equal(c->name, "vm");
    assert_string_equal(c->machine, "pc-q35-7.2");
    assert_true(c->shmem_size == G_GUINT64_CONSTANT(256) << 20);
    assert_true(c->memory_budget == PVGPU_DEFAULT_MEMORY_BUDGET);
    assert_int_equal(c->display_width, 0);
    assert_int_equal(c->slot, 0);
    /* written and read back, it is the same configuration */
    assert_true(pvgpu_domain_apply(doc, c, &error));
    g_autoptr(PvgpuDomainConfig) reread = config_of(doc);
    assert_true(reread->shmem_size == c->shmem_size);
    g_autofree char *args = arg_values(doc);
    assert_string_equal(args, "-device|" Q35_DEVICE("256M"));
}

static void test_new_default_identity(void **state)
{
    (void)state;
    static const struct {
        const char *xml;
        const char *uuid, *machine, *error;
    } cases[] = {
        { "<domain><name> vm </name><uuid>" UUID_UPPER "</uuid></domain>",
          UUID, NULL, NULL },
        { "<domain><name>vm</name><uuid>" UUID "</uuid><os><type "
          "machine='pc-i440fx-7.2'>hvm</type></os></domain>",
          UUID, "pc-i440fx-7.2", NULL },
        { "<domain><name>vm</name></domain>", NULL, NULL,
          "the domain XML has no <uuid>" },
        { "<domain><name>vm</name><uuid>../../etc</uuid></domain>", NULL, NULL,
          "the domain <uuid> '../../etc' is not a UUID" },
        { "<domain><uuid>" UUID "</uuid></domain>", NULL, NULL,
          "the domain XML has no <name>" },
        { "<network><name>vm</name></network>", NULL, NULL,
          "the XML is not a libvirt <domain>" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(xmlDoc) doc = parse(cases[i].xml);
        g_autoptr(GError) error = NULL;
        g_autoptr(PvgpuDomainConfig) c =
            pvgpu_domain_config_new_default(doc, &error);
        if (cases[i].error == NULL) {
            assert_non_null(c);
            assert_string_equal(c->name, "vm");
            assert_string_equal(c->uuid, cases[i].uuid);
            assert_true(g_strcmp0(c->machine, cases[i].machine) == 0);
            continue;
        }
        assert_null(c);
        assert_true(g_error_matches(error, PVGPU_COMMON_ERROR,
                                    PVGPU_COMMON_ERROR_INVALID));
        if (strstr(error->message, cases[i].error) == NULL) {
            print_error("case %u: got \"%s\"\n", i, error->message);
            fail();
        }
    }
    /* derived paths are checked too */
    g_setenv("PVGPU_RUNTIME_DIR", "relative/run", TRUE);
    g_autofree char *xml = domain_xml("vm", NULL, NULL);
    g_autoptr(xmlDoc) doc = parse(xml);
    g_autoptr(GError) error = NULL;
    assert_null(pvgpu_domain_config_new_default(doc, &error));
    assert_true(g_error_matches(error, PVGPU_COMMON_ERROR,
                                PVGPU_COMMON_ERROR_PATH));
}

static void test_not_a_domain(void **state)
{
    (void)state;
    g_autoptr(xmlDoc) doc = parse("<network><name>n</name></network>");
    g_autoptr(PvgpuDomainConfig) c = NULL;
    g_autoptr(GError) error = NULL;
    assert_false(pvgpu_domain_apply(doc, NULL, &error));
    assert_non_null(strstr(error->message, "not a libvirt <domain>"));
    g_clear_error(&error);
    assert_false(pvgpu_domain_config_from_xml(doc, &c, &error));
    assert_non_null(strstr(error->message, "not a libvirt <domain>"));
}

static void test_xml_parse_refuses_dtd_and_garbage(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        { "<!DOCTYPE domain [<!ENTITY a 'aaaa'>]><domain>&a;</domain>",
          "must not contain a DTD" },
        { "<domain>", "is not well-formed" },
        { "", "is not well-formed" },
        { "\x01\x02", "is not well-formed" },
        /* found by fuzz-domain-metadata: pvgpu_domain_apply() declares
         * xmlns:qemu, which turned a stale undeclared <qemu:arg> pair into
         * a second pvgpu device once the document was written out */
        { "<domain><qemu:commandline><qemu:arg value='-device'/>"
          "</qemu:commandline></domain>", "namespace error" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(xmlDoc) doc = pvgpu_xml_parse(cases[i][0],
                                                strlen(cases[i][0]), &error);
        assert_null(doc);
        if (strstr(error->message, cases[i][1]) == NULL) {
            print_error("got \"%s\"\n", error->message);
            fail();
        }
        assert_null(strchr(error->message, '\n'));
    }
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, reset_env)
    const struct CMUnitTest tests[] = {
        T(test_paths_default),
        T(test_paths_from_environment),
        T(test_socket_path_limit),
        T(test_relative_base_refused),
        T(test_qemu_args_q35_and_pc),
        T(test_qemu_args_escape_comma),
        T(test_check_commandline),
        T(test_check_commandline_mismatch_messages),
        T(test_apply_preserves_the_rest),
        T(test_apply_is_idempotent),
        T(test_apply_creates_missing_elements),
        T(test_apply_with_foreign_qemu_prefix),
        T(test_apply_null_removes_ours_only),
        T(test_apply_null_drops_emptied_elements),
        T(test_apply_replaces_other_pvgpu_versions),
        T(test_new_default),
        T(test_new_default_identity),
        T(test_not_a_domain),
        T(test_xml_parse_refuses_dtd_and_garbage),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
