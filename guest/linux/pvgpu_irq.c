// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Interrupts (protocol/SPEC.md, "Interrupts"): one MSI-X vector per event
 * when the platform gives us four, else one line shared by all events and
 * demultiplexed through IRQ_STATUS (INTx). Handlers only read state, count,
 * wake waiters and schedule device_work; nothing here submits commands.
 */
#include <linux/bitops.h>
#include <linux/interrupt.h>

#include <drm/drm_print.h>

#include "pvgpu_drv.h"

#define PVGPU_VECTOR_BITS GENMASK(PVGPU_NUM_VECTORS - 1, 0)

static const char *const pvgpu_vector_names[PVGPU_NUM_VECTORS] = {
	[PVGPU_VECTOR_FENCE] = "pvgpu-fence",
	[PVGPU_VECTOR_DISPLAY] = "pvgpu-display",
	[PVGPU_VECTOR_ERROR] = "pvgpu-error",
	[PVGPU_VECTOR_DEVICE] = "pvgpu-device",
};

/* Ends every wait on the current backend at once. */
void pvgpu_backend_lost(struct pvgpu_device *pd)
{
	WRITE_ONCE(pd->live_gen, 0);
	wake_up_all(&pd->fence_wq);
	wake_up_all(&pd->state_wq);
}

static void pvgpu_handle_error(struct pvgpu_device *pd)
{
	struct pvgpu_control *c = pd->ctrl;
	u32 count = READ_ONCE(c->error_count);
	u32 code = READ_ONCE(c->error_code);
	u32 prev = atomic_xchg(&pd->last_error_count, count);
	/* error_count restarts at 0 with every handshake */
	u32 fresh = count >= prev ? count - prev : count;

	atomic64_add(fresh, &pd->counters.backend_errors);
	if (fresh && code != PVGPU_ERROR_NONE)
		dev_warn_ratelimited(pd->drm.dev,
				     "backend refused command type 0x%x id %u at ring index %llu: %s (0x%x, detail 0x%llx); %u errors so far\n",
				     READ_ONCE(c->error_cmd_type),
				     READ_ONCE(c->error_cmd_id),
				     READ_ONCE(c->error_ring_offset),
				     pvgpu_error_name(code), code,
				     READ_ONCE(c->error_detail), count);
	/* acknowledge: the backend may report the next one */
	WRITE_ONCE(c->error_code, 0);
	pvgpu_write(pd, PVGPU_REG_STATUS, PVGPU_STATUS_ERROR);
}

static void pvgpu_handle_device(struct pvgpu_device *pd)
{
	u32 status = pvgpu_read(pd, PVGPU_REG_STATUS);

	if ((status & PVGPU_STATUS_DEVICE_LOST) ||
	    !(status & PVGPU_STATUS_READY))
		pvgpu_backend_lost(pd);
	/* READY with a new generation is handled in process context */
	schedule_work(&pd->device_work);
}

static void pvgpu_dispatch(struct pvgpu_device *pd, unsigned int vector)
{
	atomic64_inc(&pd->counters.irqs[vector]);
	switch (vector) {
	case PVGPU_VECTOR_FENCE:
		pvgpu_fence_update(pd);
		wake_up_all(&pd->fence_wq);
		break;
	case PVGPU_VECTOR_DISPLAY:
		/* our presents ask for no interrupt (the fence behind them
		 * is what we wait on): this is a new preferred mode */
		pvgpu_kms_check_mode_offer(pd);
		break;
	case PVGPU_VECTOR_ERROR:
		pvgpu_handle_error(pd);
		break;
	case PVGPU_VECTOR_DEVICE:
		pvgpu_handle_device(pd);
		break;
	}
}

static irqreturn_t pvgpu_msix_handler(int irq, void *data)
{
	struct pvgpu_vector *v = data;

	/* clear first: a raise after this point sends a new message */
	pvgpu_write(v->pd, PVGPU_REG_IRQ_STATUS, BIT(v->index));
	pvgpu_dispatch(v->pd, v->index);
	return IRQ_HANDLED;
}

static irqreturn_t pvgpu_shared_handler(int irq, void *data)
{
	struct pvgpu_device *pd = data;
	unsigned long pending;
	unsigned int vector;

	pending = pvgpu_read(pd, PVGPU_REG_IRQ_STATUS) & PVGPU_VECTOR_BITS;
	if (!pending) {
		atomic64_inc(&pd->counters.irqs_spurious);
		return IRQ_NONE;
	}
	/* W1C deasserts the line before we act on the events */
	pvgpu_write(pd, PVGPU_REG_IRQ_STATUS, pending);
	for_each_set_bit(vector, &pending, PVGPU_NUM_VECTORS)
		pvgpu_dispatch(pd, vector);
	return IRQ_HANDLED;
}

