#include "pvgpuctl-status-row.h"

#include "pvgpu-size.h"

#include <string.h>

static JsonNode *member_of_type(JsonObject *object, const char *key,
                                GType value_type)
{
    JsonNode *node = object ? json_object_get_member(object, key) : NULL;

    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != value_type) {
        return NULL;
    }
    return node;
}

static JsonObject *object_member(JsonObject *object, const char *key)
{
    JsonNode *node = object ? json_object_get_member(object, key) : NULL;

    return node && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node)
                                                : NULL;
}

static void set_null(JsonObject *row, const char *key)
{
    json_object_set_null_member(row, key);
}

static void set_string(JsonObject *row, const char *key, const char *value)
{
    if (value) {
        json_object_set_string_member(row, key, value);
    } else {
        set_null(row, key);
    }
}

static void set_positive(JsonObject *row, const char *key, guint64 value)
{
    if (value > 0 && value <= G_MAXINT64) {
        json_object_set_int_member(row, key, (gint64)value);
    } else {
        set_null(row, key);
    }
}

/* Copies `from[from_key]` when it has the expected type, else null. */
static void copy_typed(JsonObject *row, const char *key, JsonObject *from,
                       const char *from_key, GType value_type)
{
    JsonNode *node = member_of_type(from, from_key, value_type);

    json_object_set_member(
        row, key, node ? json_node_copy(node) : json_node_new(JSON_NODE_NULL));
}

static void copy_string_array(JsonObject *row, const char *key,
                              JsonObject *from, const char *from_key)
{
    JsonNode *node = from ? json_object_get_member(from, from_key) : NULL;
    JsonArray *array;

    if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node)) {
        set_null(row, key);
        return;
    }
    array = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(array); i++) {
        JsonNode *item = json_array_get_element(array, i);

        if (!JSON_NODE_HOLDS_VALUE(item) ||
            json_node_get_value_type(item) != G_TYPE_STRING) {
            set_null(row, key);
            return;
        }
    }
    json_object_set_member(row, key, json_node_copy(node));
}

/* Copies the listed members of an object member that have the expected
 * types; a missing or non-object member gives null. */
typedef struct {
    const char *key;
    GType type;
} TypedKey;

static void copy_object(JsonObject *row, const char *key, JsonObject *from,
                        const char *from_key, const TypedKey *keys, guint n)
{
    JsonObject *source = object_member(from, from_key);
    JsonObject *copy;

    if (source == NULL) {
        set_null(row, key);
        return;
    }
    copy = json_object_new();
    for (guint i = 0; i < n; i++) {
        copy_typed(copy, keys[i].key, source, keys[i].key, keys[i].type);
    }
    json_object_set_object_member(row, key, copy);
}

static const TypedKey last_error_keys[] = {
    { "code", G_TYPE_INT64 },   { "name", G_TYPE_STRING },
    { "detail", G_TYPE_INT64 }, { "cmd_type", G_TYPE_INT64 },
    { "cmd_id", G_TYPE_INT64 },
};

static const TypedKey scanout_keys[] = {
    { "resource", G_TYPE_INT64 },
    { "width", G_TYPE_INT64 },
    { "height", G_TYPE_INT64 },
    { "format", G_TYPE_STRING },
};

static const char *const backend_keys[] = {
    "backend_pid",    "backend_version", "connected",
    "ready",          "features",        "generation",
    "commands",       "doorbells",       "fences",
    "irqs",           "bytes_uploaded",  "resources",
    "resource_bytes", "errors",          "last_error",
    "scanout",        "presents",
};

static void set_backend_unknown(JsonObject *row)
{
    for (guint i = 0; i < G_N_ELEMENTS(backend_keys); i++) {
        set_null(row, backend_keys[i]);
    }
}

static void set_backend_status(JsonObject *row, JsonObject *status)
{
    JsonObject *counters = object_member(status, "counters");

    copy_typed(row, "backend_pid", status, "pid", G_TYPE_INT64);
    copy_typed(row, "backend_version", status, "version", G_TYPE_STRING);
    copy_typed(row, "connected", status, "connected", G_TYPE_BOOLEAN);
    copy_typed(row, "ready", status, "ready", G_TYPE_BOOLEAN);
    copy_string_array(row, "features", status, "features_names");
    copy_typed(row, "generation", status, "generation", G_TYPE_INT64);
    copy_typed(row, "commands", counters, "commands", G_TYPE_INT64);
    copy_typed(row, "doorbells", counters, "doorbells", G_TYPE_INT64);
    copy_typed(row, "fences", counters, "fences_completed", G_TYPE_INT64);
    copy_typed(row, "irqs", counters, "irqs_sent", G_TYPE_INT64);
    copy_typed(row, "bytes_uploaded", counters, "bytes_uploaded",
               G_TYPE_INT64);
    copy_typed(row, "resources", counters, "resources", G_TYPE_INT64);
    copy_typed(row, "resource_bytes", counters, "resource_bytes",
               G_TYPE_INT64);
    copy_typed(row, "errors", counters, "errors", G_TYPE_INT64);
    copy_object(row, "last_error", status, "last_error", last_error_keys,
                G_N_ELEMENTS(last_error_keys));
    copy_object(row, "scanout", status, "scanout", scanout_keys,
                G_N_ELEMENTS(scanout_keys));
    copy_typed(row, "presents", status, "presents", G_TYPE_INT64);
}

