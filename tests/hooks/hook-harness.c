/* SPDX-License-Identifier: MIT */
#include "hook-harness.h"

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

const char *hook_path;
const char *backend_path;
const char *failing_backend_source;

void hook_result_free(HookResult *r)
{
    g_free(r->out);
    g_free(r->err);
    g_free(r);
}

void write_file(const char *path, const char *text)
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

void write_qemu_conf(const Fixture *f, const char *user,
                            const char *group)
{
    g_autofree char *text = g_strdup_printf(
        "# written by test-hook\n#user = \"nobody\"\nuser = \"%s\"  # ok\n"
        "group = '%s'\n", user, group);
    write_file(f->qemu_conf, text);
}

int setup(void **state)
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

gboolean read_pid(const char *pidfile, pid_t *pid)
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
gboolean process_alive(pid_t pid)
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

gboolean wait_process_gone(pid_t pid)
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

int teardown(void **state)
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
HookResult *run_hook_file(const char *input_path, const char *op,
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

HookResult *run_hook(const Fixture *f, const char *xml, const char *op,
                            const char *sub)
{
    g_autofree char *input = g_build_filename(f->base, "input.xml", NULL);
    write_file(input, xml);
    return run_hook_file(input, op, sub);
}

/* Domain XML with metadata gpu_attrs; its <qemu:commandline> holds a user
 * argument pair, then the pvgpu pair derived from cmdline_attrs (NULL: from
 * gpu_attrs; "": no pvgpu pair). gpu_attrs NULL: no pvgpu metadata. */
char *domain_xml(const char *gpu_attrs, const char *cmdline_attrs)
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

void assert_one_error_line(const HookResult *r, const char *part)
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

void assert_silent_success(const HookResult *r)
{
    if (r->status != 0 || r->out[0] != '\0' || r->err[0] != '\0') {
        print_error("status %d, stdout \"%s\", stderr \"%s\"\n", r->status,
                    r->out, r->err);
        fail();
    }
}

gboolean exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

void require_backend(void)
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

pid_t running_backend(const Fixture *f)
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

void prepare(const Fixture *f, const char *xml)
{
    g_autoptr(HookResult) r = run_hook(f, xml, "prepare", "begin");
    assert_silent_success(r);
}

void require_root(void)
{
    if (geteuid() != 0) {
        skip_because("needs root (to run the backend as another user)");
    }
}

/* A root-owned file a hostile runtime directory points at. */
char *make_victim(const Fixture *f, const char *name)
{
    char *victim = g_build_filename(f->base, name, NULL);
    write_file(victim, "victim\n");
    assert_int_equal(chmod(victim, 0600), 0);
    return victim;
}

void assert_untouched(const char *victim)
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

char *read_text(const char *path)
{
    char *text = NULL;
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents(path, &text, NULL, &error)) {
        print_error("%s\n", error->message);
        fail();
    }
    return text;
}

int hook_harness_run(int argc, char **argv, const char *group,
                     const struct CMUnitTest *tests, size_t count)
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
    /* One test by name, e.g. to check that skips are reported. */
    const char *filter = g_getenv("PVGPU_TEST_FILTER");
    if (filter != NULL && filter[0] != '\0') {
        cmocka_set_test_filter(filter);
    }
    return pvgpu_skip_status(
        _cmocka_run_group_tests(group, tests, count, NULL, NULL));
}

/* The arguments the hook starts the backend with, at op (prepare or
 * reconnect), through the stand-in backend that logs them; conf_line is
 * added to qemu.conf. */
void use_stand_in_backend(const Fixture *f)
{
    g_autofree char *script = g_build_filename(f->base, "failing-backend",
                                               NULL);
    g_autofree char *text = read_text(failing_backend_source);
    write_file(script, text);
    assert_int_equal(chmod(script, 0755), 0);
    g_setenv("PVGPU_BACKEND", script, TRUE);
}

char *stand_in_backend_args(const Fixture *f, const char *xml,
                            const char *op, const char *conf_line)
{
    write_qemu_conf(f, "libvirt-qemu", "kvm");
    if (conf_line != NULL) {
        g_autofree char *conf = read_text(f->qemu_conf);
        g_autofree char *more = g_strconcat(conf, conf_line, "\n", NULL);
        write_file(f->qemu_conf, more);
    }
    use_stand_in_backend(f);
    g_autoptr(HookResult) r = run_hook(f, xml, op, "begin");
    assert_true(r->exited);
    g_autofree char *log = read_text(f->log);
    return g_steal_pointer(&log);
}

/* xml with a <seclabel> element added to the domain. */
char *with_seclabel(const char *xml, const char *seclabel)
{
    const char *end = strstr(xml, "</domain>");
    assert_non_null(end);
    return g_strdup_printf("%.*s%s\n</domain>\n", (int)(end - xml), xml,
                           seclabel);
}

