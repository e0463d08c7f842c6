/* SPDX-License-Identifier: MIT */
/* IPC with the device: message reader, output queue, handshake. */
#include "test-helpers.h"
#include "test-support.h"

#include <fcntl.h>
#include <glib-unix.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "handshake.h"
#include "ipc-reader.h"
#include "ipc-writer.h"

#define SHMEM_SIZE (4ull << 20)

typedef struct {
    int sv[2]; /* [0] the backend's end, [1] the device's */
    PvgpuIpcReader reader;
} Fixture;

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
                                f->sv), 0);
    g_unix_set_fd_nonblocking(f->sv[0], TRUE, NULL);
    pvgpu_ipc_reader_init(&f->reader);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;

    pvgpu_ipc_reader_clear(&f->reader);
    close(f->sv[0]);
    if (f->sv[1] >= 0) {
        close(f->sv[1]);
    }
    g_free(f);
    return 0;
}

static gboolean fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

static PvgpuIpcReadResult read_one(Fixture *f, struct pvgpu_msg *msg,
                                   int *fds, guint *n_fds, GError **error)
{
    return pvgpu_ipc_reader_read(&f->reader, f->sv[0], msg, fds, n_fds,
                                 error);
}

static gsize encode_handshake(guint8 *buf, guint64 size, const char *name,
                              guint64 features, guint num_fds)
{
    gsize len = 0;

    assert_int_equal(device_end_encode_handshake(buf, size, name, features,
                                                 num_fds, &len),
                     PVGPU_CODEC_OK);
    return len;
}

