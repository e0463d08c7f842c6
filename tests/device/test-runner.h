/* SPDX-License-Identifier: MIT */
/*
 * GLib test registration for the device tests. Each test runs in its own
 * subprocess (g_test_trap_subprocess), so that a failed assertion ends only
 * that test and the next ones still run; QEMU dies with the subprocess
 * (PR_SET_PDEATHSIG) and the parent removes the temporary files even then.
 * A failed test's log (every register access, QMP and backend message) is
 * printed; passing tests stay quiet.
 *
 * Options besides GLib's: --qemu PATH (else env PVGPU_QEMU),
 * --backend PATH (else env PVGPU_BACKEND).
 */
#ifndef PVGPU_TEST_RUNNER_H
#define PVGPU_TEST_RUNNER_H

#include <glib.h>

void pvgpu_test_init(int *argc, char ***argv);
void pvgpu_test_add(const char *path, GTestFunc fn);
/* A test that needs the real pvgpu-backend; skipped without it. */
void pvgpu_test_add_with_backend(const char *path, GTestFunc fn);
/* Runs the tests, removes the temporary root, returns the exit code. */
int pvgpu_test_run(void);

/* A fresh directory for one test, under the run's temporary root. */
gchar *pvgpu_test_make_tmpdir(void);
/* Removes a directory tree (the test's own files only). */
void pvgpu_test_remove_tree(const char *path);

/* The backend binary (--backend or env PVGPU_BACKEND), or NULL. */
const char *pvgpu_test_backend_binary(void);

#endif /* PVGPU_TEST_RUNNER_H */
