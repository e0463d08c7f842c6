/* SPDX-License-Identifier: MIT */
/*
 * PVGPU codec: the one implementation of encoding and decoding IPC messages
 * and of validating ring commands, shared by the QEMU device, the backend,
 * the tools and the tests. Header-only so that QEMU's tree can use it as is.
 *
 * Every decoder bounds lengths before it reads and never trusts a size that
 * came from the peer or the guest.
 */
#ifndef PVGPU_CODEC_H
#define PVGPU_CODEC_H

#include "pvgpu_protocol.h"

#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <stdbool.h>
#include <string.h>
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the shared-memory structs are little-endian; port the accessors"
#endif

enum pvgpu_codec_status {
    PVGPU_CODEC_OK = 0,
    PVGPU_CODEC_ERR_TRUNCATED,          /* fewer bytes than announced */
    PVGPU_CODEC_ERR_UNKNOWN_TYPE,       /* msg_type not in enum */
    PVGPU_CODEC_ERR_PAYLOAD_TOO_LARGE,  /* above PVGPU_IPC_MAX_PAYLOAD */
    PVGPU_CODEC_ERR_PAYLOAD_SIZE,       /* size not valid for the type */
    PVGPU_CODEC_ERR_NAME_UNTERMINATED,  /* no NUL in the name */
    PVGPU_CODEC_ERR_NAME_TOO_LONG,      /* name longer than allowed */
    PVGPU_CODEC_ERR_EXTENSION,          /* malformed handshake extension */
    PVGPU_CODEC_ERR_NO_SPACE,           /* encode buffer too small */
    PVGPU_CODEC_ERR_SHMEM_SIZE,         /* not a valid BAR2 size */
    PVGPU_CODEC_ERR_DISPLAY,            /* invalid DISPLAY_* fields */
};

static inline const char *pvgpu_codec_strerror(int status)
{
    switch (status) {
    case PVGPU_CODEC_OK:
        return "success";
    case PVGPU_CODEC_ERR_TRUNCATED:
        return "message truncated";
    case PVGPU_CODEC_ERR_UNKNOWN_TYPE:
        return "unknown message type";
    case PVGPU_CODEC_ERR_PAYLOAD_TOO_LARGE:
        return "payload size exceeds the protocol maximum";
    case PVGPU_CODEC_ERR_PAYLOAD_SIZE:
        return "payload size is wrong for the message type";
    case PVGPU_CODEC_ERR_NAME_UNTERMINATED:
        return "shared-memory name is not NUL-terminated";
    case PVGPU_CODEC_ERR_NAME_TOO_LONG:
        return "shared-memory name is too long";
    case PVGPU_CODEC_ERR_EXTENSION:
        return "malformed handshake extension";
    case PVGPU_CODEC_ERR_NO_SPACE:
        return "buffer too small";
    case PVGPU_CODEC_ERR_SHMEM_SIZE:
        return "shared-memory size must be a power of two from 4 MiB to 64 GiB";
    case PVGPU_CODEC_ERR_DISPLAY:
        return "invalid display scanout or update";
    default:
        return "unknown codec error";
    }
}

/* ---- little-endian access to byte buffers ---------------------------- */

