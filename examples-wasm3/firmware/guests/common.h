/* Small helpers shared by the firmware guests: no libc, so numbers are formatted by hand. */
#ifndef FW_GUEST_COMMON_H
#define FW_GUEST_COMMON_H

#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define ENV(name) __attribute__((import_module("env"), import_name(#name)))
#define WASI(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

/* A fixed-size text buffer that lines are built in. */
struct line {
    char buf[120];
    uint32_t len;
};

static void line_str(struct line *l, const char *s)
{
    while (*s && l->len < sizeof l->buf)
        l->buf[l->len++] = *s++;
}

static void line_u64(struct line *l, uint64_t v)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n && l->len < sizeof l->buf)
        l->buf[l->len++] = digits[--n];
}

static void line_i64(struct line *l, int64_t v)
{
    if (v < 0) {
        line_str(l, "-");
        line_u64(l, (uint64_t)0 - (uint64_t)v);
    } else {
        line_u64(l, (uint64_t)v);
    }
}

static void line_hex(struct line *l, const uint8_t *bytes, uint32_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (uint32_t i = 0; i < n && l->len + 1 < sizeof l->buf; i++) {
        l->buf[l->len++] = hex[bytes[i] >> 4];
        l->buf[l->len++] = hex[bytes[i] & 15];
    }
}

#endif
