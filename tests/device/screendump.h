/* SPDX-License-Identifier: MIT */
/* QMP screendump of one device's console, read back as 8-bit RGB. */
#ifndef PVGPU_SCREENDUMP_H
#define PVGPU_SCREENDUMP_H

#include <glib.h>

#include "qtest-client.h"

/*
 * Runs screendump of device's console (NULL: console 0, what VNC and
 * `virsh screenshot` show) into a PPM file in dir and returns
 * its width*height*3 bytes (rows top to bottom); asserts on any failure.
 */
guint8 *screendump_rgb(QTestClient *qt, const char *dir, const char *device,
                       guint32 *width, guint32 *height);

/* Whether a screendump of device is want (width*height*3 RGB bytes);
 * the first difference goes to the test log. */
gboolean screendump_shows(QTestClient *qt, const char *dir,
                          const char *device, const guint8 *want,
                          guint32 width, guint32 height);

/*
 * The device reads the backend's socket in QEMU's main loop, as QMP is
 * answered: waits until the console shows want, failing the test at the
 * deadline.
 */
void screendump_wait_for(QTestClient *qt, const char *dir,
                         const char *device, const guint8 *want,
                         guint32 width, guint32 height);

#endif /* PVGPU_SCREENDUMP_H */
