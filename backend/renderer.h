/* SPDX-License-Identifier: MIT */
/*
 * The CPU 2D renderer: resources, drawing, scanout and presented frames.
 * Every function takes a command that already passed pvgpu_cmd_validate()
 * and returns PVGPU_ERROR_NONE or the enum pvgpu_error code it also stores
 * in *err; what it checks is the state the codec cannot see (ids in use,
 * formats of existing resources, surface bounds, the memory budget).
 */
#ifndef PVGPU_BACKEND_RENDERER_H
#define PVGPU_BACKEND_RENDERER_H

#include <glib.h>

#include "image.h"
#include "pvgpu_codec.h"

typedef struct _PvgpuRenderer PvgpuRenderer;

typedef struct {
    guint32 resource_id;
    guint32 format;
    struct pvgpu_rect rect; /* part of the resource shown, already clipped */
} PvgpuScanout;

/*
 * What the budget charges for each allocation (a resource, the presented
 * frame) besides its pixels: the bookkeeping struct, the hash table slot
 * and the allocator's headers. Without it a guest could make millions of
 * 1x1 resources whose pixels are nearly free but whose overhead is not.
 */
#define PVGPU_RENDERER_ALLOC_OVERHEAD 256u
/* Resources one renderer holds at most, whatever the budget. */
#define PVGPU_RENDERER_MAX_RESOURCES 65536u

/*
 * Bytes charged against the budget for width x height pixels: the pixels
 * rounded up to the allocator's granularity, plus the overhead above.
 * G_MAXUINT64 when the size overflows.
 */
guint64 pvgpu_renderer_alloc_cost(guint32 width, guint32 height);

/* memory_budget: bytes that resources and the presented frame may be
 * charged in all (see pvgpu_renderer_alloc_cost()). */
PvgpuRenderer *pvgpu_renderer_new(guint64 memory_budget);
void pvgpu_renderer_free(PvgpuRenderer *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PvgpuRenderer, pvgpu_renderer_free)

guint32 pvgpu_renderer_create(PvgpuRenderer *r,
                              const struct pvgpu_cmd_resource_create_2d *c,
                              struct pvgpu_cmd_error *err);
guint32 pvgpu_renderer_destroy(PvgpuRenderer *r,
                               const struct pvgpu_cmd_resource_destroy *c,
                               struct pvgpu_cmd_error *err);
/*
 * Part of a pixel command: rows [start, start + max) of its clipped
 * rectangle, in the order the command writes them (bottom-up for a copy
 * down within one resource), so that a large command can run in pieces
 * with other work in between and give the same pixels. finished is set
 * when no row is left after these. NULL: all rows at once.
 */
typedef struct {
    guint32 start;
    guint32 max;
    gboolean finished;
} PvgpuRows;

/* heap is the resource heap in shared memory; *copied counts pixel bytes. */
guint32 pvgpu_renderer_upload(PvgpuRenderer *r,
                              const struct pvgpu_cmd_resource_upload *c,
                              const guint8 *heap, guint64 heap_size,
                              PvgpuRows *rows, guint64 *copied,
                              struct pvgpu_cmd_error *err);
guint32 pvgpu_renderer_fill(PvgpuRenderer *r,
                            const struct pvgpu_cmd_fill_rect *c,
                            PvgpuRows *rows, struct pvgpu_cmd_error *err);
guint32 pvgpu_renderer_copy(PvgpuRenderer *r,
                            const struct pvgpu_cmd_copy_rect *c,
                            PvgpuRows *rows, struct pvgpu_cmd_error *err);
guint32 pvgpu_renderer_set_scanout(PvgpuRenderer *r,
                                   const struct pvgpu_cmd_set_scanout *c,
                                   struct pvgpu_cmd_error *err);
/* Keeps a copy of the scanout as the presented frame, charged against the
 * budget; OUT_OF_MEMORY when it does not fit (there is no frame then). */
guint32 pvgpu_renderer_present(PvgpuRenderer *r,
                               const struct pvgpu_cmd_present *c,
                               struct pvgpu_cmd_error *err);

/* FALSE when the scanout is disabled. */
gboolean pvgpu_renderer_get_scanout(const PvgpuRenderer *r, PvgpuScanout *out);

/* Pixels of a resource, borrowed; NULL for an unknown id. */
const PvgpuImage *pvgpu_renderer_get_resource(const PvgpuRenderer *r,
                                              guint32 resource_id);

/*
 * A borrowed view of what a screenshot shows: the last presented frame or,
 * before the first present, the scanout rectangle of its resource. Valid
 * until the next command runs. FALSE when there is neither.
 */
gboolean pvgpu_renderer_peek_frame(const PvgpuRenderer *r, PvgpuImage *view);

typedef struct {
    PvgpuImage image;         /* zero size when there is no frame */
    int fd;                   /* sealed memfd holding image's pixels, or -1 */
    struct pvgpu_rect damage; /* what the last present changed */
} PvgpuFrame;

/*
 * The presented frame, borrowed (valid until the next command). Returns
 * the frame's generation, which changes whenever the frame's memory, size
 * or format does (including when it goes away); within one generation the
 * fd and the mapping stay the same and presents only change pixels.
 */
guint64 pvgpu_renderer_get_frame(const PvgpuRenderer *r, PvgpuFrame *out);

guint pvgpu_renderer_resource_count(const PvgpuRenderer *r);
/* Pixel bytes read and written by all commands so far (a copy counts
 * both sides): what the engine bounds each slice by. */
guint64 pvgpu_renderer_bytes_touched(const PvgpuRenderer *r);
/* Bytes charged against the budget: resources and the presented frame. */
guint64 pvgpu_renderer_resource_bytes(const PvgpuRenderer *r);

#endif