static inline uint32_t pvgpu_le32_load(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
           ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t pvgpu_le64_load(const uint8_t *p)
{
    return (uint64_t)pvgpu_le32_load(p) |
           ((uint64_t)pvgpu_le32_load(p + 4) << 32);
}

static inline void pvgpu_le32_store(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void pvgpu_le64_store(uint8_t *p, uint64_t v)
{
    pvgpu_le32_store(p, (uint32_t)v);
    pvgpu_le32_store(p + 4, (uint32_t)(v >> 32));
}

/* ---- IPC messages ---------------------------------------------------- */

static inline bool pvgpu_format_valid(uint32_t format)
{
    return format >= PVGPU_FORMAT_B8G8R8A8_UNORM &&
           format <= PVGPU_FORMAT_R8G8B8X8_UNORM;
}

static inline bool pvgpu_dimensions_valid(uint32_t width, uint32_t height)
{
    return width >= 1 && width <= PVGPU_MAX_DIMENSION &&
           height >= 1 && height <= PVGPU_MAX_DIMENSION;
}


/* A decoded message. name is always NUL-terminated. */
struct pvgpu_msg {
    uint32_t type;
    uint32_t payload_size;
    union {
        struct {
            uint64_t shmem_size;
            char name[PVGPU_SHMEM_NAME_MAX];
            bool has_ext;
            struct pvgpu_handshake_ext ext;
        } handshake;
        struct {
            uint64_t features;
        } ack;
        struct {
            uint32_t vector;
        } irq;
        struct pvgpu_display_scanout scanout;
        struct pvgpu_display_update update;
        struct pvgpu_display_hint hint;
        struct pvgpu_display_cursor cursor;
    } u;
};

#define PVGPU_MSG_TYPE_LAST PVGPU_MSG_DISPLAY_CURSOR

static inline bool pvgpu_msg_type_known(uint32_t type)
{
    return type >= PVGPU_MSG_HANDSHAKE && type <= PVGPU_MSG_TYPE_LAST;
}

/*
 * Decodes and bounds the 8-byte header. After PVGPU_CODEC_OK the caller may
 * read exactly hdr->payload_size more bytes, which is at most
 * PVGPU_IPC_MAX_PAYLOAD.
 */
static inline int pvgpu_ipc_decode_hdr(const void *buf, size_t len,
                                       struct pvgpu_ipc_hdr *hdr)
{
    const uint8_t *p = (const uint8_t *)buf;
    uint32_t size;

    if (len < sizeof(struct pvgpu_ipc_hdr)) {
        return PVGPU_CODEC_ERR_TRUNCATED;
    }
    hdr->msg_type = pvgpu_le32_load(p);
    hdr->payload_size = size = pvgpu_le32_load(p + 4);
    if (!pvgpu_msg_type_known(hdr->msg_type)) {
        return PVGPU_CODEC_ERR_UNKNOWN_TYPE;
    }
    if (size > PVGPU_IPC_MAX_PAYLOAD) {
        return PVGPU_CODEC_ERR_PAYLOAD_TOO_LARGE;
    }
    switch (hdr->msg_type) {
    case PVGPU_MSG_HANDSHAKE:
        if (size < PVGPU_HANDSHAKE_MIN_PAYLOAD) {
            return PVGPU_CODEC_ERR_PAYLOAD_SIZE;
        }
        break;
    case PVGPU_MSG_HANDSHAKE_ACK:
        if (size != 8) {
            return PVGPU_CODEC_ERR_PAYLOAD_SIZE;
        }
        break;
    case PVGPU_MSG_IRQ:
        if (size != 4) {
            return PVGPU_CODEC_ERR_PAYLOAD_SIZE;
        }
        break;
    case PVGPU_MSG_DISPLAY_SCANOUT:
        if (size != sizeof(struct pvgpu_display_scanout)) {
            return PVGPU_CODEC_ERR_PAYLOAD_SIZE;
        }
        break;
    case PVGPU_MSG_DISPLAY_UPDATE:
        if (size != sizeof(struct pvgpu_display_update)) {
            return PVGPU_CODEC_ERR_PAYLOAD_SIZE;
        }
        break;
    case PVGPU_MSG_DISPLAY_HINT:
        if (size != sizeof(struct pvgpu_display_hint)) {
            return PVGPU_CODEC_ERR_PAYLOAD_SIZE;
        }
        break;
    case PVGPU_MSG_DISPLAY_CURSOR:
        if (size != sizeof(struct pvgpu_display_cursor)) {
            return PVGPU_CODEC_ERR_PAYLOAD_SIZE;
        }
        break;
    default: /* DOORBELL, SHUTDOWN */
        if (size != 0) {
            return PVGPU_CODEC_ERR_PAYLOAD_SIZE;
        }
        break;
    }
    return PVGPU_CODEC_OK;
}

static inline int pvgpu_ipc_decode_handshake(const uint8_t *p, uint32_t size,
                                             struct pvgpu_msg *msg)
{
    const uint8_t *name = p + 8;
    uint32_t avail = size - 8;
    uint32_t n;
    uint32_t rest;

    msg->u.handshake.shmem_size = pvgpu_le64_load(p);
    for (n = 0; n < avail && name[n] != '\0'; n++) {
        if (n + 1 >= PVGPU_SHMEM_NAME_MAX) {
            return PVGPU_CODEC_ERR_NAME_TOO_LONG;
        }
    }
    if (n == avail) {
        return PVGPU_CODEC_ERR_NAME_UNTERMINATED;
    }
    memcpy(msg->u.handshake.name, name, n + 1);

    rest = avail - (n + 1);
    msg->u.handshake.has_ext = false;
    memset(&msg->u.handshake.ext, 0, sizeof(msg->u.handshake.ext));
    if (rest == 0) {
        return PVGPU_CODEC_OK;
    }
    if (rest != sizeof(struct pvgpu_handshake_ext)) {
        return PVGPU_CODEC_ERR_EXTENSION;
    }
    p = name + n + 1;
    msg->u.handshake.ext.ext_size = pvgpu_le32_load(p);
    msg->u.handshake.ext.magic = pvgpu_le32_load(p + 4);
    msg->u.handshake.ext.version = pvgpu_le32_load(p + 8);
    msg->u.handshake.ext.num_vectors = pvgpu_le32_load(p + 12);
    msg->u.handshake.ext.features = pvgpu_le64_load(p + 16);
    msg->u.handshake.ext.num_fds = pvgpu_le32_load(p + 24);
    msg->u.handshake.ext.reserved = pvgpu_le32_load(p + 28);
    if (msg->u.handshake.ext.ext_size != sizeof(struct pvgpu_handshake_ext) ||
        msg->u.handshake.ext.magic != PVGPU_HANDSHAKE_EXT_MAGIC ||
        msg->u.handshake.ext.num_fds > PVGPU_IPC_MAX_FDS ||
        msg->u.handshake.ext.num_vectors > PVGPU_NUM_VECTORS ||
        msg->u.handshake.ext.reserved != 0) {
        return PVGPU_CODEC_ERR_EXTENSION;
    }
    msg->u.handshake.has_ext = true;
    return PVGPU_CODEC_OK;
}

/* Bytes a scanout's frame occupies; the fd must hold at least this. */
static inline uint64_t pvgpu_display_frame_bytes(
    const struct pvgpu_display_scanout *so)
{
    return (uint64_t)so->stride * so->height;
}

/* Checks what a DISPLAY_SCANOUT says about itself (not its fd). */
static inline bool pvgpu_display_scanout_valid(
    const struct pvgpu_display_scanout *so)
{
    if (so->scanout_id >= PVGPU_MAX_SCANOUTS || so->reserved != 0) {
        return false;
    }
    if (so->width == 0) {
        return so->format == 0 && so->height == 0 && so->stride == 0;
    }
    /* rows start on pixel boundaries (pixman requires it) */
    return pvgpu_format_valid(so->format) &&
           pvgpu_dimensions_valid(so->width, so->height) &&
           so->stride % PVGPU_FORMAT_BYTES_PER_PIXEL == 0 &&
           (uint64_t)so->stride >= (uint64_t)so->width *
                                   PVGPU_FORMAT_BYTES_PER_PIXEL;
}

/* A scanout's frame fits in an fd of fd_size bytes. */
static inline bool pvgpu_display_scanout_fits(
    const struct pvgpu_display_scanout *so, uint64_t fd_size)
{
    return pvgpu_display_frame_bytes(so) <= fd_size;
}

/* An update's rect is non-empty and inside a width x height frame. */
static inline bool pvgpu_display_update_fits(
    const struct pvgpu_display_update *up, uint32_t width, uint32_t height)
{
    const struct pvgpu_rect *r = &up->rect;

    return r->width != 0 && r->height != 0 &&
           (uint64_t)r->x + r->width <= width &&
           (uint64_t)r->y + r->height <= height;
}

static inline int pvgpu_ipc_decode_display_scanout(const uint8_t *p,
                                                   struct pvgpu_msg *msg)
{
    struct pvgpu_display_scanout *so = &msg->u.scanout;

    so->scanout_id = pvgpu_le32_load(p);
    so->format = pvgpu_le32_load(p + 4);
    so->width = pvgpu_le32_load(p + 8);
    so->height = pvgpu_le32_load(p + 12);
    so->stride = pvgpu_le32_load(p + 16);
    so->reserved = pvgpu_le32_load(p + 20);
    return pvgpu_display_scanout_valid(so) ? PVGPU_CODEC_OK
                                           : PVGPU_CODEC_ERR_DISPLAY;
}

static inline int pvgpu_ipc_decode_display_update(const uint8_t *p,
                                                  struct pvgpu_msg *msg)
{
    struct pvgpu_display_update *up = &msg->u.update;

    up->scanout_id = pvgpu_le32_load(p);
    up->reserved = pvgpu_le32_load(p + 4);
    up->rect.x = pvgpu_le32_load(p + 8);
    up->rect.y = pvgpu_le32_load(p + 12);
    up->rect.width = pvgpu_le32_load(p + 16);
    up->rect.height = pvgpu_le32_load(p + 20);
    if (up->scanout_id >= PVGPU_MAX_SCANOUTS || up->reserved != 0 ||
        !pvgpu_display_update_fits(up, PVGPU_MAX_DIMENSION,
                                   PVGPU_MAX_DIMENSION)) {
        return PVGPU_CODEC_ERR_DISPLAY;
    }
    return PVGPU_CODEC_OK;
}

static inline bool pvgpu_display_hint_valid(const struct pvgpu_display_hint *h)
{
    return h->scanout_id < PVGPU_MAX_SCANOUTS && h->reserved == 0 &&
           pvgpu_dimensions_valid(h->width, h->height);
}

static inline int pvgpu_ipc_decode_display_hint(const uint8_t *p,
                                                struct pvgpu_msg *msg)
{
    struct pvgpu_display_hint *h = &msg->u.hint;

    h->scanout_id = pvgpu_le32_load(p);
    h->width = pvgpu_le32_load(p + 4);
    h->height = pvgpu_le32_load(p + 8);
    h->reserved = pvgpu_le32_load(p + 12);
    return pvgpu_display_hint_valid(h) ? PVGPU_CODEC_OK
                                       : PVGPU_CODEC_ERR_DISPLAY;
}

/* Bytes a DISPLAY_CURSOR's image occupies; its fd must hold this. */
static inline uint64_t pvgpu_display_cursor_bytes(
    const struct pvgpu_display_cursor *c)
{
    return (uint64_t)c->width * c->height * PVGPU_FORMAT_BYTES_PER_PIXEL;
}

static inline bool pvgpu_display_cursor_valid(
    const struct pvgpu_display_cursor *c)
{
    if (c->scanout_id >= PVGPU_MAX_SCANOUTS ||
        (c->flags & ~PVGPU_DISPLAY_CURSOR_FLAGS_VALID)) {
        return false;
    }
    if (!(c->flags & PVGPU_DISPLAY_CURSOR_SHAPE)) {
        return c->width == 0 && c->height == 0 && c->hot_x == 0 &&
               c->hot_y == 0;
    }
    return c->width >= 1 && c->width <= PVGPU_CURSOR_MAX_SIZE &&
           c->height >= 1 && c->height <= PVGPU_CURSOR_MAX_SIZE &&
           c->hot_x < c->width && c->hot_y < c->height;
}

static inline int pvgpu_ipc_decode_display_cursor(const uint8_t *p,
                                                  struct pvgpu_msg *msg)
{
    struct pvgpu_display_cursor *c = &msg->u.cursor;

    c->scanout_id = pvgpu_le32_load(p);
    c->flags = pvgpu_le32_load(p + 4);
    c->x = (int32_t)pvgpu_le32_load(p + 8);
    c->y = (int32_t)pvgpu_le32_load(p + 12);
    c->hot_x = pvgpu_le32_load(p + 16);
    c->hot_y = pvgpu_le32_load(p + 20);
    c->width = pvgpu_le32_load(p + 24);
    c->height = pvgpu_le32_load(p + 28);
    return pvgpu_display_cursor_valid(c) ? PVGPU_CODEC_OK
                                         : PVGPU_CODEC_ERR_DISPLAY;
}

/*
 * Decodes the payload of a message whose header pvgpu_ipc_decode_hdr()
 * accepted. len is the number of payload bytes available.
 */
static inline int pvgpu_ipc_decode_payload(const struct pvgpu_ipc_hdr *hdr,
                                           const void *payload, size_t len,
                                           struct pvgpu_msg *msg)
{
    const uint8_t *p = (const uint8_t *)payload;

    if (len < hdr->payload_size) {
        return PVGPU_CODEC_ERR_TRUNCATED;
    }
    msg->type = hdr->msg_type;
    msg->payload_size = hdr->payload_size;
    switch (hdr->msg_type) {
    case PVGPU_MSG_HANDSHAKE:
        return pvgpu_ipc_decode_handshake(p, hdr->payload_size, msg);
    case PVGPU_MSG_HANDSHAKE_ACK:
        msg->u.ack.features = pvgpu_le64_load(p);
        return PVGPU_CODEC_OK;
    case PVGPU_MSG_IRQ:
        msg->u.irq.vector = pvgpu_le32_load(p);
        return PVGPU_CODEC_OK;
    case PVGPU_MSG_DISPLAY_SCANOUT:
        return pvgpu_ipc_decode_display_scanout(p, msg);
    case PVGPU_MSG_DISPLAY_UPDATE:
        return pvgpu_ipc_decode_display_update(p, msg);
    case PVGPU_MSG_DISPLAY_HINT:
        return pvgpu_ipc_decode_display_hint(p, msg);
    case PVGPU_MSG_DISPLAY_CURSOR:
        return pvgpu_ipc_decode_display_cursor(p, msg);
    case PVGPU_MSG_DOORBELL:
    case PVGPU_MSG_SHUTDOWN:
        return PVGPU_CODEC_OK;
    default:
        return PVGPU_CODEC_ERR_UNKNOWN_TYPE;
    }
}

/*
 * Decodes one whole message from the start of buf. On success *consumed is
 * the number of bytes it occupied. PVGPU_CODEC_ERR_TRUNCATED means "not
 * enough bytes yet" for a stream reader.
 */
static inline int pvgpu_ipc_decode(const void *buf, size_t len,
                                   struct pvgpu_msg *msg, size_t *consumed)
{
    struct pvgpu_ipc_hdr hdr;
    int ret = pvgpu_ipc_decode_hdr(buf, len, &hdr);

    if (ret != PVGPU_CODEC_OK) {
        return ret;
    }
    ret = pvgpu_ipc_decode_payload(&hdr,
                                   (const uint8_t *)buf + sizeof(hdr),
                                   len - sizeof(hdr), msg);
    if (ret == PVGPU_CODEC_OK) {
        *consumed = sizeof(hdr) + hdr.payload_size;
    }
    return ret;
}

static inline int pvgpu_ipc_encode_hdr(void *buf, size_t cap, uint32_t type,
                                       uint32_t payload_size, size_t *len)
{
    if (cap < sizeof(struct pvgpu_ipc_hdr) + payload_size) {
        return PVGPU_CODEC_ERR_NO_SPACE;
    }
    pvgpu_le32_store((uint8_t *)buf, type);
    pvgpu_le32_store((uint8_t *)buf + 4, payload_size);
    *len = sizeof(struct pvgpu_ipc_hdr) + payload_size;
    return PVGPU_CODEC_OK;
}

/* DOORBELL or SHUTDOWN: a header with no payload. */
static inline int pvgpu_ipc_encode_empty(void *buf, size_t cap, uint32_t type,
                                         size_t *len)
{
    return pvgpu_ipc_encode_hdr(buf, cap, type, 0, len);
}

static inline int pvgpu_ipc_encode_ack(void *buf, size_t cap,
                                       uint64_t features, size_t *len)
{
    int ret = pvgpu_ipc_encode_hdr(buf, cap, PVGPU_MSG_HANDSHAKE_ACK, 8, len);

    if (ret == PVGPU_CODEC_OK) {
        pvgpu_le64_store((uint8_t *)buf + 8, features);
    }
    return ret;
}

static inline int pvgpu_ipc_encode_irq(void *buf, size_t cap,
                                       uint32_t vector, size_t *len)
{
    int ret = pvgpu_ipc_encode_hdr(buf, cap, PVGPU_MSG_IRQ, 4, len);

    if (ret == PVGPU_CODEC_OK) {
        pvgpu_le32_store((uint8_t *)buf + 8, vector);
    }
    return ret;
}

/* DISPLAY_SCANOUT; the fd travels with it as SCM_RIGHTS. */
static inline int pvgpu_ipc_encode_display_scanout(
    void *buf, size_t cap, const struct pvgpu_display_scanout *so,
    size_t *len)
{
    int ret = pvgpu_ipc_encode_hdr(buf, cap, PVGPU_MSG_DISPLAY_SCANOUT,
                                   (uint32_t)sizeof(*so), len);
    uint8_t *p = (uint8_t *)buf + sizeof(struct pvgpu_ipc_hdr);

    if (ret == PVGPU_CODEC_OK) {
        pvgpu_le32_store(p, so->scanout_id);
        pvgpu_le32_store(p + 4, so->format);
        pvgpu_le32_store(p + 8, so->width);
        pvgpu_le32_store(p + 12, so->height);
        pvgpu_le32_store(p + 16, so->stride);
        pvgpu_le32_store(p + 20, so->reserved);
    }
    return ret;
}

static inline int pvgpu_ipc_encode_display_update(
    void *buf, size_t cap, const struct pvgpu_display_update *up,
    size_t *len)
{
    int ret = pvgpu_ipc_encode_hdr(buf, cap, PVGPU_MSG_DISPLAY_UPDATE,
                                   (uint32_t)sizeof(*up), len);
    uint8_t *p = (uint8_t *)buf + sizeof(struct pvgpu_ipc_hdr);

    if (ret == PVGPU_CODEC_OK) {
        pvgpu_le32_store(p, up->scanout_id);
        pvgpu_le32_store(p + 4, up->reserved);
        pvgpu_le32_store(p + 8, up->rect.x);
        pvgpu_le32_store(p + 12, up->rect.y);
        pvgpu_le32_store(p + 16, up->rect.width);
        pvgpu_le32_store(p + 20, up->rect.height);
    }
    return ret;
}

static inline int pvgpu_ipc_encode_display_hint(
    void *buf, size_t cap, const struct pvgpu_display_hint *h, size_t *len)
{
    int ret = pvgpu_ipc_encode_hdr(buf, cap, PVGPU_MSG_DISPLAY_HINT,
                                   (uint32_t)sizeof(*h), len);
    uint8_t *p = (uint8_t *)buf + sizeof(struct pvgpu_ipc_hdr);

    if (ret == PVGPU_CODEC_OK) {
        pvgpu_le32_store(p, h->scanout_id);
        pvgpu_le32_store(p + 4, h->width);
        pvgpu_le32_store(p + 8, h->height);
        pvgpu_le32_store(p + 12, h->reserved);
    }
    return ret;
}

/* DISPLAY_CURSOR; with SHAPE the image's fd travels with it. */
static inline int pvgpu_ipc_encode_display_cursor(
    void *buf, size_t cap, const struct pvgpu_display_cursor *c, size_t *len)
{
    int ret = pvgpu_ipc_encode_hdr(buf, cap, PVGPU_MSG_DISPLAY_CURSOR,
                                   (uint32_t)sizeof(*c), len);
    uint8_t *p = (uint8_t *)buf + sizeof(struct pvgpu_ipc_hdr);

    if (ret == PVGPU_CODEC_OK) {
        pvgpu_le32_store(p, c->scanout_id);
        pvgpu_le32_store(p + 4, c->flags);
        pvgpu_le32_store(p + 8, (uint32_t)c->x);
        pvgpu_le32_store(p + 12, (uint32_t)c->y);
        pvgpu_le32_store(p + 16, c->hot_x);
        pvgpu_le32_store(p + 20, c->hot_y);
        pvgpu_le32_store(p + 24, c->width);
        pvgpu_le32_store(p + 28, c->height);
    }
    return ret;
}

/* HANDSHAKE; ext may be NULL to produce the original, extension-less form. */
static inline int pvgpu_ipc_encode_handshake(void *buf, size_t cap,
                                             uint64_t shmem_size,
                                             const char *name,
                                             const struct pvgpu_handshake_ext *ext,
                                             size_t *len)
{
    size_t name_len = strlen(name);
    uint32_t payload;
    uint8_t *p;
    int ret;

    if (name_len + 1 > PVGPU_SHMEM_NAME_MAX) {
        return PVGPU_CODEC_ERR_NAME_TOO_LONG;
    }
    payload = (uint32_t)(8 + name_len + 1 + (ext ? sizeof(*ext) : 0));
    ret = pvgpu_ipc_encode_hdr(buf, cap, PVGPU_MSG_HANDSHAKE, payload, len);
    if (ret != PVGPU_CODEC_OK) {
        return ret;
    }
    p = (uint8_t *)buf + sizeof(struct pvgpu_ipc_hdr);
    pvgpu_le64_store(p, shmem_size);
    memcpy(p + 8, name, name_len + 1);
    if (ext) {
        p += 8 + name_len + 1;
        pvgpu_le32_store(p, ext->ext_size);
        pvgpu_le32_store(p + 4, ext->magic);
        pvgpu_le32_store(p + 8, ext->version);
        pvgpu_le32_store(p + 12, ext->num_vectors);
        pvgpu_le64_store(p + 16, ext->features);
        pvgpu_le32_store(p + 24, ext->num_fds);
        pvgpu_le32_store(p + 28, ext->reserved);
    }
    return PVGPU_CODEC_OK;
}

/* ---- BAR2 layout ----------------------------------------------------- */

struct pvgpu_layout {
    uint64_t shmem_size;
    uint64_t ring_offset;
    uint64_t ring_size;
    uint64_t heap_offset;
    uint64_t heap_size;
};

static inline bool pvgpu_shmem_size_valid(uint64_t size)
{
    return size >= PVGPU_SHMEM_MIN_SIZE && size <= PVGPU_SHMEM_MAX_SIZE &&
           (size & (size - 1)) == 0;
}

static inline int pvgpu_layout_compute(uint64_t shmem_size,
                                       struct pvgpu_layout *l)
{
    if (!pvgpu_shmem_size_valid(shmem_size)) {
        return PVGPU_CODEC_ERR_SHMEM_SIZE;
    }
    l->shmem_size = shmem_size;
    l->ring_offset = PVGPU_RING_OFFSET;
    l->ring_size = PVGPU_RING_SIZE;
    l->heap_offset = PVGPU_HEAP_OFFSET;
    l->heap_size = shmem_size - PVGPU_HEAP_OFFSET;
    return PVGPU_CODEC_OK;
}

/* Writes the identity and layout block and zeroes everything else. */
static inline void pvgpu_control_init(struct pvgpu_control *c,
                                      const struct pvgpu_layout *l)
{
    memset(c, 0, sizeof(*c));
    c->magic = PVGPU_CTRL_MAGIC;
    c->version = PVGPU_PROTOCOL_VERSION;
    c->ctrl_size = (uint32_t)sizeof(*c);
    c->shmem_size = l->shmem_size;
    c->ring_offset = l->ring_offset;
    c->ring_size = l->ring_size;
    c->heap_offset = l->heap_offset;
    c->heap_size = l->heap_size;
}

/* True when the (guest-writable) layout block still matches l. */
static inline bool pvgpu_control_matches(const struct pvgpu_control *c,
                                         const struct pvgpu_layout *l)
{
    return c->magic == PVGPU_CTRL_MAGIC &&
           c->version == PVGPU_PROTOCOL_VERSION &&
           c->ctrl_size == sizeof(*c) && c->flags == 0 &&
           c->shmem_size == l->shmem_size &&
           c->ring_offset == l->ring_offset &&
           c->ring_size == l->ring_size &&
           c->heap_offset == l->heap_offset &&
           c->heap_size == l->heap_size;
}

/* ---- ring commands --------------------------------------------------- */

/* A ring failure, or a refused command: enum pvgpu_error plus detail. */
struct pvgpu_cmd_error {
    uint32_t code;
    uint64_t detail;
};

static inline int pvgpu_cmd_fail(struct pvgpu_cmd_error *err, uint32_t code,
                                 uint64_t detail)
{
    err->code = code;
    err->detail = detail;
    return (int)code;
}

/* producer as read from shared memory must lie within one ring of consumer. */
static inline int pvgpu_ring_check_indices(const struct pvgpu_layout *l,
                                           uint64_t consumer,
                                           uint64_t producer,
                                           struct pvgpu_cmd_error *err)
{
    if (producer < consumer || producer - consumer > l->ring_size ||
        (producer % PVGPU_CMD_ALIGN) != 0) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RING_INDEX, producer);
    }
    return PVGPU_ERROR_NONE;
}

