/* SPDX-License-Identifier: MIT */
/* CMocka boilerplate shared by the backend tests. */
#ifndef PVGPU_TESTS_BACKEND_HELPERS_H
#define PVGPU_TESTS_BACKEND_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* A test named by its path, e.g. "/backend/ring/cmd-size-zero". */
#define PATH_TEST(path, fn, setup, teardown) \
    { .name = (path), .test_func = (fn), .setup_func = (setup), \
      .teardown_func = (teardown), .initial_state = NULL }

#endif
