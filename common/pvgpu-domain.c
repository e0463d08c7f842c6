/* SPDX-License-Identifier: MIT */
#include "pvgpu-domain.h"

#include <sys/un.h>

#include "pvgpu-error.h"
#include "pvgpu-schema.h"
#include "pvgpu-size.h"
#include "pvgpu-values.h"
#include "pvgpu-xml.h"

#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)NULL)->sun_path))

static gboolean invalid(GError **error, const char *format, ...)
    G_GNUC_PRINTF(2, 3);

static gboolean invalid(GError **error, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    g_autofree char *msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error_literal(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_INVALID,
                        msg);
    return FALSE;
}

void pvgpu_domain_config_free(PvgpuDomainConfig *c)
{
    if (c != NULL) {
        g_free(c->uuid);
        g_free(c->name);
        g_free(c->machine);
        g_free(c);
    }
}

static char *get_text(xmlNode *node)
{
    if (node == NULL) {
        return NULL;
    }
    xmlChar *v = xmlNodeGetContent(node);
    char *copy = g_strstrip(g_strdup(v != NULL ? (const char *)v : ""));
    xmlFree(v);
    return copy;
}

/* Attribute checks with precise messages; the schema then refuses anything
 * else (unknown attributes, children, spaces). */
static gboolean parse_gpu_element(xmlNode *gpu, PvgpuDomainConfig *c,
                                  GError **error)
{
    g_autofree char *shmem = pvgpu_xml_attr(gpu, "shmem");
    g_autofree char *budget = pvgpu_xml_attr(gpu, "memory-budget");
    g_autofree char *display = pvgpu_xml_attr(gpu, "display");
    g_autofree char *slot = pvgpu_xml_attr(gpu, "slot");

    if (!xmlStrEqual(gpu->name, (const xmlChar *)PVGPU_METADATA_ELEMENT)) {
        g_autofree char *quoted = pvgpu_quote((const char *)gpu->name);
        return invalid(error, "the pvgpu metadata element must be "
                       "<pvgpu:gpu>, not <pvgpu:%s>", quoted);
    }
    if (shmem == NULL) {
        return invalid(error, "the pvgpu metadata has no shmem attribute "
                       "(e.g. shmem=\"256M\")");
    }
    if (!pvgpu_parse_shmem_size("shmem", shmem, &c->shmem_size, error)) {
        return FALSE;
    }
    c->memory_budget = PVGPU_DEFAULT_MEMORY_BUDGET;
    if (budget != NULL && !pvgpu_parse_memory_budget("memory-budget", budget,
                                                     &c->memory_budget,
                                                     error)) {
        return FALSE;
    }
    if (display != NULL &&
        !pvgpu_parse_display("display", display, &c->display_width,
                             &c->display_height, error)) {
        return FALSE;
    }
    if (slot != NULL && !pvgpu_parse_slot("slot", slot, &c->slot, error)) {
        return FALSE;
    }
    return pvgpu_schema_validate_element(gpu, error);
}

/* The single pvgpu element of <metadata>, NULL when there is none. */
static gboolean find_gpu_element(xmlNode *root, xmlNode **out, GError **error)
{
    guint count = 0;
    *out = NULL;
    for (xmlNode *m = root->children; m != NULL; m = m->next) {
        if (!pvgpu_xml_is(m, "metadata", NULL)) {
            continue;
        }
        for (xmlNode *e = m->children; e != NULL; e = e->next) {
            if (e->type != XML_ELEMENT_NODE || e->ns == NULL) {
                continue;
            }
            const char *href = (const char *)e->ns->href;
            if (g_strcmp0(href, PVGPU_METADATA_NS) == 0) {
                count++;
                *out = *out != NULL ? *out : e;
            } else if (g_str_has_prefix(href, PVGPU_NS_FAMILY)) {
                g_autofree char *quoted = pvgpu_quote(href);
                return invalid(error, "the metadata uses the pvgpu namespace "
                               "'%s'; this pvgpu understands only '%s'",
                               quoted, PVGPU_METADATA_NS);
            }
        }
    }
    if (count > 1) {
        return invalid(error, "the metadata has %u pvgpu elements; only one "
                       "<pvgpu:gpu> is allowed", count);
    }
    return TRUE;
}

static gboolean read_identity(xmlNode *root, PvgpuDomainConfig *c,
                              GError **error)
{
    c->name = get_text(pvgpu_xml_child(root, "name", NULL));
    if (c->name == NULL || c->name[0] == '\0') {
        return invalid(error, "the domain XML has no <name>");
    }
    g_autofree char *uuid = get_text(pvgpu_xml_child(root, "uuid", NULL));
    if (uuid == NULL) {
        return invalid(error, "the domain XML has no <uuid> (define the domain "
                       "first: libvirt assigns one)");
    }
    if (!g_uuid_string_is_valid(uuid)) {
        g_autofree char *quoted = pvgpu_quote(uuid);
        return invalid(error, "the domain <uuid> '%s' is not a UUID", quoted);
    }
    c->uuid = g_ascii_strdown(uuid, -1);
    xmlNode *type = pvgpu_xml_child(pvgpu_xml_child(root, "os", NULL), "type",
                                    NULL);
    c->machine = type != NULL ? pvgpu_xml_attr(type, "machine") : NULL;
    return TRUE;
}

static gboolean base_dir_ok(const char *variable, GError **error)
{
    const char *value = g_getenv(variable);
    if (value != NULL && !g_path_is_absolute(value)) {
        g_autofree char *quoted = pvgpu_quote(value);
        g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_PATH,
                    "%s='%s' must be an absolute path", variable, quoted);
        return FALSE;
    }
    return TRUE;
}

