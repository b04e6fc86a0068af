//! The lowering pass (`guestmem_wasm3::lower`) and the load-time checks around it: each lowered
//! feature run through the CLI (and `--no-lower` showing wasm3 0.4.7's raw behaviour), the
//! copy and fill helpers against a model, every feature that cannot be lowered refused with 65
//! and its name, duplicate imports, functions wasm3 cannot compile, `_start`'s type, and the
//! WASI test suite's prebuilt binaries (each lowers) when `../shared/wasi-testsuite` is there.
#![cfg(all(feature = "std", feature = "wasm3-wasi"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::arithmetic_side_effects
)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use guestmem::GuestPtr;
use guestmem_wasm3::{lower, CallError, Runtime};

const STACK: u32 = 64 * 1024;

fn wasm(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap()
}

fn cli(args: &[&str]) -> Output {
    program(env!("CARGO_BIN_EXE_guestmem-wasm3"), args)
}

fn program(bin: &str, args: &[&str]) -> Output {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A module written to the test's temporary directory.
fn temp_module(name: &str, bytes: &[u8]) -> String {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("lower-{name}.wasm"));
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

/// `guestmem-wasm3 run <module> EXTRA...`.
fn run(name: &str, bytes: &[u8], extra: &[&str]) -> Output {
    let path = temp_module(name, bytes);
    let mut args = vec!["run", path.as_str()];
    args.extend_from_slice(extra);
    cli(&args)
}

/// Checks the status, stdout and stderr of a run (`stderr` as a substring).
#[track_caller]
fn expect(out: &Output, code: i32, stdout: &str, stderr: &str) {
    let (o, e) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(code), "stdout {o:?} stderr {e:?}");
    assert_eq!(o, stdout, "stderr {e:?}");
    assert!(e.contains(stderr), "stderr {e:?} lacks {stderr:?}");
    if stderr.is_empty() {
        assert_eq!(e, "");
    }
}

/// `fd_write`, a memory, and `$print (at, len)` writing memory to stdout.
const PRINT: &str = r#"
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $print (param $at i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))"#;

/// The text the copy module starts with at address 100.
const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

#[test]
fn memory_copy_and_fill_run_lowered_with_memmove_semantics() {
    // (dst, src, n) relative to 100: overlapping both ways, disjoint, in place, empty.
    let copies = [
        (4, 0, 20),
        (0, 7, 25),
        (40, 0, 9),
        (3, 3, 10),
        (5, 1, 0),
        (1, 0, 61),
    ];
    let fills = [(10, b'-', 13), (0, b'#', 1), (30, b'!', 0)];
    let mut calls = String::new();
    let mut model = ALPHABET.to_vec();
    for (dst, src, n) in copies {
        calls += &format!(
            "(memory.copy (i32.const {}) (i32.const {}) (i32.const {n}))",
            100 + dst,
            100 + src
        );
        model.copy_within(src..src + n, dst);
    }
    for (dst, value, n) in fills {
        // 0x100 | value: the fill takes the low byte only.
        calls += &format!(
            "(memory.fill (i32.const {}) (i32.const {}) (i32.const {n}))",
            100 + dst,
            0x100 | u32::from(value)
        );
        model[dst..dst + n].fill(value);
    }
    let module = wasm(&format!(
        r#"(module {PRINT}
          (data (i32.const 100) "{}")
          (func (export "_start") {calls}
            (call $print (i32.const 100) (i32.const {}))))"#,
        std::str::from_utf8(ALPHABET).unwrap(),
        ALPHABET.len()
    ));
    let out = run("copy-fill", &module, &[]);
    expect(&out, 0, std::str::from_utf8(&model).unwrap(), "");
    // wasm3 0.4.7 itself never sees it: validation refuses bulk memory.
    let raw = run("copy-fill-raw", &module, &["--no-lower"]);
    expect(&raw, 65, "", "unsupported by wasm3 0.4.7: bulk-memory: ");
}

