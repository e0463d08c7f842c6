/* enable, disable and sync: edits of the persistent definition. */
#include "pvgpu-domain.h"
#include "pvgpu-size.h"
#include "pvgpu-xml.h"
#include "pvgpuctl-commands.h"
#include "pvgpuctl-edit.h"
#include "pvgpuctl-emulator.h"
#include "pvgpuctl-error.h"
#include "pvgpuctl-libvirt.h"

#include <string.h>

typedef struct {
    char *name; /* as libvirt knows it: DOMAIN may have been a UUID */
    gboolean changed;
    gboolean active;
    PvgpuDomainConfig *config;
} EditResult;

static void edit_result_clear(EditResult *r)
{
    g_clear_pointer(&r->name, g_free);
    g_clear_pointer(&r->config, pvgpu_domain_config_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(EditResult, edit_result_clear)

/* libvirt drivers other than QEMU silently drop <qemu:commandline>: say so
 * rather than report a device that will never appear. */
static gboolean verify_defined(virConnectPtr conn, virDomainPtr dom,
                               const char *name, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(PvgpuDomainConfig) c = NULL;
    g_autoptr(GError) local = NULL;
    xmlNode *root;

    doc = pvgpuctl_domain_xml(
        dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE, error);
    if (doc == NULL || !pvgpuctl_edit_read_config(doc, name, &c, error)) {
        return FALSE;
    }
    if (c == NULL) {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                             "libvirt did not keep the pvgpu metadata of "
                             "domain '%s'",
                             name);
    }
    if (pvgpu_domain_check_commandline(doc, c, &local)) {
        return TRUE;
    }
    root = xmlDocGetRootElement(doc);
    if (pvgpu_xml_child(root, "commandline", PVGPU_QEMU_NS) == NULL) {
        const char *driver = virConnectGetType(conn);

        return pvgpuctl_fail(
            error, PVGPUCTL_ERROR_FAILED,
            "libvirt kept the pvgpu metadata of domain '%s' "
            "but dropped its <qemu:commandline>, so the device "
            "will not be added; only the QEMU driver keeps it, and "
            "this connection uses the %s driver",
            name, driver ? driver : "unknown");
    }
    return pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                         "libvirt changed the pvgpu QEMU arguments of domain "
                         "'%s': %s",
                         name, local->message);
}

/* enable's check of the edited definition before it is defined: the
 * domain's QEMU must have the device. A remote host's binaries cannot be
 * run from here, and a definition without <emulator> (libvirt's own
 * default, or a driver other than QEMU) has none to run. */
static gboolean check_emulator(PvgpuctlContext *ctx, xmlDoc *doc,
                               const char *name, GError **error)
{
    g_autofree char *emulator = pvgpuctl_emulator_of(doc);

    if (emulator == NULL || !pvgpuctl_context_is_local(ctx)) {
        return TRUE;
    }
    return pvgpuctl_emulator_check(name, emulator, error);
}

typedef gboolean (*CheckFunc)(PvgpuctlContext *ctx, xmlDoc *doc,
                              const char *name, GError **error);

