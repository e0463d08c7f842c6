/* SPDX-License-Identifier: MIT */
/* Control-socket requests, answered without a socket. */
#include "test-helpers.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <unistd.h>

#include "control-commands.h"
#include "pvgpu_codec.h"
#include "test-support.h"

typedef struct {
    PvgpuStatus status;
    gboolean has_frame;
    PvgpuImage frame;
    guint32 pixels[4];
    PvgpuControlHandler handler;
    gchar *dir;
} Fixture;

static void get_status(gpointer data, PvgpuStatus *out)
{
    Fixture *f = data;

    *out = f->status;
}

static gboolean peek_frame(gpointer data, PvgpuImage *out)
{
    Fixture *f = data;

    if (f->has_frame) {
        *out = f->frame;
    }
    return f->has_frame;
}

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);

    f->handler.get_status = get_status;
    f->handler.peek_frame = peek_frame;
    f->handler.data = f;
    f->dir = g_dir_make_tmp("pvgpu-ctl-XXXXXX", NULL);
    f->frame = (PvgpuImage){ .format = PVGPU_FORMAT_R8G8B8X8_UNORM,
                             .width = 2, .height = 2, .stride = 8,
                             .pixels = (guint8 *)f->pixels };
    f->pixels[0] = 0x00030201; /* bytes R=1 G=2 B=3, X ignored */
    f->pixels[3] = 0x7f0000ff;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *shot = g_build_filename(f->dir, "shot.png", NULL);

    g_unlink(shot);
    g_rmdir(f->dir);
    g_free(f->dir);
    g_free(f);
    return 0;
}

/* Sends line and parses the response, which must be one JSON object. */
static JsonObject *request(Fixture *f, const char *line)
{
    g_autofree gchar *resp =
        pvgpu_control_handle_line(&f->handler, line, strlen(line));
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonNode *root;

    assert_null(strchr(resp, '\n'));
    assert_true(json_parser_load_from_data(parser, resp, -1, NULL));
    root = json_parser_get_root(parser);
    assert_true(JSON_NODE_HOLDS_OBJECT(root));
    return json_object_ref(json_node_get_object(root));
}

static void assert_failed_with(JsonObject *resp, const char *fragment)
{
    assert_false(json_object_get_boolean_member(resp, "ok"));
    assert_non_null(strstr(json_object_get_string_member(resp, "error"),
                           fragment));
    json_object_unref(resp);
}

static void test_status_idle(void **state)
{
    Fixture *f = *state;
    JsonObject *resp = request(f, "{\"command\":\"status\"}");
    JsonObject *st;

    assert_true(json_object_get_boolean_member(resp, "ok"));
    st = json_object_get_object_member(resp, "status");
    assert_string_equal(json_object_get_string_member(st, "version"),
                        PVGPU_BACKEND_VERSION);
    assert_int_equal(json_object_get_int_member(st, "pid"), getpid());
    assert_false(json_object_get_boolean_member(st, "connected"));
    assert_false(json_object_get_boolean_member(st, "ready"));
    assert_true(json_object_get_null_member(st, "last_error"));
    assert_true(json_object_get_null_member(st, "scanout"));
    assert_true(json_object_get_null_member(st, "preferred_mode"));
    assert_int_equal(json_object_get_int_member(st, "presents"), 0);
    json_object_unref(resp);
}