#[test]
fn bulk_guest_built_by_clang_runs_lowered() {
    let bulk = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("guests/bulk.wasm");
    let bulk = bulk.to_str().unwrap();
    expect(&cli(&["run", bulk]), 0, "", "");
    expect(
        &cli(&["run", bulk, "--no-lower"]),
        65,
        "",
        "unsupported by wasm3 0.4.7: bulk-memory: ",
    );
}

#[test]
fn out_of_bounds_copy_and_fill_trap_before_writing() {
    for (name, op) in [
        (
            "copy-dst",
            "(memory.copy (i32.const 65530) (i32.const 0) (i32.const 7))",
        ),
        (
            "copy-src",
            "(memory.copy (i32.const 0) (i32.const 65530) (i32.const 7))",
        ),
        (
            "copy-wrap",
            "(memory.copy (i32.const 16) (i32.const 0) (i32.const -1))",
        ),
        (
            "fill-end",
            "(memory.fill (i32.const 65536) (i32.const 0) (i32.const 1))",
        ),
        (
            "fill-wrap",
            "(memory.fill (i32.const -8) (i32.const 0) (i32.const 16))",
        ),
    ] {
        let module = wasm(&format!(
            r#"(module {PRINT} (data (i32.const 16) "before\n")
              (func (export "_start") {op} (call $print (i32.const 16) (i32.const 7))))"#
        ));
        let out = run(name, &module, &[]);
        expect(&out, 70, "", "trap: [trap] unreachable executed\n");
    }
    // At the very end, and empty ranges up to the end, are in bounds.
    let module = wasm(&format!(
        r#"(module {PRINT} (data (i32.const 16) "after\n")
          (func (export "_start")
            (memory.copy (i32.const 65528) (i32.const 16) (i32.const 8))
            (memory.fill (i32.const 65535) (i32.const 0) (i32.const 1))
            (memory.copy (i32.const 65536) (i32.const 65536) (i32.const 0))
            (memory.fill (i32.const 65536) (i32.const 0) (i32.const 0))
            (call $print (i32.const 65528) (i32.const 6))))"#
    ));
    expect(&run("in-bounds-end", &module, &[]), 0, "after\n", "");
}

/// A module exporting the two instructions as functions over one page (or two, after `grow`).
const HELPERS: &str = r#"(module
  (memory (export "memory") 1 2)
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#;

