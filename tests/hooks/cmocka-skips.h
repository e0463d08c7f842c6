/* SPDX-License-Identifier: MIT */
/*
 * CMocka reports a skip() as "[  SKIPPED ]" but leaves it out of the count
 * that cmocka_run_group_tests() returns, so meson shows the binary as OK.
 * Include this after <cmocka.h> and link cmocka-skips.c: skip_because()
 * (and plain skip()) record the skip, and pvgpu_skip_status() (or
 * run_group_tests_counting_skips()) then gives exit status 77, which meson
 * shows as SKIP (and scripts/test.sh counts as a failure).
 */
#ifndef PVGPU_CMOCKA_SKIPS_H
#define PVGPU_CMOCKA_SKIPS_H

#include <stdio.h>

#define PVGPU_EXIT_SKIP 77

extern unsigned pvgpu_skipped_tests;

#define skip_because(...)                                                  \
    do {                                                                   \
        fprintf(stderr, "skipped: " __VA_ARGS__);                          \
        fprintf(stderr, "\n");                                             \
        pvgpu_skipped_tests++;                                             \
        _skip(__FILE__, __LINE__);                                         \
    } while (0)

#undef skip
#define skip() skip_because("(no reason given)")

/* failed: what cmocka's runner returned. Failures first: a failed test is
 * a failure whatever else was skipped. */
int pvgpu_skip_status(int failed);

#define run_group_tests_counting_skips(tests, setup, teardown)             \
    pvgpu_skip_status(cmocka_run_group_tests(tests, setup, teardown))

#endif