static void test_status_connected(void **state)
{
    Fixture *f = *state;
    JsonObject *resp, *st, *counters, *err, *scanout;
    JsonArray *names;

    f->status.connected = TRUE;
    f->status.ready = TRUE;
    f->status.features = PVGPU_FEATURE_2D | PVGPU_FEATURE_SHMEM_FD;
    f->status.shmem_size = 4u << 20;
    f->status.generation = 3;
    f->status.counters.doorbells = 11;
    f->status.counters.commands = 12;
    f->status.counters.bytes_uploaded = 13;
    f->status.counters.fences_completed = 14;
    f->status.counters.irqs_sent = 15;
    f->status.counters.errors = 16;
    f->status.counters.presents = 17;
    f->status.counters.has_last_error = TRUE;
    f->status.counters.last_error = (PvgpuErrorReport){
        .code = PVGPU_ERROR_HEAP_RANGE, .cmd_type = PVGPU_CMD_RESOURCE_UPLOAD,
        .cmd_id = 99, .detail = 4096,
    };
    f->status.resources = 2;
    f->status.resource_bytes = 2048;
    f->status.has_scanout = TRUE;
    f->status.scanout_resource = 5;
    f->status.scanout_width = 640;
    f->status.scanout_height = 480;
    f->status.scanout_format = PVGPU_FORMAT_B8G8R8A8_UNORM;
    f->status.mode_width = 800;
    f->status.mode_height = 600;

    resp = request(f, "{\"command\":\"status\"}");
    st = json_object_get_object_member(resp, "status");
    assert_true(json_object_get_boolean_member(st, "ready"));
    assert_int_equal(json_object_get_int_member(st, "features"),
                     PVGPU_FEATURE_2D | PVGPU_FEATURE_SHMEM_FD);
    names = json_object_get_array_member(st, "features_names");
    assert_int_equal(json_array_get_length(names), 2);
    assert_string_equal(json_array_get_string_element(names, 0), "2d");
    assert_string_equal(json_array_get_string_element(names, 1), "shmem-fd");
    assert_int_equal(json_object_get_int_member(st, "shmem_size"), 4u << 20);
    assert_int_equal(json_object_get_int_member(st, "generation"), 3);
    counters = json_object_get_object_member(st, "counters");
    assert_int_equal(json_object_get_int_member(counters, "doorbells"), 11);
    assert_int_equal(json_object_get_int_member(counters, "commands"), 12);
    assert_int_equal(json_object_get_int_member(counters, "bytes_uploaded"),
                     13);
    assert_int_equal(json_object_get_int_member(counters, "fences_completed"),
                     14);
    assert_int_equal(json_object_get_int_member(counters, "irqs_sent"), 15);
    assert_int_equal(json_object_get_int_member(counters, "errors"), 16);
    assert_int_equal(json_object_get_int_member(counters, "resources"), 2);
    assert_int_equal(json_object_get_int_member(counters, "resource_bytes"),
                     2048);
    err = json_object_get_object_member(st, "last_error");
    assert_int_equal(json_object_get_int_member(err, "code"),
                     PVGPU_ERROR_HEAP_RANGE);
    assert_string_equal(json_object_get_string_member(err, "name"),
                        "heap-range");
    assert_int_equal(json_object_get_int_member(err, "detail"), 4096);
    assert_int_equal(json_object_get_int_member(err, "cmd_type"),
                     PVGPU_CMD_RESOURCE_UPLOAD);
    assert_int_equal(json_object_get_int_member(err, "cmd_id"), 99);
    scanout = json_object_get_object_member(st, "scanout");
    assert_int_equal(json_object_get_int_member(scanout, "resource"), 5);
    assert_int_equal(json_object_get_int_member(scanout, "width"), 640);
    assert_int_equal(json_object_get_int_member(scanout, "height"), 480);
    assert_string_equal(json_object_get_string_member(scanout, "format"),
                        "B8G8R8A8");
    scanout = json_object_get_object_member(st, "preferred_mode");
    assert_int_equal(json_object_get_int_member(scanout, "width"), 800);
    assert_int_equal(json_object_get_int_member(scanout, "height"), 600);
    assert_int_equal(json_object_get_int_member(st, "presents"), 17);
    json_object_unref(resp);
}

static void test_malformed_json(void **state)
{
    assert_failed_with(request(*state, "{\"command\":"), "malformed JSON");
}

/* The parse error quotes the request's broken bytes: the answer is still
 * JSON (request() checks), with valid UTF-8. */
static void test_malformed_json_invalid_utf8(void **state)
{
    JsonObject *resp = request(*state, "{\"command\":\"a\\777b\":1}");

    assert_true(g_utf8_validate(
        json_object_get_string_member(resp, "error"), -1, NULL));
    assert_failed_with(resp, "malformed JSON");
    /* well-formed, the same byte in the command's name */
    resp = request(*state, "{\"command\":\"a\\777b\"}");
    assert_true(g_utf8_validate(
        json_object_get_string_member(resp, "error"), -1, NULL));
    assert_failed_with(resp, "unknown command");
}

static void test_not_an_object(void **state)
{
    assert_failed_with(request(*state, "[\"status\"]"), "JSON object");
}

static void test_missing_command(void **state)
{
    assert_failed_with(request(*state, "{\"cmd\":\"status\"}"),
                       "\"command\"");
}

static void test_command_not_string(void **state)
{
    assert_failed_with(request(*state, "{\"command\":7}"), "\"command\"");
}

static void test_unknown_command(void **state)
{
    assert_failed_with(request(*state, "{\"command\":\"reboot\"}"),
                       "unknown command \"reboot\"");
}

static void test_nul_byte(void **state)
{
    Fixture *f = *state;
    static const char line[] = "{\"command\":\"status\"}\0x";
    g_autofree gchar *resp =
        pvgpu_control_handle_line(&f->handler, line, sizeof(line) - 1);

    assert_non_null(strstr(resp, "NUL"));
}

static void test_line_too_long(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *line = g_strnfill(PVGPU_CONTROL_MAX_LINE + 1, ' ');
    g_autofree gchar *resp =
        pvgpu_control_handle_line(&f->handler, line, strlen(line));

    assert_non_null(strstr(resp, "\"ok\":false"));
    assert_non_null(strstr(resp, "4096"));
}

