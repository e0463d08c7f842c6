/* SPDX-License-Identifier: MIT */
/*
 * A dumb buffer with a framebuffer on it, mapped for drawing: what the
 * static guest programs (tests/guest/drmtest.c,
 * bench/guest-display/display-bench.c) scan out. Needs <drm/drm.h> and
 * <drm/drm_mode.h> from the guest kernel's UAPI headers.
 */
#ifndef PVGPU_TEST_DUMB_BUFFER_H
#define PVGPU_TEST_DUMB_BUFFER_H

#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <drm/drm.h>
#include <drm/drm_mode.h>

#define DUMB_FOURCC(a, b, c, d) \
    ((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | \
     ((uint32_t)(d) << 24))
#define DUMB_FORMAT_XRGB8888 DUMB_FOURCC('X', 'R', '2', '4')

struct dumb_buffer {
    uint32_t handle;
    uint32_t pitch;
    uint64_t size;
    uint32_t fb_id;
    uint8_t *pixels;
};

static inline int dumb_ioctl(int fd, unsigned long request, void *arg)
{
    int ret;

    do {
        ret = ioctl(fd, request, arg);
    } while (ret < 0 && (errno == EINTR || errno == EAGAIN));
    return ret;
}

/* DIRTYFB of count clips on framebuffer fb_id: 0, or -1 with errno set. */
static inline int dumb_dirty(int fd, uint32_t fb_id,
                             const struct drm_clip_rect *clips, uint32_t count)
{
    struct drm_mode_fb_dirty_cmd cmd = {
        .fb_id = fb_id,
        .num_clips = count,
        .clips_ptr = (uintptr_t)clips,
    };

    return dumb_ioctl(fd, DRM_IOCTL_MODE_DIRTYFB, &cmd);
}

/* 0, or -1 with errno set and *what naming the step that failed. */
static inline int dumb_buffer_create(int fd, uint32_t width, uint32_t height,
                                     struct dumb_buffer *b, const char **what)
{
    struct drm_mode_create_dumb create = {
        .width = width, .height = height, .bpp = 32,
    };
    struct drm_mode_fb_cmd2 fb = {
        .width = width, .height = height,
        .pixel_format = DUMB_FORMAT_XRGB8888,
    };
    struct drm_mode_map_dumb map = { 0 };
    void *p;

    if (dumb_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0) {
        *what = "CREATE_DUMB";
        return -1;
    }
    b->handle = create.handle;
    b->pitch = create.pitch;
    b->size = create.size;
    fb.handles[0] = b->handle;
    fb.pitches[0] = b->pitch;
    if (dumb_ioctl(fd, DRM_IOCTL_MODE_ADDFB2, &fb) < 0) {
        *what = "ADDFB2";
        return -1;
    }
    b->fb_id = fb.fb_id;
    map.handle = b->handle;
    if (dumb_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map) < 0) {
        *what = "MAP_DUMB";
        return -1;
    }
    p = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
             map.offset);
    if (p == MAP_FAILED) {
        *what = "mmap";
        return -1;
    }
    b->pixels = p;
    return 0;
}

#endif
