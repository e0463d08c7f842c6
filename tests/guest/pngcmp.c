// SPDX-License-Identifier: MIT
/*
 * Checks a backend screenshot (PNG) or a console dump (PPM) for the boot
 * and end-to-end tests.
 *
 *   pngcmp pattern FILE SEED WIDTH HEIGHT
 *       the image is WIDTHxHEIGHT and every pixel equals pattern.h's
 *       pattern_rgb(x, y, SEED), alpha ignored
 *   pngcmp console FILE
 *       the image looks like a Linux text console: every pixel is one of
 *       the 16 default console colours, at least 90% are black, and at
 *       least 100 are the default foreground (0xaaaaaa), i.e. text
 *   pngcmp same FILE FILE2
 *       both images have one size and every pixel equal, alpha ignored
 *
 * A FILE may also be a binary PPM (what QEMU's screendump and virsh
 * screenshot write).
 *
 * Prints one line saying what it found. Exit status: 0 match, 1 mismatch,
 * 2 usage or unreadable file.
 */
#include <errno.h>
#include <inttypes.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "ppm-read.h"

#define CONSOLE_FOREGROUND 0xaaaaaau
#define CONSOLE_MIN_TEXT_PIXELS 100u
#define CONSOLE_MIN_BLACK_PERCENT 90u

typedef struct {
    uint32_t width;
    uint32_t height;
    uint8_t *rgb; /* 3 bytes per pixel, rows packed */
} Image;

static int load_ppm(const char *path, Image *img)
{
    FILE *f = fopen(path, "rb");
    const char *why = NULL;
    uint8_t *data = NULL;
    size_t len = 0, cap = 0;

    if (f == NULL) {
        fprintf(stderr, "pngcmp: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (len == cap) {
            uint8_t *bigger = realloc(data, cap = cap ? cap * 2 : 1 << 16);

            if (bigger == NULL) {
                why = "out of memory";
                break;
            }
            data = bigger;
        }
        size_t n = fread(data + len, 1, cap - len, f);
        if (n == 0) {
            break;
        }
        len += n;
    }
    fclose(f);
    if (why == NULL) {
        img->rgb = ppm_parse_rgb(data, len, &img->width, &img->height, &why);
    }
    free(data);
    if (img->rgb == NULL) {
        fprintf(stderr, "pngcmp: %s: %s\n", path, why);
        return -1;
    }
    return 0;
}

static int load(const char *path, Image *img)
{
    png_image png;
    char magic[2] = { 0 };
    FILE *f = fopen(path, "rb");

    if (f != NULL) {
        size_t n = fread(magic, 1, 2, f);

        fclose(f);
        if (n == 2 && memcmp(magic, "P6", 2) == 0) {
            return load_ppm(path, img);
        }
    }

    memset(&png, 0, sizeof(png));
    png.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&png, path)) {
        fprintf(stderr, "pngcmp: %s: %s\n", path, png.message);
        return -1;
    }
    png.format = PNG_FORMAT_RGB;
    img->width = png.width;
    img->height = png.height;
    img->rgb = malloc(PNG_IMAGE_SIZE(png));
    if (img->rgb == NULL) {
        fprintf(stderr, "pngcmp: %s: out of memory\n", path);
        png_image_free(&png);
        return -1;
    }
    if (!png_image_finish_read(&png, NULL, img->rgb, 0, NULL)) {
        fprintf(stderr, "pngcmp: %s: %s\n", path, png.message);
        free(img->rgb);
        img->rgb = NULL;
        return -1;
    }
    return 0;
}

