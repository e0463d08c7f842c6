/*
 * PVGPU paravirtualized GPU: the scanout as a QEMU console.
 *
 * With PVGPU_FEATURE_DISPLAY the backend hands over the memfd that holds
 * its presented frame (DISPLAY_SCANOUT) and names the rectangles it changed
 * (DISPLAY_UPDATE). The frame is mapped read-only and becomes the console's
 * surface without a copy, so screendump, VNC, SPICE and the GTK window show
 * exactly the backend's pixels. Without a frame the console shows QEMU's
 * "Display output is not active" placeholder.
 *
 * The memfd must be sealed against shrinking: a truncated mapping would
 * SIGBUS QEMU whenever a UI reads the surface.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/mman.h>
#include "qemu/memfd.h"
#include "qapi/error.h"
#include "hw/qdev-core.h"
#include "ui/console.h"
#include "pvgpu.h"
#include "trace.h"

/* Pixman formats of the protocol's; alpha is not shown, as on a monitor. */
static pixman_format_code_t pvgpu_display_pixman_format(uint32_t format)
{
    switch (format) {
    case PVGPU_FORMAT_B8G8R8A8_UNORM:
    case PVGPU_FORMAT_B8G8R8X8_UNORM:
        return PIXMAN_x8r8g8b8;
    default: /* R8G8B8A8, R8G8B8X8: the codec refuses anything else */
        return PIXMAN_x8b8g8r8;
    }
}

static void pvgpu_display_unmap(PVGPUState *s)
{
    if (s->scanout_map) {
        munmap(s->scanout_map, s->scanout_map_size);
        s->scanout_map = NULL;
        s->scanout_map_size = 0;
    }
    memset(&s->scanout, 0, sizeof(s->scanout));
}

/* The console shows the frame at map (NULL: the placeholder). */
static void pvgpu_display_show(PVGPUState *s,
                               const struct pvgpu_display_scanout *so,
                               void *map)
{
    DisplaySurface *surface = NULL;

    if (!s->con) {
        return;
    }
    if (map) {
        surface = qemu_create_displaysurface_from(
            so->width, so->height, pvgpu_display_pixman_format(so->format),
            so->stride, map);
    }
    dpy_gfx_replace_surface(s->con, surface);
}

static void pvgpu_display_show_nothing(PVGPUState *s)
{
    if (s->scanout_map) {
        /* the console lets go of the old surface before it is unmapped */
        pvgpu_display_show(s, NULL, NULL);
        pvgpu_display_unmap(s);
    }
}

/* A memfd the backend cannot shrink under our mapping, of at least size. */
static bool pvgpu_display_check_fd(int fd, uint64_t size, Error **errp)
{
    struct stat st;
    int seals;

    if (fstat(fd, &st) < 0) {
        error_setg_errno(errp, errno, "cannot stat the frame's descriptor");
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        error_setg(errp, "the frame's descriptor is not a memfd");
        return false;
    }
    seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
        error_setg(errp, "the frame's memfd is not sealed with "
                   "F_SEAL_SHRINK");
        return false;
    }
    if ((uint64_t)st.st_size < size) {
        error_setg(errp, "the frame's memfd holds %" PRId64 " bytes, "
                   "its %" PRIu64 "-byte frame does not fit",
                   (int64_t)st.st_size, size);
        return false;
    }
    return true;
}

bool pvgpu_display_set_scanout(PVGPUState *s,
                               const struct pvgpu_display_scanout *so,
                               int fd, Error **errp)
{
    uint64_t size = pvgpu_display_frame_bytes(so);
    void *map;

    trace_pvgpu_display_scanout(so->width, so->height, so->stride,
                                so->format, fd);
    if (so->width == 0) {
        if (fd >= 0) {
            error_setg(errp, "DISPLAY_SCANOUT disabling the scanout carried "
                       "a descriptor");
            return false;
        }
        pvgpu_display_show_nothing(s);
        return true;
    }
    if (fd < 0) {
        error_setg(errp, "DISPLAY_SCANOUT without the frame's descriptor");
        return false;
    }
    if (!pvgpu_display_check_fd(fd, size, errp)) {
        return false;
    }
    map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot map the %" PRIu64 "-byte "
                         "frame", size);
        return false;
    }
    pvgpu_display_show(s, so, map);
    pvgpu_display_unmap(s);
    s->scanout_map = map;
    s->scanout_map_size = size;
    s->scanout = *so;
    return true;
}

bool pvgpu_display_update(PVGPUState *s, const struct pvgpu_display_update *up,
                          Error **errp)
{
    const struct pvgpu_rect *r = &up->rect;

    trace_pvgpu_display_update(r->x, r->y, r->width, r->height);
    if (!s->scanout_map) {
        error_setg(errp, "DISPLAY_UPDATE without a scanout");
        return false;
    }
    if (!pvgpu_display_update_fits(up, s->scanout.width, s->scanout.height)) {
        error_setg(errp, "DISPLAY_UPDATE of %ux%u at (%u, %u) is outside "
                   "the %ux%u frame", r->width, r->height, r->x, r->y,
                   s->scanout.width, s->scanout.height);
        return false;
    }
    if (s->con) {
        dpy_gfx_update(s->con, r->x, r->y, r->width, r->height);
    }
    return true;
}

