#pragma once

#include "pvgpu-domain.h"
#include "pvgpuctl-args.h"

#include <libxml/tree.h>

/* The edits of a persistent domain definition, on the document only (no
 * libvirt): each rewrites doc in place and sets *config to the pvgpu
 * configuration doc now has (NULL after disable). name is for messages. */
typedef gboolean (*PvgpuctlEditFunc)(xmlDoc *doc, const char *name,
                                     const PvgpuctlArgs *args,
                                     PvgpuDomainConfig **config,
                                     GError **error);

/* Adds pvgpu with the options given (existing values kept, else the
 * defaults) and derives the QEMU arguments. */
gboolean pvgpuctl_edit_enable(xmlDoc *doc, const char *name,
                              const PvgpuctlArgs *args,
                              PvgpuDomainConfig **config, GError **error);
/* Removes the pvgpu metadata and QEMU arguments, nothing else. */
gboolean pvgpuctl_edit_disable(xmlDoc *doc, const char *name,
                               const PvgpuctlArgs *args,
                               PvgpuDomainConfig **config, GError **error);
/* Re-derives the QEMU arguments from the metadata. */
gboolean pvgpuctl_edit_sync(xmlDoc *doc, const char *name,
                            const PvgpuctlArgs *args,
                            PvgpuDomainConfig **config, GError **error);

/* The pvgpu configuration of doc (NULL when none), with the reason when
 * its metadata is invalid. */
gboolean pvgpuctl_edit_read_config(xmlDoc *doc, const char *name,
                                   PvgpuDomainConfig **config, GError **error);

/* doc without formatting blanks: equal texts mean equal definitions. */
char *pvgpuctl_edit_canonical_text(xmlDoc *doc);
