/* wasm3 >= 0.5's m3_GetMemorySize for wasm3 0.4.7, which lacks it: the memory's length, read
 * from the runtime. A translation unit of its own, as m3_env.c is in wasm3, so that the check
 * in bench.c calls it out of line, as m3ApiCheckMem does. */
#include <stdint.h>

#include "m3_env.h"

uint32_t bench_GetMemorySize(IM3Runtime runtime)
{
    return (uint32_t)runtime->memory.mallocated->length;
}
