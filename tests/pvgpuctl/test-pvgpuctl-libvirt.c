/*
 * The commands against libvirt's test driver (test:///.../test-node.xml:
 * no daemon, every connection its own copy of the domains), with a fake
 * backend answering on the control socket where the status command looks.
 *
 * The test driver keeps <metadata> but drops <qemu:commandline>: enable and
 * sync therefore end with the error that says so, after the metadata was
 * stored; test-pvgpuctl-edit.c checks the QEMU arguments themselves.
 */
#include "pvgpu-xml.h"
#include "pvgpuctl-commands.h"
#include "pvgpuctl-edit.h"
#include "pvgpuctl-error.h"
#include "pvgpuctl-libvirt.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define VM_GPU_UUID "6f1b7e52-3f7c-4d0a-9a55-0c1c2f3e4a03"
#define VM_GPU_OFF_UUID "6f1b7e52-3f7c-4d0a-9a55-0c1c2f3e4a04"

#define STATUS_REPLY                                                          \
    "{\"ok\":true,\"status\":{\"version\":\"0.1.0\",\"pid\":4242,"            \
    "\"connected\":true,\"ready\":true,\"features\":12884901889,"             \
    "\"features_names\":[\"2d\",\"shmem-fd\",\"eventfd\"],"                   \
    "\"shmem_size\":67108864,\"generation\":1,\"counters\":{"                 \
    "\"doorbells\":5,\"commands\":17,\"bytes_uploaded\":4096,"                \
    "\"fences_completed\":3,\"irqs_sent\":3,\"errors\":0,\"resources\":1,"    \
    "\"resource_bytes\":3145728},\"last_error\":null,\"scanout\":null,"       \
    "\"presents\":2}}"

static char *runtime_dir;

/* ---- a fake backend: answers the next connections with fixed lines ---- */

/* A reply that is no line: the fake reads the request, then answers
 * nothing until the client gives up and closes. */
#define SILENT "(silent)"

typedef struct {
    char *path;
    int listen_fd;
    GPtrArray *replies; /* one per connection, without the newline */
    GPtrArray *requests; /* what arrived, without the newline */
    GThread *thread;
} FakeBackend;

static char *read_line(int fd)
{
    GString *line = g_string_new(NULL);
    char c;

    while (read(fd, &c, 1) == 1 && c != '\n' && line->len < 65536) {
        g_string_append_c(line, c);
    }
    return g_string_free(line, FALSE);
}

static gpointer fake_backend_serve(gpointer data)
{
    FakeBackend *fake = data;

    for (guint i = 0; i < fake->replies->len; i++) {
        struct pollfd p = { .fd = fake->listen_fd, .events = POLLIN };
        const char *reply = fake->replies->pdata[i];
        int fd;

        /* a command that never connects must not hang the test */
        if (poll(&p, 1, 10000) != 1) {
            break;
        }
        fd = accept(fake->listen_fd, NULL, NULL);
        if (fd < 0) {
            break;
        }
        g_ptr_array_add(fake->requests, read_line(fd));
        if (strcmp(reply, SILENT) == 0) {
            char c;

            while (read(fd, &c, 1) > 0) {
            }
        } else if (write(fd, reply, strlen(reply)) < 0 ||
                   write(fd, "\n", 1) < 0) {
            g_printerr("fake backend: write: %s\n", g_strerror(errno));
        }
        close(fd);
    }
    return NULL;
}

/* Listens on the control socket of the domain uuid and answers each of
 * the next connections with the next reply. */
static FakeBackend *fake_backend_start(const char *uuid, ...)
{
    FakeBackend *fake = g_new0(FakeBackend, 1);
    g_autofree char *dir = g_build_filename(runtime_dir, uuid, NULL);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    const char *reply;
    va_list ap;

    fake->replies = g_ptr_array_new_with_free_func(g_free);
    fake->requests = g_ptr_array_new_with_free_func(g_free);
    va_start(ap, uuid);
    while ((reply = va_arg(ap, const char *)) != NULL) {
        g_ptr_array_add(fake->replies, g_strdup(reply));
    }
    va_end(ap);
    assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
    fake->path = g_build_filename(dir, "control.sock", NULL);
    assert_true(strlen(fake->path) < sizeof(addr.sun_path));
    strcpy(addr.sun_path, fake->path);
    fake->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fake->listen_fd >= 0);
    assert_int_equal(
        bind(fake->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(fake->listen_fd, 4), 0);
    fake->thread = g_thread_new("fake-backend", fake_backend_serve, fake);
    return fake;
}

