// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * /sys/kernel/debug/pvgpu/<pci-address>/
 *   counters  "name value" lines: submissions, fences, interrupts per
 *             vector, backend errors, device losses and recoveries
 *   garbage   write 1: submit hostile commands (pvgpu_garbage.c); the
 *             write fails unless the backend reported them and still serves
 *   wrap      write N: go N times around the ring (pvgpu_wrap.c); fails
 *             unless every fence completed and the backend refused nothing
 */
#include <linux/debugfs.h>
#include <linux/kstrtox.h>
#include <linux/seq_file.h>

#include "pvgpu_drv.h"

static struct dentry *pvgpu_debugfs_root;

static void pvgpu_show(struct seq_file *m, const char *name, atomic64_t *v)
{
	seq_printf(m, "%s %lld\n", name, atomic64_read(v));
}

static int pvgpu_counters_show(struct seq_file *m, void *unused)
{
	struct pvgpu_device *pd = m->private;
	struct pvgpu_counters *c = &pd->counters;
	u32 status = pvgpu_read(pd, PVGPU_REG_STATUS);

	seq_printf(m, "irq_mode %s\n", pd->msix ? "msix" : "intx");
	seq_printf(m, "live_generation %u\n", READ_ONCE(pd->live_gen));
	seq_printf(m, "status 0x%x\n", status);
	seq_printf(m, "producer %llu\n", READ_ONCE(pd->ctrl->producer));
	seq_printf(m, "consumer %llu\n", READ_ONCE(pd->ctrl->consumer));
	seq_printf(m, "fence_completed_id %llu\n",
		   READ_ONCE(pd->ctrl->fence_completed));
	pvgpu_show(m, "commands_submitted", &c->commands_submitted);
	pvgpu_show(m, "submit_failures", &c->submit_failures);
	pvgpu_show(m, "fences_submitted", &c->fences_submitted);
	pvgpu_show(m, "fences_completed", &c->fences_completed);
	pvgpu_show(m, "fence_timeouts", &c->fence_timeouts);
	pvgpu_show(m, "fence_aborts", &c->fence_aborts);
	pvgpu_show(m, "fence_wakeups", &c->fence_wakeups);
	pvgpu_show(m, "irq_fence", &c->irqs[PVGPU_VECTOR_FENCE]);
	pvgpu_show(m, "irq_display", &c->irqs[PVGPU_VECTOR_DISPLAY]);
	pvgpu_show(m, "irq_error", &c->irqs[PVGPU_VECTOR_ERROR]);
	pvgpu_show(m, "irq_device", &c->irqs[PVGPU_VECTOR_DEVICE]);
	pvgpu_show(m, "irq_spurious", &c->irqs_spurious);
	pvgpu_show(m, "backend_errors", &c->backend_errors);
	pvgpu_show(m, "device_lost", &c->device_lost);
	pvgpu_show(m, "handshakes", &c->handshakes);
	pvgpu_show(m, "recoveries", &c->recoveries);
	pvgpu_show(m, "mode_offers", &c->mode_offers);
	pvgpu_show(m, "cursor_updates", &c->cursor_updates);
	pvgpu_show(m, "presents", &c->presents);
	pvgpu_show(m, "upload_bytes", &c->uploads_bytes);
	pvgpu_show(m, "ring_wraps", &c->ring_wraps);
	pvgpu_show(m, "ring_pads", &c->ring_pads);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvgpu_counters);

static ssize_t pvgpu_garbage_write(struct file *file, const char __user *buf,
				   size_t len, loff_t *pos)
{
	struct pvgpu_device *pd = file->private_data;
	bool run;
	int ret;

	ret = kstrtobool_from_user(buf, len, &run);
	if (ret)
		return ret;
	if (run) {
		ret = pvgpu_garbage_run(pd);
		if (ret)
			return ret;
	}
	return len;
}

static const struct file_operations pvgpu_garbage_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = pvgpu_garbage_write,
	.llseek = no_llseek,
};

static ssize_t pvgpu_wrap_write(struct file *file, const char __user *buf,
				size_t len, loff_t *pos)
{
	struct pvgpu_device *pd = file->private_data;
	unsigned int laps;
	int ret;

	ret = kstrtouint_from_user(buf, len, 10, &laps);
	if (ret)
		return ret;
	ret = pvgpu_wrap_run(pd, laps);
	return ret ? ret : len;
}

static const struct file_operations pvgpu_wrap_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = pvgpu_wrap_write,
	.llseek = no_llseek,
};

void pvgpu_debugfs_init(struct pvgpu_device *pd)
{
	pd->debugfs = debugfs_create_dir(pci_name(pd->pdev), pvgpu_debugfs_root);
	debugfs_create_file("counters", 0444, pd->debugfs, pd,
			    &pvgpu_counters_fops);
	debugfs_create_file("garbage", 0200, pd->debugfs, pd,
			    &pvgpu_garbage_fops);
	debugfs_create_file("wrap", 0200, pd->debugfs, pd, &pvgpu_wrap_fops);
}

void pvgpu_debugfs_fini(struct pvgpu_device *pd)
{
	debugfs_remove_recursive(pd->debugfs);
	pd->debugfs = NULL;
}

void pvgpu_debugfs_module_init(void)
{
	pvgpu_debugfs_root = debugfs_create_dir(PVGPU_DRIVER_NAME, NULL);
}

void pvgpu_debugfs_module_exit(void)
{
	debugfs_remove_recursive(pvgpu_debugfs_root);
}
