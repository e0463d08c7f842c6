/* SPDX-License-Identifier: MIT */
/*
 * vnc-cursor SOCKET SEED [TIMEOUT_S]
 *
 * Acts as a VNC viewer showing the guest's pointer: connects to QEMU's VNC
 * server on a Unix socket and waits for the cursor shape drmtest's
 * "cursor SEED X Y" sets: 64x64, hotspot (3, 5), every pixel pattern.h's
 * pattern_rgb(x, y, SEED), transparent exactly on the diagonal. Exit 0
 * when such a shape came, 1 when not (what came last on stderr), 2 on bad
 * usage.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pattern.h"
#include "vnc-client.h"

/* NULL when cur is drmtest's cursor of seed, else what differs. */
static char *mismatch(const VncCursor *cur, guint32 seed)
{
    if (cur->width != 64 || cur->height != 64 || cur->hot_x != 3 ||
        cur->hot_y != 5) {
        return g_strdup_printf("a %ux%u cursor with hotspot (%u, %u)",
                               cur->width, cur->height, cur->hot_x,
                               cur->hot_y);
    }
    for (guint32 y = 0; y < 64; y++) {
        for (guint32 x = 0; x < 64; x++) {
            guint32 got = cur->pixels[y * 64 + x] & 0xffffff;
            gboolean opaque = (cur->mask[y * 8 + x / 8] >> (7 - x % 8)) & 1;

            if (opaque != (x != y)) {
                return g_strdup_printf("pixel (%u, %u) %s", x, y,
                                       opaque ? "opaque" : "transparent");
            }
            if (opaque && got != pattern_rgb(x, y, seed)) {
                return g_strdup_printf("pixel (%u, %u) is #%06x, not #%06x",
                                       x, y, got, pattern_rgb(x, y, seed));
            }
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VncClient) vnc = NULL;
    g_autofree char *why = g_strdup("no cursor shape");
    long timeout_s = 60;
    unsigned long seed;
    gint64 deadline;
    char *end;

    if (argc < 3 || argc > 4 ||
        (seed = strtoul(argv[2], &end, 10), *end != '\0') ||
        (argc == 4 && (timeout_s = strtol(argv[3], NULL, 10)) <= 0)) {
        fprintf(stderr, "usage: vnc-cursor SOCKET SEED [TIMEOUT_S]\n");
        return 2;
    }
    deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;
    vnc = vnc_client_connect(argv[1], deadline, &error);
    if (vnc == NULL) {
        fprintf(stderr, "vnc-cursor: %s\n", error->message);
        return 1;
    }
    for (guint n = 1;; n++) {
        if (!vnc_client_wait_cursor(vnc, n, deadline, &error)) {
            fprintf(stderr, "vnc-cursor: %s (last: %s)\n", error->message,
                    why);
            return 1;
        }
        g_free(why);
        why = mismatch(vnc_client_cursor(vnc), (guint32)seed);
        if (why == NULL) {
            printf("cursor 64x64 hotspot (3, 5): all pixels match\n");
            return 0;
        }
    }
}
