/* SPDX-License-Identifier: MIT */
/*
 * The presented frame shown in QEMU's UI: after each present, the
 * DISPLAY_SCANOUT (with the frame's sealed memfd) and DISPLAY_UPDATE
 * messages the device gets, read from the other end of a socketpair; and
 * the pointer: DISPLAY_CURSOR after each SET_CURSOR.
 */
#include "test-helpers.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "display-sender.h"
#include "fake-device.h"

typedef struct {
    FakeDevice *d;
    int sock[2]; /* [0] the backend's writer, [1] the device's end */
    PvgpuIpcWriter writer;
    PvgpuDisplaySender sender;
} Rig;

static void presented(gboolean shown, gpointer data)
{
    Rig *rig = data;

    pvgpu_display_sender_presented(&rig->sender, &rig->writer,
                                   fake_device_renderer(rig->d), shown);
}

static void cursor_changed(gpointer data)
{
    Rig *rig = data;

    pvgpu_display_sender_cursor(&rig->sender, &rig->writer,
                                pvgpu_engine_get_cursor(rig->d->engine));
}

static int setup(void **state)
{
    Rig *rig = g_new0(Rig, 1);

    rig->d = fake_device_new(FAKE_BUDGET);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
                                rig->sock), 0);
    assert_int_equal(fcntl(rig->sock[1], F_SETFL, O_NONBLOCK), 0);
    /* room for 4 updates: what the droppable test fills */
    pvgpu_ipc_writer_init(&rig->writer, rig->sock[0], 4 * 32);
    pvgpu_engine_set_presented_func(rig->d->engine, presented, rig);
    pvgpu_engine_set_cursor_func(rig->d->engine, cursor_changed, rig);
    *state = rig;
    return 0;
}

static int teardown(void **state)
{
    Rig *rig = *state;

    pvgpu_ipc_writer_clear(&rig->writer);
    close(rig->sock[0]);
    close(rig->sock[1]);
    fake_device_free(rig->d);
    g_free(rig);
    return 0;
}

/* The next message, with its descriptor in *fd (-1 for none); FALSE
 * when nothing is waiting. */
static gboolean next_msg(Rig *rig, struct pvgpu_msg *msg, int *fd)
{
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    struct iovec iov = { .iov_base = buf,
                         .iov_len = sizeof(struct pvgpu_ipc_hdr) };
    union {
        char buf[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } control;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof(control.buf) };
    struct pvgpu_ipc_hdr hdr;
    struct cmsghdr *cmsg;
    ssize_t n = recvmsg(rig->sock[1], &mh, MSG_CMSG_CLOEXEC);
    guint n_fds = 0;

    *fd = -1;
    if (n < 0) {
        assert_true(errno == EAGAIN);
        return FALSE;
    }
    assert_int_equal(n, sizeof(hdr));
    for (cmsg = CMSG_FIRSTHDR(&mh); cmsg; cmsg = CMSG_NXTHDR(&mh, cmsg)) {
        if (cmsg->cmsg_type == SCM_RIGHTS) {
            n_fds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            assert_int_equal(n_fds, 1);
            memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
        }
    }
    assert_int_equal(pvgpu_ipc_decode_hdr(buf, sizeof(hdr), &hdr),
                     PVGPU_CODEC_OK);
    assert_int_equal(read(rig->sock[1], buf + sizeof(hdr), hdr.payload_size),
                     hdr.payload_size);
    assert_int_equal(pvgpu_ipc_decode_payload(&hdr, buf + sizeof(hdr),
                                              hdr.payload_size, msg),
                     PVGPU_CODEC_OK);
    return TRUE;
}

static void assert_nothing_sent(Rig *rig)
{
    struct pvgpu_msg msg;
    int fd;

    assert_false(next_msg(rig, &msg, &fd));
}

/* Expects DISPLAY_SCANOUT of a w x h frame; returns its descriptor. */
static int expect_scanout(Rig *rig, guint32 format, guint32 w, guint32 h)
{
    struct pvgpu_msg msg;
    int fd;

    assert_true(next_msg(rig, &msg, &fd));
    assert_int_equal(msg.type, PVGPU_MSG_DISPLAY_SCANOUT);
    assert_int_equal(msg.u.scanout.format, format);
    assert_int_equal(msg.u.scanout.width, w);
    assert_int_equal(msg.u.scanout.height, h);
    assert_int_equal(msg.u.scanout.stride, w * 4);
    assert_true(fd >= 0);
    return fd;
}

