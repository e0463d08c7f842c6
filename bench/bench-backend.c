/* SPDX-License-Identifier: MIT */
#include "bench-backend.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "bench-support.h"
#include "control-region.h"

static gpointer backend_main(gpointer data)
{
    BenchBackend *b = data;

    return GINT_TO_POINTER(pvgpu_backend_run(&b->opts));
}

static void parse_options(BenchBackend *b, int backend_fd,
                          const char *const *extra_args)
{
    g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    char **argv;
    int argc;

    g_ptr_array_add(args, g_strdup("bench"));
    g_ptr_array_add(args, g_strdup_printf("--fd=%d", backend_fd));
    for (; extra_args != NULL && *extra_args != NULL; extra_args++) {
        g_ptr_array_add(args, g_strdup(*extra_args));
    }
    argc = (int)args->len;
    g_ptr_array_add(args, NULL);
    /* the parser may reorder argv; the array keeps every string to free */
    argv = g_memdup2(args->pdata, args->len * sizeof(char *));
    {
        char **parse_argv = argv;

        if (!pvgpu_options_parse(&argc, &parse_argv, &b->opts, &error)) {
            bench_fail("backend options: %s", error->message);
        }
    }
    g_free(argv);
}

void bench_backend_start(BenchBackend *b, guint64 shmem_size,
                         const char *const *extra_args)
{
    g_autoptr(GError) error = NULL;
    struct pvgpu_msg ack;
    int sv[2];

    memset(b, 0, sizeof(*b));
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        bench_fail("socketpair: %s", g_strerror(errno));
    }
    b->sock = sv[1];
    if (!device_memory_init(&b->dev, shmem_size, &error)) {
        bench_fail("%s", error->message);
    }
    parse_options(b, sv[0], extra_args);
    b->thread = g_thread_new("backend", backend_main, b);
    if (!device_end_send_handshake(b->sock, shmem_size, b->dev.memfd, NULL,
                                   &error) ||
        !device_end_recv_msg(b->sock, &ack,
                             g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND,
                             &error)) {
        bench_fail("handshake: %s", error->message);
    }
    if (ack.type != PVGPU_MSG_HANDSHAKE_ACK) {
        bench_fail("expected HANDSHAKE_ACK, got message type %u", ack.type);
    }
}

gboolean bench_backend_push(BenchBackend *b, struct pvgpu_cmd_hdr *cmd,
                            guint32 struct_size)
{
    cmd->id = 0;
    cmd->size = 0;
    return pvgpu_ring_writer_push(&b->dev.writer, cmd, struct_size) !=
           G_MAXUINT64;
}

void bench_backend_kick(BenchBackend *b)
{
    g_autoptr(GError) error = NULL;

    pvgpu_ring_writer_publish(&b->dev.writer);
    if (!device_end_send_empty(b->sock, PVGPU_MSG_DOORBELL, &error)) {
        bench_fail("doorbell: %s", error->message);
    }
}

void bench_backend_sync(BenchBackend *b, guint timeout_ms)
{
    struct pvgpu_cmd_fence c = { .hdr.type = PVGPU_CMD_FENCE,
                                 .fence_id = ++b->fence,
                                 .flags = PVGPU_FENCE_FLAG_IRQ };
    gint64 until = g_get_monotonic_time() +
                   (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;

    if (!bench_backend_push(b, &c.hdr, sizeof(c))) {
        bench_fail("the ring is full: the backend stopped consuming");
    }
    bench_backend_kick(b);
    for (;;) {
        g_autoptr(GError) error = NULL;
        struct pvgpu_msg msg;

        if (!device_end_recv_msg(b->sock, &msg, until, &error)) {
            bench_fail("waiting for fence %" G_GUINT64_FORMAT ": %s",
                       b->fence, error->message);
        }
        if (msg.type == PVGPU_MSG_IRQ &&
            msg.u.irq.vector == PVGPU_VECTOR_FENCE &&
            pvgpu_shared_load_acquire64(&b->dev.ctrl->fence_completed) ==
                b->fence) {
            return;
        }
    }
}

int bench_backend_join(BenchBackend *b)
{
    int code = GPOINTER_TO_INT(g_thread_join(b->thread));

    if (b->sock >= 0) {
        close(b->sock);
    }
    pvgpu_options_clear(&b->opts);
    device_memory_clear(&b->dev);
    memset(b, 0, sizeof(*b));
    b->sock = -1;
    return code;
}

int bench_backend_stop(BenchBackend *b)
{
    shutdown(b->sock, SHUT_RDWR);
    return bench_backend_join(b);
}
