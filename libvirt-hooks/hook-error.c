/* SPDX-License-Identifier: MIT */
#include "hook-error.h"

G_DEFINE_QUARK(pvgpu-hook-error-quark, hook_error)
