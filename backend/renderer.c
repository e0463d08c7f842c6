/* SPDX-License-Identifier: MIT */
#include "renderer.h"

#include <string.h>

#include "frame-memory.h"

typedef struct {
    PvgpuImage image;
    guint64 cost; /* charged against the budget */
} PvgpuResource;

struct _PvgpuRenderer {
    GHashTable *resources; /* GUINT_TO_POINTER(id) -> PvgpuResource */
    guint64 budget;
    guint64 used;           /* charged: resources and the frame */
    guint64 touched;        /* pixel bytes read and written */

    gboolean scanout_enabled;
    PvgpuScanout scanout;
    guint64 scanout_serial; /* bumped by every SET_SCANOUT and disable */

    gboolean has_frame;
    PvgpuImage frame;       /* pixels in frame_mem, tightly packed */
    PvgpuFrameMemory frame_mem;
    guint64 frame_cost;
    guint64 frame_serial;   /* scanout_serial the frame was taken from */
    guint64 frame_generation; /* bumped when frame_mem or its size changes */
    struct pvgpu_rect frame_damage; /* what the last present changed */
};

/* error_detail of a rectangle: its origin, x in the high half. */
static guint64 rect_detail(guint32 x, guint32 y)
{
    return ((guint64)x << 32) | y;
}

/* glibc serves allocations from this size on with mmap(), in whole pages */
#define MMAP_THRESHOLD (128u * 1024u)
#define PAGE_BYTES 4096u
#define CHUNK_BYTES 64u

guint64 pvgpu_renderer_alloc_cost(guint32 width, guint32 height)
{
    guint64 bytes = (guint64)width * height;
    guint64 unit;

    if (height != 0 && bytes / height != width) {
        return G_MAXUINT64;
    }
    if (bytes > (G_MAXUINT64 - PAGE_BYTES - PVGPU_RENDERER_ALLOC_OVERHEAD) /
                    PVGPU_FORMAT_BYTES_PER_PIXEL) {
        return G_MAXUINT64;
    }
    bytes *= PVGPU_FORMAT_BYTES_PER_PIXEL;
    unit = bytes >= MMAP_THRESHOLD ? PAGE_BYTES : CHUNK_BYTES;
    return (bytes + unit - 1) / unit * unit + PVGPU_RENDERER_ALLOC_OVERHEAD;
}

static void resource_free(gpointer data)
{
    PvgpuResource *res = data;

    g_free(res->image.pixels);
    g_free(res);
}

PvgpuRenderer *pvgpu_renderer_new(guint64 memory_budget)
{
    PvgpuRenderer *r = g_new0(PvgpuRenderer, 1);

    r->resources = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                         resource_free);
    r->budget = memory_budget;
    r->frame_mem = (PvgpuFrameMemory)PVGPU_FRAME_MEMORY_INIT;
    return r;
}

void pvgpu_renderer_free(PvgpuRenderer *r)
{
    if (r == NULL) {
        return;
    }
    g_hash_table_destroy(r->resources);
    pvgpu_frame_memory_free(&r->frame_mem);
    g_free(r);
}

static PvgpuResource *lookup(const PvgpuRenderer *r, guint32 id)
{
    return g_hash_table_lookup(r->resources, GUINT_TO_POINTER(id));
}

static guint8 *pixel_at(const PvgpuImage *img, guint32 x, guint32 y)
{
    return img->pixels + (gsize)y * img->stride +
           (gsize)x * PVGPU_FORMAT_BYTES_PER_PIXEL;
}

/* FALSE when cost does not fit beside what is charged already. */
static gboolean fits(const PvgpuRenderer *r, guint64 cost)
{
    return cost <= r->budget && r->used <= r->budget - cost;
}

guint32 pvgpu_renderer_create(PvgpuRenderer *r,
                              const struct pvgpu_cmd_resource_create_2d *c,
                              struct pvgpu_cmd_error *err)
{
    guint64 cost = pvgpu_renderer_alloc_cost(c->width, c->height);
    PvgpuResource *res;
    guint8 *pixels;