/// Every small overlap and length around the 8-byte steps of the helpers, against
/// `copy_within` and `fill`; a trap writes nothing.
#[test]
fn copy_and_fill_helpers_match_a_model() {
    const BASE: u32 = 1000;
    const WINDOW: usize = 80;
    let lowered = lower(&wasm(HELPERS)).unwrap();
    let mut ctx = ();
    let mut rt = Runtime::new(&lowered, &mut ctx, STACK).unwrap();
    let start: Vec<u8> = (0..WINDOW).map(|i| (i * 7 + 1) as u8).collect();
    let set = |rt: &mut Runtime<'_, ()>, bytes: &[u8]| {
        GuestPtr::<[u8]>::new(&rt.memory(), (BASE, bytes.len() as u32))
            .copy_from_slice(bytes)
            .unwrap();
    };
    let get = |rt: &mut Runtime<'_, ()>| {
        let mut out = vec![0; WINDOW];
        GuestPtr::<[u8]>::new(&rt.memory(), (BASE, WINDOW as u32))
            .copy_to_slice(&mut out)
            .unwrap();
        out
    };
    let lens = [0usize, 1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 31, 33, 40];
    let mut cases = 0;
    for dst in 0..20usize {
        for src in 0..20usize {
            for n in lens {
                if dst.max(src) + n > WINDOW {
                    continue;
                }
                set(&mut rt, &start);
                let args = [
                    u64::from(BASE) + dst as u64,
                    u64::from(BASE) + src as u64,
                    n as u64,
                ];
                assert_eq!(rt.call("copy", &args), Ok(None));
                let mut model = start.clone();
                model.copy_within(src..src + n, dst);
                assert_eq!(get(&mut rt), model, "copy dst {dst} src {src} n {n}");
                cases += 1;
            }
        }
        for n in lens {
            if dst + n > WINDOW {
                continue;
            }
            set(&mut rt, &start);
            let args = [u64::from(BASE) + dst as u64, 0x1234_56ab, n as u64];
            assert_eq!(rt.call("fill", &args), Ok(None));
            let mut model = start.clone();
            model[dst..dst + n].fill(0xab);
            assert_eq!(get(&mut rt), model, "fill dst {dst} n {n}");
        }
    }
    assert!(cases > 4000);

    // Out of bounds: a trap, and nothing written (the last bytes of the page stay as they are).
    let page = 65536u64;
    let tail: Vec<u8> = (0..16).map(|i| 0xc0 | i).collect();
    GuestPtr::<[u8]>::new(&rt.memory(), (65536 - 16, 16))
        .copy_from_slice(&tail)
        .unwrap();
    let trap = |r: Result<Option<u64>, CallError>| matches!(r, Err(CallError::Trap(m)) if m.as_str() == "[trap] unreachable executed");
    for args in [
        [page - 8, 0, 9],
        [0, page - 8, 9],
        [page - 8, page - 16, 9],
        [page + 1, 0, 0],
        [0, page + 1, 0],
        [0, 0, u64::from(u32::MAX)],
        [u64::from(u32::MAX), 0, 2],
    ] {
        assert!(trap(rt.call("copy", &args)), "copy {args:?}");
    }
    for [dst, n] in [
        [page - 8, 9],
        [page + 1, 0],
        [0, u64::from(u32::MAX)],
        [u64::from(u32::MAX), 2],
    ] {
        assert!(trap(rt.call("fill", &[dst, 0, n])), "fill {dst} {n}");
    }
    let mut now = vec![0; 16];
    GuestPtr::<[u8]>::new(&rt.memory(), (65536 - 16, 16))
        .copy_to_slice(&mut now)
        .unwrap();
    assert_eq!(now, tail);
    // The bounds follow memory.grow.
    assert_eq!(rt.call("grow", &[]), Ok(Some(1)));
    assert_eq!(rt.call("copy", &[page - 8, 0, 9]), Ok(None));
    assert_eq!(rt.call("fill", &[2 * page - 1, 7, 1]), Ok(None));
    assert!(trap(rt.call("fill", &[2 * page - 1, 7, 2])));
}

/// wasm3 0.4.7 compiles `memory.size` into its register without saving the value there: the
/// value below it on the stack becomes the page count. Lowered, `memory.size` is a call.
#[test]
fn memory_size_keeps_the_value_below_it() {
    let module = wasm(
        r#"(module (memory 3)
          (func (export "f") (param i32) (result i32)
            local.get 0 i32.const 40 i32.add memory.size drop))"#,
    );
    let lowered = lower(&module).unwrap();
    let mut ctx = ();
    let mut rt = Runtime::new(&lowered, &mut ctx, STACK).unwrap();
    assert_eq!(rt.call("f", &[5]), Ok(Some(45)));
    // As is, wasm3 returns the page count (what the lowering works around).
    let mut ctx = ();
    let mut raw = Runtime::new(&module, &mut ctx, STACK).unwrap();
    assert_eq!(raw.call("f", &[5]), Ok(Some(3)));
}

// A tiny module assembler, for encodings `wat` never writes (padded LEBs).

fn leb(mut n: u32) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// `n` as a 5-byte LEB, the padded form linkers leave for relocations.
fn padded(n: u32) -> Vec<u8> {
    let mut out: Vec<u8> = (0..4)
        .map(|i| ((n >> (7 * i)) & 0x7f) as u8 | 0x80)
        .collect();
    out.push((n >> 28) as u8);
    out
}

fn name(s: &str) -> Vec<u8> {
    let mut out = leb(s.len() as u32);
    out.extend_from_slice(s.as_bytes());
    out
}

