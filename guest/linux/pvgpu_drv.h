/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * PVGPU guest driver: shared state of the PCI, ring, interrupt, KMS and
 * debugfs parts.
 */
#ifndef PVGPU_DRV_H
#define PVGPU_DRV_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <drm/drm_connector.h>
#include <drm/drm_device.h>
#include <drm/drm_gem.h>
#include <drm/drm_mm.h>
#include <drm/drm_simple_kms_helper.h>

#include "pvgpu_abi.h"

#define PVGPU_DRIVER_NAME "pvgpu"

struct pvgpu_device;

/* One interrupt vector, the cookie of its handler. */
struct pvgpu_vector {
	struct pvgpu_device *pd;
	unsigned int index;
};

/* Everything debugfs shows; atomics because interrupts update them. */
struct pvgpu_counters {
	atomic64_t commands_submitted;
	atomic64_t submit_failures;
	atomic64_t fences_submitted;
	atomic64_t fences_completed;
	atomic64_t fence_timeouts;
	atomic64_t fence_aborts;	/* waits ended by a lost backend */
	atomic64_t fence_wakeups;	/* interrupt fences behind quiet ones */
	atomic64_t irqs[PVGPU_NUM_VECTORS];
	atomic64_t irqs_spurious;
	atomic64_t backend_errors;	/* errors the backend reported */
	atomic64_t device_lost;
	atomic64_t handshakes;		/* READY seen with a new generation */
	atomic64_t recoveries;		/* scanouts rebuilt after a handshake */
	atomic64_t mode_offers;		/* preferred-mode changes re-probed */
	atomic64_t cursor_updates;	/* SET_CURSOR sequences executed */
	atomic64_t presents;
	atomic64_t uploads_bytes;
	atomic64_t ring_wraps;		/* producer crossed the ring end */
	atomic64_t ring_pads;		/* NOPs written to reach the end */
};

/* What the guest shows on scanout 0; it outlives backend restarts. */
/* Flushes of the scanout in flight at most (pvgpu_kms.c). */
#define PVGPU_FLUSH_DEPTH 1

struct pvgpu_scanout {
	bool enabled;		/* the CRTC is on */
	bool in_backend;	/* resource exists in the current backend */
	u32 width;
	u32 height;
	u32 format;		/* enum pvgpu_format */
	u32 resource_id;	/* 0 when none */
	/* what the backend uploads from: the framebuffer itself */
	u64 src_offset;		/* heap-relative, first visible pixel */
	u32 src_stride;
	/* the last flushes, which did not wait for their fences; slot
	 * flush_next % PVGPU_FLUSH_DEPTH is the oldest */
	u64 flush_fence[PVGPU_FLUSH_DEPTH];	/* 0: none outstanding */
	u32 flush_gen[PVGPU_FLUSH_DEPTH];
	unsigned int flush_next;
};

/* A dumb buffer: a range of the heap (pvgpu_bo.c). */
struct pvgpu_bo {
	struct drm_gem_object base;
	struct drm_mm_node node;	/* heap-relative */
};

#define to_pvgpu_bo(obj) container_of(obj, struct pvgpu_bo, base)

/* The pointer (pvgpu_cursor.c); under display_lock. */
struct pvgpu_cursor {
	bool visible;
	bool in_backend;	/* its resource exists in the current backend */
	s32 x;			/* top left on the CRTC */
	s32 y;
	u32 hot_x;
	u32 hot_y;
	u32 width;		/* 0 before the first image */
	u32 height;
	u32 resource_id;
};

/* Heap bytes at the end kept for the cursor's staging area. */
#define PVGPU_CURSOR_AREA \
	((u64)PVGPU_CURSOR_MAX_SIZE * PVGPU_CURSOR_MAX_SIZE * \
	 PVGPU_FORMAT_BYTES_PER_PIXEL)

struct pvgpu_device {
	struct drm_device drm;
	struct pci_dev *pdev;

	void __iomem *regs;		/* BAR0 */
	void *shmem;			/* BAR2, mapped write-back */
	struct pvgpu_control *ctrl;
	u8 *ring;
	u8 *heap;
	struct pvgpu_layout layout;

	/* interrupts */
	bool msix;
	int nvec;
	struct pvgpu_vector vectors[PVGPU_NUM_VECTORS];

	/* backend state: live_gen is the generation being served, 0 if none */
	u32 live_gen;			/* READ_ONCE/WRITE_ONCE */
	atomic_t last_error_count;	/* error_count already reported */
	struct work_struct device_work;
	wait_queue_head_t state_wq;

	/* command ring, producer side */
	struct mutex ring_lock;
	u64 producer;			/* local copy of ctrl->producer */
	u32 next_cmd_id;
	u64 next_fence;			/* last fence id emitted */
	u64 fence_seen;			/* completed fences already counted */
	spinlock_t fence_lock;		/* fence_seen */
	wait_queue_head_t fence_wq;