/* A sealed memfd of size bytes with an initialised control region. */
static int make_memfd(guint64 size)
{
    int fd = memfd_create("pvgpu-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    struct pvgpu_layout layout;
    void *p;

    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
    if (pvgpu_layout_compute(size, &layout) == PVGPU_CODEC_OK) {
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        assert_true(p != MAP_FAILED);
        pvgpu_control_init(p, &layout);
        munmap(p, size);
    }
    return fd;
}

/* ---- reader ------------------------------------------------------------ */

static void test_reader_byte_by_byte(void **state)
{
    Fixture *f = *state;
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    gsize len = encode_handshake(buf, SHMEM_SIZE, "/x", 0, 0);
    struct pvgpu_msg msg;
    int fds[PVGPU_IPC_MAX_FDS];
    guint n_fds = 99;

    for (gsize i = 0; i + 1 < len; i++) {
        assert_int_equal(write(f->sv[1], buf + i, 1), 1);
        assert_int_equal(read_one(f, &msg, fds, &n_fds, NULL),
                         PVGPU_IPC_READ_AGAIN);
    }
    assert_int_equal(write(f->sv[1], buf + len - 1, 1), 1);
    assert_int_equal(read_one(f, &msg, fds, &n_fds, NULL),
                     PVGPU_IPC_READ_MESSAGE);
    assert_int_equal(msg.type, PVGPU_MSG_HANDSHAKE);
    assert_string_equal(msg.u.handshake.name, "/x");
    assert_true(msg.u.handshake.has_ext);
    assert_int_equal(n_fds, 0);
}

static void test_reader_two_messages(void **state)
{
    Fixture *f = *state;
    guint8 buf[16];
    gsize len = 0;
    struct pvgpu_msg msg;
    int fds[PVGPU_IPC_MAX_FDS];
    guint n_fds;

    pvgpu_ipc_encode_empty(buf, sizeof(buf), PVGPU_MSG_DOORBELL, &len);
    pvgpu_ipc_encode_empty(buf + 8, 8, PVGPU_MSG_SHUTDOWN, &len);
    assert_int_equal(write(f->sv[1], buf, 16), 16);
    assert_int_equal(read_one(f, &msg, fds, &n_fds, NULL),
                     PVGPU_IPC_READ_MESSAGE);
    assert_int_equal(msg.type, PVGPU_MSG_DOORBELL);
    assert_int_equal(read_one(f, &msg, fds, &n_fds, NULL),
                     PVGPU_IPC_READ_MESSAGE);
    assert_int_equal(msg.type, PVGPU_MSG_SHUTDOWN);
    assert_int_equal(read_one(f, &msg, fds, &n_fds, NULL),
                     PVGPU_IPC_READ_AGAIN);
}

/* Reading fails with an error containing phrase (NULL: any error). */
static void expect_read_error(Fixture *f, const char *phrase)
{
    struct pvgpu_msg msg;
    int fds[PVGPU_IPC_MAX_FDS];
    guint n_fds;
    GError *error = NULL;

    assert_int_equal(read_one(f, &msg, fds, &n_fds, &error),
                     PVGPU_IPC_READ_ERROR);
    if (phrase != NULL) {
        assert_non_null(strstr(error->message, phrase));
    }
    g_error_free(error);
}

/* A message the reader refuses: a header, then with a name the HANDSHAKE
 * payload SHMEM_SIZE and the name's bytes without a NUL. */
typedef struct {
    guint32 type;
    guint32 payload_size;
    const char *name;
    const char *phrase; /* in the error; NULL: any error */
} BadMessage;

static void assert_reader_refuses(void **state, const BadMessage *m)
{
    Fixture *f = *state;
    guint8 buf[8 + 8 + 16];
    gsize len = 8;

    pvgpu_le32_store(buf, m->type);
    pvgpu_le32_store(buf + 4, m->payload_size);
    if (m->name != NULL) {
        g_assert(strlen(m->name) <= 16);
        pvgpu_le64_store(buf + 8, SHMEM_SIZE);
        memcpy(buf + 16, m->name, strlen(m->name));
        len = 16 + strlen(m->name);
    }
    assert_int_equal(write(f->sv[1], buf, len), (ssize_t)len);
    expect_read_error(f, m->phrase);
}

static void test_reader_unknown_type(void **state)
{
    assert_reader_refuses(state, &(BadMessage){
        .type = PVGPU_MSG_TYPE_LAST + 1, .payload_size = 0,
        .phrase = "unknown message type" });
}

static void test_reader_payload_too_large(void **state)
{
    /* refused on the header alone: no payload is awaited */
    assert_reader_refuses(state, &(BadMessage){
        .type = PVGPU_MSG_HANDSHAKE, .payload_size = 0xffffffff,
        .phrase = "maximum" });
}

static void test_reader_doorbell_with_payload(void **state)
{
    assert_reader_refuses(state, &(BadMessage){
        .type = PVGPU_MSG_DOORBELL, .payload_size = 4 });
}

static void test_reader_bad_name(void **state)
{
    assert_reader_refuses(state, &(BadMessage){
        .type = PVGPU_MSG_HANDSHAKE, .payload_size = 12, .name = "/abc",
        .phrase = "NUL" });
}

static void test_reader_eof(void **state)
{
    Fixture *f = *state;
    struct pvgpu_msg msg;
    int fds[PVGPU_IPC_MAX_FDS];
    guint n_fds;

    close(f->sv[1]);
    f->sv[1] = -1;
    assert_int_equal(read_one(f, &msg, fds, &n_fds, NULL),
                     PVGPU_IPC_READ_EOF);
}

static void test_reader_eof_mid_message(void **state)
{
    Fixture *f = *state;

    assert_int_equal(write(f->sv[1], "\x03\0\0", 3), 3);
    close(f->sv[1]);
    f->sv[1] = -1;
    expect_read_error(f, "middle");
}

static void test_reader_fds_travel(void **state)
{
    Fixture *f = *state;
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    gsize len = encode_handshake(buf, SHMEM_SIZE, "", PVGPU_FEATURE_SHMEM_FD,
                                 1);
    int memfd = make_memfd(SHMEM_SIZE);
    struct pvgpu_msg msg;
    int fds[PVGPU_IPC_MAX_FDS];
    guint n_fds = 0;

    test_send_with_fds(f->sv[1], buf, len, &memfd, 1);
    close(memfd);
    assert_int_equal(read_one(f, &msg, fds, &n_fds, NULL),
                     PVGPU_IPC_READ_MESSAGE);
    assert_int_equal(n_fds, 1);
    assert_true(fd_is_open(fds[0]));
    assert_true(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
    close(fds[0]);
}

static void test_reader_too_many_fds(void **state)
{
    Fixture *f = *state;
    guint8 buf[8];
    gsize len = 0;
    int many[PVGPU_IPC_MAX_FDS + 1];

    for (guint i = 0; i < G_N_ELEMENTS(many); i++) {
        many[i] = eventfd(0, EFD_CLOEXEC);
    }
    pvgpu_ipc_encode_empty(buf, sizeof(buf), PVGPU_MSG_DOORBELL, &len);
    test_send_with_fds(f->sv[1], buf, len, many, G_N_ELEMENTS(many));
    for (guint i = 0; i < G_N_ELEMENTS(many); i++) {
        close(many[i]);
    }
    expect_read_error(f, "descriptors");
}

/* ---- writer ------------------------------------------------------------ */

static void test_writer_bounds_droppable(void **state)
{
    Fixture *f = *state;
    PvgpuIpcWriter w;
    guint8 irq[12];
    gsize len = 0;
    guint accepted = 0, refused = 0;
    int small = 4096;

    setsockopt(f->sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    pvgpu_ipc_writer_init(&w, f->sv[0], 10 * sizeof(irq));
    pvgpu_ipc_encode_irq(irq, sizeof(irq), PVGPU_VECTOR_FENCE, &len);
    /* the device never reads: the socket fills, then the queue */
    for (guint i = 0; i < 100000 && refused == 0; i++) {
        if (pvgpu_ipc_writer_send(&w, irq, len, TRUE)) {
            accepted++;
        } else {
            refused++;
        }
    }
    assert_int_equal(refused, 1);
    assert_true(accepted > 10);
    assert_true(pvgpu_ipc_writer_queued(&w) <= 10 * sizeof(irq));
    /* what must arrive is queued past the bound */
    assert_true(pvgpu_ipc_writer_send(&w, irq, 8, FALSE));
    assert_true(pvgpu_ipc_writer_queued(&w) > 10 * sizeof(irq));
    pvgpu_ipc_writer_clear(&w);
}

static void test_writer_drain(void **state)
{
    Fixture *f = *state;
    PvgpuIpcWriter w;
    guint8 msg[8], got[8];
    gsize len = 0;

    pvgpu_ipc_writer_init(&w, f->sv[0], 64);
    pvgpu_ipc_encode_empty(msg, sizeof(msg), PVGPU_MSG_SHUTDOWN, &len);
    assert_true(pvgpu_ipc_writer_send(&w, msg, len, FALSE));
    assert_true(pvgpu_ipc_writer_drain(&w, 1000));
    assert_int_equal(read(f->sv[1], got, sizeof(got)), 8);
    assert_memory_equal(got, msg, 8);
    pvgpu_ipc_writer_clear(&w);
}

/* ---- handshake --------------------------------------------------------- */

static struct pvgpu_msg handshake_msg(guint64 size, const char *name,
                                      guint64 features, guint num_fds)
{
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    gsize len = encode_handshake(buf, size, name, features, num_fds);
    struct pvgpu_msg msg;
    gsize used;

    assert_int_equal(pvgpu_ipc_decode(buf, len, &msg, &used), PVGPU_CODEC_OK);
    return msg;
}

/* The handshake is refused with an error containing phrase. */
static void assert_handshake_refused(const struct pvgpu_msg *msg, int *fds,
                                     guint n_fds, const char *phrase)
{
    PvgpuHandshakeResult res;
    GError *error = NULL;

    /* allowed, so that the name checks themselves are what refuses */
    assert_false(pvgpu_handshake_accept(msg, fds, n_fds, TRUE, &res, &error));
    assert_non_null(strstr(error->message, phrase));
    g_error_free(error);
}

/* The same with a memfd of memfd_size bytes, which the refusal closes. */
static void assert_handshake_refused_memfd(const struct pvgpu_msg *msg,
                                           guint64 memfd_size,
                                           const char *phrase)
{
    int memfd = make_memfd(memfd_size);
    int fds[1] = { memfd };

    assert_handshake_refused(msg, fds, 1, phrase);
    assert_false(fd_is_open(memfd));
}

static void test_handshake_memfd(void **state)
{
    struct pvgpu_msg msg = handshake_msg(SHMEM_SIZE, "",
                                         PVGPU_FEATURE_SHMEM_FD, 1);
    int fds[1] = { make_memfd(SHMEM_SIZE) };
    int keep = dup(fds[0]);
    PvgpuHandshakeResult res;
    GError *error = NULL;

    (void)state;
    assert_true(pvgpu_handshake_accept(&msg, fds, 1, FALSE, &res, &error));
    assert_null(error);
    assert_int_equal(res.features,
                     PVGPU_FEATURE_2D | PVGPU_FEATURE_CURSOR |
                         PVGPU_FEATURE_SHMEM_FD);
    assert_non_null(res.shmem.base);
    assert_int_equal(((struct pvgpu_control *)res.shmem.base)->magic,
                     PVGPU_CTRL_MAGIC);
    assert_int_equal(res.doorbell_fd, -1);
    /* the mapping stays, the received descriptor is closed */
    assert_int_equal(fds[0], -1);
    pvgpu_handshake_result_clear(&res);
    close(keep);
}

/* Memory on a file system whose page faults can wait on another process
 * or the network (FUSE, NFS, ...) could hang the backend: only memory
 * file systems are mapped. The build directory is on a disk file system
 * (the test says so if not). */
static void test_handshake_disk_file_refused(void **state)
{
    struct pvgpu_msg msg = handshake_msg(SHMEM_SIZE, "",
                                         PVGPU_FEATURE_SHMEM_FD, 1);
    g_autofree gchar *dir = g_get_current_dir();
    const char *const dirs[] = { dir, "/var/tmp" };
    struct pvgpu_layout layout;
    struct statfs sfs;
    int fd = -1;
    void *p;

    (void)state;
    for (gsize i = 0; i < G_N_ELEMENTS(dirs) && fd < 0; i++) {
        g_autofree gchar *path = g_build_filename(dirs[i],
                                                  "pvgpu-disk-XXXXXX", NULL);

        fd = g_mkstemp(path);
        assert_true(fd >= 0);
        unlink(path);
        assert_int_equal(fstatfs(fd, &sfs), 0);
        if (sfs.f_type == TMPFS_MAGIC || sfs.f_type == HUGETLBFS_MAGIC ||
            sfs.f_type == RAMFS_MAGIC) {
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0) {
        fail_msg("neither %s nor /var/tmp is on a disk file system", dir);
    }
    assert_int_equal(ftruncate(fd, SHMEM_SIZE), 0);
    p = mmap(NULL, SHMEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(p != MAP_FAILED);
    pvgpu_layout_compute(SHMEM_SIZE, &layout);
    pvgpu_control_init(p, &layout);
    munmap(p, SHMEM_SIZE);
    {
        int fds[1] = { fd };

        assert_handshake_refused(&msg, fds, 1, "memory file system");
    }
    assert_false(fd_is_open(fd));
}

static void test_handshake_memfd_size_mismatch(void **state)
{
    struct pvgpu_msg msg = handshake_msg(8ull << 20, "",
                                         PVGPU_FEATURE_SHMEM_FD, 1);

    (void)state;
    assert_handshake_refused_memfd(&msg, SHMEM_SIZE, "4194304 bytes");
}

static void test_handshake_bad_shmem_size(void **state)
{
    struct pvgpu_msg msg = handshake_msg(SHMEM_SIZE + 4096, "",
                                         PVGPU_FEATURE_SHMEM_FD, 1);

    (void)state;
    assert_handshake_refused_memfd(&msg, SHMEM_SIZE + 4096, "power of two");
}

static void test_handshake_fewer_fds_than_announced(void **state)
{
    struct pvgpu_msg msg = handshake_msg(SHMEM_SIZE, "",
                                         PVGPU_FEATURE_SHMEM_FD |
                                         PVGPU_FEATURE_EVENTFD, 6);

    (void)state;
    assert_handshake_refused_memfd(&msg, SHMEM_SIZE, "announced 6");
}

static void test_handshake_extra_fds_closed(void **state)
{
    struct pvgpu_msg msg = handshake_msg(SHMEM_SIZE, "",
                                         PVGPU_FEATURE_SHMEM_FD, 1);
    int extra = eventfd(0, EFD_CLOEXEC);
    int fds[2] = { make_memfd(SHMEM_SIZE), extra };
    PvgpuHandshakeResult res;

    (void)state;
    assert_true(pvgpu_handshake_accept(&msg, fds, 2, FALSE, &res, NULL));
    assert_false(fd_is_open(extra));
    pvgpu_handshake_result_clear(&res);
}

static void test_handshake_eventfds(void **state)
{
    struct pvgpu_msg msg = handshake_msg(SHMEM_SIZE, "",
                                         PVGPU_FEATURE_SHMEM_FD |
                                         PVGPU_FEATURE_EVENTFD, 6);
    int fds[6];
    int doorbell;
    PvgpuHandshakeResult res;

    (void)state;
    fds[0] = make_memfd(SHMEM_SIZE);
    for (guint i = 1; i < 6; i++) {
        fds[i] = eventfd(0, EFD_CLOEXEC);
    }
    doorbell = fds[1];
    assert_true(pvgpu_handshake_accept(&msg, fds, 6, FALSE, &res, NULL));
    assert_int_equal(res.features, PVGPU_FEATURE_2D | PVGPU_FEATURE_CURSOR |
                         PVGPU_FEATURE_SHMEM_FD |
                                   PVGPU_FEATURE_EVENTFD);
    assert_int_equal(res.doorbell_fd, doorbell);
    for (guint v = 0; v < PVGPU_NUM_VECTORS; v++) {
        assert_true(res.vector_fds[v] >= 0);
        assert_true(fcntl(res.vector_fds[v], F_GETFL) & O_NONBLOCK);
    }
    pvgpu_handshake_result_clear(&res);
    assert_false(fd_is_open(doorbell));
}

/* A pipe where an eventfd belongs: refused, every descriptor closed. */
static void test_handshake_eventfd_not_eventfd(void **state)
{
    struct pvgpu_msg msg = handshake_msg(SHMEM_SIZE, "",
                                         PVGPU_FEATURE_SHMEM_FD |
                                         PVGPU_FEATURE_EVENTFD, 6);
    int fds[6];
    int pipe_fds[2];

    (void)state;
    assert_int_equal(pipe(pipe_fds), 0);
    fds[0] = make_memfd(SHMEM_SIZE);
    for (guint i = 1; i < 6; i++) {
        fds[i] = i == 3 ? pipe_fds[0] : eventfd(0, EFD_CLOEXEC);
    }
    int copy[6];
    memcpy(copy, fds, sizeof(copy));
    assert_handshake_refused(&msg, fds, 6, "is not an eventfd");
    for (guint i = 0; i < 6; i++) {
        assert_false(fd_is_open(copy[i]));
    }
    close(pipe_fds[1]);
}

static void test_handshake_eventfds_inconsistent(void **state)
{
    /* EVENTFD offered, but only the doorbell came */
    struct pvgpu_msg msg = handshake_msg(SHMEM_SIZE, "",
                                         PVGPU_FEATURE_SHMEM_FD |
                                         PVGPU_FEATURE_EVENTFD, 2);
    int doorbell = eventfd(0, EFD_CLOEXEC);
    int fds[2] = { make_memfd(SHMEM_SIZE), doorbell };
    PvgpuHandshakeResult res;

    (void)state;
    assert_true(pvgpu_handshake_accept(&msg, fds, 2, FALSE, &res, NULL));
    assert_int_equal(res.features,
                     PVGPU_FEATURE_2D | PVGPU_FEATURE_CURSOR |
                         PVGPU_FEATURE_SHMEM_FD);
    assert_int_equal(res.doorbell_fd, -1);
    assert_false(fd_is_open(doorbell));
    pvgpu_handshake_result_clear(&res);
}

static void test_handshake_shmem_fd_missing(void **state)
{
    struct pvgpu_msg msg = handshake_msg(SHMEM_SIZE, "",
                                         PVGPU_FEATURE_SHMEM_FD, 0);

    (void)state;
    assert_handshake_refused(&msg, NULL, 0, "sent none");
}

static void test_handshake_version_major(void **state)
{
    struct pvgpu_msg msg = handshake_msg(SHMEM_SIZE, "",
                                         PVGPU_FEATURE_SHMEM_FD, 1);

    (void)state;
    msg.u.handshake.ext.version = 0x00020000;
    assert_handshake_refused_memfd(&msg, SHMEM_SIZE, "2.0");
}

static void test_handshake_name_relative(void **state)
{
    struct pvgpu_msg msg = handshake_msg(SHMEM_SIZE, "pvgpu", 0, 0);

    (void)state;
    assert_handshake_refused(&msg, NULL, 0, "must be '/'");
}

static void test_handshake_name_two_slashes(void **state)
{
    struct pvgpu_msg msg = handshake_msg(SHMEM_SIZE, "/../etc", 0, 0);

    (void)state;
    assert_handshake_refused(&msg, NULL, 0, "must be '/'");
}

static void test_handshake_name_missing(void **state)
{
    struct pvgpu_msg msg = handshake_msg(SHMEM_SIZE, "/pvgpu-test-absent", 0,
                                         0);

    (void)state;
    assert_handshake_refused(&msg, NULL, 0, "cannot open");
}

static void test_handshake_name_ok(void **state)
{
    g_autofree gchar *name = g_strdup_printf("/pvgpu-test-%d", (int)getpid());
    struct pvgpu_msg msg = handshake_msg(SHMEM_SIZE, name, 0, 0);
    struct pvgpu_layout layout;
    PvgpuHandshakeResult res;
    GError *error = NULL;
    void *p;
    int fd;

    (void)state;
    fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, SHMEM_SIZE), 0);
    p = mmap(NULL, SHMEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pvgpu_layout_compute(SHMEM_SIZE, &layout);
    pvgpu_control_init(p, &layout);
    munmap(p, SHMEM_SIZE);
    close(fd);

    /* refused by default: such memory cannot be sealed */
    assert_false(pvgpu_handshake_accept(&msg, NULL, 0, FALSE, &res, &error));
    assert_non_null(strstr(error->message, "--allow-shm-name"));
    g_clear_error(&error);
    assert_true(pvgpu_handshake_accept(&msg, NULL, 0, TRUE, &res, &error));
    shm_unlink(name);
    assert_null(error);
    assert_int_equal(res.features,
                     PVGPU_FEATURE_2D | PVGPU_FEATURE_CURSOR);
    assert_int_equal(((struct pvgpu_control *)res.shmem.base)->magic,
                     PVGPU_CTRL_MAGIC);
    pvgpu_handshake_result_clear(&res);
}

#define T(path, fn) PATH_TEST(path, fn, setup, teardown)
#define P(path, fn) PATH_TEST(path, fn, NULL, NULL)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T("/backend/ipc/reader-byte-by-byte", test_reader_byte_by_byte),
        T("/backend/ipc/reader-two-messages", test_reader_two_messages),
        T("/backend/ipc/reader-unknown-type", test_reader_unknown_type),
        T("/backend/ipc/reader-payload-too-large",
          test_reader_payload_too_large),
        T("/backend/ipc/reader-doorbell-with-payload",
          test_reader_doorbell_with_payload),
        T("/backend/ipc/reader-bad-name", test_reader_bad_name),
        T("/backend/ipc/reader-eof", test_reader_eof),
        T("/backend/ipc/reader-eof-mid-message", test_reader_eof_mid_message),
        T("/backend/ipc/reader-fds-travel", test_reader_fds_travel),
        T("/backend/ipc/reader-too-many-fds", test_reader_too_many_fds),
        T("/backend/ipc/writer-bounds-droppable",
          test_writer_bounds_droppable),
        T("/backend/ipc/writer-drain", test_writer_drain),
        P("/backend/ipc/handshake-memfd", test_handshake_memfd),
        P("/backend/ipc/handshake-disk-file-refused",
          test_handshake_disk_file_refused),
        P("/backend/ipc/handshake-memfd-size-mismatch",
          test_handshake_memfd_size_mismatch),
        P("/backend/ipc/handshake-bad-shmem-size",
          test_handshake_bad_shmem_size),
        P("/backend/ipc/handshake-fewer-fds-than-announced",
          test_handshake_fewer_fds_than_announced),
        P("/backend/ipc/handshake-extra-fds-closed",
          test_handshake_extra_fds_closed),
        P("/backend/ipc/handshake-eventfds", test_handshake_eventfds),
        P("/backend/ipc/handshake-eventfd-not-eventfd",
          test_handshake_eventfd_not_eventfd),
        P("/backend/ipc/handshake-eventfds-inconsistent",
          test_handshake_eventfds_inconsistent),
        P("/backend/ipc/handshake-shmem-fd-missing",
          test_handshake_shmem_fd_missing),
        P("/backend/ipc/handshake-version-major",
          test_handshake_version_major),
        P("/backend/ipc/handshake-name-relative",
          test_handshake_name_relative),
        P("/backend/ipc/handshake-name-two-slashes",
          test_handshake_name_two_slashes),
        P("/backend/ipc/handshake-name-missing", test_handshake_name_missing),
        P("/backend/ipc/handshake-name-ok", test_handshake_name_ok),
    };

    return cmocka_run_group_tests_name("backend-ipc", tests, NULL, NULL);
}
