/* SPDX-License-Identifier: MIT */
/*
 * PVGPU protocol: the one ABI shared by the QEMU device, the host backend,
 * the management tools and guest drivers.
 *
 * Rules for everything in this file:
 *  - fixed-width fields only, little-endian, natural alignment with explicit
 *    padding; no bool, no pointers (addresses are u64 offsets);
 *  - every field named "reserved" or "padding" must be zero, and readers
 *    refuse non-zero values so that they can be given a meaning later;
 *  - every struct size and field offset is pinned by a static assertion.
 *
 * See protocol/SPEC.md for register semantics and message sequences.
 */
#ifndef PVGPU_PROTOCOL_H
#define PVGPU_PROTOCOL_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#else
#include <stddef.h>
#include <stdint.h>
#endif

/* C11 and C++11 (a Windows user-mode driver is C++) spell it differently. */
#ifdef __cplusplus
#define PVGPU_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define PVGPU_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#define PVGPU_ABI_ASSERT_SIZE(type, size) \
    PVGPU_STATIC_ASSERT(sizeof(type) == (size), "ABI size of " #type)
#define PVGPU_ABI_ASSERT_OFFSET(type, field, off) \
    PVGPU_STATIC_ASSERT(offsetof(type, field) == (off), \
                   "ABI offset of " #type "." #field)

/* Protocol version: major in the high 16 bits, minor in the low 16 bits. */
#define PVGPU_VERSION_MAJOR 1
#define PVGPU_VERSION_MINOR 0
#define PVGPU_PROTOCOL_VERSION \
    ((uint32_t)((PVGPU_VERSION_MAJOR << 16) | PVGPU_VERSION_MINOR))

/* ------------------------------------------------------------------------
 * PCI identity. 1af4:10f0 lies in the range QEMU's docs/specs/pci-ids.rst
 * reserves for experimental devices; a shipping product needs its own ID.
 */
#define PVGPU_PCI_VENDOR_ID           0x1AF4
#define PVGPU_PCI_DEVICE_ID           0x10F0
#define PVGPU_PCI_CLASS_CODE          0x030000 /* VGA-compatible display */
#define PVGPU_PCI_REVISION            0x01
#define PVGPU_PCI_SUBSYSTEM_VENDOR_ID 0x1AF4
#define PVGPU_PCI_SUBSYSTEM_ID        0x1100

#define PVGPU_BAR_REGS  0 /* 4 KiB MMIO registers */
#define PVGPU_BAR_MSIX  1 /* MSI-X table and PBA */
#define PVGPU_BAR_SHMEM 2 /* shared memory, 64-bit prefetchable */

/* ------------------------------------------------------------------------
 * BAR0 registers. All registers are 32 bits wide and must be accessed with
 * aligned 32-bit loads and stores. 64-bit values are split into _LO/_HI.
 * Offsets not listed read as 0 and ignore writes.
 */
#define PVGPU_BAR0_SIZE 0x1000

#define PVGPU_REG_MAGIC            0x000 /* R: PVGPU_MAGIC */
#define PVGPU_REG_VERSION          0x004 /* R: PVGPU_PROTOCOL_VERSION */
#define PVGPU_REG_DEVICE_FEATURES_LO 0x008 /* R: features the device offers */
#define PVGPU_REG_DEVICE_FEATURES_HI 0x00C
#define PVGPU_REG_FEATURES_LO      0x010 /* R: negotiated with the backend */
#define PVGPU_REG_FEATURES_HI      0x014
#define PVGPU_REG_STATUS           0x018 /* R, W1C for sticky bits */
#define PVGPU_REG_GENERATION       0x01C /* R: +1 per completed handshake */
#define PVGPU_REG_DOORBELL         0x020 /* W: any value; reads 0 */
#define PVGPU_REG_IRQ_STATUS       0x024 /* R/W1C: bit n = vector n raised */
#define PVGPU_REG_IRQ_MASK         0x028 /* RW: bit n masks vector n (INTx) */
#define PVGPU_REG_RESET            0x02C /* W: PVGPU_RESET_VALUE resets */
#define PVGPU_REG_SHMEM_SIZE_LO    0x030 /* R: BAR2 size in bytes */
#define PVGPU_REG_SHMEM_SIZE_HI    0x034
#define PVGPU_REG_NUM_VECTORS      0x038 /* R: PVGPU_NUM_VECTORS */
#define PVGPU_REG_LAST             PVGPU_REG_NUM_VECTORS

#define PVGPU_MAGIC       0x50475650u /* "PVGP" in little-endian bytes */
#define PVGPU_RESET_VALUE 0x1u

/* STATUS bits; each has its own bit. */
#define PVGPU_STATUS_BACKEND_CONNECTED (1u << 0) /* IPC socket connected */
#define PVGPU_STATUS_READY             (1u << 1) /* handshake done, ring live */
#define PVGPU_STATUS_ERROR             (1u << 2) /* sticky, W1C: see ctrl */
#define PVGPU_STATUS_DEVICE_LOST       (1u << 3) /* sticky, W1C: backend was
                                                    lost, resources are gone */
#define PVGPU_STATUS_STICKY (PVGPU_STATUS_ERROR | PVGPU_STATUS_DEVICE_LOST)

/* ------------------------------------------------------------------------
 * Interrupt vectors. With MSI-X each has its own vector (BAR1); with INTx
 * they share the line, asserted while IRQ_STATUS & ~IRQ_MASK is non-zero.
 */
#define PVGPU_VECTOR_FENCE   0 /* a fence with PVGPU_FENCE_FLAG_IRQ completed */
#define PVGPU_VECTOR_DISPLAY 1 /* a present finished or the mode changed */
#define PVGPU_VECTOR_ERROR   2 /* the backend reported a command error */
#define PVGPU_VECTOR_DEVICE  3 /* STATUS changed: backend ready or lost */
#define PVGPU_NUM_VECTORS    4

/* ------------------------------------------------------------------------
 * Feature bits. Bits 0..31 describe the guest-visible command set;
 * bits 32..63 describe the host IPC and are not meaningful to a guest.
 */
#define PVGPU_FEATURE_2D        (1ull << 0)  /* 2D command set, 0x01xx-0x04xx */
#define PVGPU_FEATURE_CURSOR    (1ull << 1)  /* PVGPU_CMD_SET_CURSOR */
#define PVGPU_FEATURE_SHMEM_FD  (1ull << 32) /* shmem fd via SCM_RIGHTS */
#define PVGPU_FEATURE_EVENTFD   (1ull << 33) /* doorbell + vector eventfds */
#define PVGPU_FEATURE_DISPLAY   (1ull << 34) /* DISPLAY_SCANOUT/UPDATE: the
                                                backend's frame as a memfd */
#define PVGPU_FEATURE_DISPLAY_HINT (1ull << 35) /* DISPLAY_HINT: the viewer's
                                                   size, with DISPLAY only */
#define PVGPU_FEATURE_DISPLAY_CURSOR (1ull << 36) /* DISPLAY_CURSOR: the
                                                     pointer, with DISPLAY */
#define PVGPU_FEATURES_GUEST_MASK 0x00000000ffffffffull

/* ------------------------------------------------------------------------
 * BAR2 shared memory: a power of two between the limits below, laid out as
 *   [0, PVGPU_CTRL_SIZE)                     control region
 *   [PVGPU_RING_OFFSET, +PVGPU_RING_SIZE)    command ring
 *   [PVGPU_HEAP_OFFSET, shmem_size)          resource heap
 * The layout is a pure function of shmem_size (pvgpu_layout_compute()), so
 * the backend never has to trust offsets that the guest can overwrite.
 */
#define PVGPU_SHMEM_MIN_SIZE     (4ull << 20)   /* 4 MiB */
#define PVGPU_SHMEM_DEFAULT_SIZE (256ull << 20) /* 256 MiB */
#define PVGPU_SHMEM_MAX_SIZE     (64ull << 30)  /* 64 GiB */
#define PVGPU_CTRL_SIZE          0x1000ull
#define PVGPU_RING_OFFSET        PVGPU_CTRL_SIZE
#define PVGPU_RING_SIZE          (1ull << 20)   /* power of two */
#define PVGPU_HEAP_OFFSET        (PVGPU_RING_OFFSET + PVGPU_RING_SIZE)

#define PVGPU_CTRL_MAGIC 0x52435650u /* "PVCR" */

/*
 * Control region at BAR2 offset 0. The device writes the identity and
 * layout block at realize and reset. The producer line is written only by
 * the guest, the consumer line and everything after it only by the backend;
 * each index sits on its own 64-byte cache line.
 */
struct pvgpu_control {
    /* 0x000: identity and layout, written by the device */
    uint32_t magic;          /* PVGPU_CTRL_MAGIC */
    uint32_t version;        /* PVGPU_PROTOCOL_VERSION */
    uint32_t ctrl_size;      /* sizeof(struct pvgpu_control) */
    uint32_t flags;          /* reserved, 0 */
    uint64_t shmem_size;
    uint64_t ring_offset;
    uint64_t ring_size;
    uint64_t heap_offset;
    uint64_t heap_size;
    uint64_t reserved0;
    /* 0x040: written by the guest */
    uint64_t producer;        /* free-running byte index into the ring */
    uint64_t fence_submitted; /* highest fence id the guest queued */
    uint8_t  reserved1[48];
    /* 0x080: written by the backend */
    uint64_t consumer;        /* free-running byte index, <= producer */
    uint64_t fence_completed; /* highest fence id executed */
    uint8_t  reserved2[48];
    /* 0x0C0: last command error, written by the backend */
    uint32_t error_code;      /* enum pvgpu_error; guest writes 0 to ack */
    uint32_t error_cmd_type;  /* type of the refused command */
    uint32_t error_cmd_id;    /* id from the refused command's header */
    uint32_t error_count;     /* number of errors since the handshake */
    uint64_t error_ring_offset; /* ring index of the refused command */
    uint64_t error_detail;    /* the offending value, see SPEC.md */
    uint8_t  reserved3[32];
    /* 0x100: display state, written by the backend */
    uint32_t display_width;   /* preferred mode offered to the guest */
    uint32_t display_height;
    uint32_t scanout_resource; /* resource on scanout 0, 0 for none */
    uint32_t scanout_width;
    uint32_t scanout_height;
    uint32_t scanout_format;  /* enum pvgpu_format */
    uint64_t present_count;   /* PRESENT commands executed */
    uint32_t display_serial;  /* incremented after display_width/height
                                 change; then PVGPU_VECTOR_DISPLAY */
    uint8_t  reserved4[28];
    /* 0x140: room to grow */
    uint8_t  reserved5[0x1000 - 0x140];
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_control, 0x1000);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, magic, 0x000);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, version, 0x004);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, ctrl_size, 0x008);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, flags, 0x00C);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, shmem_size, 0x010);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, ring_offset, 0x018);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, ring_size, 0x020);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, heap_offset, 0x028);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, heap_size, 0x030);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, reserved0, 0x038);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, producer, 0x040);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, fence_submitted, 0x048);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, reserved1, 0x050);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, consumer, 0x080);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, fence_completed, 0x088);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, reserved2, 0x090);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, error_code, 0x0C0);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, error_cmd_type, 0x0C4);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, error_cmd_id, 0x0C8);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, error_count, 0x0CC);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, error_ring_offset, 0x0D0);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, error_detail, 0x0D8);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, reserved3, 0x0E0);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, display_width, 0x100);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, display_height, 0x104);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, scanout_resource, 0x108);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, scanout_width, 0x10C);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, scanout_height, 0x110);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, scanout_format, 0x114);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, present_count, 0x118);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, display_serial, 0x120);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, reserved4, 0x124);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_control, reserved5, 0x140);

