// SPDX-License-Identifier: MIT
/*
 * Guest side of the boot test: a static program without libdrm. It opens a
 * DRM card, sets the connector's preferred mode on a dumb buffer showing
 * pattern 1 (pattern.h), then obeys lines on stdin:
 *   draw N          redraw with pattern N and mark the damage (DIRTYFB)
 *   dirty N         N DIRTYFBs of a 64x64 square, as fast as they go,
 *                   then print "@@dirtied N"
 *   cursor N X Y    a 64x64 cursor with pattern N at (X, Y)
 *   knob TAG PATH VALUE
 *                   write VALUE to PATH (one of the driver's debugfs knobs),
 *                   then print "@@TAG ok" or "@@TAG fail reason"
 *   show TAG PATH   print PATH's lines as "@@TAG line", then "@@TAG-end"
 *   quit            release everything and exit 0
 * Every answer is one "@@" line on stdout, which the host reads from the
 * serial console.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/drm_mode.h>

#include "dumb-buffer.h"
#include "pattern.h"

struct display {
    int fd;
    uint32_t crtc_id;
    uint32_t connector_id;
    struct drm_mode_modeinfo mode;
    uint32_t handle;
    uint32_t pitch;
    uint64_t size;
    uint32_t fb_id;
    uint8_t *pixels;
};

static void fail(const char *what)
{
    printf("@@drmtest error %s: %s\n", what, strerror(errno));
    fflush(stdout);
    exit(1);
}

static void pick_output(struct display *d)
{
    struct drm_mode_card_res res = { 0 };
    struct drm_mode_get_connector conn = { 0 };
    uint32_t crtcs[8], connectors[8];
    struct drm_mode_modeinfo *modes;
    uint32_t i;

    if (dumb_ioctl(d->fd, DRM_IOCTL_MODE_GETRESOURCES, &res) < 0) {
        fail("GETRESOURCES");
    }
    if (res.count_crtcs == 0 || res.count_connectors == 0 ||
        res.count_crtcs > 8 || res.count_connectors > 8) {
        errno = ENODEV;
        fail("resource counts");
    }
    res.crtc_id_ptr = (uintptr_t)crtcs;
    res.connector_id_ptr = (uintptr_t)connectors;
    res.count_fbs = res.count_encoders = 0;
    if (dumb_ioctl(d->fd, DRM_IOCTL_MODE_GETRESOURCES, &res) < 0) {
        fail("GETRESOURCES (ids)");
    }
    d->crtc_id = crtcs[0];
    d->connector_id = connectors[0];

    /* the first call probes the connector and counts its modes */
    conn.connector_id = d->connector_id;
    if (dumb_ioctl(d->fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn) < 0) {
        fail("GETCONNECTOR");
    }
    if (conn.count_modes == 0) {
        errno = ENOENT;
        fail("connector has no modes");
    }
    modes = calloc(conn.count_modes, sizeof(*modes));
    if (modes == NULL) {
        fail("calloc");
    }
    conn.modes_ptr = (uintptr_t)modes;
    conn.count_props = conn.count_encoders = 0;
    if (dumb_ioctl(d->fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn) < 0) {
        fail("GETCONNECTOR (modes)");
    }
    d->mode = modes[0];
    for (i = 0; i < conn.count_modes; i++) {
        if (modes[i].type & DRM_MODE_TYPE_PREFERRED) {
            d->mode = modes[i];
            break;
        }
    }
    free(modes);
}

static void create_buffer(struct display *d)
{
    struct dumb_buffer b;
    const char *what;

    if (dumb_buffer_create(d->fd, d->mode.hdisplay, d->mode.vdisplay, &b,
                           &what) < 0) {
        fail(what);
    }
    d->handle = b.handle;
    d->pitch = b.pitch;
    d->size = b.size;
    d->fb_id = b.fb_id;
    d->pixels = b.pixels;
}

static void draw(struct display *d, uint32_t seed)
{
    uint32_t x, y;

    for (y = 0; y < d->mode.vdisplay; y++) {
        uint32_t *row = (uint32_t *)(d->pixels + (size_t)y * d->pitch);

        for (x = 0; x < d->mode.hdisplay; x++) {
            row[x] = pattern_rgb(x, y, seed);
        }
    }
}

static void set_mode(struct display *d)
{
    struct drm_mode_crtc crtc = {
        .crtc_id = d->crtc_id,
        .fb_id = d->fb_id,
        .set_connectors_ptr = (uintptr_t)&d->connector_id,
        .count_connectors = 1,
        .mode = d->mode,
        .mode_valid = 1,
    };

    if (dumb_ioctl(d->fd, DRM_IOCTL_MODE_SETCRTC, &crtc) < 0) {
        fail("SETCRTC");
    }
}

/* Marks the whole buffer dirty as two halves, to go through the clip list. */
static void mark_dirty(struct display *d)
{
    uint16_t w = d->mode.hdisplay, h = d->mode.vdisplay;
    struct drm_clip_rect clips[2] = {
        { .x1 = 0, .y1 = 0, .x2 = w, .y2 = h / 2 },
        { .x1 = 0, .y1 = h / 2, .x2 = w, .y2 = h },
    };

    if (dumb_dirty(d->fd, d->fb_id, clips, 2) < 0) {
        fail("DIRTYFB");
    }
}

/* count DIRTYFBs of a 64x64 square walking over the screen, the pixels
 * unchanged: a client sending small updates as fast as it can */
