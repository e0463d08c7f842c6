/* SPDX-License-Identifier: MIT */
/*
 * pvgpu_control_request against a scripted server thread: one accepted
 * connection, the request line read, then a canned reply (or none).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pvgpu-control-client.h"
#include "pvgpu-error.h"

#define SHORT_TIMEOUT_MS 300u

typedef struct {
    char *dir;
    char *path;          /* where the client connects */
    int listen_fd;
    GThread *thread;
    GBytes *reply;       /* sent after the request line; NULL: none */
    gboolean hold_open;  /* keep the connection until the client closes */
    char *request;       /* the line received, newline included */
} Server;

static gpointer serve(gpointer data)
{
    Server *s = data;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0) {
        return NULL;
    }
    GString *request = g_string_new(NULL);
    char c;
    while (read(fd, &c, 1) == 1) {
        g_string_append_c(request, c);
        if (c == '\n') {
            break;
        }
    }
    s->request = g_string_free(request, FALSE);
    if (s->reply != NULL) {
        gsize len = 0;
        const char *p = g_bytes_get_data(s->reply, &len);
        while (len > 0) {
            /* The client may hang up first: no SIGPIPE for that. */
            ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
            if (n <= 0) {
                break;
            }
            p += n;
            len -= (gsize)n;
        }
    }
    if (s->hold_open) {
        while (read(fd, &c, 1) > 0) {
        }
    }
    close(fd);
    return NULL;
}

static int setup(void **state)
{
    Server *s = g_new0(Server, 1);
    s->dir = g_dir_make_tmp("pvgpu-control-XXXXXX", NULL);
    s->path = g_build_filename(s->dir, "control.sock", NULL);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    g_strlcpy(addr.sun_path, s->path, sizeof(addr.sun_path));
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->listen_fd < 0 ||
        bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(s->listen_fd, 1) < 0) {
        return -1;
    }
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    Server *s = *state;
    if (s->thread != NULL) {
        g_thread_join(s->thread);
    }
    close(s->listen_fd);
    /* s->path may have been pointed elsewhere: remove what setup bound */
    g_autofree char *bound = g_build_filename(s->dir, "control.sock", NULL);
    g_unlink(bound);
    g_rmdir(s->dir);
    g_clear_pointer(&s->reply, g_bytes_unref);
    g_free(s->request);
    g_free(s->path);
    g_free(s->dir);
    g_free(s);
    return 0;
}

static void start(Server *s, const char *reply, gsize len, gboolean hold)
{
    s->reply = reply != NULL ? g_bytes_new(reply, len) : NULL;
    s->hold_open = hold;
    s->thread = g_thread_new("control-server", serve, s);
}

static void start_text(Server *s, const char *reply)
{
    start(s, reply, strlen(reply), FALSE);
}

/* The error of a status request that must fail. */
static GError *status_error(Server *s, guint timeout_ms)
{
    GError *error = NULL;
    g_autoptr(JsonNode) request = json_from_string("{\"command\":\"status\"}",
                                                   NULL);
    g_autoptr(JsonNode) reply = pvgpu_control_request(s->path, request,
                                                      timeout_ms, &error);
    assert_null(reply);
    assert_non_null(error);
    return error;
}

static void expect_error(Server *s, guint timeout_ms, int code,
                         const char *part)
{
    g_autoptr(GError) error = status_error(s, timeout_ms);
    if (!g_error_matches(error, PVGPU_COMMON_ERROR, code) ||
        strstr(error->message, part) == NULL) {
        print_error("got \"%s\" (code %d), expected \"%s\" (code %d)\n",
                    error->message, error->code, part, code);
        fail();
    }
}

static void test_status_reply(void **state)
{
    Server *s = *state;
    start_text(s, "{\"ok\":true,\"status\":{\"pid\":42,\"connected\":false}}\n");
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) reply = pvgpu_control_command(s->path, "status",
                                                      &error);
    assert_null(error);
    assert_non_null(reply);
    JsonObject *status = json_object_get_object_member(
        json_node_get_object(reply), "status");
    assert_int_equal(json_object_get_int_member(status, "pid"), 42);
    g_thread_join(g_steal_pointer(&s->thread));
    assert_string_equal(s->request, "{\"command\":\"status\"}\n");
}