    if (lookup(r, c->resource_id) != NULL) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RESOURCE_EXISTS,
                              c->resource_id);
    }
    if (!fits(r, cost) ||
        g_hash_table_size(r->resources) >= PVGPU_RENDERER_MAX_RESOURCES) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_OUT_OF_MEMORY, cost);
    }
    pixels = g_try_malloc0((gsize)c->width * c->height *
                           PVGPU_FORMAT_BYTES_PER_PIXEL);
    if (pixels == NULL) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_OUT_OF_MEMORY, cost);
    }
    res = g_new0(PvgpuResource, 1);
    res->image.format = c->format;
    res->image.width = c->width;
    res->image.height = c->height;
    res->image.stride = (gsize)c->width * PVGPU_FORMAT_BYTES_PER_PIXEL;
    res->image.pixels = pixels;
    res->cost = cost;
    r->used += cost;
    r->touched += cost; /* zeroed, if only by the kernel */
    g_hash_table_insert(r->resources, GUINT_TO_POINTER(c->resource_id), res);
    return PVGPU_ERROR_NONE;
}

static void disable_scanout(PvgpuRenderer *r)
{
    r->scanout_enabled = FALSE;
    memset(&r->scanout, 0, sizeof(r->scanout));
    r->scanout_serial++;
}

guint32 pvgpu_renderer_destroy(PvgpuRenderer *r,
                               const struct pvgpu_cmd_resource_destroy *c,
                               struct pvgpu_cmd_error *err)
{
    PvgpuResource *res = lookup(r, c->resource_id);

    if (res == NULL) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RESOURCE_UNKNOWN,
                              c->resource_id);
    }
    if (r->scanout_enabled && r->scanout.resource_id == c->resource_id) {
        disable_scanout(r);
    }
    r->used -= res->cost;
    g_hash_table_remove(r->resources, GUINT_TO_POINTER(c->resource_id));
    return PVGPU_ERROR_NONE;
}

/* The rows [*first, *end) of a height-row rectangle that rows asks for,
 * and whether that finishes it. */
static void row_window(PvgpuRows *rows, guint32 height, guint32 *first,
                       guint32 *end)
{
    *first = rows != NULL ? MIN(rows->start, height) : 0;
    *end = rows != NULL ? *first + MIN(rows->max, height - *first) : height;
    if (rows != NULL) {
        rows->finished = *end == height;
    }
}

guint32 pvgpu_renderer_upload(PvgpuRenderer *r,
                              const struct pvgpu_cmd_resource_upload *c,
                              const guint8 *heap, guint64 heap_size,
                              PvgpuRows *rows, guint64 *copied,
                              struct pvgpu_cmd_error *err)
{
    PvgpuResource *res;
    struct pvgpu_rect clip;
    gsize row_bytes;
    guint32 first, end;

    *copied = 0;
    /* the engine validated it already; a direct caller gets the same check */
    if (pvgpu_upload_check(c, heap_size, err) != PVGPU_ERROR_NONE) {
        return err->code;
    }
    res = lookup(r, c->resource_id);
    if (res == NULL) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RESOURCE_UNKNOWN,
                              c->resource_id);
    }
    if (!pvgpu_rect_clip(&c->dst, res->image.width, res->image.height,
                         &clip)) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RECT_BOUNDS,
                              rect_detail(c->dst.x, c->dst.y));
    }
    /* clipping keeps the origin, so source row n still feeds row y + n */
    row_bytes = (gsize)clip.width * PVGPU_FORMAT_BYTES_PER_PIXEL;
    row_window(rows, clip.height, &first, &end);
    for (guint32 n = first; n < end; n++) {
        memcpy(pixel_at(&res->image, clip.x, clip.y + n),
               heap + c->heap_offset + (guint64)n * c->stride, row_bytes);
    }
    *copied = (guint64)row_bytes * (end - first);
    r->touched += 2 * *copied;
    return PVGPU_ERROR_NONE;
}

guint32 pvgpu_renderer_fill(PvgpuRenderer *r,
                            const struct pvgpu_cmd_fill_rect *c,
                            PvgpuRows *rows, struct pvgpu_cmd_error *err)
{
    PvgpuResource *res = lookup(r, c->resource_id);
    struct pvgpu_rect clip;
    guint32 first, end;

    if (res == NULL) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RESOURCE_UNKNOWN,
                              c->resource_id);
    }
    if (!pvgpu_rect_clip(&c->rect, res->image.width, res->image.height,
                         &clip)) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RECT_BOUNDS,
                              rect_detail(c->rect.x, c->rect.y));
    }
    row_window(rows, clip.height, &first, &end);
    for (guint32 y = clip.y + first; y < clip.y + end; y++) {
        /* rows start 4-byte aligned: malloc'd buffer, stride = width * 4 */
        guint32 *row = (guint32 *)(void *)pixel_at(&res->image, clip.x, y);
        for (guint32 x = 0; x < clip.width; x++) {
            row[x] = c->color;
        }
    }
    r->touched += (guint64)clip.width * (end - first) *
                  PVGPU_FORMAT_BYTES_PER_PIXEL;
    return PVGPU_ERROR_NONE;
}