#define PVGPU_DEFAULT_DISPLAY_WIDTH  1024
#define PVGPU_DEFAULT_DISPLAY_HEIGHT 768

/* ------------------------------------------------------------------------
 * Command ring. Indices are free-running u64 byte counts; a command lives
 * at ring offset (index % PVGPU_RING_SIZE). Rules:
 *  - every command starts with struct pvgpu_cmd_hdr; its size counts the
 *    header, is a multiple of PVGPU_CMD_ALIGN and at most PVGPU_CMD_MAX_SIZE;
 *  - a command never wraps: when the bytes left before the ring end are
 *    fewer than the next command, the guest fills them with one NOP
 *    (possible because sizes and the ring are multiples of PVGPU_CMD_ALIGN,
 *    which equals the header size);
 *  - the guest publishes commands by a release store of producer; the
 *    backend consumes and publishes consumer; producer - consumer never
 *    exceeds the ring size.
 */
#define PVGPU_CMD_ALIGN    16u
#define PVGPU_CMD_MAX_SIZE 4096u

/* Command codes, in ranges so that later sets do not renumber. */
enum pvgpu_cmd_type {
    /* 0x00xx: ring control */
    PVGPU_CMD_NOP                = 0x0001,
    /* 0x01xx: resources */
    PVGPU_CMD_RESOURCE_CREATE_2D = 0x0101,
    PVGPU_CMD_RESOURCE_DESTROY   = 0x0102,
    PVGPU_CMD_RESOURCE_UPLOAD    = 0x0103,
    /* 0x02xx: 2D drawing */
    PVGPU_CMD_FILL_RECT          = 0x0201,
    PVGPU_CMD_COPY_RECT          = 0x0202,
    /* 0x03xx: display */
    PVGPU_CMD_SET_SCANOUT        = 0x0301,
    PVGPU_CMD_PRESENT            = 0x0302,
    PVGPU_CMD_SET_CURSOR         = 0x0303, /* PVGPU_FEATURE_CURSOR */
    /* 0x04xx: synchronisation */
    PVGPU_CMD_FENCE              = 0x0401,
    /* 0x10xx-0x1fxx: reserved for a 3D command set */
};

