// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * KMS: one virtual connector and a simple display pipe over dumb buffers
 * that live in BAR2's heap (pvgpu_bo.c). Damage is uploaded from the
 * framebuffer itself into a backend resource and presented; the guest
 * copies nothing. The framebuffer survives a backend restart, so the
 * scanout is rebuilt from it without the guest redrawing anything.
 */
#include <drm/drm_atomic_helper.h>
#include <drm/drm_damage_helper.h>
#include <drm/drm_edid.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_framebuffer.h>
#include <drm/drm_gem_atomic_helper.h>
#include <drm/drm_gem_framebuffer_helper.h>
#include <drm/drm_modeset_helper_vtables.h>
#include <drm/drm_print.h>
#include <drm/drm_probe_helper.h>

#include "pvgpu_drv.h"

#define PVGPU_EXTRA_MODES_WIDTH 1920
#define PVGPU_EXTRA_MODES_HEIGHT 1200

static const u32 pvgpu_formats[] = {
	DRM_FORMAT_XRGB8888,
	DRM_FORMAT_ARGB8888,
	DRM_FORMAT_XBGR8888,
	DRM_FORMAT_ABGR8888,
};

/* DRM formats are little-endian words; PVGPU names memory byte order. */
static u32 pvgpu_format_of(const struct drm_framebuffer *fb)
{
	switch (fb->format->format) {
	case DRM_FORMAT_ARGB8888:
		return PVGPU_FORMAT_B8G8R8A8_UNORM;
	case DRM_FORMAT_XBGR8888:
		return PVGPU_FORMAT_R8G8B8X8_UNORM;
	case DRM_FORMAT_ABGR8888:
		return PVGPU_FORMAT_R8G8B8A8_UNORM;
	case DRM_FORMAT_XRGB8888:
	default:
		return PVGPU_FORMAT_B8G8R8X8_UNORM;
	}
}

static bool pvgpu_fits_heap(struct pvgpu_device *pd, u32 width, u32 height)
{
	return (u64)width * height * PVGPU_FORMAT_BYTES_PER_PIXEL <=
	       pd->layout.heap_size - PVGPU_CURSOR_AREA;
}

/* The backend's preferred mode, or 1024x768 when it offers none usable. */
static void pvgpu_preferred_size(struct pvgpu_device *pd, u32 *width,
				 u32 *height)
{
	u32 w = READ_ONCE(pd->ctrl->display_width);
	u32 h = READ_ONCE(pd->ctrl->display_height);

	if (!READ_ONCE(pd->live_gen) || !pvgpu_dimensions_valid(w, h) ||
	    !pvgpu_fits_heap(pd, w, h)) {
		w = PVGPU_DEFAULT_DISPLAY_WIDTH;
		h = PVGPU_DEFAULT_DISPLAY_HEIGHT;
	}
	*width = w;
	*height = h;
}

static int pvgpu_connector_get_modes(struct drm_connector *connector)
{
	struct pvgpu_device *pd = to_pvgpu(connector->dev);
	struct drm_display_mode *mode;
	u32 w, h;
	int count;

	pvgpu_preferred_size(pd, &w, &h);
	count = drm_add_modes_noedid(connector,
				     max_t(u32, w, PVGPU_EXTRA_MODES_WIDTH),
				     max_t(u32, h, PVGPU_EXTRA_MODES_HEIGHT));
	mode = drm_cvt_mode(connector->dev, w, h, 60, false, false, false);
	if (mode) {
		mode->type |= DRM_MODE_TYPE_PREFERRED;
		drm_mode_probed_add(connector, mode);
		count++;
	}
	return count;
}

static const struct drm_connector_helper_funcs pvgpu_connector_helper_funcs = {
	.get_modes = pvgpu_connector_get_modes,
};

static const struct drm_connector_funcs pvgpu_connector_funcs = {
	.fill_modes = drm_helper_probe_single_connector_modes,
	.destroy = drm_connector_cleanup,
	.reset = drm_atomic_helper_connector_reset,
	.atomic_duplicate_state = drm_atomic_helper_connector_duplicate_state,
	.atomic_destroy_state = drm_atomic_helper_connector_destroy_state,
};

