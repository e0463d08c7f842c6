/*
 * libFuzzer target: arbitrary bytes as a stream of IPC messages. Every
 * message the codec accepts must re-encode to the very same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pvgpu_codec.h"

static void check_reencode(const struct pvgpu_msg *msg, const uint8_t *wire,
                           size_t len)
{
    uint8_t buf[PVGPU_IPC_MAX_MSG_SIZE];
    size_t out = 0;
    int ret;

    switch (msg->type) {
    case PVGPU_MSG_HANDSHAKE:
        ret = pvgpu_ipc_encode_handshake(buf, sizeof(buf),
                                         msg->u.handshake.shmem_size,
                                         msg->u.handshake.name,
                                         msg->u.handshake.has_ext ?
                                         &msg->u.handshake.ext : NULL, &out);
        break;
    case PVGPU_MSG_HANDSHAKE_ACK:
        ret = pvgpu_ipc_encode_ack(buf, sizeof(buf), msg->u.ack.features, &out);
        break;
    case PVGPU_MSG_IRQ:
        ret = pvgpu_ipc_encode_irq(buf, sizeof(buf), msg->u.irq.vector, &out);
        break;
    case PVGPU_MSG_DISPLAY_SCANOUT:
        ret = pvgpu_ipc_encode_display_scanout(buf, sizeof(buf),
                                               &msg->u.scanout, &out);
        break;
    case PVGPU_MSG_DISPLAY_UPDATE:
        ret = pvgpu_ipc_encode_display_update(buf, sizeof(buf),
                                              &msg->u.update, &out);
        break;
    case PVGPU_MSG_DISPLAY_CURSOR:
        ret = pvgpu_ipc_encode_display_cursor(buf, sizeof(buf),
                                              &msg->u.cursor, &out);
        break;
    case PVGPU_MSG_DISPLAY_HINT:
        ret = pvgpu_ipc_encode_display_hint(buf, sizeof(buf), &msg->u.hint,
                                            &out);
        break;
    default:
        ret = pvgpu_ipc_encode_empty(buf, sizeof(buf), msg->type, &out);
        break;
    }
    if (ret != PVGPU_CODEC_OK || out != len || memcmp(buf, wire, len) != 0) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    while (size > 0) {
        struct pvgpu_msg msg;
        size_t consumed = 0;

        if (pvgpu_ipc_decode(data, size, &msg, &consumed) != PVGPU_CODEC_OK) {
            break;
        }
        if (consumed == 0 || consumed > size ||
            consumed > PVGPU_IPC_MAX_MSG_SIZE) {
            abort();
        }
        check_reencode(&msg, data, consumed);
        data += consumed;
        size -= consumed;
    }
    return 0;
}