/*
 * Handles STATUS changes: a lost backend, and READY with a new generation,
 * after which the scanout is rebuilt in the new backend.
 */
void pvgpu_device_work(struct work_struct *work)
{
	struct pvgpu_device *pd = container_of(work, struct pvgpu_device,
					       device_work);
	u32 status = pvgpu_read(pd, PVGPU_REG_STATUS);
	u32 gen = pvgpu_read(pd, PVGPU_REG_GENERATION);
	u32 features;

	if (status & PVGPU_STATUS_DEVICE_LOST) {
		pvgpu_write(pd, PVGPU_REG_STATUS, PVGPU_STATUS_DEVICE_LOST);
		atomic64_inc(&pd->counters.device_lost);
		pvgpu_backend_lost(pd);
		drm_info(&pd->drm, "backend lost; display waits for it to return\n");
	}
	if (!(status & PVGPU_STATUS_READY)) {
		pvgpu_backend_lost(pd);
		return;
	}
	if (gen == 0 || gen == READ_ONCE(pd->live_gen))
		return;
	if (!pvgpu_control_matches(pd->ctrl, &pd->layout)) {
		drm_err(&pd->drm, "control region layout does not match BAR2; not using the ring\n");
		return;
	}
	features = pvgpu_read(pd, PVGPU_REG_FEATURES_LO);
	if (!(features & PVGPU_FEATURE_2D)) {
		drm_err(&pd->drm, "backend (generation %u) lacks the 2D command set (features 0x%08x)\n",
			gen, features);
		return;
	}

	WRITE_ONCE(pd->cursor_supported, features & PVGPU_FEATURE_CURSOR);
	atomic_set(&pd->last_error_count, READ_ONCE(pd->ctrl->error_count));
	WRITE_ONCE(pd->live_gen, gen);
	atomic64_inc(&pd->counters.handshakes);
	wake_up_all(&pd->state_wq);
	drm_info(&pd->drm, "backend ready (generation %u, features 0x%08x)\n",
		 gen, features);
	pvgpu_kms_recover(pd);
}

int pvgpu_irq_init(struct pvgpu_device *pd)
{
	struct pci_dev *pdev = pd->pdev;
	unsigned int i;
	int ret;

	ret = pci_alloc_irq_vectors(pdev, 1, PVGPU_NUM_VECTORS,
				    PCI_IRQ_MSIX | PCI_IRQ_LEGACY);
	if (ret < 0)
		return ret;
	pd->nvec = ret;
	pd->msix = pdev->msix_enabled;

	if (pd->msix && pd->nvec == PVGPU_NUM_VECTORS) {
		for (i = 0; i < PVGPU_NUM_VECTORS; i++) {
			pd->vectors[i].pd = pd;
			pd->vectors[i].index = i;
			ret = request_irq(pci_irq_vector(pdev, i),
					  pvgpu_msix_handler, 0,
					  pvgpu_vector_names[i], &pd->vectors[i]);
			if (ret)
				goto err_free;
		}
	} else {
		if (pd->msix)
			drm_warn(&pd->drm, "only %d MSI-X vectors; sharing one\n",
				 pd->nvec);
		pd->nvec = 1;
		i = 1;
		ret = request_irq(pci_irq_vector(pdev, 0), pvgpu_shared_handler,
				  pd->msix ? 0 : IRQF_SHARED, PVGPU_DRIVER_NAME,
				  pd);
		if (ret) {
			i = 0;
			goto err_free;
		}
	}
	drm_info(&pd->drm, "interrupts: %s, %d vector%s\n",
		 pd->msix ? "MSI-X" : "INTx", pd->nvec, pd->nvec > 1 ? "s" : "");
	return 0;

err_free:
	while (i--)
		free_irq(pci_irq_vector(pdev, i),
			 pd->nvec == PVGPU_NUM_VECTORS ?
			 (void *)&pd->vectors[i] : (void *)pd);
	pci_free_irq_vectors(pdev);
	return ret;
}

void pvgpu_irq_fini(struct pvgpu_device *pd)
{
	struct pci_dev *pdev = pd->pdev;
	int i;

	/* silence the INTx line before its handler goes */
	pvgpu_write(pd, PVGPU_REG_IRQ_MASK, PVGPU_VECTOR_BITS);
	if (pd->nvec == PVGPU_NUM_VECTORS) {
		for (i = 0; i < PVGPU_NUM_VECTORS; i++)
			free_irq(pci_irq_vector(pdev, i), &pd->vectors[i]);
	} else {
		free_irq(pci_irq_vector(pdev, 0), pd);
	}
	pci_free_irq_vectors(pdev);
}