/* Header flags; no flag is defined yet: all bits must be zero. */
#define PVGPU_CMD_FLAGS_VALID 0x0u

/* Starts every command. */
struct pvgpu_cmd_hdr {
    uint32_t type;  /* enum pvgpu_cmd_type */
    uint32_t size;  /* bytes including this header */
    uint32_t flags; /* PVGPU_CMD_FLAGS_VALID */
    uint32_t id;    /* guest's tag, echoed in error reports */
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_cmd_hdr, 16);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_hdr, type, 0);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_hdr, size, 4);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_hdr, flags, 8);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_hdr, id, 12);
PVGPU_STATIC_ASSERT(sizeof(struct pvgpu_cmd_hdr) == PVGPU_CMD_ALIGN,
               "a NOP header must fill any gap before the ring end");

/* Pixel formats: 32 bits per pixel, named by memory byte order. */
enum pvgpu_format {
    PVGPU_FORMAT_B8G8R8A8_UNORM = 1,
    PVGPU_FORMAT_B8G8R8X8_UNORM = 2,
    PVGPU_FORMAT_R8G8B8A8_UNORM = 3,
    PVGPU_FORMAT_R8G8B8X8_UNORM = 4,
};
#define PVGPU_FORMAT_BYTES_PER_PIXEL 4u
#define PVGPU_MAX_DIMENSION 16384u
#define PVGPU_MAX_SCANOUTS  1u