fn section(id: u8, count: u32, items: &[u8]) -> Vec<u8> {
    let mut body = leb(count);
    body.extend_from_slice(items);
    let mut out = vec![id];
    out.extend(padded(body.len() as u32));
    out.extend(body);
    out
}

/// `_start` calls, through the table and with padded immediates, a function that calls
/// `proc_exit(42)`. Every LEB that may be padded is: section and body sizes, the
/// `call_indirect` type and table indices, a `call` index, `i32.const` values.
fn padded_module() -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    // Types: 0 (i32) -> (), 1 () -> ().
    m.extend(section(1, 2, &[0x60, 1, 0x7f, 0, 0x60, 0, 0]));
    let mut imports = name("wasi_snapshot_preview1");
    imports.extend(name("proc_exit"));
    imports.extend([0, 0]);
    m.extend(section(2, 1, &imports));
    m.extend(section(3, 2, &[1, 1])); // functions 1 (_start) and 2, both type 1
    m.extend(section(4, 1, &[0x70, 0, 1])); // table: funcref, min 1
    let mut export = name("_start");
    export.extend([0, 1]);
    m.extend(section(7, 1, &export));
    m.extend(section(9, 1, &[0, 0x41, 0, 0x0b, 1, 2])); // elem: [2] at 0
    let mut start = vec![0, 0x41];
    start.extend(padded(0)); // i32.const 0 (a signed LEB; padded 0 is 0)
    start.push(0x11);
    start.extend(padded(1)); // type 1
    start.extend(padded(0)); // table 0
    start.push(0x0b);
    let mut exit = vec![0, 0x41, 42, 0x10];
    exit.extend(padded(0)); // call 0
    exit.push(0x0b);
    let mut code = Vec::new();
    for body in [start, exit] {
        code.extend(padded(body.len() as u32));
        code.extend(body);
    }
    m.extend(section(10, 2, &code));
    m
}

#[test]
fn padded_lebs_are_re_encoded() {
    let module = padded_module();
    expect(&run("padded", &module, &[]), 42, "", "");
    expect(
        &run("padded-raw", &module, &["--no-lower"]),
        65,
        "",
        "padded LEB table index",
    );
    let lowered = lower(&module).unwrap();
    assert!(lowered.len() < module.len());
    assert!(guestmem_wasm3::validate(&lowered).is_ok());
}

#[test]
fn data_count_and_data_drop_are_dropped() {
    let module = wasm(&format!(
        r#"(module {PRINT}
          (data $active (i32.const 16) "data count\n")
          (data $passive "never used")
          (func (export "_start")
            (data.drop $passive) (data.drop $active)
            (call $print (i32.const 16) (i32.const 11))))"#
    ));
    expect(&run("datacount", &module, &[]), 0, "data count\n", "");
    expect(
        &run("datacount-raw", &module, &["--no-lower"]),
        65,
        "",
        "bulk-memory",
    );
    let (_, stats) = guestmem_wasm3::lower::lower_with_stats(&module).unwrap();
    assert!(stats.dropped_data_count);
    assert_eq!((stats.data_drops, stats.dropped_data), (2, 1));
}

#[test]
fn empty_element_segments_are_dropped() {
    let module = wasm(
        r#"(module
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (type $v (func))
          (table 2 funcref)
          (elem (i32.const 0) $f)
          (elem (i32.const 1))
          (elem (i32.const 2))
          (func $f (call $exit (i32.const 7)))
          (func (export "_start") (call_indirect (type $v) (i32.const 0))))"#,
    );
    expect(&run("empty-elem", &module, &[]), 7, "", "");
    expect(
        &run("empty-elem-raw", &module, &["--no-lower"]),
        65,
        "",
        "wasm3: table overflow",
    );
    let (_, stats) = guestmem_wasm3::lower::lower_with_stats(&module).unwrap();
    assert_eq!(stats.dropped_elements, 2);
    // Past the table, an empty segment fails instantiation: it is kept, and so is that.
    let outside =
        wasm(r#"(module (table 1 funcref) (elem (i32.const 5)) (func (export "_start")))"#);
    let (_, stats) = guestmem_wasm3::lower::lower_with_stats(&outside).unwrap();
    assert_eq!(stats.dropped_elements, 0);
    expect(&run("empty-elem-outside", &outside, &[]), 65, "", "wasm3: ");
}

