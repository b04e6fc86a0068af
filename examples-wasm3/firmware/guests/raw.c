/* Raw guest for the firmware: strings, an array of structs and out-pointers through the host
 * functions of guestmem-wasm3's `raw_host` (import module "env"). `run` returns the number of
 * results that were not what the host should have produced.
 *
 * Rebuild: cargo xtask firmware --guests (see xtask/src/firmware.rs for the exact command). */
#include "common.h"

struct point {
    int32_t x, y;
};

/* 12 bytes: one byte of padding after `kind`. */
struct shape {
    uint8_t kind;
    uint16_t flags;
    uint32_t w, h;
};

ENV(print) int print(const char *text, uint32_t len);
ENV(sum_points) int sum_points(const struct point *points, uint32_t n, struct point *out);
ENV(shape_area) int shape_area(const struct shape *shape, uint64_t *out);
ENV(upper) int upper(const char *text, uint32_t len, char *out, uint32_t cap, uint32_t *out_len);

static int failures;

static void say(struct line *l)
{
    if (print(l->buf, l->len) != 0)
        failures++;
    l->len = 0;
}

static void expect(struct line *l, int ok)
{
    line_str(l, ok ? " ok" : " WRONG");
    if (!ok)
        failures++;
    say(l);
}

EXPORT(run) int run(void)
{
    static struct line l;
    static const char greeting[] = "raw: hello from a raw guest, through env.print";
    if (print(greeting, sizeof greeting - 1) != 0)
        failures++;

    static struct point pts[5] = {{1, 2}, {3, 4}, {-10, 20}, {100, -200}, {7, 7}};
    struct point sum = {0, 0};
    int r = sum_points(pts, 5, &sum);
    line_str(&l, "raw: sum_points(5 points) = (");
    line_i64(&l, sum.x);
    line_str(&l, ", ");
    line_i64(&l, sum.y);
    line_str(&l, ")");
    expect(&l, r == 0 && sum.x == 101 && sum.y == -167);

    static struct shape shapes[3] = {{1, 1, 6, 7}, {2, 3, 5, 0}, {3, 2, 10, 3}};
    static const uint64_t areas[3] = {42, 25, 15};
    for (int i = 0; i < 3; i++) {
        uint64_t area = 0;
        r = shape_area(&shapes[i], &area);
        line_str(&l, "raw: shape_area(kind ");
        line_u64(&l, shapes[i].kind);
        line_str(&l, ") = ");
        line_u64(&l, area);
        expect(&l, r == 0 && area == areas[i]);
    }

    static const char text[] = "guest memory, checked";
    static char out[32];
    uint32_t out_len = 0;
    r = upper(text, sizeof text - 1, out, sizeof out, &out_len);
    line_str(&l, "raw: upper -> \"");
    for (uint32_t i = 0; i < out_len && i < sizeof out; i++) {
        char s[2] = {out[i], 0};
        line_str(&l, s);
    }
    line_str(&l, "\"");
    expect(&l, r == 0 && out_len == sizeof text - 1 && out[0] == 'G');

    static char small[4];
    out_len = 0;
    r = upper(text, sizeof text - 1, small, sizeof small, &out_len);
    line_str(&l, "raw: upper into 4 bytes -> ");
    line_i64(&l, r);
    line_str(&l, " (EOVERFLOW), needs ");
    line_u64(&l, out_len);
    expect(&l, r == -61 && out_len == sizeof text - 1);

    line_str(&l, "raw: done, ");
    line_u64(&l, (uint64_t)failures);
    line_str(&l, " wrong");
    say(&l);
    return failures;
}