static void test_screenshot_request_is_sent_verbatim(void **state)
{
    Server *s = *state;
    start_text(s, "{\"ok\":true,\"width\":1024,\"height\":768}\n");
    g_autoptr(JsonNode) request = json_from_string(
        "{\"command\":\"screenshot\",\"path\":\"/tmp/a \\\"b\\\".png\"}", NULL);
    g_autoptr(JsonNode) reply = pvgpu_control_request(
        s->path, request, PVGPU_CONTROL_TIMEOUT_MS, NULL);
    assert_non_null(reply);
    g_thread_join(g_steal_pointer(&s->thread));
    g_autoptr(JsonNode) sent = json_from_string(s->request, NULL);
    assert_non_null(sent);
    assert_true(json_node_equal(sent, request));
}

static void test_refused(void **state)
{
    start_text(*state, "{\"ok\":false,\"error\":\"no scanout yet\"}\n");
    expect_error(*state, SHORT_TIMEOUT_MS, PVGPU_COMMON_ERROR_REFUSED,
                 "the backend refused the request: no scanout yet");
}

static void test_refused_reason_loses_control_characters(void **state)
{
    /* an OSC retitle, a C1 CSI clear-screen and a raw ESC */
    start_text(*state, "{\"ok\":false,\"error\":"
                       "\"\\u001b]0;pwned\\u0007 \\u009b2J \\u001b[31m\"}\n");
    g_autoptr(GError) error = status_error(*state, SHORT_TIMEOUT_MS);
    assert_null(strchr(error->message, '\x1b'));
    assert_null(strchr(error->message, '\a'));
    assert_null(strstr(error->message, "\xc2\x9b"));
    assert_non_null(strstr(error->message, "?]0;pwned? ?2J ?[31m"));
}

/* json-glib quotes the broken bytes in its parse error: the message stays
 * valid UTF-8 whatever the backend sent. */
static void test_not_json_message_is_text(void **state)
{
    start_text(*state, "{\"ok\":false,\"error\":\"a\\777b\":1}\n");
    g_autoptr(GError) error = status_error(*state, SHORT_TIMEOUT_MS);
    assert_true(g_error_matches(error, PVGPU_COMMON_ERROR,
                                PVGPU_COMMON_ERROR_CONTROL));
    assert_true(g_utf8_validate(error->message, -1, NULL));
    assert_non_null(strstr(error->message, "not JSON"));
}

/* JSON that json-glib accepts but whose strings decode to bytes that are
 * not UTF-8 (octal escapes) is refused, not passed on. */
static void test_non_utf8_string_refused(void **state)
{
    start_text(*state, "{\"ok\":true,\"status\":{\"version\":\"1\\333\"}}\n");
    expect_error(*state, SHORT_TIMEOUT_MS, PVGPU_COMMON_ERROR_CONTROL,
                 "not UTF-8");
}

static void test_refused_without_reason(void **state)
{
    start_text(*state, "{\"ok\":false,\"error\":7}\n");
    expect_error(*state, SHORT_TIMEOUT_MS, PVGPU_COMMON_ERROR_REFUSED,
                 "no reason given");
}

static void test_not_json(void **state)
{
    start_text(*state, "hello\n");
    expect_error(*state, SHORT_TIMEOUT_MS, PVGPU_COMMON_ERROR_CONTROL,
                 "the reply is not JSON");
}

static void test_not_an_object(void **state)
{
    start_text(*state, "[true]\n");
    expect_error(*state, SHORT_TIMEOUT_MS, PVGPU_COMMON_ERROR_CONTROL,
                 "not a JSON object");
}

static void test_no_ok_member(void **state)
{
    start_text(*state, "{\"ok\":\"yes\"}\n");
    expect_error(*state, SHORT_TIMEOUT_MS, PVGPU_COMMON_ERROR_CONTROL,
                 "no boolean \"ok\"");
}

static void test_nul_in_reply(void **state)
{
    start(*state, "{\"ok\":true}\0\n", 13, FALSE);
    expect_error(*state, SHORT_TIMEOUT_MS, PVGPU_COMMON_ERROR_CONTROL,
                 "NUL byte");
}

