/* SPDX-License-Identifier: MIT */
/*
 * Runs the libvirt hook binary as libvirt does (arguments, domain XML on
 * stdin) with its paths pointed at a temporary directory, and checks what
 * it leaves behind: the backend process, the runtime directory, its output.
 *
 * Usage: test-hook HOOK BACKEND FAILING_BACKEND
 * BACKEND may be "" when pvgpu-backend is not built: the tests that need a
 * running backend are then skipped, and the binary exits 77 (meson SKIP).
 * PVGPU_TEST_FILTER=NAME runs only the tests matching NAME.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cmocka-skips.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvgpu-control-client.h"
#include "pvgpu-domain.h"
#include "pvgpu-xml.h"
#include "syscall-pause.h"

#define UUID "6a1f0c52-3d4e-4b8a-9c7d-0e1f2a3b4c5d"
#define HOOK_DEADLINE_S 30
#define PROCESS_DEADLINE_S 10
#define MISMATCH_LINE \
    "pvgpu: domain 'vm1': the QEMU command line does not match the pvgpu " \
    "metadata; run: pvgpuctl sync vm1\n"

static const char *hook_path;
static const char *backend_path;
static const char *failing_backend_source;

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

static void hook_result_free(HookResult *r)
{
    g_free(r->out);
    g_free(r->err);
    g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HookResult, hook_result_free)

static void write_file(const char *path, const char *text)
{
    g_autoptr(GError) error = NULL;
    if (!g_file_set_contents(path, text, -1, &error)) {
        print_error("%s\n", error->message);
        fail();
    }
}

static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *name;
        while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            remove_tree(child);
        }
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

static void write_qemu_conf(const Fixture *f, const char *user,
                            const char *group)
{
    g_autofree char *text = g_strdup_printf(
        "# written by test-hook\n#user = \"nobody\"\nuser = \"%s\"  # ok\n"
        "group = '%s'\n", user, group);
    write_file(f->qemu_conf, text);
}

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->base = g_dir_make_tmp("pvgpu-hook-XXXXXX", NULL);
    if (f->base == NULL || chmod(f->base, 0755) < 0) {
        return -1;
    }
    g_autofree char *run = g_build_filename(f->base, "run", NULL);
    g_autofree char *logs = g_build_filename(f->base, "log", NULL);
    f->runtime = g_build_filename(run, UUID, NULL);
    f->pidfile = g_build_filename(f->runtime, "backend.pid", NULL);
    f->control = g_build_filename(f->runtime, "control.sock", NULL);
    f->device = g_build_filename(f->runtime, "device.sock", NULL);
    f->log = g_build_filename(logs, UUID ".log", NULL);
    f->qemu_conf = g_build_filename(f->base, "qemu.conf", NULL);
    f->passwd = g_build_filename(f->base, "passwd", NULL);
    f->group = g_build_filename(f->base, "group", NULL);
    write_file(f->passwd, PASSWD_DEBIAN);
    write_file(f->group, GROUP_DEBIAN);
    f->apparmor = g_build_filename(f->base, "apparmor.d", NULL);
    f->apparmor_enabled = g_build_filename(f->base, "apparmor-enabled", NULL);
    g_setenv("PVGPU_APPARMOR_DIR", f->apparmor, TRUE);
    g_setenv("PVGPU_APPARMOR_ENABLED", f->apparmor_enabled, TRUE);
    g_setenv("PVGPU_PASSWD_FILE", f->passwd, TRUE);
    g_setenv("PVGPU_GROUP_FILE", f->group, TRUE);
    g_setenv("PVGPU_RUNTIME_DIR", run, TRUE);
    g_setenv("PVGPU_LOG_DIR", logs, TRUE);
    g_setenv("PVGPU_QEMU_CONF", f->qemu_conf, TRUE);
    g_setenv("PVGPU_HOOK_LAUNCHER", "direct", TRUE);
    g_setenv("PVGPU_BACKEND", backend_path[0] ? backend_path : "/nonexistent",
             TRUE);
    g_autofree char *uid = g_strdup_printf("+%u", (unsigned)getuid());
    g_autofree char *gid = g_strdup_printf("+%u", (unsigned)getgid());
    write_qemu_conf(f, uid, gid);
    *state = f;
    return 0;
}

static gboolean read_pid(const char *pidfile, pid_t *pid)
{
    g_autofree char *text = NULL;
    gint64 value = 0;
    struct stat st;
    /* tests plant FIFOs and symlinks to /dev/zero there */
    if (lstat(pidfile, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 32 ||
        !g_file_get_contents(pidfile, &text, NULL, NULL) ||
        !g_ascii_string_to_signed(g_strstrip(text), 10, 1, G_MAXINT32, &value,
                                  NULL)) {
        return FALSE;
    }
    *pid = (pid_t)value;
    return TRUE;
}

/* Alive and not a zombie (orphans wait for PID 1 to reap them). */
static gboolean process_alive(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *stat = NULL;
    if (!g_file_get_contents(path, &stat, NULL, NULL)) {
        return FALSE;
    }
    const char *state = strrchr(stat, ')');
    return state != NULL && state[1] == ' ' && state[2] != 'Z' &&
           state[2] != 'X';
}

static gboolean wait_process_gone(pid_t pid)
{
    gint64 deadline = g_get_monotonic_time() + PROCESS_DEADLINE_S * G_USEC_PER_SEC;
    while (process_alive(pid)) {
        if (g_get_monotonic_time() > deadline) {
            return FALSE;
        }
        g_usleep(10000);
    }
    return TRUE;
}

/* Kills a backend the test left running; only ours (cmdline names base). */
static void kill_leftover_backend(const Fixture *f)
{
    pid_t pid = 0;
    g_autofree char *path = NULL;
    g_autofree char *cmdline = NULL;
    gsize len = 0;
    if (!read_pid(f->pidfile, &pid)) {
        return;
    }
    path = g_strdup_printf("/proc/%d/cmdline", (int)pid);
    if (g_file_get_contents(path, &cmdline, &len, NULL) &&
        memmem(cmdline, len, f->base, strlen(f->base)) != NULL) {
        kill(pid, SIGKILL);
        wait_process_gone(pid);
    }
}

