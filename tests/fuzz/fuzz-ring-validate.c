/*
 * libFuzzer target: arbitrary bytes as ring contents, fetched and validated
 * the way a backend walks the ring. The first 16 bytes choose the indices.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pvgpu_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *ring;
    static struct pvgpu_layout layout;
    _Alignas(16) uint8_t cmd[PVGPU_CMD_MAX_SIZE];
    struct pvgpu_cmd_error err;
    uint64_t consumer, producer;

    if (!ring) {
        if (pvgpu_layout_compute(PVGPU_SHMEM_MIN_SIZE, &layout) != 0) {
            abort();
        }
        ring = calloc(1, layout.ring_size);
    }
    if (size < 16) {
        return 0;
    }
    consumer = pvgpu_le64_load(data) & ~(uint64_t)(PVGPU_CMD_ALIGN - 1);
    producer = consumer + (pvgpu_le64_load(data + 8) % (layout.ring_size + 1));
    data += 16;
    size -= 16;

    memset(ring, 0, layout.ring_size);
    for (uint64_t i = 0; i < size && i < layout.ring_size; i++) {
        ring[(consumer + i) % layout.ring_size] = data[i];
    }
    if (pvgpu_ring_check_indices(&layout, consumer, producer, &err) != 0) {
        return 0;
    }
    for (unsigned n = 0; n < 4096 && consumer != producer; n++) {
        struct pvgpu_cmd_hdr hdr;

        if (pvgpu_ring_fetch(&layout, ring, consumer, producer, cmd, &hdr,
                             &err) != 0) {
            break;
        }
        if (hdr.size < 16 || hdr.size > producer - consumer) {
            abort();
        }
        (void)pvgpu_cmd_validate(&hdr, cmd, &layout, &err);
        consumer += hdr.size;
    }
    return 0;
}
