/* SPDX-License-Identifier: MIT */
/*
 * Checks of descriptors a peer hands over, before the backend relies on
 * what they are: memory that cannot shrink under a mapping, eventfds that
 * really are eventfds.
 */
#ifndef PVGPU_BACKEND_FD_CHECK_H
#define PVGPU_BACKEND_FD_CHECK_H

#include <glib.h>

/* TRUE when fd carries F_SEAL_SHRINK: a peer that truncated it would make
 * every access past the new end fault (SIGBUS). */
gboolean pvgpu_fd_check_sealed(int fd, GError **error);

/* TRUE when fd is an eventfd (not a pipe, socket or file that a write of
 * 8 bytes or a read would treat differently). what names it in the error,
 * e.g. "the doorbell descriptor". */
gboolean pvgpu_fd_check_eventfd(int fd, const char *what, GError **error);

#endif