static int teardown(void **state)
{
    Fixture *f = *state;
    kill_leftover_backend(f);
    remove_tree(f->base);
    g_free(f->base);
    g_free(f->runtime);
    g_free(f->pidfile);
    g_free(f->control);
    g_free(f->device);
    g_free(f->log);
    g_free(f->qemu_conf);
    g_free(f->passwd);
    g_free(f->group);
    g_free(f->apparmor);
    g_free(f->apparmor_enabled);
    g_free(f);
    return 0;
}

typedef struct {
    gboolean done;
    GError *error;
    char *out;
    char *err;
} Communication;

static void communicated(GObject *source, GAsyncResult *result, gpointer data)
{
    Communication *c = data;
    g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), result, &c->out,
                                         &c->err, &c->error);
    c->done = TRUE;
}

static gboolean wake(gpointer data)
{
    (void)data;
    return G_SOURCE_CONTINUE;
}

/*
 * Runs `hook vm1 OP SUB -` with stdin from a file and fd 5 open. Waiting for EOF on
 * stdout and stderr also proves the backend did not inherit them: libvirt
 * clients hang exactly when a hook's child keeps them open.
 */
static HookResult *run_hook_file(const char *input_path, const char *op,
                                 const char *sub)
{
    g_autoptr(GMainContext) context = g_main_context_new();
    g_main_context_push_thread_default(context);
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
        G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_subprocess_launcher_set_stdin_file_path(launcher, input_path);
    /* libvirt may leak descriptors into hooks: the backend must not get
     * them (failing-backend.sh checks fds 4..9). */
    int leaked = open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true(leaked >= 0);
    g_subprocess_launcher_take_fd(launcher, leaked, 5);
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) hook = g_subprocess_launcher_spawn(
        launcher, &error, hook_path, "vm1", op, sub, "-", NULL);
    assert_non_null(hook);

    Communication c = { 0 };
    g_subprocess_communicate_utf8_async(hook, NULL, NULL, communicated, &c);
    g_autoptr(GSource) tick = g_timeout_source_new(50);
    g_source_set_callback(tick, wake, NULL, NULL);
    g_source_attach(tick, context);
    gint64 deadline = g_get_monotonic_time() + HOOK_DEADLINE_S * G_USEC_PER_SEC;
    while (!c.done && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(context, TRUE);
    }
    g_source_destroy(tick);
    if (!c.done) {
        g_subprocess_force_exit(hook);
        print_error("hook %s %s: no EOF on its output within %d s (a child "
                    "kept the hook's stdout or stderr?)\n", op, sub,
                    HOOK_DEADLINE_S);
        fail();
    }
    if (c.error != NULL) {
        print_error("hook %s %s: %s\n", op, sub, c.error->message);
        fail();
    }
    g_main_context_pop_thread_default(context);

    HookResult *r = g_new0(HookResult, 1);
    r->exited = g_subprocess_get_if_exited(hook);
    r->status = r->exited ? g_subprocess_get_exit_status(hook) : -1;
    r->out = c.out != NULL ? c.out : g_strdup("");
    r->err = c.err != NULL ? c.err : g_strdup("");
    assert_true(r->exited);
    return r;
}

static HookResult *run_hook(const Fixture *f, const char *xml, const char *op,
                            const char *sub)
{
    g_autofree char *input = g_build_filename(f->base, "input.xml", NULL);
    write_file(input, xml);
    return run_hook_file(input, op, sub);
}

/* Domain XML with metadata gpu_attrs; its <qemu:commandline> holds a user
 * argument pair, then the pvgpu pair derived from cmdline_attrs (NULL: from
 * gpu_attrs; "": no pvgpu pair). gpu_attrs NULL: no pvgpu metadata. */
static char *domain_xml(const char *gpu_attrs, const char *cmdline_attrs)
{
    static const char *const format =
        "<domain type='qemu' xmlns:qemu='" PVGPU_QEMU_NS "'>\n"
        "  <name>vm1</name>\n"
        "  <uuid>" UUID "</uuid>\n"
        "  <metadata>\n"
        "    <app:x xmlns:app='urn:example:app'/>\n%s"
        "  </metadata>\n"
        "  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>\n"
        "  <qemu:commandline>\n"
        "    <qemu:arg value='-set'/>\n"
        "    <qemu:arg value='device.x.y=1'/>\n%s"
        "  </qemu:commandline>\n"
        "</domain>\n";
    const char *source = cmdline_attrs != NULL ? cmdline_attrs : gpu_attrs;
    g_autofree char *args = g_strdup("");
    if (source != NULL && source[0] != '\0') {
        g_autofree char *gpu = g_strdup_printf(
            "    <pvgpu:gpu xmlns:pvgpu='" PVGPU_METADATA_NS "' %s/>\n",
            source);
        g_autofree char *plain = g_strdup_printf(format, gpu, "");
        g_autoptr(xmlDoc) doc = pvgpu_xml_parse(plain, strlen(plain), NULL);
        g_autoptr(PvgpuDomainConfig) config = NULL;
        assert_true(pvgpu_domain_config_from_xml(doc, &config, NULL));
        assert_non_null(config);
        g_autoptr(GPtrArray) values = pvgpu_domain_qemu_args(config);
        g_free(args);
        args = g_strdup_printf("    <qemu:arg value='%s'/>\n"
                               "    <qemu:arg value='%s'/>\n",
                               (char *)values->pdata[0],
                               (char *)values->pdata[1]);
    }
    g_autofree char *gpu = gpu_attrs == NULL ? g_strdup("") : g_strdup_printf(
        "    <pvgpu:gpu xmlns:pvgpu='" PVGPU_METADATA_NS "' %s/>\n", gpu_attrs);
    return g_strdup_printf(format, gpu, args);
}

static void assert_one_error_line(const HookResult *r, const char *part)
{
    if (!g_str_has_prefix(r->err, "pvgpu: ") ||
        !g_str_has_suffix(r->err, "\n") ||
        strchr(r->err, '\n') != r->err + strlen(r->err) - 1 ||
        strstr(r->err, part) == NULL) {
        print_error("stderr \"%s\" is not one \"pvgpu: \" line with \"%s\"\n",
                    r->err, part);
        fail();
    }
}

static void assert_silent_success(const HookResult *r)
{
    if (r->status != 0 || r->out[0] != '\0' || r->err[0] != '\0') {
        print_error("status %d, stdout \"%s\", stderr \"%s\"\n", r->status,
                    r->out, r->err);
        fail();
    }
}

