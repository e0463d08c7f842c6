/* SPDX-License-Identifier: MIT */
#include "image.h"

#include "pvgpu_protocol.h"

const char *pvgpu_format_name(guint32 format)
{
    switch (format) {
    case PVGPU_FORMAT_B8G8R8A8_UNORM:
        return "B8G8R8A8";
    case PVGPU_FORMAT_B8G8R8X8_UNORM:
        return "B8G8R8X8";
    case PVGPU_FORMAT_R8G8B8A8_UNORM:
        return "R8G8B8A8";
    case PVGPU_FORMAT_R8G8B8X8_UNORM:
        return "R8G8B8X8";
    default:
        return NULL;
    }
}

void pvgpu_image_row_to_rgba(const PvgpuImage *img, guint32 y, guint8 *rgba)
{
    const guint8 *src = img->pixels + (gsize)y * img->stride;
    gboolean bgr = img->format == PVGPU_FORMAT_B8G8R8A8_UNORM ||
                   img->format == PVGPU_FORMAT_B8G8R8X8_UNORM;
    gboolean opaque = img->format == PVGPU_FORMAT_B8G8R8X8_UNORM ||
                      img->format == PVGPU_FORMAT_R8G8B8X8_UNORM;

    for (guint32 x = 0; x < img->width; x++, src += 4, rgba += 4) {
        rgba[0] = bgr ? src[2] : src[0];
        rgba[1] = src[1];
        rgba[2] = bgr ? src[0] : src[2];
        rgba[3] = opaque ? 0xff : src[3];
    }
}
