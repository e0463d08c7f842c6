/* SPDX-License-Identifier: MIT */
/* The running service: sockets, the current device, signals, control. */
#ifndef PVGPU_BACKEND_BACKEND_H
#define PVGPU_BACKEND_BACKEND_H

#include "options.h"

/* Serves devices until a signal or the end of an inherited connection;
 * returns the process exit code. */
int pvgpu_backend_run(const PvgpuOptions *opts);

#endif
