/* SPDX-License-Identifier: MIT */
#include "real-backend.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "line-channel.h"
#include "qtest-client.h"
#include "test-log.h"

static gboolean backend_alive(gpointer data)
{
    return !child_process_exited(data, NULL);
}

static int connect_unix(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd;

    g_assert_cmpuint(strlen(path), <, sizeof(addr.sun_path));
    strcpy(addr.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(fd, >=, 0);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

JsonObject *real_backend_request(RealBackend *b, const char *request,
                                 GError **error)
{
    g_autoptr(LineChannel) ch = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autofree gchar *line = NULL;
    g_autofree gchar *out = g_strconcat(request, "\n", NULL);
    JsonNode *root;
    int fd = connect_unix(b->control_path);

    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot connect to %s: %s", b->control_path,
                    g_strerror(errno));
        return NULL;
    }
    ch = line_channel_new(fd, backend_alive, b->proc);
    test_log("control -> %s", request);
    if (!line_channel_write(ch, out, strlen(out)) ||
        line_channel_read_line(ch, g_get_monotonic_time() + QT_TIMEOUT_US,
                               &line) != LINE_CHANNEL_OK) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "no answer on the control socket");
        return NULL;
    }
    test_log("control <- %s", line);
    if (!json_parser_load_from_data(parser, line, -1, error)) {
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "control reply is not an object: %s", line);
        return NULL;
    }
    return json_object_ref(json_node_get_object(root));
}

RealBackend *real_backend_start(const char *binary, const char *dir,
                                const char *socket_path)
{
    RealBackend *b = g_new0(RealBackend, 1);
    g_autofree gchar *sock_arg = NULL;
    g_autofree gchar *ctl_arg = NULL;
    g_autoptr(GError) error = NULL;
    gint64 deadline = g_get_monotonic_time() + QT_TIMEOUT_US;
    const char *argv[4];

    b->binary = g_strdup(binary);
    b->socket_path = g_strdup(socket_path);
    b->control_path = g_build_filename(dir, "backend-control.sock", NULL);
    b->log_path = g_build_filename(dir, "backend.log", NULL);
    sock_arg = g_strdup_printf("--socket-path=%s", socket_path);
    ctl_arg = g_strdup_printf("--control-socket=%s", b->control_path);
    argv[0] = binary;
    argv[1] = sock_arg;
    argv[2] = ctl_arg;
    argv[3] = NULL;
    test_log("starting: %s %s %s", binary, sock_arg, ctl_arg);
    b->proc = child_process_spawn(argv, b->log_path, &error);
    g_assert_no_error(error);

    for (;;) {
        g_autoptr(JsonObject) reply = NULL;
        int status;

        if (child_process_exited(b->proc, &status)) {
            g_autofree gchar *how = child_process_describe_status(status);
            g_autofree gchar *log = child_process_stderr(b->proc);

            g_error("pvgpu-backend exited at start (%s):\n%s", how, log);
        }
        if (g_file_test(b->control_path, G_FILE_TEST_EXISTS)) {
            g_clear_error(&error);
            reply = real_backend_request(b, "{\"command\":\"status\"}",
                                         &error);
            if (reply) {
                return b;
            }
        }
        if (g_get_monotonic_time() >= deadline) {
            g_autofree gchar *log = child_process_stderr(b->proc);

            g_error("pvgpu-backend did not answer on %s:\n%s",
                    b->control_path, log);
        }
        g_usleep(5000);
    }
}

static void log_output(RealBackend *b)
{
    g_autofree gchar *log = child_process_stderr(b->proc);

    test_log("pvgpu-backend output:\n%s", log);
}

void real_backend_free(RealBackend *b)
{
    if (!b) {
        return;
    }
    if (b->proc) {
        log_output(b);
    }
    child_process_free(b->proc);
    g_free(b->binary);
    g_free(b->socket_path);
    g_free(b->control_path);
    g_free(b->log_path);
    g_free(b);
}

void real_backend_stop(RealBackend *b)
{
    int status = 0;

    child_process_signal(b->proc, SIGTERM);
    g_assert_true(child_process_wait_exit(
        b->proc, g_get_monotonic_time() + QT_TIMEOUT_US, &status));
    log_output(b);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    real_backend_free(b);
}

void real_backend_kill(RealBackend *b)
{
    test_log("killing pvgpu-backend (SIGKILL)");
    child_process_signal(b->proc, SIGKILL);
    g_assert_true(child_process_wait_exit(
        b->proc, g_get_monotonic_time() + QT_TIMEOUT_US, NULL));
    real_backend_free(b);
}

JsonObject *real_backend_status(RealBackend *b)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) reply =
        real_backend_request(b, "{\"command\":\"status\"}", &error);

    g_assert_no_error(error);
    g_assert_true(json_object_get_boolean_member_with_default(reply, "ok",
                                                              FALSE));
    return json_object_ref(json_object_get_object_member(reply, "status"));
}

void real_backend_screenshot(RealBackend *b, const char *png_path,
                             guint32 *width, guint32 *height)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonBuilder) builder = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(JsonObject) reply = NULL;
    g_autofree gchar *request = NULL;

    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "command");
    json_builder_add_string_value(builder, "screenshot");
    json_builder_set_member_name(builder, "path");
    json_builder_add_string_value(builder, png_path);
    json_builder_end_object(builder);
    root = json_builder_get_root(builder);
    json_generator_set_root(gen, root);
    request = json_generator_to_data(gen, NULL);

    reply = real_backend_request(b, request, &error);
    g_assert_no_error(error);
    g_assert_true(json_object_get_boolean_member_with_default(reply, "ok",
                                                              FALSE));
    *width = (guint32)json_object_get_int_member(reply, "width");
    *height = (guint32)json_object_get_int_member(reply, "height");
}