#[test]
fn duplicate_imports_are_merged() {
    // `$b` is `$a` again; the table, the start function and calls name both; `$g` (defined)
    // moves down by one.
    let module = wasm(
        r#"(module
          (import "wasi_snapshot_preview1" "proc_exit" (func $a (param i32)))
          (import "env" "unused" (func $u))
          (import "wasi_snapshot_preview1" "proc_exit" (func $b (param i32)))
          (type $exit (func (param i32)))
          (memory 1)
          (table 2 funcref)
          (elem (i32.const 0) $b $a)
          (func $g (result i32) (i32.load (i32.const 0)))
          (func $init (i32.store (i32.const 0) (i32.const 5)))
          (start $init)
          (func (export "_start")
            (call_indirect (type $exit) (i32.add (call $g) (i32.const 4)) (i32.const 0))))"#,
    );
    expect(
        &run("dup-unused", &module, &[]),
        65,
        "",
        "unsupported import env.unused",
    );
    // The same with fd_write, which is linked: it runs, `$b` being `$a`.
    let module = wasm(
        r#"(module
          (import "wasi_snapshot_preview1" "proc_exit" (func $a (param i32)))
          (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $b (param i32)))
          (type $exit (func (param i32)))
          (memory 1)
          (table 2 funcref)
          (elem (i32.const 0) $b $a)
          (func $g (result i32) (i32.load (i32.const 0)))
          (func $init (i32.store (i32.const 0) (i32.const 5)))
          (start $init)
          (func (export "_start")
            (call_indirect (type $exit) (i32.add (call $g) (i32.const 4)) (i32.const 1))))"#,
    );
    expect(&run("dup", &module, &[]), 9, "", "");
    expect(
        &run("dup-raw", &module, &["--no-lower"]),
        65,
        "",
        "unsupported by wasm3 0.4.7: duplicate import: wasi_snapshot_preview1.proc_exit",
    );
    let (_, stats) = guestmem_wasm3::lower::lower_with_stats(&module).unwrap();
    assert_eq!(stats.merged_imports, 1);
    let two_types = wasm(
        r#"(module
          (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func (param i64)))
          (func (export "_start")))"#,
    );
    expect(
        &run("dup-two-types", &two_types, &[]),
        65,
        "",
        "unsupported by wasm3 0.4.7: duplicate import of another type",
    );
}

#[test]
fn a_function_wasm3_cannot_compile_is_refused_before_anything_runs() {
    // 2100 values on the stack: past wasm3's limit. `_start` prints first, then calls it.
    let deep = "(i32.const 1) ".repeat(2100) + &"drop ".repeat(2100);
    let module = wasm(&format!(
        r#"(module {PRINT} (data (i32.const 16) "ran\n")
          (func $deep {deep})
          (func (export "_start") (call $print (i32.const 16) (i32.const 4)) (call $deep)))"#
    ));
    let out = run("deep", &module, &[]);
    expect(
        &out,
        65,
        "",
        "wasm3 cannot compile function 2: deep: compiling function overran its stack height limit",
    );
    // An uncalled one too: every function is compiled at load.
    let module = wasm(&format!(
        r#"(module (func $deep {deep}) (func (export "_start")))"#
    ));
    expect(
        &run("deep-uncalled", &module, &[]),
        65,
        "",
        "wasm3 cannot compile",
    );
    // wasm3's `memory.size` bug (see memory_size_keeps_the_value_below_it) can make a valid
    // function uncompilable: refused as is, lowered it runs.
    let module = wasm(
        r#"(module (memory 1)
          (func (param i32) (result i32)
            local.get 0 i64.extend_i32_u memory.size i64.extend_i32_u i64.gt_u)
          (func (export "_start")))"#,
    );
    expect(
        &run("size-raw", &module, &["--no-lower"]),
        65,
        "",
        "wasm3 cannot compile function 0: no operation found for opcode",
    );
    expect(&run("size", &module, &[]), 0, "", "");
    // The library: `call` compiles first and fails with `CallError::Compile`.
    let module = wasm(&format!(
        r#"(module (func $deep {deep}) (func (export "f") (result i32) i32.const 1))"#
    ));
    let mut ctx = ();
    let mut rt = Runtime::new(&module, &mut ctx, STACK).unwrap();
    let err = rt.compile().unwrap_err();
    assert_eq!(err.function, 0);
    assert!(matches!(rt.call("f", &[]), Err(CallError::Compile(e)) if e == err));
}

