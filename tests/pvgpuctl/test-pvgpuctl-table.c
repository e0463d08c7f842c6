/*
 * The status table model and its renderers: golden files rendered from the
 * fixed inputs golden/NN-*.input.json (one row each, in file name order),
 * compared byte for byte, and replies of every wrong shape.
 *
 * PVGPU_GOLDEN_UPDATE=1 rewrites the golden files and makes the run fail,
 * so that the new output is reviewed (git diff) before the test can pass.
 */
#include "pvgpuctl-status-row.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

static const char *golden_dir(void)
{
    static char *dir;

    if (dir == NULL) {
        dir = g_build_filename(g_getenv("PVGPUCTL_TEST_DIR"), "golden", NULL);
    }
    return dir;
}

/* One input file: the facts the status command would have gathered. */
typedef struct {
    JsonParser *parser;
    PvgpuctlStatusFacts facts;
} Input;

static const char *string_or_null(JsonObject *o, const char *key)
{
    return json_object_get_string_member_with_default(o, key, NULL);
}

static PvgpuctlProbe probe_from_name(const char *name)
{
    if (g_strcmp0(name, "reply") == 0) {
        return PVGPUCTL_PROBE_REPLY;
    }
    if (g_strcmp0(name, "unreachable") == 0) {
        return PVGPUCTL_PROBE_UNREACHABLE;
    }
    if (g_strcmp0(name, "failed") == 0) {
        return PVGPUCTL_PROBE_FAILED;
    }
    assert_string_equal(name, "none");
    return PVGPUCTL_PROBE_NONE;
}

static void input_load(Input *in, const char *path)
{
    g_autoptr(GError) error = NULL;
    JsonObject *o;
    const char *display;

    memset(in, 0, sizeof(*in));
    in->parser = json_parser_new();
    if (!json_parser_load_from_file(in->parser, path, &error)) {
        fail_msg("%s: %s", path, error->message);
    }
    o = json_node_get_object(json_parser_get_root(in->parser));
    in->facts.name = string_or_null(o, "name");
    in->facts.uuid = string_or_null(o, "uuid");
    in->facts.state = string_or_null(o, "state");
    in->facts.active = json_object_get_boolean_member(o, "active");
    in->facts.pending =
        json_object_get_boolean_member_with_default(o, "pending", FALSE);
    in->facts.local = json_object_get_boolean_member(o, "local");
    in->facts.config_error = string_or_null(o, "config_error");
    in->facts.shmem_size =
        (guint64)json_object_get_int_member_with_default(o, "shmem_size", 0);
    in->facts.memory_budget = (guint64)json_object_get_int_member_with_default(
        o, "memory_budget", 0);
    display = string_or_null(o, "display");
    if (display) {
        assert_int_equal(sscanf(display, "%ux%u", &in->facts.display_width,
                                &in->facts.display_height),
                         2);
    }
    in->facts.control_socket = string_or_null(o, "control_socket");
    in->facts.probe = probe_from_name(string_or_null(o, "probe"));
    in->facts.probe_message = string_or_null(o, "probe_message");
    in->facts.reply = json_object_get_member(o, "reply");
}

static void input_clear(Input *in)
{
    g_clear_object(&in->parser);
}

