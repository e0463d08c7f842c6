/* SPDX-License-Identifier: MIT */
/* What this backend implements, for --print-capabilities and status. */
#ifndef PVGPU_BACKEND_CAPABILITIES_H
#define PVGPU_BACKEND_CAPABILITIES_H

#include <glib.h>
#include <json-glib/json-glib.h>

/* Adds the names of the known feature bits in features to an open array. */
void pvgpu_add_feature_names(JsonBuilder *b, guint64 features);

/* "2d shmem-fd ..." for the known feature bits in features (log lines). */
gchar *pvgpu_feature_list(guint64 features);

/* {"type":"gpu","protocol_version":"1.0","features":[...],"commands":[...]} */
gchar *pvgpu_capabilities_json(void);

#endif
