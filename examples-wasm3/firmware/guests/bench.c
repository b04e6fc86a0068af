/* Bench guest for the firmware's measurement image (`--features bench`): calls the same host
 * function, written several ways, N times from a loop, so that the firmware can count the
 * instructions per host call (QEMU -icount) and subtract those of an empty host function called
 * by the same loop.
 *
 * Variants (the first argument of each loop):
 *   0  empty C host function (m3ApiRawFunction, returns 0): the baseline subtracted
 *   1  C with wasm3's macros (m3ApiGetArg*, m3ApiCheckMem, m3ApiReadMem32/WriteMem32)
 *   2  guestmem as the example's host functions are written today (host_fn!)
 *   3  guestmem's fastest path (host_fn!)
 *   4  an empty host_fn! (the glue alone)
 *   5  fill16 only: guestmem's body behind a lean glue written in the firmware (what-if)
 * Each loop calls the variant through a function table (call_indirect), so the loop is the same
 * code for every variant: only the table entry differs.
 *
 * Verification (outside the counted calls): fd_write's bytes are hashed by the firmware's sink
 * and compared with fd_write_hash(); *nwritten must be fd_write_bytes(); fill16's out-parameter
 * is summed after every call (in every variant, the empty ones too, so the sum costs the same),
 * and the sum must be fill16_expected(n).
 *
 * Rebuild: cargo xtask firmware --guests (see xtask/src/firmware/mod.rs for the exact command). */
#include "common.h"

#define BENCH(name) __attribute__((import_module("bench"), import_name(#name)))

struct ciovec {
    const char *buf;
    uint32_t len;
};

/* Four 32-bit words: the 16-byte out-parameter. */
struct quad {
    uint32_t a, b, c, d;
};

typedef int (*fd_write_fn)(int fd, const struct ciovec *iovs, uint32_t n, uint32_t *nwritten);
typedef int (*fill16_fn)(uint32_t a, uint32_t b, struct quad *out);

WASI(fd_write) int wasi_fd_write(int fd, const struct ciovec *iovs, uint32_t n, uint32_t *nwritten);
BENCH(nop_fd_write) int nop_fd_write(int fd, const struct ciovec *iovs, uint32_t n, uint32_t *nwritten);
BENCH(c_fd_write) int c_fd_write(int fd, const struct ciovec *iovs, uint32_t n, uint32_t *nwritten);
BENCH(fast_fd_write) int fast_fd_write(int fd, const struct ciovec *iovs, uint32_t n, uint32_t *nwritten);
BENCH(gm_nop_fd_write) int gm_nop_fd_write(int fd, const struct ciovec *iovs, uint32_t n, uint32_t *nwritten);

BENCH(nop_fill16) int nop_fill16(uint32_t a, uint32_t b, struct quad *out);
BENCH(c_fill16) int c_fill16(uint32_t a, uint32_t b, struct quad *out);
BENCH(gm_fill16) int gm_fill16(uint32_t a, uint32_t b, struct quad *out);
BENCH(fast_fill16) int fast_fill16(uint32_t a, uint32_t b, struct quad *out);
BENCH(gm_nop_fill16) int gm_nop_fill16(uint32_t a, uint32_t b, struct quad *out);
BENCH(lean_fill16) int lean_fill16(uint32_t a, uint32_t b, struct quad *out);

/* A line written in four pieces, as a logger or printf writes one: 33 bytes. */
static const char piece0[] = "bench: ";
static const char piece1[] = "fd_write ";
static const char piece2[] = "with four iovecs";
static const char piece3[] = "\n";
static struct ciovec iovs[4] = {
    {piece0, sizeof piece0 - 1},
    {piece1, sizeof piece1 - 1},
    {piece2, sizeof piece2 - 1},
    {piece3, sizeof piece3 - 1},
};
static uint32_t nwritten;

#define FILL16_SEED 0x9e3779b9u
static struct quad quad;
static uint32_t fill16_sum;

/* The variants, by number: each loop calls through one of these tables, so that the loop is the
 * same code (the same wasm3 operations) for every variant, the empty ones included. */
static const fd_write_fn fd_write_variants[5] = {
    nop_fd_write, c_fd_write, wasi_fd_write, fast_fd_write, gm_nop_fd_write,
};
static const fill16_fn fill16_variants[6] = {
    nop_fill16, c_fill16, gm_fill16, fast_fill16, gm_nop_fill16, lean_fill16,
};

/* `n` calls of variant `variant` of fd_write(1, 4 iovecs); the OR of their results (-1 for an
 * unknown variant). *nwritten is reset first. */
EXPORT(fd_write_loop) int fd_write_loop(uint32_t variant, int32_t n)
{
    if (variant >= sizeof fd_write_variants / sizeof fd_write_variants[0])
        return -1;
    fd_write_fn f = fd_write_variants[variant];
    int r = 0;
    nwritten = 0;
    for (int32_t i = 0; i < n; i++)
        r |= f(1, iovs, 4, &nwritten);
    return r;
}

/* `n` calls of variant `variant` of fill16(i, seed, &quad), summing the quad after each into
 * fill16_sum; the OR of their results (-1 for an unknown variant). */
EXPORT(fill16_loop) int fill16_loop(uint32_t variant, int32_t n)
{
    if (variant >= sizeof fill16_variants / sizeof fill16_variants[0])
        return -1;
    fill16_fn f = fill16_variants[variant];
    int r = 0;
    uint32_t s = 0;
    quad.a = quad.b = quad.c = quad.d = 0;
    for (int32_t i = 0; i < n; i++) {
        r |= f((uint32_t)i, FILL16_SEED, &quad);
        s += quad.a + quad.b + quad.c + quad.d;
    }
    fill16_sum = s;
    return r;
}

/* *nwritten after the last fd_write. */
EXPORT(fd_write_nwritten) uint32_t fd_write_nwritten(void)
{
    return nwritten;
}

/* The bytes one fd_write writes. */
EXPORT(fd_write_bytes) uint32_t fd_write_bytes(void)
{
    uint32_t total = 0;
    for (int i = 0; i < 4; i++)
        total += iovs[i].len;
    return total;
}

/* FNV-1a (32 bits) of the bytes one fd_write writes, in order (the firmware's sink hashes what it
 * receives the same way). */
EXPORT(fd_write_hash) uint32_t fd_write_hash(void)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 4; i++)
        for (uint32_t j = 0; j < iovs[i].len; j++) {
            h ^= (uint8_t)iovs[i].buf[j];
            h *= 16777619u;
        }
    return h;
}

/* The sum fill16_loop computed in its last run. */
EXPORT(fill16_sum_of_last) uint32_t fill16_sum_of_last(void)
{
    return fill16_sum;
}

/* The sum fill16_loop(v, n) must compute when every call writes {a, b, a ^ b, a + b}. */
EXPORT(fill16_expected) uint32_t fill16_expected(int32_t n)
{
    uint32_t s = 0;
    for (int32_t i = 0; i < n; i++) {
        uint32_t a = (uint32_t)i, b = FILL16_SEED;
        s += a + b + (a ^ b) + (a + b);
    }
    return s;
}
