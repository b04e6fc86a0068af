//! The library API on small modules: the runtime's memory frame, the `host_fn!` glue, the runtime's checks
//! and pre-validation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::arithmetic_side_effects
)]

use guestmem::{GuestError, GuestFrame, GuestPtr, Region};
use guestmem_wasm3::wasi::{self, Errno, HasWasi, Stdio, WasiCtx, WasiHost};
use guestmem_wasm3::{host_fn, CallError, Config, HostFunc, Runtime, Trap};

const STACK: u32 = 64 * 1024;

fn wasm(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap()
}

#[test]
fn memoryless_module_has_null_base_and_size_zero() {
    let bytes = wasm(r#"(module (func (export "f") (result i32) i32.const 7))"#);
    let mut ctx = ();
    let mut rt = Runtime::new(&bytes, &mut ctx, STACK).unwrap();
    assert!(rt.memory().is_empty());
    assert_eq!(rt.memory().len(), 0);
    assert_eq!(
        GuestPtr::<u8>::new(&rt.memory(), 0).read(),
        Err(GuestError::PtrOutOfBounds(Region::new(0, 1)))
    );
    assert_eq!(rt.call("f", &[]), Ok(Some(7)));
}

const GROW: &str = r#"(module
  (memory (export "memory") 1 8)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func $hidden (result i32) i32.const 1))"#;

#[test]
fn growth_between_calls_is_seen_through_base() {
    let bytes = wasm(GROW);
    let mut ctx = ();
    let mut rt = Runtime::new(&bytes, &mut ctx, STACK).unwrap();
    assert_eq!(rt.memory().len(), 65536);
    let far = 65536 + 100;
    assert!(GuestPtr::<u32>::new(&rt.memory(), far).read().is_err());
    // The embedder writes, the guest reads: the same bytes.
    GuestPtr::<u32>::new(&rt.memory(), 8)
        .write(0xdead_beef)
        .unwrap();
    assert_eq!(rt.call("load", &[8]), Ok(Some(0xdead_beef)));
    // The guest grows (wasm3 reallocs, the block may move): base() sees the new size.
    assert_eq!(rt.call("grow", &[3]), Ok(Some(1)));
    assert_eq!(rt.memory().len(), 4 * 65536);
    rt.call("store", &[far.into(), 42]).unwrap();
    assert_eq!(GuestPtr::<u32>::new(&rt.memory(), far).read(), Ok(42));
    assert_eq!(
        GuestPtr::<u32>::new(&rt.memory(), 8).read(),
        Ok(0xdead_beef)
    );
    // The declared maximum (8) and a tighter host limit both make memory.grow fail.
    rt.limit_memory_pages(5).unwrap();
    assert_eq!(rt.call("grow", &[2]), Ok(Some(u64::from(u32::MAX))));
    assert_eq!(rt.call("grow", &[1]), Ok(Some(4)));
    assert!(rt.limit_memory_pages(2).is_err());
}

#[test]
fn memory_limit_below_one_page_clamps_and_refuses_growth() {
    let bytes = wasm(GROW);
    let mut ctx = ();
    let config = Config::new(STACK).with_memory_limit(4096);
    let mut rt = Runtime::with_config(&bytes, &mut ctx, config).unwrap();
    // wasm3 allocated 4 KiB, not the declared page.
    assert_eq!(rt.memory().len(), 4096);
    // The guest stores below the limit; the host reads it back.
    assert_eq!(rt.call("store", &[4092, 7]), Ok(None));
    assert_eq!(GuestPtr::<u32>::new(&rt.memory(), 4092).read(), Ok(7));
    assert_eq!(rt.call("load", &[4092]), Ok(Some(7)));
    // Above the limit (still inside the page the guest believes it has): a trap, for the
    // guest's own accesses, and an error for the host's.
    assert!(is_trap(
        rt.call("store", &[4093, 1]),
        "[trap] out of bounds memory access"
    ));
    assert!(is_trap(
        rt.call("load", &[4096]),
        "[trap] out of bounds memory access"
    ));
    assert!(is_trap(
        rt.call("load", &[65532]),
        "[trap] out of bounds memory access"
    ));
    assert_eq!(
        GuestPtr::<u32>::new(&rt.memory(), 4096).write(1),
        Err(GuestError::PtrOutOfBounds(Region::new(4096, 4)))
    );
    // memory.grow fails (-1) and the memory stays as it was.
    assert_eq!(rt.call("grow", &[1]), Ok(Some(u64::from(u32::MAX))));
    assert_eq!(rt.call("grow", &[0]), Ok(Some(1)));
    assert_eq!(rt.memory().len(), 4096);
    assert_eq!(rt.call("load", &[4092]), Ok(Some(7)));
}