/*
 * Copies the command at consumer out of the ring into out (which holds
 * PVGPU_CMD_MAX_SIZE bytes), reading each shared byte once: the header is
 * validated on the copy, and the body is copied after it. ring points at
 * the ring's first byte; indices must have passed pvgpu_ring_check_indices.
 */
static inline int pvgpu_ring_fetch(const struct pvgpu_layout *l,
                                   const uint8_t *ring, uint64_t consumer,
                                   uint64_t producer, uint8_t *out,
                                   struct pvgpu_cmd_hdr *hdr,
                                   struct pvgpu_cmd_error *err)
{
    uint64_t pos = consumer % l->ring_size;
    uint64_t avail = producer - consumer;
    uint64_t to_end = l->ring_size - pos;

    if (avail < sizeof(*hdr)) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_CMD_SIZE, avail);
    }
    memcpy(out, ring + pos, sizeof(*hdr));
    hdr->type = pvgpu_le32_load(out);
    hdr->size = pvgpu_le32_load(out + 4);
    hdr->flags = pvgpu_le32_load(out + 8);
    hdr->id = pvgpu_le32_load(out + 12);
    if (hdr->size < sizeof(*hdr) || hdr->size > PVGPU_CMD_MAX_SIZE ||
        (hdr->size % PVGPU_CMD_ALIGN) != 0 || hdr->size > avail ||
        hdr->size > to_end) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_CMD_SIZE, hdr->size);
    }
    memcpy(out + sizeof(*hdr), ring + pos + sizeof(*hdr),
           hdr->size - sizeof(*hdr));
    return PVGPU_ERROR_NONE;
}

