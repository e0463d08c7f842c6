// SPDX-License-Identifier: MIT
/*
 * Guest side of bench/display-bench.sh: a static program without libdrm
 * that measures how fast a DRM driver gets dumb-buffer frames to the host.
 *
 *   display-bench [--frames N] [--small-frames N] [--warmup-ms N]
 *                 [--size WxH] [--rect N] [--phases LIST] [--rounds N]
 *                 [--no-wait] DRIVER...
 *
 * For each DRIVER (the name DRM_IOCTL_VERSION reports: pvgpu, virtio_gpu)
 * it opens the card that driver serves and sets the mode WxH (default
 * 1024x768) on a dumb XRGB8888 buffer. Then it runs the phases of LIST
 * (default fill,full,small) in order, each on every card in the order
 * given, and all that --rounds times (default 1):
 *   fill   rewrites the whole buffer, no DIRTYFB: the guest's drawing alone
 *   full   rewrites the whole buffer, DIRTYFB with the whole rect
 *   small  rewrites an NxN square (--rect, default 64) that walks over the
 *          screen, DIRTYFB with that square only
 * Every frame changes every pixel it rewrites. A phase first draws
 * unmeasured frames for --warmup-ms (default 2000, at least 10 frames: TCG
 * translates the code, and QEMU's VNC server, whose refresh interval grows
 * up to 3 s while its console shows no change, gets back to 30 ms), then
 * synchronizes (below), prints "@@ready DRIVER PHASE ROUND" and, unless
 * --no-wait, waits for a line "go" on stdin while the host samples its CPU
 * counters. Then it times --frames frames (default 300; --small-frames in
 * the small phase, default 3000) plus one final synchronization, prints
 *   @@result driver=D phase=P round=I frames=N width=W height=H rect=R
 *            seconds=S fps=F dirty_us=U dirty_max_us=M sync_us=Y
 * (one line; dirty_us is the mean time inside DIRTYFB, sync_us the final
 * synchronization) and waits for "go" again while the host samples. Every
 * line it prints starts with "@@"; on a failure it prints
 * "@@error WHAT: REASON" and exits 1.
 *
 * Synchronization: a frame counts only once the host has it. pvgpu's
 * dumb buffers live in BAR2's heap; its DIRTYFB submits UPLOAD (from the
 * buffer itself), PRESENT and a FENCE and returns; a DIRTYFB first waits
 * for the fence of the one PVGPU_FLUSH_DEPTH (1) before it. So for pvgpu
 * the synchronization is four more DIRTYFBs of one pixel (more than the
 * depth): they return once every earlier update has been executed.
 * virtio-gpu's is not synchronous either: the commit queues
 * TRANSFER_TO_HOST_2D
 * and RESOURCE_FLUSH without a fence (a primary plane on a non-blob dumb
 * buffer gets none) and returns. So for virtio_gpu the synchronization is
 * a fenced command queued behind them: RESOURCE_CREATE of a 1x1 resource
 * (fenced by the driver) and DRM_IOCTL_VIRTGPU_WAIT on it. QEMU executes
 * the control queue in order, so when that fence signals, every transfer
 * and flush queued before it has been executed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <drm/virtgpu_drm.h>

#include "dumb-buffer.h"

#define VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM 2
#define PIPE_TEXTURE_2D 2
#define MAX_CARDS 8

struct card {
    const char *driver;
    char path[32];
    int fd;
    uint32_t crtc_id;
    uint32_t connector_id;
    struct drm_mode_modeinfo mode;
    uint32_t handle;
    uint32_t pitch;
    uint64_t size;
    uint32_t fb_id;
    uint8_t *pixels;
    uint32_t frame;     /* frames drawn so far: each one differs */
};

struct options {
    unsigned frames;
    unsigned small_frames;
    unsigned warmup_ms;
    unsigned width;
    unsigned height;
    unsigned rect;
    const char *phases;
    unsigned rounds;
    int wait;
};

static void fail(const char *what)
{
    printf("@@error %s: %s\n", what, strerror(errno));
    fflush(stdout);
    exit(1);
}