#[test]
fn dead_code_is_removed_so_wasm3_compiles_the_function() {
    // Code after `br`, `return` and `unreachable` never runs, but its operand stack is
    // polymorphic: valid wasm that wasm3 0.4.7 cannot compile. Lowered, it is removed up to the
    // `end`/`else` of its block (nested blocks inside it too), and the rest runs.
    let module = wasm(&format!(
        r#"(module {PRINT} (data (i32.const 32) "ok\n")
          (func $pick (param i32) (result i32)
            (if (result i32) (local.get 0)
              (then (return (i32.const 7)) (i32.add) (block (drop (i32.const 1))))
              (else (i32.const 9)))
            (br 0)
            (i64.add) (drop))
          (func $never (unreachable) (i32.add) (drop))
          (func (export "_start")
            (block (br 0) (i32.add) (drop))
            (block (br_table 0 0 (i32.const 1)) (loop (nop)) (drop))
            (if (i32.ne (call $pick (i32.const 1)) (i32.const 7)) (then unreachable))
            (if (i32.ne (call $pick (i32.const 0)) (i32.const 9)) (then unreachable))
            (call $print (i32.const 32) (i32.const 3))))"#
    ));
    expect(&run("dead", &module, &[]), 0, "ok\n", "");
    let (_, stats) = guestmem_wasm3::lower::lower_with_stats(&module).unwrap();
    // i32.add, block, i32.const, drop, end | i64.add, drop | i32.add, drop | i32.add, drop |
    // loop, nop, end, drop
    assert_eq!(stats.dead_instructions, 15, "{stats}");
    // A function the `modules` fuzz target generated (minimized): wasm3 cannot compile its
    // dead code, and leaked 16 bytes refusing it (fuzz/findings).
    let module = wasm(&format!(
        r#"(module {PRINT} (data (i32.const 32) "ok\n")
          (global (mut i32) i32.const 0) (global (mut i64) i64.const 0)
          (global (mut i32) i32.const 2000)
          (func $f
            global.get 2 if end
            unreachable
            block (result f32)
              loop (result f64)
                global.get 2 if end
                i32.const 1 f64.load align=1 f64.const 3 f32.const 4 br 1
                f64.le i64.load8_s i64.gt_u unreachable
              end
              i64.reinterpret_f64 global.get 1 i64.xor global.set 1
              f32.const 5
            end
            i32.reinterpret_f32 global.set 0)
          (func (export "_start") (call $print (i32.const 32) (i32.const 3))))"#
    ));
    let out = run("dead-fuzz", &module, &["--no-lower"]);
    expect(&out, 65, "", "no operation found for opcode");
    expect(&run("dead-fuzz", &module, &[]), 0, "ok\n", "");
}

