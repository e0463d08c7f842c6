// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Producer side of the command ring and fences (protocol/SPEC.md, "Command
 * ring"). Every wait here is bounded: a dead or stuck backend costs at most
 * pvgpu_fence_timeout_ms, and a lost one ends waits at once.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>

#include <drm/drm_print.h>

#include "pvgpu_drv.h"

static bool pvgpu_gen_live(struct pvgpu_device *pd, u32 gen)
{
	return gen && READ_ONCE(pd->live_gen) == gen;
}

/* After a device reset the control region, and so the ring, starts at 0. */
void pvgpu_ring_reset(struct pvgpu_device *pd)
{
	unsigned long flags;

	mutex_lock(&pd->ring_lock);
	pd->producer = 0;
	pd->next_fence = 0;
	spin_lock_irqsave(&pd->fence_lock, flags);
	pd->fence_seen = 0;
	spin_unlock_irqrestore(&pd->fence_lock, flags);
	mutex_unlock(&pd->ring_lock);
}

static void pvgpu_doorbell(struct pvgpu_device *pd)
{
	/* the commands and producer must be visible before the doorbell */
	wmb();
	pvgpu_write(pd, PVGPU_REG_DOORBELL, 1);
}

/* Waits until the command and the NOP pad it needs (*pad) fit. */
static int pvgpu_ring_wait_space(struct pvgpu_device *pd, u32 size, u32 *pad)
{
	unsigned long deadline = jiffies +
				 msecs_to_jiffies(pvgpu_fence_timeout_ms);
	bool rang = false;
	u64 consumer;
	int plan;

	for (;;) {
		consumer = smp_load_acquire(&pd->ctrl->consumer);
		plan = pvgpu_ring_plan(&pd->layout, pd->producer, consumer, size,
				       pad);
		if (plan == PVGPU_ERROR_NONE)
			return 0;
		if (plan == PVGPU_ERROR_CMD_SIZE)
			return -EINVAL;
		if (plan != PVGPU_RING_PLAN_NO_SPACE) {
			drm_err_ratelimited(&pd->drm,
					    "ring indices out of range: consumer %llu producer %llu\n",
					    consumer, pd->producer);
			return -EIO;
		}
		if (!READ_ONCE(pd->live_gen))
			return -ENODEV;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		if (!rang) {
			pvgpu_doorbell(pd);
			rang = true;
		}
		usleep_range(200, 1000);
	}
}

/*
 * Copies len bytes, zero-padded to ring_len, at the producer index and
 * publishes them. A command never wraps: the bytes left before the ring end
 * become one NOP when they are too few.
 */
static int pvgpu_ring_put(struct pvgpu_device *pd, const void *bytes, u32 len,
			  u32 ring_len)
{
	u32 pad;
	u64 pos;
	int ret;

	lockdep_assert_held(&pd->ring_lock);
	if (!READ_ONCE(pd->live_gen)) {
		ret = -ENODEV;
		goto fail;
	}
	ret = pvgpu_ring_wait_space(pd, ring_len, &pad);
	if (ret)
		goto fail;

	if (pad) {
		pvgpu_cmd_nop_init(pd->ring + pd->producer % pd->layout.ring_size,
				   pad, ++pd->next_cmd_id);
		pd->producer += pad;
		atomic64_inc(&pd->counters.ring_pads);
		atomic64_inc(&pd->counters.ring_wraps);
	}
	pos = pd->producer % pd->layout.ring_size;
	memcpy(pd->ring + pos, bytes, len);
	memset(pd->ring + pos + len, 0, ring_len - len);
	pd->producer += ring_len;
	if (pos + ring_len == pd->layout.ring_size)
		atomic64_inc(&pd->counters.ring_wraps);
	smp_store_release(&pd->ctrl->producer, pd->producer);
	atomic64_inc(&pd->counters.commands_submitted);
	return 0;

fail:
	atomic64_inc(&pd->counters.submit_failures);
	return ret;
}

/*
 * Emits one command whose struct (header first) is size bytes long; the
 * header is filled in here and the ring copy is padded to its exact size.
 */
int pvgpu_ring_emit(struct pvgpu_device *pd, void *cmd, u32 type, u32 size)
{
	struct pvgpu_cmd_hdr *hdr = cmd;
	u32 ring_len = pvgpu_cmd_ring_size(size);

	if (WARN_ON(size < sizeof(*hdr) || ring_len > PVGPU_CMD_MAX_SIZE))
		return -EINVAL;
	hdr->type = type;
	hdr->size = ring_len;
	hdr->flags = 0;
	hdr->id = ++pd->next_cmd_id;
	return pvgpu_ring_put(pd, cmd, size, ring_len);
}

/* Emits bytes as they are, header included: for deliberate bad commands. */
int pvgpu_ring_emit_raw(struct pvgpu_device *pd, const void *bytes, u32 size)
{
	if (WARN_ON(size < sizeof(struct pvgpu_cmd_hdr) ||
		    size % PVGPU_CMD_ALIGN || size > PVGPU_CMD_MAX_SIZE))
		return -EINVAL;
	return pvgpu_ring_put(pd, bytes, size, size);
}

