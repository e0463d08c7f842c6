/* SPDX-License-Identifier: MIT */
#include "pvgpu-control-client.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pvgpu-error.h"
#include "pvgpu-text.h"

/* code: PVGPU_COMMON_ERROR_UNREACHABLE when there is no backend to talk
 * to, PVGPU_COMMON_ERROR_CONTROL when one answered, but not usefully. */
static gboolean socket_error(GError **error, PvgpuCommonError code,
                             const char *path, const char *format, ...)
    G_GNUC_PRINTF(4, 5);

static gboolean socket_error(GError **error, PvgpuCommonError code,
                             const char *path, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    g_autofree char *msg = g_strdup_vprintf(format, ap);
    va_end(ap);
    /* json-glib's parse errors quote the reply's bytes, invalid UTF-8
     * included: whatever prints or serializes the message gets text */
    g_autofree char *printable = pvgpu_text_printable(msg, FALSE);
    g_set_error(error, PVGPU_COMMON_ERROR, code,
                "backend control socket %s: %s", path, printable);
    return FALSE;
}

#define control_error(error, ...) \
    socket_error(error, PVGPU_COMMON_ERROR_CONTROL, __VA_ARGS__)
#define unreachable_error(error, ...) \
    socket_error(error, PVGPU_COMMON_ERROR_UNREACHABLE, __VA_ARGS__)

static int remaining_ms(gint64 deadline)
{
    gint64 left = (deadline - g_get_monotonic_time()) / 1000;
    return (int)CLAMP(left, 0, G_MAXINT);
}

/* Waits for events on fd; FALSE on timeout or poll failure. */
static gboolean wait_fd(int fd, short events, gint64 deadline)
{
    struct pollfd p = { .fd = fd, .events = events };
    for (;;) {
        int n = poll(&p, 1, remaining_ms(deadline));
        if (n > 0) {
            return TRUE;
        }
        if (n == 0 || errno != EINTR) {
            return FALSE;
        }
    }
}

static int connect_socket(const char *path, gint64 deadline, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(addr.sun_path)) {
        unreachable_error(error, path, "the path is too long for a Unix "
                          "socket");
        return -1;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        control_error(error, path, "socket: %s", g_strerror(errno));
        return -1;
    }
    for (;;) {
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
            return fd;
        }
        int err = errno;
        /* A full listen backlog gives EAGAIN; poll() cannot wait for it. */
        if ((err == EAGAIN || err == EINTR) && remaining_ms(deadline) > 0) {
            g_usleep(10 * 1000);
            continue;
        }
        close(fd);
        if (err == EAGAIN || err == EINTR) {
            /* Someone listens, but accepts nothing within the timeout. */
            control_error(error, path, "the backend accepts no connection "
                          "(its listen queue stays full)");
        } else if (err == ENOENT) {
            unreachable_error(error, path, "no such socket (is the backend "
                              "running?)");
        } else if (err == ECONNREFUSED) {
            unreachable_error(error, path, "connection refused (the backend "
                              "is not running)");
        } else {
            unreachable_error(error, path, "connect: %s", g_strerror(err));
        }
        return -1;
    }
}

/* One send, with pass_fd (when >= 0) attached as SCM_RIGHTS. */
static ssize_t send_some(int fd, const char *data, gsize len, int pass_fd)
{
    struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (pass_fd >= 0) {
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof(control.buf);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
    }
    return sendmsg(fd, &msg, MSG_NOSIGNAL);
}

/* Sends data; pass_fd (when >= 0) travels with its first byte. */
static gboolean send_all(int fd, const char *path, const char *data, gsize len,
                         int pass_fd, gint64 deadline, GError **error)
{
    while (len > 0) {
        ssize_t n = send_some(fd, data, len, pass_fd);
        if (n > 0) {
            pass_fd = -1;
            data += n;
            len -= (gsize)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_fd(fd, POLLOUT, deadline)) {
                return control_error(error, path, "timed out sending the "
                                     "request");
            }
        } else {
            return control_error(error, path, "send: %s", g_strerror(errno));
        }
    }
    return TRUE;
}

/* Reads until a newline came, the reply limit is reached or the backend
 * closed; what was read is in the returned buffer, *out_len bytes. */
static char *receive_reply(int fd, const char *path, guint timeout_ms,
                           gint64 deadline, gsize *out_len, GError **error)
{
    g_autofree char *buf = g_malloc(PVGPU_CONTROL_REPLY_MAX);
    gsize len = 0;
    while (len < PVGPU_CONTROL_REPLY_MAX && memchr(buf, '\n', len) == NULL) {
        ssize_t n = recv(fd, buf + len, PVGPU_CONTROL_REPLY_MAX - len, 0);
        if (n > 0) {
            len += (gsize)n;
        } else if (n == 0) {
            break;
        } else if (errno == EAGAIN || errno == EINTR) {
            if (!wait_fd(fd, POLLIN, deadline)) {
                control_error(error, path, "no reply within %u ms",
                              timeout_ms);
                return NULL;
            }
        } else {
            control_error(error, path, "recv: %s", g_strerror(errno));
            return NULL;
        }
    }
    *out_len = len;
    return g_steal_pointer(&buf);
}

