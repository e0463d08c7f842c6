// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The cursor plane: an ARGB8888 framebuffer of at most 64x64 pixels, sent
 * to the backend as its own resource (SET_CURSOR), which QEMU's UIs draw
 * as the pointer. Its pixels go through a staging area at the end of the
 * heap, which also survives a backend restart: the pointer comes back
 * with the scanout.
 */
#include <drm/drm_atomic.h>
#include <drm/drm_atomic_helper.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_framebuffer.h>
#include <drm/drm_gem_atomic_helper.h>
#include <drm/drm_plane.h>
#include <drm/drm_print.h>

#include "pvgpu_drv.h"

static const u32 pvgpu_cursor_formats[] = { DRM_FORMAT_ARGB8888 };

static u64 pvgpu_cursor_staging(struct pvgpu_device *pd)
{
	return pd->layout.heap_size - PVGPU_CURSOR_AREA;	/* heap-relative */
}

struct pvgpu_cursor_args {
	struct pvgpu_cursor *c;
	bool shape;
};

static int pvgpu_emit_cursor(struct pvgpu_device *pd, void *arg)
{
	struct pvgpu_cursor_args *a = arg;
	struct pvgpu_cursor *c = a->c;
	struct pvgpu_cmd_set_cursor cmd = {
		.x = c->x + (s32)c->hot_x,
		.y = c->y + (s32)c->hot_y,
	};
	int ret = 0;

	if (a->shape) {
		struct pvgpu_rect all = { 0, 0, c->width, c->height };

		if (c->resource_id)
			ret = pvgpu_cmd_destroy(pd, c->resource_id);
		if (++pd->next_resource_id == 0)
			++pd->next_resource_id;
		c->resource_id = pd->next_resource_id;
		if (!ret)
			ret = pvgpu_cmd_create_2d(pd, c->resource_id,
						  PVGPU_FORMAT_B8G8R8A8_UNORM,
						  c->width, c->height);
		if (!ret)
			ret = pvgpu_cmd_upload(pd, c->resource_id,
					       c->width * 4,
					       pvgpu_cursor_staging(pd), &all);
		cmd.flags = PVGPU_CURSOR_FLAG_SHAPE;
	}
	if (c->visible) {
		cmd.resource_id = c->resource_id;
		cmd.hot_x = c->hot_x;
		cmd.hot_y = c->hot_y;
	}
	if (!ret)
		ret = pvgpu_ring_emit(pd, &cmd, PVGPU_CMD_SET_CURSOR,
				      sizeof(cmd));
	return ret;
}

/* Sends the cursor's state; with shape, its image from the staging area
 * in a new resource. Caller holds display_lock. */
static void pvgpu_cursor_send(struct pvgpu_device *pd, bool shape)
{
	struct pvgpu_cursor_args args = { .c = &pd->cursor, .shape = shape };
	int ret;

	lockdep_assert_held(&pd->display_lock);
	if (!READ_ONCE(pd->cursor_supported) || !pd->cursor.width)
		return;
	if (!pd->cursor.in_backend) {
		args.shape = true;
		pd->cursor.resource_id = 0;	/* the new backend has none */
	}
	ret = pvgpu_submit_and_wait(pd, pvgpu_emit_cursor, &args);
	pd->cursor.in_backend = ret == 0;
	if (ret)
		drm_dbg_kms(&pd->drm, "cursor update failed: %d\n", ret);
	else
		atomic64_inc(&pd->counters.cursor_updates);
}

static int pvgpu_cursor_atomic_check(struct drm_plane *plane,
				     struct drm_atomic_state *state)
{
	struct drm_plane_state *new = drm_atomic_get_new_plane_state(state,
								     plane);
	struct drm_crtc_state *crtc_state = NULL;

