/* SPDX-License-Identifier: MIT */
#include "fake-backend.h"
#include "test-log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Room for several whole messages; decoding never lets it fill. */
#define RX_CAP 4096
#define MAX_PENDING_FDS 32

typedef gboolean (*FakeOpFn)(FakeBackend *fb, gpointer data);

typedef struct {
    FakeOpFn fn;
    gpointer data;
    gboolean result;
    gboolean done;
} FakeOp;

typedef struct {
    void *addr;
    gsize size;
} Mapping;

struct FakeBackend {
    gchar *path;
    GThread *thread;
    int wake[2];

    GMutex lock;
    GCond cond;
    /* under lock */
    GQueue ops;
    guint64 counts[FAKE_COUNT_N];
    gboolean connected;
    FakeHandshake last_hs;
    struct pvgpu_display_hint last_hint;
    gboolean auto_ack;
    guint64 ack_features;
    gsize queued_at_resume;
    guint8 *shmem;
    gsize shmem_size;

    /* owned by the backend thread */
    gboolean quit;
    gboolean stalled;
    int listen_fd;
    int conn_fd;
    guint8 rx[RX_CAP];
    gsize rx_len;
    int pending_fds[MAX_PENDING_FDS];
    guint n_pending_fds;
    int doorbell_efd;
    int vector_efd[PVGPU_NUM_VECTORS];
    GArray *mappings; /* of Mapping, unmapped at free */
};

static void bump(FakeBackend *fb, FakeCounter which, guint64 n)
{
    g_mutex_lock(&fb->lock);
    fb->counts[which] += n;
    g_cond_broadcast(&fb->cond);
    g_mutex_unlock(&fb->lock);
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static void close_pending_fds(FakeBackend *fb)
{
    for (guint i = 0; i < fb->n_pending_fds; i++) {
        close(fb->pending_fds[i]);
    }
    fb->n_pending_fds = 0;
}

static void close_event_fds(FakeBackend *fb)
{
    close_fd(&fb->doorbell_efd);
    for (guint v = 0; v < PVGPU_NUM_VECTORS; v++) {
        close_fd(&fb->vector_efd[v]);
    }
}

static void close_connection(FakeBackend *fb)
{
    close_fd(&fb->conn_fd);
    fb->rx_len = 0;
    close_pending_fds(fb);
    g_mutex_lock(&fb->lock);
    fb->connected = FALSE;
    g_cond_broadcast(&fb->cond);
    g_mutex_unlock(&fb->lock);
}

static gboolean send_all(FakeBackend *fb, const void *buf, gsize len,
                         const int *fds, guint nfds)
{
    const guint8 *p = buf;
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * MAX_PENDING_FDS)];
    } control;

    if (fb->conn_fd < 0) {
        return FALSE;
    }
    g_assert_cmpuint(nfds, <=, MAX_PENDING_FDS);
    while (len > 0) {
        struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t n;

        if (nfds > 0) {
            struct cmsghdr *cmsg;

            memset(&control, 0, sizeof(control));
            msg.msg_control = control.buf;
            msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
            cmsg = CMSG_FIRSTHDR(&msg);
            cmsg->cmsg_level = SOL_SOCKET;
            cmsg->cmsg_type = SCM_RIGHTS;
            cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
            memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
        }
        n = sendmsg(fb->conn_fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            test_log("fake backend: send failed: %s",
                     g_strerror(errno));
            return FALSE;
        }
        nfds = 0; /* descriptors go with the first byte only */
        p += n;
        len -= (gsize)n;
    }
    return TRUE;
}

static gboolean send_ack(FakeBackend *fb, guint64 features)
{
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    size_t len;

    g_assert_cmpint(pvgpu_ipc_encode_ack(buf, sizeof(buf), features, &len),
                    ==, PVGPU_CODEC_OK);
    test_log("fake backend: -> HANDSHAKE_ACK 0x%" G_GINT64_MODIFIER "x",
             features);
    return send_all(fb, buf, len, NULL, 0);
}

