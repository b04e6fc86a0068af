/* Hostile guest for the firmware: each `attempt(n, end)` hands the host a bad pointer, length
 * or value (or misbehaves itself) and returns what came back: the errno the host refused with
 * (> 0), 0 when the host accepted it (a bug), or -1 when n is past the last attempt. Attempts
 * that should trap never return. `describe(n)` prints what attempt n does.
 *
 * `end` is the size in bytes of the memory the engine really maps, which the host tells: the
 * guest cannot find it out. It declares one 64 KiB page, and `memory.size` answers 1 page on
 * every engine, but the wasm3 firmware caps the memory wasm3 allocates at 4 KiB (a wasm3
 * option) while wasmi maps the whole page; a probe past the real end would trap. "Past the end
 * of memory" is at `end`, so every attempt is out of bounds on both engines.
 *
 * Rebuild: cargo xtask firmware --guests (see xtask/src/firmware/mod.rs for the exact command). */
#include "common.h"

struct point {
    int32_t x, y;
};

struct shape {
    uint8_t kind;
    uint16_t flags;
    uint32_t w, h;
};

struct ciovec {
    uint32_t buf, len;
};

ENV(print) int print(const char *text, uint32_t len);
ENV(sum_points) int sum_points(uint32_t points, uint32_t n, uint32_t out);
ENV(shape_area) int shape_area(uint32_t shape, uint32_t out);
ENV(upper) int upper(uint32_t text, uint32_t len, uint32_t out, uint32_t cap, uint32_t out_len);
WASI(fd_write) int fd_write(int fd, uint32_t iovs, uint32_t n, uint32_t nwritten);
WASI(random_get) int random_get(uint32_t buf, uint32_t len);

static char scratch[64];
static struct ciovec iov[2];
static uint32_t nwritten;

static const char *const what[] = {
    "print: text pointer at 0xfffffff0 (offset + len wraps)",
    "print: text runs past the end of memory",
    "print: invalid UTF-8",
    "sum_points: 0x20000000 points (size overflows u32)",
    "sum_points: misaligned out-pointer",
    "shape_area: unknown enum value in the struct",
    "shape_area: out-pointer past the end of memory",
    "upper: output buffer overlaps the input text",
    "upper: out_len pointer past the end of memory",
    "fd_write: iovec array past the end of memory",
    "fd_write: iovec buffer past the end of memory",
    "fd_write: nwritten pointer past the end of memory",
    "fd_write: bad file descriptor",
    "random_get: buffer past the end of memory",
    "guest load just past the end of memory (trap expected)",
    "guest load at 0xfffffffc (trap expected)",
    "memory.grow by one page (refused expected)",
    "unbounded recursion (stack overflow trap expected)",
};
#define ATTEMPTS (sizeof what / sizeof what[0])

EXPORT(describe) void describe(uint32_t n)
{
    if (n < ATTEMPTS) {
        const char *s = what[n];
        uint32_t len = 0;
        while (s[len])
            len++;
        print(s, len);
    }
}

static int refused(int r)
{
    return r < 0 ? -r : r;
}

static volatile uint32_t sink;

__attribute__((noinline)) static uint32_t deep(uint32_t n)
{
    if (n == 0)
        return sink;
    uint32_t r = deep(n - 1);
    sink = r;
    return r + n;
}

EXPORT(attempt) int attempt(uint32_t n, uint32_t end)
{
    switch (n) {
    case 0:
        return refused(print((const char *)0xfffffff0u, 32));
    case 1:
        return refused(print(scratch, end));
    case 2:
        scratch[0] = (char)0xff;
        scratch[1] = (char)0xfe;
        return refused(print(scratch, 2));
    case 3:
        return refused(sum_points((uint32_t)scratch, 0x20000000u, (uint32_t)scratch));
    case 4:
        return refused(sum_points((uint32_t)scratch, 1, (uint32_t)scratch + 1));
    case 5: {
        struct shape *s = (struct shape *)scratch;
        s->kind = 9;
        s->flags = 0;
        s->w = s->h = 1;
        return refused(shape_area((uint32_t)s, (uint32_t)scratch + 16));
    }
    case 6: {
        struct shape *s = (struct shape *)scratch;
        s->kind = 1;
        s->flags = 0;
        s->w = s->h = 1;
        return refused(shape_area((uint32_t)s, end));
    }
    case 7:
        scratch[0] = 'a';
        scratch[1] = 'b';
        return refused(upper((uint32_t)scratch, 2, (uint32_t)scratch + 1, 8, (uint32_t)scratch + 32));
    case 8:
        scratch[0] = 'a';
        return refused(upper((uint32_t)scratch, 1, (uint32_t)scratch + 8, 8, end));
    case 9:
        return refused(fd_write(1, end, 1, (uint32_t)&nwritten));
    case 10:
        iov[0].buf = (uint32_t)scratch;
        iov[0].len = 4;
        iov[1].buf = end;
        iov[1].len = 16;
        return refused(fd_write(1, (uint32_t)iov, 2, (uint32_t)&nwritten));
    case 11:
        iov[0].buf = (uint32_t)scratch;
        iov[0].len = 1;
        return refused(fd_write(1, (uint32_t)iov, 1, end));
    case 12:
        iov[0].buf = (uint32_t)scratch;
        iov[0].len = 1;
        return refused(fd_write(7, (uint32_t)iov, 1, (uint32_t)&nwritten));
    case 13:
        return refused(random_get(end - 8, 16));
    case 14:
        return (int)*(volatile uint32_t *)end;
    case 15:
        return (int)*(volatile uint32_t *)0xfffffffcu;
    case 16:
        return __builtin_wasm_memory_grow(0, 1) == -1 ? 48 /* ENOMEM */ : 0;
    case 17:
        return (int)deep(0x7fffffff);
    default:
        return -1;
    }
}