/* pvgpu_ring_plan(): the command fits once the consumer has moved on. */
#define PVGPU_RING_PLAN_NO_SPACE 0x10000

/*
 * Producer side: plans where a command of size bytes goes. Returns
 * PVGPU_ERROR_NONE and sets *pad to the bytes of NOP to write at producer
 * first (0 if none); PVGPU_ERROR_CMD_SIZE for a size that is zero,
 * unaligned or above PVGPU_CMD_MAX_SIZE; PVGPU_ERROR_RING_INDEX when
 * producer is unaligned or not within one ring of consumer;
 * PVGPU_RING_PLAN_NO_SPACE when the pad and the command do not fit before
 * the consumer yet.
 */
static inline int pvgpu_ring_plan(const struct pvgpu_layout *l,
                                  uint64_t producer, uint64_t consumer,
                                  uint32_t size, uint32_t *pad)
{
    uint64_t to_end = l->ring_size - producer % l->ring_size;

    *pad = 0;
    if (size < sizeof(struct pvgpu_cmd_hdr) || size > PVGPU_CMD_MAX_SIZE ||
        (size % PVGPU_CMD_ALIGN) != 0) {
        return PVGPU_ERROR_CMD_SIZE;
    }
    if (producer < consumer || producer - consumer > l->ring_size ||
        (producer % PVGPU_CMD_ALIGN) != 0) {
        return PVGPU_ERROR_RING_INDEX;
    }
    if (size > to_end) {
        *pad = (uint32_t)to_end; /* below size, so below PVGPU_CMD_MAX_SIZE */
    }
    if ((uint64_t)*pad + size > l->ring_size - (producer - consumer)) {
        return PVGPU_RING_PLAN_NO_SPACE;
    }
    return PVGPU_ERROR_NONE;
}

