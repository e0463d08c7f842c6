// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * PVGPU guest driver: PCI probe and remove. The device, its registers and
 * its shared memory are described in protocol/SPEC.md.
 *
 * Probe succeeds without a backend: the display stays blank until the
 * device reports READY, which arrives as the DEVICE vector.
 */
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>

#include <drm/drm_aperture.h>
#include <drm/drm_atomic_helper.h>
#include <drm/drm_drv.h>
#include <drm/drm_fb_helper.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_print.h>

#include "pvgpu_drv.h"

unsigned int pvgpu_fence_timeout_ms = 5000;
module_param_named(fence_timeout_ms, pvgpu_fence_timeout_ms, uint, 0644);
MODULE_PARM_DESC(fence_timeout_ms,
		 "longest wait for a fence or ring space, in ms (default 5000)");

static unsigned int pvgpu_ready_timeout_ms = 3000;
module_param_named(ready_timeout_ms, pvgpu_ready_timeout_ms, uint, 0444);
MODULE_PARM_DESC(ready_timeout_ms,
		 "how long probe waits for the backend after reset, in ms (default 3000)");

DEFINE_DRM_GEM_FOPS(pvgpu_fops);

static const struct drm_driver pvgpu_drm_driver = {
	.driver_features = DRIVER_MODESET | DRIVER_GEM | DRIVER_ATOMIC,
	.fops = &pvgpu_fops,
	.dumb_create = pvgpu_dumb_create,
	.name = PVGPU_DRIVER_NAME,
	.desc = "PVGPU paravirtualized GPU",
	.date = "20250101",
	.major = 1,
	.minor = 0,
};

static void pvgpu_release_shmem_region(void *data)
{
	pci_release_region(data, PVGPU_BAR_SHMEM);
}

/* Checks the register block and maps BAR0 and BAR2. */
static int pvgpu_map(struct pvgpu_device *pd)
{
	struct pci_dev *pdev = pd->pdev;
	u32 magic, version;
	u64 shmem_size;
	int ret;

	if (pci_resource_len(pdev, PVGPU_BAR_REGS) < PVGPU_BAR0_SIZE) {
		dev_err(&pdev->dev, "BAR0 is smaller than %u bytes\n",
			PVGPU_BAR0_SIZE);
		return -ENODEV;
	}
	ret = pcim_iomap_regions(pdev, BIT(PVGPU_BAR_REGS), PVGPU_DRIVER_NAME);
	if (ret)
		return ret;
	pd->regs = pcim_iomap_table(pdev)[PVGPU_BAR_REGS];

	magic = pvgpu_read(pd, PVGPU_REG_MAGIC);
	version = pvgpu_read(pd, PVGPU_REG_VERSION);
	if (magic != PVGPU_MAGIC) {
		dev_err(&pdev->dev, "not a PVGPU register block (magic 0x%08x)\n",
			magic);
		return -ENODEV;
	}
	if (version >> 16 != PVGPU_VERSION_MAJOR) {
		dev_err(&pdev->dev, "protocol %u.%u is not supported (driver speaks %u.x)\n",
			version >> 16, version & 0xffff, PVGPU_VERSION_MAJOR);
		return -ENODEV;
	}

	shmem_size = (u64)pvgpu_read(pd, PVGPU_REG_SHMEM_SIZE_HI) << 32 |
		     pvgpu_read(pd, PVGPU_REG_SHMEM_SIZE_LO);
	ret = pvgpu_layout_compute(shmem_size, &pd->layout);
	if (ret) {
		dev_err(&pdev->dev, "SHMEM_SIZE %llu: %s\n", shmem_size,
			pvgpu_codec_strerror(ret));
		return -ENODEV;
	}
	if (pci_resource_len(pdev, PVGPU_BAR_SHMEM) < shmem_size) {
		dev_err(&pdev->dev, "BAR2 (%llu bytes) is smaller than SHMEM_SIZE %llu\n",
			(u64)pci_resource_len(pdev, PVGPU_BAR_SHMEM),
			shmem_size);
		return -ENODEV;
	}

	ret = pci_request_region(pdev, PVGPU_BAR_SHMEM, PVGPU_DRIVER_NAME);
	if (ret)
		return ret;
	ret = devm_add_action_or_reset(&pdev->dev, pvgpu_release_shmem_region,
				       pdev);
	if (ret)
		return ret;
	/* ordinary RAM on the host side, shared with the backend process */
	pd->shmem = devm_memremap(&pdev->dev,
				  pci_resource_start(pdev, PVGPU_BAR_SHMEM),
				  shmem_size, MEMREMAP_WB);
	if (IS_ERR(pd->shmem))
		return PTR_ERR(pd->shmem);
	pd->ctrl = pd->shmem;
	pd->ring = (u8 *)pd->shmem + pd->layout.ring_offset;
	pd->heap = (u8 *)pd->shmem + pd->layout.heap_offset;
	return 0;
}