/* Waits for the thread (it ends after its replies or 10 s without a
 * connection), removes the socket and returns the requests received. */
static GPtrArray *fake_backend_stop(FakeBackend *fake)
{
    GPtrArray *requests = fake->requests;
    g_autofree char *dir = g_path_get_dirname(fake->path);

    g_thread_join(fake->thread);
    close(fake->listen_fd);
    unlink(fake->path);
    rmdir(dir);
    g_free(fake->path);
    g_ptr_array_unref(fake->replies);
    g_free(fake);
    return requests;
}

/* The requests a fake backend received must all be this one. */
static void expect_requests(FakeBackend *fake, guint n, const char *request)
{
    g_autoptr(GPtrArray) requests = fake_backend_stop(fake);

    assert_int_equal(requests->len, n);
    for (guint i = 0; i < n; i++) {
        assert_string_equal(requests->pdata[i], request);
    }
}

/* ---- running commands on one connection ---- */

static PvgpuctlContext *context_new(void)
{
    g_autofree char *node =
        g_build_filename(g_getenv("PVGPUCTL_TEST_DIR"), "test-node.xml", NULL);
    g_autofree char *uri = g_strconcat("test://", node, NULL);

    return pvgpuctl_context_new(uri);
}

static int setup(void **state)
{
    *state = context_new();
    return 0;
}

static int teardown(void **state)
{
    pvgpuctl_context_free(*state);
    return 0;
}

/* Runs "pvgpuctl LINE" on ctx's connection; ctx->out holds its output. */
static gboolean run(PvgpuctlContext *ctx, const char *line, GError **error)
{
    g_autofree char *full = g_strconcat("pvgpuctl ", line, NULL);
    g_auto(GStrv) argv = NULL;
    int argc = 0;
    g_autoptr(PvgpuctlArgs) args = NULL;
    g_autoptr(GError) parse_error = NULL;

    assert_true(g_shell_parse_argv(full, &argc, &argv, NULL));
    args = pvgpuctl_args_parse(argc, (const char *const *)argv, &parse_error);
    if (args == NULL) {
        fail_msg("'%s': %s", line, parse_error->message);
    }
    g_string_truncate(ctx->out, 0);
    return args->command->handler(ctx, args, error);
}

static void run_ok(PvgpuctlContext *ctx, const char *line)
{
    g_autoptr(GError) error = NULL;

    if (!run(ctx, line, &error)) {
        fail_msg("'%s': %s", line, error->message);
    }
}

static void run_fails(PvgpuctlContext *ctx, const char *line,
                      PvgpuctlErrorCode code, const char *part)
{
    g_autoptr(GError) error = NULL;

    if (run(ctx, line, &error)) {
        fail_msg("'%s' succeeded", line);
    }
    assert_true(g_error_matches(error, PVGPUCTL_ERROR, code));
    if (strstr(error->message, part) == NULL) {
        fail_msg("'%s': '%s' lacks '%s'", line, error->message, part);
    }
    assert_null(strchr(error->message, '\n'));
}

static xmlDoc *domain_xml(PvgpuctlContext *ctx, const char *name,
                          unsigned int flags)
{
    g_autoptr(virDomain) dom = virDomainLookupByName(ctx->conn, name);
    g_autoptr(GError) error = NULL;
    xmlDoc *doc;

    assert_non_null(dom);
    doc = pvgpuctl_domain_xml(dom, flags, &error);
    assert_non_null(doc);
    return doc;
}

static xmlNode *metadata_child(xmlDoc *doc, const char *name, const char *ns)
{
    return pvgpu_xml_child(
        pvgpu_xml_child(xmlDocGetRootElement(doc), "metadata", NULL), name,
        ns);
}

static char *gpu_attr(xmlDoc *doc, const char *attr)
{
    xmlNode *gpu = metadata_child(doc, "gpu", PVGPU_METADATA_NS);
    xmlChar *v = gpu ? xmlGetNoNsProp(gpu, (const xmlChar *)attr) : NULL;
    char *copy = g_strdup((const char *)v);

    xmlFree(v);
    return copy;
}

