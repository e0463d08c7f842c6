/* SPDX-License-Identifier: MIT */
/*
 * What the hook tests share: a fixture pointing the hook's paths at a
 * temporary directory, running the hook binary as libvirt does (arguments,
 * domain XML on stdin), domain XML, assertions on its output and on the
 * backend it leaves running.
 *
 * Each test binary is run as: TEST HOOK BACKEND FAILING_BACKEND
 * BACKEND may be "" when pvgpu-backend is not built: the tests that need a
 * running backend are then skipped, and the binary exits 77 (meson SKIP).
 * PVGPU_TEST_FILTER=NAME runs only the tests matching NAME.
 */
#ifndef HOOK_HARNESS_H
#define HOOK_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <sys/types.h>

#include "cmocka-skips.h"

#define UUID "6a1f0c52-3d4e-4b8a-9c7d-0e1f2a3b4c5d"
#define HOOK_DEADLINE_S 30
#define PROCESS_DEADLINE_S 10
#define MISMATCH_LINE \
    "pvgpu: domain 'vm1': the QEMU command line does not match the pvgpu " \
    "metadata; run: pvgpuctl sync vm1\n"

extern const char *hook_path;
extern const char *backend_path;
extern const char *failing_backend_source;

typedef struct {
    char *base;
    char *runtime;
    char *pidfile;
    char *control;
    char *device;
    char *log;
    char *qemu_conf;
    char *passwd;
    char *group;
    char *apparmor;         /* PVGPU_APPARMOR_DIR, absent unless a test makes it */
    char *apparmor_enabled; /* PVGPU_APPARMOR_ENABLED */
} Fixture;

/* The users and groups the hook sees (PVGPU_PASSWD_FILE, PVGPU_GROUP_FILE),
 * so that no test depends on the machine's accounts. */
#define QEMU_UID 64100
#define QEMU_GID 64100
#define KVM_GID 64101
#define FEDORA_QEMU_ID 64107
#define PASSWD_ROOT "root:x:0:0:root:/root:/bin/sh\n"
#define PASSWD_DEBIAN PASSWD_ROOT \
    "libvirt-qemu:x:64100:64100::/var/lib/libvirt:/usr/sbin/nologin\n"
#define GROUP_ROOT "root:x:0:\n"
#define GROUP_DEBIAN GROUP_ROOT "libvirt-qemu:x:64100:\nkvm:x:64101:\n"

typedef struct {
    gboolean exited;
    int status;
    char *out;
    char *err;
} HookResult;

void hook_result_free(HookResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HookResult, hook_result_free)

void write_file(const char *path, const char *text);
char *read_text(const char *path);
gboolean exists(const char *path);
void write_qemu_conf(const Fixture *f, const char *user, const char *group);
int setup(void **state);
int teardown(void **state);

gboolean read_pid(const char *pidfile, pid_t *pid);
/* Alive and not a zombie (orphans wait for PID 1 to reap them). */
gboolean process_alive(pid_t pid);
gboolean wait_process_gone(pid_t pid);

/* `hook vm1 OP SUB -` with stdin from input_path (or xml) and fd 5 open. */
HookResult *run_hook_file(const char *input_path, const char *op,
                          const char *sub);
HookResult *run_hook(const Fixture *f, const char *xml, const char *op,
                     const char *sub);
/* Domain XML with metadata gpu_attrs; its <qemu:commandline> holds a user
 * argument pair, then the pvgpu pair derived from cmdline_attrs (NULL: from
 * gpu_attrs; "": no pvgpu pair). gpu_attrs NULL: no pvgpu metadata. */
char *domain_xml(const char *gpu_attrs, const char *cmdline_attrs);

void assert_one_error_line(const HookResult *r, const char *part);
void assert_silent_success(const HookResult *r);
void require_backend(void);
void require_root(void);
/* The pid of the backend, checked alive and answering on its socket. */
pid_t running_backend(const Fixture *f);
/* prepare begin, which must succeed silently. */
void prepare(const Fixture *f, const char *xml);

/* A root-owned 0600 file a hostile directory can point at. */
char *make_victim(const Fixture *f, const char *name);
void assert_untouched(const char *victim);

/* PVGPU_BACKEND: a copy of FAILING_BACKEND, which logs its arguments and
 * fails with status 2. */
void use_stand_in_backend(const Fixture *f);
/* The arguments the hook starts a stand-in backend with (FAILING_BACKEND,
 * which logs them and fails), at op (prepare or reconnect), qemu.conf
 * naming libvirt-qemu:kvm plus conf_line (NULL: none). */
char *stand_in_backend_args(const Fixture *f, const char *xml,
                            const char *op, const char *conf_line);
/* xml with seclabel added as the domain's last element. */
char *with_seclabel(const char *xml, const char *seclabel);

#define HOOK_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* Parses the arguments, applies PVGPU_TEST_FILTER, runs the tests: the
 * exit status (failures, else 77 when some were skipped, else 0). */
int hook_harness_run(int argc, char **argv, const char *group,
                     const struct CMUnitTest *tests, size_t count);

#endif