	if (new->fb && (new->fb->width > PVGPU_CURSOR_MAX_SIZE ||
			new->fb->height > PVGPU_CURSOR_MAX_SIZE))
		return -EINVAL;
	if (new->crtc)
		crtc_state = drm_atomic_get_new_crtc_state(state, new->crtc);
	return drm_atomic_helper_check_plane_state(new, crtc_state,
						   DRM_PLANE_NO_SCALING,
						   DRM_PLANE_NO_SCALING,
						   true, true);
}

static void pvgpu_cursor_atomic_update(struct drm_plane *plane,
				       struct drm_atomic_state *state)
{
	struct pvgpu_device *pd = to_pvgpu(plane->dev);
	struct drm_plane_state *new = drm_atomic_get_new_plane_state(state,
								     plane);
	struct drm_plane_state *old = drm_atomic_get_old_plane_state(state,
								     plane);
	struct drm_shadow_plane_state *shadow = to_drm_shadow_plane_state(new);
	struct pvgpu_cursor *c = &pd->cursor;
	struct drm_framebuffer *fb = new->fb;
	bool shape = false;

	mutex_lock(&pd->display_lock);
	c->visible = fb && new->visible;
	c->x = new->crtc_x;
	c->y = new->crtc_y;
	if (fb && (fb != old->fb || fb->hot_x != c->hot_x ||
		   fb->hot_y != c->hot_y || !c->width)) {
		const u8 *src = shadow->data[0].vaddr;
		u8 *dst = pd->heap + pvgpu_cursor_staging(pd);
		u32 y;

		c->width = fb->width;
		c->height = fb->height;
		c->hot_x = min_t(u32, fb->hot_x, fb->width - 1);
		c->hot_y = min_t(u32, fb->hot_y, fb->height - 1);
		for (y = 0; y < fb->height; y++)
			memcpy(dst + y * fb->width * 4,
			       src + (size_t)y * fb->pitches[0],
			       fb->width * 4);
		shape = true;
	}
	pvgpu_cursor_send(pd, shape);
	mutex_unlock(&pd->display_lock);
}

static void pvgpu_cursor_atomic_disable(struct drm_plane *plane,
					struct drm_atomic_state *state)
{
	struct pvgpu_device *pd = to_pvgpu(plane->dev);

	mutex_lock(&pd->display_lock);
	pd->cursor.visible = false;
	pvgpu_cursor_send(pd, false);
	mutex_unlock(&pd->display_lock);
}

static const struct drm_plane_helper_funcs pvgpu_cursor_helper_funcs = {
	DRM_GEM_SHADOW_PLANE_HELPER_FUNCS,
	.atomic_check = pvgpu_cursor_atomic_check,
	.atomic_update = pvgpu_cursor_atomic_update,
	.atomic_disable = pvgpu_cursor_atomic_disable,
};

static const struct drm_plane_funcs pvgpu_cursor_funcs = {
	.update_plane = drm_atomic_helper_update_plane,
	.disable_plane = drm_atomic_helper_disable_plane,
	.destroy = drm_plane_cleanup,
	DRM_GEM_SHADOW_PLANE_FUNCS,
};

/* Before the display pipe: its CRTC (index 0) is the cursor's. */
int pvgpu_cursor_init(struct pvgpu_device *pd)
{
	int ret;

	ret = drm_universal_plane_init(&pd->drm, &pd->cursor_plane, BIT(0),
				       &pvgpu_cursor_funcs,
				       pvgpu_cursor_formats,
				       ARRAY_SIZE(pvgpu_cursor_formats), NULL,
				       DRM_PLANE_TYPE_CURSOR, NULL);
	if (ret)
		return ret;
	drm_plane_helper_add(&pd->cursor_plane, &pvgpu_cursor_helper_funcs);
	return 0;
}

/* After a handshake: the new backend gets the pointer again. */
void pvgpu_cursor_recover(struct pvgpu_device *pd)
{
	mutex_lock(&pd->display_lock);
	pd->cursor.in_backend = false;
	if (pd->cursor.visible)
		pvgpu_cursor_send(pd, true);
	mutex_unlock(&pd->display_lock);
}