struct pvgpu_rect {
    uint32_t x;
    uint32_t y;
    uint32_t width;
    uint32_t height;
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_rect, 16);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_rect, x, 0);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_rect, y, 4);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_rect, width, 8);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_rect, height, 12);

/* PVGPU_CMD_NOP: header only; also pads the ring before its end. */
struct pvgpu_cmd_nop {
    struct pvgpu_cmd_hdr hdr;
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_cmd_nop, 16);

/* PVGPU_CMD_RESOURCE_CREATE_2D */
struct pvgpu_cmd_resource_create_2d {
    struct pvgpu_cmd_hdr hdr;
    uint32_t resource_id; /* non-zero, not in use */
    uint32_t format;      /* enum pvgpu_format */
    uint32_t width;       /* 1..PVGPU_MAX_DIMENSION */
    uint32_t height;      /* 1..PVGPU_MAX_DIMENSION */
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_cmd_resource_create_2d, 32);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_resource_create_2d, resource_id, 16);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_resource_create_2d, format, 20);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_resource_create_2d, width, 24);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_resource_create_2d, height, 28);

/* PVGPU_CMD_RESOURCE_DESTROY */
struct pvgpu_cmd_resource_destroy {
    struct pvgpu_cmd_hdr hdr;
    uint32_t resource_id;
    uint32_t reserved[3];
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_cmd_resource_destroy, 32);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_resource_destroy, resource_id, 16);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_resource_destroy, reserved, 20);

