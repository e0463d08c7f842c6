/* SPDX-License-Identifier: MIT */
/*
 * Descriptors from the device are checked before they are used: shared
 * memory must be sealed against shrinking (a truncated memfd would make
 * the backend fault), and what is handed over as an eventfd must be one.
 */
#include "test-helpers.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "device-end.h"
#include "fd-check.h"
#include "handshake.h"
#include "shmem.h"

#define SHMEM_SIZE PVGPU_SHMEM_MIN_SIZE

/* A memfd of size bytes with the given seals (0: none). */
static int memfd_with_seals(guint64 size, int seals)
{
    int fd = memfd_create("pvgpu-seal-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);

    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    if (seals != 0) {
        assert_int_equal(fcntl(fd, F_ADD_SEALS, seals), 0);
    }
    return fd;
}

static void assert_map_refused(int fd, guint64 size, const char *why)
{
    g_autoptr(GError) error = NULL;
    PvgpuShmem shmem;

    assert_false(pvgpu_shmem_map_fd(fd, size, &shmem, &error));
    assert_non_null(error);
    if (strstr(error->message, why) == NULL) {
        fail_msg("refused for \"%s\", expected \"%s\"", error->message, why);
    }
    assert_null(shmem.base);
}

static void test_unsealed_memfd_refused(void **state)
{
    int fd = memfd_with_seals(SHMEM_SIZE, 0);

    (void)state;
    assert_map_refused(fd, SHMEM_SIZE, "F_SEAL_SHRINK");
    close(fd);
}

static void test_grow_seal_alone_refused(void **state)
{
    int fd = memfd_with_seals(SHMEM_SIZE, F_SEAL_GROW);

    (void)state;
    assert_map_refused(fd, SHMEM_SIZE, "F_SEAL_SHRINK");
    close(fd);
}

static void test_plain_file_refused(void **state)
{
    g_autofree gchar *path = NULL;
    int fd = g_file_open_tmp("pvgpu-seal-XXXXXX", &path, NULL);

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)SHMEM_SIZE), 0);
    assert_map_refused(fd, SHMEM_SIZE, "F_SEAL_SHRINK");
    close(fd);
    g_unlink(path);
}

static void test_sealed_memfd_accepted(void **state)
{
    int fd = memfd_with_seals(SHMEM_SIZE, F_SEAL_SHRINK | F_SEAL_GROW);
    g_autoptr(GError) error = NULL;
    PvgpuShmem shmem;

    (void)state;
    assert_true(pvgpu_shmem_map_fd(fd, SHMEM_SIZE, &shmem, &error));
    g_assert_no_error(error);
    assert_non_null(shmem.base);
    assert_int_equal(shmem.layout.shmem_size, SHMEM_SIZE);
    pvgpu_shmem_unmap(&shmem);
    close(fd);
}

/* The shrink seal alone is enough: growing never faults. */
static void test_shrink_seal_alone_accepted(void **state)
{
    int fd = memfd_with_seals(SHMEM_SIZE, F_SEAL_SHRINK);
    g_autoptr(GError) error = NULL;
    PvgpuShmem shmem;

    (void)state;
    assert_true(pvgpu_shmem_map_fd(fd, SHMEM_SIZE, &shmem, &error));
    pvgpu_shmem_unmap(&shmem);
    close(fd);
}

static void test_sealed_too_small_refused(void **state)
{
    int fd = memfd_with_seals(SHMEM_SIZE, F_SEAL_SHRINK | F_SEAL_GROW);

    (void)state;
    assert_map_refused(fd, 2 * SHMEM_SIZE, "bytes");
    close(fd);
}