/* Writes a NOP of size bytes (header and zeroed body) at at. */
static inline void pvgpu_cmd_nop_init(uint8_t *at, uint32_t size, uint32_t id)
{
    memset(at, 0, size);
    pvgpu_le32_store(at, PVGPU_CMD_NOP);
    pvgpu_le32_store(at + 4, size);
    pvgpu_le32_store(at + 12, id);
}

#define PVGPU_CMD_SIZE_UNKNOWN 0xffffffffu

/* The exact struct size of a command type; 0 for any size (NOP). */
static inline uint32_t pvgpu_cmd_expected_size(uint32_t type)
{
    switch (type) {
    case PVGPU_CMD_NOP:
        return 0; /* any size: pads to the ring end */
    case PVGPU_CMD_RESOURCE_CREATE_2D:
        return sizeof(struct pvgpu_cmd_resource_create_2d);
    case PVGPU_CMD_RESOURCE_DESTROY:
        return sizeof(struct pvgpu_cmd_resource_destroy);
    case PVGPU_CMD_RESOURCE_UPLOAD:
        return sizeof(struct pvgpu_cmd_resource_upload);
    case PVGPU_CMD_FILL_RECT:
        return sizeof(struct pvgpu_cmd_fill_rect);
    case PVGPU_CMD_COPY_RECT:
        return sizeof(struct pvgpu_cmd_copy_rect);
    case PVGPU_CMD_SET_SCANOUT:
        return sizeof(struct pvgpu_cmd_set_scanout);
    case PVGPU_CMD_PRESENT:
        return sizeof(struct pvgpu_cmd_present);
    case PVGPU_CMD_SET_CURSOR:
        return sizeof(struct pvgpu_cmd_set_cursor);
    case PVGPU_CMD_FENCE:
        return sizeof(struct pvgpu_cmd_fence);
    default:
        return PVGPU_CMD_SIZE_UNKNOWN;
    }
}