static char *note_text(xmlDoc *doc)
{
    xmlNode *note = metadata_child(doc, "keep", "urn:example:note");
    xmlChar *v = note ? xmlNodeGetContent(note) : NULL;
    char *copy = g_strdup((const char *)v);

    xmlFree(v);
    return copy;
}

static JsonNode *parse_json(const char *text)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;

    if (!json_parser_load_from_data(parser, text, -1, &error)) {
        fail_msg("not JSON (%s): %s", error->message, text);
    }
    return json_node_copy(json_parser_get_root(parser));
}

/* The status detail of name as a JSON object, and whether it was healthy. */
static JsonNode *status_of(PvgpuctlContext *ctx, const char *name,
                           gboolean *healthy)
{
    g_autofree char *line = g_strdup_printf("status %s --json", name);
    g_autoptr(GError) error = NULL;

    *healthy = run(ctx, line, &error);
    if (!*healthy) {
        assert_true(
            g_error_matches(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_UNHEALTHY));
    }
    return parse_json(ctx->out->str);
}

static const char *member(JsonNode *node, const char *key)
{
    return json_object_get_string_member_with_default(
        json_node_get_object(node), key, NULL);
}

#define DROPPED "dropped its <qemu:commandline>"

/* ---- enable, disable, sync ---- */

