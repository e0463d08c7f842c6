#include "pvgpuctl-table.h"

#include "pvgpu-text.h"

#include <string.h>

struct _PvgpuctlTable {
    const PvgpuctlColumn *columns;
    guint n_columns;
    char *legend;
    GPtrArray *rows; /* JsonObject */
};

PvgpuctlTable *pvgpuctl_table_new(const PvgpuctlColumn *columns,
                                  guint n_columns, const char *legend)
{
    PvgpuctlTable *table = g_new0(PvgpuctlTable, 1);

    table->columns = columns;
    table->n_columns = n_columns;
    table->legend = g_strdup(legend);
    table->rows =
        g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    return table;
}

void pvgpuctl_table_free(PvgpuctlTable *table)
{
    if (table == NULL) {
        return;
    }
    g_ptr_array_unref(table->rows);
    g_free(table->legend);
    g_free(table);
}

void pvgpuctl_table_add_row(PvgpuctlTable *table, JsonObject *row)
{
    g_ptr_array_add(table->rows, json_object_ref(row));
}

guint pvgpuctl_table_n_rows(const PvgpuctlTable *table)
{
    return table->rows->len;
}

JsonObject *pvgpuctl_table_row(const PvgpuctlTable *table, guint index)
{
    g_return_val_if_fail(index < table->rows->len, NULL);
    return table->rows->pdata[index];
}

/* Strings come from domain names and the backend: keep the table on one
 * line per row, valid UTF-8 and free of terminal controls. */
static char *printable(const char *text)
{
    return pvgpu_text_printable(text, FALSE);
}

static char *default_text(JsonNode *node)
{
    if (JSON_NODE_HOLDS_ARRAY(node)) {
        JsonArray *array = json_node_get_array(node);
        GString *joined = g_string_new(NULL);

        if (json_array_get_length(array) == 0) {
            g_string_free(joined, TRUE);
            return g_strdup("none");
        }
        for (guint i = 0; i < json_array_get_length(array); i++) {
            g_autofree char *item =
                default_text(json_array_get_element(array, i));
            g_string_append_printf(joined, "%s%s", i ? "," : "", item);
        }
        return g_string_free(joined, FALSE);
    }
    if (!JSON_NODE_HOLDS_VALUE(node)) {
        return g_strdup("?");
    }
    switch (json_node_get_value_type(node)) {
    case G_TYPE_BOOLEAN:
        return g_strdup(json_node_get_boolean(node) ? "yes" : "no");
    case G_TYPE_INT64:
        return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
    case G_TYPE_DOUBLE:
        return g_strdup_printf("%g", json_node_get_double(node));
    case G_TYPE_STRING:
        return printable(json_node_get_string(node));
    default:
        return g_strdup("?");
    }
}

char *pvgpuctl_table_cell_text(const PvgpuctlColumn *column, JsonObject *row)
{
    JsonNode *node = json_object_get_member(row, column->key);
    char *text;

    if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
        return g_strdup("-");
    }
    text = column->format ? column->format(node) : default_text(node);
    if (column->format) {
        char *clean = printable(text);

        g_free(text);
        text = clean;
    }
    return text;
}

static void append_padded(GString *out, const char *text, gsize width,
                          gboolean right_align, gboolean last)
{
    gsize len = g_utf8_strlen(text, -1);
    gsize pad = width > len ? width - len : 0;

    if (right_align) {
        for (gsize i = 0; i < pad; i++) {
            g_string_append_c(out, ' ');
        }
    }
    g_string_append(out, text);
    if (!right_align && !last) {
        for (gsize i = 0; i < pad; i++) {
            g_string_append_c(out, ' ');
        }
    }
}

char *pvgpuctl_table_render_text(const PvgpuctlTable *table)
{
    g_autoptr(GPtrArray) shown = g_ptr_array_new();
    g_autofree gsize *width = NULL;
    g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
    GString *out = g_string_new(NULL);

    for (guint c = 0; c < table->n_columns; c++) {
        if (!table->columns[c].json_only) {
            g_ptr_array_add(shown, (gpointer)&table->columns[c]);
        }
    }
    width = g_new0(gsize, shown->len);
    for (guint c = 0; c < shown->len; c++) {
        const PvgpuctlColumn *column = shown->pdata[c];

        width[c] = g_utf8_strlen(column->header, -1);
    }
    for (guint r = 0; r < table->rows->len; r++) {
        for (guint c = 0; c < shown->len; c++) {
            char *text = pvgpuctl_table_cell_text(shown->pdata[c],
                                                  table->rows->pdata[r]);

            width[c] = MAX(width[c], (gsize)g_utf8_strlen(text, -1));
            g_ptr_array_add(cells, text);
        }
    }
    for (guint r = 0; r <= table->rows->len; r++) {
        for (guint c = 0; c < shown->len; c++) {
            const PvgpuctlColumn *column = shown->pdata[c];
            const char *text = r == 0 ? column->header
                                      : cells->pdata[(r - 1) * shown->len + c];

            if (c > 0) {
                g_string_append(out, "  ");
            }
            append_padded(out, text, width[c], column->right_align,
                          c + 1 == shown->len);
        }
        g_string_append_c(out, '\n');
    }
    if (table->legend) {
        g_string_append_printf(out, "%s\n", table->legend);
    }
    return g_string_free(out, FALSE);
}