/* Commands are sized to a multiple of PVGPU_CMD_ALIGN in the ring. */
static inline uint32_t pvgpu_cmd_ring_size(uint32_t struct_size)
{
    return (struct_size + PVGPU_CMD_ALIGN - 1) & ~(PVGPU_CMD_ALIGN - 1);
}

/*
 * Clips r to a width x height surface. Returns false when nothing is left:
 * an empty rect or one that misses the surface entirely.
 */
static inline bool pvgpu_rect_clip(const struct pvgpu_rect *r, uint32_t width,
                                   uint32_t height, struct pvgpu_rect *out)
{
    uint64_t x2 = (uint64_t)r->x + r->width;
    uint64_t y2 = (uint64_t)r->y + r->height;

    if (r->width == 0 || r->height == 0 || r->x >= width || r->y >= height) {
        return false;
    }
    out->x = r->x;
    out->y = r->y;
    out->width = (uint32_t)((x2 > width ? width : x2) - r->x);
    out->height = (uint32_t)((y2 > height ? height : y2) - r->y);
    return true;
}

/*
 * Checks an upload's source in the heap: rows of width*4 bytes, stride
 * apart, all inside [0, heap_size). Overflow-safe.
 */
static inline int pvgpu_upload_check(const struct pvgpu_cmd_resource_upload *c,
                                     uint64_t heap_size,
                                     struct pvgpu_cmd_error *err)
{
    uint64_t row = (uint64_t)c->dst.width * PVGPU_FORMAT_BYTES_PER_PIXEL;
    uint64_t span;

