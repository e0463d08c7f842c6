/* SPDX-License-Identifier: MIT */
#include "peer-check.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>

/* Length of an AppArmor mode suffix " (mode)" ending label, else 0. */
static gsize mode_suffix_len(const char *label, gsize len)
{
    gsize open;

    if (len < 4 || label[len - 1] != ')') {
        return 0;
    }
    open = len - 1;
    while (open > 0 && g_ascii_islower(label[open - 1])) {
        open--;
    }
    if (open == len - 1 || open < 2 || label[open - 1] != '(' ||
        label[open - 2] != ' ') {
        return 0;
    }
    return len - (open - 2);
}

gboolean pvgpu_peer_label_matches(const char *raw, gsize len,
                                  const char *expected, GError **error)
{
    g_autofree gchar *shown = NULL;
    gsize name_len;

    while (len > 0 && (raw[len - 1] == '\0' || raw[len - 1] == '\n')) {
        len--;
    }
    if (len == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "it has an empty security label, so it cannot be "
                    "\"%s\" (--peer-label)", expected);
        return FALSE;
    }
    if (len > PVGPU_PEER_LABEL_MAX) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "its security label is longer than %u bytes",
                    PVGPU_PEER_LABEL_MAX);
        return FALSE;
    }
    if (memchr(raw, '\0', len) != NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "its security label holds a NUL byte");
        return FALSE;
    }
    name_len = len - mode_suffix_len(raw, len);
    if (name_len == strlen(expected) && memcmp(raw, expected, name_len) == 0) {
        return TRUE;
    }
    {
        g_autofree gchar *label = g_strndup(raw, len);

        shown = g_strescape(label, NULL);
    }
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                "its security label is \"%s\", not \"%s\" (--peer-label)",
                shown, expected);
    return FALSE;
}

/* Reads the peer's LSM label and matches it against expected. */
static gboolean check_label(int fd, const char *expected, GError **error)
{
    char label[PVGPU_PEER_LABEL_MAX + 2];
    socklen_t len = sizeof(label);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERSEC, label, &len) < 0) {
        if (errno == ENOPROTOOPT) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                        "it has no security label (SO_PEERSEC: no active "
                        "LSM provides one), so --peer-label=%s cannot be "
                        "checked", expected);
        } else if (errno == ERANGE) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                        "its security label is longer than %u bytes",
                        PVGPU_PEER_LABEL_MAX);
        } else {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                        "cannot read its security label (SO_PEERSEC): %s",
                        g_strerror(errno));
        }
        return FALSE;
    }
    return pvgpu_peer_label_matches(label, MIN(len, sizeof(label)), expected,
                                    error);
}

gboolean pvgpu_peer_check(int fd, const PvgpuPeerPolicy *policy,
                          gchar **peer, GError **error)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
        len != sizeof(cred)) {
        *peer = g_strdup("an unknown peer");
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "cannot read its credentials (SO_PEERCRED): %s",
                    g_strerror(errno));
        return FALSE;
    }
    *peer = g_strdup_printf("pid %d uid %u", (int)cred.pid,
                            (unsigned)cred.uid);
    if (cred.uid != policy->uid) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "only uid %u is served (--peer-uid)",
                    (unsigned)policy->uid);
        return FALSE;
    }
    return policy->label == NULL || check_label(fd, policy->label, error);
}