/*
 * PVGPU_CMD_RESOURCE_UPLOAD: copies rows of pixels from the heap into the
 * resource. Row r of the source starts at heap offset heap_offset + r*stride
 * (heap-relative, not BAR2-relative); the whole source must lie in the heap.
 */
struct pvgpu_cmd_resource_upload {
    struct pvgpu_cmd_hdr hdr;
    uint32_t resource_id;
    uint32_t stride;       /* bytes per source row, >= width * 4 */
    uint64_t heap_offset;
    struct pvgpu_rect dst; /* in the resource; clipped to it */
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_cmd_resource_upload, 48);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_resource_upload, resource_id, 16);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_resource_upload, stride, 20);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_resource_upload, heap_offset, 24);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_resource_upload, dst, 32);

/* PVGPU_CMD_FILL_RECT: color is one pixel in the resource's format. */
struct pvgpu_cmd_fill_rect {
    struct pvgpu_cmd_hdr hdr;
    uint32_t resource_id;
    uint32_t color;
    struct pvgpu_rect rect; /* clipped to the resource */
    uint64_t reserved;
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_cmd_fill_rect, 48);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_fill_rect, resource_id, 16);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_fill_rect, color, 20);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_fill_rect, rect, 24);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_fill_rect, reserved, 40);

/* PVGPU_CMD_COPY_RECT: between resources of the same format (or within one;
 * overlapping copies behave like memmove). */
struct pvgpu_cmd_copy_rect {
    struct pvgpu_cmd_hdr hdr;
    uint32_t src_resource_id;
    uint32_t dst_resource_id;
    struct pvgpu_rect src;  /* clipped to the source */
    uint32_t dst_x;         /* clipped to the destination */
    uint32_t dst_y;
    uint64_t reserved;
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_cmd_copy_rect, 56);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_copy_rect, src_resource_id, 16);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_copy_rect, dst_resource_id, 20);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_copy_rect, src, 24);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_copy_rect, dst_x, 40);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_copy_rect, dst_y, 44);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_copy_rect, reserved, 48);

/* PVGPU_CMD_SET_SCANOUT: resource_id 0 disables the scanout. */
struct pvgpu_cmd_set_scanout {
    struct pvgpu_cmd_hdr hdr;
    uint32_t scanout_id;    /* < PVGPU_MAX_SCANOUTS */
    uint32_t resource_id;
    struct pvgpu_rect src;  /* part of the resource shown; clipped */
    uint64_t reserved;
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_cmd_set_scanout, 48);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_set_scanout, scanout_id, 16);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_set_scanout, resource_id, 20);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_set_scanout, src, 24);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_set_scanout, reserved, 40);

/* PVGPU_CMD_PRESENT: the damaged part of the scanout is shown. */
struct pvgpu_cmd_present {
    struct pvgpu_cmd_hdr hdr;
    uint32_t scanout_id;
    uint32_t flags;         /* PVGPU_PRESENT_FLAG_* */
    struct pvgpu_rect damage;
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_cmd_present, 40);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_present, scanout_id, 16);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_present, flags, 20);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_present, damage, 24);
#define PVGPU_PRESENT_FLAG_IRQ   (1u << 0) /* raise PVGPU_VECTOR_DISPLAY */
#define PVGPU_PRESENT_FLAGS_VALID PVGPU_PRESENT_FLAG_IRQ