static void test_enable_shut_off_domain(void **state)
{
    PvgpuctlContext *ctx = *state;
    g_autoptr(xmlDoc) doc = NULL;
    g_autofree char *shmem = NULL;
    g_autofree char *display = NULL;
    g_autofree char *note = NULL;
    g_autoptr(JsonNode) status = NULL;
    gboolean healthy;

    run_fails(ctx, "enable vm-off --shmem 512M --display 1024x768",
              PVGPUCTL_ERROR_FAILED, DROPPED);
    run_fails(ctx, "enable vm-off", PVGPUCTL_ERROR_FAILED,
              "this connection uses the TEST driver");
    doc = domain_xml(ctx, "vm-off",
                     VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    shmem = gpu_attr(doc, "shmem");
    display = gpu_attr(doc, "display");
    note = note_text(doc);
    assert_string_equal(shmem, "512M");
    assert_string_equal(display, "1024x768");
    assert_string_equal(note, "keep me");

    status = status_of(ctx, "vm-off", &healthy);
    assert_true(healthy);
    assert_string_equal(member(status, "state"), "shut off");
    assert_string_equal(member(status, "health"), "not-running");
    assert_int_equal(
        json_object_get_int_member(json_node_get_object(status), "shmem_size"),
        512 << 20);
}

static void test_enable_running_domain(void **state)
{
    PvgpuctlContext *ctx = *state;
    g_autoptr(xmlDoc) persistent = NULL;
    g_autoptr(xmlDoc) live = NULL;
    g_autofree char *shmem = NULL;
    g_autofree char *live_shmem = NULL;
    g_autoptr(JsonNode) status = NULL;
    gboolean healthy;

    run_fails(ctx, "enable vm-run", PVGPUCTL_ERROR_FAILED, DROPPED);
    persistent = domain_xml(ctx, "vm-run", VIR_DOMAIN_XML_INACTIVE);
    live = domain_xml(ctx, "vm-run", 0);
    shmem = gpu_attr(persistent, "shmem");
    live_shmem = gpu_attr(live, "shmem");
    assert_string_equal(shmem, "256M");
    assert_null(live_shmem);

    status = status_of(ctx, "vm-run", &healthy);
    assert_true(healthy);
    assert_string_equal(member(status, "state"), "running");
    assert_string_equal(member(status, "health"), "not-running");
    assert_non_null(strstr(member(status, "health_detail"), "next start"));
}

static void test_disable_keeps_other_metadata(void **state)
{
    PvgpuctlContext *ctx = *state;
    g_autoptr(xmlDoc) doc = NULL;
    g_autofree char *shmem = NULL;
    g_autofree char *note = NULL;

    run_ok(ctx, "disable vm-gpu-off");
    assert_string_equal(ctx->out->str, "Domain 'vm-gpu-off': pvgpu "
                                       "disabled\n");
    doc = domain_xml(ctx, "vm-gpu-off", VIR_DOMAIN_XML_INACTIVE);
    shmem = gpu_attr(doc, "shmem");
    note = note_text(doc);
    assert_null(shmem);
    assert_string_equal(note, "keep me too");

    run_ok(ctx, "disable vm-gpu-off");
    assert_string_equal(ctx->out->str, "Domain 'vm-gpu-off' has no pvgpu "
                                       "configuration; nothing to remove.\n");
    run_fails(ctx, "status vm-gpu-off", PVGPUCTL_ERROR_FAILED,
              "domain 'vm-gpu-off' has no pvgpu metadata");
}

static void test_disable_running_domain(void **state)
{
    PvgpuctlContext *ctx = *state;
    g_autoptr(xmlDoc) persistent = NULL;
    g_autoptr(xmlDoc) live = NULL;
    g_autofree char *shmem = NULL;
    g_autofree char *live_shmem = NULL;

    run_ok(ctx, "disable vm-gpu");
    assert_non_null(strstr(ctx->out->str, "keeps its pvgpu device until it "
                                          "stops"));
    persistent = domain_xml(ctx, "vm-gpu", VIR_DOMAIN_XML_INACTIVE);
    live = domain_xml(ctx, "vm-gpu", 0);
    shmem = gpu_attr(persistent, "shmem");
    live_shmem = gpu_attr(live, "shmem");
    assert_null(shmem);
    assert_string_equal(live_shmem, "64M");
}

static void test_sync(void **state)
{
    PvgpuctlContext *ctx = *state;

    run_fails(ctx, "sync vm-run", PVGPUCTL_ERROR_FAILED,
              "domain 'vm-run' has no pvgpu metadata; add it with "
              "'pvgpuctl enable vm-run'");
    /* the metadata is valid; writing the derived arguments is what the
     * test driver cannot keep */
    run_fails(ctx, "sync vm-gpu-off", PVGPUCTL_ERROR_FAILED, DROPPED);
}

/* What enable writes, up to virDomainDefineXML, on the XML the test driver
 * gives; and the finding that the test driver drops it. */
static void test_enable_document_from_test_driver(void **state)
{
    PvgpuctlContext *ctx = *state;
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlDoc) reread = NULL;
    g_autoptr(PvgpuDomainConfig) config = NULL;
    g_autoptr(GError) error = NULL;
    PvgpuctlArgs args = { 0 };
    xmlChar *xml = NULL;
    int len;
    g_autoptr(virDomain) dom = NULL;

    assert_non_null(pvgpuctl_context_connection(ctx, NULL));
    doc = domain_xml(ctx, "vm-off",
                     VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    assert_true(pvgpuctl_edit_enable(doc, "vm-off", &args, &config, &error));
    assert_true(pvgpu_domain_check_commandline(doc, config, &error));
    assert_string_equal(pvgpu_domain_bus(config), "pci.0");
    assert_int_equal(pvgpu_domain_slot(config), 0x1f);

    xmlDocDumpMemory(doc, &xml, &len);
    dom = virDomainDefineXML(ctx->conn, (const char *)xml);
    xmlFree(xml);
    assert_non_null(dom);
    reread = domain_xml(ctx, "vm-off", VIR_DOMAIN_XML_INACTIVE);
    assert_null(pvgpu_xml_child(xmlDocGetRootElement(reread), "commandline",
                                PVGPU_QEMU_NS));
    assert_non_null(metadata_child(reread, "gpu", PVGPU_METADATA_NS));
}

static void test_transient_and_unknown_domains(void **state)
{
    PvgpuctlContext *ctx = *state;
    g_autoptr(virDomain) dom = NULL;

    assert_non_null(pvgpuctl_context_connection(ctx, NULL));
    dom = virDomainCreateXML(
        ctx->conn,
        "<domain type='test'><name>vm-transient</name><memory>1024</memory>"
        "<os><type>hvm</type></os></domain>",
        0);
    assert_non_null(dom);
    run_fails(ctx, "enable vm-transient", PVGPUCTL_ERROR_FAILED,
              "domain 'vm-transient' is transient");
    run_fails(ctx, "disable vm-transient", PVGPUCTL_ERROR_FAILED,
              "is transient");
    run_fails(ctx, "enable nope", PVGPUCTL_ERROR_FAILED,
              "cannot find domain 'nope': Domain not found");
    run_fails(ctx, "sync 00000000-0000-0000-0000-000000000000",
              PVGPUCTL_ERROR_FAILED,
              "cannot find domain '00000000-0000-0000-0000-000000000000'");
}

/* ---- status ---- */

static void test_status_list_with_dead_backend(void **state)
{
    PvgpuctlContext *ctx = *state;
    g_autoptr(JsonNode) rows = NULL;
    JsonArray *array;
    JsonObject *gpu, *off;

    run_fails(ctx, "status --json", PVGPUCTL_ERROR_UNHEALTHY,
              "1 of 2 pvgpu domains unhealthy: vm-gpu (unreachable)");
    rows = parse_json(ctx->out->str);
    array = json_node_get_array(rows);
    assert_int_equal(json_array_get_length(array), 2);
    gpu = json_array_get_object_element(array, 0);
    off = json_array_get_object_element(array, 1);
    assert_string_equal(json_object_get_string_member(gpu, "name"), "vm-gpu");
    assert_string_equal(json_object_get_string_member(gpu, "health"),
                        "unreachable");
    assert_true(json_object_get_null_member(gpu, "backend_pid"));
    assert_non_null(strstr(json_object_get_string_member(gpu, "health_detail"),
                           "no such socket"));
    assert_string_equal(json_object_get_string_member(off, "name"),
                        "vm-gpu-off");
    assert_string_equal(json_object_get_string_member(off, "state"),
                        "shut off");
    assert_string_equal(json_object_get_string_member(off, "health"),
                        "not-running");
    assert_int_equal(json_object_get_int_member(off, "shmem_size"), 128 << 20);

    run_fails(ctx, "status", PVGPUCTL_ERROR_UNHEALTHY, "vm-gpu");
    assert_true(g_str_has_prefix(ctx->out->str, "NAME        STATE  "));
    assert_non_null(strstr(ctx->out->str, "\nvm-gpu      running     64M  "
                                          "      -  unreachable  -"));
    assert_non_null(strstr(ctx->out->str, "\nLegend: "));

    run_fails(ctx, "status -q", PVGPUCTL_ERROR_UNHEALTHY, "vm-gpu");
    assert_string_equal(ctx->out->str, "");
}

static void test_status_with_backend(void **state)
{
    PvgpuctlContext *ctx = *state;
    FakeBackend *fake = fake_backend_start(VM_GPU_UUID, STATUS_REPLY,
                                           STATUS_REPLY, STATUS_REPLY, NULL);
    g_autoptr(JsonNode) rows = NULL;
    g_autoptr(JsonNode) detail = NULL;
    JsonObject *gpu, *d;
    g_autofree char *socket =
        g_build_filename(runtime_dir, VM_GPU_UUID, "control.sock", NULL);
    gboolean healthy;

    run_ok(ctx, "status --json");
    rows = parse_json(ctx->out->str);
    gpu = json_array_get_object_element(json_node_get_array(rows), 0);
    assert_string_equal(json_object_get_string_member(gpu, "health"), "ok");
    assert_int_equal(json_object_get_int_member(gpu, "backend_pid"), 4242);
    assert_true(json_object_get_boolean_member(gpu, "connected"));
    assert_int_equal(json_object_get_int_member(gpu, "commands"), 17);
    assert_int_equal(json_object_get_int_member(gpu, "fences"), 3);
    assert_string_equal(json_array_get_string_element(
                            json_object_get_array_member(gpu, "features"), 2),
                        "eventfd");

    run_ok(ctx, "status -q");
    assert_string_equal(ctx->out->str, "");

    detail = status_of(ctx, "vm-gpu", &healthy);
    assert_true(healthy);
    d = json_node_get_object(detail);
    assert_string_equal(json_object_get_string_member(d, "control_socket"),
                        socket);
    assert_string_equal(json_object_get_string_member(d, "display"),
                        "1024x768");
    assert_string_equal(json_object_get_string_member(d, "uuid"), VM_GPU_UUID);
    assert_int_equal(json_object_get_int_member(d, "resource_bytes"), 3145728);
    expect_requests(fake, 3, "{\"command\":\"status\"}");
}

/* A backend that answers, but not usefully, is in error; only one that
 * cannot be reached at all is "unreachable". */
static void test_status_backend_errors(void **state)
{
    PvgpuctlContext *ctx = *state;
    FakeBackend *fake = fake_backend_start(
        VM_GPU_UUID, "{\"ok\":false,\"error\":\"shutting down\"}",
        "this is not JSON", SILENT, NULL);
    g_autoptr(JsonNode) refused = NULL;
    g_autoptr(JsonNode) garbage = NULL;
    g_autoptr(JsonNode) silent = NULL;
    gboolean healthy;

    refused = status_of(ctx, "vm-gpu", &healthy);
    assert_false(healthy);
    assert_string_equal(member(refused, "health"), "error");
    assert_non_null(strstr(member(refused, "health_detail"),
                           "the backend refused the request: shutting "
                           "down"));
    garbage = status_of(ctx, "vm-gpu", &healthy);
    assert_false(healthy);
    assert_string_equal(member(garbage, "health"), "error");
    assert_non_null(
        strstr(member(garbage, "health_detail"), "the reply is not JSON"));
    silent = status_of(ctx, "vm-gpu", &healthy);
    assert_false(healthy);
    assert_string_equal(member(silent, "health"), "error");
    assert_non_null(strstr(member(silent, "health_detail"), "no reply within"));
    expect_requests(fake, 3, "{\"command\":\"status\"}");
}

/* The socket file of a backend that died: nobody listens on it. */
static void test_status_dead_backend_socket(void **state)
{
    PvgpuctlContext *ctx = *state;
    g_autofree char *dir = g_build_filename(runtime_dir, VM_GPU_UUID, NULL);
    g_autofree char *path = g_build_filename(dir, "control.sock", NULL);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_autoptr(JsonNode) detail = NULL;
    gboolean healthy;

    assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
    assert_true(fd >= 0 && strlen(path) < sizeof(addr.sun_path));
    strcpy(addr.sun_path, path);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    detail = status_of(ctx, "vm-gpu", &healthy);
    close(fd);
    unlink(path);
    rmdir(dir);
    assert_false(healthy);
    assert_string_equal(member(detail, "health"), "unreachable");
    assert_non_null(strstr(member(detail, "health_detail"),
                           "connection refused"));
}

/* Metadata a user broke by hand: the domain is listed, as an error. */
static void test_status_invalid_metadata(void **state)
{
    PvgpuctlContext *ctx = *state;
    g_autoptr(virDomain) dom = NULL;
    g_autoptr(JsonNode) detail = NULL;
    g_autoptr(JsonNode) by_uuid = NULL;
    gboolean healthy;

    assert_non_null(pvgpuctl_context_connection(ctx, NULL));
    dom = virDomainDefineXML(
        ctx->conn,
        "<domain type='test'><name>vm-broken</name><memory>1024</memory>"
        "<metadata><pvgpu:gpu xmlns:pvgpu='urn:x-pvgpu:domain:1.0' "
        "shmem='3M'/></metadata><os><type>hvm</type></os></domain>");
    assert_non_null(dom);
    detail = status_of(ctx, "vm-broken", &healthy);
    assert_false(healthy);
    assert_string_equal(member(detail, "state"), "shut off");
    assert_string_equal(member(detail, "health"), "error");
    assert_non_null(strstr(member(detail, "health_detail"),
                           "shmem '3M' must be a power of two"));
    run_fails(ctx, "status", PVGPUCTL_ERROR_UNHEALTHY,
              "2 of 3 pvgpu domains unhealthy: vm-broken (error), vm-gpu "
              "(unreachable)");
    run_fails(ctx, "sync vm-broken", PVGPUCTL_ERROR_FAILED,
              "the pvgpu configuration of domain 'vm-broken' is invalid");
    run_ok(ctx, "disable vm-broken");

    /* DOMAIN may be a UUID */
    by_uuid = status_of(ctx, VM_GPU_OFF_UUID, &healthy);
    assert_true(healthy);
    assert_string_equal(member(by_uuid, "name"), "vm-gpu-off");
}

static void test_uri_locality(void **state)
{
    (void)state;
    assert_true(pvgpuctl_uri_is_local("qemu:///system"));
    assert_true(pvgpuctl_uri_is_local("qemu:///session"));
    assert_true(pvgpuctl_uri_is_local("test:///default"));
    assert_true(pvgpuctl_uri_is_local("qemu+unix:///system?socket=/x"));
    assert_false(pvgpuctl_uri_is_local("qemu+ssh://root@host/system"));
    assert_false(pvgpuctl_uri_is_local("qemu+tcp://10.0.0.1/system"));
    assert_false(pvgpuctl_uri_is_local("qemu+ssh://localhost/system"));
    assert_false(pvgpuctl_uri_is_local("not a uri"));
}

/* ---- screenshot ---- */

static void test_screenshot(void **state)
{
    PvgpuctlContext *ctx = *state;
    FakeBackend *fake = fake_backend_start(
        VM_GPU_UUID, "{\"ok\":true,\"width\":640,\"height\":480}",
        "{\"ok\":false,\"error\":\"no scanout yet\"}", NULL);
    g_autofree char *cwd = g_get_current_dir();
    g_autofree char *abs = g_build_filename(cwd, "shot.png", NULL);
    g_autofree char *expected_out = g_strdup_printf(
        "Saved the 640x480 display of domain 'vm-gpu' to %s\n", abs);
    g_autoptr(GPtrArray) requests = NULL;
    g_autoptr(JsonNode) first = NULL;

    g_autofree char *dir = g_dir_make_tmp("pvgpuctl-shot-XXXXXX", NULL);
    g_autofree char *refused = g_build_filename(dir, "x.png", NULL);
    g_autofree char *refused_cmd =
        g_strdup_printf("screenshot vm-gpu %s", refused);
    g_autofree char *refused_msg = g_strdup_printf(
        "no screenshot of domain 'vm-gpu' in %s: the backend refused the "
        "request: no scanout yet", refused);
    struct stat st;
    mode_t mask = umask(022);

    g_unlink(abs);
    run_ok(ctx, "screenshot vm-gpu shot.png");
    assert_string_equal(ctx->out->str, expected_out);
    /* pvgpuctl made the file, with its user's rights and umask */
    assert_int_equal(stat(abs, &st), 0);
    assert_int_equal(st.st_uid, getuid());
    assert_int_equal(st.st_mode & 0777, 0644);
    g_unlink(abs);
    run_fails(ctx, refused_cmd, PVGPUCTL_ERROR_FAILED, refused_msg);
    /* nothing left behind, not even the temporary file */
    assert_int_equal(g_rmdir(dir), 0);
    umask(mask);
    requests = fake_backend_stop(fake);
    assert_int_equal(requests->len, 2);
    /* the backend writes into the file pvgpuctl passes along */
    first = parse_json(requests->pdata[0]);
    assert_string_equal(member(first, "command"), "screenshot");
    assert_null(json_object_get_member(json_node_get_object(first), "path"));
    assert_true(json_object_get_boolean_member(json_node_get_object(first),
                                               "fd"));
}

static void test_screenshot_refusals(void **state)
{
    PvgpuctlContext *ctx = *state;

    run_fails(ctx, "screenshot vm-gpu-off a.png", PVGPUCTL_ERROR_FAILED,
              "domain 'vm-gpu-off' is not running");
    run_fails(ctx, "screenshot vm-run a.png", PVGPUCTL_ERROR_FAILED,
              "domain 'vm-run' runs without a pvgpu device");
    run_fails(ctx, "screenshot vm-gpu a.png", PVGPUCTL_ERROR_FAILED,
              "no such socket (is the backend running?)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enable_shut_off_domain, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_enable_running_domain, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_disable_keeps_other_metadata,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_disable_running_domain, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enable_document_from_test_driver,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_transient_and_unknown_domains,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_list_with_dead_backend,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_with_backend, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_status_backend_errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_status_dead_backend_socket,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_invalid_metadata, setup,
                                        teardown),
        cmocka_unit_test(test_uri_locality),
        cmocka_unit_test_setup_teardown(test_screenshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_screenshot_refusals, setup,
                                        teardown),
    };
    int failures;

    runtime_dir = g_dir_make_tmp("pvgpuctl-XXXXXX", NULL);
    assert_non_null(runtime_dir);
    g_setenv("PVGPU_RUNTIME_DIR", runtime_dir, TRUE);
    pvgpuctl_libvirt_errors_init();
    failures = cmocka_run_group_tests(tests, NULL, NULL);
    /* each fake backend removed its socket and directory */
    if (rmdir(runtime_dir) != 0) {
        g_printerr("cannot remove %s: %s\n", runtime_dir, g_strerror(errno));
        failures++;
    }
    g_free(runtime_dir);
    return failures;
}
