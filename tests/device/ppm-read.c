/* SPDX-License-Identifier: MIT */
#include "ppm-read.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The next whitespace-separated number of a PPM header (at most 9 digits). */
static int ppm_number(const uint8_t *data, size_t len, size_t *pos,
                      uint32_t *out)
{
    uint32_t v = 0;
    int digits = 0;

    while (*pos < len && isspace(data[*pos])) {
        (*pos)++;
    }
    while (*pos < len && isdigit(data[*pos]) && digits < 9) {
        v = v * 10 + (uint32_t)(data[(*pos)++] - '0');
        digits++;
    }
    *out = v;
    return digits > 0;
}

uint8_t *ppm_parse_rgb(const uint8_t *data, size_t len, uint32_t *width,
                       uint32_t *height, const char **why)
{
    size_t pos = 2;
    uint32_t maxval = 0;
    uint64_t bytes;
    uint8_t *rgb;

    if (len < 2 || memcmp(data, "P6", 2) != 0 ||
        !ppm_number(data, len, &pos, width) ||
        !ppm_number(data, len, &pos, height) ||
        !ppm_number(data, len, &pos, &maxval) || maxval != 255 ||
        pos >= len || !isspace(data[pos])) {
        *why = "not a binary 8-bit PPM";
        return NULL;
    }
    pos++;
    bytes = (uint64_t)*width * *height * 3;
    if (len - pos != bytes) {
        *why = "the PPM's pixel data does not match its size";
        return NULL;
    }
    rgb = malloc(bytes ? bytes : 1);
    if (rgb == NULL) {
        *why = "out of memory";
        return NULL;
    }
    memcpy(rgb, data + pos, bytes);
    return rgb;
}
