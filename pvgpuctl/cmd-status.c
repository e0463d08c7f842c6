#include "pvgpu-control-client.h"
#include "pvgpu-domain.h"
#include "pvgpu-error.h"
#include "pvgpuctl-commands.h"
#include "pvgpuctl-error.h"
#include "pvgpuctl-libvirt.h"
#include "pvgpuctl-status-row.h"

#include <string.h>

/* Owns what PvgpuctlStatusFacts points to. */
typedef struct {
    PvgpuctlStatusFacts facts;
    char uuid[VIR_UUID_STRING_BUFLEN];
    PvgpuDomainConfig *config;
    char *config_error;
    char *control_socket;
    char *probe_message;
    JsonNode *reply;
} DomainStatus;

static void domain_status_clear(DomainStatus *s)
{
    pvgpu_domain_config_free(s->config);
    g_free(s->config_error);
    g_free(s->control_socket);
    g_free(s->probe_message);
    if (s->reply) {
        json_node_unref(s->reply);
    }
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(DomainStatus, domain_status_clear)

static void probe_backend(DomainStatus *s)
{
    g_autoptr(GError) error = NULL;

    s->reply = pvgpu_control_command(s->control_socket, "status", &error);
    if (s->reply) {
        s->facts.probe = PVGPUCTL_PROBE_REPLY;
        return;
    }
    /* nothing to connect to is "unreachable"; a backend that answers
     * "ok": false, garbage or nothing in time is in trouble ("error") */
    s->facts.probe = g_error_matches(error, PVGPU_COMMON_ERROR,
                                     PVGPU_COMMON_ERROR_UNREACHABLE)
                         ? PVGPUCTL_PROBE_UNREACHABLE
                         : PVGPUCTL_PROBE_FAILED;
    s->probe_message = g_strdup(error->message);
    s->facts.probe_message = s->probe_message;
}

/* Fills s for dom; *found is FALSE when dom has no pvgpu metadata. */
static gboolean gather(virDomainPtr dom, gboolean local, DomainStatus *s,
                       gboolean *found, GError **error)
{
    g_autoptr(GError) config_error = NULL;
    int state = VIR_DOMAIN_NOSTATE;
    int active = virDomainIsActive(dom);

    if (active < 0 || virDomainGetState(dom, &state, NULL, 0) < 0 ||
        virDomainGetUUIDString(dom, s->uuid) < 0) {
        pvgpuctl_set_libvirt_error(error, "cannot query domain '%s'",
                                   virDomainGetName(dom));
        return FALSE;
    }
    if (!pvgpuctl_domain_config(dom, active == 1, &s->config,
                                &s->facts.pending, &config_error)) {
        if (config_error->domain != PVGPU_COMMON_ERROR) {
            g_propagate_error(error, g_steal_pointer(&config_error));
            return FALSE;
        }
        s->config_error = g_strdup(config_error->message);
    }
    *found = s->config != NULL || s->config_error != NULL;

    s->facts.name = virDomainGetName(dom);
    s->facts.uuid = s->uuid;
    s->facts.state = pvgpuctl_domain_state_name(state);
    s->facts.active = active == 1;
    s->facts.local = local;
    s->facts.config_error = s->config_error;
    if (s->config) {
        s->control_socket = pvgpu_domain_control_socket(s->config);
        s->facts.shmem_size = s->config->shmem_size;
        s->facts.memory_budget = s->config->memory_budget;
        s->facts.display_width = s->config->display_width;
        s->facts.display_height = s->config->display_height;
        s->facts.control_socket = s->control_socket;
        if (s->facts.active && !s->facts.pending && local) {
            probe_backend(s);
        }
    }
    s->facts.reply = s->reply;
    return TRUE;
}

static int compare_domain_names(gconstpointer a, gconstpointer b)
{
    return strcmp(virDomainGetName(*(virDomainPtr const *)a),
                  virDomainGetName(*(virDomainPtr const *)b));
}

static gboolean list_rows(virConnectPtr conn, gboolean local,
                          PvgpuctlTable *table, GError **error)
{
    virDomainPtr *domains = NULL;
    int n = virConnectListAllDomains(conn, &domains, 0);
    gboolean ok = TRUE;

    if (n < 0) {
        pvgpuctl_set_libvirt_error(error, "cannot list the domains");
        return FALSE;
    }
    qsort(domains, (size_t)n, sizeof(*domains), compare_domain_names);
    for (int i = 0; i < n && ok; i++) {
        g_auto(DomainStatus) s = { 0 };
        gboolean found = FALSE;

        ok = gather(domains[i], local, &s, &found, error);
        if (ok && found) {
            g_autoptr(JsonObject) row = pvgpuctl_status_row_new(&s.facts);

            pvgpuctl_table_add_row(table, row);
        }
    }
    for (int i = 0; i < n; i++) {
        virDomainFree(domains[i]);
    }
    free(domains);
    return ok;
}

static gboolean detail_row(virConnectPtr conn, const char *name,
                           gboolean local, PvgpuctlTable *table,
                           GError **error)
{
    g_autoptr(virDomain) dom = pvgpuctl_domain_lookup(conn, name, error);
    g_auto(DomainStatus) s = { 0 };
    g_autoptr(JsonObject) row = NULL;
    gboolean found = FALSE;

    if (dom == NULL || !gather(dom, local, &s, &found, error)) {
        return FALSE;
    }
    if (!found) {
        g_set_error(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_FAILED,
                    "domain '%s' has no pvgpu metadata; add it with "
                    "'pvgpuctl enable %s'",
                    s.facts.name, s.facts.name);
        return FALSE;
    }
    row = pvgpuctl_status_row_new(&s.facts);
    pvgpuctl_table_add_row(table, row);
    return TRUE;
}

static char *render(const PvgpuctlTable *table, const PvgpuctlArgs *args,
                    gboolean detail)
{
    if (detail) {
        return args->json ? pvgpuctl_table_render_record_json(table, 0)
                          : pvgpuctl_table_render_record_text(table, 0);
    }
    if (args->json) {
        return pvgpuctl_table_render_json(table);
    }
    if (pvgpuctl_table_n_rows(table) == 0) {
        return g_strdup("No domain has pvgpu metadata; add it with "
                        "'pvgpuctl enable DOMAIN'.\n");
    }
    return pvgpuctl_table_render_text(table);
}

gboolean pvgpuctl_cmd_status(PvgpuctlContext *ctx, const PvgpuctlArgs *args,
                             GError **error)
{
    gboolean detail = pvgpuctl_args_count(args) == 1;
    virConnectPtr conn = pvgpuctl_context_connection(ctx, error);
    g_autoptr(PvgpuctlTable) table = pvgpuctl_status_table_new(
        detail ? PVGPUCTL_STATUS_VIEW_DETAIL : PVGPUCTL_STATUS_VIEW_LIST);
    g_autoptr(GString) unhealthy = g_string_new(NULL);
    guint n_unhealthy = 0;
    gboolean local;

    if (conn == NULL) {
        return FALSE;
    }
    local = pvgpuctl_context_is_local(ctx);
    if (detail ? !detail_row(conn, args->positional[0], local, table, error)
               : !list_rows(conn, local, table, error)) {
        return FALSE;
    }
    if (!args->quiet) {
        g_autofree char *text = render(table, args, detail);

        g_string_append(ctx->out, text);
    }
    for (guint i = 0; i < pvgpuctl_table_n_rows(table); i++) {
        JsonObject *row = pvgpuctl_table_row(table, i);

        if (!pvgpuctl_status_row_healthy(row)) {
            g_string_append_printf(
                unhealthy, "%s%s (%s)", unhealthy->len ? ", " : "",
                json_object_get_string_member(row, "name"),
                json_object_get_string_member(row, "health"));
            n_unhealthy++;
        }
    }
    if (n_unhealthy > 0) {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_UNHEALTHY,
                             "%u of %u pvgpu domains unhealthy: %s",
                             n_unhealthy, pvgpuctl_table_n_rows(table),
                             unhealthy->str);
    }
    return TRUE;
}