static gboolean socket_path_ok(const char *path, GError **error)
{
    gsize len = strlen(path);
    if (len >= SOCKET_PATH_MAX) {
        g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_PATH,
                    "the socket path %s is %" G_GSIZE_FORMAT " bytes long; "
                    "Unix socket paths must be shorter than %" G_GSIZE_FORMAT
                    " bytes (use a shorter PVGPU_RUNTIME_DIR)", path, len,
                    (gsize)SOCKET_PATH_MAX);
        return FALSE;
    }
    return TRUE;
}

static gboolean derived_paths_ok(const PvgpuDomainConfig *c, GError **error)
{
    g_autofree char *device = pvgpu_domain_device_socket(c);
    g_autofree char *control = pvgpu_domain_control_socket(c);
    return base_dir_ok("PVGPU_RUNTIME_DIR", error) &&
           base_dir_ok("PVGPU_LOG_DIR", error) &&
           socket_path_ok(device, error) && socket_path_ok(control, error);
}

static gboolean is_q35(const PvgpuDomainConfig *c)
{
    return c->machine != NULL && strstr(c->machine, "q35") != NULL;
}

gboolean pvgpu_domain_config_from_xml(xmlDoc *domain, PvgpuDomainConfig **out,
                                      GError **error)
{
    *out = NULL;
    xmlNode *root = pvgpu_xml_domain_root(domain, error);
    if (root == NULL) {
        return FALSE;
    }
    xmlNode *gpu = NULL;
    if (!find_gpu_element(root, &gpu, error)) {
        return FALSE;
    }
    if (gpu == NULL) {
        return TRUE;
    }

    g_autoptr(PvgpuDomainConfig) c = g_new0(PvgpuDomainConfig, 1);
    if (!read_identity(root, c, error) || !parse_gpu_element(gpu, c, error)) {
        return FALSE;
    }
    if (c->slot == 0x1f && is_q35(c)) {
        return invalid(error, "slot 0x1f holds the ICH9 LPC/SATA/SMBus "
                       "functions on q35 machines; choose another slot");
    }
    if (!derived_paths_ok(c, error)) {
        return FALSE;
    }
    *out = g_steal_pointer(&c);
    return TRUE;
}

PvgpuDomainConfig *pvgpu_domain_config_new_default(xmlDoc *domain,
                                                   GError **error)
{
    xmlNode *root = pvgpu_xml_domain_root(domain, error);
    if (root == NULL) {
        return NULL;
    }
    g_autoptr(PvgpuDomainConfig) c = g_new0(PvgpuDomainConfig, 1);
    if (!read_identity(root, c, error)) {
        return NULL;
    }
    c->shmem_size = PVGPU_DEFAULT_SHMEM_SIZE;
    c->memory_budget = PVGPU_DEFAULT_MEMORY_BUDGET;
    if (!derived_paths_ok(c, error)) {
        return NULL;
    }
    return g_steal_pointer(&c);
}

static const char *env_or(const char *variable, const char *fallback)
{
    const char *value = g_getenv(variable);
    return value != NULL && value[0] != '\0' ? value : fallback;
}

char *pvgpu_domain_runtime_dir(const PvgpuDomainConfig *c)
{
    return g_build_filename(env_or("PVGPU_RUNTIME_DIR",
                                   PVGPU_DEFAULT_RUNTIME_BASE),
                            c->uuid, NULL);
}

static char *runtime_file(const PvgpuDomainConfig *c, const char *name)
{
    g_autofree char *dir = pvgpu_domain_runtime_dir(c);
    return g_build_filename(dir, name, NULL);
}

char *pvgpu_domain_device_socket(const PvgpuDomainConfig *c)
{
    return runtime_file(c, "device.sock");
}

char *pvgpu_domain_control_socket(const PvgpuDomainConfig *c)
{
    return runtime_file(c, "control.sock");
}

char *pvgpu_domain_pidfile(const PvgpuDomainConfig *c)
{
    return runtime_file(c, "backend.pid");
}

char *pvgpu_domain_log_path(const PvgpuDomainConfig *c)
{
    g_autofree char *file = g_strconcat(c->uuid, ".log", NULL);
    return g_build_filename(env_or("PVGPU_LOG_DIR", PVGPU_DEFAULT_LOG_DIR),
                            file, NULL);
}

const char *pvgpu_domain_bus(const PvgpuDomainConfig *c)
{
    return is_q35(c) ? "pcie.0" : "pci.0";
}

guint pvgpu_domain_slot(const PvgpuDomainConfig *c)
{
    if (c->slot != 0) {
        return c->slot;
    }
    return is_q35(c) ? PVGPU_SLOT_Q35 : PVGPU_SLOT_PC;
}

/* QEMU option values escape a comma by doubling it. */
static char *qemu_opt_escape(const char *value)
{
    g_auto(GStrv) parts = g_strsplit(value, ",", -1);
    return g_strjoinv(",,", parts);
}

GPtrArray *pvgpu_domain_qemu_args(const PvgpuDomainConfig *c)
{
    g_autofree char *size = pvgpu_size_format(c->shmem_size);
    g_autofree char *socket = pvgpu_domain_device_socket(c);
    g_autofree char *escaped = qemu_opt_escape(socket);
    GPtrArray *args = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(args, g_strdup("-device"));
    g_ptr_array_add(args, g_strdup_printf(
        "pvgpu,id=pvgpu0,bus=%s,addr=0x%02x,shmem_size=%s,backend_pipe=%s",
        pvgpu_domain_bus(c), pvgpu_domain_slot(c), size, escaped));
    return args;
}
