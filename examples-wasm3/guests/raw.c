/* raw: a guest without WASI or libc. Its host functions (module "env") take strings, arrays
 * of structs and out-pointers, declared on the host with guestmem's guest_struct!,
 * guest_enum! and guest_flags!. Each returns 0 or a negated WASI errno. */
#include <stdint.h>

#define IMPORT(name) __attribute__((import_module("env"), import_name(name)))

struct point { int32_t x, y; };
struct shape { uint8_t kind; uint16_t flags; uint32_t w, h; };

IMPORT("print") int32_t print(const char *text, uint32_t len);
IMPORT("sum_points") int32_t sum_points(const struct point *points, uint32_t n, struct point *out);
IMPORT("shape_area") int32_t shape_area(const struct shape *shape, uint64_t *out);
IMPORT("upper") int32_t upper(const char *text, uint32_t len, char *out, uint32_t cap, uint32_t *out_len);

static uint32_t length(const char *s) {
    uint32_t n = 0;
    while (s[n]) n++;
    return n;
}

static void say(const char *s) { print(s, length(s)); }

/* Formats "<label><number>" into buf. */
static const char *num(char *buf, const char *label, int64_t v) {
    char digits[24];
    int n = 0, neg = v < 0;
    uint64_t u = neg ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    do { digits[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    char *p = buf;
    while (*label) *p++ = *label++;
    if (neg) *p++ = '-';
    while (n) *p++ = digits[--n];
    *p = 0;
    return buf;
}

static char line[128];

__attribute__((export_name("_start"))) void start(void) {
    say("raw: hello through env.print");

    struct point pts[3] = {{1, 2}, {30, 40}, {-5, 500}};
    struct point sum = {0, 0};
    int32_t r = sum_points(pts, 3, &sum);
    say(num(line, "raw: sum_points status ", r));
    say(num(line, "raw: sum.x = ", sum.x));
    say(num(line, "raw: sum.y = ", sum.y));

    struct shape rect = {1, 1, 6, 7}, square = {2, 3, 9, 0}, bad_kind = {9, 0, 1, 1}, bad_flags = {1, 0x80, 1, 1};
    uint64_t area = 0;
    shape_area(&rect, &area);
    say(num(line, "raw: rect 6x7 area = ", (int64_t)area));
    shape_area(&square, &area);
    say(num(line, "raw: square 9 area = ", (int64_t)area));
    say(num(line, "raw: shape with kind 9 -> ", shape_area(&bad_kind, &area)));
    say(num(line, "raw: shape with flag 0x80 -> ", shape_area(&bad_flags, &area)));

    char out[32];
    uint32_t out_len = 0;
    const char *text = "make me loud";
    r = upper(text, length(text), out, sizeof out, &out_len);
    if (r == 0) print(out, out_len);
    r = upper(text, length(text), out, 4, &out_len);
    say(num(line, "raw: upper into 4 bytes -> ", r));
    say(num(line, "raw: ... needed ", out_len));
    /* Output overlapping the input: the core's borrow table refuses the second view. */
    char both[16] = "overlap";
    say(num(line, "raw: upper in place -> ", upper(both, 7, both, 16, &out_len)));
    say(num(line, "raw: print of invalid UTF-8 -> ", print("\xff\xfe", 2)));
    say(num(line, "raw: print past the end of memory -> ", print((const char *)0xFFFFFF00u, 0x200)));
    say(num(line, "raw: sum_points out-pointer misaligned -> ", sum_points(pts, 1, (struct point *)((char *)&sum + 2))));
}
