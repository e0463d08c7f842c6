// SPDX-License-Identifier: GPL-2.0 OR MIT
/* One helper per ring command; callers hold ring_lock. */
#include "pvgpu_drv.h"

int pvgpu_cmd_create_2d(struct pvgpu_device *pd, u32 id, u32 format,
			u32 width, u32 height)
{
	struct pvgpu_cmd_resource_create_2d cmd = {
		.resource_id = id,
		.format = format,
		.width = width,
		.height = height,
	};

	return pvgpu_ring_emit(pd, &cmd, PVGPU_CMD_RESOURCE_CREATE_2D,
			       sizeof(cmd));
}

int pvgpu_cmd_destroy(struct pvgpu_device *pd, u32 id)
{
	struct pvgpu_cmd_resource_destroy cmd = { .resource_id = id };

	return pvgpu_ring_emit(pd, &cmd, PVGPU_CMD_RESOURCE_DESTROY,
			       sizeof(cmd));
}

int pvgpu_cmd_upload(struct pvgpu_device *pd, u32 id, u32 stride,
		     u64 heap_offset, const struct pvgpu_rect *dst)
{
	struct pvgpu_cmd_resource_upload cmd = {
		.resource_id = id,
		.stride = stride,
		.heap_offset = heap_offset,
		.dst = *dst,
	};
	int ret;

	ret = pvgpu_ring_emit(pd, &cmd, PVGPU_CMD_RESOURCE_UPLOAD, sizeof(cmd));
	if (!ret)
		atomic64_add((u64)dst->width * dst->height *
			     PVGPU_FORMAT_BYTES_PER_PIXEL,
			     &pd->counters.uploads_bytes);
	return ret;
}

int pvgpu_cmd_set_scanout(struct pvgpu_device *pd, u32 id,
			  const struct pvgpu_rect *src)
{
	struct pvgpu_cmd_set_scanout cmd = {
		.scanout_id = 0,
		.resource_id = id,
		.src = *src,
	};

	return pvgpu_ring_emit(pd, &cmd, PVGPU_CMD_SET_SCANOUT, sizeof(cmd));
}

int pvgpu_cmd_present(struct pvgpu_device *pd, const struct pvgpu_rect *damage)
{
	/* no PVGPU_PRESENT_FLAG_IRQ: the fence behind it is what we wait on */
	struct pvgpu_cmd_present cmd = {
		.scanout_id = 0,
		.damage = *damage,
	};
	int ret;

	ret = pvgpu_ring_emit(pd, &cmd, PVGPU_CMD_PRESENT, sizeof(cmd));
	if (!ret)
		atomic64_inc(&pd->counters.presents);
	return ret;
}
