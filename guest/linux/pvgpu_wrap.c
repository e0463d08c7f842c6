// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Ring wrap-around exercise (debugfs "wrap"): display traffic alone takes
 * thousands of frames to go once around the 1 MiB ring, so this fills it
 * with large NOPs and fences. 4080-byte NOPs do not divide the ring size,
 * so every lap ends with a padding NOP. The backend must report no error
 * and every fence must complete.
 */
#include <linux/slab.h>

#include <drm/drm_print.h>

#include "pvgpu_drv.h"

#define PVGPU_WRAP_NOP_SIZE (PVGPU_CMD_MAX_SIZE - PVGPU_CMD_ALIGN)
#define PVGPU_WRAP_BATCH 64	/* NOPs between fences: a quarter ring */
#define PVGPU_WRAP_MAX_LAPS 16

int pvgpu_wrap_run(struct pvgpu_device *pd, unsigned int laps)
{
	struct pvgpu_cmd_hdr *nop;
	u32 gen = READ_ONCE(pd->live_gen);
	u32 errors = READ_ONCE(pd->ctrl->error_count);
	u64 target, fence = 0;
	unsigned int i;
	int ret = 0;

	if (laps == 0 || laps > PVGPU_WRAP_MAX_LAPS)
		return -EINVAL;
	if (!gen)
		return -ENODEV;
	nop = kzalloc(PVGPU_WRAP_NOP_SIZE, GFP_KERNEL);
	if (!nop)
		return -ENOMEM;
	nop->type = PVGPU_CMD_NOP;
	nop->size = PVGPU_WRAP_NOP_SIZE;

	mutex_lock(&pd->ring_lock);
	target = pd->producer + laps * pd->layout.ring_size;
	mutex_unlock(&pd->ring_lock);

	while (!ret) {
		mutex_lock(&pd->ring_lock);
		if (pd->producer >= target) {
			mutex_unlock(&pd->ring_lock);
			break;
		}
		for (i = 0; i < PVGPU_WRAP_BATCH && !ret; i++) {
			nop->id = ++pd->next_cmd_id;
			ret = pvgpu_ring_emit_raw(pd, nop, PVGPU_WRAP_NOP_SIZE);
		}
		if (!ret)
			ret = pvgpu_ring_emit_fence(pd, &fence, true);
		pvgpu_ring_flush(pd);
		mutex_unlock(&pd->ring_lock);
		if (!ret)
			ret = pvgpu_fence_wait(pd, fence, gen);
	}
	kfree(nop);

	if (ret) {
		drm_err(&pd->drm, "wrap: %d\n", ret);
		return ret;
	}
	if (READ_ONCE(pd->ctrl->error_count) != errors) {
		drm_err(&pd->drm, "wrap: the backend refused %u commands\n",
			READ_ONCE(pd->ctrl->error_count) - errors);
		return -EIO;
	}
	drm_info(&pd->drm, "wrap: %u laps around the ring, no error\n", laps);
	return 0;
}