static void fail_msg(const char *what, const char *why)
{
    printf("@@error %s: %s\n", what, why);
    fflush(stdout);
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Opens the card whose DRM driver is called name. */
static void open_card(struct card *c, const char *name)
{
    int i;

    for (i = 0; i < MAX_CARDS; i++) {
        char driver[64] = { 0 };
        struct drm_version v = {
            .name = driver,
            .name_len = sizeof(driver) - 1,
        };
        int fd;

        snprintf(c->path, sizeof(c->path), "/dev/dri/card%d", i);
        fd = open(c->path, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        if (dumb_ioctl(fd, DRM_IOCTL_VERSION, &v) == 0 &&
            strcmp(driver, name) == 0) {
            c->fd = fd;
            c->driver = name;
            return;
        }
        close(fd);
    }
    fail_msg(name, "no /dev/dri/card* served by this driver");
}

/* The first connector and CRTC, and the connector's mode of that size. */
static void pick_output(struct card *c, unsigned width, unsigned height)
{
    struct drm_mode_card_res res = { 0 };
    struct drm_mode_get_connector conn = { 0 };
    uint32_t crtcs[8], connectors[8];
    struct drm_mode_modeinfo *modes;
    uint32_t i;
    int found = 0;

    if (dumb_ioctl(c->fd, DRM_IOCTL_MODE_GETRESOURCES, &res) < 0) {
        fail("GETRESOURCES");
    }
    if (res.count_crtcs == 0 || res.count_connectors == 0 ||
        res.count_crtcs > 8 || res.count_connectors > 8) {
        fail_msg(c->driver, "unexpected CRTC or connector count");
    }
    res.crtc_id_ptr = (uintptr_t)crtcs;
    res.connector_id_ptr = (uintptr_t)connectors;
    res.count_fbs = res.count_encoders = 0;
    if (dumb_ioctl(c->fd, DRM_IOCTL_MODE_GETRESOURCES, &res) < 0) {
        fail("GETRESOURCES (ids)");
    }
    c->crtc_id = crtcs[0];
    c->connector_id = connectors[0];

    conn.connector_id = c->connector_id;
    if (dumb_ioctl(c->fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn) < 0) {
        fail("GETCONNECTOR");
    }
    if (conn.count_modes == 0) {
        fail_msg(c->driver, "the connector has no modes");
    }
    modes = calloc(conn.count_modes, sizeof(*modes));
    if (modes == NULL) {
        fail("calloc");
    }
    conn.modes_ptr = (uintptr_t)modes;
    conn.count_props = conn.count_encoders = 0;
    if (dumb_ioctl(c->fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn) < 0) {
        fail("GETCONNECTOR (modes)");
    }
    /* the preferred mode of that size, else the first one */
    for (i = 0; i < conn.count_modes; i++) {
        if (modes[i].hdisplay != width || modes[i].vdisplay != height) {
            continue;
        }
        if (!found || (modes[i].type & DRM_MODE_TYPE_PREFERRED)) {
            c->mode = modes[i];
        }
        found = 1;
    }
    free(modes);
    if (!found) {
        fail_msg(c->driver, "the connector offers no mode of that size");
    }
}

static void create_buffer(struct card *c)
{
    struct dumb_buffer b;
    const char *what;

    if (dumb_buffer_create(c->fd, c->mode.hdisplay, c->mode.vdisplay, &b,
                           &what) < 0) {
        fail(what);
    }
    c->handle = b.handle;
    c->pitch = b.pitch;
    c->size = b.size;
    c->fb_id = b.fb_id;
    c->pixels = b.pixels;
}

static void set_mode(struct card *c)
{
    struct drm_mode_crtc crtc = {
        .crtc_id = c->crtc_id,
        .fb_id = c->fb_id,
        .set_connectors_ptr = (uintptr_t)&c->connector_id,
        .count_connectors = 1,
        .mode = c->mode,
        .mode_valid = 1,
    };

    if (dumb_ioctl(c->fd, DRM_IOCTL_MODE_SETCRTC, &crtc) < 0) {
        fail("SETCRTC");
    }
}

/* Every pixel of the rect changes from one frame to the next. */
static void draw(struct card *c, const struct drm_clip_rect *r)
{
    uint32_t base = ++c->frame * 0x00050301u;
    uint32_t x, y;

    for (y = r->y1; y < r->y2; y++) {
        uint32_t *row = (uint32_t *)(c->pixels + (size_t)y * c->pitch);
        uint32_t v = base + (y << 8);

        for (x = r->x1; x < r->x2; x++) {
            row[x] = (v + x) & 0x00ffffffu;
        }
    }
}

static void dirty(struct card *c, const struct drm_clip_rect *r)
{
    if (dumb_dirty(c->fd, c->fb_id, r, 1) < 0) {
        fail("DIRTYFB");
    }
}

/* Returns once the host has executed every update submitted before. */
static void sync_card(struct card *c)
{
    struct drm_virtgpu_resource_create rc = {
        .target = PIPE_TEXTURE_2D,
        .format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM,
        .width = 1,
        .height = 1,
        .depth = 1,
        .array_size = 1,
    };
    struct drm_virtgpu_3d_wait wait = { 0 };
    struct drm_gem_close close_bo = { 0 };

    if (strcmp(c->driver, "virtio_gpu") != 0) {
        /* pvgpu: a DIRTYFB waits for the one PVGPU_FLUSH_DEPTH (1, in
         * guest/linux/pvgpu_drv.h) before it; more than that many make
         * sure every earlier one was executed */
        struct drm_clip_rect one = { 0, 0, 1, 1 };

        for (int i = 0; i < 4; i++) {
            dirty(c, &one);
        }
        return;
    }
    if (dumb_ioctl(c->fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &rc) < 0) {
        fail("VIRTGPU_RESOURCE_CREATE (sync)");
    }
    wait.handle = rc.bo_handle;
    if (dumb_ioctl(c->fd, DRM_IOCTL_VIRTGPU_WAIT, &wait) < 0) {
        fail("VIRTGPU_WAIT (sync)");
    }
    close_bo.handle = rc.bo_handle;
    if (dumb_ioctl(c->fd, DRM_IOCTL_GEM_CLOSE, &close_bo) < 0) {
        fail("GEM_CLOSE (sync)");
    }
}

static void setup(struct card *c, const char *driver,
                  const struct options *o)
{
    struct drm_clip_rect all;

    open_card(c, driver);
    pick_output(c, o->width, o->height);
    create_buffer(c);
    all = (struct drm_clip_rect){ 0, 0, c->mode.hdisplay, c->mode.vdisplay };
    draw(c, &all);
    set_mode(c);
    dirty(c, &all);
    sync_card(c);
    printf("@@card driver=%s path=%s mode=%ux%u pitch=%u\n", c->driver,
           c->path, c->mode.hdisplay, c->mode.vdisplay, c->pitch);
}

enum phase { PHASE_FILL, PHASE_FULL, PHASE_SMALL };

static int phase_of(const char *name, enum phase *p)
{
    static const char *const names[] = { "fill", "full", "small" };
    unsigned i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i]) == 0) {
            *p = (enum phase)i;
            return 0;
        }
    }
    return -1;
}