/* Maps the shared memory of a handshake and makes it the current one. */
/* What the fd is: "/memfd:NAME (deleted)", a file's path... */
static void read_fd_target(int fd, gchar *buf, gsize size)
{
    g_autofree gchar *link = g_strdup_printf("/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, size - 1);

    buf[n > 0 ? n : 0] = '\0';
}

static void map_shmem(FakeBackend *fb, int fd, guint64 size)
{
    Mapping m = { .size = (gsize)size };

    m.addr = mmap(NULL, m.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m.addr == MAP_FAILED) {
        test_log("fake backend: mmap of %" G_GUINT64_FORMAT
                 " bytes failed: %s", size, g_strerror(errno));
        return;
    }
    g_array_append_val(fb->mappings, m);
    g_mutex_lock(&fb->lock);
    fb->shmem = m.addr;
    fb->shmem_size = m.size;
    g_mutex_unlock(&fb->lock);
}

static void handle_handshake(FakeBackend *fb, const struct pvgpu_msg *m)
{
    FakeHandshake hs = { 0 };
    guint64 offered;
    gboolean auto_ack;
    guint64 ack_features;
    guint next = 0;
    struct stat st;

    hs.payload_size = m->payload_size;
    hs.shmem_size = m->u.handshake.shmem_size;
    memcpy(hs.name, m->u.handshake.name, sizeof(hs.name));
    hs.has_ext = m->u.handshake.has_ext;
    hs.ext = m->u.handshake.ext;
    hs.num_fds = fb->n_pending_fds;
    hs.shmem_fd_seals = -1;
    offered = hs.has_ext ? hs.ext.features : 0;
    test_log("fake backend: <- HANDSHAKE size %" G_GUINT64_FORMAT
             " name '%s' ext %d features 0x%" G_GINT64_MODIFIER
             "x, %u fds", hs.shmem_size, hs.name, hs.has_ext, offered,
             hs.num_fds);

    close_event_fds(fb);
    if ((offered & PVGPU_FEATURE_SHMEM_FD) && next < fb->n_pending_fds) {
        int fd = fb->pending_fds[next++];

        if (fstat(fd, &st) == 0) {
            hs.shmem_fd_size = (guint64)st.st_size;
        }
        hs.shmem_fd_seals = fcntl(fd, F_GET_SEALS);
        read_fd_target(fd, hs.shmem_fd_target,
                       sizeof(hs.shmem_fd_target));
        if (hs.shmem_fd_size == hs.shmem_size && hs.shmem_size > 0) {
            map_shmem(fb, fd, hs.shmem_size);
        }
        close(fd);
    }
    if ((offered & PVGPU_FEATURE_EVENTFD) &&
        next + 1 + PVGPU_NUM_VECTORS <= fb->n_pending_fds) {
        fb->doorbell_efd = fb->pending_fds[next++];
        for (guint v = 0; v < PVGPU_NUM_VECTORS; v++) {
            fb->vector_efd[v] = fb->pending_fds[next++];
        }
    }
    for (; next < fb->n_pending_fds; next++) {
        close(fb->pending_fds[next]);
    }
    fb->n_pending_fds = 0;

    g_mutex_lock(&fb->lock);
    fb->last_hs = hs;
    auto_ack = fb->auto_ack;
    ack_features = fb->ack_features;
    g_mutex_unlock(&fb->lock);
    if (auto_ack) {
        send_ack(fb, ack_features);
    }
    bump(fb, FAKE_COUNT_HANDSHAKES, 1);
}

static void handle_message(FakeBackend *fb, const struct pvgpu_msg *m)
{
    if (m->type != PVGPU_MSG_HANDSHAKE && fb->n_pending_fds > 0) {
        test_log("fake backend: %u unexpected fds with message %u",
                 fb->n_pending_fds, m->type);
        close_pending_fds(fb);
        bump(fb, FAKE_COUNT_BAD_MESSAGES, 1);
    }
    switch (m->type) {
    case PVGPU_MSG_HANDSHAKE:
        handle_handshake(fb, m);
        break;
    case PVGPU_MSG_DOORBELL:
        bump(fb, FAKE_COUNT_DOORBELLS, 1);
        break;
    case PVGPU_MSG_SHUTDOWN:
        test_log("fake backend: <- SHUTDOWN");
        bump(fb, FAKE_COUNT_SHUTDOWNS, 1);
        break;
    case PVGPU_MSG_DISPLAY_HINT:
        test_log("fake backend: <- DISPLAY_HINT %ux%u", m->u.hint.width,
                 m->u.hint.height);
        g_mutex_lock(&fb->lock);
        fb->last_hint = m->u.hint;
        g_mutex_unlock(&fb->lock);
        bump(fb, FAKE_COUNT_DISPLAY_HINTS, 1);
        break;
    default:
        test_log("fake backend: unexpected message type %u from "
                 "the device", m->type);
        bump(fb, FAKE_COUNT_BAD_MESSAGES, 1);
        break;
    }
}

static void process_rx(FakeBackend *fb)
{
    while (fb->rx_len > 0 && fb->conn_fd >= 0) {
        struct pvgpu_msg m;
        size_t used = 0;
        int r = pvgpu_ipc_decode(fb->rx, fb->rx_len, &m, &used);

        if (r == PVGPU_CODEC_ERR_TRUNCATED) {
            return;
        }
        if (r != PVGPU_CODEC_OK) {
            test_log("fake backend: undecodable message from the "
                     "device: %s", pvgpu_codec_strerror(r));
            bump(fb, FAKE_COUNT_BAD_MESSAGES, 1);
            close_connection(fb);
            return;
        }
        handle_message(fb, &m);
        memmove(fb->rx, fb->rx + used, fb->rx_len - used);
        fb->rx_len -= used;
    }
}

static void read_connection(FakeBackend *fb)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * MAX_PENDING_FDS)];
    } control;
    struct iovec iov = {
        .iov_base = fb->rx + fb->rx_len,
        .iov_len = RX_CAP - fb->rx_len,
    };
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.buf,
        .msg_controllen = sizeof(control.buf),
    };
    ssize_t n;

    g_assert_cmpuint(iov.iov_len, >, 0);
    n = recvmsg(fb->conn_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); n >= 0 && c;
         c = CMSG_NXTHDR(&msg, c)) {
        guint nfds;

        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        nfds = (guint)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (guint i = 0; i < nfds; i++) {
            int fd;

            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (fb->n_pending_fds < MAX_PENDING_FDS) {
                fb->pending_fds[fb->n_pending_fds++] = fd;
            } else {
                close(fd);
            }
        }
    }
    if (n >= 0 && (msg.msg_flags & MSG_CTRUNC)) {
        test_log("fake backend: descriptors truncated");
        bump(fb, FAKE_COUNT_BAD_MESSAGES, 1);
    }
    if (n <= 0) {
        test_log("fake backend: device closed the connection (%s)",
                 n == 0 ? "EOF" : g_strerror(errno));
        close_connection(fb);
        bump(fb, FAKE_COUNT_DISCONNECTS, 1);
        return;
    }
    fb->rx_len += (gsize)n;
    process_rx(fb);
}

