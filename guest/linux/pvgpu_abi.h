/* SPDX-License-Identifier: MIT */
/*
 * The shared protocol headers, included the way a kernel module needs them.
 * pvgpu_codec.h uses UINT32_MAX, which the kernel does not define, and
 * relies on memcpy()/memset() being declared.
 */
#ifndef PVGPU_ABI_H
#define PVGPU_ABI_H

#include <linux/limits.h>
#include <linux/string.h>
#include <linux/types.h>

#ifndef UINT32_MAX
#define UINT32_MAX U32_MAX
#endif

#include "pvgpu_protocol.h"
#include "pvgpu_codec.h"

#endif /* PVGPU_ABI_H */