/* Frame i's rect: the whole screen, or a small one walking a grid. */
static struct drm_clip_rect frame_rect(const struct card *c, enum phase p,
                                       unsigned n, uint32_t i)
{
    uint32_t w = c->mode.hdisplay, h = c->mode.vdisplay;
    uint32_t cols = w / n, rows = h / n, cell;

    if (p != PHASE_SMALL) {
        return (struct drm_clip_rect){ 0, 0, (uint16_t)w, (uint16_t)h };
    }
    cell = i % (cols * rows);
    return (struct drm_clip_rect){
        (uint16_t)(cell % cols * n), (uint16_t)(cell / cols * n),
        (uint16_t)(cell % cols * n + n), (uint16_t)(cell / cols * n + n),
    };
}

/* Waits for the host's "go" (unless --no-wait). */
static void wait_go(const struct options *o)
{
    char line[64];

    if (!o->wait) {
        return;
    }
    while (fgets(line, sizeof(line), stdin) != NULL) {
        if (strncmp(line, "go", 2) == 0) {
            return;
        }
    }
    fail_msg("stdin", "closed while waiting for go");
}

static void run_phase(struct card *c, const char *name, enum phase p,
                      unsigned round, const struct options *o)
{
    uint64_t start, end, sync_start, dirty_ns = 0, dirty_max = 0;
    unsigned frames = p == PHASE_SMALL ? o->small_frames : o->frames;
    double seconds;
    uint32_t i;

    start = now_ns();
    for (i = 0; i < 10 || now_ns() - start < o->warmup_ms * 1000000ull; i++) {
        struct drm_clip_rect r = frame_rect(c, p, o->rect, i);

        draw(c, &r);
        if (p != PHASE_FILL) {
            dirty(c, &r);
        }
    }
    sync_card(c);
    printf("@@ready %s %s %u\n", c->driver, name, round);
    fflush(stdout);
    wait_go(o);

    start = now_ns();
    for (i = 0; i < frames; i++) {
        struct drm_clip_rect r = frame_rect(c, p, o->rect, i);

        draw(c, &r);
        if (p != PHASE_FILL) {
            uint64_t t0 = now_ns(), t;

            dirty(c, &r);
            t = now_ns() - t0;
            dirty_ns += t;
            dirty_max = t > dirty_max ? t : dirty_max;
        }
    }
    sync_start = now_ns();
    sync_card(c);
    end = now_ns();

    seconds = (double)(end - start) / 1e9;
    printf("@@result driver=%s phase=%s round=%u frames=%u width=%u "
           "height=%u rect=%u seconds=%.6f fps=%.2f dirty_us=%.1f "
           "dirty_max_us=%.1f sync_us=%.1f\n",
           c->driver, name, round, frames, c->mode.hdisplay, c->mode.vdisplay,
           p == PHASE_SMALL ? o->rect : 0, seconds, frames / seconds,
           (double)dirty_ns / frames / 1e3, (double)dirty_max / 1e3,
           (double)(end - sync_start) / 1e3);
    fflush(stdout);
    wait_go(o);     /* the host samples its counters again meanwhile */
}

