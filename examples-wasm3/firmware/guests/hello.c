/* WASI hello for the firmware: prints through fd_write with several iovecs, reads the (empty)
 * arguments and environment, the monotonic clock and random bytes, then calls proc_exit with
 * the number of checks that failed.
 *
 * Rebuild: cargo xtask firmware --guests (see xtask/src/firmware.rs for the exact command). */
#include <wasi/api.h>

#include "common.h"

static int failures;

static void check(int ok, const char *what)
{
    if (!ok) {
        failures++;
        __wasi_ciovec_t iov[3] = {
            {(const uint8_t *)"hello: check failed: ", 21},
            {(const uint8_t *)what, 0},
            {(const uint8_t *)"\n", 1},
        };
        while (what[iov[1].buf_len])
            iov[1].buf_len++;
        __wasi_size_t n;
        (void)__wasi_fd_write(2, iov, 3, &n);
    }
}

static void print_line(struct line *l)
{
    __wasi_ciovec_t iov[2] = {{(const uint8_t *)l->buf, l->len}, {(const uint8_t *)"\n", 1}};
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_fd_write(1, iov, 2, &n);
    check(e == 0 && n == l->len + 1, "fd_write of a line");
    l->len = 0;
}

int main(void)
{
    static const char a[] = "hello from a WASI guest, ";
    static const char b[] = "through three iovecs ";
    static const char c[] = "of one fd_write\n";
    __wasi_ciovec_t iov[4] = {
        {(const uint8_t *)a, sizeof a - 1},
        {(const uint8_t *)b, 0}, /* an empty buffer in the middle */
        {(const uint8_t *)b, sizeof b - 1},
        {(const uint8_t *)c, sizeof c - 1},
    };
    __wasi_size_t written = 0;
    __wasi_errno_t e = __wasi_fd_write(1, iov, 4, &written);
    check(e == 0 && written == sizeof a + sizeof b + sizeof c - 3, "fd_write of 4 iovecs");

    struct line l = {0};
    __wasi_size_t argc = 99, argv_size = 99, envc = 99, env_size = 99;
    e = __wasi_args_sizes_get(&argc, &argv_size);
    check(e == 0 && argc == 0 && argv_size == 0, "no arguments");
    e = __wasi_environ_sizes_get(&envc, &env_size);
    check(e == 0 && envc == 0 && env_size == 0, "no environment");
    line_str(&l, "hello: args ");
    line_u64(&l, argc);
    line_str(&l, ", environ ");
    line_u64(&l, envc);
    print_line(&l);

    __wasi_timestamp_t t0 = 0, t1 = 0, res = 0;
    e = __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t0);
    check(e == 0, "monotonic clock");
    e = __wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res);
    check(e == 0 && res > 0, "monotonic clock resolution");
    for (volatile int spin = 0; spin < 20000; spin++) {
    }
    e = __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1);
    check(e == 0 && t1 > t0, "monotonic clock advances");
    line_str(&l, "hello: monotonic clock advanced by ");
    line_u64(&l, t1 - t0);
    line_str(&l, " ns (resolution ");
    line_u64(&l, res);
    line_str(&l, " ns)");
    print_line(&l);
    e = __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t0);
    line_str(&l, "hello: realtime clock: errno ");
    line_u64(&l, e);
    print_line(&l);

    uint8_t rnd[8] = {0};
    e = __wasi_random_get(rnd, sizeof rnd);
    check(e == 0, "random_get");
    line_str(&l, "hello: random bytes ");
    line_hex(&l, rnd, sizeof rnd);
    print_line(&l);

    line_str(&l, "hello: calling proc_exit(");
    line_u64(&l, (uint64_t)failures);
    line_str(&l, ")");
    print_line(&l);
    __wasi_proc_exit((__wasi_exitcode_t)failures);
}