/* A copy of node whose strings are valid UTF-8: the generator copies a
 * string's bytes as they are, and JSON must be UTF-8. */
static JsonNode *utf8_copy(JsonNode *node)
{
    if (JSON_NODE_HOLDS_ARRAY(node)) {
        JsonArray *from = json_node_get_array(node);
        JsonArray *to = json_array_new();
        JsonNode *copy = json_node_new(JSON_NODE_ARRAY);

        for (guint i = 0; i < json_array_get_length(from); i++) {
            json_array_add_element(to,
                                   utf8_copy(json_array_get_element(from, i)));
        }
        json_node_take_array(copy, to);
        return copy;
    }
    if (JSON_NODE_HOLDS_OBJECT(node)) {
        JsonObject *from = json_node_get_object(node);
        JsonObject *to = json_object_new();
        JsonNode *copy = json_node_new(JSON_NODE_OBJECT);
        /* in the order the members were added, as json_node_copy keeps */
        GList *names = json_object_get_members(from);

        for (GList *l = names; l != NULL; l = l->next) {
            g_autofree char *valid = g_utf8_make_valid(l->data, -1);

            json_object_set_member(
                to, valid, utf8_copy(json_object_get_member(from, l->data)));
        }
        g_list_free(names);
        json_node_take_object(copy, to);
        return copy;
    }
    if (JSON_NODE_HOLDS_VALUE(node) &&
        json_node_get_value_type(node) == G_TYPE_STRING) {
        JsonNode *copy = json_node_new(JSON_NODE_VALUE);
        g_autofree char *valid =
            g_utf8_make_valid(json_node_get_string(node), -1);

        json_node_set_string(copy, valid);
        return copy;
    }
    return json_node_copy(node);
}

static JsonNode *row_node(const PvgpuctlTable *table, JsonObject *row)
{
    JsonObject *object = json_object_new();
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);

    for (guint c = 0; c < table->n_columns; c++) {
        JsonNode *value = json_object_get_member(row, table->columns[c].key);

        json_object_set_member(object, table->columns[c].key,
                               value ? utf8_copy(value)
                                     : json_node_new(JSON_NODE_NULL));
    }
    json_node_take_object(node, object);
    return node;
}

static char *json_text(JsonNode *root)
{
    g_autoptr(JsonGenerator) generator = json_generator_new();
    char *text;
    char *with_newline;

    json_generator_set_pretty(generator, TRUE);
    json_generator_set_indent(generator, 2);
    json_generator_set_root(generator, root);
    text = json_generator_to_data(generator, NULL);
    with_newline = g_strconcat(text, "\n", NULL);
    g_free(text);
    return with_newline;
}

char *pvgpuctl_table_render_json(const PvgpuctlTable *table)
{
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
    JsonArray *array = json_array_new();

    for (guint r = 0; r < table->rows->len; r++) {
        json_array_add_element(array, row_node(table, table->rows->pdata[r]));
    }
    json_node_take_array(root, array);
    return json_text(root);
}

char *pvgpuctl_table_render_record_text(const PvgpuctlTable *table, guint row)
{
    GString *out;
    gsize width = 0;

    g_return_val_if_fail(row < table->rows->len, NULL);
    out = g_string_new(NULL);
    for (guint c = 0; c < table->n_columns; c++) {
        width = MAX(width, (gsize)g_utf8_strlen(table->columns[c].header, -1));
    }
    for (guint c = 0; c < table->n_columns; c++) {
        const PvgpuctlColumn *column = &table->columns[c];
        g_autofree char *text =
            pvgpuctl_table_cell_text(column, table->rows->pdata[row]);
        g_autofree char *label = g_strconcat(column->header, ":", NULL);

        append_padded(out, label, width + 1, FALSE, FALSE);
        g_string_append_printf(out, " %s\n", text);
    }
    if (table->legend) {
        g_string_append_printf(out, "%s\n", table->legend);
    }
    return g_string_free(out, FALSE);
}

char *pvgpuctl_table_render_record_json(const PvgpuctlTable *table, guint row)
{
    g_autoptr(JsonNode) root = NULL;

    g_return_val_if_fail(row < table->rows->len, NULL);
    root = row_node(table, table->rows->pdata[row]);
    return json_text(root);
}
