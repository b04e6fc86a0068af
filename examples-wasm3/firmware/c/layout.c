/* The struct layout and configuration of wasm3 as arm-none-eabi-gcc compiles it, with the
 * same macros as wasm3-sys's C build (BINDGEN_EXTRA_CLANG_ARGS). build.rs compiles this file
 * to assembly and reads the values back; src/layout.rs compares them, at compile time, with
 * the bindgen types the Rust code uses. */
#include <stddef.h>

#include "m3_env.h"
#include "m3_compile.h"

#if !d_m3FixedHeap
#error "the firmware needs wasm3's fixed heap: add -Dd_m3FixedHeap=<bytes> to BINDGEN_EXTRA_CLANG_ARGS"
#endif

#define VALUE(name, value) const unsigned int fw_layout_##name = (value);

VALUE(sizeof_M3Runtime, sizeof(M3Runtime))
VALUE(offsetof_M3Runtime_stack, offsetof(M3Runtime, stack))
VALUE(offsetof_M3Runtime_numStackSlots, offsetof(M3Runtime, numStackSlots))
VALUE(offsetof_M3Runtime_memory, offsetof(M3Runtime, memory))
VALUE(offsetof_M3Runtime_memoryLimit, offsetof(M3Runtime, memoryLimit))
VALUE(offsetof_M3Runtime_exit_code, offsetof(M3Runtime, exit_code))
VALUE(offsetof_M3Runtime_modules, offsetof(M3Runtime, modules))
VALUE(sizeof_M3Memory, sizeof(M3Memory))
VALUE(offsetof_M3Memory_numPages, offsetof(M3Memory, numPages))
VALUE(offsetof_M3Memory_maxPages, offsetof(M3Memory, maxPages))
VALUE(sizeof_M3MemoryHeader, sizeof(M3MemoryHeader))
VALUE(sizeof_M3Compilation, sizeof(M3Compilation))
VALUE(sizeof_M3Module, sizeof(M3Module))
VALUE(offsetof_M3Module_numFunctions, offsetof(M3Module, numFunctions))
VALUE(offsetof_M3Module_startFunction, offsetof(M3Module, startFunction))
VALUE(sizeof_M3Function, sizeof(M3Function))
VALUE(offsetof_M3Function_module, offsetof(M3Function, module))
VALUE(offsetof_M3Function_name, offsetof(M3Function, name))
VALUE(offsetof_M3Function_compiled, offsetof(M3Function, compiled))
VALUE(sizeof_M3Environment, sizeof(M3Environment))
VALUE(sizeof_m3slot_t, sizeof(m3slot_t))
VALUE(d_m3FixedHeap, d_m3FixedHeap)
VALUE(d_m3FixedHeapAlign, d_m3FixedHeapAlign)
VALUE(d_m3MaxFunctionStackHeight, d_m3MaxFunctionStackHeight)
VALUE(d_m3MaxFunctionSlots, d_m3MaxFunctionSlots)
VALUE(d_m3CodePageAlignSize, d_m3CodePageAlignSize)