/* Through the handshake, as the device hands it over: refused, closed. */
static void test_unsealed_memfd_handshake_refused(void **state)
{
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    int fds[1] = { memfd_with_seals(SHMEM_SIZE, 0) };
    int memfd = fds[0];
    g_autoptr(GError) error = NULL;
    PvgpuHandshakeResult res;
    struct pvgpu_msg msg;
    gsize len = 0, used = 0;

    (void)state;
    assert_int_equal(device_end_encode_handshake(buf, SHMEM_SIZE, "",
                                                 PVGPU_FEATURE_SHMEM_FD, 1,
                                                 &len), PVGPU_CODEC_OK);
    assert_int_equal(pvgpu_ipc_decode(buf, len, &msg, &used),
                     PVGPU_CODEC_OK);
    assert_false(pvgpu_handshake_accept(&msg, fds, 1, FALSE, &res, &error));
    assert_non_null(strstr(error->message, "F_SEAL_SHRINK"));
    assert_null(res.shmem.base);
    /* the refused descriptor was closed */
    assert_true(fcntl(memfd, F_GETFD) < 0);
}

static void assert_not_eventfd(int fd, const char *why)
{
    g_autoptr(GError) error = NULL;

    assert_false(pvgpu_fd_check_eventfd(fd, "the doorbell descriptor",
                                        &error));
    assert_non_null(error);
    assert_non_null(strstr(error->message, "the doorbell descriptor"));
    if (strstr(error->message, why) == NULL) {
        fail_msg("refused for \"%s\", expected \"%s\"", error->message, why);
    }
}

static void test_eventfd_accepted(void **state)
{
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    g_autoptr(GError) error = NULL;

    (void)state;
    assert_true(fd >= 0);
    assert_true(pvgpu_fd_check_eventfd(fd, "the doorbell descriptor",
                                       &error));
    g_assert_no_error(error);
    close(fd);
}

static void test_pipe_as_eventfd_refused(void **state)
{
    int p[2];

    (void)state;
    assert_int_equal(pipe(p), 0);
    assert_not_eventfd(p[0], "pipe:");
    assert_not_eventfd(p[1], "pipe:");
    close(p[0]);
    close(p[1]);
}

static void test_memfd_as_eventfd_refused(void **state)
{
    int fd = memfd_with_seals(4096, 0);

    (void)state;
    assert_not_eventfd(fd, "memfd:");
    close(fd);
}

static void test_closed_fd_as_eventfd_refused(void **state)
{
    int fd = eventfd(0, EFD_CLOEXEC);

    (void)state;
    close(fd);
    assert_not_eventfd(fd, "cannot be checked");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PATH_TEST("/backend/seal/unsealed-memfd-refused",
                  test_unsealed_memfd_refused, NULL, NULL),
        PATH_TEST("/backend/seal/grow-seal-alone-refused",
                  test_grow_seal_alone_refused, NULL, NULL),
        PATH_TEST("/backend/seal/plain-file-refused",
                  test_plain_file_refused, NULL, NULL),
        PATH_TEST("/backend/seal/sealed-memfd-accepted",
                  test_sealed_memfd_accepted, NULL, NULL),
        PATH_TEST("/backend/seal/shrink-seal-alone-accepted",
                  test_shrink_seal_alone_accepted, NULL, NULL),
        PATH_TEST("/backend/seal/sealed-too-small-refused",
                  test_sealed_too_small_refused, NULL, NULL),
        PATH_TEST("/backend/seal/unsealed-memfd-handshake-refused",
                  test_unsealed_memfd_handshake_refused, NULL, NULL),
        PATH_TEST("/backend/seal/eventfd-accepted",
                  test_eventfd_accepted, NULL, NULL),
        PATH_TEST("/backend/seal/pipe-as-eventfd-refused",
                  test_pipe_as_eventfd_refused, NULL, NULL),
        PATH_TEST("/backend/seal/memfd-as-eventfd-refused",
                  test_memfd_as_eventfd_refused, NULL, NULL),
        PATH_TEST("/backend/seal/closed-fd-as-eventfd-refused",
                  test_closed_fd_as_eventfd_refused, NULL, NULL),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
