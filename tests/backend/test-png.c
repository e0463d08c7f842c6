/* SPDX-License-Identifier: MIT */
/* Screenshots: images of each format written as PNG and read back. */
#include "test-helpers.h"


#include "png-writer.h"
#include "pvgpu_protocol.h"
#include "test-support.h"

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

    test_remove_tree(f->dir);
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

/* An image of format with rows stride bytes apart, written and read back,
 * has these pixels. */
static void assert_written(Fixture *f, guint32 format, gsize stride,
                           const TestPixel *pixels, gsize n_pixels)
{
    PvgpuImage img = make_image(format, stride);
    TestPng png;

    write_and_read(f, &img, &png);
    assert_png_pixels(&png, pixels, n_pixels);
    test_png_clear(&png);
    g_free(img.pixels);
}

static void test_bgra(void **state)
{
    /* memory B, G, R, A -> R = 0x20+i, G = 0x10+i, B = i */
    static const TestPixel pixels[] = {
        { 0, 0, 0x20100080 },
        { 2, 1, 0x25150585 },
    };

    assert_written(*state, PVGPU_FORMAT_B8G8R8A8_UNORM, 12, pixels,
                   G_N_ELEMENTS(pixels));
}

static void test_rgba(void **state)
{
    static const TestPixel pixels[] = { { 1, 0, 0x01112181 } };

    assert_written(*state, PVGPU_FORMAT_R8G8B8A8_UNORM, 12, pixels,
                   G_N_ELEMENTS(pixels));
}

static void test_x_formats_opaque(void **state)
{
    static const TestPixel bgrx[] = { { 1, 1, 0x241404ff } };
    static const TestPixel rgbx[] = { { 1, 1, 0x041424ff } };

    assert_written(*state, PVGPU_FORMAT_B8G8R8X8_UNORM, 12, bgrx,
                   G_N_ELEMENTS(bgrx));
    assert_written(*state, PVGPU_FORMAT_R8G8B8X8_UNORM, 12, rgbx,
                   G_N_ELEMENTS(rgbx));
}

static void test_stride_wider_than_row(void **state)
{
    static const TestPixel pixels[] = { { 0, 1, 0x03132383 } };

    assert_written(*state, PVGPU_FORMAT_R8G8B8A8_UNORM, 64, pixels,
                   G_N_ELEMENTS(pixels));
}

static void test_replaces_without_leftovers(void **state)
{
    Fixture *f = *state;

    assert_true(g_file_set_contents(f->path, "old", -1, NULL));
    assert_written(f, PVGPU_FORMAT_R8G8B8A8_UNORM, 12, NULL, 0);
    assert_int_equal(dir_entries(f->dir), 1);
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
