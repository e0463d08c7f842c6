/* SPDX-License-Identifier: MIT */
/* Command-line options of pvgpu-backend. */
#ifndef PVGPU_BACKEND_OPTIONS_H
#define PVGPU_BACKEND_OPTIONS_H

#include <glib.h>

/* Exit codes, documented in --help and README.md. */
enum {
    PVGPU_EXIT_OK = 0,
    PVGPU_EXIT_USAGE = 1,
    PVGPU_EXIT_SETUP = 2,
    PVGPU_EXIT_INTERNAL = 3,
};

#define PVGPU_DEFAULT_MEMORY_BUDGET (512ull << 20)
#define PVGPU_MAX_POLL_US 10000u
#define PVGPU_DEFAULT_HANDSHAKE_TIMEOUT_MS 2000u
#define PVGPU_MAX_HANDSHAKE_TIMEOUT_MS 600000u

typedef struct {
    gchar *socket_path;
    int fd;                 /* -1 when not given */
    gchar *control_socket;
    gchar *pidfile;
    guint64 memory_budget;
    guint32 display_width;
    guint32 display_height;
    guint32 poll_us;        /* 0: no polling */
    guint32 handshake_timeout_ms;
    guint32 peer_uid;
    gboolean peer_uid_set;  /* FALSE: the backend's own effective uid */
    gchar *peer_label;      /* NULL: the LSM label is not checked */
    gboolean allow_shm_name; /* accept memory opened by name (unsealed) */
    gboolean print_capabilities;
    gboolean version;
    gboolean verbose;
} PvgpuOptions;

/*
 * Parses argv (GOptionContext handles --help itself and exits 0). On a
 * usage error returns FALSE with one sentence in *error.
 */
gboolean pvgpu_options_parse(int *argc, char ***argv, PvgpuOptions *opts,
                             GError **error);
void pvgpu_options_clear(PvgpuOptions *opts);

/* "512M", "1G", "4096": bytes, with K/M/G/T suffixes (powers of 1024). */
gboolean pvgpu_parse_size(const char *text, guint64 *out, GError **error);

/* Microseconds of polling: decimal digits only, 0..PVGPU_MAX_POLL_US. */
gboolean pvgpu_parse_poll_us(const char *text, guint32 *out, GError **error);

/* Milliseconds a connection may take for its HANDSHAKE: decimal digits
 * only, 1..PVGPU_MAX_HANDSHAKE_TIMEOUT_MS. */
gboolean pvgpu_parse_timeout_ms(const char *text, guint32 *out,
                                GError **error);

/* A numeric uid, 0..4294967294 (-1 is no uid). */
gboolean pvgpu_parse_uid(const char *text, guint32 *out, GError **error);

/* An LSM label to require of the peer: 1..4095 printable bytes, not
 * "unconfined", without an AppArmor mode suffix such as " (enforce)". */
gboolean pvgpu_check_peer_label(const char *label, GError **error);

/* "1024x768", each side 1..16384. */
gboolean pvgpu_parse_display(const char *text, guint32 *width,
                             guint32 *height, GError **error);

#endif