static void set_health(JsonObject *row, const char *health, const char *detail)
{
    set_string(row, "health", health);
    set_string(row, "health_detail", detail);
}

/* Health and backend members from the control socket's answer. */
static void set_backend(JsonObject *row, const PvgpuctlStatusFacts *facts)
{
    JsonObject *reply;
    JsonNode *ok;
    JsonObject *status;

    set_backend_unknown(row);
    if (facts->config_error) {
        set_health(row, "error", facts->config_error);
        return;
    }
    if (!facts->active) {
        set_health(row, "not-running", NULL);
        return;
    }
    if (facts->pending) {
        set_health(row, "not-running",
                   "pvgpu is enabled in the persistent "
                   "definition only; it takes effect at next start");
        return;
    }
    if (!facts->local) {
        set_health(row, NULL,
                   "backend status is only available on the "
                   "domain's host");
        return;
    }
    switch (facts->probe) {
    case PVGPUCTL_PROBE_NONE:
        set_health(row, NULL, NULL);
        return;
    case PVGPUCTL_PROBE_UNREACHABLE:
        set_health(row, "unreachable", facts->probe_message);
        return;
    case PVGPUCTL_PROBE_FAILED:
        set_health(row, "error", facts->probe_message);
        return;
    case PVGPUCTL_PROBE_REPLY:
        break;
    }
    reply = facts->reply && JSON_NODE_HOLDS_OBJECT(facts->reply)
                ? json_node_get_object(facts->reply)
                : NULL;
    ok = member_of_type(reply, "ok", G_TYPE_BOOLEAN);
    if (ok == NULL) {
        set_health(row, "error", "the backend's reply has no \"ok\" member");
        return;
    }
    if (!json_node_get_boolean(ok)) {
        JsonNode *message = member_of_type(reply, "error", G_TYPE_STRING);
        g_autofree char *detail = g_strdup_printf(
            "the backend refused the status request: %s",
            message ? json_node_get_string(message) : "no reason given");

        set_health(row, "error", detail);
        return;
    }
    status = object_member(reply, "status");
    if (status == NULL) {
        set_health(row, "error",
                   "the backend's reply has no \"status\" "
                   "object");
        return;
    }
    set_backend_status(row, status);
    set_health(row, "ok", NULL);
}

JsonObject *pvgpuctl_status_row_new(const PvgpuctlStatusFacts *facts)
{
    JsonObject *row = json_object_new();

    set_string(row, "name", facts->name);
    set_string(row, "uuid", facts->uuid);
    set_string(row, "state", facts->state);
    set_positive(row, "shmem_size", facts->shmem_size);
    set_positive(row, "memory_budget", facts->memory_budget);
    if (facts->display_width && facts->display_height) {
        g_autofree char *display = g_strdup_printf(
            "%ux%u", facts->display_width, facts->display_height);

        set_string(row, "display", display);
    } else {
        set_null(row, "display");
    }
    set_string(row, "control_socket", facts->control_socket);
    set_backend(row, facts);
    return row;
}

gboolean pvgpuctl_status_row_healthy(JsonObject *row)
{
    const char *health =
        json_object_get_string_member_with_default(row, "health", NULL);

    return health == NULL || strcmp(health, "ok") == 0 ||
           strcmp(health, "not-running") == 0;
}

static char *format_size(JsonNode *node)
{
    if (json_node_get_value_type(node) != G_TYPE_INT64 ||
        json_node_get_int(node) <= 0) {
        return g_strdup("?");
    }
    return pvgpu_size_format((guint64)json_node_get_int(node));
}

static gint64 int_or(JsonObject *object, const char *key, gint64 fallback)
{
    JsonNode *node = member_of_type(object, key, G_TYPE_INT64);

    return node ? json_node_get_int(node) : fallback;
}