static gboolean exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void require_backend(void)
{
    if (backend_path[0] == '\0') {
        skip_because("no pvgpu-backend was built (BACKEND argument empty)");
    }
}

static JsonObject *backend_status(const Fixture *f, JsonNode **keep)
{
    g_autoptr(GError) error = NULL;
    *keep = pvgpu_control_command(f->control, "status", &error);
    if (*keep == NULL) {
        print_error("%s\n", error->message);
        fail();
    }
    return json_object_get_object_member(json_node_get_object(*keep),
                                         "status");
}

static pid_t running_backend(const Fixture *f)
{
    pid_t pid = 0;
    assert_true(read_pid(f->pidfile, &pid));
    assert_true(process_alive(pid));
    g_autoptr(JsonNode) node = NULL;
    JsonObject *status = backend_status(f, &node);
    assert_non_null(status);
    assert_int_equal(json_object_get_int_member(status, "pid"), pid);
    return pid;
}

static void prepare(const Fixture *f, const char *xml)
{
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_silent_success(r);
}

static void test_not_ours(void **state)
{
    Fixture *f = *state;
    static const char *const ops[][2] = {
        { "prepare", "begin" }, { "start", "begin" }, { "started", "begin" },
        { "stopped", "end" },   { "release", "end" }, { "reconnect", "begin" },
        { "migrate", "begin" }, { "restore", "begin" },
    };
    g_autofree char *plain = domain_xml(NULL, "");
    /* a gpu element of another namespace is not ours either */
    g_autofree char *other = g_strdup_printf(
        "%.*s<gpu:gpu xmlns:gpu='urn:example:gpu' shmem='3M'/>%s",
        (int)(strstr(plain, "  </metadata>") - plain), plain,
        strstr(plain, "  </metadata>"));
    const char *inputs[] = { plain, other };
    for (guint i = 0; i < G_N_ELEMENTS(inputs); i++) {
        for (guint j = 0; j < G_N_ELEMENTS(ops); j++) {
            g_autoptr(HookResult) r = run_hook(f, inputs[i], ops[j][0],
                                               ops[j][1]);
            assert_silent_success(r);
        }
    }
    g_autofree char *run = g_path_get_dirname(f->runtime);
    assert_false(exists(run));
}

