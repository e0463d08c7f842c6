/*
 * libFuzzer target: arbitrary bytes as lines a client sends to a backend's
 * control socket, each answered by the backend's request handler against a
 * fake backend state. Every answer must be one JSON object on one line
 * with a boolean "ok" (and an "error" string when it is false).
 *
 * The first input byte picks the fake state (connected, ready, a last
 * error, a scanout frame or none). Screenshots are written only inside a
 * private temporary directory: the literal "@TMP@" in a request stands for
 * it, and the fake backend offers a frame only for a path that is a plain
 * file name directly in that directory (anything else is answered "no
 * scanout is set" and writes nothing).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "control-commands.h"
#include "pvgpu_codec.h"

#define CHECK(cond) do { if (!(cond)) { abort(); } } while (0)

static char *shot_dir;

typedef struct {
    PvgpuStatus status;
    gboolean has_frame;
    PvgpuImage frame;
    guint32 pixels[6];
    const char *allowed_path; /* where a screenshot may be written */
} FakeBackend;

static void get_status(gpointer data, PvgpuStatus *out)
{
    *out = ((FakeBackend *)data)->status;
}

static gboolean peek_frame(gpointer data, PvgpuImage *out)
{
    FakeBackend *f = data;

    if (!f->has_frame || f->allowed_path == NULL) {
        return FALSE;
    }
    *out = f->frame;
    return TRUE;
}

static void remove_shot_dir(void)
{
    g_autoptr(GDir) dir = g_dir_open(shot_dir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(shot_dir, name, NULL);
        g_unlink(path);
    }
    g_rmdir(shot_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    shot_dir = g_dir_make_tmp("pvgpu-fuzz-request-XXXXXX", NULL);
    CHECK(shot_dir != NULL);
    atexit(remove_shot_dir);
    return 0;
}

/* The screenshot path the handler will see, if it is a plain file name in
 * shot_dir; parsed with the same library, so the two readings agree. */
static char *safe_screenshot_path(const char *line, gsize len)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonNode *root;
    JsonNode *path;
    const char *value;
    const char *name;

    if (len > PVGPU_CONTROL_MAX_LINE || memchr(line, '\0', len) != NULL ||
        !json_parser_load_from_data(parser, line, (gssize)len, NULL)) {
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        return NULL;
    }
    path = json_object_get_member(json_node_get_object(root), "path");
    if (path == NULL || !JSON_NODE_HOLDS_VALUE(path) ||
        json_node_get_value_type(path) != G_TYPE_STRING) {
        return NULL;
    }
    value = json_node_get_string(path);
    if (!g_str_has_prefix(value, shot_dir) ||
        value[strlen(shot_dir)] != '/') {
        return NULL;
    }
    name = value + strlen(shot_dir) + 1;
    if (name[0] == '\0' || strchr(name, '/') != NULL ||
        strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        return NULL;
    }
    return g_strdup(value);
}

static void check_response(const char *response)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *obj;
    JsonNode *ok;

    CHECK(response != NULL && strchr(response, '\n') == NULL);
    CHECK(json_parser_load_from_data(parser, response, -1, NULL));
    CHECK(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)));
    obj = json_node_get_object(json_parser_get_root(parser));
    ok = json_object_get_member(obj, "ok");
    CHECK(ok != NULL && json_node_get_value_type(ok) == G_TYPE_BOOLEAN);
    if (!json_node_get_boolean(ok)) {
        JsonNode *error = json_object_get_member(obj, "error");
        CHECK(error != NULL &&
              json_node_get_value_type(error) == G_TYPE_STRING);
    }
}

static void fake_state(FakeBackend *f, guint8 selector)
{
    PvgpuStatus *st = &f->status;

    st->connected = (selector & 1) != 0;
    st->ready = (selector & 2) != 0;
    st->features = (selector & 4) ? G_MAXUINT64 : PVGPU_FEATURE_2D;
    st->shmem_size = 256u << 20;
    st->generation = selector;
    st->counters.commands = (selector & 8) ? G_MAXUINT64 : 42;
    st->counters.has_last_error = (selector & 16) != 0;
    st->counters.last_error.code = (selector & 8) ? 0xffffu : 1;
    st->counters.last_error.cmd_type = 0x0102;
    st->has_scanout = (selector & 32) != 0;
    st->scanout_format = (selector & 64) ? 0xffffffffu
                                         : PVGPU_FORMAT_B8G8R8A8_UNORM;
    st->scanout_width = 3;
    st->scanout_height = 2;
    f->has_frame = (selector & 128) != 0;
    f->frame = (PvgpuImage){ .format = PVGPU_FORMAT_B8G8R8A8_UNORM,
                             .width = 3, .height = 2, .stride = 12,
                             .pixels = (guint8 *)f->pixels };
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FakeBackend fake = { 0 };
    PvgpuControlHandler handler = {
        .get_status = get_status,
        .peek_frame = peek_frame,
        .data = &fake,
    };

    if (size == 0) {
        return 0;
    }
    fake_state(&fake, data[0]);
    g_autoptr(GString) input = g_string_new_len((const char *)data + 1,
                                                (gssize)size - 1);
    g_string_replace(input, "@TMP@", shot_dir, 0);

    /* One request per line, as control-server.c splits them: a trailing
     * CR dropped, empty lines ignored. */
    const char *p = input->str;
    const char *end = input->str + input->len;
    while (p <= end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        gsize len = (gsize)((nl != NULL ? nl : end) - p);

        if (len > 0 && p[len - 1] == '\r') {
            len--;
        }
        if (len > 0) {
            g_autofree char *path = safe_screenshot_path(p, len);

            fake.allowed_path = path;
            g_autofree char *response = pvgpu_control_handle_line(&handler,
                                                                   p, len);
            check_response(response);
            if (path != NULL) {
                g_unlink(path);
            }
        }
        if (nl == NULL) {
            break;
        }
        p = nl + 1;
    }
    return 0;
}