/*
 * Where the backend reads the plane's visible part: the framebuffer in the
 * heap. False for a framebuffer that is not in the heap (imported), which
 * cannot be shown. Caller holds display_lock.
 */
static bool pvgpu_scanout_source(struct pvgpu_device *pd,
				 const struct drm_plane_state *state)
{
	s64 base = pvgpu_fb_heap_offset(state->fb);

	if (base < 0)
		return false;
	pd->scanout.src_stride = state->fb->pitches[0];
	pd->scanout.src_offset = base +
		(u64)(state->src.y1 >> 16) * state->fb->pitches[0] +
		(u64)(state->src.x1 >> 16) * PVGPU_FORMAT_BYTES_PER_PIXEL;
	return true;
}

struct pvgpu_flush_args {
	struct pvgpu_rect rect;		/* in the resource */
	u32 old_id;			/* resource to destroy first, or 0 */
	bool create;
};

static int pvgpu_emit_flush(struct pvgpu_device *pd, void *arg)
{
	struct pvgpu_flush_args *a = arg;
	struct pvgpu_scanout *s = &pd->scanout;
	struct pvgpu_rect full = { 0, 0, s->width, s->height };
	u32 stride = s->src_stride;
	u64 offset = s->src_offset + (u64)a->rect.y * stride +
		     (u64)a->rect.x * PVGPU_FORMAT_BYTES_PER_PIXEL;
	int ret = 0;

	if (a->old_id)
		ret = pvgpu_cmd_destroy(pd, a->old_id);
	if (!ret && a->create)
		ret = pvgpu_cmd_create_2d(pd, s->resource_id, s->format,
					  s->width, s->height);
	if (!ret)
		ret = pvgpu_cmd_upload(pd, s->resource_id, stride, offset,
				       &a->rect);
	if (!ret && a->create)
		ret = pvgpu_cmd_set_scanout(pd, s->resource_id, &full);
	if (!ret)
		ret = pvgpu_cmd_present(pd, &a->rect);
	return ret;
}

/*
 * Creates the scanout's resource in the backend from the framebuffer,
 * replacing the previous one. Caller holds display_lock.
 */
static int pvgpu_scanout_build(struct pvgpu_device *pd)
{
	struct pvgpu_scanout *s = &pd->scanout;
	struct pvgpu_flush_args args = {
		.rect = { 0, 0, s->width, s->height },
		.old_id = s->in_backend ? s->resource_id : 0,
		.create = true,
	};
	int ret;

	lockdep_assert_held(&pd->display_lock);
	s->in_backend = false;
	if (++pd->next_resource_id == 0)
		++pd->next_resource_id;
	s->resource_id = pd->next_resource_id;
	ret = pvgpu_submit_and_wait(pd, pvgpu_emit_flush, &args);
	if (ret) {
		drm_dbg_kms(&pd->drm, "scanout %ux%u not built: %d\n",
			    s->width, s->height, ret);
		return ret;
	}
	s->in_backend = true;
	return 0;
}

/*
 * Uploads and presents rect without waiting, so that the guest draws the
 * next frames while the backend shows this one (as virtio-gpu's queue
 * does). PVGPU_FLUSH_DEPTH flushes are in flight at most: a flush first
 * waits for the one that many before it, which keeps a fast client from
 * running ahead of the backend; after PVGPU_FLUSH_DEPTH more flushes every
 * earlier frame has been shown. Neither the present nor the fence raises
 * an interrupt: usually the fence has completed when the next flush looks,
 * and an interrupt per frame would cost more than the frame (TCG: the
 * backend's message, QEMU's main loop, the guest's handler).
 */
static void pvgpu_scanout_flush(struct pvgpu_device *pd,
				const struct pvgpu_rect *rect)
{
	struct pvgpu_scanout *s = &pd->scanout;
	struct pvgpu_flush_args args = { .rect = *rect };
	unsigned int slot = s->flush_next++ % PVGPU_FLUSH_DEPTH;
	int ret;

	lockdep_assert_held(&pd->display_lock);
	if (s->flush_fence[slot])
		pvgpu_fence_wait_quiet(pd, s->flush_fence[slot],
				       s->flush_gen[slot]);
	s->flush_fence[slot] = 0;
	if (!s->in_backend) {
		pvgpu_scanout_build(pd);
		return;
	}
	ret = pvgpu_submit(pd, pvgpu_emit_flush, &args, false,
			   &s->flush_fence[slot], &s->flush_gen[slot]);
	if (ret) {
		s->flush_fence[slot] = 0;
		drm_dbg_kms(&pd->drm, "flush failed: %d\n", ret);
	}
}