guint32 pvgpu_renderer_copy(PvgpuRenderer *r,
                            const struct pvgpu_cmd_copy_rect *c,
                            PvgpuRows *rows, struct pvgpu_cmd_error *err)
{
    PvgpuResource *src = lookup(r, c->src_resource_id);
    PvgpuResource *dst = lookup(r, c->dst_resource_id);
    struct pvgpu_rect s, d, want;
    gsize row_bytes;
    guint32 first, end;

    if (src == NULL) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RESOURCE_UNKNOWN,
                              c->src_resource_id);
    }
    if (dst == NULL) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RESOURCE_UNKNOWN,
                              c->dst_resource_id);
    }
    if (src->image.format != dst->image.format) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_FORMAT_MISMATCH,
                              ((guint64)src->image.format << 32) |
                              dst->image.format);
    }
    if (!pvgpu_rect_clip(&c->src, src->image.width, src->image.height, &s)) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RECT_BOUNDS,
                              rect_detail(c->src.x, c->src.y));
    }
    want = (struct pvgpu_rect){ c->dst_x, c->dst_y, s.width, s.height };
    if (!pvgpu_rect_clip(&want, dst->image.width, dst->image.height, &d)) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RECT_BOUNDS,
                              rect_detail(c->dst_x, c->dst_y));
    }
    row_bytes = (gsize)d.width * PVGPU_FORMAT_BYTES_PER_PIXEL;
    row_window(rows, d.height, &first, &end);
    r->touched += 2 * (guint64)row_bytes * (end - first);
    /* overlapping rows of one surface: copy bottom-up, like memmove */
    gboolean bottom_up = src == dst && d.y > s.y;
    for (guint32 i = first; i < end; i++) {
        guint32 n = bottom_up ? d.height - 1 - i : i;
        memmove(pixel_at(&dst->image, d.x, d.y + n),
                pixel_at(&src->image, s.x, s.y + n), row_bytes);
    }
    return PVGPU_ERROR_NONE;
}

guint32 pvgpu_renderer_set_scanout(PvgpuRenderer *r,
                                   const struct pvgpu_cmd_set_scanout *c,
                                   struct pvgpu_cmd_error *err)
{
    PvgpuResource *res;
    struct pvgpu_rect clip;

    if (c->resource_id == 0) {
        disable_scanout(r);
        return PVGPU_ERROR_NONE;
    }
    res = lookup(r, c->resource_id);
    if (res == NULL) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RESOURCE_UNKNOWN,
                              c->resource_id);
    }
    if (!pvgpu_rect_clip(&c->src, res->image.width, res->image.height,
                         &clip)) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RECT_BOUNDS,
                              rect_detail(c->src.x, c->src.y));
    }
    r->scanout_enabled = TRUE;
    r->scanout.resource_id = c->resource_id;
    r->scanout.format = res->image.format;
    r->scanout.rect = clip;
    r->scanout_serial++;
    return PVGPU_ERROR_NONE;
}

/* The scanout rectangle as a view into its resource. */
static void scanout_view(const PvgpuRenderer *r, PvgpuImage *view)
{
    const PvgpuResource *res = lookup(r, r->scanout.resource_id);

    *view = res->image;
    view->pixels = pixel_at(&res->image, r->scanout.rect.x,
                            r->scanout.rect.y);
    view->width = r->scanout.rect.width;
    view->height = r->scanout.rect.height;
}

static void copy_rows(PvgpuRenderer *r, const PvgpuImage *from,
                      PvgpuImage *to, const struct pvgpu_rect *area)
{
    gsize row_bytes = (gsize)area->width * PVGPU_FORMAT_BYTES_PER_PIXEL;

    r->touched += 2 * (guint64)row_bytes * area->height;
    for (guint32 y = area->y; y < area->y + area->height; y++) {
        memcpy(pixel_at(to, area->x, y), pixel_at(from, area->x, y),
               row_bytes);
    }
}