static void accept_connection(FakeBackend *fb)
{
    int fd = accept4(fb->listen_fd, NULL, NULL, SOCK_CLOEXEC);

    if (fd < 0) {
        return;
    }
    if (fb->conn_fd >= 0) {
        test_log("fake backend: new connection replaces the old one");
        close_connection(fb);
        bump(fb, FAKE_COUNT_DISCONNECTS, 1);
    }
    fb->conn_fd = fd;
    test_log("fake backend: device connected");
    g_mutex_lock(&fb->lock);
    fb->connected = TRUE;
    g_mutex_unlock(&fb->lock);
    bump(fb, FAKE_COUNT_CONNECTIONS, 1);
}

static void read_doorbell_eventfd(FakeBackend *fb)
{
    guint64 v;

    if (read(fb->doorbell_efd, &v, sizeof(v)) == (ssize_t)sizeof(v)) {
        bump(fb, FAKE_COUNT_DOORBELL_KICKS, v);
    }
}

static void run_ops(FakeBackend *fb)
{
    char buf[64];

    while (read(fb->wake[0], buf, sizeof(buf)) > 0) {
    }
    for (;;) {
        FakeOp *op;

        g_mutex_lock(&fb->lock);
        op = g_queue_pop_head(&fb->ops);
        g_mutex_unlock(&fb->lock);
        if (!op) {
            return;
        }
        op->result = op->fn(fb, op->data);
        g_mutex_lock(&fb->lock);
        op->done = TRUE;
        g_cond_broadcast(&fb->cond);
        g_mutex_unlock(&fb->lock);
    }
}

static gpointer backend_thread(gpointer data)
{
    FakeBackend *fb = data;

    while (!fb->quit) {
        struct pollfd pfd[4];
        int conn_i = -1;
        int efd_i = -1;
        nfds_t n = 0;

        pfd[n++] = (struct pollfd){ .fd = fb->wake[0], .events = POLLIN };
        pfd[n++] = (struct pollfd){ .fd = fb->listen_fd, .events = POLLIN };
        if (fb->conn_fd >= 0 && !fb->stalled) {
            conn_i = (int)n;
            pfd[n++] = (struct pollfd){ .fd = fb->conn_fd, .events = POLLIN };
        }
        if (fb->doorbell_efd >= 0) {
            efd_i = (int)n;
            pfd[n++] = (struct pollfd){ .fd = fb->doorbell_efd,
                                        .events = POLLIN };
        }
        if (poll(pfd, n, -1) < 0) {
            continue;
        }
        if (pfd[0].revents) {
            run_ops(fb);
            continue; /* the ops may have changed the descriptors */
        }
        if (conn_i >= 0 && pfd[conn_i].revents) {
            read_connection(fb);
        }
        if (efd_i >= 0 && pfd[efd_i].revents && fb->doorbell_efd >= 0) {
            read_doorbell_eventfd(fb);
        }
        if (pfd[1].revents) {
            accept_connection(fb);
        }
    }
    return NULL;
}

