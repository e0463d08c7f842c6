/* SPDX-License-Identifier: MIT */
/*
 * The device in QEMU's life cycle: migration refused by its blocker,
 * hot-plug and unplug on a PCIe root port, SHUTDOWN to the backend when
 * QEMU quits.
 */
#include <string.h>
#include <sys/wait.h>

#include "pvgpu-fixture.h"
#include "qmp-client.h"
#include "test-log.h"
#include "test-runner.h"

static void test_migration_blocked(void)
{
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(NULL);
    g_autoptr(JsonObject) reply = NULL;
    g_autoptr(JsonObject) status = NULL;
    g_autofree gchar *desc = NULL;
    JsonObject *ret;

    pvgpu_assert_ready(fx);
    reply = qt_qmp(fx->qt, "{'execute': 'migrate', 'arguments': "
                           "{'uri': 'exec:cat > /dev/null'}}");
    g_assert_nonnull(qmp_reply_error_desc(reply));
    desc = g_ascii_strdown(qmp_reply_error_desc(reply), -1);
    g_assert_nonnull(strstr(desc, "pvgpu"));
    g_assert_nonnull(strstr(desc, "migration"));

    /* nothing started, and the device still works */
    status = qt_qmp(fx->qt, "{'execute': 'query-migrate'}");
    ret = json_object_get_object_member(status, "return");
    g_assert_nonnull(ret);
    g_assert_false(json_object_has_member(ret, "status") &&
                   strcmp(json_object_get_string_member(ret, "status"),
                          "active") == 0);
    g_assert_cmphex(pvgpu_reg_read(fx, PVGPU_REG_STATUS), ==,
                    PVGPU_STATUS_BACKEND_CONNECTED | PVGPU_STATUS_READY);
}

/* Is there a device with this id under /machine/peripheral? */
static gboolean device_exists(QTestClient *qt, const char *id)
{
    g_autoptr(JsonObject) reply = qt_qmp(
        qt, "{'execute': 'qom-list', "
            "'arguments': {'path': '/machine/peripheral'}}");
    JsonArray *list;

    g_assert_null(qmp_reply_error_desc(reply));
    list = json_object_get_array_member(reply, "return");
    for (guint i = 0; list && i < json_array_get_length(list); i++) {
        JsonObject *prop = json_array_get_object_element(list, i);

        if (strcmp(json_object_get_string_member(prop, "name"), id) == 0) {
            return TRUE;
        }
    }
    return FALSE;
}

/* Does query-migrate list a reason why migration is blocked? */
static gboolean migration_blocked(QTestClient *qt)
{
    g_autoptr(JsonObject) reply = qt_qmp(qt,
                                         "{'execute': 'query-migrate'}");
    JsonObject *ret = json_object_get_object_member(reply, "return");
    JsonArray *reasons;

    g_assert_nonnull(ret);
    if (!json_object_has_member(ret, "blocked-reasons")) {
        return FALSE;
    }
    reasons = json_object_get_array_member(ret, "blocked-reasons");
    return reasons && json_array_get_length(reasons) > 0;
}

/*
 * Hot-plug onto a PCIe root port connects to the backend; device_del is
 * accepted and, as no guest runs to acknowledge it, carried out at the
 * next system reset (like QEMU's own device-plug-test). Unrealize sends
 * SHUTDOWN and closes the connection.
 */
static void test_hotplug_root_port(void)
{
    g_autofree gchar *tmpdir = pvgpu_test_make_tmpdir();
    g_autofree gchar *sock = g_build_filename(tmpdir, "backend.sock", NULL);
    g_autoptr(FakeBackend) backend = fake_backend_new(sock);
    const char *args[] = {
        "-device", "pcie-root-port,id=rp1,chassis=1,slot=1", NULL
    };
    g_autoptr(QTestClient) qt = NULL;
    g_autoptr(JsonObject) added = NULL;
    g_autoptr(JsonObject) deleted = NULL;
    g_autoptr(JsonObject) reset = NULL;
    g_autoptr(JsonObject) event = NULL;
    g_autofree gchar *cmd = NULL;

    fake_backend_set_auto_ack(backend, TRUE, PVGPU_FEATURE_SHMEM_FD);
    qt = qt_start(tmpdir, "q35", args);
    g_assert_false(migration_blocked(qt));
    cmd = g_strdup_printf("{'execute': 'device_add', 'arguments': "
                          "{'driver': 'pvgpu', 'id': 'gpu1', 'bus': 'rp1', "
                          "'shmem_size': 16777216, 'backend_pipe': '%s'}}",
                          sock);
    added = qt_qmp(qt, cmd);
    g_assert_null(qmp_reply_error_desc(added));
    g_assert_true(device_exists(qt, "gpu1"));
    g_assert_true(migration_blocked(qt));
    g_assert_true(fake_backend_wait_count(backend, FAKE_COUNT_HANDSHAKES, 1,
                                          pvgpu_deadline()));
    g_assert_cmpuint(fake_backend_last_handshake(backend).shmem_size, ==,
                     16ull << 20);

    deleted = qt_qmp(qt, "{'execute': 'device_del', "
                         "'arguments': {'id': 'gpu1'}}");
    g_assert_null(qmp_reply_error_desc(deleted));
    /* the unplug waits for a guest that is not there */
    g_assert_true(device_exists(qt, "gpu1"));
    g_assert_cmpuint(fake_backend_count(backend, FAKE_COUNT_SHUTDOWNS), ==,
                     0);
    g_assert_true(fake_backend_connected(backend));
    reset = qt_qmp(qt, "{'execute': 'system_reset'}");
    g_assert_null(qmp_reply_error_desc(reset));
    event = qt_qmp_wait_event(qt, "DEVICE_DELETED", pvgpu_deadline());
    g_assert_nonnull(event);
    g_assert_cmpstr(json_object_get_string_member(
                        json_object_get_object_member(event, "data"),
                        "device"), ==, "gpu1");
    g_assert_false(device_exists(qt, "gpu1"));

    g_assert_true(fake_backend_wait_count(backend, FAKE_COUNT_SHUTDOWNS, 1,
                                          pvgpu_deadline()));
    g_assert_true(fake_backend_wait_count(backend, FAKE_COUNT_DISCONNECTS, 1,
                                          pvgpu_deadline()));
    /* and it does not come back */
    g_assert_cmpuint(fake_backend_count(backend, FAKE_COUNT_CONNECTIONS), ==,
                     1);
    /* its migration blocker left with it */
    g_assert_false(migration_blocked(qt));

    g_clear_pointer(&qt, qt_free);
    g_clear_pointer(&backend, fake_backend_free);
    pvgpu_test_remove_tree(tmpdir);
}

