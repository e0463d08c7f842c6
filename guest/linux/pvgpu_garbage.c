// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Hostile commands on purpose, to check that the backend reports errors
 * and keeps serving (debugfs "garbage"). Three mistakes, each of the kind
 * SPEC.md names:
 *  1. an unknown command type        -> refused, the next command runs;
 *  2. an upload from outside the heap -> refused, the next command runs;
 *  3. a header of size zero           -> framing error, batch discarded.
 * A fence after 1 and 2 must complete; after 3 the ring must drain and a
 * new fence must complete too.
 */
#include <linux/delay.h>

#include <drm/drm_print.h>

#include "pvgpu_drv.h"

#define PVGPU_GARBAGE_TYPE 0x0fffu	/* in no command range */

static int pvgpu_garbage_refused(struct pvgpu_device *pd, void *arg)
{
	struct pvgpu_cmd_hdr unknown = {
		.type = PVGPU_GARBAGE_TYPE,
		.size = sizeof(unknown),
		.id = 0xbad00001,
	};
	struct pvgpu_cmd_resource_upload upload = {
		.resource_id = 1,
		.stride = PVGPU_FORMAT_BYTES_PER_PIXEL,
		.heap_offset = pd->layout.heap_size, /* one past the heap */
		.dst = { 0, 0, 1, 1 },
	};
	int ret;

	ret = pvgpu_ring_emit_raw(pd, &unknown, sizeof(unknown));
	if (!ret)
		ret = pvgpu_ring_emit(pd, &upload, PVGPU_CMD_RESOURCE_UPLOAD,
				      sizeof(upload));
	return ret;
}

static u32 pvgpu_error_count(struct pvgpu_device *pd)
{
	return READ_ONCE(pd->ctrl->error_count);
}

/* Waits until error_count moved past before (bounded). */
static int pvgpu_wait_errors(struct pvgpu_device *pd, u32 before, u32 want)
{
	unsigned long deadline = jiffies +
				 msecs_to_jiffies(pvgpu_fence_timeout_ms);

	while (pvgpu_error_count(pd) - before < want) {
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		usleep_range(500, 2000);
	}
	return 0;
}

static int pvgpu_emit_nothing(struct pvgpu_device *pd, void *arg)
{
	return 0;
}

int pvgpu_garbage_run(struct pvgpu_device *pd)
{
	struct pvgpu_cmd_hdr zero = {
		.type = PVGPU_CMD_NOP,
		.size = 0,
		.id = 0xbad00003,
	};
	u32 gen = READ_ONCE(pd->live_gen);
	u32 before = pvgpu_error_count(pd);
	int ret;

	if (!gen)
		return -ENODEV;

	/* 1 and 2, then a fence that must still complete */
	ret = pvgpu_submit_and_wait(pd, pvgpu_garbage_refused, NULL);
	if (ret) {
		drm_err(&pd->drm, "garbage: fence after refused commands: %d\n",
			ret);
		return ret;
	}
	ret = pvgpu_wait_errors(pd, before, 2);
	if (ret) {
		drm_err(&pd->drm, "garbage: backend reported %u of 2 errors\n",
			pvgpu_error_count(pd) - before);
		return ret;
	}

	/*
	 * 3 alone: the backend discards everything up to producer, so nothing
	 * may follow it until the ring has drained.
	 */
	mutex_lock(&pd->ring_lock);
	ret = pvgpu_ring_emit_raw(pd, &zero, sizeof(zero));
	pvgpu_ring_flush(pd);
	if (!ret)
		ret = pvgpu_wait_idle(pd, gen);
	mutex_unlock(&pd->ring_lock);
	if (!ret)
		ret = pvgpu_wait_errors(pd, before, 3);
	if (ret) {
		drm_err(&pd->drm, "garbage: framing error not reported: %d\n",
			ret);
		return ret;
	}

	/* and the backend still serves */
	ret = pvgpu_submit_and_wait(pd, pvgpu_emit_nothing, NULL);
	if (ret) {
		drm_err(&pd->drm, "garbage: fence after framing error: %d\n",
			ret);
		return ret;
	}
	drm_info(&pd->drm, "garbage: backend reported %u errors and still serves\n",
		 pvgpu_error_count(pd) - before);
	return 0;
}