static void test_other_operations_ignored(void **state)
{
    Fixture *f = *state;
    g_autofree char *xml = domain_xml("shmem='3M'", "shmem='256M'");
    static const char *const ops[][2] = {
        { "attach", "begin" }, { "prepare", "end" }, { "release", "begin" },
        { "bogus", "-" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(ops); i++) {
        g_autoptr(HookResult) r = run_hook(f, xml, ops[i][0], ops[i][1]);
        assert_silent_success(r);
    }
    assert_false(exists(f->runtime));
}

static void test_prepare_and_release(void **state)
{
    Fixture *f = *state;
    require_backend();
    g_autofree char *xml = domain_xml("shmem='64M' display='800x600'", NULL);
    prepare(f, xml);

    struct stat st;
    assert_int_equal(lstat(f->runtime, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0750);
    assert_int_equal(lstat(f->device, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0660);
    pid_t pid = running_backend(f);

    /* The device socket listens for QEMU */
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    g_strlcpy(addr.sun_path, f->device, sizeof(addr.sun_path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    close(fd);

    for (const char *op = "start"; op != NULL;
         op = strcmp(op, "start") == 0 ? "started" : NULL) {
        g_autoptr(HookResult) r = run_hook(f, xml, op, "begin");
        assert_silent_success(r);
    }

    g_autoptr(HookResult) stopped = run_hook(f, xml, "stopped", "end");
    assert_silent_success(stopped);
    assert_true(wait_process_gone(pid));
    assert_false(exists(f->runtime));
    g_autoptr(HookResult) release = run_hook(f, xml, "release", "end");
    assert_silent_success(release);
    assert_true(exists(f->log));
}

/* stdin from /dev/null, stdout and stderr into the log, fd 3 the socket. */
static void test_backend_is_detached(void **state)
{
    Fixture *f = *state;
    require_backend();
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    pid_t pid = running_backend(f);
    static const char *const expected[] = { "/dev/null", NULL, NULL };
    for (int fd = 0; fd <= 3; fd++) {
        g_autofree char *link = g_strdup_printf("/proc/%d/fd/%d", (int)pid, fd);
        g_autofree char *target = g_file_read_link(link, NULL);
        assert_non_null(target);
        if (fd == 3) {
            assert_true(g_str_has_prefix(target, "socket:"));
        } else {
            assert_string_equal(target, expected[fd] ? expected[fd] : f->log);
        }
    }
    g_autofree char *stat_path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *stat = NULL;
    assert_true(g_file_get_contents(stat_path, &stat, NULL, NULL));
    /* fields after ") ": state ppid pgrp session; a new session: sid == pid */
    int ppid = 0, pgrp = 0, session = 0;
    assert_int_equal(sscanf(strrchr(stat, ')') + 2, "%*c %d %d %d", &ppid,
                            &pgrp, &session), 3);
    assert_int_equal(session, pid);
    g_autoptr(HookResult) r = run_hook(f, xml, "release", "end");
    assert_silent_success(r);
    assert_true(wait_process_gone(pid));
}

static void test_prepare_replaces_stale_backend(void **state)
{
    Fixture *f = *state;
    require_backend();
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    pid_t first = running_backend(f);
    prepare(f, xml);
    pid_t second = running_backend(f);
    assert_int_not_equal(first, second);
    assert_true(wait_process_gone(first));
}

static void test_invalid_metadata(void **state)
{
    Fixture *f = *state;
    g_autofree char *xml = domain_xml("shmem='3M'", "shmem='4M'");
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 1);
    assert_one_error_line(r, "pvgpu: domain 'vm1': shmem '3M' must be a power "
                             "of two between 4M and 64G");
    assert_string_equal(r->out, "");
    assert_false(exists(f->runtime));
}

static void test_not_well_formed(void **state)
{
    Fixture *f = *state;
    g_autoptr(HookResult) r = run_hook(f, "<domain><name>vm1", "prepare",
                                       "begin");
    assert_int_equal(r->status, 1);
    assert_one_error_line(r, "is not well-formed");
}

static void test_commandline_mismatch(void **state)
{
    Fixture *f = *state;
    g_autofree char *stale = domain_xml("shmem='256M'", "shmem='512M'");
    g_autoptr(HookResult) r = run_hook(f, stale, "prepare", "begin");
    assert_int_equal(r->status, 1);
    assert_string_equal(r->err, MISMATCH_LINE);
    assert_false(exists(f->runtime));

    g_autofree char *missing = domain_xml("shmem='256M'", "");
    g_autoptr(HookResult) r2 = run_hook(f, missing, "prepare", "begin");
    assert_int_equal(r2->status, 1);
    assert_string_equal(r2->err, MISMATCH_LINE);
}

static void test_missing_backend(void **state)
{
    Fixture *f = *state;
    g_autofree char *missing = g_build_filename(f->base, "no-backend", NULL);
    g_setenv("PVGPU_BACKEND", missing, TRUE);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 2);
    g_autofree char *part = g_strdup_printf(
        "the pvgpu backend %s is missing or not executable", missing);
    assert_one_error_line(r, part);
    assert_false(exists(f->runtime));
}

static void test_backend_dies_during_start(void **state)
{
    Fixture *f = *state;
    g_autofree char *script = g_build_filename(f->base, "failing-backend",
                                               NULL);
    g_autofree char *text = NULL;
    assert_true(g_file_get_contents(failing_backend_source, &text, NULL, NULL));
    write_file(script, text);
    assert_int_equal(chmod(script, 0755), 0);
    g_setenv("PVGPU_BACKEND", script, TRUE);

    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 2);
    /* status 2 (not 8 or 9): fd 3 was a socket and fds 4..9 were closed */
    assert_one_error_line(r, "the pvgpu backend exited with status 2 during "
                             "start-up: ");
    assert_non_null(strstr(r->err, "pvgpu-backend: cannot open display :0"));
    assert_non_null(strstr(r->err, f->log));
    assert_false(exists(f->runtime));
    g_autofree char *log = NULL;
    assert_true(g_file_get_contents(f->log, &log, NULL, NULL));
    assert_non_null(strstr(log, "--fd=3 --control-socket="));
}

static void test_started_with_dead_backend(void **state)
{
    Fixture *f = *state;
    require_backend();
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    pid_t pid = running_backend(f);
    kill(pid, SIGKILL);
    assert_true(wait_process_gone(pid));
    g_autoptr(HookResult) r = run_hook(f, xml, "started", "begin");
    assert_int_equal(r->status, 2);
    assert_one_error_line(r, "the pvgpu backend is no longer running");
}

static void test_reconnect_restarts_dead_backend(void **state)
{
    Fixture *f = *state;
    require_backend();
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    pid_t old = running_backend(f);

    g_autoptr(HookResult) alive = run_hook(f, xml, "reconnect", "begin");
    assert_silent_success(alive);
    assert_int_equal(running_backend(f), old);

    kill(old, SIGKILL);
    assert_true(wait_process_gone(old));
    g_autoptr(HookResult) r = run_hook(f, xml, "reconnect", "begin");
    assert_silent_success(r);
    pid_t new_pid = running_backend(f);
    assert_int_not_equal(new_pid, old);

    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    g_strlcpy(addr.sun_path, f->device, sizeof(addr.sun_path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    close(fd);
}

/* libvirt kills the VM when reconnect fails: always 0, but say why. */
static void test_reconnect_failure_exits_zero(void **state)
{
    Fixture *f = *state;
    g_setenv("PVGPU_BACKEND", "/nonexistent/pvgpu-backend", TRUE);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "reconnect", "begin");
    assert_int_equal(r->status, 0);
    assert_one_error_line(r, "is missing or not executable");

    g_autofree char *invalid = domain_xml("shmem='3M'", "shmem='4M'");
    g_autoptr(HookResult) r2 = run_hook(f, invalid, "reconnect", "begin");
    assert_int_equal(r2->status, 0);
    assert_one_error_line(r2, "shmem '3M'");
}

static void check_filter(const Fixture *f, const char *op)
{
    g_autofree char *stale = domain_xml("shmem='256M'", "shmem='1G'");
    g_autoptr(HookResult) r = run_hook(f, stale, op, "begin");
    assert_int_equal(r->status, 0);
    assert_string_equal(r->err, "");
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = pvgpu_xml_parse(r->out, strlen(r->out), &error);
    assert_non_null(doc);
    g_autoptr(PvgpuDomainConfig) config = NULL;
    assert_true(pvgpu_domain_config_from_xml(doc, &config, &error));
    assert_non_null(config);
    assert_true(config->shmem_size == (G_GUINT64_CONSTANT(256) << 20));
    if (!pvgpu_domain_check_commandline(doc, config, &error)) {
        print_error("%s\n", error->message);
        fail();
    }
    assert_non_null(strstr(r->out, "shmem_size=256M,backend_pipe="));
    assert_null(strstr(r->out, "shmem_size=1G"));
    const char *user_arg = strstr(r->out, "device.x.y=1");
    assert_non_null(user_arg);
    assert_true(user_arg < strstr(r->out, "pvgpu,id=pvgpu0"));
    assert_non_null(strstr(r->out, "urn:example:app"));
    assert_false(exists(f->runtime)); /* a filter starts nothing */
}

static void test_migrate_filter(void **state)
{
    check_filter(*state, "migrate");
}

static void test_restore_filter(void **state)
{
    check_filter(*state, "restore");
}

/* A pidfile naming a process that is not this domain's backend. */
static void test_release_spares_foreign_pid(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    GPid sleeper = 0;
    const char *argv[] = { "sleep", "60", NULL };
    assert_true(g_spawn_async(NULL, (char **)argv, NULL,
                              G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                              NULL, NULL, &sleeper, &error));
    assert_int_equal(g_mkdir_with_parents(f->runtime, 0750), 0);
    g_autofree char *pid_text = g_strdup_printf("%d\n", (int)sleeper);
    write_file(f->pidfile, pid_text);

    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "release", "end");
    assert_silent_success(r);
    gboolean survived = process_alive(sleeper);
    kill(sleeper, SIGKILL);
    waitpid(sleeper, NULL, 0);
    assert_true(survived);
    assert_false(exists(f->runtime));
}

static void test_release_keeps_foreign_files(void **state)
{
    Fixture *f = *state;
    assert_int_equal(g_mkdir_with_parents(f->runtime, 0750), 0);
    g_autofree char *notes = g_build_filename(f->runtime, "notes.txt", NULL);
    write_file(notes, "mine");
    write_file(f->pidfile, "1\n"); /* init is never the backend */
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "release", "end");
    assert_int_equal(r->status, 0);
    assert_one_error_line(r, "it holds files pvgpu did not create");
    assert_true(exists(notes));
    assert_false(exists(f->pidfile));
}

static void test_oversized_input(void **state)
{
    Fixture *f = *state;
    g_autofree char *input = g_build_filename(f->base, "huge.xml", NULL);
    write_file(input, "");
    assert_int_equal(truncate(input, (17 << 20)), 0);
    g_autoptr(HookResult) r = run_hook_file(input, "prepare", "begin");
    assert_int_equal(r->status, 3);
    assert_one_error_line(r, "larger than 16 MiB");
}

static void require_root(void)
{
    if (geteuid() != 0) {
        skip_because("needs root (to run the backend as another user)");
    }
}

static void assert_owned_by(const char *path, uid_t uid, gid_t gid)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    if (st.st_uid != uid || st.st_gid != gid) {
        print_error("%s belongs to %u:%u, expected %u:%u\n", path,
                    (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)uid,
                    (unsigned)gid);
        fail();
    }
}

