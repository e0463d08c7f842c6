// SPDX-License-Identifier: MIT
/*
 * A VNC viewer without a window, for bench/display-bench.sh: it takes
 * every frame a VNC server sends, as a viewer would, and shows nothing.
 *
 *   vnc-sink SOCKET
 *
 * Connects to the Unix socket SOCKET (retrying for up to 30 s), speaks
 * RFB 3.8 with security type None, asks for 32-bit true colour, the Raw
 * encoding and DesktopSize, and keeps one incremental
 * FramebufferUpdateRequest for the whole screen outstanding: the next one
 * goes out as soon as an update has been read, and each rectangle is
 * copied into the sink's own frame (a viewer's window buffer).
 * SIGUSR1 records a mark (the counters at that moment); SIGTERM or the
 * server closing ends the run, and then it prints one line per mark and
 * a last one:
 *   mark N updates U rects R bytes B
 *   total updates U rects R bytes B width W height H
 * Exit status: 0 after SIGTERM or an orderly close, 1 on a protocol or
 * connection failure (reason on stderr).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_MARKS 256
#define ENCODING_RAW 0
#define ENCODING_DESKTOP_SIZE (-223)

struct counters {
    uint64_t updates;
    uint64_t rects;
    uint64_t bytes;
};

static struct counters now;
static struct counters marks[MAX_MARKS];
static volatile sig_atomic_t nmarks;
static volatile sig_atomic_t stop;

static void on_mark(int sig)
{
    (void)sig;
    if (nmarks < MAX_MARKS) {
        marks[nmarks] = now;
        nmarks = nmarks + 1;
    }
}

static void on_stop(int sig)
{
    (void)sig;
    stop = 1;
}

static void die(const char *what)
{
    fprintf(stderr, "vnc-sink: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void die_msg(const char *what)
{
    fprintf(stderr, "vnc-sink: %s\n", what);
    exit(1);
}

/* 1 on success, 0 once SIGTERM came or the server closed. */
static int read_exact(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;

    while (len > 0) {
        ssize_t n;

        if (stop) {
            return 0;
        }
        n = read(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            die("read");
        }
        if (n == 0) {
            return 0;
        }
        p += n;
        len -= (size_t)n;
    }
    return 1;
}

static void need(int fd, void *buf, size_t len)
{
    if (!read_exact(fd, buf, len)) {
        die_msg("the server closed the connection during the handshake");
    }
}

static void write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            die("write");
        }
        p += n;
        len -= (size_t)n;
    }
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static int connect_retrying(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct timespec pause = { 0, 100 * 1000 * 1000 };
    int tries;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        die_msg("socket path too long");
    }
    strcpy(addr.sun_path, path);
    for (tries = 0; tries < 300; tries++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0) {
            die("socket");
        }
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
            return fd;
        }
        close(fd);
        nanosleep(&pause, NULL);
    }
    die(path);
    return -1;
}

static void handshake(int fd, uint16_t *width, uint16_t *height)
{
    uint8_t buf[24], count, types[255];
    uint32_t len;
    int i, none = 0;

    need(fd, buf, 12);
    if (memcmp(buf, "RFB 003.", 8) != 0) {
        die_msg("not an RFB server");
    }
    write_all(fd, "RFB 003.008\n", 12);
    need(fd, &count, 1);
    if (count == 0) {
        die_msg("the server refused the connection");
    }
    need(fd, types, count);
    for (i = 0; i < count; i++) {
        none |= types[i] == 1;
    }
    if (!none) {
        die_msg("the server wants authentication");
    }
    write_all(fd, "\x01", 1);
    need(fd, buf, 4);
    if (be32(buf) != 0) {
        die_msg("the server refused security type None");
    }
    write_all(fd, "\x01", 1);       /* ClientInit: shared */
    need(fd, buf, 24);              /* size, pixel format, name length */
    *width = be16(buf);
    *height = be16(buf + 2);
    for (len = be32(buf + 20); len > 0; len -= (len > 24 ? 24 : len)) {
        need(fd, buf, len > 24 ? 24 : len);
    }
}