/*
 * PVGPU_CMD_SET_CURSOR: the pointer over scanout_id is resource_id's image
 * (B8G8R8A8, at most PVGPU_CURSOR_MAX_SIZE square, alpha blended by the
 * viewer) with its hotspot at (x, y) of the scanout; resource_id 0 hides
 * it. With PVGPU_CURSOR_FLAG_SHAPE the backend reads the resource's
 * pixels again; without, only the position (or the visibility) changed.
 */
struct pvgpu_cmd_set_cursor {
    struct pvgpu_cmd_hdr hdr;
    uint32_t scanout_id;    /* < PVGPU_MAX_SCANOUTS */
    uint32_t resource_id;   /* 0: no pointer */
    uint32_t hot_x;         /* < the resource's width */
    uint32_t hot_y;         /* < the resource's height */
    int32_t  x;             /* the hotspot's position, may be off screen */
    int32_t  y;
    uint32_t flags;         /* PVGPU_CURSOR_FLAG_* */
    uint32_t reserved;
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_cmd_set_cursor, 48);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_set_cursor, scanout_id, 16);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_set_cursor, resource_id, 20);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_set_cursor, hot_x, 24);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_set_cursor, hot_y, 28);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_set_cursor, x, 32);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_set_cursor, y, 36);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_set_cursor, flags, 40);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_set_cursor, reserved, 44);
#define PVGPU_CURSOR_FLAG_SHAPE  (1u << 0) /* the image changed */
#define PVGPU_CURSOR_FLAGS_VALID PVGPU_CURSOR_FLAG_SHAPE
#define PVGPU_CURSOR_MAX_SIZE    64u

/* PVGPU_CMD_FENCE: completes once every earlier command has executed. */
struct pvgpu_cmd_fence {
    struct pvgpu_cmd_hdr hdr;
    uint64_t fence_id;      /* greater than every earlier fence id */
    uint32_t flags;         /* PVGPU_FENCE_FLAG_* */
    uint32_t reserved;
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_cmd_fence, 32);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_fence, fence_id, 16);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_fence, flags, 24);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_cmd_fence, reserved, 28);
#define PVGPU_FENCE_FLAG_IRQ    (1u << 0) /* raise PVGPU_VECTOR_FENCE */
#define PVGPU_FENCE_FLAGS_VALID PVGPU_FENCE_FLAG_IRQ

/* Error codes reported in pvgpu_control.error_code. */
enum pvgpu_error {
    PVGPU_ERROR_NONE             = 0,
    /* 0x01xx: ring and framing; the rest of the batch is discarded */
    PVGPU_ERROR_RING_INDEX       = 0x0101, /* producer out of range */
    PVGPU_ERROR_CMD_SIZE         = 0x0102, /* zero, unaligned, too large,
                                              past producer or ring end */
    PVGPU_ERROR_CONTROL_CORRUPT  = 0x0103, /* layout block was altered */
    /* 0x02xx: a single command refused, the next one runs */
    PVGPU_ERROR_CMD_UNKNOWN      = 0x0201,
    PVGPU_ERROR_CMD_LENGTH       = 0x0202, /* size wrong for its type */
    PVGPU_ERROR_RESERVED_NONZERO = 0x0203, /* reserved field or flag set */
    PVGPU_ERROR_BAD_FORMAT       = 0x0204,
    PVGPU_ERROR_BAD_DIMENSIONS   = 0x0205,
    PVGPU_ERROR_HEAP_RANGE       = 0x0206, /* source outside the heap */
    PVGPU_ERROR_BAD_STRIDE       = 0x0207,
    PVGPU_ERROR_RESOURCE_ID      = 0x0208, /* id 0 */
    PVGPU_ERROR_RESOURCE_UNKNOWN = 0x0209,
    PVGPU_ERROR_RESOURCE_EXISTS  = 0x020A,
    PVGPU_ERROR_RECT_BOUNDS      = 0x020B, /* rect misses the surface */
    PVGPU_ERROR_FORMAT_MISMATCH  = 0x020C,
    PVGPU_ERROR_SCANOUT_ID       = 0x020D,
    PVGPU_ERROR_FENCE_ORDER      = 0x020E, /* fence id not increasing */
    /* 0x03xx: host limits */
    PVGPU_ERROR_OUT_OF_MEMORY    = 0x0301, /* resource budget exhausted */
};

