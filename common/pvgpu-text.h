#pragma once

#include <glib.h>
#include <string.h>

/* Text from a backend, a guest or a domain definition, made safe to print on
 * a terminal: valid UTF-8, and every C0 and C1 control character and DEL
 * (which can move the cursor, retitle a window or rewrite earlier output)
 * replaced by '?'. With keep_newlines, '\n' and '\t' stay. */
char *pvgpu_text_printable(const char *text, gboolean keep_newlines);