/* g_ptr_array_sort passes pointers to the elements */
static int compare_paths(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static GPtrArray *input_paths(void)
{
    g_autoptr(GDir) dir = g_dir_open(golden_dir(), 0, NULL);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    assert_non_null(dir);
    while ((name = g_dir_read_name(dir)) != NULL) {
        if (g_str_has_suffix(name, ".input.json")) {
            g_ptr_array_add(paths, g_build_filename(golden_dir(), name, NULL));
        }
    }
    g_ptr_array_sort(paths, compare_paths);
    return paths;
}

static JsonObject *row_from_file(const char *path)
{
    Input in;
    JsonObject *row;

    input_load(&in, path);
    row = pvgpuctl_status_row_new(&in.facts);
    input_clear(&in);
    return row;
}

static gboolean golden_rewritten;

/* Compares text with the golden file name, or rewrites it on request. */
static void check_golden(const char *name, const char *text)
{
    g_autofree char *path = g_build_filename(golden_dir(), name, NULL);
    g_autofree char *expected = NULL;
    g_autoptr(GError) error = NULL;

    if (g_getenv("PVGPU_GOLDEN_UPDATE")) {
        assert_true(g_file_set_contents(path, text, -1, NULL));
        fprintf(stderr, "%s rewritten: review it\n", path);
        golden_rewritten = TRUE;
        return;
    }
    if (!g_file_get_contents(path, &expected, NULL, &error)) {
        fail_msg("%s", error->message);
    }
    if (strcmp(expected, text) != 0) {
        fprintf(stderr, "--- expected %s\n%s--- got\n%s", path, expected,
                text);
        fail_msg("%s differs", name);
    }
}

static PvgpuctlTable *golden_table(PvgpuctlStatusView view)
{
    g_autoptr(GPtrArray) paths = input_paths();
    PvgpuctlTable *table = pvgpuctl_status_table_new(view);

    assert_true(paths->len >= 6);
    for (guint i = 0; i < paths->len; i++) {
        g_autoptr(JsonObject) row = row_from_file(paths->pdata[i]);

        pvgpuctl_table_add_row(table, row);
    }
    return table;
}

static void test_golden_text(void **state)
{
    g_autoptr(PvgpuctlTable) table = golden_table(PVGPUCTL_STATUS_VIEW_LIST);
    g_autofree char *text = pvgpuctl_table_render_text(table);

    (void)state;
    check_golden("status.txt", text);
}

static void test_golden_json(void **state)
{
    g_autoptr(PvgpuctlTable) table = golden_table(PVGPUCTL_STATUS_VIEW_LIST);
    g_autofree char *text = pvgpuctl_table_render_json(table);

    (void)state;
    check_golden("status.json", text);
}

static PvgpuctlTable *detail_table(const char *input)
{
    g_autofree char *path = g_build_filename(golden_dir(), input, NULL);
    g_autoptr(JsonObject) row = row_from_file(path);
    PvgpuctlTable *table =
        pvgpuctl_status_table_new(PVGPUCTL_STATUS_VIEW_DETAIL);

    pvgpuctl_table_add_row(table, row);
    return table;
}

static void test_golden_detail(void **state)
{
    g_autoptr(PvgpuctlTable) table = detail_table("04-last-error.input.json");
    g_autofree char *text = pvgpuctl_table_render_record_text(table, 0);
    g_autofree char *json = pvgpuctl_table_render_record_json(table, 0);

    (void)state;
    check_golden("status-detail.txt", text);
    check_golden("status-detail.json", json);
}

/* The JSON rendering parses back, with numbers as numbers, null for a
 * missing value, and the same keys in every row. */
static void test_json_types(void **state)
{
    g_autoptr(PvgpuctlTable) table = golden_table(PVGPUCTL_STATUS_VIEW_LIST);
    g_autofree char *text = pvgpuctl_table_render_json(table);
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonArray *rows;
    JsonObject *first, *dead;
    g_autoptr(GList) keys_first = NULL;
    g_autoptr(GList) keys_dead = NULL;

    (void)state;
    assert_true(json_parser_load_from_data(parser, text, -1, NULL));
    rows = json_node_get_array(json_parser_get_root(parser));
    assert_int_equal(json_array_get_length(rows), 6);
    first = json_array_get_object_element(rows, 0);
    dead = json_array_get_object_element(rows, 1);
    assert_int_equal(
        json_node_get_value_type(json_object_get_member(first, "shmem_size")),
        G_TYPE_INT64);
    assert_int_equal(json_object_get_int_member(first, "backend_pid"), 4242);
    assert_int_equal(json_object_get_int_member(first, "commands"), 182734);
    assert_true(json_object_get_boolean_member(first, "connected"));
    assert_true(
        JSON_NODE_HOLDS_NULL(json_object_get_member(dead, "backend_pid")));
    assert_string_equal(json_object_get_string_member(dead, "health"),
                        "unreachable");
    keys_first = json_object_get_members(first);
    keys_dead = json_object_get_members(dead);
    assert_int_equal(g_list_length(keys_first), g_list_length(keys_dead));
    for (GList *a = keys_first, *b = keys_dead; a; a = a->next, b = b->next) {
        assert_string_equal(a->data, b->data);
    }
}

static void test_health_rules(void **state)
{
    static const struct {
        const char *input;
        const char *health;
        gboolean healthy;
    } cases[] = {
        { "01-healthy.input.json", "ok", TRUE },
        { "02-dead-backend.input.json", "unreachable", FALSE },
        { "03-shut-off.input.json", "not-running", TRUE },
        { "04-last-error.input.json", "ok", TRUE },
        { "05-refused.input.json", "error", FALSE },
        { "06-remote.input.json", NULL, TRUE },
    };

    (void)state;
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path =
            g_build_filename(golden_dir(), cases[i].input, NULL);
        g_autoptr(JsonObject) row = row_from_file(path);

        assert_string_equal(
            json_object_get_string_member_with_default(row, "health", "-"),
            cases[i].health ? cases[i].health : "-");
        assert_int_equal(pvgpuctl_status_row_healthy(row), cases[i].healthy);
    }
}

