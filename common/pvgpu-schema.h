/* SPDX-License-Identifier: MIT */
/* Validation of the <pvgpu:gpu> metadata element with pvgpu-metadata.rng. */
#ifndef PVGPU_SCHEMA_H
#define PVGPU_SCHEMA_H

#include <glib.h>
#include <libxml/tree.h>

#define PVGPU_SCHEMA_FILE "pvgpu-metadata.rng"

/* $PVGPU_SCHEMA_DIR/pvgpu-metadata.rng, else the installed one. */
char *pvgpu_schema_path(void);

/* Validates doc's root element; the first schema error becomes the message. */
gboolean pvgpu_schema_validate_doc(xmlDoc *doc, GError **error);

/* Validates one element of a larger document (copied into its own doc). */
gboolean pvgpu_schema_validate_element(xmlNode *element, GError **error);

#endif
