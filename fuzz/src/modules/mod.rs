//! Target (c), `modules`: the CLI's load → link → run path (`guestmem-wasm3 run`, its `run`
//! in `main.rs`) in-process, on generated and mutated modules.
//!
//! The first byte of an input chooses the module:
//!
//! - even: a module that `wasm-smith` generates from the rest, limited to what the lowering
//!   and wasm3 0.4.7 accept (MVP with sign extension and saturating conversions, bulk memory
//!   in half of them; one memory of at most 4 pages, one table), importing any of the
//!   binding's WASI and raw `env` functions with their exact types (so the generated code
//!   calls them with arbitrary arguments), exporting `_start`, with a memory, with a start
//!   section or not. `wasm-smith`'s `ensure_termination` instruments every loop head and
//!   function entry with a fuel counter that traps once spent: wasm3 has no fuel of its own,
//!   and a generated module would otherwise loop forever;
//! - odd: the rest as the module's bytes, as they are. The checked-in corpus seeds this with
//!   the repository's guests (`examples-wasm3/guests/*.wasm`, fed through the same deterministic
//!   host), which libFuzzer then mutates. These run without fuel: a mutated guest that loops
//!   forever is a timeout to triage (`-timeout=`), not a bug of the binding.
//!
//! Then as the CLI does, with a deterministic host (`TestHost`: arguments, environment and a
//! short stdin): lower the module, load it (`Runtime::with_config`, a 1 MiB value stack and
//! the guest memory capped at 2 MiB), link every WASI function it imports and the raw
//! functions, refuse a module with an import left unlinked or without a `_start` of type
//! `[] -> []`, compile every function, call `_start` on a thread with the CLI's 256 MiB native
//! stack, and free everything. Refusals (invalid, unsupported, unlinkable, uncompilable),
//! traps and exits are normal outcomes; the findings are a signal (a crash in wasm3's C or the
//! FFI), a panic, a hang, and an exit that the runtime and the WASI context disagree about
//! (the guest called `proc_exit` but the call did not end with `CallError::Exit`, or the
//! reverse).

use arbitrary::{Arbitrary, Unstructured};
use guestmem_wasm3::wasi::{self, TestHost, WasiCtx};
use guestmem_wasm3::{raw_host, CallError, Config, HostFunc, Runtime};
use wasm_smith::{InstructionKind, InstructionKinds};

/// wasm3's value stack: the CLI's default.
const STACK: u32 = 1 << 20;

/// The cap on the guest's memory: room for the repository's guests (the Rust one declares 17
/// pages), little enough to keep an execution fast.
const MEMORY_LIMIT: u32 = 2 << 20;

/// Native stack of the thread that runs the guest, as the CLI's (wasm3 recurses on it).
const NATIVE_STACK: usize = 256 << 20;

/// Fuel of a generated module: loop iterations and function calls before it traps.
const FUEL: u32 = 2_000;

/// The deterministic host's arguments, environment and stdin.
const ARGS: &[&[u8]] = &[b"guest.wasm", b"--flag", b"value"];
const ENV: &[&[u8]] = &[b"HOME=/", b"LANG=C"];
const STDIN: &[u8] = b"one line\nand another\n";

/// The host context of a run.
type Ctx = WasiCtx<TestHost<'static>>;

/// Runs one input given as raw fuzzer bytes.
///
/// # Panics
///
/// On a finding: a panic of the binding (propagated from the guest thread), or an exit that
/// the runtime and the WASI context disagree about. A crash or hang of wasm3 is the process's.
pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let wasm = if mode % 2 == 0 {
        match generate(rest) {
            Some(wasm) => wasm,
            None => return,
        }
    } else {
        rest.to_vec()
    };
    let guest = std::thread::Builder::new()
        .name("guest".into())
        .stack_size(NATIVE_STACK)
        .spawn(move || run_module(&wasm))
        .unwrap_or_else(|e| panic!("cannot start the guest thread: {e}"));
    if let Err(panic) = guest.join() {
        std::panic::resume_unwind(panic);
    }
}

/// How a module ended, as the CLI would report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// Refused before it ran (the CLI's exit 65).
    Refused,
    /// `_start` returned (0).
    Returned,
    /// The guest called `proc_exit` with this status.
    Exited(u32),
    /// The guest trapped (70).
    Trapped,
}

/// The CLI's `run`, in-process, with the test host.
pub(crate) fn run_module(wasm: &[u8]) -> End {
    let Ok(lowered) = guestmem_wasm3::lower(wasm) else {
        return End::Refused;
    };
    let mut ctx: Ctx = WasiCtx::new(TestHost::new(ARGS, ENV, STDIN));
    let config = Config::new(STACK).with_memory_limit(MEMORY_LIMIT);
    let result = {
        let Ok(mut rt) = Runtime::with_config(&lowered, &mut ctx, config) else {
            return End::Refused;
        };
        let unlinked: Vec<String> = rt.unlinked_imports().map(|(_, n)| n.to_string()).collect();
        for f in wasi::functions::<Ctx>() {
            if unlinked.iter().any(|n| n == f.name()) && rt.link(&f).is_err() {
                return End::Refused;
            }
        }
        if rt.link_all(&raw_host::functions::<Ctx>()).is_err()
            || rt.unlinked_imports().next().is_some()
        {
            return End::Refused;
        }
        match rt.info().exported_function("_start") {
            Some(start) if start.params == 0 && start.results == 0 => {}
            _ => return End::Refused,
        }
        if rt.compile().is_err() {
            return End::Refused;
        }
        rt.call("_start", &[])
    }; // the runtime is freed here: a double free or use after free crashes now
    let exit = ctx.exit_code();
    match result {
        Ok(_) => {
            assert_eq!(exit, None, "_start returned after proc_exit");
            End::Returned
        }
        Err(CallError::Exit) => {
            let code = exit.unwrap_or_else(|| panic!("CallError::Exit without proc_exit"));
            End::Exited(code)
        }
        Err(CallError::Trap(_) | CallError::StartFailed) => {
            assert_eq!(exit, None, "a trap reported after proc_exit");
            End::Trapped
        }
        Err(e) => panic!("_start checked callable and compiled, but: {e:?}"),
    }
}