#[test]
fn memory_limit_of_whole_pages_allows_growth_up_to_it() {
    let bytes = wasm(GROW);
    let mut ctx = ();
    let config = Config::new(STACK).with_memory_limit(3 * 65536 + 100);
    let mut rt = Runtime::with_config(&bytes, &mut ctx, config).unwrap();
    assert_eq!(rt.memory().len(), 65536);
    assert_eq!(rt.call("grow", &[3]), Ok(Some(u64::from(u32::MAX))));
    assert_eq!(rt.call("grow", &[2]), Ok(Some(1)));
    assert_eq!(rt.memory().len(), 3 * 65536);
    assert_eq!(rt.call("grow", &[1]), Ok(Some(u64::from(u32::MAX))));
    // 0 is no limit, as in wasm3.
    let mut ctx = ();
    let rt = Runtime::with_config(&bytes, &mut ctx, Config::new(STACK).with_memory_limit(0));
    assert_eq!(rt.unwrap().memory().len(), 65536);
}

#[test]
fn memory_limit_below_a_data_segment_fails_to_load() {
    let bytes = wasm(r#"(module (memory 1) (data (i32.const 4000) "past the limit"))"#);
    let mut ctx = ();
    let config = Config::new(STACK).with_memory_limit(4000);
    let err = Runtime::with_config(&bytes, &mut ctx, config).unwrap_err();
    assert!(err.to_string().contains("data segment"), "{err}");
    let config = Config::new(STACK).with_memory_limit(4014);
    assert!(Runtime::with_config(&bytes, &mut ctx, config).is_ok());
}

#[test]
fn only_exported_functions_can_be_called() {
    let bytes = wasm(GROW);
    let mut ctx = ();
    let mut rt = Runtime::new(&bytes, &mut ctx, STACK).unwrap();
    assert_eq!(rt.call("hidden", &[]), Err(CallError::NotExported));
    assert_eq!(rt.call("$hidden", &[]), Err(CallError::NotExported));
    assert_eq!(rt.call("memory", &[]), Err(CallError::NotExported));
}

/// A host context with a counter and a WASI context whose output is captured.
#[derive(Default)]
struct Capture {
    out: Vec<u8>,
}

impl WasiHost for Capture {
    fn write(&mut self, _stream: Stdio, bufs: &[&[u8]]) -> Result<usize, Errno> {
        let mut n = 0;
        for b in bufs {
            self.out.extend_from_slice(b);
            n += b.len();
        }
        Ok(n)
    }
}

struct Ctx {
    wasi: WasiCtx<Capture>,
    calls: u32,
    last: Option<(i64, u64)>,
}

impl HasWasi for Ctx {
    type Host = Capture;
    fn wasi(&mut self) -> &mut WasiCtx<Capture> {
        &mut self.wasi
    }
}

fn add_to<'a>(
    ctx: &mut Ctx,
    _mem: &'a GuestFrame<'a>,
    p: GuestPtr<'a, u32>,
    n: u32,
) -> Result<u32, Trap> {
    ctx.calls += 1;
    let v = p.read()?.wrapping_add(n);
    p.write(v)?;
    Ok(v)
}

fn wide(ctx: &mut Ctx, _mem: &GuestFrame<'_>, a: i64, b: u64) -> i64 {
    ctx.last = Some((a, b));
    a.wrapping_mul(2)
}

fn refuse(_ctx: &mut Ctx, _mem: &GuestFrame<'_>) -> Result<(), Trap> {
    Err(Trap::Message(c"[trap] refused by the host"))
}

