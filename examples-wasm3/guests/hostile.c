/* hostile: passes bad pointers and lengths to every WASI function the host implements, and
 * prints the errno each one answers. The host must answer every call (EFAULT for memory it
 * cannot reach, EINVAL for misalignment or bad values, EBADF for bad descriptors) and write
 * nothing: no output may appear from the bad fd_write calls. Run with one --env variable. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define EFAULT 21
#define EINVAL 28
#define EBADF 8
#define ESPIPE 70

static int checks, failures;

static void expect(const char *what, __wasi_errno_t got, int want) {
    checks++;
    if (got != want) failures++;
    printf("%-44s errno %2d (want %2d) %s\n", what, got, want, got == want ? "ok" : "MISMATCH");
}

#define P(addr) ((void *)(uintptr_t)(addr))

/* Aligned scratch space for the valid half of each call. */
static uint64_t scratch[64];

int main(void) {
    uint32_t end = (uint32_t)(__builtin_wasm_memory_size(0) * 65536);
    uint32_t huge = 0xFFFFFFF0u;
    __wasi_size_t *ok32 = (__wasi_size_t *)&scratch[0];
    char *okbuf = (char *)&scratch[8];

    expect("args_sizes_get(argc past end)", __wasi_args_sizes_get(P(end), ok32), EFAULT);
    expect("args_sizes_get(size past end)", __wasi_args_sizes_get(ok32, P(end)), EFAULT);
    expect("args_sizes_get(argc misaligned)", __wasi_args_sizes_get(P((uintptr_t)okbuf + 1), ok32), EINVAL);
    expect("args_get(argv past end)", __wasi_args_get(P(end), (uint8_t *)okbuf), EFAULT);
    expect("args_get(buf at end)", __wasi_args_get((uint8_t **)okbuf, P(end - 1)), EFAULT);
    expect("args_get(argv wraps 4 GiB)", __wasi_args_get(P(0xFFFFFFFCu), (uint8_t *)okbuf), EFAULT);
    expect("args_get(argv misaligned)", __wasi_args_get(P((uintptr_t)okbuf + 2), (uint8_t *)okbuf + 64), EINVAL);
    expect("environ_sizes_get(count past end)", __wasi_environ_sizes_get(P(end), ok32), EFAULT);
    expect("environ_get(environ past end)", __wasi_environ_get(P(end), (uint8_t *)okbuf), EFAULT);
    expect("environ_get(buf past end)", __wasi_environ_get((uint8_t **)okbuf, P(huge)), EFAULT);

    __wasi_ciovec_t good = {(const uint8_t *)"SHOULD NOT BE PRINTED\n", 22};
    __wasi_ciovec_t two[2] = {good, {P(end - 2), 10}};
    __wasi_ciovec_t huge_len[1] = {{(const uint8_t *)okbuf, 0xFFFFFFFFu}};
    __wasi_size_t n = 0;
    expect("fd_write(iovs past end)", __wasi_fd_write(1, P(end - 4), 1, &n), EFAULT);
    expect("fd_write(2nd iovec past end, 1st fine)", __wasi_fd_write(1, two, 2, &n), EFAULT);
    expect("fd_write(iovec len 4 GiB)", __wasi_fd_write(1, huge_len, 1, &n), EFAULT);
    expect("fd_write(iovs_len 2^29: array wraps)", __wasi_fd_write(1, &good, 0x20000000u, &n), EFAULT);
    expect("fd_write(nwritten past end)", __wasi_fd_write(1, &good, 1, P(end)), EFAULT);
    expect("fd_write(nwritten misaligned)", __wasi_fd_write(1, &good, 1, P((uintptr_t)okbuf + 1)), EINVAL);
    expect("fd_write(fd 99)", __wasi_fd_write(99, &good, 1, &n), EBADF);
    expect("fd_write(stdin)", __wasi_fd_write(0, &good, 1, &n), EBADF);

    __wasi_iovec_t into = {(uint8_t *)okbuf, 8};
    __wasi_iovec_t bad_into = {P(end - 4), 8};
    expect("fd_read(iovs past end)", __wasi_fd_read(0, P(end), 1, &n), EFAULT);
    expect("fd_read(buffer past end)", __wasi_fd_read(0, &bad_into, 1, &n), EFAULT);
    expect("fd_read(nread past end)", __wasi_fd_read(0, &into, 1, P(end)), EFAULT);
    expect("fd_read(stdout)", __wasi_fd_read(1, &into, 1, &n), EBADF);

    expect("fd_close(fd 99)", __wasi_fd_close(99), EBADF);
    __wasi_filesize_t off = 0;
    expect("fd_seek(stdout, whence 7)", __wasi_fd_seek(1, 0, 7, &off), EINVAL);
    expect("fd_seek(stdout)", __wasi_fd_seek(1, 0, __WASI_WHENCE_SET, P(end)), ESPIPE);
    expect("fd_seek(fd 99)", __wasi_fd_seek(99, 0, __WASI_WHENCE_SET, &off), EBADF);
    expect("fd_fdstat_get(buf past end)", __wasi_fd_fdstat_get(1, P(end - 8)), EFAULT);
    expect("fd_fdstat_get(buf misaligned)", __wasi_fd_fdstat_get(1, P((uintptr_t)okbuf + 4)), EINVAL);
    expect("fd_fdstat_get(fd 99)", __wasi_fd_fdstat_get(99, (__wasi_fdstat_t *)okbuf), EBADF);
    expect("fd_prestat_get(fd 3, buf past end)", __wasi_fd_prestat_get(3, P(end)), EBADF);
    expect("fd_prestat_dir_name(fd 3, path past end)", __wasi_fd_prestat_dir_name(3, P(end), 100), EBADF);

    __wasi_timestamp_t t = 0;
    expect("clock_time_get(time past end)", __wasi_clock_time_get(1, 1, P(end)), EFAULT);
    expect("clock_time_get(time misaligned)", __wasi_clock_time_get(1, 1, P((uintptr_t)okbuf + 4)), EINVAL);
    expect("clock_time_get(clock 9)", __wasi_clock_time_get(9, 1, &t), EINVAL);
    expect("clock_res_get(res past end)", __wasi_clock_res_get(0, P(end)), EFAULT);
    expect("clock_res_get(clock 7)", __wasi_clock_res_get(7, &t), EINVAL);
    expect("random_get(buf crosses end)", __wasi_random_get(P(end - 4), 8), EFAULT);
    expect("random_get(buf wraps 4 GiB)", __wasi_random_get(P(huge), 0x100), EFAULT);
    expect("random_get(empty buf at end)", __wasi_random_get(P(end), 0), 0);
    expect("sched_yield()", __wasi_sched_yield(), 0);

    printf("hostile: %d/%d calls answered as expected; host alive\n", checks - failures, checks);
    return failures == 0 ? 0 : 1;
}
