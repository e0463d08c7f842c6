/* SPDX-License-Identifier: MIT */
#ifndef PVGPU_BACKEND_SD_NOTIFY_H
#define PVGPU_BACKEND_SD_NOTIFY_H

#include <glib.h>

/*
 * Sends state (e.g. "READY=1") to $NOTIFY_SOCKET, the service manager's
 * datagram socket ('@' starts an abstract name). Without the variable
 * there is nothing to do and it returns TRUE.
 */
gboolean pvgpu_sd_notify(const char *state, GError **error);

#endif
