/* SPDX-License-Identifier: MIT */
#include "qmp-client.h"
#include "test-log.h"

#include <string.h>

struct QmpClient {
    LineChannel *ch;
    GQueue events; /* of JsonObject *, oldest first */
};

static JsonObject *read_message(QmpClient *c, gint64 deadline, GError **error)
{
    g_autofree gchar *line = NULL;
    g_autoptr(JsonParser) parser = NULL;
    g_autoptr(GError) parse_error = NULL;
    JsonNode *root;

    switch (line_channel_read_line(c->ch, deadline, &line)) {
    case LINE_CHANNEL_OK:
        break;
    case LINE_CHANNEL_TIMEOUT:
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                    "no QMP message before the deadline");
        return NULL;
    case LINE_CHANNEL_CLOSED:
    default:
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                    "QMP connection closed (QEMU gone)");
        return NULL;
    }
    test_log("QMP <- %s", line);
    parser = json_parser_new();
    if (!json_parser_load_from_data(parser, line, -1, &parse_error)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "QMP sent invalid JSON (%s): %s", parse_error->message,
                    line);
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "QMP message is not an object: %s", line);
        return NULL;
    }
    return json_object_ref(json_node_get_object(root));
}

/* Reads until a message that is not an event; events are queued. */
static JsonObject *read_reply(QmpClient *c, gint64 deadline, GError **error)
{
    for (;;) {
        JsonObject *msg = read_message(c, deadline, error);

        if (!msg) {
            return NULL;
        }
        if (!json_object_has_member(msg, "event")) {
            return msg;
        }
        g_queue_push_tail(&c->events, msg);
    }
}

QmpClient *qmp_client_new(LineChannel *ch, gint64 deadline, GError **error)
{
    g_autoptr(QmpClient) c = g_new0(QmpClient, 1);
    g_autoptr(JsonObject) greeting = NULL;
    g_autoptr(JsonObject) reply = NULL;

    c->ch = ch;
    g_queue_init(&c->events);
    greeting = read_message(c, deadline, error);
    if (!greeting) {
        return NULL;
    }
    if (!json_object_has_member(greeting, "QMP")) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "QMP greeting expected");
        return NULL;
    }
    reply = qmp_client_command(c, "{'execute': 'qmp_capabilities'}",
                               deadline, error);
    if (!reply) {
        return NULL;
    }
    if (qmp_reply_error_desc(reply)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "qmp_capabilities refused: %s",
                    qmp_reply_error_desc(reply));
        return NULL;
    }
    return g_steal_pointer(&c);
}

void qmp_client_free(QmpClient *c)
{
    if (!c) {
        return;
    }
    g_queue_clear_full(&c->events, (GDestroyNotify)json_object_unref);
    line_channel_free(c->ch);
    g_free(c);
}

gboolean qmp_client_send(QmpClient *c, const char *command)
{
    g_autofree gchar *line = g_strconcat(command, "\n", NULL);

    test_log("QMP -> %s", command);
    return line_channel_write(c->ch, line, strlen(line));
}

JsonObject *qmp_client_command(QmpClient *c, const char *command,
                               gint64 deadline, GError **error)
{
    if (!qmp_client_send(c, command)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                    "cannot send QMP command (QEMU gone)");
        return NULL;
    }
    return read_reply(c, deadline, error);
}

static gboolean event_is(JsonObject *msg, const char *name)
{
    const char *event = json_object_get_string_member_with_default(
        msg, "event", "");

    return strcmp(event, name) == 0;
}

JsonObject *qmp_client_wait_event(QmpClient *c, const char *name,
                                  gint64 deadline, GError **error)
{
    for (GList *l = c->events.head; l; l = l->next) {
        if (event_is(l->data, name)) {
            JsonObject *msg = l->data;

            g_queue_delete_link(&c->events, l);
            return msg;
        }
    }
    for (;;) {
        JsonObject *msg = read_message(c, deadline, error);

        if (!msg) {
            return NULL;
        }
        if (json_object_has_member(msg, "event") && event_is(msg, name)) {
            return msg;
        }
        if (json_object_has_member(msg, "event")) {
            g_queue_push_tail(&c->events, msg);
        } else {
            test_log("QMP: unexpected reply while waiting for %s",
                     name);
            json_object_unref(msg);
        }
    }
}

const char *qmp_reply_error_desc(JsonObject *reply)
{
    JsonObject *err;

    if (!json_object_has_member(reply, "error")) {
        return NULL;
    }
    err = json_object_get_object_member(reply, "error");
    if (!err) {
        return "(malformed error)";
    }
    return json_object_get_string_member_with_default(err, "desc",
                                                      "(no description)");
}