static void expect_update(Rig *rig, guint32 x, guint32 y, guint32 w,
                          guint32 h)
{
    struct pvgpu_msg msg;
    int fd;

    assert_true(next_msg(rig, &msg, &fd));
    assert_int_equal(msg.type, PVGPU_MSG_DISPLAY_UPDATE);
    assert_int_equal(fd, -1);
    assert_int_equal(msg.u.update.rect.x, x);
    assert_int_equal(msg.u.update.rect.y, y);
    assert_int_equal(msg.u.update.rect.width, w);
    assert_int_equal(msg.u.update.rect.height, h);
}

static guint32 mapped_pixel(const guint8 *map, guint32 w, guint32 x,
                            guint32 y)
{
    guint32 v;

    memcpy(&v, map + ((gsize)y * w + x) * 4, 4);
    return v;
}

/*
 * The first present sends the frame's memfd, sealed so that the device
 * may map it, and the whole frame as damage; what the device maps is the
 * presented frame itself (a later present shows in the same mapping).
 */
static void test_first_present_sends_frame(void **state)
{
    Rig *rig = *state;
    FakeDevice *d = rig->d;
    struct stat st;
    guint8 *map;
    int fd;

    fake_create(d, 1, PVGPU_FORMAT_B8G8R8X8_UNORM, 32, 16);
    fake_fill(d, 1, 0xff336699u, 0, 0, 32, 16);
    fake_set_scanout(d, 1, 0, 0, 32, 16);
    fake_present(d, 0, 0, 0, 32, 16);
    fake_device_run(d);

    fd = expect_scanout(rig, PVGPU_FORMAT_B8G8R8X8_UNORM, 32, 16);
    expect_update(rig, 0, 0, 32, 16);
    assert_nothing_sent(rig);
    assert_int_equal(fcntl(fd, F_GET_SEALS) & (F_SEAL_SHRINK | F_SEAL_GROW),
                     F_SEAL_SHRINK | F_SEAL_GROW);
    assert_int_equal(fstat(fd, &st), 0);
    assert_true(st.st_size >= 32 * 16 * 4);
    map = mmap(NULL, 32 * 16 * 4, PROT_READ, MAP_SHARED, fd, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(mapped_pixel(map, 32, 31, 15), 0xff336699u);

    /* a small change: only its rect, in the same memory */
    fake_fill(d, 1, 0xff000000u, 4, 2, 3, 5);
    fake_present(d, 0, 4, 2, 3, 5);
    fake_device_run(d);
    expect_update(rig, 4, 2, 3, 5);
    assert_nothing_sent(rig);
    assert_int_equal(mapped_pixel(map, 32, 5, 3), 0xff000000u);
    assert_int_equal(mapped_pixel(map, 32, 8, 3), 0xff336699u);
    munmap(map, 32 * 16 * 4);
    close(fd);
}

/* Flipping between two buffers of one size keeps the frame's memory. */
static void test_flip_keeps_frame(void **state)
{
    Rig *rig = *state;
    FakeDevice *d = rig->d;
    int fd;

    fake_create(d, 1, PVGPU_FORMAT_B8G8R8A8_UNORM, 20, 10);
    fake_create(d, 2, PVGPU_FORMAT_B8G8R8A8_UNORM, 20, 10);
    fake_set_scanout(d, 1, 0, 0, 20, 10);
    fake_present(d, 0, 0, 0, 20, 10);
    fake_device_run(d);
    fd = expect_scanout(rig, PVGPU_FORMAT_B8G8R8A8_UNORM, 20, 10);
    close(fd);
    expect_update(rig, 0, 0, 20, 10);

    for (guint i = 0; i < 4; i++) {
        fake_set_scanout(d, i % 2 ? 1 : 2, 0, 0, 20, 10);
        fake_present(d, 0, 0, 0, 1, 1);
        fake_device_run(d);
        /* a new source is copied whole, so all of it changed */
        expect_update(rig, 0, 0, 20, 10);
    }
    assert_nothing_sent(rig);
    assert_int_equal(rig->sender.scanouts_sent, 1);
}

/* A new size or format is a new frame: DISPLAY_SCANOUT again. */
static void test_mode_change_sends_new_frame(void **state)
{
    Rig *rig = *state;
    FakeDevice *d = rig->d;

    fake_create(d, 1, PVGPU_FORMAT_B8G8R8A8_UNORM, 20, 10);
    fake_create(d, 2, PVGPU_FORMAT_R8G8B8X8_UNORM, 20, 10);
    fake_set_scanout(d, 1, 0, 0, 20, 10);
    fake_present(d, 0, 0, 0, 20, 10);
    fake_device_run(d);
    close(expect_scanout(rig, PVGPU_FORMAT_B8G8R8A8_UNORM, 20, 10));
    expect_update(rig, 0, 0, 20, 10);

    fake_set_scanout(d, 1, 0, 0, 8, 6);
    fake_present(d, 0, 0, 0, 8, 6);
    fake_device_run(d);
    close(expect_scanout(rig, PVGPU_FORMAT_B8G8R8A8_UNORM, 8, 6));
    expect_update(rig, 0, 0, 8, 6);

    fake_set_scanout(d, 2, 0, 0, 8, 6);
    fake_present(d, 0, 0, 0, 8, 6);
    fake_device_run(d);
    close(expect_scanout(rig, PVGPU_FORMAT_R8G8B8X8_UNORM, 8, 6));
    expect_update(rig, 0, 0, 8, 6);
    assert_nothing_sent(rig);
}

/* A present that finds no room for the new frame drops the old one: the
 * device is told the scanout is gone (width 0, no descriptor). */
static void test_frame_lost_disables(void **state)
{
    Rig *rig = *state;
    FakeDevice *d = rig->d;
    struct pvgpu_msg msg;
    int fd;

    fake_create(d, 1, PVGPU_FORMAT_B8G8R8A8_UNORM, 1024, 1024);
    fake_set_scanout(d, 1, 0, 0, 64, 64);
    fake_present(d, 0, 0, 0, 64, 64);
    fake_device_run(d);
    close(expect_scanout(rig, PVGPU_FORMAT_B8G8R8A8_UNORM, 64, 64));
    expect_update(rig, 0, 0, 64, 64);

    /* fill the budget, then ask for a frame of 4 MiB */
    for (guint32 id = 2; id < 2 + 14; id++) {
        fake_create(d, id, PVGPU_FORMAT_B8G8R8A8_UNORM, 1024, 1024);
    }
    fake_set_scanout(d, 1, 0, 0, 1024, 1024);
    fake_present(d, 0, 0, 0, 1024, 1024);
    fake_device_run(d);
    assert_int_equal(d->ctrl->error_code, PVGPU_ERROR_OUT_OF_MEMORY);
    assert_true(next_msg(rig, &msg, &fd));
    assert_int_equal(msg.type, PVGPU_MSG_DISPLAY_SCANOUT);
    assert_int_equal(msg.u.scanout.width, 0);
    assert_int_equal(fd, -1);
    assert_nothing_sent(rig);
}

/*
 * Updates the queue has no room for are dropped, not queued without
 * bound; the next present that fits sends the whole frame, so nothing
 * the device missed stays stale.
 */
static void test_dropped_update_made_good(void **state)
{
    Rig *rig = *state;
    FakeDevice *d = rig->d;
    struct pvgpu_msg msg;
    int fd;
    guint n;

    /* the device stops reading: shrink the socket so it fills quickly */
    int small = 4096;
    assert_int_equal(setsockopt(rig->sock[0], SOL_SOCKET, SO_SNDBUF, &small,
                                sizeof(small)), 0);
    fake_create(d, 1, PVGPU_FORMAT_B8G8R8A8_UNORM, 40, 30);
    fake_set_scanout(d, 1, 0, 0, 40, 30);
    for (guint i = 0; i < 400; i++) {
        fake_present(d, 0, 1, 1, 2, 2);
        fake_device_run(d);
    }
    assert_true(rig->sender.updates_dropped > 0);
    assert_true(pvgpu_ipc_writer_queued(&rig->writer) <= 4 * 32);

    /* the device reads everything, then one more small present */
    for (n = 0; next_msg(rig, &msg, &fd); n++) {
        if (fd >= 0) {
            close(fd);
        }
        /* the writer refills the socket from its queue */
        while (g_main_context_iteration(NULL, FALSE)) {
        }
    }
    assert_true(n > 2);
    fake_present(d, 0, 1, 1, 2, 2);
    fake_device_run(d);
    expect_update(rig, 0, 0, 40, 30);
    fake_present(d, 0, 1, 1, 2, 2);
    fake_device_run(d);
    expect_update(rig, 1, 1, 2, 2);
}

/* A 5x4 B8G8R8A8 cursor image; pixel (x, y) is cursor_pixel(x, y). */
static guint32 cursor_pixel(guint32 x, guint32 y)
{
    return 0x80000000u | (x << 16) | (y << 8) | 0x42u;
}

static void make_cursor_resource(FakeDevice *d, guint32 id, guint32 format,
                                 guint32 w, guint32 h)
{
    guint32 *px = (guint32 *)(void *)d->heap;

    for (guint32 y = 0; y < h; y++) {
        for (guint32 x = 0; x < w; x++) {
            px[y * w + x] = cursor_pixel(x, y);
        }
    }
    fake_create(d, id, format, w, h);
    fake_upload(d, id, w * 4, 0, 0, 0, w, h);
}

static struct pvgpu_display_cursor expect_cursor(Rig *rig, int *fd)
{
    struct pvgpu_msg msg;

    assert_true(next_msg(rig, &msg, fd));
    assert_int_equal(msg.type, PVGPU_MSG_DISPLAY_CURSOR);
    return msg.u.cursor;
}

static void test_cursor_shape_and_moves(void **state)
{
    Rig *rig = *state;
    FakeDevice *d = rig->d;
    struct pvgpu_display_cursor c;
    guint32 *map;
    int fd;

    make_cursor_resource(d, 7, PVGPU_FORMAT_B8G8R8A8_UNORM, 5, 4);
    fake_set_cursor(d, 7, 1, 2, 100, -3, PVGPU_CURSOR_FLAG_SHAPE);
    fake_device_run(d);
    assert_int_equal(d->ctrl->error_code, PVGPU_ERROR_NONE);
    c = expect_cursor(rig, &fd);
    assert_int_equal(c.flags, PVGPU_DISPLAY_CURSOR_VISIBLE |
                                  PVGPU_DISPLAY_CURSOR_SHAPE);
    assert_int_equal(c.width, 5);
    assert_int_equal(c.height, 4);
    assert_int_equal(c.hot_x, 1);
    assert_int_equal(c.hot_y, 2);
    assert_int_equal(c.x, 100);
    assert_int_equal(c.y, -3);
    assert_true(fd >= 0);
    assert_true(fcntl(fd, F_GET_SEALS) & F_SEAL_SHRINK);
    map = mmap(NULL, 5 * 4 * 4, PROT_READ, MAP_SHARED, fd, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(map[0], cursor_pixel(0, 0));
    assert_int_equal(map[3 * 5 + 4], cursor_pixel(4, 3));
    munmap(map, 5 * 4 * 4);
    close(fd);

    /* the resource may go: the backend keeps its own copy */
    fake_destroy(d, 7);
    fake_device_run(d);
    assert_nothing_sent(rig);

    /* hidden, then shown again at a new place: no new image */
    fake_set_cursor(d, 0, 0, 0, 10, 20, 0);
    fake_device_run(d);
    c = expect_cursor(rig, &fd);
    assert_int_equal(fd, -1);
    assert_int_equal(c.flags, 0);
    make_cursor_resource(d, 8, PVGPU_FORMAT_B8G8R8A8_UNORM, 5, 4);
    fake_set_cursor(d, 8, 1, 2, 11, 21, 0);
    fake_device_run(d);
    c = expect_cursor(rig, &fd);
    assert_int_equal(fd, -1);
    assert_int_equal(c.flags, PVGPU_DISPLAY_CURSOR_VISIBLE);
    assert_int_equal(c.x, 11);
    assert_int_equal(c.y, 21);
    assert_int_equal(c.width, 0);
    assert_nothing_sent(rig);
}

static void assert_cursor_refused(Rig *rig, guint32 code)
{
    fake_device_run(rig->d);
    assert_int_equal(rig->d->ctrl->error_code, code);
    assert_nothing_sent(rig);
    rig->d->ctrl->error_code = 0;
}

static void test_cursor_refused(void **state)
{
    Rig *rig = *state;
    FakeDevice *d = rig->d;

    fake_set_cursor(d, 3, 0, 0, 0, 0, PVGPU_CURSOR_FLAG_SHAPE);
    assert_cursor_refused(rig, PVGPU_ERROR_RESOURCE_UNKNOWN);
    make_cursor_resource(d, 1, PVGPU_FORMAT_B8G8R8X8_UNORM, 4, 4);
    fake_set_cursor(d, 1, 0, 0, 0, 0, PVGPU_CURSOR_FLAG_SHAPE);
    assert_cursor_refused(rig, PVGPU_ERROR_BAD_FORMAT);
    fake_create(d, 2, PVGPU_FORMAT_B8G8R8A8_UNORM, PVGPU_CURSOR_MAX_SIZE + 1,
                8);
    fake_set_cursor(d, 2, 0, 0, 0, 0, PVGPU_CURSOR_FLAG_SHAPE);
    assert_cursor_refused(rig, PVGPU_ERROR_BAD_DIMENSIONS);
    make_cursor_resource(d, 4, PVGPU_FORMAT_B8G8R8A8_UNORM, 5, 4);
    fake_set_cursor(d, 4, 5, 0, 0, 0, PVGPU_CURSOR_FLAG_SHAPE);
    assert_cursor_refused(rig, PVGPU_ERROR_RECT_BOUNDS);
    fake_set_cursor(d, 4, 0, 4, 0, 0, PVGPU_CURSOR_FLAG_SHAPE);
    assert_cursor_refused(rig, PVGPU_ERROR_RECT_BOUNDS);
    fake_set_cursor(d, 4, 0, 0, 0, 0, 0x2);
    assert_cursor_refused(rig, PVGPU_ERROR_RESERVED_NONZERO);
}

/* A device that does not read: cursor messages stop at the queue's limit
 * and the newest state is sent once there is room. */
static void test_cursor_dropped_made_good(void **state)
{
    Rig *rig = *state;
    FakeDevice *d = rig->d;
    struct pvgpu_display_cursor c;
    struct pvgpu_msg msg;
    int small = 4096;
    int fd;

    assert_int_equal(setsockopt(rig->sock[0], SOL_SOCKET, SO_SNDBUF, &small,
                                sizeof(small)), 0);
    make_cursor_resource(d, 1, PVGPU_FORMAT_B8G8R8A8_UNORM, 5, 4);
    for (gint32 i = 0; i < 2000; i++) {
        fake_set_cursor(d, 1, 0, 0, i, i, i % 100 ? 0 : PVGPU_CURSOR_FLAG_SHAPE);
        fake_device_run(d);
    }
    assert_true(rig->sender.cursors_dropped > 0);
    assert_true(pvgpu_ipc_writer_queued(&rig->writer) <= 4 * 32 + 40);
    while (next_msg(rig, &msg, &fd)) {
        if (fd >= 0) {
            close(fd);
        }
        while (g_main_context_iteration(NULL, FALSE)) {
        }
    }
    fake_set_cursor(d, 1, 0, 0, -5, 7, 0);
    fake_device_run(d);
    c = expect_cursor(rig, &fd);
    /* the image is sent again with it: one may have been dropped */
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(c.x, -5);
    assert_int_equal(c.y, 7);
    assert_int_equal(c.width, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PATH_TEST("/backend/display/first-present-sends-frame",
                  test_first_present_sends_frame, setup, teardown),
        PATH_TEST("/backend/display/flip-keeps-frame", test_flip_keeps_frame,
                  setup, teardown),
        PATH_TEST("/backend/display/mode-change-sends-new-frame",
                  test_mode_change_sends_new_frame, setup, teardown),
        PATH_TEST("/backend/display/frame-lost-disables",
                  test_frame_lost_disables, setup, teardown),
        PATH_TEST("/backend/display/dropped-update-made-good",
                  test_dropped_update_made_good, setup, teardown),
        PATH_TEST("/backend/display/cursor-shape-and-moves",
                  test_cursor_shape_and_moves, setup, teardown),
        PATH_TEST("/backend/display/cursor-refused", test_cursor_refused,
                  setup, teardown),
        PATH_TEST("/backend/display/cursor-dropped-made-good",
                  test_cursor_dropped_made_good, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
