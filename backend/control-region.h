/* SPDX-License-Identifier: MIT */
/*
 * Accessors for fields of the shared control region. The guest may write
 * any byte of it at any time, so every access is a single atomic load or
 * store: never a plain read that the compiler could repeat or tear.
 */
#ifndef PVGPU_BACKEND_CONTROL_REGION_H
#define PVGPU_BACKEND_CONTROL_REGION_H

#include <stdint.h>

static inline uint64_t pvgpu_shared_load_acquire64(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint64_t pvgpu_shared_load64(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline uint32_t pvgpu_shared_load32(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void pvgpu_shared_store_release64(uint64_t *p, uint64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void pvgpu_shared_store64(uint64_t *p, uint64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline void pvgpu_shared_store32(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline void pvgpu_shared_store_release32(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

#endif
