/* SPDX-License-Identifier: MIT */
#include "guest-commands.h"

guint32 cmd_resource_create(GuestRing *r, guint32 resource_id,
                            guint32 format, guint32 width, guint32 height)
{
    struct pvgpu_cmd_resource_create_2d c = {
        .resource_id = resource_id,
        .format = format,
        .width = width,
        .height = height,
    };

    return guest_ring_push(r, PVGPU_CMD_RESOURCE_CREATE_2D, &c, sizeof(c));
}

guint32 cmd_resource_destroy(GuestRing *r, guint32 resource_id)
{
    struct pvgpu_cmd_resource_destroy c = { .resource_id = resource_id };

    return guest_ring_push(r, PVGPU_CMD_RESOURCE_DESTROY, &c, sizeof(c));
}

guint32 cmd_resource_upload(GuestRing *r, guint32 resource_id,
                            guint32 stride, guint64 heap_offset,
                            struct pvgpu_rect dst)
{
    struct pvgpu_cmd_resource_upload c = {
        .resource_id = resource_id,
        .stride = stride,
        .heap_offset = heap_offset,
        .dst = dst,
    };

    return guest_ring_push(r, PVGPU_CMD_RESOURCE_UPLOAD, &c, sizeof(c));
}

guint32 cmd_fill_rect(GuestRing *r, guint32 resource_id, guint32 color,
                      struct pvgpu_rect rect)
{
    struct pvgpu_cmd_fill_rect c = {
        .resource_id = resource_id,
        .color = color,
        .rect = rect,
    };

    return guest_ring_push(r, PVGPU_CMD_FILL_RECT, &c, sizeof(c));
}

guint32 cmd_set_scanout(GuestRing *r, guint32 resource_id,
                        struct pvgpu_rect src)
{
    struct pvgpu_cmd_set_scanout c = {
        .scanout_id = 0,
        .resource_id = resource_id,
        .src = src,
    };

    return guest_ring_push(r, PVGPU_CMD_SET_SCANOUT, &c, sizeof(c));
}

guint32 cmd_present(GuestRing *r, guint32 flags, struct pvgpu_rect damage)
{
    struct pvgpu_cmd_present c = {
        .scanout_id = 0,
        .flags = flags,
        .damage = damage,
    };

    return guest_ring_push(r, PVGPU_CMD_PRESENT, &c, sizeof(c));
}

guint32 cmd_fence(GuestRing *r, guint64 fence_id, guint32 flags)
{
    struct pvgpu_cmd_fence c = { .fence_id = fence_id, .flags = flags };

    return guest_ring_push(r, PVGPU_CMD_FENCE, &c, sizeof(c));
}