/* With interrupt false the fence completes silently (pvgpu_fence_wait_quiet). */
int pvgpu_ring_emit_fence(struct pvgpu_device *pd, u64 *fence_id,
			  bool interrupt)
{
	struct pvgpu_cmd_fence cmd = {
		.fence_id = pd->next_fence + 1,
		.flags = interrupt ? PVGPU_FENCE_FLAG_IRQ : 0,
	};
	int ret;

	ret = pvgpu_ring_emit(pd, &cmd, PVGPU_CMD_FENCE, sizeof(cmd));
	if (ret)
		return ret;
	WRITE_ONCE(pd->next_fence, cmd.fence_id);
	WRITE_ONCE(pd->ctrl->fence_submitted, cmd.fence_id);
	atomic64_inc(&pd->counters.fences_submitted);
	*fence_id = cmd.fence_id;
	return 0;
}

void pvgpu_ring_flush(struct pvgpu_device *pd)
{
	lockdep_assert_held(&pd->ring_lock);
	if (READ_ONCE(pd->live_gen))
		pvgpu_doorbell(pd);
}

static bool pvgpu_fence_done(struct pvgpu_device *pd, u64 fence_id)
{
	return smp_load_acquire(&pd->ctrl->fence_completed) >= fence_id;
}

/* Counts newly completed fences; called from the FENCE vector and waits. */
void pvgpu_fence_update(struct pvgpu_device *pd)
{
	u64 done = smp_load_acquire(&pd->ctrl->fence_completed);
	unsigned long flags;

	spin_lock_irqsave(&pd->fence_lock, flags);
	if (done > pd->fence_seen && done <= READ_ONCE(pd->next_fence)) {
		atomic64_add(done - pd->fence_seen,
			     &pd->counters.fences_completed);
		pd->fence_seen = done;
	}
	spin_unlock_irqrestore(&pd->fence_lock, flags);
}

/*
 * Waits for a fence emitted while generation gen was served. Returns 0,
 * -ENODEV when that backend went away, or -ETIMEDOUT.
 */
int pvgpu_fence_wait(struct pvgpu_device *pd, u64 fence_id, u32 gen)
{
	wait_event_timeout(pd->fence_wq,
			   pvgpu_fence_done(pd, fence_id) ||
			   !pvgpu_gen_live(pd, gen),
			   msecs_to_jiffies(pvgpu_fence_timeout_ms));
	pvgpu_fence_update(pd);
	if (pvgpu_fence_done(pd, fence_id))
		return 0;
	if (!pvgpu_gen_live(pd, gen)) {
		atomic64_inc(&pd->counters.fence_aborts);
		return -ENODEV;
	}
	atomic64_inc(&pd->counters.fence_timeouts);
	dev_warn_ratelimited(pd->drm.dev, "fence %llu timed out (completed %llu)\n",
			     fence_id, READ_ONCE(pd->ctrl->fence_completed));
	return -ETIMEDOUT;
}

/*
 * Waits for a fence emitted without an interrupt. Done already (the usual
 * case: the guest draws while the backend executes), it costs nothing;
 * otherwise a fence with an interrupt behind it wakes us: fences complete
 * in ring order, so that one completes right after ours.
 */
int pvgpu_fence_wait_quiet(struct pvgpu_device *pd, u64 fence_id, u32 gen)
{
	u64 wakeup;

	if (!pvgpu_fence_done(pd, fence_id)) {
		mutex_lock(&pd->ring_lock);
		if (pvgpu_gen_live(pd, gen) && !pvgpu_fence_done(pd, fence_id) &&
		    !pvgpu_ring_emit_fence(pd, &wakeup, true))
			atomic64_inc(&pd->counters.fence_wakeups);
		pvgpu_ring_flush(pd);
		mutex_unlock(&pd->ring_lock);
	}
	return pvgpu_fence_wait(pd, fence_id, gen);
}

/* Waits until the backend consumed everything published. */
int pvgpu_wait_idle(struct pvgpu_device *pd, u32 gen)
{
	unsigned long deadline = jiffies +
				 msecs_to_jiffies(pvgpu_fence_timeout_ms);

	lockdep_assert_held(&pd->ring_lock);
	while (smp_load_acquire(&pd->ctrl->consumer) != pd->producer) {
		if (!pvgpu_gen_live(pd, gen))
			return -ENODEV;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		usleep_range(200, 1000);
	}
	return 0;
}

/*
 * Emits what emit() writes, then a fence, and rings the doorbell without
 * waiting: *fence and *gen are what pvgpu_fence_wait() takes, or
 * pvgpu_fence_wait_quiet() when interrupt is false. The way the driver
 * talks to the backend outside of the garbage knob.
 */
int pvgpu_submit(struct pvgpu_device *pd,
		 int (*emit)(struct pvgpu_device *pd, void *arg), void *arg,
		 bool interrupt, u64 *fence, u32 *gen)
{
	int ret;

	mutex_lock(&pd->ring_lock);
	*gen = READ_ONCE(pd->live_gen);
	if (*gen) {
		ret = emit(pd, arg);
	} else {
		atomic64_inc(&pd->counters.submit_failures);
		ret = -ENODEV;
	}
	if (!ret)
		ret = pvgpu_ring_emit_fence(pd, fence, interrupt);
	pvgpu_ring_flush(pd);
	mutex_unlock(&pd->ring_lock);
	return ret;
}

/* pvgpu_submit(), then waits for its fence. */
int pvgpu_submit_and_wait(struct pvgpu_device *pd,
			  int (*emit)(struct pvgpu_device *pd, void *arg),
			  void *arg)
{
	u64 fence = 0;
	u32 gen = 0;
	int ret = pvgpu_submit(pd, emit, arg, true, &fence, &gen);

	if (ret)
		return ret;
	return pvgpu_fence_wait(pd, fence, gen);
}