/*
 * A memdev is busy while a pvgpu uses it (object-del and a second device
 * are refused) and free again once the device is unplugged.
 */
static void test_hotplug_memdev_released(void)
{
    g_autofree gchar *tmpdir = pvgpu_test_make_tmpdir();
    g_autofree gchar *sock = g_build_filename(tmpdir, "backend.sock", NULL);
    const char *args[] = {
        "-device", "pcie-root-port,id=rp1,chassis=1,slot=1",
        "-device", "pcie-root-port,id=rp2,chassis=2,slot=2",
        "-object", "memory-backend-memfd,id=gpumem,size=16M,share=on",
        NULL
    };
    g_autoptr(QTestClient) qt = NULL;
    g_autoptr(JsonObject) added = NULL;
    g_autoptr(JsonObject) second = NULL;
    g_autoptr(JsonObject) busy_del = NULL;
    g_autoptr(JsonObject) deleted = NULL;
    g_autoptr(JsonObject) reset = NULL;
    g_autoptr(JsonObject) event = NULL;
    g_autoptr(JsonObject) freed_del = NULL;
    g_autofree gchar *cmd = NULL;
    g_autofree gchar *cmd2 = NULL;

    qt = qt_start(tmpdir, "q35", args);
    cmd = g_strdup_printf("{'execute': 'device_add', 'arguments': "
                          "{'driver': 'pvgpu', 'id': 'gpu1', 'bus': 'rp1', "
                          "'memdev': 'gpumem', 'backend_pipe': '%s'}}",
                          sock);
    added = qt_qmp(qt, cmd);
    g_assert_null(qmp_reply_error_desc(added));
    g_assert_true(device_exists(qt, "gpu1"));

    cmd2 = g_strdup_printf("{'execute': 'device_add', 'arguments': "
                           "{'driver': 'pvgpu', 'id': 'gpu2', 'bus': 'rp2', "
                           "'memdev': 'gpumem', 'backend_pipe': '%s'}}",
                           sock);
    second = qt_qmp(qt, cmd2);
    g_assert_nonnull(qmp_reply_error_desc(second));
    g_assert_nonnull(strstr(qmp_reply_error_desc(second),
                            "memdev 'gpumem' is already in use"));
    g_assert_false(device_exists(qt, "gpu2"));
    busy_del = qt_qmp(qt, "{'execute': 'object-del', "
                          "'arguments': {'id': 'gpumem'}}");
    g_assert_nonnull(qmp_reply_error_desc(busy_del));

    deleted = qt_qmp(qt, "{'execute': 'device_del', "
                         "'arguments': {'id': 'gpu1'}}");
    g_assert_null(qmp_reply_error_desc(deleted));
    reset = qt_qmp(qt, "{'execute': 'system_reset'}");
    g_assert_null(qmp_reply_error_desc(reset));
    event = qt_qmp_wait_event(qt, "DEVICE_DELETED", pvgpu_deadline());
    g_assert_nonnull(event);
    g_assert_false(device_exists(qt, "gpu1"));

    freed_del = qt_qmp(qt, "{'execute': 'object-del', "
                           "'arguments': {'id': 'gpumem'}}");
    g_assert_null(qmp_reply_error_desc(freed_del));

    g_clear_pointer(&qt, qt_free);
    pvgpu_test_remove_tree(tmpdir);
}

/* QEMU quitting says SHUTDOWN to the backend. */
static void test_quit_sends_shutdown(void)
{
    g_autoptr(PvgpuFixture) fx = pvgpu_fixture_start(NULL);
    int status;

    pvgpu_assert_ready(fx);
    status = qt_quit(fx->qt);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    g_assert_true(fake_backend_wait_count(fx->backend, FAKE_COUNT_SHUTDOWNS,
                                          1, pvgpu_deadline()));
    g_assert_true(fake_backend_wait_count(fx->backend,
                                          FAKE_COUNT_DISCONNECTS, 1,
                                          pvgpu_deadline()));
}

int main(int argc, char **argv)
{
    pvgpu_test_init(&argc, &argv);
    pvgpu_test_add("/pvgpu/migration/blocked", test_migration_blocked);
    pvgpu_test_add("/pvgpu/hotplug/root-port", test_hotplug_root_port);
    pvgpu_test_add("/pvgpu/hotplug/memdev-released",
                   test_hotplug_memdev_released);
    pvgpu_test_add("/pvgpu/lifecycle/quit-sends-shutdown",
                   test_quit_sends_shutdown);
    return pvgpu_test_run();
}