/* ------------------------------------------------------------------------
 * IPC between the QEMU device and the backend over a Unix stream socket.
 * Every message is a header followed by payload_size bytes, little-endian.
 */
struct pvgpu_ipc_hdr {
    uint32_t msg_type;     /* enum pvgpu_msg_type */
    uint32_t payload_size; /* bytes after the header */
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_ipc_hdr, 8);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_ipc_hdr, msg_type, 0);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_ipc_hdr, payload_size, 4);

enum pvgpu_msg_type {
    PVGPU_MSG_HANDSHAKE     = 1, /* device -> backend */
    PVGPU_MSG_HANDSHAKE_ACK = 2, /* backend -> device: u64 features */
    PVGPU_MSG_DOORBELL      = 3, /* device -> backend: no payload */
    PVGPU_MSG_IRQ           = 4, /* backend -> device: u32 vector */
    PVGPU_MSG_SHUTDOWN      = 5, /* both: no payload */
    PVGPU_MSG_DISPLAY_SCANOUT = 6, /* backend -> device: struct
                                      pvgpu_display_scanout + 1 fd */
    PVGPU_MSG_DISPLAY_UPDATE  = 7, /* backend -> device: struct
                                      pvgpu_display_update */
    PVGPU_MSG_DISPLAY_HINT    = 8, /* device -> backend: struct
                                      pvgpu_display_hint */
    PVGPU_MSG_DISPLAY_CURSOR  = 9, /* backend -> device: struct
                                      pvgpu_display_cursor (+ 1 fd) */
};

/*
 * DISPLAY_SCANOUT (PVGPU_FEATURE_DISPLAY): scanout_id now shows the frame
 * in the attached memfd (sealed with F_SEAL_SHRINK and F_SEAL_GROW, at
 * least stride * height bytes): row r starts at byte r * stride. width 0
 * disables the scanout; then every other field is 0 and no fd is attached.
 */
struct pvgpu_display_scanout {
    uint32_t scanout_id; /* < PVGPU_MAX_SCANOUTS */
    uint32_t format;     /* enum pvgpu_format */
    uint32_t width;      /* 1..PVGPU_MAX_DIMENSION, or 0 */
    uint32_t height;     /* 1..PVGPU_MAX_DIMENSION */
    uint32_t stride;     /* bytes per row, >= width * 4 */
    uint32_t reserved;
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_display_scanout, 24);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_scanout, scanout_id, 0);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_scanout, format, 4);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_scanout, width, 8);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_scanout, height, 12);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_scanout, stride, 16);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_scanout, reserved, 20);

/* DISPLAY_UPDATE: rect of the last DISPLAY_SCANOUT's frame changed. */
struct pvgpu_display_update {
    uint32_t scanout_id;
    uint32_t reserved;
    struct pvgpu_rect rect; /* non-empty, inside the frame */
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_display_update, 24);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_update, scanout_id, 0);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_update, reserved, 4);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_update, rect, 8);

/*
 * DISPLAY_HINT (PVGPU_FEATURE_DISPLAY_HINT): the viewer of scanout_id (a
 * VNC or SPICE client, a window) would show width x height. The backend
 * offers it to the guest as the preferred mode: display_width/height, then
 * display_serial++, then PVGPU_VECTOR_DISPLAY. The guest may ignore it.
 */
struct pvgpu_display_hint {
    uint32_t scanout_id; /* < PVGPU_MAX_SCANOUTS */
    uint32_t width;      /* 1..PVGPU_MAX_DIMENSION */
    uint32_t height;     /* 1..PVGPU_MAX_DIMENSION */
    uint32_t reserved;
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_display_hint, 16);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_hint, scanout_id, 0);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_hint, width, 4);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_hint, height, 8);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_hint, reserved, 12);

