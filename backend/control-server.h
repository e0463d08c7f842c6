/* SPDX-License-Identifier: MIT */
/*
 * The control socket: newline-delimited JSON requests from any number of
 * clients (up to a bound), answered by pvgpu_control_handle_line().
 */
#ifndef PVGPU_BACKEND_CONTROL_SERVER_H
#define PVGPU_BACKEND_CONTROL_SERVER_H

#include <glib.h>

#include "control-commands.h"

typedef struct _PvgpuControlServer PvgpuControlServer;

/* Clients served at once; more are accepted and closed at once. */
#define PVGPU_CONTROL_MAX_CLIENTS 16u

/* Takes ownership of the listening fd. handler must outlive the server. */
PvgpuControlServer *pvgpu_control_server_new(int listen_fd,
                                             const PvgpuControlHandler *h);
void pvgpu_control_server_free(PvgpuControlServer *server);

#endif