static JsonObject *row_with_reply(const char *reply_json)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    PvgpuctlStatusFacts facts = {
        .name = "vm",
        .uuid = "0c7e9a53-6f0e-4b63-8d9c-5a8f0e1e2a09",
        .state = "running",
        .active = TRUE,
        .local = TRUE,
        .shmem_size = 1 << 22,
        .probe = PVGPUCTL_PROBE_REPLY,
    };

    assert_true(json_parser_load_from_data(parser, reply_json, -1, NULL));
    facts.reply = json_parser_get_root(parser);
    return pvgpuctl_status_row_new(&facts);
}

static const char *health_of(JsonObject *row)
{
    return json_object_get_string_member(row, "health");
}

/* Whatever shape the reply has, the row is built, wrong members stay
 * missing and both renderings work. */
static void test_hostile_replies(void **state)
{
    static const struct {
        const char *reply;
        const char *health;
    } cases[] = {
        { "[]", "error" },
        { "\"ok\"", "error" },
        { "{}", "error" },
        { "{\"ok\":1}", "error" },
        { "{\"ok\":true}", "error" },
        { "{\"ok\":true,\"status\":[1,2]}", "error" },
        { "{\"ok\":false}", "error" },
        { "{\"ok\":false,\"error\":{\"x\":1}}", "error" },
        { "{\"ok\":true,\"status\":{}}", "ok" },
        { "{\"ok\":true,\"status\":{\"pid\":\"12\",\"connected\":\"yes\","
          "\"features_names\":[1,\"2d\"],\"counters\":[],"
          "\"last_error\":\"boom\",\"scanout\":7,\"generation\":1.5}}",
          "ok" },
        { "{\"ok\":true,\"status\":{\"pid\":-1,\"counters\":{\"commands\":"
          "9223372036854775807,\"errors\":-9223372036854775808},"
          "\"last_error\":{\"code\":\"x\",\"name\":7,\"detail\":[]},"
          "\"scanout\":{\"width\":{},\"format\":null}}}",
          "ok" },
    };

    (void)state;
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(JsonObject) row = row_with_reply(cases[i].reply);
        g_autoptr(PvgpuctlTable) list =
            pvgpuctl_status_table_new(PVGPUCTL_STATUS_VIEW_LIST);
        g_autoptr(PvgpuctlTable) detail =
            pvgpuctl_status_table_new(PVGPUCTL_STATUS_VIEW_DETAIL);
        g_autofree char *text = NULL;
        g_autofree char *json = NULL;
        g_autofree char *record = NULL;

        assert_string_equal(health_of(row), cases[i].health);
        pvgpuctl_table_add_row(list, row);
        pvgpuctl_table_add_row(detail, row);
        text = pvgpuctl_table_render_text(list);
        json = pvgpuctl_table_render_json(list);
        record = pvgpuctl_table_render_record_text(detail, 0);
        assert_non_null(strstr(text, "vm"));
        assert_non_null(strstr(json, "\"vm\""));
        assert_non_null(strstr(record, "Name:"));
    }
}