static void drop_frame(PvgpuRenderer *r)
{
    if (!r->has_frame) {
        return;
    }
    pvgpu_frame_memory_free(&r->frame_mem);
    memset(&r->frame, 0, sizeof(r->frame));
    r->used -= r->frame_cost;
    r->frame_cost = 0;
    r->has_frame = FALSE;
    r->frame_generation++;
}

/*
 * Makes the frame view's size and format, taken from the current scanout.
 * A frame of that size and format is kept (a guest flipping between two
 * buffers does not make a new memfd per present); otherwise the old one
 * goes first, as old and new together may not fit. FALSE (no frame then)
 * when the new one does not fit the budget.
 */
static gboolean new_frame(PvgpuRenderer *r, const PvgpuImage *view,
                          struct pvgpu_cmd_error *err)
{
    guint64 cost = pvgpu_renderer_alloc_cost(view->width, view->height);

    if (r->has_frame && r->frame.width == view->width &&
        r->frame.height == view->height && r->frame.format == view->format) {
        r->frame_serial = r->scanout_serial;
        return TRUE;
    }
    drop_frame(r);
    if (!fits(r, cost) ||
        !pvgpu_frame_memory_alloc(&r->frame_mem,
                                  (gsize)view->width * view->height *
                                      PVGPU_FORMAT_BYTES_PER_PIXEL)) {
        pvgpu_cmd_fail(err, PVGPU_ERROR_OUT_OF_MEMORY, cost);
        return FALSE;
    }
    r->frame = *view;
    r->frame.stride = (gsize)view->width * PVGPU_FORMAT_BYTES_PER_PIXEL;
    r->frame.pixels = r->frame_mem.pixels;
    r->frame_cost = cost;
    r->used += cost;
    r->frame_serial = r->scanout_serial;
    r->frame_generation++;
    r->has_frame = TRUE;
    return TRUE;
}

guint32 pvgpu_renderer_present(PvgpuRenderer *r,
                               const struct pvgpu_cmd_present *c,
                               struct pvgpu_cmd_error *err)
{
    PvgpuImage view;
    struct pvgpu_rect damage;
    struct pvgpu_rect whole;
    gboolean same_source;

    if (!r->scanout_enabled) {
        return PVGPU_ERROR_NONE; /* counted, nothing to show */
    }
    scanout_view(r, &view);
    if (!pvgpu_rect_clip(&c->damage, view.width, view.height, &damage)) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RECT_BOUNDS,
                              rect_detail(c->damage.x, c->damage.y));
    }
    same_source = r->has_frame && r->frame_serial == r->scanout_serial;
    if (!same_source) {
        if (!new_frame(r, &view, err)) {
            return err->code;
        }
        whole = (struct pvgpu_rect){ 0, 0, view.width, view.height };
        copy_rows(r, &view, &r->frame, &whole);
        r->frame_damage = whole;
    } else {
        /* outside the damage the shown frame stays as it was */
        copy_rows(r, &view, &r->frame, &damage);
        r->frame_damage = damage;
    }
    return PVGPU_ERROR_NONE;
}

gboolean pvgpu_renderer_get_scanout(const PvgpuRenderer *r, PvgpuScanout *out)
{
    if (!r->scanout_enabled) {
        return FALSE;
    }
    *out = r->scanout;
    return TRUE;
}

const PvgpuImage *pvgpu_renderer_get_resource(const PvgpuRenderer *r,
                                              guint32 resource_id)
{
    const PvgpuResource *res = lookup(r, resource_id);

    return res ? &res->image : NULL;
}

gboolean pvgpu_renderer_peek_frame(const PvgpuRenderer *r, PvgpuImage *view)
{
    if (r->has_frame) {
        *view = r->frame;
        return TRUE;
    }
    if (r->scanout_enabled) {
        scanout_view(r, view);
        return TRUE;
    }
    return FALSE;
}

guint64 pvgpu_renderer_get_frame(const PvgpuRenderer *r, PvgpuFrame *out)
{
    if (r->has_frame) {
        out->image = r->frame;
        out->fd = r->frame_mem.fd;
        out->damage = r->frame_damage;
    } else {
        memset(out, 0, sizeof(*out));
        out->fd = -1;
    }
    return r->frame_generation;
}

guint pvgpu_renderer_resource_count(const PvgpuRenderer *r)
{
    return g_hash_table_size(r->resources);
}

guint64 pvgpu_renderer_resource_bytes(const PvgpuRenderer *r)
{
    return r->used;
}

guint64 pvgpu_renderer_bytes_touched(const PvgpuRenderer *r)
{
    return r->touched;
}
