/*
 * ABI checks beyond the header's own _Static_asserts: the header must be
 * self-contained, and its constants must agree with each other.
 */
#include "pvgpu_protocol.h"

#include <stdio.h>

_Static_assert(PVGPU_RING_SIZE % PVGPU_CMD_ALIGN == 0, "ring of whole slots");
_Static_assert((PVGPU_RING_SIZE & (PVGPU_RING_SIZE - 1)) == 0,
               "ring size is a power of two");
_Static_assert(PVGPU_HEAP_OFFSET < PVGPU_SHMEM_MIN_SIZE,
               "the smallest BAR2 still has a heap");
_Static_assert(sizeof(struct pvgpu_control) == PVGPU_CTRL_SIZE,
               "control region fills its page");
_Static_assert(offsetof(struct pvgpu_control, consumer) -
               offsetof(struct pvgpu_control, producer) >= 64,
               "producer and consumer on separate cache lines");
_Static_assert(PVGPU_REG_LAST < PVGPU_BAR0_SIZE, "registers fit BAR0");
_Static_assert(PVGPU_NUM_VECTORS <= 32, "IRQ_STATUS has a bit per vector");
_Static_assert(PVGPU_CMD_MAX_SIZE % PVGPU_CMD_ALIGN == 0, "max size aligned");
_Static_assert(PVGPU_IPC_MAX_PAYLOAD < 0x7fffffff, "bounded payload");
_Static_assert((PVGPU_FEATURE_2D & ~PVGPU_FEATURES_GUEST_MASK) == 0,
               "2D is a guest feature");
_Static_assert((PVGPU_FEATURE_SHMEM_FD & PVGPU_FEATURES_GUEST_MASK) == 0,
               "SHMEM_FD is a host feature");

int main(void)
{
    /* the PCI identity is fixed by the original description */
    if (PVGPU_PCI_VENDOR_ID != 0x1AF4 || PVGPU_PCI_DEVICE_ID != 0x10F0 ||
        PVGPU_PCI_CLASS_CODE != 0x030000 || PVGPU_PCI_REVISION != 0x01) {
        fprintf(stderr, "PCI identity differs from the seed description\n");
        return 1;
    }
    printf("1..1\nok 1 - ABI constants consistent\n");
    return 0;
}