static unsigned number(const char *option, const char *value, unsigned min,
                       unsigned max)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(value, &end, 10);
    if (errno || end == value || *end || v < min || v > max) {
        fail_msg(option, "wants a number in range");
    }
    return (unsigned)v;
}

static void usage(void)
{
    fputs("usage: display-bench [--frames N] [--small-frames N] "
          "[--warmup-ms N] [--size WxH]\n"
          "                     [--rect N] [--phases fill,full,small] "
          "[--rounds N] [--no-wait] DRIVER...\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    struct options o = {
        .frames = 300, .small_frames = 3000, .warmup_ms = 2000, .width = 1024, .height = 768,
        .rect = 64, .phases = "fill,full,small", .rounds = 1,
        .wait = 1,
    };
    struct card cards[MAX_CARDS];
    char list[128], *save, *name;
    unsigned round;
    int ncards = 0, i, k;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--no-wait") == 0) {
            o.wait = 0;
            continue;
        }
        if (v == NULL) {
            usage();
        }
        i++;
        if (strcmp(a, "--frames") == 0) {
            o.frames = number(a, v, 1, 1000000);
        } else if (strcmp(a, "--small-frames") == 0) {
            o.small_frames = number(a, v, 1, 1000000);
        } else if (strcmp(a, "--warmup-ms") == 0) {
            o.warmup_ms = number(a, v, 0, 600000);
        } else if (strcmp(a, "--rect") == 0) {
            o.rect = number(a, v, 1, 4096);
        } else if (strcmp(a, "--rounds") == 0) {
            o.rounds = number(a, v, 1, 1000);
        } else if (strcmp(a, "--phases") == 0) {
            o.phases = v;
        } else if (strcmp(a, "--size") == 0) {
            if (sscanf(v, "%ux%u", &o.width, &o.height) != 2 ||
                o.width == 0 || o.height == 0 || o.width > 8192 ||
                o.height > 8192) {
                fail_msg(a, "wants WxH");
            }
        } else {
            usage();
        }
    }
    if (i == argc || argc - i > MAX_CARDS) {
        usage();
    }
    if (o.rect > o.width || o.rect > o.height) {
        fail_msg("--rect", "larger than the screen");
    }
    for (; i < argc; i++) {
        memset(&cards[ncards], 0, sizeof(cards[ncards]));
        setup(&cards[ncards++], argv[i], &o);
    }

    /* phase by phase, each on every card: a change in the machine's
     * load between phases hits all drivers alike */
    for (round = 1; round <= o.rounds; round++) {
        snprintf(list, sizeof(list), "%s", o.phases);
        for (name = strtok_r(list, ",", &save); name != NULL;
             name = strtok_r(NULL, ",", &save)) {
            enum phase p;

            if (phase_of(name, &p) < 0) {
                fail_msg(name, "unknown phase (fill, full, small)");
            }
            for (k = 0; k < ncards; k++) {
                run_phase(&cards[k], name, p, round, &o);
            }
        }
    }
    printf("@@finished\n");
    return 0;
}
