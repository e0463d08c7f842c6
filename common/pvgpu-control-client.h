/* SPDX-License-Identifier: MIT */
/*
 * Client of a backend control socket: newline-delimited JSON, one request
 * and one reply line (at most 64 KiB) per connection.
 */
#ifndef PVGPU_CONTROL_CLIENT_H
#define PVGPU_CONTROL_CLIENT_H

#include <glib.h>
#include <json-glib/json-glib.h>

#define PVGPU_CONTROL_TIMEOUT_MS 2000u
#define PVGPU_CONTROL_REPLY_MAX (64u * 1024u)

/*
 * Sends request (a JSON object) and returns the reply object. A socket
 * that cannot be connected to (missing, nobody listening, unusable path)
 * is PVGPU_COMMON_ERROR_UNREACHABLE; a reply with "ok": false becomes
 * PVGPU_COMMON_ERROR_REFUSED carrying the backend's "error" text; a
 * backend that connects but answers too late, not at all, too long or
 * malformed gives PVGPU_COMMON_ERROR_CONTROL.
 */
JsonNode *pvgpu_control_request(const char *socket_path, JsonNode *request,
                                guint timeout_ms, GError **error);

/* The same, with pass_fd (>= 0) sent along with the request (SCM_RIGHTS);
 * the caller keeps its own copy. */
JsonNode *pvgpu_control_request_fd(const char *socket_path, JsonNode *request,
                                   int pass_fd, guint timeout_ms,
                                   GError **error);

/* The reply in the bytes a backend sent (up to its newline, or all it sent
 * before closing), with the errors pvgpu_control_request gives; socket_path
 * names the backend in them. */
JsonNode *pvgpu_control_reply_parse(const char *socket_path, const char *data,
                                    gsize len, GError **error);

/* {"command": command} with the default timeout. */
JsonNode *pvgpu_control_command(const char *socket_path, const char *command,
                                GError **error);

#endif