/* json-glib accepts escapes such as \333 that decode to bytes which are
 * not UTF-8; such strings would make pvgpuctl's own JSON invalid. */
static gboolean all_strings_utf8(JsonNode *node)
{
    if (JSON_NODE_HOLDS_OBJECT(node)) {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;

        json_object_iter_init(&iter, json_node_get_object(node));
        while (json_object_iter_next(&iter, &name, &member)) {
            if (!g_utf8_validate(name, -1, NULL) || !all_strings_utf8(member)) {
                return FALSE;
            }
        }
        return TRUE;
    }
    if (JSON_NODE_HOLDS_ARRAY(node)) {
        JsonArray *array = json_node_get_array(node);
        for (guint i = 0; i < json_array_get_length(array); i++) {
            if (!all_strings_utf8(json_array_get_element(array, i))) {
                return FALSE;
            }
        }
        return TRUE;
    }
    return !JSON_NODE_HOLDS_VALUE(node) ||
           json_node_get_value_type(node) != G_TYPE_STRING ||
           g_utf8_validate(json_node_get_string(node), -1, NULL);
}

static JsonNode *parse_reply(const char *path, const char *line, gsize len,
                             GError **error)
{
    if (memchr(line, '\0', len) != NULL) {
        control_error(error, path, "the reply contains a NUL byte");
        return NULL;
    }
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) parse_error = NULL;
    if (!json_parser_load_from_data(parser, line, (gssize)len, &parse_error)) {
        control_error(error, path, "the reply is not JSON: %s",
                      parse_error->message);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        control_error(error, path, "the reply is not a JSON object");
        return NULL;
    }
    if (!all_strings_utf8(root)) {
        control_error(error, path, "the reply holds a string that is not "
                      "UTF-8");
        return NULL;
    }
    JsonObject *obj = json_node_get_object(root);
    JsonNode *ok = json_object_get_member(obj, "ok");
    if (ok == NULL || json_node_get_value_type(ok) != G_TYPE_BOOLEAN) {
        control_error(error, path, "the reply has no boolean \"ok\"");
        return NULL;
    }
    if (!json_node_get_boolean(ok)) {
        JsonNode *msg = json_object_get_member(obj, "error");
        const char *text = msg != NULL &&
                                   json_node_get_value_type(msg) == G_TYPE_STRING
                               ? json_node_get_string(msg)
                               : "no reason given";
        g_autofree char *printable = pvgpu_text_printable(text, FALSE);
        g_set_error(error, PVGPU_COMMON_ERROR, PVGPU_COMMON_ERROR_REFUSED,
                    "the backend refused the request: %s", printable);
        return NULL;
    }
    return json_node_copy(root);
}

JsonNode *pvgpu_control_reply_parse(const char *socket_path, const char *data,
                                    gsize len, GError **error)
{
    const char *newline = memchr(data, '\n', MIN(len, PVGPU_CONTROL_REPLY_MAX));
    if (newline == NULL) {
        if (len >= PVGPU_CONTROL_REPLY_MAX) {
            control_error(error, socket_path,
                          "the reply is longer than %u bytes",
                          PVGPU_CONTROL_REPLY_MAX);
        } else {
            control_error(error, socket_path, "the backend closed the "
                          "connection without a complete reply");
        }
        return NULL;
    }
    return parse_reply(socket_path, data, (gsize)(newline - data), error);
}

JsonNode *pvgpu_control_request(const char *socket_path, JsonNode *request,
                                guint timeout_ms, GError **error)
{
    return pvgpu_control_request_fd(socket_path, request, -1, timeout_ms,
                                    error);
}

JsonNode *pvgpu_control_request_fd(const char *socket_path, JsonNode *request,
                                   int pass_fd, guint timeout_ms,
                                   GError **error)
{
    g_return_val_if_fail(request != NULL && JSON_NODE_HOLDS_OBJECT(request),
                         NULL);
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    int fd = connect_socket(socket_path, deadline, error);
    if (fd < 0) {
        return NULL;
    }
    g_autofree char *json = json_to_string(request, FALSE);
    g_autofree char *message = g_strconcat(json, "\n", NULL);
    gsize len = 0;
    g_autofree char *reply = NULL;
    if (send_all(fd, socket_path, message, strlen(message), pass_fd, deadline,
                 error)) {
        reply = receive_reply(fd, socket_path, timeout_ms, deadline, &len,
                              error);
    }
    close(fd);
    return reply != NULL ? pvgpu_control_reply_parse(socket_path, reply, len,
                                                     error)
                         : NULL;
}

JsonNode *pvgpu_control_command(const char *socket_path, const char *command,
                                GError **error)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "command");
    json_builder_add_string_value(builder, command);
    json_builder_end_object(builder);
    g_autoptr(JsonNode) request = json_builder_get_root(builder);
    return pvgpu_control_request(socket_path, request, PVGPU_CONTROL_TIMEOUT_MS,
                                 error);
}