static void set_format(int fd)
{
    /* SetPixelFormat: 32 bpp, depth 24, little endian, true colour,
     * maxima 255, shifts red 16 green 8 blue 0 */
    static const uint8_t format[20] = {
        0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0,
    };
    uint8_t enc[12] = { 2, 0, 0, 2 };

    write_all(fd, format, sizeof(format));
    put32(enc + 4, (uint32_t)ENCODING_RAW);
    put32(enc + 8, (uint32_t)ENCODING_DESKTOP_SIZE);
    write_all(fd, enc, sizeof(enc));
}

static void request(int fd, int incremental, uint16_t width, uint16_t height)
{
    uint8_t req[10] = { 3, (uint8_t)incremental };

    put16(req + 6, width);
    put16(req + 8, height);
    write_all(fd, req, sizeof(req));
}

int main(int argc, char **argv)
{
    struct sigaction sa = { 0 };
    uint16_t width, height;
    uint8_t *frame, *row;
    int fd, i, status = 0;

    if (argc != 2) {
        fputs("usage: vnc-sink SOCKET\n", stderr);
        return 2;
    }
    sa.sa_handler = on_mark;        /* no SA_RESTART: reads see EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    fd = connect_retrying(argv[1]);
    handshake(fd, &width, &height);
    set_format(fd);
    frame = calloc((size_t)width * height, 4);
    row = malloc(65536 * 4);
    if (frame == NULL || row == NULL) {
        die("malloc");
    }
    request(fd, 0, width, height);

    for (;;) {
        uint8_t hdr[12], type;
        uint16_t n, r;

        if (!read_exact(fd, &type, 1)) {
            break;
        }
        if (type == 2) {            /* Bell */
            continue;
        }
        if (type == 3 || type == 1) {   /* ServerCutText, colour map */
            uint8_t skip[5];

            if (type == 3) {
                uint32_t len;

                need(fd, skip, 3);
                need(fd, hdr, 4);
                for (len = be32(hdr); len > 0; len -= len > 5 ? 5 : len) {
                    need(fd, skip, len > 5 ? 5 : len);
                }
            } else {
                need(fd, skip, 5);
                for (n = be16(skip + 3); n > 0; n--) {
                    need(fd, hdr, 6);
                }
            }
            continue;
        }
        if (type != 0) {
            fprintf(stderr, "vnc-sink: unexpected server message %u\n", type);
            status = 1;
            break;
        }
        if (!read_exact(fd, hdr, 3)) {
            break;
        }
        n = be16(hdr + 1);
        for (r = 0; r < n; r++) {
            uint16_t x, y, w, h, line;
            int32_t encoding;

            if (!read_exact(fd, hdr, 12)) {
                goto out;
            }
            x = be16(hdr);
            y = be16(hdr + 2);
            w = be16(hdr + 4);
            h = be16(hdr + 6);
            encoding = (int32_t)be32(hdr + 8);
            if (encoding == ENCODING_DESKTOP_SIZE) {
                width = w;
                height = h;
                free(frame);
                frame = calloc((size_t)width * height, 4);
                if (frame == NULL) {
                    die("calloc");
                }
                continue;
            }
            if (encoding != ENCODING_RAW) {
                fprintf(stderr, "vnc-sink: unexpected encoding %d\n",
                        encoding);
                status = 1;
                goto out;
            }
            if ((uint32_t)x + w > width || (uint32_t)y + h > height) {
                fprintf(stderr, "vnc-sink: rectangle %ux%u+%u+%u outside "
                        "the %ux%u frame\n", w, h, x, y, width, height);
                status = 1;
                goto out;
            }
            for (line = 0; line < h; line++) {
                if (!read_exact(fd, row, (size_t)w * 4)) {
                    goto out;
                }
                memcpy(frame + ((size_t)(y + line) * width + x) * 4, row,
                       (size_t)w * 4);
            }
            now.rects++;
            now.bytes += (uint64_t)w * h * 4;
        }
        now.updates++;
        request(fd, 1, width, height);
    }
out:
    for (i = 0; i < nmarks; i++) {
        printf("mark %d updates %llu rects %llu bytes %llu\n", i,
               (unsigned long long)marks[i].updates,
               (unsigned long long)marks[i].rects,
               (unsigned long long)marks[i].bytes);
    }
    printf("total updates %llu rects %llu bytes %llu width %u height %u\n",
           (unsigned long long)now.updates, (unsigned long long)now.rects,
           (unsigned long long)now.bytes, width, height);
    free(frame);
    free(row);
    close(fd);
    return status;
}