    if (!pvgpu_dimensions_valid(c->dst.width, c->dst.height)) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_BAD_DIMENSIONS,
                              ((uint64_t)c->dst.width << 32) | c->dst.height);
    }
    if (c->stride < row) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_BAD_STRIDE, c->stride);
    }
    /* width, height <= 16384 and stride < 2^32 keep this below 2^47 */
    span = (uint64_t)c->stride * (c->dst.height - 1) + row;
    if (c->heap_offset > heap_size || span > heap_size - c->heap_offset) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_HEAP_RANGE, c->heap_offset);
    }
    return PVGPU_ERROR_NONE;
}

/*
 * Validates a fetched command on its private copy: size for its type,
 * reserved fields and flags, formats, dimensions, heap ranges. What needs
 * backend state (resource ids in use, fence order) is the backend's job.
 */
static inline int pvgpu_cmd_validate(const struct pvgpu_cmd_hdr *hdr,
                                     const uint8_t *cmd,
                                     const struct pvgpu_layout *l,
                                     struct pvgpu_cmd_error *err)
{
    uint32_t want = pvgpu_cmd_expected_size(hdr->type);

    if (want == PVGPU_CMD_SIZE_UNKNOWN) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_CMD_UNKNOWN, hdr->type);
    }
    if (want != 0 && hdr->size != pvgpu_cmd_ring_size(want)) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_CMD_LENGTH, hdr->size);
    }
    if (hdr->flags & ~PVGPU_CMD_FLAGS_VALID) {
        return pvgpu_cmd_fail(err, PVGPU_ERROR_RESERVED_NONZERO, hdr->flags);
    }
    /* padding between the struct and its ring size must be zero too */
    for (uint32_t i = want ? want : hdr->size; i < hdr->size; i++) {
        if (cmd[i] != 0) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_RESERVED_NONZERO, i);
        }
    }

    switch (hdr->type) {
    case PVGPU_CMD_NOP:
        return PVGPU_ERROR_NONE;
    case PVGPU_CMD_RESOURCE_CREATE_2D: {
        const struct pvgpu_cmd_resource_create_2d *c =
            (const struct pvgpu_cmd_resource_create_2d *)cmd;
        if (c->resource_id == 0) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_RESOURCE_ID, 0);
        }
        if (!pvgpu_format_valid(c->format)) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_BAD_FORMAT, c->format);
        }
        if (!pvgpu_dimensions_valid(c->width, c->height)) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_BAD_DIMENSIONS,
                                  ((uint64_t)c->width << 32) | c->height);
        }
        return PVGPU_ERROR_NONE;
    }
    case PVGPU_CMD_RESOURCE_DESTROY: {
        const struct pvgpu_cmd_resource_destroy *c =
            (const struct pvgpu_cmd_resource_destroy *)cmd;
        if (c->reserved[0] || c->reserved[1] || c->reserved[2]) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_RESERVED_NONZERO, 0);
        }
        if (c->resource_id == 0) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_RESOURCE_ID, 0);
        }
        return PVGPU_ERROR_NONE;
    }
    case PVGPU_CMD_RESOURCE_UPLOAD: {
        const struct pvgpu_cmd_resource_upload *c =
            (const struct pvgpu_cmd_resource_upload *)cmd;
        if (c->resource_id == 0) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_RESOURCE_ID, 0);
        }
        return pvgpu_upload_check(c, l->heap_size, err);
    }
    case PVGPU_CMD_FILL_RECT: {
        const struct pvgpu_cmd_fill_rect *c =
            (const struct pvgpu_cmd_fill_rect *)cmd;
        if (c->reserved != 0) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_RESERVED_NONZERO,
                                  c->reserved);
        }
        if (c->resource_id == 0) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_RESOURCE_ID, 0);
        }
        return PVGPU_ERROR_NONE;
    }
    case PVGPU_CMD_COPY_RECT: {
        const struct pvgpu_cmd_copy_rect *c =
            (const struct pvgpu_cmd_copy_rect *)cmd;
        if (c->reserved != 0) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_RESERVED_NONZERO,
                                  c->reserved);
        }
        if (c->src_resource_id == 0 || c->dst_resource_id == 0) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_RESOURCE_ID, 0);
        }
        return PVGPU_ERROR_NONE;
    }
    case PVGPU_CMD_SET_SCANOUT: {
        const struct pvgpu_cmd_set_scanout *c =
            (const struct pvgpu_cmd_set_scanout *)cmd;
        if (c->reserved != 0) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_RESERVED_NONZERO,
                                  c->reserved);
        }
        if (c->scanout_id >= PVGPU_MAX_SCANOUTS) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_SCANOUT_ID, c->scanout_id);
        }
        return PVGPU_ERROR_NONE;
    }
    case PVGPU_CMD_PRESENT: {
        const struct pvgpu_cmd_present *c =
            (const struct pvgpu_cmd_present *)cmd;
        if (c->flags & ~PVGPU_PRESENT_FLAGS_VALID) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_RESERVED_NONZERO, c->flags);
        }
        if (c->scanout_id >= PVGPU_MAX_SCANOUTS) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_SCANOUT_ID, c->scanout_id);
        }
        return PVGPU_ERROR_NONE;
    }
    case PVGPU_CMD_SET_CURSOR: {
        const struct pvgpu_cmd_set_cursor *c =
            (const struct pvgpu_cmd_set_cursor *)cmd;
        if (c->reserved != 0 || (c->flags & ~PVGPU_CURSOR_FLAGS_VALID)) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_RESERVED_NONZERO,
                                  c->reserved ? c->reserved : c->flags);
        }
        if (c->scanout_id >= PVGPU_MAX_SCANOUTS) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_SCANOUT_ID, c->scanout_id);
        }
        return PVGPU_ERROR_NONE;
    }
    case PVGPU_CMD_FENCE: {
        const struct pvgpu_cmd_fence *c =
            (const struct pvgpu_cmd_fence *)cmd;
        if (c->reserved != 0 || (c->flags & ~PVGPU_FENCE_FLAGS_VALID)) {
            return pvgpu_cmd_fail(err, PVGPU_ERROR_RESERVED_NONZERO,
                                  c->flags);
        }
        return PVGPU_ERROR_NONE;
    }
    }
    return pvgpu_cmd_fail(err, PVGPU_ERROR_CMD_UNKNOWN, hdr->type);
}