static enum drm_mode_status
pvgpu_pipe_mode_valid(struct drm_simple_display_pipe *pipe,
		      const struct drm_display_mode *mode)
{
	struct pvgpu_device *pd = to_pvgpu(pipe->crtc.dev);

	if (!pvgpu_dimensions_valid(mode->hdisplay, mode->vdisplay))
		return MODE_BAD;
	if (!pvgpu_fits_heap(pd, mode->hdisplay, mode->vdisplay))
		return MODE_MEM;
	return MODE_OK;
}

static void pvgpu_pipe_enable(struct drm_simple_display_pipe *pipe,
			      struct drm_crtc_state *crtc_state,
			      struct drm_plane_state *plane_state)
{
	struct pvgpu_device *pd = to_pvgpu(pipe->crtc.dev);

	mutex_lock(&pd->display_lock);
	pd->scanout.enabled = pvgpu_scanout_source(pd, plane_state);
	pd->scanout.width = crtc_state->mode.hdisplay;
	pd->scanout.height = crtc_state->mode.vdisplay;
	pd->scanout.format = pvgpu_format_of(plane_state->fb);
	if (pd->scanout.enabled)
		pvgpu_scanout_build(pd);
	mutex_unlock(&pd->display_lock);
}

static int pvgpu_emit_disable(struct pvgpu_device *pd, void *arg)
{
	struct pvgpu_rect none = { 0, 0, 0, 0 };
	int ret;

	ret = pvgpu_cmd_set_scanout(pd, 0, &none);
	if (!ret)
		ret = pvgpu_cmd_destroy(pd, pd->scanout.resource_id);
	return ret;
}

static void pvgpu_pipe_disable(struct drm_simple_display_pipe *pipe)
{
	struct pvgpu_device *pd = to_pvgpu(pipe->crtc.dev);

	mutex_lock(&pd->display_lock);
	if (pd->scanout.in_backend && READ_ONCE(pd->live_gen))
		pvgpu_submit_and_wait(pd, pvgpu_emit_disable, NULL);
	pd->scanout.enabled = false;
	pd->scanout.in_backend = false;
	pd->scanout.resource_id = 0;
	mutex_unlock(&pd->display_lock);
}

static void pvgpu_pipe_update(struct drm_simple_display_pipe *pipe,
			      struct drm_plane_state *old_state)
{
	struct pvgpu_device *pd = to_pvgpu(pipe->crtc.dev);
	struct drm_plane_state *state = pipe->plane.state;
	struct pvgpu_scanout *s = &pd->scanout;
	struct drm_rect clip;
	struct pvgpu_rect rect;

	if (!state->fb || !drm_atomic_helper_damage_merged(old_state, state,
							   &clip))
		return;

	mutex_lock(&pd->display_lock);
	/* before the first enable the pipe's size is not known yet */
	if (!s->enabled ||
	    drm_rect_width(&state->src) >> 16 != s->width ||
	    drm_rect_height(&state->src) >> 16 != s->height)
		goto out;
	if (!pvgpu_scanout_source(pd, state))
		goto out;
	if (pvgpu_format_of(state->fb) != s->format) {
		s->format = pvgpu_format_of(state->fb);
		pvgpu_scanout_build(pd);
		goto out;
	}
	rect.x = clip.x1 - (state->src.x1 >> 16);
	rect.y = clip.y1 - (state->src.y1 >> 16);
	rect.width = drm_rect_width(&clip);
	rect.height = drm_rect_height(&clip);
	pvgpu_scanout_flush(pd, &rect);
out:
	mutex_unlock(&pd->display_lock);
}

static const struct drm_simple_display_pipe_funcs pvgpu_pipe_funcs = {
	.mode_valid = pvgpu_pipe_mode_valid,
	.enable = pvgpu_pipe_enable,
	.disable = pvgpu_pipe_disable,
	.update = pvgpu_pipe_update,
	DRM_GEM_SIMPLE_DISPLAY_PIPE_SHADOW_PLANE_FUNCS,
};

