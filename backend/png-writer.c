/* SPDX-License-Identifier: MIT */
#include "png-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <png.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char message[256];
} PngFailure;

static void on_png_error(png_structp png, png_const_charp msg)
{
    PngFailure *failure = png_get_error_ptr(png);

    g_strlcpy(failure->message, msg, sizeof(failure->message));
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    g_debug("libpng: %s", msg);
}

/* Encodes img into file; on failure fills failure->message. */
static gboolean encode(const PvgpuImage *img, FILE *file, guint8 *row,
                       PngFailure *failure)
{
    png_structp png;
    png_infop info;

    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, failure,
                                  on_png_error, on_png_warning);
    if (png == NULL) {
        g_strlcpy(failure->message, "out of memory", sizeof(failure->message));
        return FALSE;
    }
    info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        g_strlcpy(failure->message, "out of memory", sizeof(failure->message));
        return FALSE;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return FALSE;
    }
    png_init_io(png, file);
    png_set_IHDR(png, info, img->width, img->height, 8, PNG_COLOR_TYPE_RGBA,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (guint32 y = 0; y < img->height; y++) {
        pvgpu_image_row_to_rgba(img, y, row);
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return TRUE;
}

static gboolean writable_image(const PvgpuImage *img, GError **error)
{
    if (pvgpu_format_name(img->format) == NULL || img->width == 0 ||
        img->height == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "cannot write an image of format %u, %ux%u",
                    img->format, img->width, img->height);
        return FALSE;
    }
    return TRUE;
}

gboolean pvgpu_png_write_fd(const PvgpuImage *img, int fd, GError **error)
{
    struct stat st;
    int flags = fcntl(fd, F_GETFL);

    if (!writable_image(img, error)) {
        return FALSE;
    }
    if (flags < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        (flags & O_ACCMODE) == O_RDONLY) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "the descriptor for the screenshot is not a regular "
                    "file open for writing");
        return FALSE;
    }
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    FILE *file = own >= 0 ? fdopen(own, "wb") : NULL;
    if (file == NULL) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot write the screenshot: %s", g_strerror(errno));
        if (own >= 0) {
            close(own);
        }
        return FALSE;
    }
    g_autofree guint8 *row = g_malloc((gsize)img->width * 4);
    PngFailure failure = { { 0 } };
    gboolean ok = ftruncate(own, 0) == 0 && lseek(own, 0, SEEK_SET) == 0 &&
                  encode(img, file, row, &failure);
    if (!ok && failure.message[0] == '\0') {
        g_strlcpy(failure.message, g_strerror(errno), sizeof(failure.message));
    }
    if (fclose(file) != 0 && ok) {
        g_strlcpy(failure.message, g_strerror(errno), sizeof(failure.message));
        ok = FALSE;
    }
    if (!ok) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "cannot write the screenshot: %s", failure.message);
    }
    return ok;
}

gboolean pvgpu_png_write(const PvgpuImage *img, const char *path,
                         GError **error)
{
    g_autofree gchar *tmp = NULL;
    g_autofree guint8 *row = NULL;
    PngFailure failure = { { 0 } };
    gboolean ok;
    FILE *file;
    int fd;

    if (!g_path_is_absolute(path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "the screenshot path must be absolute, not \"%s\"", path);
        return FALSE;
    }
    if (!writable_image(img, error)) {
        return FALSE;
    }
    tmp = g_strdup_printf("%s.XXXXXX", path);
    fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create a file beside %s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    file = fdopen(fd, "wb");
    if (file == NULL) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot open %s: %s", tmp, g_strerror(errno));
        close(fd);
        unlink(tmp);
        return FALSE;
    }
    row = g_malloc((gsize)img->width * 4);
    ok = encode(img, file, row, &failure);
    if (fclose(file) != 0 && ok) {
        g_snprintf(failure.message, sizeof(failure.message), "%s",
                   g_strerror(errno));
        ok = FALSE;
    }
    if (ok && rename(tmp, path) < 0) {
        g_snprintf(failure.message, sizeof(failure.message), "%s",
                   g_strerror(errno));
        ok = FALSE;
    }
    if (!ok) {
        unlink(tmp);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "cannot write %s: %s", path, failure.message);
    }
    return ok;
}
