/* SPDX-License-Identifier: MIT */
#include "control-commands.h"

#include <string.h>
#include <unistd.h>

#include "capabilities.h"
#include "png-writer.h"
#include "pvgpu_codec.h"

static gchar *to_line(JsonBuilder *b)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);

    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

static gchar *error_response(const char *message)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    /* json-glib's parse errors quote the request's bytes, invalid UTF-8
     * included, and the generator would pass them on: not JSON then */
    g_autofree gchar *valid = g_utf8_make_valid(message, -1);

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "ok");
    json_builder_add_boolean_value(b, FALSE);
    json_builder_set_member_name(b, "error");
    json_builder_add_string_value(b, valid);
    json_builder_end_object(b);
    return to_line(b);
}

gchar *pvgpu_control_line_too_long(void)
{
    g_autofree gchar *msg = g_strdup_printf(
        "request line longer than %u bytes", PVGPU_CONTROL_MAX_LINE);

    return error_response(msg);
}

static void add_uint(JsonBuilder *b, const char *name, guint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, (gint64)MIN(value, (guint64)G_MAXINT64));
}

static void add_counters(JsonBuilder *b, const PvgpuStatus *st)
{
    const PvgpuCounters *c = &st->counters;

    json_builder_set_member_name(b, "counters");
    json_builder_begin_object(b);
    add_uint(b, "doorbells", c->doorbells);
    add_uint(b, "commands", c->commands);
    add_uint(b, "bytes_uploaded", c->bytes_uploaded);
    add_uint(b, "fences_completed", c->fences_completed);
    add_uint(b, "irqs_sent", c->irqs_sent);
    add_uint(b, "irqs_dropped", c->irqs_dropped);
    add_uint(b, "errors", c->errors);
    add_uint(b, "resources", st->resources);
    add_uint(b, "resource_bytes", st->resource_bytes);
    json_builder_end_object(b);
}

static void add_last_error(JsonBuilder *b, const PvgpuCounters *c)
{
    json_builder_set_member_name(b, "last_error");
    if (!c->has_last_error) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    add_uint(b, "code", c->last_error.code);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, pvgpu_error_name(c->last_error.code));
    add_uint(b, "detail", c->last_error.detail);
    add_uint(b, "cmd_type", c->last_error.cmd_type);
    add_uint(b, "cmd_id", c->last_error.cmd_id);
    json_builder_end_object(b);
}

static void add_scanout(JsonBuilder *b, const PvgpuStatus *st)
{
    const char *format = pvgpu_format_name(st->scanout_format);

    json_builder_set_member_name(b, "scanout");
    if (!st->has_scanout) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    add_uint(b, "resource", st->scanout_resource);
    add_uint(b, "width", st->scanout_width);
    add_uint(b, "height", st->scanout_height);
    json_builder_set_member_name(b, "format");
    json_builder_add_string_value(b, format ? format : "unknown");
    json_builder_end_object(b);
}

/* "preferred_mode": what the guest is offered (the viewer's size once a
 * viewer asked), null without a device */
static void add_preferred_mode(JsonBuilder *b, const PvgpuStatus *st)
{
    json_builder_set_member_name(b, "preferred_mode");
    if (st->mode_width == 0) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    add_uint(b, "width", st->mode_width);
    add_uint(b, "height", st->mode_height);
    json_builder_end_object(b);
}

static gchar *handle_status(const PvgpuControlHandler *h)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    PvgpuStatus st = { 0 };

    h->get_status(h->data, &st);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "ok");
    json_builder_add_boolean_value(b, TRUE);
    json_builder_set_member_name(b, "status");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "version");
    json_builder_add_string_value(b, PVGPU_BACKEND_VERSION);
    add_uint(b, "pid", (guint64)getpid());
    json_builder_set_member_name(b, "connected");
    json_builder_add_boolean_value(b, st.connected);
    json_builder_set_member_name(b, "ready");
    json_builder_add_boolean_value(b, st.ready);
    add_uint(b, "features", st.features);
    json_builder_set_member_name(b, "features_names");
    json_builder_begin_array(b);
    pvgpu_add_feature_names(b, st.features);
    json_builder_end_array(b);
    add_uint(b, "shmem_size", st.shmem_size);
    add_uint(b, "generation", st.generation);
    add_counters(b, &st);
    add_last_error(b, &st.counters);
    add_scanout(b, &st);
    add_preferred_mode(b, &st);
    add_uint(b, "presents", st.counters.presents);
    json_builder_end_object(b);
    json_builder_end_object(b);
    return to_line(b);
}

