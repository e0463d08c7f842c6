/* Whether a domain's QEMU can run the pvgpu device at all. */
#include "pvgpuctl-emulator.h"

#include <string.h>
#include <unistd.h>

#include "pvgpu-xml.h"
#include "pvgpuctl-error.h"

#define WHAT_TO_DO                                                          \
    "give a QEMU built with the pvgpu device with --emulator PATH "        \
    "(scripts/build-qemu.sh builds one and prints its path)"

static xmlNode *devices_of(xmlDoc *doc)
{
    xmlNode *root = pvgpu_xml_domain_root(doc, NULL);

    return root != NULL ? pvgpu_xml_child(root, "devices", NULL) : NULL;
}

char *pvgpuctl_emulator_of(xmlDoc *doc)
{
    xmlNode *devices = devices_of(doc);
    xmlNode *emulator =
        devices != NULL ? pvgpu_xml_child(devices, "emulator", NULL) : NULL;
    xmlChar *text = emulator != NULL ? xmlNodeGetContent(emulator) : NULL;
    char *path = NULL;

    if (text != NULL) {
        path = g_strstrip(g_strdup((const char *)text));
        xmlFree(text);
    }
    if (path != NULL && path[0] == '\0') {
        g_clear_pointer(&path, g_free);
    }
    return path;
}

gboolean pvgpuctl_emulator_set(xmlDoc *doc, const char *path, GError **error)
{
    xmlNode *root = pvgpu_xml_domain_root(doc, NULL);
    xmlNode *devices = devices_of(doc);
    xmlNode *emulator;

    if (!g_path_is_absolute(path)) {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_USAGE,
                             "--emulator wants an absolute path, not '%s'",
                             path);
    }
    if (root == NULL) {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                             "the definition has no <domain> element");
    }
    if (devices == NULL) {
        devices = xmlNewChild(root, NULL, (const xmlChar *)"devices", NULL);
    }
    emulator = pvgpu_xml_child(devices, "emulator", NULL);
    if (emulator == NULL) {
        /* libvirt writes it first among the devices */
        emulator = xmlNewNode(NULL, (const xmlChar *)"emulator");
        if (devices->children != NULL) {
            xmlAddPrevSibling(devices->children, emulator);
        } else {
            xmlAddChild(devices, emulator);
        }
    }
    xmlNodeSetContent(emulator, NULL);
    xmlNodeAddContent(emulator, (const xmlChar *)path);
    return TRUE;
}

gboolean pvgpuctl_emulator_check(const char *name, const char *path,
                                 GError **error)
{
    const char *argv[] = { path, "-device", "help", NULL };
    g_autofree char *out = NULL;
    g_autoptr(GError) local = NULL;
    int status = 0;

    if (access(path, X_OK) != 0) {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                             "the QEMU of domain '%s', %s, is not an "
                             "executable file: " WHAT_TO_DO,
                             name, path);
    }
    if (!g_spawn_sync(NULL, (char **)argv, NULL,
                      G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_CLOEXEC_PIPES,
                      NULL, NULL, &out, NULL, &status, &local) ||
        !g_spawn_check_wait_status(status, &local)) {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                             "cannot ask the QEMU of domain '%s', %s, for "
                             "its devices (%s): " WHAT_TO_DO,
                             name, path, local->message);
    }
    /* QEMU lists each device as: name "pvgpu", bus PCI, desc "..." */
    if (strstr(out, "name \"pvgpu\"") == NULL) {
        return pvgpuctl_fail(error, PVGPUCTL_ERROR_FAILED,
                             "the QEMU of domain '%s', %s, has no pvgpu "
                             "device: " WHAT_TO_DO,
                             name, path);
    }
    return TRUE;
}