static void assert_backend_runs_as(const Fixture *f, uid_t uid, gid_t gid)
{
    pid_t pid = running_backend(f);
    g_autofree char *status_path = g_strdup_printf("/proc/%d/status", (int)pid);
    g_autofree char *status = NULL;
    assert_true(g_file_get_contents(status_path, &status, NULL, NULL));
    g_autofree char *uid_line = g_strdup_printf("\nUid:\t%u\t%u\t", uid, uid);
    g_autofree char *gid_line = g_strdup_printf("\nGid:\t%u\t%u\t", gid, gid);
    assert_non_null(strstr(status, uid_line));
    assert_non_null(strstr(status, gid_line));
}

/* The runtime directory and socket belong to the qemu.conf user, and so
 * does the backend process. */
static void test_qemu_conf_owner(void **state)
{
    Fixture *f = *state;
    require_backend();
    require_root();
    write_qemu_conf(f, "libvirt-qemu", "kvm");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    assert_owned_by(f->runtime, QEMU_UID, KVM_GID);
    assert_owned_by(f->device, QEMU_UID, KVM_GID);
    assert_backend_runs_as(f, QEMU_UID, KVM_GID);
}

/* Without user and group in qemu.conf (Debian ships them commented out),
 * QEMU runs as libvirt's built-in libvirt-qemu:libvirt-qemu: the socket
 * must belong to it, not to root. */
static void test_qemu_conf_default_owner(void **state)
{
    Fixture *f = *state;
    require_backend();
    require_root();
    write_file(f->qemu_conf, "# as Debian ships it\n"
                             "#user = \"libvirt-qemu\"\n"
                             "#group = \"libvirt-qemu\"\n");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    assert_owned_by(f->runtime, QEMU_UID, QEMU_GID);
    assert_owned_by(f->device, QEMU_UID, QEMU_GID);
    assert_backend_runs_as(f, QEMU_UID, QEMU_GID);
}

/* Fedora and RHEL build libvirt with qemu:qemu. */
static void test_qemu_conf_default_fedora_owner(void **state)
{
    Fixture *f = *state;
    require_backend();
    require_root();
    write_file(f->passwd, PASSWD_ROOT
               "qemu:x:64107:64107::/:/sbin/nologin\n");
    write_file(f->group, GROUP_ROOT "qemu:x:64107:\n");
    write_file(f->qemu_conf, "#user = \"qemu\"\n");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    assert_owned_by(f->runtime, FEDORA_QEMU_ID, FEDORA_QEMU_ID);
    assert_owned_by(f->device, FEDORA_QEMU_ID, FEDORA_QEMU_ID);
    assert_backend_runs_as(f, FEDORA_QEMU_ID, FEDORA_QEMU_ID);
}

/* Neither default user exists: never root, say where to set one. */
static void test_qemu_conf_no_default_user(void **state)
{
    Fixture *f = *state;
    write_file(f->passwd, PASSWD_ROOT "nobody:x:65534:65534::/:/bin/false\n");
    write_file(f->group, GROUP_ROOT);
    write_file(f->qemu_conf, "#user = \"libvirt-qemu\"\n");
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 3);
    g_autofree char *part = g_strdup_printf(
        "%s sets no user and neither libvirt-qemu nor qemu exists; set user "
        "= \"...\" in %s", f->qemu_conf, f->qemu_conf);
    assert_one_error_line(r, part);
    assert_false(exists(f->runtime));

    /* A missing qemu.conf is the same */
    g_unlink(f->qemu_conf);
    g_autoptr(HookResult) r2 = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r2->status, 3);
    assert_one_error_line(r2, "sets no user and neither");
    assert_false(exists(f->runtime));
}

/* A numeric user without a group, and no default group: not gid 0. */
static void test_qemu_conf_no_default_group(void **state)
{
    Fixture *f = *state;
    write_file(f->group, GROUP_ROOT);
    write_file(f->qemu_conf, "user = \"+64100\"\n");
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 3);
    assert_one_error_line(r, "sets no group and neither libvirt-qemu nor qemu "
                             "exists; set group = \"...\" in");
    assert_false(exists(f->runtime));
}

/* Only the user set: the group stays libvirt's default, as in libvirt. */
static void test_qemu_conf_default_group(void **state)
{
    Fixture *f = *state;
    require_backend();
    require_root();
    write_file(f->qemu_conf, "user = \"+0\"\n");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    assert_owned_by(f->runtime, 0, QEMU_GID);
    assert_owned_by(f->device, 0, QEMU_GID);
}

/* root written out in qemu.conf is honoured, with a warning in the log
 * (libvirt drops the stderr of a hook that succeeds). */
static void test_qemu_conf_root_warns(void **state)
{
    Fixture *f = *state;
    require_backend();
    require_root();
    write_qemu_conf(f, "root", "root");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    assert_backend_runs_as(f, 0, 0);
    g_autofree char *log = NULL;
    assert_true(g_file_get_contents(f->log, &log, NULL, NULL));
    assert_non_null(strstr(log, "pvgpu hook: warning: qemu.conf sets user "
                                "root, so the backend runs as root\n"));
}