fn bump(ctx: &mut Ctx, _mem: &GuestFrame<'_>) {
    ctx.calls += 1;
}

fn functions() -> Vec<HostFunc<Ctx>> {
    vec![
        host_fn!(<Ctx> "env" "add_to" => add_to(GuestPtr<'_, u32>, u32) -> Result<u32, Trap>),
        host_fn!(<Ctx> "env" "wide" => wide(i64, u64) -> i64),
        host_fn!(<Ctx> "env" "refuse" => refuse() -> Result<(), Trap>),
        host_fn!(<Ctx> "env" "bump" => bump() -> ()),
    ]
}

const HOST: &str = r#"(module
  (import "env" "add_to" (func $add_to (param i32 i32) (result i32)))
  (import "env" "wide" (func $wide (param i64 i64) (result i64)))
  (import "env" "refuse" (func $refuse))
  (memory (export "memory") 1)
  (func (export "add_to") (param i32 i32) (result i32) local.get 0 local.get 1 call $add_to)
  (func (export "wide") (param i64 i64) (result i64) local.get 0 local.get 1 call $wide)
  (func (export "refuse") call $refuse)
  (func (export "grow") (result i32) i32.const 1 memory.grow))"#;

#[test]
fn host_functions_get_typed_arguments_and_context() {
    let bytes = wasm(HOST);
    let mut ctx = Ctx {
        wasi: WasiCtx::new(Capture::default()),
        calls: 0,
        last: None,
    };
    let mut rt = Runtime::new(&bytes, &mut ctx, STACK).unwrap();
    // Not linked yet: refused before running anything.
    assert!(
        matches!(rt.call("grow", &[]), Err(CallError::Unlinked(m)) if m.as_str() == "env.add_to")
    );
    rt.link_all(&functions()).unwrap();
    assert_eq!(rt.unlinked_imports().count(), 0);

    GuestPtr::<u32>::new(&rt.memory(), 16).write(40).unwrap();
    assert_eq!(rt.call("add_to", &[16, 2]), Ok(Some(42)));
    assert_eq!(GuestPtr::<u32>::new(&rt.memory(), 16).read(), Ok(42));
    // A bad pointer from the guest: the host function's `?` traps, the host stays alive.
    assert!(is_trap(
        rt.call("add_to", &[65536, 1]),
        "[trap] out of bounds memory access"
    ));
    // i64 both ways, all 64 bits.
    let minus_three = u64::from_ne_bytes((-3i64).to_ne_bytes());
    assert_eq!(
        rt.call("wide", &[minus_three, u64::MAX]),
        Ok(Some(u64::from_ne_bytes((-6i64).to_ne_bytes())))
    );
    assert!(is_trap(
        rt.call("refuse", &[]),
        "[trap] refused by the host"
    ));
    // Usable after traps; memory grown by the guest after host calls.
    assert_eq!(rt.call("grow", &[]), Ok(Some(1)));
    assert_eq!(rt.call("add_to", &[65536, 5]), Ok(Some(5)));
    assert_eq!(rt.context().calls, 3);
    drop(rt);
    assert_eq!(ctx.last, Some((-3, u64::MAX)));
}

fn is_trap(r: Result<Option<u64>, CallError>, text: &str) -> bool {
    matches!(r, Err(CallError::Trap(m)) if m.as_str() == text)
}

#[test]
fn wasi_subset_through_the_glue() {
    let bytes = wasm(
        r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 100) "hello, ")
      (data (i32.const 200) "wasi\n")
      (func (export "write") (result i32)
        (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 7))
        (i32.store (i32.const 8) (i32.const 200)) (i32.store (i32.const 12) (i32.const 5))
        (call $w (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 16)))
      (func (export "open") (result i32)
        (call $open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 0)))
      (func (export "exit") (call $exit (i32.const 7))))"#,
    );
    let mut ctx = WasiCtx::new(Capture::default());
    let mut rt = Runtime::new(&bytes, &mut ctx, STACK).unwrap();
    rt.link_all(&wasi::functions()).unwrap();
    assert_eq!(rt.call("write", &[]), Ok(Some(0)));
    assert_eq!(GuestPtr::<u32>::new(&rt.memory(), 16).read(), Ok(12));
    // A host without files: fd 3 is no directory.
    assert_eq!(
        rt.call("open", &[]),
        Ok(Some(u64::from(Errno::Badf.to_raw())))
    );
    assert_eq!(rt.call("exit", &[]), Err(CallError::Exit));
    drop(rt);
    assert_eq!(ctx.exit_code(), Some(7));
    assert_eq!(ctx.host().out, b"hello, wasi\n");
}