static uint32_t pixel(const Image *img, uint32_t x, uint32_t y)
{
    const uint8_t *p = img->rgb + ((size_t)y * img->width + x) * 3;

    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v > UINT32_MAX) {
        fprintf(stderr, "pngcmp: not a number: %s\n", s);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int check_pattern(const Image *img, uint32_t seed, uint32_t width,
                         uint32_t height)
{
    uint64_t bad = 0;
    uint32_t first_x = 0, first_y = 0, got = 0, want = 0;

    if (img->width != width || img->height != height) {
        printf("size %" PRIu32 "x%" PRIu32 ", expected %" PRIu32 "x%" PRIu32
               "\n", img->width, img->height, width, height);
        return 1;
    }
    for (uint32_t y = 0; y < height; y++) {
        for (uint32_t x = 0; x < width; x++) {
            uint32_t p = pixel(img, x, y);
            uint32_t e = pattern_rgb(x, y, seed);

            if (p != e && bad++ == 0) {
                first_x = x;
                first_y = y;
                got = p;
                want = e;
            }
        }
    }
    if (bad != 0) {
        printf("pattern %" PRIu32 ": %" PRIu64 " of %" PRIu64
               " pixels differ, first at (%" PRIu32 ",%" PRIu32
               ") #%06" PRIx32 " instead of #%06" PRIx32 "\n",
               seed, bad, (uint64_t)width * height, first_x, first_y, got,
               want);
        return 1;
    }
    printf("pattern %" PRIu32 ": all %" PRIu64 " pixels match\n", seed,
           (uint64_t)width * height);
    return 0;
}

/* The console's default palette (drivers/tty/vt/vt.c). */
static int console_colour_index(uint32_t rgb)
{
    static const uint8_t red[16] = { 0x00, 0xaa, 0x00, 0xaa, 0x00, 0xaa,
                                     0x00, 0xaa, 0x55, 0xff, 0x55, 0xff,
                                     0x55, 0xff, 0x55, 0xff };
    static const uint8_t green[16] = { 0x00, 0x00, 0xaa, 0x55, 0x00, 0x00,
                                       0xaa, 0xaa, 0x55, 0x55, 0xff, 0xff,
                                       0x55, 0x55, 0xff, 0xff };
    static const uint8_t blue[16] = { 0x00, 0x00, 0x00, 0x00, 0xaa, 0xaa,
                                      0xaa, 0xaa, 0x55, 0x55, 0x55, 0x55,
                                      0xff, 0xff, 0xff, 0xff };

    for (int i = 0; i < 16; i++) {
        uint32_t c = ((uint32_t)red[i] << 16) | ((uint32_t)green[i] << 8) |
                     blue[i];
        if (c == rgb) {
            return i;
        }
    }
    return -1;
}

static int check_console(const Image *img)
{
    uint64_t total = (uint64_t)img->width * img->height;
    uint64_t black = 0, text = 0, foreign = 0;
    uint32_t foreign_rgb = 0;

    for (uint32_t y = 0; y < img->height; y++) {
        for (uint32_t x = 0; x < img->width; x++) {
            uint32_t p = pixel(img, x, y);

            if (p == 0) {
                black++;
            } else if (p == CONSOLE_FOREGROUND) {
                text++;
            } else if (console_colour_index(p) < 0 && foreign++ == 0) {
                foreign_rgb = p;
            }
        }
    }
    printf("console %" PRIu32 "x%" PRIu32 ": %" PRIu64 " black, %" PRIu64
           " foreground, %" PRIu64 " outside the palette (first #%06" PRIx32
           ")\n", img->width, img->height, black, text, foreign,
           foreign_rgb);
    if (total == 0 || foreign != 0 || text < CONSOLE_MIN_TEXT_PIXELS ||
        black * 100 < total * CONSOLE_MIN_BLACK_PERCENT) {
        return 1;
    }
    return 0;
}

static int check_same(const Image *a, const Image *b)
{
    uint64_t bad = 0;
    uint32_t first_x = 0, first_y = 0;

    if (a->width != b->width || a->height != b->height) {
        printf("sizes differ: %" PRIu32 "x%" PRIu32 " and %" PRIu32 "x%"
               PRIu32 "\n", a->width, a->height, b->width, b->height);
        return 1;
    }
    for (uint32_t y = 0; y < a->height; y++) {
        for (uint32_t x = 0; x < a->width; x++) {
            if (pixel(a, x, y) != pixel(b, x, y) && bad++ == 0) {
                first_x = x;
                first_y = y;
            }
        }
    }
    if (bad != 0) {
        printf("%" PRIu64 " pixels differ, first (%" PRIu32 ", %" PRIu32
               "): #%06" PRIx32 " and #%06" PRIx32 "\n", bad, first_x,
               first_y, pixel(a, first_x, first_y),
               pixel(b, first_x, first_y));
        return 1;
    }
    printf("same %" PRIu32 "x%" PRIu32 " pixels\n", a->width, a->height);
    return 0;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: pngcmp pattern FILE SEED WIDTH HEIGHT\n"
            "       pngcmp console FILE\n"
            "       pngcmp same FILE FILE2\n");
    return 2;
}

int main(int argc, char **argv)
{
    Image img = { 0 };
    uint32_t seed, width, height;
    int ret;

    if (argc == 6 && strcmp(argv[1], "pattern") == 0) {
        if (parse_u32(argv[3], &seed) < 0 || parse_u32(argv[4], &width) < 0 ||
            parse_u32(argv[5], &height) < 0) {
            return 2;
        }
        if (load(argv[2], &img) < 0) {
            return 2;
        }
        ret = check_pattern(&img, seed, width, height);
    } else if (argc == 3 && strcmp(argv[1], "console") == 0) {
        if (load(argv[2], &img) < 0) {
            return 2;
        }
        ret = check_console(&img);
    } else if (argc == 4 && strcmp(argv[1], "same") == 0) {
        Image other = { 0 };

        if (load(argv[2], &img) < 0 || load(argv[3], &other) < 0) {
            free(img.rgb);
            return 2;
        }
        ret = check_same(&img, &other);
        free(other.rgb);
    } else {
        return usage();
    }
    free(img.rgb);
    return ret;
}