/* Runs fn in the backend thread and waits for it. */
static gboolean run_in_thread(FakeBackend *fb, FakeOpFn fn, gpointer data)
{
    FakeOp op = { .fn = fn, .data = data };

    g_mutex_lock(&fb->lock);
    g_queue_push_tail(&fb->ops, &op);
    g_mutex_unlock(&fb->lock);
    if (write(fb->wake[1], "x", 1) != 1) {
        g_error("fake backend: cannot wake its thread: %s",
                g_strerror(errno));
    }
    g_mutex_lock(&fb->lock);
    while (!op.done) {
        g_cond_wait(&fb->cond, &fb->lock);
    }
    g_mutex_unlock(&fb->lock);
    return op.result;
}

FakeBackend *fake_backend_new(const char *socket_path)
{
    FakeBackend *fb = g_new0(FakeBackend, 1);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };

    g_assert_cmpuint(strlen(socket_path), <, sizeof(addr.sun_path));
    strcpy(addr.sun_path, socket_path);
    fb->path = g_strdup(socket_path);
    g_mutex_init(&fb->lock);
    g_cond_init(&fb->cond);
    g_queue_init(&fb->ops);
    fb->conn_fd = -1;
    fb->doorbell_efd = -1;
    for (guint v = 0; v < PVGPU_NUM_VECTORS; v++) {
        fb->vector_efd[v] = -1;
    }
    fb->mappings = g_array_new(FALSE, FALSE, sizeof(Mapping));
    if (pipe2(fb->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        g_error("fake backend: pipe: %s", g_strerror(errno));
    }
    fb->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(fb->listen_fd, >=, 0);
    if (bind(fb->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(fb->listen_fd, 4) < 0) {
        g_error("fake backend: cannot listen on %s: %s", socket_path,
                g_strerror(errno));
    }
    test_log("fake backend: listening on %s", socket_path);
    fb->thread = g_thread_new("fake-backend", backend_thread, fb);
    return fb;
}

static gboolean op_quit(FakeBackend *fb, gpointer data)
{
    (void)data;
    fb->quit = TRUE;
    return TRUE;
}

void fake_backend_free(FakeBackend *fb)
{
    if (!fb) {
        return;
    }
    run_in_thread(fb, op_quit, NULL);
    g_thread_join(fb->thread);
    close_connection(fb);
    close_event_fds(fb);
    close_fd(&fb->listen_fd);
    unlink(fb->path);
    close(fb->wake[0]);
    close(fb->wake[1]);
    for (guint i = 0; i < fb->mappings->len; i++) {
        Mapping *m = &g_array_index(fb->mappings, Mapping, i);

        munmap(m->addr, m->size);
    }
    g_array_unref(fb->mappings);
    g_queue_clear(&fb->ops);
    g_mutex_clear(&fb->lock);
    g_cond_clear(&fb->cond);
    g_free(fb->path);
    g_free(fb);
}

void fake_backend_set_auto_ack(FakeBackend *fb, gboolean enabled,
                               guint64 features)
{
    g_mutex_lock(&fb->lock);
    fb->auto_ack = enabled;
    fb->ack_features = features;
    g_mutex_unlock(&fb->lock);
}

static gboolean op_set_stalled(FakeBackend *fb, gpointer data)
{
    gboolean stalled = GPOINTER_TO_INT(data);

    if (fb->stalled && !stalled && fb->conn_fd >= 0) {
        int queued = 0;

        if (ioctl(fb->conn_fd, FIONREAD, &queued) == 0) {
            g_mutex_lock(&fb->lock);
            fb->queued_at_resume = (gsize)queued;
            g_mutex_unlock(&fb->lock);
        }
        test_log("fake backend: resumes reading, %d bytes queued",
                 queued);
    }
    fb->stalled = stalled;
    return TRUE;
}

void fake_backend_set_stalled(FakeBackend *fb, gboolean stalled)
{
    run_in_thread(fb, op_set_stalled, GINT_TO_POINTER(stalled));
}

gsize fake_backend_queued_at_resume(FakeBackend *fb)
{
    gsize v;

    g_mutex_lock(&fb->lock);
    v = fb->queued_at_resume;
    g_mutex_unlock(&fb->lock);
    return v;
}

guint64 fake_backend_count(FakeBackend *fb, FakeCounter which)
{
    guint64 v;

    g_assert_cmpint(which, <, FAKE_COUNT_N);
    g_mutex_lock(&fb->lock);
    v = fb->counts[which];
    g_mutex_unlock(&fb->lock);
    return v;
}

gboolean fake_backend_wait_count(FakeBackend *fb, FakeCounter which,
                                 guint64 at_least, gint64 deadline)
{
    gboolean ok = TRUE;

    g_assert_cmpint(which, <, FAKE_COUNT_N);
    g_mutex_lock(&fb->lock);
    while (fb->counts[which] < at_least) {
        if (!g_cond_wait_until(&fb->cond, &fb->lock, deadline)) {
            ok = fb->counts[which] >= at_least;
            break;
        }
    }
    g_mutex_unlock(&fb->lock);
    return ok;
}

gboolean fake_backend_connected(FakeBackend *fb)
{
    gboolean v;

    g_mutex_lock(&fb->lock);
    v = fb->connected;
    g_mutex_unlock(&fb->lock);
    return v;
}

FakeHandshake fake_backend_last_handshake(FakeBackend *fb)
{
    FakeHandshake hs;

    g_mutex_lock(&fb->lock);
    hs = fb->last_hs;
    g_mutex_unlock(&fb->lock);
    return hs;
}

struct pvgpu_display_hint fake_backend_last_hint(FakeBackend *fb)
{
    struct pvgpu_display_hint hint;

    g_mutex_lock(&fb->lock);
    hint = fb->last_hint;
    g_mutex_unlock(&fb->lock);
    return hint;
}

guint8 *fake_backend_shmem(FakeBackend *fb, gsize *size)
{
    guint8 *p;

    g_mutex_lock(&fb->lock);
    p = fb->shmem;
    if (size) {
        *size = fb->shmem_size;
    }
    g_mutex_unlock(&fb->lock);
    return p;
}

typedef struct {
    const void *buf;
    gsize len;
    const int *fds;
    guint nfds;
} SendArgs;

static gboolean op_send(FakeBackend *fb, gpointer data)
{
    SendArgs *a = data;

    return send_all(fb, a->buf, a->len, a->fds, a->nfds);
}

gboolean fake_backend_send_with_fds(FakeBackend *fb, const void *buf,
                                    gsize len, const int *fds, guint nfds)
{
    SendArgs a = { .buf = buf, .len = len, .fds = fds, .nfds = nfds };

    return run_in_thread(fb, op_send, &a);
}

gboolean fake_backend_send_raw(FakeBackend *fb, const void *buf, gsize len)
{
    test_log("fake backend: -> %zu raw bytes", len);
    return fake_backend_send_with_fds(fb, buf, len, NULL, 0);
}

static gboolean op_send_ack(FakeBackend *fb, gpointer data)
{
    return send_ack(fb, *(const guint64 *)data);
}

gboolean fake_backend_send_ack(FakeBackend *fb, guint64 features)
{
    return run_in_thread(fb, op_send_ack, &features);
}

gboolean fake_backend_send_irq(FakeBackend *fb, guint32 vector)
{
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    size_t len;

    g_assert_cmpint(pvgpu_ipc_encode_irq(buf, sizeof(buf), vector, &len),
                    ==, PVGPU_CODEC_OK);
    test_log("fake backend: -> IRQ %u", vector);
    return fake_backend_send_with_fds(fb, buf, len, NULL, 0);
}

static gboolean op_signal_vector(FakeBackend *fb, gpointer data)
{
    guint vector = GPOINTER_TO_UINT(data);
    guint64 one = 1;

    if (vector >= PVGPU_NUM_VECTORS || fb->vector_efd[vector] < 0) {
        return FALSE;
    }
    return write(fb->vector_efd[vector], &one, sizeof(one)) ==
           (ssize_t)sizeof(one);
}

gboolean fake_backend_signal_vector(FakeBackend *fb, guint vector)
{
    test_log("fake backend: signals the eventfd of vector %u", vector);
    return run_in_thread(fb, op_signal_vector, GUINT_TO_POINTER(vector));
}

static gboolean op_drop(FakeBackend *fb, gpointer data)
{
    (void)data;
    if (fb->conn_fd < 0) {
        return FALSE;
    }
    test_log("fake backend: closes the connection");
    close_connection(fb);
    return TRUE;
}

void fake_backend_drop_connection(FakeBackend *fb)
{
    run_in_thread(fb, op_drop, NULL);
}