#[test]
fn start_must_take_and_return_nothing() {
    for (name, start) in [
        ("start-param", r#"(func (export "_start") (param i32))"#),
        (
            "start-result",
            r#"(func (export "_start") (result i32) i32.const 0)"#,
        ),
    ] {
        let out = run(name, &wasm(&format!("(module {start})")), &[]);
        expect(
            &out,
            65,
            "",
            "_start must take no parameters and return nothing",
        );
    }
    // The library refuses a call with the wrong number of arguments before running it.
    let module = wasm(r#"(module (func (export "f") (param i32) (result i32) local.get 0))"#);
    let mut ctx = ();
    let mut rt = Runtime::new(&module, &mut ctx, STACK).unwrap();
    assert_eq!(rt.call("f", &[]), Err(CallError::BadArgument));
    assert_eq!(rt.call("f", &[1, 2]), Err(CallError::BadArgument));
    assert_eq!(rt.call("f", &[3]), Ok(Some(3)));
}

#[test]
fn what_cannot_be_lowered_is_refused_with_its_name() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "multi-value-func",
            r#"(func (export "_start") (result i32 i32) i32.const 1 i32.const 2)"#,
            "multi-value",
        ),
        (
            "multi-value-block",
            r#"(func (export "_start") (block (param i32) drop))"#,
            "multi-value",
        ),
        (
            "simd",
            r#"(func (export "_start") v128.const i64x2 0 0 drop)"#,
            "simd",
        ),
        (
            "shared-memory",
            r#"(memory 1 1 shared) (func (export "_start"))"#,
            "threads",
        ),
        (
            "atomics",
            r#"(memory 1) (func (export "_start") i32.const 0 i32.atomic.load drop)"#,
            "threads",
        ),
        (
            "ref-null",
            r#"(func (export "_start") ref.null func drop)"#,
            "reference-types (ref.null)",
        ),
        (
            "table-get",
            r#"(table 1 funcref) (func (export "_start") i32.const 0 table.get 0 drop)"#,
            "reference-types (table.get)",
        ),
        (
            "externref",
            r#"(func (export "_start")) (func (param externref))"#,
            "reference-types",
        ),
        (
            "two-tables",
            r#"(table 1 funcref) (table 1 funcref) (func (export "_start"))"#,
            "reference-types (several tables)",
        ),
        (
            "tail-call",
            r#"(func $f) (func (export "_start") return_call $f)"#,
            "tail-call",
        ),
        (
            "exceptions",
            r#"(tag $e) (func (export "_start") throw $e)"#,
            "exceptions",
        ),
        (
            "memory64",
            r#"(memory i64 1) (func (export "_start"))"#,
            "memory64",
        ),
        (
            "multi-memory",
            r#"(memory 1) (memory 1) (func (export "_start"))"#,
            "multi-memory",
        ),
        (
            "memory-init",
            r#"(memory 1) (data "x")
               (func (export "_start") i32.const 0 i32.const 0 i32.const 1 memory.init 0)"#,
            "bulk-memory (memory.init)",
        ),
        (
            "table-init",
            r#"(table 1 funcref) (elem func)
               (func (export "_start") i32.const 0 i32.const 0 i32.const 0 table.init 0)"#,
            "bulk-memory (table.init)",
        ),
        (
            "table-copy",
            r#"(table 1 funcref)
               (func (export "_start") i32.const 0 i32.const 0 i32.const 0 table.copy)"#,
            "bulk-memory (table.copy)",
        ),
        (
            "extended-const",
            r#"(global i32 (i32.add (i32.const 1) (i32.const 2))) (func (export "_start"))"#,
            "a post-MVP proposal",
        ),
    ];
    for (name, body, feature) in cases {
        let module = wasm(&format!("(module {body})"));
        let out = run(name, &module, &[]);
        expect(
            &out,
            65,
            "",
            &format!("unsupported by wasm3 0.4.7: {feature}: "),
        );
        let err = lower(&module).unwrap_err();
        assert_eq!(err.unsupported, Some(*feature), "{name}: {err}");
    }
    // A typed `select` of a number is plain `select`.
    let module = wasm(
        r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (func (export "_start")
            (call $exit (select (result i32) (i32.const 3) (i32.const 4) (i32.const 1)))))"#,
    );
    expect(&run("typed-select", &module, &[]), 3, "", "");
}