static const struct drm_mode_config_funcs pvgpu_mode_config_funcs = {
	.fb_create = drm_gem_fb_create_with_dirty,
	.atomic_check = drm_atomic_helper_check,
	.atomic_commit = drm_atomic_helper_commit,
};

/*
 * From the DISPLAY interrupt: the backend offers a new preferred mode
 * (display_serial moved, e.g. a viewer window was resized). Userspace, or
 * the fbdev console, re-probes the connector and may switch to it.
 */
void pvgpu_kms_check_mode_offer(struct pvgpu_device *pd)
{
	u32 serial = smp_load_acquire(&pd->ctrl->display_serial);

	if (serial == READ_ONCE(pd->display_serial_seen))
		return;
	WRITE_ONCE(pd->display_serial_seen, serial);
	schedule_work(&pd->mode_work);
}

void pvgpu_mode_work(struct work_struct *work)
{
	struct pvgpu_device *pd = container_of(work, struct pvgpu_device,
					       mode_work);
	u32 w, h;

	if (!pd->drm.registered)
		return;
	pvgpu_preferred_size(pd, &w, &h);
	atomic64_inc(&pd->counters.mode_offers);
	drm_dbg_kms(&pd->drm, "backend offers %ux%u; re-probing\n", w, h);
	drm_kms_helper_hotplug_event(&pd->drm);
}

/*
 * Called after every handshake: the new backend has no resources, so the
 * scanout is rebuilt from the framebuffer, which lives in BAR2.
 */
void pvgpu_kms_recover(struct pvgpu_device *pd)
{
	bool rebuilt = false;

	WRITE_ONCE(pd->display_serial_seen,
		   smp_load_acquire(&pd->ctrl->display_serial));
	mutex_lock(&pd->display_lock);
	pd->scanout.in_backend = false;
	if (pd->scanout.enabled)
		rebuilt = pvgpu_scanout_build(pd) == 0;
	mutex_unlock(&pd->display_lock);
	if (rebuilt) {
		atomic64_inc(&pd->counters.recoveries);
		drm_info(&pd->drm, "scanout %ux%u restored in the backend\n",
			 pd->scanout.width, pd->scanout.height);
	}
	pvgpu_cursor_recover(pd);
	/* the new backend may prefer another mode */
	if (pd->drm.registered)
		drm_kms_helper_hotplug_event(&pd->drm);
}

int pvgpu_kms_init(struct pvgpu_device *pd)
{
	struct drm_device *drm = &pd->drm;
	int ret;

	/* before the mode config: released after it, so after the planes
	 * let go of their framebuffers */
	ret = pvgpu_heap_init(pd);
	if (ret)
		return ret;
	ret = drmm_mode_config_init(drm);
	if (ret)
		return ret;
	drm->mode_config.min_width = 1;
	drm->mode_config.min_height = 1;
	drm->mode_config.max_width = PVGPU_MAX_DIMENSION;
	drm->mode_config.max_height = PVGPU_MAX_DIMENSION;
	drm->mode_config.preferred_depth = 24;
	drm->mode_config.funcs = &pvgpu_mode_config_funcs;

	ret = pvgpu_cursor_init(pd);
	if (ret)
		return ret;
	drm_connector_helper_add(&pd->connector, &pvgpu_connector_helper_funcs);
	ret = drm_connector_init(drm, &pd->connector, &pvgpu_connector_funcs,
				 DRM_MODE_CONNECTOR_VIRTUAL);
	if (ret)
		return ret;

	ret = drm_simple_display_pipe_init(drm, &pd->pipe, &pvgpu_pipe_funcs,
					   pvgpu_formats,
					   ARRAY_SIZE(pvgpu_formats), NULL,
					   &pd->connector);
	if (ret)
		return ret;
	drm_plane_enable_fb_damage_clips(&pd->pipe.plane);
	/* the simple pipe has no cursor plane of its own; the legacy cursor
	 * ioctls find ours here */
	pd->pipe.crtc.cursor = &pd->cursor_plane;
	drm->mode_config.cursor_width = PVGPU_CURSOR_MAX_SIZE;
	drm->mode_config.cursor_height = PVGPU_CURSOR_MAX_SIZE;
	drm_mode_config_reset(drm);
	return 0;
}
