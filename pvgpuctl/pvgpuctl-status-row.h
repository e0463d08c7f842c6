#pragma once

#include "pvgpuctl-table.h"

#include <glib.h>
#include <json-glib/json-glib.h>

/* What asking the backend's control socket gave. */
typedef enum {
    PVGPUCTL_PROBE_NONE, /* not asked: no backend expected, remote */
    PVGPUCTL_PROBE_REPLY, /* a reply line arrived (ok or not) */
    PVGPUCTL_PROBE_UNREACHABLE, /* no backend listens on the socket */
    PVGPUCTL_PROBE_FAILED, /* connected, but no usable reply */
} PvgpuctlProbe;

/* Everything the status command gathers about one domain. */
typedef struct {
    const char *name;
    const char *uuid;
    const char *state; /* virsh's words: "running", "shut off"... */
    gboolean active; /* the domain runs (or is paused...) */
    gboolean pending; /* pvgpu is only in the persistent definition */
    gboolean local; /* the control socket is reachable from here */
    const char *config_error; /* invalid pvgpu metadata, else NULL */
    guint64 shmem_size; /* 0 when unknown */
    guint64 memory_budget;
    guint display_width; /* 0 when not set */
    guint display_height;
    const char *control_socket;
    PvgpuctlProbe probe;
    const char *probe_message; /* why PROBE_UNREACHABLE / PROBE_FAILED */
    JsonNode *reply; /* PROBE_REPLY: the backend's reply */
} PvgpuctlStatusFacts;

typedef enum {
    PVGPUCTL_STATUS_VIEW_LIST,
    PVGPUCTL_STATUS_VIEW_DETAIL,
} PvgpuctlStatusView;

/* One row of the status model; every view picks its columns from it. A
 * reply of any shape is accepted: members of the wrong type stay missing. */
JsonObject *pvgpuctl_status_row_new(const PvgpuctlStatusFacts *facts);

/* FALSE when the row shows a backend in trouble or invalid metadata;
 * a domain that is not running is healthy. */
gboolean pvgpuctl_status_row_healthy(JsonObject *row);

PvgpuctlTable *pvgpuctl_status_table_new(PvgpuctlStatusView view);