/*
 * DISPLAY_CURSOR (PVGPU_FEATURE_DISPLAY_CURSOR): the pointer over
 * scanout_id. With PVGPU_DISPLAY_CURSOR_SHAPE a memfd comes along holding
 * the image, width x height B8G8R8A8 pixels in packed rows (sealed with
 * F_SEAL_SHRINK, at least width * height * 4 bytes); without, only the
 * position or visibility changed and width, height, hot_x, hot_y are 0.
 */
struct pvgpu_display_cursor {
    uint32_t scanout_id; /* < PVGPU_MAX_SCANOUTS */
    uint32_t flags;      /* PVGPU_DISPLAY_CURSOR_* */
    int32_t  x;          /* the hotspot's position in the frame */
    int32_t  y;
    uint32_t hot_x;      /* < width */
    uint32_t hot_y;      /* < height */
    uint32_t width;      /* 1..PVGPU_CURSOR_MAX_SIZE with SHAPE, else 0 */
    uint32_t height;
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_display_cursor, 32);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_cursor, scanout_id, 0);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_cursor, flags, 4);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_cursor, x, 8);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_cursor, y, 12);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_cursor, hot_x, 16);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_cursor, hot_y, 20);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_cursor, width, 24);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_display_cursor, height, 28);
#define PVGPU_DISPLAY_CURSOR_VISIBLE (1u << 0)
#define PVGPU_DISPLAY_CURSOR_SHAPE   (1u << 1) /* an image fd comes along */
#define PVGPU_DISPLAY_CURSOR_FLAGS_VALID \
    (PVGPU_DISPLAY_CURSOR_VISIBLE | PVGPU_DISPLAY_CURSOR_SHAPE)

/* Length of the shared-memory name in HANDSHAKE, including its NUL. */
#define PVGPU_SHMEM_NAME_MAX 256u

/*
 * Optional extension that follows the name's NUL in HANDSHAKE. A backend
 * written to the original description reads only size and name and acks
 * features it knows; it never sees the extension's effects.
 * Descriptors travel with HANDSHAKE as SCM_RIGHTS, in this order:
 *   shmem fd (if PVGPU_FEATURE_SHMEM_FD offered),
 *   doorbell eventfd, then one eventfd per vector (if PVGPU_FEATURE_EVENTFD).
 */
struct pvgpu_handshake_ext {
    uint32_t ext_size;    /* sizeof(struct pvgpu_handshake_ext) */
    uint32_t magic;       /* PVGPU_HANDSHAKE_EXT_MAGIC */
    uint32_t version;     /* PVGPU_PROTOCOL_VERSION */
    uint32_t num_vectors; /* PVGPU_NUM_VECTORS */
    uint64_t features;    /* offered by the device */
    uint32_t num_fds;     /* descriptors attached to this message */
    uint32_t reserved;
};
PVGPU_ABI_ASSERT_SIZE(struct pvgpu_handshake_ext, 32);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_handshake_ext, ext_size, 0);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_handshake_ext, magic, 4);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_handshake_ext, version, 8);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_handshake_ext, num_vectors, 12);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_handshake_ext, features, 16);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_handshake_ext, num_fds, 24);
PVGPU_ABI_ASSERT_OFFSET(struct pvgpu_handshake_ext, reserved, 28);
#define PVGPU_HANDSHAKE_EXT_MAGIC 0x58485650u /* "PVHX" */

/* Most descriptors one HANDSHAKE may carry. */
#define PVGPU_IPC_MAX_FDS (2u + PVGPU_NUM_VECTORS)

/* Upper bounds for payload_size; a reader refuses anything larger. */
#define PVGPU_HANDSHAKE_MIN_PAYLOAD (8u + 1u)
#define PVGPU_HANDSHAKE_MAX_PAYLOAD \
    (8u + PVGPU_SHMEM_NAME_MAX + (uint32_t)sizeof(struct pvgpu_handshake_ext))
#define PVGPU_IPC_MAX_PAYLOAD PVGPU_HANDSHAKE_MAX_PAYLOAD
#define PVGPU_IPC_MAX_MSG_SIZE \
    ((uint32_t)sizeof(struct pvgpu_ipc_hdr) + PVGPU_IPC_MAX_PAYLOAD)

#endif /* PVGPU_PROTOCOL_H */