#[test]
fn wrong_signature_is_a_link_error() {
    let bytes = wasm(r#"(module (import "env" "wide" (func (param i32))))"#);
    let mut ctx = Ctx {
        wasi: WasiCtx::new(Capture::default()),
        calls: 0,
        last: None,
    };
    let mut rt = Runtime::new(&bytes, &mut ctx, STACK).unwrap();
    let err = rt.link_all(&functions()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot link env.wide: function signature mismatch"
    );
}

fn rejected(bytes: &[u8]) -> Option<&'static str> {
    guestmem_wasm3::validate(bytes).unwrap_err().unsupported
}

#[test]
fn prevalidation_names_what_wasm3_cannot_run() {
    let bulk = wasm(
        r#"(module (memory 1) (func (export "f") i32.const 0 i32.const 0 i32.const 8 memory.fill))"#,
    );
    assert_eq!(rejected(&bulk), Some("bulk-memory"));
    let multi = wasm(r#"(module (func (export "f") (result i32 i32) i32.const 1 i32.const 2))"#);
    assert_eq!(rejected(&multi), Some("multi-value"));
    let simd = wasm(r#"(module (func (export "f") (result v128) v128.const i64x2 0 0))"#);
    assert_eq!(rejected(&simd), Some("simd"));
    let reftypes = wasm(
        r#"(module (table 1 funcref) (func (export "f") (result funcref) i32.const 0 table.get 0))"#,
    );
    assert_eq!(rejected(&reftypes), Some("reference-types"));
    let imported_memory = wasm(r#"(module (import "env" "memory" (memory 1)))"#);
    assert_eq!(rejected(&imported_memory), Some("imported memory"));
    let imported_global = wasm(r#"(module (import "env" "g" (global i32)))"#);
    assert_eq!(rejected(&imported_global), Some("imported global"));
    // A data count section alone (id 12, count 0).
    let datacount = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 12, 1, 0];
    assert_eq!(
        rejected(&datacount),
        Some("bulk-memory (data count section)")
    );
    // Not a module at all: invalid, no feature named.
    let err = guestmem_wasm3::validate(b"\0asm\x02\0\0\0").unwrap_err();
    assert_eq!(err.unsupported, None);
    // Sign extension and saturating conversions are fine: wasm3 0.4.7 runs them.
    let ok = wasm(
        r#"(module (func (export "f") (param i32 f32) (result i32)
        local.get 0 i32.extend8_s local.get 1 i32.trunc_sat_f32_s i32.add))"#,
    );
    let mut ctx = ();
    let mut rt = Runtime::new(&ok, &mut ctx, STACK).unwrap();
    assert_eq!(
        rt.call("f", &[200, u64::from(3e10f32.to_bits())]),
        Ok(Some(u64::from(2147483647u32 - 56)))
    );
}

/// (module (type (func)) (table 1 funcref) (func (type 0) i32.const 0 call_indirect (type 0)))
/// with the table index of `call_indirect` as given.
fn call_indirect_module(table_index: &[u8]) -> Vec<u8> {
    let mut body = vec![0x00, 0x41, 0x00, 0x11, 0x00];
    body.extend_from_slice(table_index);
    body.push(0x0b);
    let mut m = vec![0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
    m.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]); // types
    m.extend_from_slice(&[3, 2, 1, 0]); // functions
    m.extend_from_slice(&[4, 4, 1, 0x70, 0, 1]); // table
    let len = u8::try_from(body.len()).unwrap();
    m.extend_from_slice(&[10, len + 2, 1, len]); // code
    m.extend_from_slice(&body);
    m
}