static void test_wrong_types_stay_missing(void **state)
{
    g_autoptr(JsonObject) row = row_with_reply(
        "{\"ok\":true,\"status\":{\"pid\":\"12\",\"connected\":\"yes\","
        "\"features_names\":[1,\"2d\"],\"counters\":{\"commands\":true},"
        "\"last_error\":\"boom\"}}");

    (void)state;
    assert_true(
        JSON_NODE_HOLDS_NULL(json_object_get_member(row, "backend_pid")));
    assert_true(
        JSON_NODE_HOLDS_NULL(json_object_get_member(row, "connected")));
    assert_true(JSON_NODE_HOLDS_NULL(json_object_get_member(row, "features")));
    assert_true(JSON_NODE_HOLDS_NULL(json_object_get_member(row, "commands")));
    assert_true(
        JSON_NODE_HOLDS_NULL(json_object_get_member(row, "last_error")));
}

/* A name with a newline, a tab and invalid UTF-8 keeps one line per row;
 * widths count characters, not bytes. */
static void test_text_stays_aligned(void **state)
{
    PvgpuctlStatusFacts evil = {
        .name = "bad\nname\t\xff",
        .state = "shut off",
        .local = TRUE,
        .shmem_size = 1 << 22,
    };
    PvgpuctlStatusFacts wide = {
        .name = "größe",
        .state = "shut off",
        .local = TRUE,
        .shmem_size = 1 << 22,
    };
    g_autoptr(JsonObject) row1 = pvgpuctl_status_row_new(&evil);
    g_autoptr(JsonObject) row2 = pvgpuctl_status_row_new(&wide);
    g_autoptr(PvgpuctlTable) table =
        pvgpuctl_status_table_new(PVGPUCTL_STATUS_VIEW_LIST);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    (void)state;
    pvgpuctl_table_add_row(table, row1);
    pvgpuctl_table_add_row(table, row2);
    text = pvgpuctl_table_render_text(table);
    lines = g_strsplit(text, "\n", -1);
    /* header, two rows, legend, and the empty string after the last \n */
    assert_int_equal(g_strv_length(lines), 5);
    assert_true(g_str_has_prefix(lines[1], "bad?name?\xef\xbf\xbd  "));
    assert_true(g_str_has_prefix(lines[2], "größe       shut off"));
    assert_true(g_utf8_validate(text, -1, NULL));
    /* the STATE column starts at the same character in every line */
    for (guint i = 0; i < 3; i++) {
        const char *state_col = g_utf8_offset_to_pointer(lines[i], 12);

        assert_true(g_str_has_prefix(state_col, i == 0 ? "STATE" : "shut"));
    }
}

static void assert_no_terminal_controls(const char *text)
{
    for (const char *p = text; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (c == '\n' || c == ' ') {
            continue;
        }
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
            print_error("control U+%04X in \"%s\"\n", c, text);
            fail();
        }
    }
}

/* What the backend says reaches the terminal without C0 or C1 controls:
 * refusal text, error names and scanout formats, in list and detail. */