static void test_qemu_conf_unknown_user(void **state)
{
    Fixture *f = *state;
    write_qemu_conf(f, "no-such-user-pvgpu", "root");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 3);
    assert_one_error_line(r, "sets user = \"no-such-user-pvgpu\", which does "
                             "not exist");
    assert_false(exists(f->runtime));
}

/* A root-owned file a hostile runtime directory points at. */
static char *make_victim(const Fixture *f, const char *name)
{
    char *victim = g_build_filename(f->base, name, NULL);
    write_file(victim, "victim\n");
    assert_int_equal(chmod(victim, 0600), 0);
    return victim;
}

static void assert_untouched(const char *victim)
{
    struct stat st;
    assert_int_equal(lstat(victim, &st), 0);
    if (!S_ISREG(st.st_mode) || (st.st_mode & 07777) != 0600 ||
        st.st_uid != 0 || st.st_gid != 0) {
        print_error("%s was changed: mode %o, owner %u:%u\n", victim,
                    (unsigned)st.st_mode, (unsigned)st.st_uid,
                    (unsigned)st.st_gid);
        fail();
    }
}

typedef struct {
    const Fixture *fixture;
    const char *victim;
    gboolean swapped;
} Swap;

/* As the QEMU user, replaces device.sock by a symlink to the victim. */
static void swap_device_socket(gpointer data)
{
    Swap *swap = data;
    g_autofree char *temp = g_build_filename(swap->fixture->runtime,
                                             ".swap", NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgroups(0, NULL) < 0 || setgid(KVM_GID) < 0 ||
            setuid(QEMU_UID) < 0) {
            _exit(2);
        }
        _exit(symlink(swap->victim, temp) == 0 &&
                      rename(temp, swap->fixture->device) == 0
                  ? 0
                  : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    swap->swapped = WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The QEMU user swaps device.sock for a symlink right after root binds it:
 * root must not chmod or chown what the symlink points at. */
static void test_prepare_device_socket_race(void **state)
{
    Fixture *f = *state;
    require_root();
    write_qemu_conf(f, "libvirt-qemu", "kvm");
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    g_autofree char *victim = make_victim(f, "victim");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autofree char *input = g_build_filename(f->base, "input.xml", NULL);
    g_autofree char *out = g_build_filename(f->base, "out.txt", NULL);
    g_autofree char *err = g_build_filename(f->base, "err.txt", NULL);
    write_file(input, xml);
    char *argv[] = { (char *)hook_path, "vm1", "prepare", "begin", "-", NULL };
    Swap swap = { .fixture = f, .victim = victim };
    gboolean paused = FALSE;
    int status = syscall_pause_run(argv, input, out, err, SYS_bind,
                                   swap_device_socket, &swap, &paused);
    assert_true(paused);
    assert_true(WIFEXITED(status));
    assert_untouched(victim);
    /* /bin/true is no backend: the start fails, cleanly */
    assert_int_equal(WEXITSTATUS(status), 2);
    g_autofree char *text = NULL;
    assert_true(g_file_get_contents(err, &text, NULL, NULL));
    assert_non_null(strstr(text, "exited with status 0 during start-up"));
}

/* /run/pvgpu/<uuid> is a symlink: neither prepare nor release may follow
 * it (both once removed device.sock and backend.pid inside the target). */
static void test_runtime_dir_symlink(void **state)
{
    Fixture *f = *state;
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    g_autofree char *target = g_build_filename(f->base, "victim-dir", NULL);
    assert_int_equal(g_mkdir(target, 0700), 0);
    g_autofree char *pidfile = make_victim(f, "victim-dir/backend.pid");
    g_autofree char *socket = make_victim(f, "victim-dir/device.sock");
    g_autofree char *run = g_path_get_dirname(f->runtime);
    assert_int_equal(g_mkdir(run, 0755), 0);
    assert_int_equal(symlink(target, f->runtime), 0);

    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 3);
    assert_one_error_line(r, "is not a directory");
    g_autoptr(HookResult) r2 = run_hook(f, xml, "release", "end");
    assert_int_equal(r2->status, 0);
    assert_one_error_line(r2, "is not a directory");
    assert_untouched(pidfile);
    assert_untouched(socket);
}

/* Others may write /run/pvgpu: it cannot be trusted to hold our sockets. */
static void test_runtime_base_writable(void **state)
{
    Fixture *f = *state;
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    g_autofree char *run = g_path_get_dirname(f->runtime);
    assert_int_equal(g_mkdir(run, 0755), 0);
    assert_int_equal(chmod(run, 01777), 0);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 3);
    assert_one_error_line(r, "must belong to root and be writable only by "
                             "it");
    assert_false(exists(f->runtime));
}

/* Runs release with backend.pid made by plant(f) in a root-owned runtime
 * directory: it must end promptly, exit 0 and name the refusal. */
static void check_release_refuses_pidfile(Fixture *f,
                                          void (*plant)(const Fixture *f),
                                          const char *why)
{
    assert_int_equal(g_mkdir_with_parents(f->runtime, 0750), 0);
    plant(f);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    gint64 start = g_get_monotonic_time();
    g_autoptr(HookResult) r = run_hook(f, xml, "release", "end");
    assert_true(g_get_monotonic_time() - start < 5 * G_USEC_PER_SEC);
    assert_int_equal(r->status, 0);
    g_autofree char *part = g_strdup_printf(
        "refusing the pidfile %s: %s", f->pidfile, why);
    assert_one_error_line(r, part);
    /* started/start say so too, instead of "no longer running" */
    plant(f);
    g_autoptr(HookResult) r2 = run_hook(f, xml, "started", "begin");
    assert_int_equal(r2->status, 3);
    assert_one_error_line(r2, part);
}

static void plant_fifo(const Fixture *f)
{
    g_unlink(f->pidfile);
    g_mkdir_with_parents(f->runtime, 0750);
    assert_int_equal(mkfifo(f->pidfile, 0644), 0);
}

/* Opening a FIFO for reading waits for a writer: libvirtd would hang. */
static void test_pidfile_fifo(void **state)
{
    check_release_refuses_pidfile(*state, plant_fifo,
                                  "it is not a regular file");
}

static void plant_dev_zero(const Fixture *f)
{
    g_unlink(f->pidfile);
    g_mkdir_with_parents(f->runtime, 0750);
    assert_int_equal(symlink("/dev/zero", f->pidfile), 0);
}