static void dirty_squares(struct display *d, unsigned int count)
{
    /* the modes we are offered are at least 640x480 */
    unsigned int columns = d->mode.hdisplay - 64u;
    unsigned int rows = d->mode.vdisplay - 64u;

    for (unsigned int i = 0; i < count; i++) {
        uint16_t x = (uint16_t)(i * 64u % columns);
        uint16_t y = (uint16_t)(i / 8u * 64u % rows);
        struct drm_clip_rect clip = {
            .x1 = x, .y1 = y, .x2 = (uint16_t)(x + 64), .y2 = (uint16_t)(y + 64),
        };

        if (dumb_dirty(d->fd, d->fb_id, &clip, 1) < 0) {
            fail("DIRTYFB");
        }
    }
}

static void release(struct display *d)
{
    struct drm_mode_destroy_dumb destroy = { .handle = d->handle };
    uint32_t fb_id = d->fb_id;

    munmap(d->pixels, d->size);
    if (dumb_ioctl(d->fd, DRM_IOCTL_MODE_RMFB, &fb_id) < 0) {
        fail("RMFB");
    }
    if (dumb_ioctl(d->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy) < 0) {
        fail("DESTROY_DUMB");
    }
    close(d->fd);
}

/* The pointer: a 64x64 ARGB dumb buffer with pattern seed (transparent on
 * the diagonal) through the legacy cursor ioctl, hotspot (3, 5), its top
 * left at (x, y). Prints "@@cursor ok" or "@@cursor fail REASON". */
static void set_cursor(struct display *d, uint32_t seed, int32_t x, int32_t y)
{
    struct drm_mode_create_dumb create = { .width = 64, .height = 64,
                                           .bpp = 32 };
    struct drm_mode_map_dumb map = { 0 };
    struct drm_mode_cursor2 cur = {
        .flags = DRM_MODE_CURSOR_BO | DRM_MODE_CURSOR_MOVE,
        .crtc_id = d->crtc_id, .x = x, .y = y, .width = 64, .height = 64,
        .hot_x = 3, .hot_y = 5,
    };
    uint8_t *p;

    if (dumb_ioctl(d->fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0) {
        printf("@@cursor fail CREATE_DUMB %s\n", strerror(errno));
        return;
    }
    map.handle = create.handle;
    if (dumb_ioctl(d->fd, DRM_IOCTL_MODE_MAP_DUMB, &map) < 0 ||
        (p = mmap(NULL, create.size, PROT_READ | PROT_WRITE, MAP_SHARED,
                  d->fd, map.offset)) == MAP_FAILED) {
        printf("@@cursor fail map %s\n", strerror(errno));
        return;
    }
    for (uint32_t row = 0; row < 64; row++) {
        uint32_t *px = (uint32_t *)(void *)(p + (size_t)row * create.pitch);

        for (uint32_t col = 0; col < 64; col++) {
            px[col] = (col == row ? 0u : 0xff000000u) |
                      pattern_rgb(col, row, seed);
        }
    }
    munmap(p, create.size);
    cur.handle = create.handle;
    if (dumb_ioctl(d->fd, DRM_IOCTL_MODE_CURSOR2, &cur) < 0) {
        printf("@@cursor fail CURSOR2 %s\n", strerror(errno));
        return;
    }
    printf("@@cursor ok\n");
}

/* The knobs run their exercise inside write() and fail it on a problem. */
static void write_knob(const char *tag, const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t len = (ssize_t)strlen(value);

    if (fd < 0 || write(fd, value, (size_t)len) != len) {
        printf("@@%s fail %s\n", tag, strerror(errno));
    } else {
        printf("@@%s ok\n", tag);
    }
    if (fd >= 0) {
        close(fd);
    }
}

static void show_file(const char *tag, const char *path)
{
    FILE *f = fopen(path, "re");
    char line[256];

    if (f == NULL) {
        printf("@@%s-error %s\n", tag, strerror(errno));
        return;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        printf("@@%s %s", tag, line);
    }
    fclose(f);
    printf("@@%s-end\n", tag);
}

int main(int argc, char **argv)
{
    const char *card = argc > 1 ? argv[1] : "/dev/dri/card0";
    struct display d = { 0 };
    char line[256];

    setvbuf(stdout, NULL, _IONBF, 0);
    d.fd = open(card, O_RDWR | O_CLOEXEC);
    if (d.fd < 0) {
        fail(card);
    }
    pick_output(&d);
    create_buffer(&d);
    draw(&d, 1);
    set_mode(&d);
    mark_dirty(&d);
    printf("@@drmtest ready %ux%u pitch %u\n", d.mode.hdisplay,
           d.mode.vdisplay, d.pitch);

    while (fgets(line, sizeof(line), stdin) != NULL) {
        unsigned int seed;
        int x, y;
        char path[200], value[32], tag[32];

        if (sscanf(line, "draw %u", &seed) == 1) {
            draw(&d, seed);
            mark_dirty(&d);
            printf("@@drawn %u\n", seed);
        } else if (sscanf(line, "dirty %u", &seed) == 1) {
            dirty_squares(&d, seed);
            printf("@@dirtied %u\n", seed);
        } else if (sscanf(line, "cursor %u %d %d", &seed, &x, &y) == 3) {
            set_cursor(&d, seed, x, y);
        } else if (sscanf(line, "knob %31s %199s %31s", tag, path,
                          value) == 3) {
            write_knob(tag, path, value);
        } else if (sscanf(line, "show %31s %199s", tag, path) == 2) {
            show_file(tag, path);
        } else if (strncmp(line, "quit", 4) == 0) {
            release(&d);
            printf("@@drmtest done\n");
            return 0;
        }
    }
    printf("@@drmtest error stdin closed\n");
    return 1;
}