#[test]
fn padded_table_index_is_rejected() {
    assert!(guestmem_wasm3::validate(&call_indirect_module(&[0x00])).is_ok());
    assert_eq!(
        rejected(&call_indirect_module(&[0x80, 0x00])),
        Some("padded LEB table index (call_indirect-overlong)")
    );
}

fn new_ctx() -> Ctx {
    Ctx {
        wasi: WasiCtx::new(Capture::default()),
        calls: 0,
        last: None,
    }
}

/// A start function that calls an imported host function and stores to memory; `get` reads
/// what it stored.
const START_CALLS_HOST: &str = r#"(module
  (import "env" "bump" (func $bump))
  (memory (export "memory") 1)
  (func $init (call $bump) (i32.store (i32.const 8) (i32.const 42)))
  (start $init)
  (func (export "get") (result i32) (i32.load (i32.const 8))))"#;

#[test]
fn start_function_runs_once_after_linking_before_the_first_call() {
    let bytes = wasm(START_CALLS_HOST);
    let mut ctx = new_ctx();
    let mut rt = Runtime::new(&bytes, &mut ctx, STACK).unwrap();
    // Loading did not run it: nothing stored, the host function not called.
    assert_eq!(GuestPtr::<u32>::new(&rt.memory(), 8).read(), Ok(0));
    assert_eq!(rt.context().calls, 0);
    // Not before its import is linked.
    assert!(matches!(rt.start(), Err(CallError::Unlinked(m)) if m.as_str() == "env.bump"));
    assert!(matches!(rt.call("get", &[]), Err(CallError::Unlinked(_))));
    rt.link_all(&functions()).unwrap();
    // The first call runs it, then the export.
    assert_eq!(rt.call("get", &[]), Ok(Some(42)));
    assert_eq!(rt.context().calls, 1);
    // Never again.
    assert_eq!(rt.start(), Ok(()));
    assert_eq!(rt.call("get", &[]), Ok(Some(42)));
    assert_eq!(rt.context().calls, 1);
}

#[test]
fn start_runs_explicitly_once() {
    let bytes = wasm(START_CALLS_HOST);
    // (The guest cannot run while a frame of its memory, or a view of it, lives: `memory`
    // borrows the runtime mutably, as `start` and `call` do — a compile-time refusal.)
    let mut ctx = new_ctx();
    let mut rt = Runtime::new(&bytes, &mut ctx, STACK).unwrap();
    rt.link_all(&functions()).unwrap();
    assert_eq!(rt.start(), Ok(()));
    assert_eq!(rt.context().calls, 1);
    assert_eq!(GuestPtr::<u32>::new(&rt.memory(), 8).read(), Ok(42));
    assert_eq!(rt.start(), Ok(()));
    assert_eq!(rt.context().calls, 1);
}

#[test]
fn an_imported_host_function_can_be_the_start_function() {
    let bytes = wasm(
        r#"(module (import "env" "bump" (func $bump)) (start $bump)
        (func (export "f") (result i32) i32.const 5))"#,
    );
    let mut ctx = new_ctx();
    let mut rt = Runtime::new(&bytes, &mut ctx, STACK).unwrap();
    rt.link_all(&functions()).unwrap();
    assert_eq!(rt.call("f", &[]), Ok(Some(5)));
    assert_eq!(rt.context().calls, 1);
}

