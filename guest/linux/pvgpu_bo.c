// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Dumb buffers in BAR2's heap: each buffer is a range of the shared memory
 * the backend reads, so a plane update uploads straight from the
 * framebuffer, without a copy in the guest. Userspace maps the BAR pages
 * themselves (write-back: on the host they are ordinary RAM). The last
 * PVGPU_CURSOR_AREA bytes of the heap stay the cursor's staging area.
 */
#include <linux/io.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>

#include <drm/drm_drv.h>
#include <drm/drm_framebuffer.h>
#include <drm/drm_gem.h>
#include <drm/drm_managed.h>
#include <drm/drm_mode.h>
#include <drm/drm_print.h>

#include "pvgpu_drv.h"

static void pvgpu_bo_free(struct drm_gem_object *obj)
{
	struct pvgpu_bo *bo = to_pvgpu_bo(obj);
	struct pvgpu_device *pd = to_pvgpu(obj->dev);

	mutex_lock(&pd->heap_lock);
	drm_mm_remove_node(&bo->node);
	mutex_unlock(&pd->heap_lock);
	drm_gem_object_release(obj);
	kfree(bo);
}

static int pvgpu_bo_vmap(struct drm_gem_object *obj, struct iosys_map *map)
{
	struct pvgpu_device *pd = to_pvgpu(obj->dev);

	iosys_map_set_vaddr(map, pd->heap + to_pvgpu_bo(obj)->node.start);
	return 0;
}

static void pvgpu_bo_vunmap(struct drm_gem_object *obj,
			    struct iosys_map *map)
{
}

static int pvgpu_bo_mmap(struct drm_gem_object *obj,
			 struct vm_area_struct *vma)
{
	struct pvgpu_device *pd = to_pvgpu(obj->dev);
	struct pvgpu_bo *bo = to_pvgpu_bo(obj);
	unsigned long len = vma->vm_end - vma->vm_start;
	phys_addr_t phys = pci_resource_start(pd->pdev, PVGPU_BAR_SHMEM) +
			   pd->layout.heap_offset + bo->node.start;

	/* the fake offset that found this object */
	vma->vm_pgoff -= drm_vma_node_start(&obj->vma_node);
	if (vma->vm_pgoff || len > obj->size)
		return -EINVAL;
	vma->vm_flags |= VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
	return remap_pfn_range(vma, vma->vm_start, phys >> PAGE_SHIFT, len,
			       vma->vm_page_prot);
}

/* A mapping holds a reference on its object until it is unmapped. */
static const struct vm_operations_struct pvgpu_bo_vm_ops = {
	.open = drm_gem_vm_open,
	.close = drm_gem_vm_close,
};

static const struct drm_gem_object_funcs pvgpu_bo_funcs = {
	.free = pvgpu_bo_free,
	.vmap = pvgpu_bo_vmap,
	.vunmap = pvgpu_bo_vunmap,
	.mmap = pvgpu_bo_mmap,
	.vm_ops = &pvgpu_bo_vm_ops,
};

int pvgpu_dumb_create(struct drm_file *file, struct drm_device *dev,
		      struct drm_mode_create_dumb *args)
{
	struct pvgpu_device *pd = to_pvgpu(dev);
	struct pvgpu_bo *bo;
	u64 size;
	int ret;

	if (args->bpp != 32 || !args->width || !args->height ||
	    args->width > PVGPU_MAX_DIMENSION ||
	    args->height > PVGPU_MAX_DIMENSION)
		return -EINVAL;
	args->pitch = args->width * 4;
	size = PAGE_ALIGN((u64)args->pitch * args->height);
	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return -ENOMEM;
	mutex_lock(&pd->heap_lock);
	ret = drm_mm_insert_node_generic(&pd->heap_mm, &bo->node, size,
					 PAGE_SIZE, 0, DRM_MM_INSERT_BEST);
	mutex_unlock(&pd->heap_lock);
	if (ret) {
		kfree(bo);
		drm_dbg_kms(dev, "no room for a %ux%u buffer in the heap\n",
			    args->width, args->height);
		return -ENOMEM;
	}
	bo->base.funcs = &pvgpu_bo_funcs;
	drm_gem_private_object_init(dev, &bo->base, size);
	ret = drm_gem_create_mmap_offset(&bo->base);
	if (!ret)
		ret = drm_gem_handle_create(file, &bo->base, &args->handle);
	drm_gem_object_put(&bo->base);
	if (ret)
		return ret;
	args->size = size;
	return 0;
}

/* Heap-relative offset of a framebuffer's first byte, or -1 when its
 * object is not one of ours (imported). */
s64 pvgpu_fb_heap_offset(const struct drm_framebuffer *fb)
{
	struct drm_gem_object *obj = fb->obj[0];

	if (!obj || obj->funcs != &pvgpu_bo_funcs)
		return -1;
	return to_pvgpu_bo(obj)->node.start + fb->offsets[0];
}

/* With the DRM device, once every buffer (they hold it) is gone. */
static void pvgpu_heap_release(struct drm_device *dev, void *data)
{
	drm_mm_takedown(&to_pvgpu(dev)->heap_mm);
}

int pvgpu_heap_init(struct pvgpu_device *pd)
{
	mutex_init(&pd->heap_lock);
	drm_mm_init(&pd->heap_mm, 0, pd->layout.heap_size - PVGPU_CURSOR_AREA);
	return drmm_add_action_or_reset(&pd->drm, pvgpu_heap_release, NULL);
}