/// The wasm type of a wasm3 signature letter.
fn val_type(letter: u8) -> wasm_encoder::ValType {
    match letter {
        b'I' => wasm_encoder::ValType::I64,
        b'f' => wasm_encoder::ValType::F32,
        b'F' => wasm_encoder::ValType::F64,
        _ => wasm_encoder::ValType::I32, // `i`, and `*` (a guest pointer)
    }
}

/// A module that imports every host function the CLI links (WASI, raw `env`) with its type:
/// what `wasm-smith` may import.
fn host_imports() -> Vec<u8> {
    let mut types = wasm_encoder::TypeSection::new();
    let mut imports = wasm_encoder::ImportSection::new();
    let functions: Vec<HostFunc<Ctx>> = wasi::functions::<Ctx>()
        .into_iter()
        .chain(raw_host::functions::<Ctx>())
        .collect();
    for (i, f) in functions.iter().enumerate() {
        // `i(i*i*)`: the result's letter, then the parameters' in parentheses.
        let sig = f.signature().to_bytes();
        let (ret, params) = sig.split_first().unwrap_or((&b'v', &[]));
        let params: Vec<_> = params
            .iter()
            .filter(|c| !matches!(c, b'(' | b')'))
            .map(|&c| val_type(c))
            .collect();
        let results: Vec<_> = (*ret != b'v').then(|| val_type(*ret)).into_iter().collect();
        types.ty().function(params, results);
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        imports.import(
            f.module(),
            f.name(),
            wasm_encoder::EntityType::Function(index),
        );
    }
    let mut module = wasm_encoder::Module::new();
    module.section(&types).section(&imports);
    module.finish()
}

/// A module whose exports the generated ones copy: `_start`.
fn required_exports() -> Vec<u8> {
    let mut types = wasm_encoder::TypeSection::new();
    types.ty().function([], []);
    let mut funcs = wasm_encoder::FunctionSection::new();
    funcs.function(0);
    let mut exports = wasm_encoder::ExportSection::new();
    exports.export("_start", wasm_encoder::ExportKind::Func, 0);
    let mut code = wasm_encoder::CodeSection::new();
    let mut body = wasm_encoder::Function::new([]);
    body.instructions().end();
    code.function(&body);
    let mut module = wasm_encoder::Module::new();
    module
        .section(&types)
        .section(&funcs)
        .section(&exports)
        .section(&code);
    module.finish()
}

/// What the fuzzer chooses of the generator's configuration.
#[derive(Arbitrary, Debug)]
struct Knobs {
    bulk_memory: bool,
    floats: bool,
    start: bool,
}

/// The `wasm-smith` configuration: only what the lowering and wasm3 0.4.7 accept.
fn config(knobs: &Knobs) -> wasm_smith::Config {
    wasm_smith::Config {
        available_imports: Some(host_imports()),
        exports: Some(required_exports()),
        allow_start_export: knobs.start,
        allow_floats: knobs.floats,
        bulk_memory_enabled: knobs.bulk_memory,
        // No `ref.*`, `table.*` or `elem.drop`: the lowering refuses them.
        allowed_instructions: InstructionKinds::new(&[
            InstructionKind::Numeric,
            InstructionKind::Parametric,
            InstructionKind::Variable,
            InstructionKind::Memory,
            InstructionKind::Control,
        ]),
        extended_const_enabled: false,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        reference_types_enabled: false,
        multi_value_enabled: false,
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        tail_call_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        memory64_enabled: false,
        wide_arithmetic_enabled: false,
        custom_page_sizes_enabled: false,
        compact_imports_enabled: false,
        custom_descriptors_enabled: false,
        min_memories: 1,
        max_memories: 1,
        max_tables: 1,
        max_memory32_bytes: 4 << 16,
        max_table_elements: 64,
        max_funcs: 16,
        max_instructions: 200,
        max_imports: 16,
        max_data_segments: 8,
        max_element_segments: 8,
        max_elements: 32,
        max_globals: 16,
        max_types: 32,
        generate_custom_sections: false,
        ..wasm_smith::Config::default()
    }
}

/// A module generated from `data`, fuel-instrumented; `None` when the bytes do not make one.
fn generate(data: &[u8]) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(data);
    let knobs = Knobs::arbitrary(&mut u).ok()?;
    let mut module = wasm_smith::Module::new(config(&knobs), &mut u).ok()?;
    module.ensure_termination(FUEL).ok()?;
    Some(module.to_bytes())
}

#[cfg(test)]
mod tests;