/*
 * Resets the device, which reinitialises the control region and makes it
 * reconnect to its backend, and waits a bounded time for READY.
 */
static void pvgpu_reset_and_wait(struct pvgpu_device *pd)
{
	pvgpu_ring_reset(pd);
	pvgpu_write(pd, PVGPU_REG_RESET, PVGPU_RESET_VALUE);
	wait_event_timeout(pd->state_wq, READ_ONCE(pd->live_gen) != 0,
			   msecs_to_jiffies(pvgpu_ready_timeout_ms));
	/* in case the DEVICE vector never came, look once ourselves */
	schedule_work(&pd->device_work);
	flush_work(&pd->device_work);
	if (!READ_ONCE(pd->live_gen))
		drm_info(&pd->drm, "backend not ready yet (status 0x%x); the display stays blank until it is\n",
			 pvgpu_read(pd, PVGPU_REG_STATUS));
}

static int pvgpu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct pvgpu_device *pd;
	int ret;

	ret = drm_aperture_remove_conflicting_pci_framebuffers(pdev,
							       &pvgpu_drm_driver);
	if (ret)
		return ret;
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	/* MSI-X messages are memory writes by the device */
	pci_set_master(pdev);

	pd = devm_drm_dev_alloc(&pdev->dev, &pvgpu_drm_driver,
				struct pvgpu_device, drm);
	if (IS_ERR(pd))
		return PTR_ERR(pd);
	pd->pdev = pdev;
	pci_set_drvdata(pdev, pd);
	mutex_init(&pd->ring_lock);
	mutex_init(&pd->display_lock);
	spin_lock_init(&pd->fence_lock);
	init_waitqueue_head(&pd->fence_wq);
	init_waitqueue_head(&pd->state_wq);
	INIT_WORK(&pd->device_work, pvgpu_device_work);
	INIT_WORK(&pd->mode_work, pvgpu_mode_work);

	ret = pvgpu_map(pd);
	if (ret)
		return ret;
	ret = pvgpu_irq_init(pd);
	if (ret)
		return ret;
	pvgpu_reset_and_wait(pd);

	ret = pvgpu_kms_init(pd);
	if (ret)
		goto err_irq;
	ret = drm_dev_register(&pd->drm, 0);
	if (ret)
		goto err_irq;
	pvgpu_debugfs_init(pd);
	drm_info(&pd->drm, "PVGPU %u.%u bound: BAR2 %llu MiB, heap %llu MiB, %s\n",
		 PVGPU_VERSION_MAJOR, PVGPU_VERSION_MINOR,
		 pd->layout.shmem_size >> 20, pd->layout.heap_size >> 20,
		 READ_ONCE(pd->live_gen) ? "backend ready" : "no backend yet");
	drm_fbdev_generic_setup(&pd->drm, 32);
	return 0;

err_irq:
	pvgpu_irq_fini(pd);
	cancel_work_sync(&pd->device_work);
	cancel_work_sync(&pd->mode_work);
	return ret;
}

static void pvgpu_remove(struct pci_dev *pdev)
{
	struct pvgpu_device *pd = pci_get_drvdata(pdev);

	pvgpu_debugfs_fini(pd);
	drm_dev_unplug(&pd->drm);
	/* disables the pipe, which destroys the backend's resource */
	drm_atomic_helper_shutdown(&pd->drm);
	pvgpu_irq_fini(pd);
	cancel_work_sync(&pd->device_work);
	cancel_work_sync(&pd->mode_work);
}

static void pvgpu_shutdown(struct pci_dev *pdev)
{
	struct pvgpu_device *pd = pci_get_drvdata(pdev);

	drm_atomic_helper_shutdown(&pd->drm);
}

static const struct pci_device_id pvgpu_pci_ids[] = {
	{ PCI_DEVICE(PVGPU_PCI_VENDOR_ID, PVGPU_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, pvgpu_pci_ids);

static struct pci_driver pvgpu_pci_driver = {
	.name = PVGPU_DRIVER_NAME,
	.id_table = pvgpu_pci_ids,
	.probe = pvgpu_probe,
	.remove = pvgpu_remove,
	.shutdown = pvgpu_shutdown,
};

static int __init pvgpu_init(void)
{
	int ret;

	pvgpu_debugfs_module_init();
	ret = pci_register_driver(&pvgpu_pci_driver);
	if (ret)
		pvgpu_debugfs_module_exit();
	return ret;
}

static void __exit pvgpu_exit(void)
{
	pci_unregister_driver(&pvgpu_pci_driver);
	pvgpu_debugfs_module_exit();
}

module_init(pvgpu_init);
module_exit(pvgpu_exit);

MODULE_DESCRIPTION("PVGPU paravirtualized GPU");
MODULE_LICENSE("Dual MIT/GPL");