static gboolean edit_persistent(PvgpuctlContext *ctx, const PvgpuctlArgs *args,
                                PvgpuctlEditFunc edit, CheckFunc check,
                                EditResult *result, GError **error)
{
    virConnectPtr conn = pvgpuctl_context_connection(ctx, error);
    const char *name;
    g_autoptr(virDomain) dom = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    int persistent;

    if (conn == NULL) {
        return FALSE;
    }
    dom = pvgpuctl_domain_lookup(conn, args->positional[0], error);
    if (dom == NULL) {
        return FALSE;
    }
    result->name = g_strdup(virDomainGetName(dom));
    name = result->name;
    persistent = virDomainIsPersistent(dom);
    if (persistent < 0) {
        pvgpuctl_set_libvirt_error(error, "cannot query domain '%s'", name);
        return FALSE;
    }
    if (persistent == 0) {
        return pvgpuctl_fail(
            error, PVGPUCTL_ERROR_FAILED,
            "domain '%s' is transient: pvgpuctl changes "
            "persistent definitions only (make it persistent with "
            "'virsh define')",
            name);
    }
    doc = pvgpuctl_domain_xml(
        dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE, error);
    if (doc == NULL) {
        return FALSE;
    }
    before = pvgpuctl_edit_canonical_text(doc);
    if (!edit(doc, name, args, &result->config, error) ||
        (check != NULL && !check(ctx, doc, name, error))) {
        return FALSE;
    }
    after = pvgpuctl_edit_canonical_text(doc);
    result->changed = strcmp(before, after) != 0;
    if (result->changed) {
        if (!pvgpuctl_domain_define(conn, doc, error)) {
            return FALSE;
        }
        if (result->config && !verify_defined(conn, dom, name, error)) {
            return FALSE;
        }
    }
    result->active = virDomainIsActive(dom) == 1;
    return TRUE;
}

/* The settings the definition now has, and when a change applies. */
static void append_settings(GString *out, const EditResult *r)
{
    const PvgpuDomainConfig *c = r->config;
    g_autofree char *shmem = pvgpu_size_format(c->shmem_size);
    g_autofree char *budget = pvgpu_size_format(c->memory_budget);

    g_string_append_printf(out, "  shared memory  %s\n  memory budget  %s\n",
                           shmem, budget);
    if (c->display_width) {
        g_string_append_printf(out, "  display        %ux%u\n",
                               c->display_width, c->display_height);
    }
    g_string_append_printf(out, "  PCI address    bus %s, slot 0x%02x\n",
                           pvgpu_domain_bus(c), pvgpu_domain_slot(c));
    if (r->changed && r->active) {
        g_string_append(out, "The domain is running: this takes effect at "
                             "its next start.\n");
    }
}

gboolean pvgpuctl_cmd_enable(PvgpuctlContext *ctx, const PvgpuctlArgs *args,
                             GError **error)
{
    g_auto(EditResult) r = { 0 };

    if (!edit_persistent(ctx, args, pvgpuctl_edit_enable, check_emulator, &r,
                         error)) {
        return FALSE;
    }
    g_string_append_printf(ctx->out, "Domain '%s': pvgpu %s\n", r.name,
                           r.changed ? "enabled"
                                     : "was already enabled like this");
    append_settings(ctx->out, &r);
    return TRUE;
}

gboolean pvgpuctl_cmd_disable(PvgpuctlContext *ctx, const PvgpuctlArgs *args,
                              GError **error)
{
    g_auto(EditResult) r = { 0 };

    if (!edit_persistent(ctx, args, pvgpuctl_edit_disable, NULL, &r, error)) {
        return FALSE;
    }
    if (!r.changed) {
        g_string_append_printf(ctx->out,
                               "Domain '%s' has no pvgpu "
                               "configuration; nothing to remove.\n",
                               r.name);
        return TRUE;
    }
    g_string_append_printf(ctx->out, "Domain '%s': pvgpu disabled\n", r.name);
    if (r.active) {
        g_string_append(ctx->out, "The domain is running: it keeps its pvgpu "
                                  "device until it stops.\n");
    }
    return TRUE;
}

gboolean pvgpuctl_cmd_sync(PvgpuctlContext *ctx, const PvgpuctlArgs *args,
                           GError **error)
{
    g_auto(EditResult) r = { 0 };

    if (!edit_persistent(ctx, args, pvgpuctl_edit_sync, NULL, &r, error)) {
        return FALSE;
    }
    g_string_append_printf(ctx->out,
                           "Domain '%s': QEMU arguments %s the "
                           "pvgpu metadata\n",
                           r.name,
                           r.changed ? "re-derived from" : "already match");
    append_settings(ctx->out, &r);
    return TRUE;
}