static void pvgpu_display_cursor_unref(QEMUCursor *c)
{
#if PVGPU_QEMU_AT_LEAST(8, 1)
    cursor_unref(c);
#else
    cursor_put(c);
#endif
}

/* The pointer's image from its memfd: width x height packed B8G8R8A8,
 * which is QEMUCursor's 0xAARRGGBB on a little-endian host. */
static bool pvgpu_display_define_cursor(PVGPUState *s,
                                        const struct pvgpu_display_cursor *c,
                                        int fd, Error **errp)
{
    uint64_t size = pvgpu_display_cursor_bytes(c);
    QEMUCursor *cursor;
    void *map;

    if (fd < 0) {
        error_setg(errp, "DISPLAY_CURSOR with a new shape but no image");
        return false;
    }
    if (!pvgpu_display_check_fd(fd, size, errp)) {
        return false;
    }
    map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot map the pointer's image");
        return false;
    }
    cursor = cursor_alloc(c->width, c->height);
    cursor->hot_x = c->hot_x;
    cursor->hot_y = c->hot_y;
    for (uint64_t i = 0; i < (uint64_t)c->width * c->height; i++) {
        cursor->data[i] = ldl_le_p((const uint8_t *)map + 4 * i);
    }
    munmap(map, size);
    if (s->con) {
        dpy_cursor_define(s->con, cursor);
    }
    pvgpu_display_cursor_unref(cursor);
    return true;
}

bool pvgpu_display_set_cursor(PVGPUState *s,
                              const struct pvgpu_display_cursor *c, int fd,
                              Error **errp)
{
    bool visible = c->flags & PVGPU_DISPLAY_CURSOR_VISIBLE;

    trace_pvgpu_display_cursor(c->flags, c->x, c->y, c->width, c->height,
                               fd);
    if (c->flags & PVGPU_DISPLAY_CURSOR_SHAPE) {
        if (!pvgpu_display_define_cursor(s, c, fd, errp)) {
            return false;
        }
    } else if (fd >= 0) {
        error_setg(errp, "DISPLAY_CURSOR without a new shape carried a "
                   "descriptor");
        return false;
    }
    s->cursor_visible = visible;
    if (s->con) {
        dpy_mouse_set(s->con, c->x, c->y, visible);
    }
    return true;
}

void pvgpu_display_reset(PVGPUState *s)
{
    pvgpu_display_show_nothing(s);
    if (s->cursor_visible && s->con) {
        dpy_mouse_set(s->con, 0, 0, false);
    }
    s->cursor_visible = false;
}

/* The backend pushes every change: nothing to pull when a UI refreshes. */
static void pvgpu_display_gfx_update(void *opaque)
{
}

/*
 * A viewer's size (VNC SetDesktopSize, SPICE monitors config, a GTK
 * window), after console.c's settling delay: offered to the guest as its
 * preferred mode through the backend. A viewer bigger than the protocol's
 * limit gets the limit.
 */
static void pvgpu_display_ui_info(void *opaque, uint32_t head,
                                  QemuUIInfo *info)
{
    PVGPUState *s = opaque;

    trace_pvgpu_display_ui_info(head, info->width, info->height);
    if (head != 0 || info->width == 0 || info->height == 0) {
        return;
    }
    s->hint_width = MIN(info->width, PVGPU_MAX_DIMENSION);
    s->hint_height = MIN(info->height, PVGPU_MAX_DIMENSION);
    pvgpu_send_display_hint(s);
}

static const GraphicHwOps pvgpu_display_ops = {
    .gfx_update = pvgpu_display_gfx_update,
    .ui_info = pvgpu_display_ui_info,
};

static void pvgpu_display_console_create(PVGPUState *s)
{
    s->con = graphic_console_init(DEVICE(s), 0, &pvgpu_display_ops, s);
    if (s->scanout_map) {
        pvgpu_display_show(s, &s->scanout, s->scanout_map);
    }
}

static void pvgpu_display_machine_done(Notifier *n, void *data)
{
    PVGPUState *s = container_of(n, PVGPUState, console_notifier);

    s->console_pending = false;
    pvgpu_display_console_create(s);
}

/*
 * A primary display (qxl-vga) insists at its realize on being console 0,
 * and consoles are numbered as they are created: a pvgpu realized first
 * (e.g. a "-device pvgpu,..." in <qemu:commandline>, which QEMU creates
 * before libvirt's JSON -device options) must not take that number. So a
 * cold-plugged pvgpu creates its console once every device is realized;
 * without another display it is console 0 all the same.
 */
void pvgpu_display_realize(PVGPUState *s)
{
    if (phase_check(PHASE_MACHINE_READY)) {
        pvgpu_display_console_create(s);
        return;
    }
    s->console_notifier.notify = pvgpu_display_machine_done;
    qemu_add_machine_init_done_notifier(&s->console_notifier);
    s->console_pending = true;
}

void pvgpu_display_unrealize(PVGPUState *s)
{
    if (s->console_pending) {
        qemu_remove_machine_init_done_notifier(&s->console_notifier);
        s->console_pending = false;
    }
    pvgpu_display_show_nothing(s);
    if (s->con) {
        graphic_console_close(s->con);
        s->con = NULL;
    }
}
