/* SPDX-License-Identifier: MIT */
/*
 * vnc-resize SOCKET WIDTHxHEIGHT [TIMEOUT_S]
 *
 * Acts as a VNC viewer whose window was resized: connects to QEMU's VNC
 * server on a Unix socket, asks for WIDTHxHEIGHT (SetDesktopSize) and waits
 * until the server's framebuffer has that size, which happens only when
 * the guest switched its display to the new mode. Prints what it saw.
 * Exit 0 when the framebuffer got the size, 1 when not (the reason on
 * stderr), 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>

#include "vnc-client.h"

#define RFB_STATUS_FORWARDED 4

int main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VncClient) vnc = NULL;
    guint width = 0, height = 0, status = 0, w0, h0;
    gint64 deadline;
    long timeout_s = 60;

    if (argc < 3 || argc > 4 ||
        sscanf(argv[2], "%ux%u", &width, &height) != 2 || width == 0 ||
        height == 0 || width > 65535 || height > 65535 ||
        (argc == 4 && (timeout_s = strtol(argv[3], NULL, 10)) <= 0)) {
        fprintf(stderr, "usage: vnc-resize SOCKET WIDTHxHEIGHT [TIMEOUT_S]\n");
        return 2;
    }
    deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;
    vnc = vnc_client_connect(argv[1], deadline, &error);
    if (vnc == NULL) {
        fprintf(stderr, "vnc-resize: %s\n", error->message);
        return 1;
    }
    vnc_client_size(vnc, &w0, &h0);
    if (!vnc_client_set_desktop_size(vnc, width, height, &error) ||
        !vnc_client_wait_resize_answer(vnc, &status, deadline, &error)) {
        fprintf(stderr, "vnc-resize: %s\n", error->message);
        return 1;
    }
    if (status != RFB_STATUS_FORWARDED) {
        fprintf(stderr, "vnc-resize: the server refused %ux%u (RFB status "
                "%u; 3 means the display device takes no size hints)\n",
                width, height, status);
        return 1;
    }
    if (!vnc_client_wait_size(vnc, width, height, deadline, &error)) {
        fprintf(stderr, "vnc-resize: %s\n", error->message);
        return 1;
    }
    printf("framebuffer %ux%u -> %ux%u\n", w0, h0, width, height);
    return 0;
}
