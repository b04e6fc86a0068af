/* The C side of the firmware's measurement image (`--features bench`): host functions written
 * as wasm3's own C WASI writes them — with the m3Api* macros of wasm3 0.4.7's m3_api_defs.h,
 * plus the bounds check that later wasm3 releases added to it (m3ApiCheckMem, which 0.4.7 lacks;
 * see BENCH_CHECK_MEM below) — and the empty host functions whose cost is subtracted from every
 * measurement. build.rs compiles this file with the compiler, flags and macros of wasm3-sys's
 * own C build.
 *
 * The bodies follow wasm3's m3_api_wasi.c on a platform without writev (a microcontroller):
 * check the iovec array and nwritten, then per iovec read buf and len, skip an empty one, check
 * the buffer, write it, add up, stop at a short write; store nwritten. */
#include <stddef.h>
#include <stdint.h>

#include "wasm3.h"
#include "m3_env.h"
#include "m3_api_defs.h"

/* wasm3 >= 0.5's m3_GetMemorySize: the memory's length, read from the runtime out of line
 * (bench_memsize.c, another translation unit, as m3_env.c is for wasm3). */
uint32_t bench_GetMemorySize(IM3Runtime runtime);

/* wasm3 >= 0.5's m3ApiCheckMem, for 0.4.7's raw functions: [addr, addr + len) must lie in the
 * memory that `_mem` points at, whose size is asked of the runtime (out of line) on every check;
 * 64-bit arithmetic so that the end cannot wrap; traps otherwise. */
#define BENCH_CHECK_MEM(addr, len)                                                                \
    {                                                                                             \
        if (UNLIKELY(((void *)(addr) < _mem) ||                                                   \
                     ((uint64_t)(uintptr_t)(addr) + (len)) >                                      \
                         ((uint64_t)(uintptr_t)(_mem) + bench_GetMemorySize(runtime))))           \
            m3ApiTrap(m3Err_trapOutOfBoundsMemoryAccess);                                         \
    }

/* The sink every fd_write variant writes to (src/c_bench.rs): `write(2)` without I/O. Returns
 * `len`, or -1 for a descriptor other than 1 and 2. */
int32_t fw_sink_write(uint32_t fd, const void *buf, uint32_t len);

#define WASI_ESUCCESS 0
#define WASI_EBADF 8

typedef struct {
    uint32_t buf;
    uint32_t buf_len;
} bench_iovec_t;

/* fd_write(fd, iovs, iovs_len, nwritten), as wasm3's C WASI. */
m3ApiRawFunction(bench_c_fd_write)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, fd)
    m3ApiGetArgMem(bench_iovec_t *, wasi_iovs)
    m3ApiGetArg(uint32_t, iovs_len)
    m3ApiGetArgMem(uint32_t *, nwritten)

    BENCH_CHECK_MEM(wasi_iovs, iovs_len * sizeof(bench_iovec_t));
    BENCH_CHECK_MEM(nwritten, sizeof(uint32_t));

    uint32_t res = 0;
    for (uint32_t i = 0; i < iovs_len; i++) {
        void *addr = m3ApiOffsetToPtr(m3ApiReadMem32(&wasi_iovs[i].buf));
        uint32_t len = m3ApiReadMem32(&wasi_iovs[i].buf_len);
        if (len == 0)
            continue;
        BENCH_CHECK_MEM(addr, len);
        int32_t ret = fw_sink_write(fd, addr, len);
        if (ret < 0)
            m3ApiReturn(WASI_EBADF);
        res += (uint32_t)ret;
        if ((uint32_t)ret < len)
            break;
    }
    m3ApiWriteMem32(nwritten, res);
    m3ApiReturn(WASI_ESUCCESS);
}

/* fill16(a, b, out): writes the 16-byte {a, b, a ^ b, a + b} to *out. */
m3ApiRawFunction(bench_c_fill16)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, a)
    m3ApiGetArg(uint32_t, b)
    m3ApiGetArgMem(uint32_t *, out)

    BENCH_CHECK_MEM(out, 4 * sizeof(uint32_t));

    m3ApiWriteMem32(&out[0], a);
    m3ApiWriteMem32(&out[1], b);
    m3ApiWriteMem32(&out[2], a ^ b);
    m3ApiWriteMem32(&out[3], a + b);
    m3ApiReturn(WASI_ESUCCESS);
}

/* fill16 with guestmem's body behind a lean glue, in Rust (src/c_bench.rs). */
const void *fw_lean_fill16(IM3Runtime runtime, uint64_t *_sp, void *_mem);

/* The baseline: a host function that does nothing but return 0. */
m3ApiRawFunction(bench_c_nop)
{
    m3ApiReturnType(uint32_t)
    m3ApiReturn(0);
}

/* Links the C host functions into the one module of the runtime whose linear memory starts at
 * `mem` (`len` bytes), which the caller has from a view of the memory's first byte. wasm3 puts
 * an M3MemoryHeader, which names the runtime, right before the memory's data (m3MemData); the
 * runtime is checked to lead back to the same memory. Returns NULL, or what went wrong. */
const char *bench_link_c(const uint8_t *mem, uint32_t len)
{
    const M3MemoryHeader *header = ((const M3MemoryHeader *)mem) - 1;
    IM3Runtime runtime = header->runtime;
    uint32_t size = 0;
    if (runtime == NULL || m3_GetMemory(runtime, &size, 0) != mem || size != len)
        return "the memory header does not lead back to this memory";
    IM3Module module = runtime->modules;
    if (module == NULL || module->runtime != runtime || module->next != NULL)
        return "the runtime does not hold exactly one module";

    static const struct {
        const char *name;
        const char *signature;
        M3RawCall function;
    } functions[] = {
        {"nop_fd_write", "i(i*i*)", bench_c_nop},
        {"c_fd_write", "i(i*i*)", bench_c_fd_write},
        {"nop_fill16", "i(ii*)", bench_c_nop},
        {"c_fill16", "i(ii*)", bench_c_fill16},
        {"lean_fill16", "i(ii*)", fw_lean_fill16},
    };
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
        M3Result result = m3_LinkRawFunction(module, "bench", functions[i].name,
                                             functions[i].signature, functions[i].function);
        if (result != m3Err_none)
            return result;
    }
    return NULL;
}
