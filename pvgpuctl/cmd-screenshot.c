#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvgpu-control-client.h"
#include "pvgpu-domain.h"
#include "pvgpuctl-commands.h"
#include "pvgpuctl-error.h"
#include "pvgpuctl-libvirt.h"

/* Encoding a large scanout as PNG takes longer than a status request. */
#define SCREENSHOT_TIMEOUT_MS 20000u

/* The backend writes into a file pvgpuctl created: with the rights of
 * whoever runs pvgpuctl, not the backend's (QEMU's user). */
static JsonNode *screenshot_request(void)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();

    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "command");
    json_builder_add_string_value(builder, "screenshot");
    json_builder_set_member_name(builder, "fd");
    json_builder_add_boolean_value(builder, TRUE);
    json_builder_end_object(builder);
    return json_builder_get_root(builder);
}

/* A new file beside path (renamed over it once complete), mode 0600 until
 * then; *tmp_path names it. */
static int create_beside(const char *path, char **tmp_path, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
    int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);

    if (fd < 0) {
        pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                      "cannot create a file in %s: %s", dir,
                      g_strerror(errno));
        return -1;
    }
    *tmp_path = g_steal_pointer(&tmp);
    return fd;
}

/* What a file created by open(2) would get: 0666 less the umask. */
static mode_t file_mode(void)
{
    mode_t mask = umask(0);

    umask(mask);
    return 0666 & ~mask;
}

/* The control socket of the running domain's backend. */
static char *backend_socket(PvgpuctlContext *ctx, const char *name,
                            GError **error)
{
    virConnectPtr conn = pvgpuctl_context_connection(ctx, error);
    g_autoptr(virDomain) dom = NULL;
    g_autoptr(PvgpuDomainConfig) config = NULL;
    g_autoptr(GError) local = NULL;
    gboolean pending;

    if (conn == NULL ||
        (dom = pvgpuctl_domain_lookup(conn, name, error)) == NULL) {
        return NULL;
    }
    name = virDomainGetName(dom);
    if (virDomainIsActive(dom) != 1) {
        pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                      "domain '%s' is not running", name);
        return NULL;
    }
    if (!pvgpuctl_context_is_local(ctx)) {
        pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                      "screenshots are taken on the domain's host; this "
                      "connection is remote");
        return NULL;
    }
    if (!pvgpuctl_domain_config(dom, TRUE, &config, &pending, &local)) {
        pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                      "cannot read the pvgpu configuration of domain '%s': "
                      "%s",
                      name, local->message);
        return NULL;
    }
    if (config == NULL || pending) {
        pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                      "domain '%s' runs without a pvgpu device%s", name,
                      pending ? " (it was enabled after the domain started)"
                              : "");
        return NULL;
    }
    return pvgpu_domain_control_socket(config);
}

static gint64 int_member(JsonObject *object, const char *key)
{
    JsonNode *node = json_object_get_member(object, key);

    return node && JSON_NODE_HOLDS_VALUE(node) &&
                   json_node_get_value_type(node) == G_TYPE_INT64
               ? json_node_get_int(node)
               : -1;
}

gboolean pvgpuctl_cmd_screenshot(PvgpuctlContext *ctx,
                                 const PvgpuctlArgs *args, GError **error)
{
    const char *name = args->positional[0];
    g_autofree char *path = g_canonicalize_filename(args->positional[1], NULL);
    g_autofree char *socket = backend_socket(ctx, name, error);
    g_autoptr(JsonNode) request = NULL;
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(GError) local = NULL;
    JsonObject *object;

    if (socket == NULL) {
        return FALSE;
    }
    g_autofree char *tmp = NULL;
    int fd = create_beside(path, &tmp, error);
    if (fd < 0) {
        return FALSE;
    }
    request = screenshot_request();
    reply = pvgpu_control_request_fd(socket, request, fd,
                                     SCREENSHOT_TIMEOUT_MS, &local);
    gboolean saved = reply != NULL && fchmod(fd, file_mode()) == 0;
    int saved_errno = errno;
    close(fd);
    if (saved && rename(tmp, path) < 0) {
        saved = FALSE;
        saved_errno = errno;
    }
    if (!saved) {
        unlink(tmp);
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                             "no screenshot of domain '%s' in %s: %s", name,
                             path,
                             reply == NULL ? local->message
                                           : g_strerror(saved_errno));
    }
    object = json_node_get_object(reply);
    g_string_append_printf(ctx->out,
                           "Saved the %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                           " display of domain '%s' to %s\n",
                           int_member(object, "width"),
                           int_member(object, "height"), name, path);
    return TRUE;
}