static void test_closed_without_newline(void **state)
{
    start_text(*state, "{\"ok\":true}");
    expect_error(*state, SHORT_TIMEOUT_MS, PVGPU_COMMON_ERROR_CONTROL,
                 "closed the connection without a complete reply");
}

static void test_no_reply_times_out(void **state)
{
    start(*state, NULL, 0, TRUE);
    expect_error(*state, SHORT_TIMEOUT_MS, PVGPU_COMMON_ERROR_CONTROL,
                 "no reply within 300 ms");
}

/* A {"ok":true} object padded with spaces to exactly `len` bytes + "\n". */
static char *padded_reply(gsize len)
{
    char *reply = g_malloc(len + 1);
    memset(reply, ' ', len);
    memcpy(reply, "{\"ok\":true", 10);
    reply[len - 1] = '}';
    reply[len] = '\n';
    return reply;
}

static void test_longest_reply_accepted(void **state)
{
    Server *s = *state;
    g_autofree char *reply = padded_reply(PVGPU_CONTROL_REPLY_MAX - 1);
    start(s, reply, PVGPU_CONTROL_REPLY_MAX, FALSE);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = pvgpu_control_command(s->path, "status",
                                                     &error);
    assert_null(error);
    assert_non_null(node);
}

static void test_oversized_reply_refused(void **state)
{
    g_autofree char *reply = padded_reply(PVGPU_CONTROL_REPLY_MAX);
    start(*state, reply, PVGPU_CONTROL_REPLY_MAX + 1, TRUE);
    expect_error(*state, SHORT_TIMEOUT_MS, PVGPU_COMMON_ERROR_CONTROL,
                 "the reply is longer than 65536 bytes");
}

static void test_endless_reply_refused(void **state)
{
    /* 1 MiB without a newline: the client stops at 64 KiB. */
    gsize len = 1u << 20;
    g_autofree char *reply = g_malloc(len);
    memset(reply, 'x', len);
    start(*state, reply, len, FALSE);
    expect_error(*state, SHORT_TIMEOUT_MS, PVGPU_COMMON_ERROR_CONTROL,
                 "longer than 65536 bytes");
}

static void test_missing_socket(void **state)
{
    Server *s = *state;
    g_free(s->path);
    s->path = g_build_filename(s->dir, "nothing.sock", NULL);
    expect_error(s, SHORT_TIMEOUT_MS, PVGPU_COMMON_ERROR_UNREACHABLE,
                 "no such socket");
}

static void test_dead_socket(void **state)
{
    Server *s = *state;
    close(s->listen_fd); /* the file stays, nobody listens */
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    expect_error(s, SHORT_TIMEOUT_MS, PVGPU_COMMON_ERROR_UNREACHABLE,
                 "connection refused");
}

static void test_not_a_socket(void **state)
{
    Server *s = *state;
    g_free(s->path);
    s->path = g_strdup(s->dir); /* a directory: ECONNREFUSED or ENOTSOCK */
    expect_error(s, SHORT_TIMEOUT_MS, PVGPU_COMMON_ERROR_UNREACHABLE,
                 "backend control socket");
}

static void test_path_too_long(void **state)
{
    Server *s = *state;
    g_free(s->path);
    s->path = g_strnfill(200, 'a');
    s->path[0] = '/';
    expect_error(s, SHORT_TIMEOUT_MS, PVGPU_COMMON_ERROR_UNREACHABLE,
                 "too long for a Unix socket");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_status_reply),
        T(test_screenshot_request_is_sent_verbatim),
        T(test_refused),
        T(test_refused_without_reason),
        T(test_not_json_message_is_text),
        T(test_non_utf8_string_refused),
        T(test_refused_reason_loses_control_characters),
        T(test_not_json),
        T(test_not_an_object),
        T(test_no_ok_member),
        T(test_nul_in_reply),
        T(test_closed_without_newline),
        T(test_no_reply_times_out),
        T(test_longest_reply_accepted),
        T(test_oversized_reply_refused),
        T(test_endless_reply_refused),
        T(test_missing_socket),
        T(test_dead_socket),
        T(test_not_a_socket),
        T(test_path_too_long),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