static inline const char *pvgpu_error_name(uint32_t code)
{
    switch (code) {
    case PVGPU_ERROR_NONE: return "none";
    case PVGPU_ERROR_RING_INDEX: return "ring-index";
    case PVGPU_ERROR_CMD_SIZE: return "command-size";
    case PVGPU_ERROR_CONTROL_CORRUPT: return "control-corrupt";
    case PVGPU_ERROR_CMD_UNKNOWN: return "unknown-command";
    case PVGPU_ERROR_CMD_LENGTH: return "command-length";
    case PVGPU_ERROR_RESERVED_NONZERO: return "reserved-nonzero";
    case PVGPU_ERROR_BAD_FORMAT: return "bad-format";
    case PVGPU_ERROR_BAD_DIMENSIONS: return "bad-dimensions";
    case PVGPU_ERROR_HEAP_RANGE: return "heap-range";
    case PVGPU_ERROR_BAD_STRIDE: return "bad-stride";
    case PVGPU_ERROR_RESOURCE_ID: return "resource-id-zero";
    case PVGPU_ERROR_RESOURCE_UNKNOWN: return "resource-unknown";
    case PVGPU_ERROR_RESOURCE_EXISTS: return "resource-exists";
    case PVGPU_ERROR_RECT_BOUNDS: return "rect-bounds";
    case PVGPU_ERROR_FORMAT_MISMATCH: return "format-mismatch";
    case PVGPU_ERROR_SCANOUT_ID: return "scanout-id";
    case PVGPU_ERROR_FENCE_ORDER: return "fence-order";
    case PVGPU_ERROR_OUT_OF_MEMORY: return "out-of-memory";
    default: return "unknown-error";
    }
}

#endif /* PVGPU_CODEC_H */
