/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cmocka-skips.h"

unsigned pvgpu_skipped_tests;

int pvgpu_skip_status(int failed)
{
    if (failed != 0 || pvgpu_skipped_tests == 0) {
        return failed;
    }
    fprintf(stderr, "%u test(s) skipped (reasons above): exit status %d\n",
            pvgpu_skipped_tests, PVGPU_EXIT_SKIP);
    return PVGPU_EXIT_SKIP;
}
