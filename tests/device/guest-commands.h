/* SPDX-License-Identifier: MIT */
/*
 * One helper per ring command, filling its protocol struct and pushing it
 * (guest-ring.h). Each returns the command's id.
 */
#ifndef PVGPU_GUEST_COMMANDS_H
#define PVGPU_GUEST_COMMANDS_H

#include "guest-ring.h"

guint32 cmd_resource_create(GuestRing *r, guint32 resource_id,
                            guint32 format, guint32 width, guint32 height);
guint32 cmd_resource_destroy(GuestRing *r, guint32 resource_id);
guint32 cmd_resource_upload(GuestRing *r, guint32 resource_id,
                            guint32 stride, guint64 heap_offset,
                            struct pvgpu_rect dst);
guint32 cmd_fill_rect(GuestRing *r, guint32 resource_id, guint32 color,
                      struct pvgpu_rect rect);
guint32 cmd_set_scanout(GuestRing *r, guint32 resource_id,
                        struct pvgpu_rect src);
guint32 cmd_present(GuestRing *r, guint32 flags, struct pvgpu_rect damage);
guint32 cmd_fence(GuestRing *r, guint64 fence_id, guint32 flags);

#endif /* PVGPU_GUEST_COMMANDS_H */