static void test_backend_text_loses_controls(void **state)
{
    static const char *const replies[] = {
        "{\"ok\":false,\"error\":\"\\u001b]0;x\\u0007\\u009b2J\"}",
        "{\"ok\":true,\"status\":{\"last_error\":{\"name\":"
        "\"E\\u009b1m\\u001b[5m\",\"code\":1,\"cmd_type\":2},"
        "\"scanout\":{\"resource\":1,\"width\":2,\"height\":3,"
        "\"format\":\"\\u0085X\\u001b\"}}}",
    };

    (void)state;
    for (guint i = 0; i < G_N_ELEMENTS(replies); i++) {
        g_autoptr(JsonObject) row = row_with_reply(replies[i]);
        g_autoptr(PvgpuctlTable) list =
            pvgpuctl_status_table_new(PVGPUCTL_STATUS_VIEW_LIST);
        g_autoptr(PvgpuctlTable) detail =
            pvgpuctl_status_table_new(PVGPUCTL_STATUS_VIEW_DETAIL);
        g_autofree char *text = NULL;
        g_autofree char *record = NULL;

        pvgpuctl_table_add_row(list, row);
        pvgpuctl_table_add_row(detail, row);
        text = pvgpuctl_table_render_text(list);
        record = pvgpuctl_table_render_record_text(detail, 0);
        assert_no_terminal_controls(text);
        assert_no_terminal_controls(record);
    }
}

/* A reply whose strings decode to bytes that are not UTF-8 (json-glib
 * takes octal escapes) still renders as JSON. */
static void test_json_stays_utf8(void **state)
{
    g_autoptr(JsonObject) row = row_with_reply(
        "{\"ok\":true,\"status\":{\"version\":\"1\\333\","
        "\"features_names\":[\"2d\\377\"],"
        "\"scanout\":{\"resource\":1,\"width\":2,\"height\":3,"
        "\"format\":\"X\\333\"}}}");
    g_autoptr(PvgpuctlTable) list =
        pvgpuctl_status_table_new(PVGPUCTL_STATUS_VIEW_LIST);
    g_autoptr(PvgpuctlTable) detail =
        pvgpuctl_status_table_new(PVGPUCTL_STATUS_VIEW_DETAIL);

    (void)state;
    pvgpuctl_table_add_row(list, row);
    pvgpuctl_table_add_row(detail, row);
    g_autofree char *json = pvgpuctl_table_render_json(list);
    g_autofree char *record = pvgpuctl_table_render_record_json(detail, 0);
    assert_true(g_utf8_validate(json, -1, NULL));
    assert_true(g_utf8_validate(record, -1, NULL));
    g_autoptr(JsonParser) parser = json_parser_new();
    assert_true(json_parser_load_from_data(parser, json, -1, NULL));
    assert_true(json_parser_load_from_data(parser, record, -1, NULL));
}

static void test_empty_table(void **state)
{
    g_autoptr(PvgpuctlTable) table =
        pvgpuctl_status_table_new(PVGPUCTL_STATUS_VIEW_LIST);
    g_autofree char *json = pvgpuctl_table_render_json(table);

    (void)state;
    assert_string_equal(json, "[]\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_text),
        cmocka_unit_test(test_golden_json),
        cmocka_unit_test(test_golden_detail),
        cmocka_unit_test(test_json_types),
        cmocka_unit_test(test_health_rules),
        cmocka_unit_test(test_hostile_replies),
        cmocka_unit_test(test_wrong_types_stay_missing),
        cmocka_unit_test(test_text_stays_aligned),
        cmocka_unit_test(test_backend_text_loses_controls),
        cmocka_unit_test(test_json_stays_utf8),
        cmocka_unit_test(test_empty_table),
    };

    if (g_getenv("PVGPUCTL_TEST_DIR") == NULL) {
        fprintf(stderr, "PVGPUCTL_TEST_DIR is not set\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL) + golden_rewritten;
}