#[test]
fn invalid_input_is_an_error_never_a_panic() {
    for bad in [
        &b""[..],
        b"\0asm",
        b"\0asm\x01\0\0\0\x01\xff",
        b"\0asm\x02\0\0\0",
    ] {
        let err = lower(bad).unwrap_err();
        assert_eq!(err.unsupported, None, "{err}");
    }
    // Every truncation and every single-byte change of two small modules: an error or a
    // module that validates.
    for module in [padded_module(), wasm(HELPERS)] {
        for len in 0..module.len() {
            if let Ok(out) = lower(&module[..len]) {
                guestmem_wasm3::validate(&out).unwrap();
            }
        }
        for at in 0..module.len() {
            for byte in [0x00, 0x01, 0x0b, 0x41, 0x7f, 0x80, 0xfc, 0xff] {
                let mut m = module.clone();
                m[at] = byte;
                if let Ok(out) = lower(&m) {
                    guestmem_wasm3::validate(&out).unwrap();
                }
            }
        }
    }
    let garbage = run("garbage", b"\0asm\x01\0\0\0\x01\xff", &[]);
    expect(&garbage, 65, "", "invalid module: ");
}

#[test]
fn lower_command_writes_the_lowered_module() {
    let input = temp_module("cmd-in", &padded_module());
    let output = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lower-cmd-out.wasm");
    let output = output.to_str().unwrap();
    let out = cli(&["lower", &input, output]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("re-encoded only"),
        "{}",
        text(&out.stdout)
    );
    let lowered = std::fs::read(output).unwrap();
    assert_eq!(lowered, lower(&padded_module()).unwrap());
    // The written module runs without lowering, and `check` accepts it as it is.
    expect(&cli(&["run", output, "--no-lower"]), 42, "", "");
    assert_eq!(cli(&["check", output]).status.code(), Some(0));
    assert_eq!(cli(&["check", &input]).status.code(), Some(65));
    let checked = cli(&["check", "--lower", &input]);
    assert_eq!(checked.status.code(), Some(0));
    assert!(text(&checked.stdout).contains("ok for wasm3 0.4.7 once lowered"));
    // Errors: usage 64, a bad module 65, an unwritable output 73.
    assert_eq!(cli(&["lower", &input]).status.code(), Some(64));
    let simd = temp_module(
        "cmd-simd",
        &wasm(r#"(module (func v128.const i64x2 0 0 drop))"#),
    );
    let out = cli(&["lower", &simd, output]);
    expect(&out, 65, "", "unsupported by wasm3 0.4.7: simd: ");
    let out = cli(&["lower", &input, "/nonexistent/dir/out.wasm"]);
    assert_eq!(out.status.code(), Some(73));
}

// The WASI test suite's prebuilt binaries (C and AssemblyScript), run as shipped.

/// Every module of the WASI test suite's folders in `GUESTMEM_WASI_TESTSUITE` (default
/// `../shared/wasi-testsuite` beside the workspace) lowers into a module `validate` accepts. Whether each then passes its test is
/// `cargo xtask wasi-testsuite`'s job (a step of `cargo xtask test`). Skipped without the folder.
#[test]
fn wasi_testsuite_prebuilt_binaries_all_lower() {
    let root = std::env::var_os("GUESTMEM_WASI_TESTSUITE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/wasi-testsuite"),
        PathBuf::from,
    );
    if !root.is_dir() {
        eprintln!("skipped: no WASI test suite at {}", root.display());
        return;
    }
    let mut modules = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && path.extension().is_none_or(|e| e != "dir") {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "wasm") {
                modules.push(path);
            }
        }
    }
    assert!(modules.len() >= 26, "{} modules", modules.len());
    for module in &modules {
        let bytes = std::fs::read(module).unwrap();
        let name = module.display();
        let lowered = lower(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Err(e) = guestmem_wasm3::validate(&lowered) {
            panic!("{name}: lowered, still refused: {e}");
        }
    }
}
