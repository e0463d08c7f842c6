/* SPDX-License-Identifier: MIT */
#include "capabilities.h"

#include "pvgpu_protocol.h"

static const struct {
    guint64 bit;
    const char *name;
} feature_names[] = {
    { PVGPU_FEATURE_2D, "2d" },
    { PVGPU_FEATURE_CURSOR, "cursor" },
    { PVGPU_FEATURE_SHMEM_FD, "shmem-fd" },
    { PVGPU_FEATURE_EVENTFD, "eventfd" },
    { PVGPU_FEATURE_DISPLAY, "display" },
    { PVGPU_FEATURE_DISPLAY_HINT, "display-hint" },
    { PVGPU_FEATURE_DISPLAY_CURSOR, "display-cursor" },
};

/* Ring commands in protocol order. */
static const char *const command_names[] = {
    "nop", "resource-create-2d", "resource-destroy", "resource-upload",
    "fill-rect", "copy-rect", "set-scanout", "present", "set-cursor",
    "fence",
};

void pvgpu_add_feature_names(JsonBuilder *b, guint64 features)
{
    for (gsize i = 0; i < G_N_ELEMENTS(feature_names); i++) {
        if (features & feature_names[i].bit) {
            json_builder_add_string_value(b, feature_names[i].name);
        }
    }
}

gchar *pvgpu_feature_list(guint64 features)
{
    GString *list = g_string_new(NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(feature_names); i++) {
        if (features & feature_names[i].bit) {
            g_string_append_printf(list, "%s%s", list->len ? " " : "",
                                   feature_names[i].name);
        }
    }
    return g_string_free(list, FALSE);
}

gchar *pvgpu_capabilities_json(void)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree gchar *version = g_strdup_printf("%u.%u", PVGPU_VERSION_MAJOR,
                                                PVGPU_VERSION_MINOR);

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "type");
    json_builder_add_string_value(b, "gpu");
    json_builder_set_member_name(b, "protocol_version");
    json_builder_add_string_value(b, version);
    json_builder_set_member_name(b, "features");
    json_builder_begin_array(b);
    pvgpu_add_feature_names(b, PVGPU_FEATURE_2D | PVGPU_FEATURE_CURSOR |
                               PVGPU_FEATURE_SHMEM_FD | PVGPU_FEATURE_EVENTFD |
                               PVGPU_FEATURE_DISPLAY |
                               PVGPU_FEATURE_DISPLAY_HINT |
                               PVGPU_FEATURE_DISPLAY_CURSOR);
    /* opening the memory by name, the original description's way */
    json_builder_add_string_value(b, "shmem-name");
    json_builder_end_array(b);
    json_builder_set_member_name(b, "commands");
    json_builder_begin_array(b);
    for (gsize i = 0; i < G_N_ELEMENTS(command_names); i++) {
        json_builder_add_string_value(b, command_names[i]);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);

    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}
