/* SPDX-License-Identifier: MIT */
/* Screenshots: images of each format written as PNG and read back. */
#include "test-helpers.h"

#include <glib/gstdio.h>

#include "png-read.h"
#include "png-writer.h"
#include "pvgpu_protocol.h"

typedef struct {
    gchar *dir;
    gchar *path;
} Fixture;

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);

    f->dir = g_dir_make_tmp("pvgpu-png-XXXXXX", NULL);
    assert_non_null(f->dir);
    f->path = g_build_filename(f->dir, "shot.png", NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    const gchar *name;
    GDir *dir = g_dir_open(f->dir, 0, NULL);

    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree gchar *p = g_build_filename(f->dir, name, NULL);
        g_unlink(p);
    }
    if (dir != NULL) {
        g_dir_close(dir);
    }
    g_rmdir(f->dir);
    g_free(f->dir);
    g_free(f->path);
    g_free(f);
    return 0;
}

static guint dir_entries(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);
    guint n = 0;

    while (dir != NULL && g_dir_read_name(dir) != NULL) {
        n++;
    }
    if (dir != NULL) {
        g_dir_close(dir);
    }
    return n;
}

/* 3x2 image, memory bytes of pixel i are (i, 0x10+i, 0x20+i, 0x80+i),
 * rows stride bytes apart. */
static PvgpuImage make_image(guint32 format, gsize stride)
{
    PvgpuImage img = { .format = format, .width = 3, .height = 2,
                       .stride = stride };

    img.pixels = g_malloc0(stride * 2);
    for (guint32 y = 0; y < 2; y++) {
        for (guint32 x = 0; x < 3; x++) {
            guint8 i = (guint8)(y * 3 + x);
            guint8 *p = img.pixels + y * stride + x * 4;
            p[0] = i;
            p[1] = 0x10 + i;
            p[2] = 0x20 + i;
            p[3] = 0x80 + i;
        }
    }
    return img;
}

static void write_and_read(Fixture *f, const PvgpuImage *img, TestPng *png)
{
    GError *error = NULL;

    assert_true(pvgpu_png_write(img, f->path, &error));
    assert_null(error);
    assert_true(test_png_read(f->path, png));
    assert_true(png->rgba8);
    assert_int_equal(png->width, img->width);
    assert_int_equal(png->height, img->height);
}

static void test_bgra(void **state)
{
    Fixture *f = *state;
    PvgpuImage img = make_image(PVGPU_FORMAT_B8G8R8A8_UNORM, 12);
    TestPng png;

    write_and_read(f, &img, &png);
    /* memory B, G, R, A -> R = 0x20+i, G = 0x10+i, B = i */
    assert_int_equal(test_png_rgba(&png, 0, 0), 0x20100080);
    assert_int_equal(test_png_rgba(&png, 2, 1), 0x25150585);
    test_png_clear(&png);
    g_free(img.pixels);
}

static void test_rgba(void **state)
{
    Fixture *f = *state;
    PvgpuImage img = make_image(PVGPU_FORMAT_R8G8B8A8_UNORM, 12);
    TestPng png;

    write_and_read(f, &img, &png);
    assert_int_equal(test_png_rgba(&png, 1, 0), 0x01112181);
    test_png_clear(&png);
    g_free(img.pixels);
}

static void test_x_formats_opaque(void **state)
{
    Fixture *f = *state;
    PvgpuImage bgrx = make_image(PVGPU_FORMAT_B8G8R8X8_UNORM, 12);
    PvgpuImage rgbx = make_image(PVGPU_FORMAT_R8G8B8X8_UNORM, 12);
    TestPng png;

    write_and_read(f, &bgrx, &png);
    assert_int_equal(test_png_rgba(&png, 1, 1), 0x241404ff);
    test_png_clear(&png);
    write_and_read(f, &rgbx, &png);
    assert_int_equal(test_png_rgba(&png, 1, 1), 0x041424ff);
    test_png_clear(&png);
    g_free(bgrx.pixels);
    g_free(rgbx.pixels);
}

static void test_stride_wider_than_row(void **state)
{
    Fixture *f = *state;
    PvgpuImage img = make_image(PVGPU_FORMAT_R8G8B8A8_UNORM, 64);
    TestPng png;

    write_and_read(f, &img, &png);
    assert_int_equal(test_png_rgba(&png, 0, 1), 0x03132383);
    test_png_clear(&png);
    g_free(img.pixels);
}

static void test_replaces_without_leftovers(void **state)
{
    Fixture *f = *state;
    PvgpuImage img = make_image(PVGPU_FORMAT_R8G8B8A8_UNORM, 12);
    TestPng png;

    assert_true(g_file_set_contents(f->path, "old", -1, NULL));
    write_and_read(f, &img, &png);
    test_png_clear(&png);
    assert_int_equal(dir_entries(f->dir), 1);
    g_free(img.pixels);
}

static void test_relative_path_refused(void **state)
{
    PvgpuImage img = make_image(PVGPU_FORMAT_R8G8B8A8_UNORM, 12);
    GError *error = NULL;

    (void)state;
    assert_false(pvgpu_png_write(&img, "shot.png", &error));
    assert_non_null(error);
    assert_non_null(strstr(error->message, "absolute"));
    g_error_free(error);
    g_free(img.pixels);
}

static void test_missing_directory(void **state)
{
    Fixture *f = *state;
    PvgpuImage img = make_image(PVGPU_FORMAT_R8G8B8A8_UNORM, 12);
    g_autofree gchar *path = g_build_filename(f->dir, "no", "shot.png", NULL);
    GError *error = NULL;

    assert_false(pvgpu_png_write(&img, path, &error));
    assert_non_null(error);
    g_error_free(error);
    assert_int_equal(dir_entries(f->dir), 0);
    g_free(img.pixels);
}

static void test_bad_format_refused(void **state)
{
    Fixture *f = *state;
    PvgpuImage img = make_image(0, 12);
    GError *error = NULL;

    assert_false(pvgpu_png_write(&img, f->path, &error));
    assert_non_null(error);
    g_error_free(error);
    assert_int_equal(dir_entries(f->dir), 0);
    g_free(img.pixels);
}

#define T(path, fn) PATH_TEST(path, fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T("/backend/png/bgra", test_bgra),
        T("/backend/png/rgba", test_rgba),
        T("/backend/png/x-formats-opaque", test_x_formats_opaque),
        T("/backend/png/stride-wider-than-row", test_stride_wider_than_row),
        T("/backend/png/replaces-without-leftovers",
          test_replaces_without_leftovers),
        T("/backend/png/relative-path-refused", test_relative_path_refused),
        T("/backend/png/missing-directory", test_missing_directory),
        T("/backend/png/bad-format-refused", test_bad_format_refused),
    };

    return cmocka_run_group_tests_name("backend-png", tests, NULL, NULL);
}