#[test]
fn a_failed_start_function_makes_the_module_unusable() {
    // Traps in wasm.
    let bytes = wasm(
        r#"(module (func $boom unreachable) (start $boom) (func (export "f") (result i32) i32.const 1))"#,
    );
    let mut ctx = ();
    let mut rt = Runtime::new(&bytes, &mut ctx, STACK).unwrap();
    assert!(is_trap(rt.call("f", &[]), "[trap] unreachable executed"));
    assert_eq!(rt.call("f", &[]), Err(CallError::StartFailed));
    assert_eq!(rt.start(), Err(CallError::StartFailed));
    drop(rt);
    // Traps in the host (an imported start function).
    let bytes =
        wasm(r#"(module (import "env" "refuse" (func $r)) (start $r) (func (export "f")))"#);
    let mut ctx = new_ctx();
    let mut rt = Runtime::new(&bytes, &mut ctx, STACK).unwrap();
    rt.link_all(&functions()).unwrap();
    assert_eq!(rt.start(), Err(CallError::Trap(refused_message())));
    assert_eq!(rt.call("f", &[]), Err(CallError::StartFailed));
    drop(rt);
    // Exits (`proc_exit` from WASI).
    let bytes = wasm(
        r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (func $init (call $exit (i32.const 7))) (start $init) (func (export "f")))"#,
    );
    let mut ctx = WasiCtx::new(Capture::default());
    let mut rt = Runtime::new(&bytes, &mut ctx, STACK).unwrap();
    rt.link_all(&wasi::functions()).unwrap();
    assert_eq!(rt.call("f", &[]), Err(CallError::Exit));
    assert_eq!(rt.call("f", &[]), Err(CallError::StartFailed));
    drop(rt);
    assert_eq!(ctx.exit_code(), Some(7));
}

fn refused_message() -> guestmem_wasm3::Message {
    let bytes = wasm(r#"(module (import "env" "refuse" (func $r)) (func (export "f") call $r))"#);
    let mut ctx = new_ctx();
    let mut rt = Runtime::new(&bytes, &mut ctx, STACK).unwrap();
    rt.link_all(&functions()).unwrap();
    match rt.call("f", &[]) {
        Err(CallError::Trap(m)) => m,
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_import_is_never_called_or_compiled_by_its_name() {
    // wasm3's `m3_FindFunction` would compile the unlinked import `env.bump` when asked for
    // "bump" (a null dereference); validation refuses the name (not exported), and so does
    // the binding's own lookup once linked — only exports are called.
    let bytes = wasm(
        r#"(module (import "env" "bump" (func $bump)) (func (export "f") (result i32) i32.const 3))"#,
    );
    let mut ctx = new_ctx();
    let mut rt = Runtime::new(&bytes, &mut ctx, STACK).unwrap();
    assert_eq!(rt.call("bump", &[]), Err(CallError::NotExported));
    rt.link_all(&functions()).unwrap();
    assert_eq!(rt.call("bump", &[]), Err(CallError::NotExported));
    assert_eq!(rt.call("f", &[]), Ok(Some(3)));
    assert_eq!(rt.context().calls, 0);
}

#[test]
fn every_load_error_frees_what_it_made() {
    // Each fails in another step of wasm3's loader; run under valgrind (the CLI test) or a
    // leak checker to see the frees. Here: the errors, and that the next load works.
    let mut ctx = ();
    // Past the declared memory: refused by validation (wasm3's own check is unsound for a
    // negative offset). Past a memory the runtime's limit clamped: wasm3's loader refuses it.
    let past =
        wasm(r#"(module (memory 1) (data (i32.const 65530) "past the end") (start 0) (func))"#);
    let err = Runtime::new(&past, &mut ctx, STACK).unwrap_err();
    assert!(
        err.to_string().contains("data segment out of bounds"),
        "{err}"
    );
    let clamped = wasm(r#"(module (memory 1) (data (i32.const 8000) "past the limit") (func))"#);
    let config = Config::new(STACK).with_memory_limit(4096);
    let err = Runtime::with_config(&clamped, &mut ctx, config).unwrap_err();
    assert_eq!(
        err.to_string(),
        "wasm3: data segment overflowing linear memory"
    );
    let elem = wasm(r#"(module (table 1 funcref) (elem (i32.const 0)) (func))"#);
    let err = Runtime::new(&elem, &mut ctx, STACK).unwrap_err();
    assert_eq!(err.to_string(), "wasm3: table overflow");
    let ok = wasm(r#"(module (func $s) (start $s) (func (export "f") (result i32) i32.const 1))"#);
    let mut rt = Runtime::new(&ok, &mut ctx, STACK).unwrap();
    assert_eq!(rt.call("f", &[]), Ok(Some(1)));
}
