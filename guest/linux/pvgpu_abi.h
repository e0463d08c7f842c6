/* SPDX-License-Identifier: MIT */
/* The shared protocol headers (protocol/, on the include path via Kbuild). */
#ifndef PVGPU_ABI_H
#define PVGPU_ABI_H

#include "pvgpu_protocol.h"
#include "pvgpu_codec.h"

#endif /* PVGPU_ABI_H */
