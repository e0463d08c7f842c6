/* SPDX-License-Identifier: MIT */
/*
 * CMocka reports a skip() as "[  SKIPPED ]" but leaves it out of the count
 * that cmocka_run_group_tests() returns, so meson shows the binary as OK.
 * Include this after <cmocka.h>: skip_because() (and plain skip()) record
 * the skip, and run_group_tests_counting_skips() then exits with 77, which
 * meson shows as SKIP (and scripts/test.sh counts as a failure).
 */
#ifndef PVGPU_CMOCKA_SKIPS_H
#define PVGPU_CMOCKA_SKIPS_H

#include <stdio.h>

#define PVGPU_EXIT_SKIP 77

static unsigned pvgpu_skipped_tests;

#define skip_because(...)                                                  \
    do {                                                                   \
        fprintf(stderr, "skipped: " __VA_ARGS__);                          \
        fprintf(stderr, "\n");                                             \
        pvgpu_skipped_tests++;                                             \
        _skip(__FILE__, __LINE__);                                         \
    } while (0)

#undef skip
#define skip() skip_because("(no reason given)")

/* Failures first: a failed test is a failure whatever else was skipped. */
#define run_group_tests_counting_skips(tests, setup, teardown)             \
    pvgpu_skip_status(cmocka_run_group_tests(tests, setup, teardown))

static inline int pvgpu_skip_status(int failed)
{
    if (failed != 0 || pvgpu_skipped_tests == 0) {
        return failed;
    }
    fprintf(stderr, "%u test(s) skipped (reasons above): exit status %d\n",
            pvgpu_skipped_tests, PVGPU_EXIT_SKIP);
    return PVGPU_EXIT_SKIP;
}

#endif
