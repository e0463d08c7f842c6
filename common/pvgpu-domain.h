/* SPDX-License-Identifier: MIT */
/*
 * The pvgpu view of a libvirt domain: the <pvgpu:gpu> metadata element, the
 * paths derived from the domain UUID, and the two <qemu:arg> that add the
 * device. Shared by the libvirt hook and pvgpuctl; never calls libvirt.
 */
#ifndef PVGPU_DOMAIN_H
#define PVGPU_DOMAIN_H

#include <glib.h>
#include <libxml/tree.h>

#define PVGPU_METADATA_NS "urn:x-pvgpu:domain:1.0"
/* Every version of the pvgpu namespace starts so. */
#define PVGPU_NS_FAMILY "urn:x-pvgpu:"
#define PVGPU_METADATA_PREFIX "pvgpu"
#define PVGPU_METADATA_ELEMENT "gpu"
#define PVGPU_QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

#define PVGPU_DEFAULT_RUNTIME_BASE "/run/pvgpu"
#define PVGPU_DEFAULT_LOG_DIR "/var/log/pvgpu"
#define PVGPU_DEFAULT_SHMEM_SIZE (G_GUINT64_CONSTANT(256) << 20)
#define PVGPU_DEFAULT_MEMORY_BUDGET (G_GUINT64_CONSTANT(512) << 20)
#define PVGPU_MIN_MEMORY_BUDGET (G_GUINT64_CONSTANT(1) << 20)
#define PVGPU_MAX_MEMORY_BUDGET (G_GUINT64_CONSTANT(1) << 40)
#define PVGPU_SLOT_Q35 0x1eu  /* 0x1f is the ICH9 LPC/SATA/SMBus function */
#define PVGPU_SLOT_PC 0x1fu

typedef struct {
    char *uuid;                /* lower case, validated */
    char *name;
    char *machine;             /* <os><type machine=...>, NULL when absent */
    guint64 shmem_size;
    guint64 memory_budget;
    guint display_width, display_height; /* 0 x 0: not set */
    guint slot;                /* 0: the machine's default */
} PvgpuDomainConfig;

/*
 * Reads the <pvgpu:gpu> element of domain's <metadata>. *out is NULL (and
 * TRUE returned) when the domain has no pvgpu metadata. Fails for invalid
 * metadata, more than one pvgpu element, a different pvgpu namespace
 * version, a missing or malformed <uuid>, or derived paths too long.
 */
gboolean pvgpu_domain_config_from_xml(xmlDoc *domain, PvgpuDomainConfig **out,
                                      GError **error);

/*
 * The configuration pvgpu starts with on a domain that has no pvgpu
 * metadata yet: uuid, name and machine read from domain (and refused like
 * pvgpu_domain_config_from_xml refuses them), shmem 256M, the default
 * memory budget, no display, the machine's slot.
 */
PvgpuDomainConfig *pvgpu_domain_config_new_default(xmlDoc *domain,
                                                   GError **error);

void pvgpu_domain_config_free(PvgpuDomainConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PvgpuDomainConfig, pvgpu_domain_config_free)

/* $PVGPU_RUNTIME_DIR (default /run/pvgpu) / uuid, and files inside it. */
char *pvgpu_domain_runtime_dir(const PvgpuDomainConfig *c);
char *pvgpu_domain_device_socket(const PvgpuDomainConfig *c);
char *pvgpu_domain_control_socket(const PvgpuDomainConfig *c);
char *pvgpu_domain_pidfile(const PvgpuDomainConfig *c);
/* $PVGPU_LOG_DIR (default /var/log/pvgpu) / uuid.log */
char *pvgpu_domain_log_path(const PvgpuDomainConfig *c);

/* "pcie.0" for q35 machines, else "pci.0". */
const char *pvgpu_domain_bus(const PvgpuDomainConfig *c);
/* The metadata slot, else the machine's default. */
guint pvgpu_domain_slot(const PvgpuDomainConfig *c);

/* The two expected <qemu:arg> values: "-device", "pvgpu,...". */
GPtrArray *pvgpu_domain_qemu_args(const PvgpuDomainConfig *c);

/*
 * TRUE when <qemu:commandline> holds exactly one pvgpu device and it equals
 * the one derived from c. Otherwise PVGPU_COMMON_ERROR_MISMATCH with what
 * differs and the hint "run: pvgpuctl sync <name>".
 */
gboolean pvgpu_domain_check_commandline(xmlDoc *domain,
                                        const PvgpuDomainConfig *c,
                                        GError **error);

/*
 * Rewrites domain in place: the pvgpu metadata element and the pvgpu pair of
 * <qemu:arg> become those of c, or are removed when c is NULL. Other metadata
 * namespaces and other <qemu:arg> are left untouched and in order.
 */
gboolean pvgpu_domain_apply(xmlDoc *domain, const PvgpuDomainConfig *c,
                            GError **error);

#endif