	/* display */
	struct mutex display_lock;	/* scanout and the staging area */
	struct pvgpu_scanout scanout;
	u32 next_resource_id;
	struct drm_connector connector;
	struct drm_simple_display_pipe pipe;
	struct mutex heap_lock;		/* heap_mm */
	struct drm_mm heap_mm;		/* dumb buffers in the heap */
	struct drm_plane cursor_plane;
	struct pvgpu_cursor cursor;
	bool cursor_supported;		/* the backend has SET_CURSOR */
	u32 display_serial_seen;	/* ctrl->display_serial, DISPLAY irq */
	struct work_struct mode_work;	/* re-probes after a new offer */

	struct pvgpu_counters counters;
	struct dentry *debugfs;
};

static inline struct pvgpu_device *to_pvgpu(struct drm_device *drm)
{
	return container_of(drm, struct pvgpu_device, drm);
}

static inline u32 pvgpu_read(struct pvgpu_device *pd, u32 reg)
{
	return readl(pd->regs + reg);
}

static inline void pvgpu_write(struct pvgpu_device *pd, u32 reg, u32 val)
{
	writel(val, pd->regs + reg);
}

extern unsigned int pvgpu_fence_timeout_ms;

/* pvgpu_irq.c */
int pvgpu_irq_init(struct pvgpu_device *pd);
void pvgpu_irq_fini(struct pvgpu_device *pd);
void pvgpu_device_work(struct work_struct *work);
void pvgpu_backend_lost(struct pvgpu_device *pd);

/* pvgpu_ring.c */
void pvgpu_ring_reset(struct pvgpu_device *pd);
int pvgpu_ring_emit(struct pvgpu_device *pd, void *cmd, u32 type, u32 size);
int pvgpu_ring_emit_raw(struct pvgpu_device *pd, const void *bytes, u32 size);
int pvgpu_ring_emit_fence(struct pvgpu_device *pd, u64 *fence_id,
			  bool interrupt);
void pvgpu_ring_flush(struct pvgpu_device *pd);
int pvgpu_fence_wait(struct pvgpu_device *pd, u64 fence_id, u32 gen);
int pvgpu_fence_wait_quiet(struct pvgpu_device *pd, u64 fence_id, u32 gen);
void pvgpu_fence_update(struct pvgpu_device *pd);
int pvgpu_wait_idle(struct pvgpu_device *pd, u32 gen);

/* pvgpu_cmd.c: one helper per command; the caller holds ring_lock */
int pvgpu_cmd_create_2d(struct pvgpu_device *pd, u32 id, u32 format,
			u32 width, u32 height);
int pvgpu_cmd_destroy(struct pvgpu_device *pd, u32 id);
int pvgpu_cmd_upload(struct pvgpu_device *pd, u32 id, u32 stride,
		     u64 heap_offset, const struct pvgpu_rect *dst);
int pvgpu_cmd_set_scanout(struct pvgpu_device *pd, u32 id,
			  const struct pvgpu_rect *src);
int pvgpu_cmd_present(struct pvgpu_device *pd, const struct pvgpu_rect *damage);
int pvgpu_submit(struct pvgpu_device *pd,
		 int (*emit)(struct pvgpu_device *pd, void *arg), void *arg,
		 bool interrupt, u64 *fence, u32 *gen);
int pvgpu_submit_and_wait(struct pvgpu_device *pd,
			  int (*emit)(struct pvgpu_device *pd, void *arg),
			  void *arg);

/* pvgpu_kms.c */
int pvgpu_kms_init(struct pvgpu_device *pd);
void pvgpu_kms_recover(struct pvgpu_device *pd);
void pvgpu_kms_check_mode_offer(struct pvgpu_device *pd);
int pvgpu_cursor_init(struct pvgpu_device *pd);
int pvgpu_heap_init(struct pvgpu_device *pd);
int pvgpu_dumb_create(struct drm_file *file, struct drm_device *dev,
		      struct drm_mode_create_dumb *args);
s64 pvgpu_fb_heap_offset(const struct drm_framebuffer *fb);
void pvgpu_cursor_recover(struct pvgpu_device *pd);
void pvgpu_mode_work(struct work_struct *work);

/* pvgpu_garbage.c, pvgpu_wrap.c: exercises behind debugfs knobs */
int pvgpu_garbage_run(struct pvgpu_device *pd);
int pvgpu_wrap_run(struct pvgpu_device *pd, unsigned int laps);

/* pvgpu_debugfs.c */
void pvgpu_debugfs_init(struct pvgpu_device *pd);
void pvgpu_debugfs_fini(struct pvgpu_device *pd);
void pvgpu_debugfs_module_init(void);
void pvgpu_debugfs_module_exit(void);

#endif /* PVGPU_DRV_H */