static void test_screenshot_no_scanout(void **state)
{
    assert_failed_with(
        request(*state, "{\"command\":\"screenshot\",\"path\":\"/tmp/x.png\"}"),
        "no scanout is set");
}

static void test_screenshot_missing_path(void **state)
{
    Fixture *f = *state;

    f->has_frame = TRUE;
    assert_failed_with(request(f, "{\"command\":\"screenshot\"}"),
                       "\"path\"");
}

static void test_screenshot_relative_path(void **state)
{
    Fixture *f = *state;

    f->has_frame = TRUE;
    assert_failed_with(
        request(f, "{\"command\":\"screenshot\",\"path\":\"x.png\"}"),
        "absolute");
}

static void test_screenshot_unwritable(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *line = g_strdup_printf(
        "{\"command\":\"screenshot\",\"path\":\"%s/missing/x.png\"}", f->dir);

    f->has_frame = TRUE;
    assert_failed_with(request(f, line), "missing");
}

static void test_screenshot_ok(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *path = g_build_filename(f->dir, "shot.png", NULL);
    g_autofree gchar *line = g_strdup_printf(
        "{\"command\":\"screenshot\",\"path\":\"%s\"}", path);
    static const TestPixel pixels[] = {
        { 0, 0, 0x010203ff },
        { 1, 1, 0xff0000ff },
    };

    f->has_frame = TRUE;
    assert_screenshot(request(f, line), path, 2, 2, pixels,
                      G_N_ELEMENTS(pixels));
}

static JsonObject *request_with_fd(Fixture *f, const char *line, int fd)
{
    g_autofree gchar *resp =
        pvgpu_control_handle_request(&f->handler, line, strlen(line), fd);
    g_autoptr(JsonParser) parser = json_parser_new();

    assert_true(json_parser_load_from_data(parser, resp, -1, NULL));
    return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

/* The PNG goes into the descriptor that came with the request. */
static void test_screenshot_to_fd(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *path = g_build_filename(f->dir, "shot.png", NULL);
    static const TestPixel pixels[] = {
        { 0, 0, 0x010203ff },
        { 1, 1, 0xff0000ff },
    };
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, "old contents, longer than nothing", 33), 33);
    f->has_frame = TRUE;
    JsonObject *resp = request_with_fd(
        f, "{\"command\":\"screenshot\",\"fd\":true}", fd);
    assert_true(fcntl(fd, F_GETFD) >= 0); /* the caller's to close */
    close(fd);
    assert_screenshot(resp, path, 2, 2, pixels, G_N_ELEMENTS(pixels));
}

/* "fd" without a descriptor, or one that is not a writable file. */
static void test_screenshot_bad_fd(void **state)
{
    Fixture *f = *state;
    int pipe_fds[2];
    g_autofree gchar *path = g_build_filename(f->dir, "shot.png", NULL);

    f->has_frame = TRUE;
    assert_failed_with(
        request_with_fd(f, "{\"command\":\"screenshot\",\"fd\":true}", -1),
        "needs a descriptor");
    assert_int_equal(pipe(pipe_fds), 0);
    assert_failed_with(
        request_with_fd(f, "{\"command\":\"screenshot\",\"fd\":true}",
                        pipe_fds[1]),
        "not a regular file open for writing");
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    g_file_set_contents(path, "", 0, NULL);
    int ro = open(path, O_RDONLY | O_CLOEXEC);
    assert_failed_with(
        request_with_fd(f, "{\"command\":\"screenshot\",\"fd\":true}", ro),
        "not a regular file open for writing");
    close(ro);
}

#define T(path, fn) PATH_TEST(path, fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T("/backend/control/status-idle", test_status_idle),
        T("/backend/control/status-connected", test_status_connected),
        T("/backend/control/malformed-json", test_malformed_json),
        T("/backend/control/malformed-json-invalid-utf8",
          test_malformed_json_invalid_utf8),
        T("/backend/control/not-an-object", test_not_an_object),
        T("/backend/control/missing-command", test_missing_command),
        T("/backend/control/command-not-string", test_command_not_string),
        T("/backend/control/unknown-command", test_unknown_command),
        T("/backend/control/nul-byte", test_nul_byte),
        T("/backend/control/line-too-long", test_line_too_long),
        T("/backend/control/screenshot-to-fd", test_screenshot_to_fd),
        T("/backend/control/screenshot-bad-fd", test_screenshot_bad_fd),
        T("/backend/control/screenshot-no-scanout",
          test_screenshot_no_scanout),
        T("/backend/control/screenshot-missing-path",
          test_screenshot_missing_path),
        T("/backend/control/screenshot-relative-path",
          test_screenshot_relative_path),
        T("/backend/control/screenshot-unwritable",
          test_screenshot_unwritable),
        T("/backend/control/screenshot-ok", test_screenshot_ok),
    };

    return cmocka_run_group_tests_name("backend-control", tests, NULL, NULL);
}