/* Reading /dev/zero to the end never ends. */
static void test_pidfile_dev_zero(void **state)
{
    check_release_refuses_pidfile(*state, plant_dev_zero,
                                  "it is a symbolic link");
}

static void plant_huge(const Fixture *f)
{
    g_mkdir_with_parents(f->runtime, 0750);
    g_autofree char *digits = g_strnfill(4096, '1');
    write_file(f->pidfile, digits);
}

static void test_pidfile_huge(void **state)
{
    check_release_refuses_pidfile(*state, plant_huge,
                                  "it is larger than 32 bytes");
}

static void plant_garbage(const Fixture *f)
{
    g_mkdir_with_parents(f->runtime, 0750);
    write_file(f->pidfile, "12 34\n");
}

static void plant_signed(const Fixture *f)
{
    g_mkdir_with_parents(f->runtime, 0750);
    write_file(f->pidfile, "-1\n");
}

static void plant_overflow(const Fixture *f)
{
    g_mkdir_with_parents(f->runtime, 0750);
    write_file(f->pidfile, "4294967297\n");
}

static void test_pidfile_garbage(void **state)
{
    check_release_refuses_pidfile(*state, plant_garbage,
                                  "it does not hold a pid");
    check_release_refuses_pidfile(*state, plant_signed,
                                  "it does not hold a pid");
    check_release_refuses_pidfile(*state, plant_overflow,
                                  "it does not hold a pid");
}

static void plant_foreign_owner(const Fixture *f)
{
    g_mkdir_with_parents(f->runtime, 0750);
    write_file(f->pidfile, "1\n");
    assert_int_equal(chown(f->pidfile, 12345, 12345), 0);
}

/* Only the directory's owner (the QEMU user) or root writes the pidfile. */
static void test_pidfile_foreign_owner(void **state)
{
    require_root();
    check_release_refuses_pidfile(*state, plant_foreign_owner,
                                  "it belongs to uid 12345, not to 0 or "
                                  "root");
}

/* prepare cannot tell whether a stale backend still runs: it says so. */
static void test_prepare_refuses_stale_pidfile(void **state)
{
    Fixture *f = *state;
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    plant_fifo(f);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 3);
    g_autofree char *part = g_strdup_printf(
        "refusing the pidfile %s: it is not a regular file", f->pidfile);
    assert_one_error_line(r, part);
}

/* A process that looks like this domain's backend in /proc/<pid>/cmdline
 * (argv[0] and --pidfile) but runs another binary is not signalled. */
static void test_release_spares_lookalike(void **state)
{
    Fixture *f = *state;
    g_autofree char *backend = g_build_filename(f->base, "bin",
                                                "pvgpu-backend", NULL);
    g_setenv("PVGPU_BACKEND", backend, TRUE);
    g_autofree char *pidfile_arg = g_strconcat("--pidfile=", f->pidfile, NULL);
    /* The shell blocks in a builtin: no child outlives the test. */
    g_autofree char *fifo = g_build_filename(f->base, "block", NULL);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    g_autofree char *wait = g_strdup_printf("read x < %s; :", fifo);
    const char *argv[] = { "/bin/sh", backend, "-c", wait, "sh", pidfile_arg,
                           NULL };
    GPid lookalike = 0;
    g_autoptr(GError) error = NULL;
    assert_true(g_spawn_async(NULL, (char **)argv, NULL,
                              G_SPAWN_FILE_AND_ARGV_ZERO |
                                  G_SPAWN_DO_NOT_REAP_CHILD |
                                  G_SPAWN_STDOUT_TO_DEV_NULL,
                              NULL, NULL, &lookalike, &error));
    assert_int_equal(g_mkdir_with_parents(f->runtime, 0750), 0);
    g_autofree char *pid_text = g_strdup_printf("%d\n", (int)lookalike);
    write_file(f->pidfile, pid_text);

    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "release", "end");
    gboolean survived = process_alive(lookalike);
    kill(lookalike, SIGKILL);
    waitpid(lookalike, NULL, 0);
    assert_silent_success(r);
    assert_true(survived);
    assert_false(exists(f->runtime));
}

/* The backend serves only the QEMU user (SO_PEERCRED): --peer-uid. */
static void test_backend_argv_peer_uid(void **state)
{
    Fixture *f = *state;
    require_root();
    write_qemu_conf(f, "libvirt-qemu", "kvm");
    g_autofree char *script = g_build_filename(f->base, "failing-backend",
                                               NULL);
    g_autofree char *text = NULL;
    assert_true(g_file_get_contents(failing_backend_source, &text, NULL, NULL));
    write_file(script, text);
    assert_int_equal(chmod(script, 0755), 0);
    g_setenv("PVGPU_BACKEND", script, TRUE);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 2);
    g_autofree char *log = NULL;
    assert_true(g_file_get_contents(f->log, &log, NULL, NULL));
    g_autofree char *arg = g_strdup_printf(" --peer-uid=%u ", QEMU_UID);
    if (strstr(log, arg) == NULL) {
        print_error("no \"%s\" in the backend's arguments: %s\n", arg, log);
        fail();
    }
}

/* As Debian 12 ships /etc/apparmor.d/libvirt/TEMPLATE.qemu. */
#define TEMPLATE_QEMU \
    "#\n# This profile is for the domain whose UUID matches this file.\n#\n\n" \
    "#include <tunables/global>\n\n" \
    "profile LIBVIRT_TEMPLATE flags=(attach_disconnected) {\n" \
    "  #include <abstractions/libvirt-qemu>\n}\n"
#define PROFILE_NAME "libvirt-" UUID
#define RULES_INCLUDE "  #include if exists <pvgpu/" UUID ">\n"

/* A temporary /etc/apparmor.d with libvirt's template; AppArmor enabled. */
static char *make_apparmor_dir(const Fixture *f)
{
    g_autofree char *libvirt = g_build_filename(f->apparmor, "libvirt", NULL);
    assert_int_equal(g_mkdir_with_parents(libvirt, 0755), 0);
    g_autofree char *template = g_build_filename(libvirt, "TEMPLATE.qemu",
                                                 NULL);
    write_file(template, TEMPLATE_QEMU);
    write_file(f->apparmor_enabled, "Y\n");
    return g_build_filename(libvirt, PROFILE_NAME, NULL);
}

