/* SPDX-License-Identifier: MIT */
/* What the benchmarks share: option parsing and how they give up. */
#ifndef PVGPU_BENCH_SUPPORT_H
#define PVGPU_BENCH_SUPPORT_H

#include <glib.h>

/* Parses the options in entries; on a bad or an unexpected argument prints
 * why and exits 1. */
void bench_parse_options(int *argc, char ***argv, const char *summary,
                         const GOptionEntry *entries);

/* Prints "<program>: <message>" and exits 1: the options were wrong. */
void bench_usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2)
    G_GNUC_NORETURN;

/* Prints "<program>: <message>" and exits 3: the run went wrong. */
void bench_fail(const char *fmt, ...) G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN;

#endif
