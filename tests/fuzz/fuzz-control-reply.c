/*
 * libFuzzer target: arbitrary bytes as what a backend writes on its control
 * socket in answer to pvgpuctl's "status" request. pvgpuctl's own client
 * code frames, parses and validates them (pvgpu_control_reply_parse, what
 * pvgpu_control_request runs on the bytes it received), and the status row
 * built from the outcome is rendered as the list and detail views, text
 * and JSON. The JSON must always be well-formed and the text must never be
 * empty. The socket round trip itself is tested in test-control-client.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "pvgpu-control-client.h"
#include "pvgpu-error.h"
#include "pvgpuctl-status-row.h"
#include "pvgpuctl-table.h"

#define CHECK(cond) do { if (!(cond)) { abort(); } } while (0)

static const char socket_path[] = "/run/pvgpu/fuzz/control.sock";

static void check_json(const char *text, JsonNodeType expected)
{
    g_autoptr(JsonParser) parser = json_parser_new();

    CHECK(text != NULL);
    CHECK(json_parser_load_from_data(parser, text, -1, NULL));
    CHECK(json_node_get_node_type(json_parser_get_root(parser)) == expected);
}

static void render(PvgpuctlStatusView view, JsonObject *row)
{
    g_autoptr(PvgpuctlTable) table = pvgpuctl_status_table_new(view);

    pvgpuctl_table_add_row(table, row);
    CHECK(pvgpuctl_table_n_rows(table) == 1);

    g_autofree char *text = pvgpuctl_table_render_text(table);
    g_autofree char *record = pvgpuctl_table_render_record_text(table, 0);
    CHECK(text != NULL && text[0] != '\0');
    CHECK(record != NULL && record[0] != '\0');

    g_autofree char *json = pvgpuctl_table_render_json(table);
    g_autofree char *record_json = pvgpuctl_table_render_record_json(table, 0);
    check_json(json, JSON_NODE_ARRAY);
    check_json(record_json, JSON_NODE_OBJECT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) reply = NULL;
    PvgpuctlStatusFacts facts = {
        .name = "vm1",
        .uuid = "3f9c1c2e-8b7a-4d6e-9f10-2a3b4c5d6e7f",
        .state = "running",
        .active = TRUE,
        .local = TRUE,
        .shmem_size = 256u << 20,
        .memory_budget = 512u << 20,
        .display_width = 1024,
        .display_height = 768,
        .control_socket = socket_path,
    };

    /* What cmd-status.c's probe_backend() does with the reply. */
    reply = pvgpu_control_reply_parse(socket_path, (const char *)data, size,
                                      &error);
    if (reply != NULL) {
        CHECK(error == NULL && JSON_NODE_HOLDS_OBJECT(reply));
        facts.probe = PVGPUCTL_PROBE_REPLY;
        facts.reply = reply;
    } else {
        /* A backend that answers is never "unreachable". */
        CHECK(error != NULL && error->domain == PVGPU_COMMON_ERROR);
        CHECK(error->code == PVGPU_COMMON_ERROR_CONTROL ||
              error->code == PVGPU_COMMON_ERROR_REFUSED);
        facts.probe = PVGPUCTL_PROBE_FAILED;
        facts.probe_message = error->message;
    }

    g_autoptr(JsonObject) row = pvgpuctl_status_row_new(&facts);
    /* An accepted reply with a status object is healthy; anything else
     * the backend sent is an error. */
    const char *health =
        json_object_get_string_member_with_default(row, "health", NULL);
    CHECK(health != NULL);
    CHECK(strcmp(health, "ok") == 0 || strcmp(health, "error") == 0);
    if (facts.probe == PVGPUCTL_PROBE_FAILED) {
        CHECK(strcmp(health, "error") == 0);
    }
    render(PVGPUCTL_STATUS_VIEW_LIST, row);
    render(PVGPUCTL_STATUS_VIEW_DETAIL, row);

    /* The reply also reaches the row directly (a future caller that skips
     * the client's checks must be as safe). */
    if (size < 8192) {
        g_autoptr(JsonParser) parser = json_parser_new();
        if (json_parser_load_from_data(parser, (const char *)data,
                                       (gssize)size, NULL) &&
            json_parser_get_root(parser) != NULL) {
            facts.probe = PVGPUCTL_PROBE_REPLY;
            facts.reply = json_parser_get_root(parser);
            g_autoptr(JsonObject) raw_row = pvgpuctl_status_row_new(&facts);
            render(PVGPUCTL_STATUS_VIEW_LIST, raw_row);
            render(PVGPUCTL_STATUS_VIEW_DETAIL, raw_row);
        }
    }
    return 0;
}
