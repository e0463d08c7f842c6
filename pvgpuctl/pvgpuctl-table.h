#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

/* One table model, two renderings: aligned text (a dash for a missing
 * cell, then a legend line) or JSON (stable keys in column order, numbers
 * as numbers, null for a missing cell). Rows are JSON objects; a column
 * picks one member. */

/* Text for a present, non-null cell whose default rendering does not fit
 * (objects, numbers with units). */
typedef char *(*PvgpuctlCellFormatter)(JsonNode *value);

typedef struct {
    const char *key; /* the row member, also the JSON key */
    const char *header; /* column header, or label of a detail line */
    gboolean right_align;
    gboolean json_only; /* left out of the text table */
    PvgpuctlCellFormatter format; /* NULL: default rendering */
} PvgpuctlColumn;

typedef struct _PvgpuctlTable PvgpuctlTable;

PvgpuctlTable *pvgpuctl_table_new(const PvgpuctlColumn *columns,
                                  guint n_columns, const char *legend);
void pvgpuctl_table_free(PvgpuctlTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PvgpuctlTable, pvgpuctl_table_free)

void pvgpuctl_table_add_row(PvgpuctlTable *table, JsonObject *row);
guint pvgpuctl_table_n_rows(const PvgpuctlTable *table);
JsonObject *pvgpuctl_table_row(const PvgpuctlTable *table, guint index);

/* Header, one line per row, then the legend line (if any). */
char *pvgpuctl_table_render_text(const PvgpuctlTable *table);
/* A JSON array of the rows, one object each. */
char *pvgpuctl_table_render_json(const PvgpuctlTable *table);

/* One row as "Label: value" lines (every column), or as one JSON object. */
char *pvgpuctl_table_render_record_text(const PvgpuctlTable *table, guint row);
char *pvgpuctl_table_render_record_json(const PvgpuctlTable *table, guint row);

/* The text of one cell as the renderers show it ("-" when missing). */
char *pvgpuctl_table_cell_text(const PvgpuctlColumn *column, JsonObject *row);