static char *format_last_error(JsonNode *node)
{
    JsonObject *error = json_node_get_object(node);
    JsonNode *name = member_of_type(error, "name", G_TYPE_STRING);
    GString *text = g_string_new(NULL);

    if (name) {
        g_string_append(text, json_node_get_string(name));
    } else {
        g_string_append_printf(text, "code 0x%04" G_GINT64_MODIFIER "x",
                               int_or(error, "code", 0));
    }
    g_string_append_printf(text, " (cmd 0x%04" G_GINT64_MODIFIER "x",
                           int_or(error, "cmd_type", 0));
    if (member_of_type(error, "cmd_id", G_TYPE_INT64)) {
        g_string_append_printf(text, " #%" G_GINT64_FORMAT,
                               int_or(error, "cmd_id", 0));
    }
    if (member_of_type(error, "detail", G_TYPE_INT64)) {
        g_string_append_printf(text, ", detail %" G_GINT64_FORMAT,
                               int_or(error, "detail", 0));
    }
    g_string_append_c(text, ')');
    return g_string_free(text, FALSE);
}

static char *format_scanout(JsonNode *node)
{
    JsonObject *scanout = json_node_get_object(node);
    JsonNode *format = member_of_type(scanout, "format", G_TYPE_STRING);

    return g_strdup_printf("resource %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                           "x%" G_GINT64_FORMAT " %s",
                           int_or(scanout, "resource", 0),
                           int_or(scanout, "width", 0),
                           int_or(scanout, "height", 0),
                           format ? json_node_get_string(format) : "?");
}

static const PvgpuctlColumn list_columns[] = {
    { "name", "NAME", FALSE, FALSE, NULL },
    { "state", "STATE", FALSE, FALSE, NULL },
    { "shmem_size", "SHMEM", TRUE, FALSE, format_size },
    { "backend_pid", "BACKEND", TRUE, FALSE, NULL },
    { "health", "HEALTH", FALSE, FALSE, NULL },
    { "connected", "CONNECTED", FALSE, FALSE, NULL },
    { "features", "FEATURES", FALSE, FALSE, NULL },
    { "commands", "CMDS", TRUE, FALSE, NULL },
    { "fences", "FENCES", TRUE, FALSE, NULL },
    { "errors", "ERRORS", TRUE, FALSE, NULL },
    { "last_error", "LAST ERROR", FALSE, FALSE, format_last_error },
    { "uuid", "UUID", FALSE, TRUE, NULL },
    { "health_detail", "HEALTH DETAIL", FALSE, TRUE, NULL },
};

static const PvgpuctlColumn detail_columns[] = {
    { "name", "Name", FALSE, FALSE, NULL },
    { "uuid", "UUID", FALSE, FALSE, NULL },
    { "state", "State", FALSE, FALSE, NULL },
    { "health", "Health", FALSE, FALSE, NULL },
    { "health_detail", "Health detail", FALSE, FALSE, NULL },
    { "shmem_size", "Shared memory", FALSE, FALSE, format_size },
    { "memory_budget", "Memory budget", FALSE, FALSE, format_size },
    { "display", "Display", FALSE, FALSE, NULL },
    { "control_socket", "Control socket", FALSE, FALSE, NULL },
    { "backend_pid", "Backend PID", FALSE, FALSE, NULL },
    { "backend_version", "Backend version", FALSE, FALSE, NULL },
    { "connected", "Connected", FALSE, FALSE, NULL },
    { "ready", "Ready", FALSE, FALSE, NULL },
    { "features", "Features", FALSE, FALSE, NULL },
    { "generation", "Generation", FALSE, FALSE, NULL },
    { "commands", "Commands", FALSE, FALSE, NULL },
    { "doorbells", "Doorbells", FALSE, FALSE, NULL },
    { "fences", "Fences completed", FALSE, FALSE, NULL },
    { "irqs", "Interrupts sent", FALSE, FALSE, NULL },
    { "bytes_uploaded", "Bytes uploaded", FALSE, FALSE, NULL },
    { "resources", "Resources", FALSE, FALSE, NULL },
    { "resource_bytes", "Resource bytes", FALSE, FALSE, NULL },
    { "errors", "Errors", FALSE, FALSE, NULL },
    { "last_error", "Last error", FALSE, FALSE, format_last_error },
    { "scanout", "Scanout", FALSE, FALSE, format_scanout },
    { "presents", "Presents", FALSE, FALSE, NULL },
};

#define LEGEND                                                                \
    "Legend: - not available; HEALTH ok: the backend answers, "               \
    "not-running: no backend expected, unreachable: no backend listens, "     \
    "error: see 'pvgpuctl status NAME'"

PvgpuctlTable *pvgpuctl_status_table_new(PvgpuctlStatusView view)
{
    if (view == PVGPUCTL_STATUS_VIEW_DETAIL) {
        return pvgpuctl_table_new(detail_columns, G_N_ELEMENTS(detail_columns),
                                  NULL);
    }
    return pvgpuctl_table_new(list_columns, G_N_ELEMENTS(list_columns),
                              LEGEND);
}