static char *read_text(const char *path)
{
    char *text = NULL;
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents(path, &text, NULL, &error)) {
        print_error("%s\n", error->message);
        fail();
    }
    return text;
}

/* At prepare the domain's profile does not exist yet (libvirt deletes it
 * at every stop): the hook creates it as virt-aa-helper -c would, with an
 * include of a rule for this domain's socket only; release removes the
 * rule. */
static void test_apparmor_per_domain_rule(void **state)
{
    Fixture *f = *state;
    require_backend();
    g_autofree char *profile = make_apparmor_dir(f);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);

    g_autofree char *rules_path = g_build_filename(f->apparmor, "pvgpu", UUID,
                                                   NULL);
    g_autofree char *rules = read_text(rules_path);
    g_autofree char *rule = g_strdup_printf("\n  \"%s\" rw,\n", f->device);
    assert_non_null(strstr(rules, rule));
    assert_null(strchr(rules, '*'));
    struct stat st;
    assert_int_equal(lstat(rules_path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);

    g_autofree char *text = read_text(profile);
    g_autofree char *expected = g_strdup_printf(
        "#\n# This profile is for the domain whose UUID matches this file.\n"
        "#\n\n#include <tunables/global>\n\n"
        "profile " PROFILE_NAME " flags=(attach_disconnected) {\n"
        "  #include <abstractions/libvirt-qemu>\n"
        "  #include <libvirt/" PROFILE_NAME ".files>\n" RULES_INCLUDE "}\n");
    assert_string_equal(text, expected);

    g_autoptr(HookResult) r = run_hook(f, xml, "release", "end");
    assert_silent_success(r);
    assert_false(exists(rules_path));
}

/* A profile that exists (older libvirt keeps it, or the admin wrote it)
 * gets the include once, before its last closing brace. */
static void test_apparmor_existing_profile(void **state)
{
    Fixture *f = *state;
    require_backend();
    g_autofree char *profile = make_apparmor_dir(f);
    write_file(profile, "profile " PROFILE_NAME " {\n  # mine\n}\n");
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    prepare(f, xml);
    prepare(f, xml);
    g_autofree char *text = read_text(profile);
    assert_string_equal(text, "profile " PROFILE_NAME " {\n  # mine\n"
                              RULES_INCLUDE "}\n");
}

/* AppArmor disabled, or libvirt without its AppArmor profiles: nothing. */
static void test_apparmor_not_in_use(void **state)
{
    Fixture *f = *state;
    require_backend();
    g_autofree char *profile = make_apparmor_dir(f);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    write_file(f->apparmor_enabled, "N\n");
    prepare(f, xml);
    g_autofree char *rules_dir = g_build_filename(f->apparmor, "pvgpu", NULL);
    assert_false(exists(rules_dir));
    assert_false(exists(profile));
}

/* Symlinks in the AppArmor directories are replaced or refused, never
 * written through. */
static void test_apparmor_symlinks(void **state)
{
    Fixture *f = *state;
    g_setenv("PVGPU_BACKEND", "/bin/true", TRUE);
    g_autofree char *profile = make_apparmor_dir(f);
    g_autofree char *victim = make_victim(f, "victim");
    g_autofree char *rules_dir = g_build_filename(f->apparmor, "pvgpu", NULL);
    assert_int_equal(g_mkdir(rules_dir, 0755), 0);
    g_autofree char *rules = g_build_filename(rules_dir, UUID, NULL);
    assert_int_equal(symlink(victim, rules), 0);
    assert_int_equal(symlink(victim, profile), 0);
    g_autofree char *xml = domain_xml("shmem='16M'", NULL);
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_int_equal(r->status, 3);
    assert_one_error_line(r, PROFILE_NAME ": Too many levels of symbolic "
                             "links");
    assert_untouched(victim);
    g_autofree char *text = read_text(victim);
    assert_string_equal(text, "victim\n");
    struct stat st;
    assert_int_equal(lstat(rules, &st), 0);
    assert_true(S_ISREG(st.st_mode)); /* the symlink was replaced */
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        g_printerr("usage: %s HOOK BACKEND FAILING_BACKEND\n", argv[0]);
        return 2;
    }
    /* meson passes built programs relative to the build directory */
    hook_path = g_canonicalize_filename(argv[1], NULL);
    backend_path = argv[2][0] != '\0' ? g_canonicalize_filename(argv[2], NULL)
                                       : "";
    failing_backend_source = argv[3];
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_not_ours),
        T(test_other_operations_ignored),
        T(test_prepare_and_release),
        T(test_backend_is_detached),
        T(test_prepare_replaces_stale_backend),
        T(test_invalid_metadata),
        T(test_not_well_formed),
        T(test_commandline_mismatch),
        T(test_missing_backend),
        T(test_backend_dies_during_start),
        T(test_started_with_dead_backend),
        T(test_reconnect_restarts_dead_backend),
        T(test_reconnect_failure_exits_zero),
        T(test_migrate_filter),
        T(test_restore_filter),
        T(test_release_spares_foreign_pid),
        T(test_release_keeps_foreign_files),
        T(test_oversized_input),
        T(test_qemu_conf_owner),
        T(test_qemu_conf_unknown_user),
        T(test_qemu_conf_default_owner),
        T(test_qemu_conf_default_fedora_owner),
        T(test_qemu_conf_no_default_user),
        T(test_qemu_conf_no_default_group),
        T(test_qemu_conf_default_group),
        T(test_qemu_conf_root_warns),
        T(test_prepare_device_socket_race),
        T(test_runtime_dir_symlink),
        T(test_runtime_base_writable),
        T(test_pidfile_fifo),
        T(test_pidfile_dev_zero),
        T(test_pidfile_huge),
        T(test_pidfile_garbage),
        T(test_pidfile_foreign_owner),
        T(test_prepare_refuses_stale_pidfile),
        T(test_release_spares_lookalike),
        T(test_backend_argv_peer_uid),
        T(test_apparmor_per_domain_rule),
        T(test_apparmor_existing_profile),
        T(test_apparmor_not_in_use),
        T(test_apparmor_symlinks),
    };
#undef T
    /* One test by name, e.g. to check that skips are reported. */
    const char *filter = g_getenv("PVGPU_TEST_FILTER");
    if (filter != NULL && filter[0] != '\0') {
        cmocka_set_test_filter(filter);
    }
    return run_group_tests_counting_skips(tests, NULL, NULL);
}