/* {"command":"screenshot","fd":true} with a descriptor passed along: the
 * PNG goes into it (a file the client created with its own rights);
 * {"command":"screenshot","path":"/abs.png"}: the backend creates it. */
static gchar *handle_screenshot(const PvgpuControlHandler *h, JsonObject *req,
                                int fd)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(GError) error = NULL;
    JsonNode *path_node = json_object_get_member(req, "path");
    JsonNode *fd_node = json_object_get_member(req, "fd");
    gboolean to_fd = fd_node != NULL && JSON_NODE_HOLDS_VALUE(fd_node) &&
                     json_node_get_value_type(fd_node) == G_TYPE_BOOLEAN &&
                     json_node_get_boolean(fd_node);
    const char *path = NULL;
    PvgpuImage frame;

    if (to_fd && fd < 0) {
        return error_response("screenshot with \"fd\" needs a descriptor "
                              "passed with the request (SCM_RIGHTS)");
    }
    if (!to_fd) {
        if (path_node == NULL || !JSON_NODE_HOLDS_VALUE(path_node) ||
            json_node_get_value_type(path_node) != G_TYPE_STRING) {
            return error_response("screenshot needs \"path\", a string, or "
                                  "\"fd\": true and a descriptor");
        }
        path = json_node_get_string(path_node);
        if (!g_path_is_absolute(path)) {
            return error_response("the screenshot path must be absolute");
        }
    }
    if (!h->peek_frame(h->data, &frame)) {
        return error_response("no scanout is set");
    }
    if (to_fd ? !pvgpu_png_write_fd(&frame, fd, &error)
              : !pvgpu_png_write(&frame, path, &error)) {
        return error_response(error->message);
    }
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "ok");
    json_builder_add_boolean_value(b, TRUE);
    add_uint(b, "width", frame.width);
    add_uint(b, "height", frame.height);
    json_builder_end_object(b);
    return to_line(b);
}

gchar *pvgpu_control_handle_line(const PvgpuControlHandler *handler,
                                 const char *line, gsize len)
{
    return pvgpu_control_handle_request(handler, line, len, -1);
}

gchar *pvgpu_control_handle_request(const PvgpuControlHandler *handler,
                                    const char *line, gsize len, int fd)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    JsonNode *root;
    JsonObject *req;
    JsonNode *command;
    const char *name;

    if (len > PVGPU_CONTROL_MAX_LINE) {
        return pvgpu_control_line_too_long();
    }
    if (memchr(line, '\0', len) != NULL) {
        return error_response("the request contains a NUL byte");
    }
    if (!json_parser_load_from_data(parser, line, (gssize)len, &error)) {
        g_autofree gchar *msg = g_strdup_printf("malformed JSON: %s",
                                                error->message);
        return error_response(msg);
    }
    root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        return error_response("the request must be a JSON object");
    }
    req = json_node_get_object(root);
    command = json_object_get_member(req, "command");
    if (command == NULL || !JSON_NODE_HOLDS_VALUE(command) ||
        json_node_get_value_type(command) != G_TYPE_STRING) {
        return error_response("the request needs \"command\", a string");
    }
    name = json_node_get_string(command);
    if (g_str_equal(name, "status")) {
        return handle_status(handler);
    }
    if (g_str_equal(name, "screenshot")) {
        return handle_screenshot(handler, req, fd);
    }
    {
        g_autofree gchar *msg = g_strdup_printf("unknown command \"%s\"",
                                                name);
        return error_response(msg);
    }
}
