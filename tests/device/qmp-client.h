/* SPDX-License-Identifier: MIT */
/*
 * QMP over a connected socket: greeting, qmp_capabilities, one command at
 * a time with a deadline for its reply, events kept aside until asked for.
 * Commands are sent as text, so QEMU's single-quote JSON extension may be
 * used in them; replies are parsed with json-glib.
 */
#ifndef PVGPU_QMP_CLIENT_H
#define PVGPU_QMP_CLIENT_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "line-channel.h"

typedef struct QmpClient QmpClient;

/* Takes ownership of ch; reads the greeting and negotiates capabilities. */
QmpClient *qmp_client_new(LineChannel *ch, gint64 deadline, GError **error);
void qmp_client_free(QmpClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QmpClient, qmp_client_free)

/*
 * Sends one command and returns its whole reply ({"return": ...} or
 * {"error": ...}); NULL with *error when no reply came before the deadline.
 */
JsonObject *qmp_client_command(QmpClient *c, const char *command,
                               gint64 deadline, GError **error);

/* Sends without reading the reply (e.g. "quit"). */
gboolean qmp_client_send(QmpClient *c, const char *command);

/*
 * Returns the first event named name (received earlier or arriving before
 * the deadline) and forgets it; NULL with *error on timeout.
 */
JsonObject *qmp_client_wait_event(QmpClient *c, const char *name,
                                  gint64 deadline, GError **error);

/* The error description of a reply, or NULL if it is not an error. */
const char *qmp_reply_error_desc(JsonObject *reply);

#endif /* PVGPU_QMP_CLIENT_H */
