//! WASI preview0 (`wasi_unstable`) beside preview1: modules importing either name or both run,
//! through the library and the CLI (guestmem's WASI on both engines); `fd_seek` and
//! `poll_oneoff` answer each name with its own numbering and layout.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::arithmetic_side_effects
)]

use std::path::PathBuf;
use std::process::Command;

use guestmem::GuestPtr;
use guestmem_wasm3::wasi::{self, Errno, HasWasi, Stdio, WasiCtx, WasiHost};
use guestmem_wasm3::{CallError, HostFunc, Runtime};

const STACK: u32 = 64 * 1024;

fn wasm(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap()
}

/// Captured output, and the sleeps asked for.
#[derive(Default)]
struct Host {
    out: Vec<u8>,
    sleeps: Vec<u64>,
}

impl WasiHost for Host {
    fn write(&mut self, _stream: Stdio, bufs: &[&[u8]]) -> Result<usize, Errno> {
        let mut n = 0;
        for b in bufs {
            self.out.extend_from_slice(b);
            n += b.len();
        }
        Ok(n)
    }

    fn sleep(&mut self, ns: u64) -> Result<(), Errno> {
        self.sleeps.push(ns);
        Ok(())
    }
}

/// Both lists: preview1's and preview0's.
fn both<C: HasWasi>() -> Vec<HostFunc<C>> {
    let mut fs = wasi::functions().to_vec();
    fs.extend(wasi::functions_preview0());
    fs
}

const HELLO_P0: &str = r#"(module
  (import "wasi_unstable" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "hello, preview0\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 16))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (i32.const 4))))"#;

#[test]
fn a_wasi_unstable_module_runs() {
    let bytes = wasm(HELLO_P0);
    let mut ctx = WasiCtx::new(Host::default());
    let mut rt = Runtime::new(&bytes, &mut ctx, STACK).unwrap();
    // preview1's list alone does not link it.
    rt.link_all(&wasi::functions()).unwrap();
    assert_eq!(rt.unlinked_imports().count(), 2);
    rt.link_all(&wasi::functions_preview0()).unwrap();
    assert_eq!(rt.unlinked_imports().count(), 0);
    assert_eq!(rt.call("_start", &[]), Err(CallError::Exit));
    drop(rt);
    assert_eq!(ctx.exit_code(), Some(4));
    assert_eq!(ctx.host().out, b"hello, preview0\n");
}

/// A module importing `fd_seek` and `poll_oneoff` under both names. Memory: a preview1
/// subscription at 0 (48 bytes), a preview0 one at 64 (56 bytes), events at 256 (preview1)
/// and 320 (preview0), the event counts at 400 and 404.
const BOTH: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_seek" (func $seek1 (param i32 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_seek" (func $seek0 (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll1 (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "poll_oneoff" (func $poll0 (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "sock_shutdown" (func $shut0 (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_shutdown" (func $shut1 (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "seek1") (param i32 i32) (result i32)
    (call $seek1 (local.get 0) (i64.const 0) (local.get 1) (i32.const 504)))
  (func (export "seek0") (param i32 i32) (result i32)
    (call $seek0 (local.get 0) (i64.const 0) (local.get 1) (i32.const 504)))
  (func (export "poll1") (param i32) (result i32)
    (call $poll1 (local.get 0) (i32.const 256) (i32.const 1) (i32.const 400)))
  (func (export "poll0") (param i32) (result i32)
    (call $poll0 (local.get 0) (i32.const 320) (i32.const 1) (i32.const 404)))
  (func (export "shut") (param i32) (result i32)
    (i32.add (i32.mul (call $shut0 (local.get 0) (i32.const 3)) (i32.const 256))
             (call $shut1 (local.get 0) (i32.const 3)))))"#;

fn errno(e: Errno) -> Option<u64> {
    Some(u64::from(e.to_raw()))
}

#[test]
fn a_module_importing_both_names() {
    let bytes = wasm(BOTH);
    let mut ctx = WasiCtx::new(Host::default());
    let mut rt = Runtime::new(&bytes, &mut ctx, STACK).unwrap();
    rt.link_all(&both()).unwrap();
    assert_eq!(rt.unlinked_imports().count(), 0);

    // fd_seek: each name's three whence values are valid (the standard streams are not
    // seekable: ESPIPE), the next one is EINVAL, a closed fd EBADF.
    for f in ["seek0", "seek1"] {
        for whence in 0..3 {
            assert_eq!(
                rt.call(f, &[1, whence]),
                Ok(errno(Errno::Spipe)),
                "{f} {whence}"
            );
        }
        for whence in [3, 0xFF, u64::from(u32::MAX)] {
            assert_eq!(
                rt.call(f, &[1, whence]),
                Ok(errno(Errno::Inval)),
                "{f} {whence}"
            );
        }
        assert_eq!(rt.call(f, &[9, 0]), Ok(errno(Errno::Badf)), "{f}");
    }

    // poll_oneoff: a relative monotonic clock of 1 ms in each name's layout.
    {
        let mem = rt.memory();
        let put = |at: u32, v: u64| GuestPtr::<u64>::new(&mem, at).write(v).unwrap();
        // preview1: userdata 0x11, tag clock, id monotonic at 16, timeout at 24.
        put(0, 0x11);
        put(16, 1);
        put(24, 1_000_000);
        // preview0: userdata 0x22, tag clock, identifier at 80, id at 88, timeout at 96.
        put(64, 0x22);
        put(80, 0x99);
        put(88, 1);
        put(96, 2_000_000);
    }
    assert_eq!(rt.call("poll1", &[0]), Ok(errno(Errno::Success)));
    assert_eq!(rt.call("poll0", &[64]), Ok(errno(Errno::Success)));
    {
        let mem = rt.memory();
        let get = |at: u32| GuestPtr::<u64>::new(&mem, at).read().unwrap();
        // One event each: userdata, then error 0 and type clock (0).
        assert_eq!((get(256), get(264), get(320), get(328)), (0x11, 0, 0x22, 0));
        assert_eq!(GuestPtr::<u64>::new(&mem, 400).read(), Ok(1 | (1 << 32)));
    }
    // Each layout read with the other's fails: preview0 sees the preview1 timeout where its
    // clock id is (EINVAL); preview1 sees the preview0 identifier 0x99 as its clock id.
    assert_eq!(rt.call("poll0", &[0]), Ok(errno(Errno::Inval)));
    assert_eq!(rt.call("poll1", &[64]), Ok(errno(Errno::Inval)));

    // sock_shutdown under both names: ENOTSOCK on stdout, EBADF on a closed fd.
    let notsock = u64::from(Errno::Notsock.to_raw());
    let badf = u64::from(Errno::Badf.to_raw());
    assert_eq!(rt.call("shut", &[1]), Ok(Some(notsock * 256 + notsock)));
    assert_eq!(rt.call("shut", &[5]), Ok(Some(badf * 256 + badf)));
    drop(rt);
    assert_eq!(ctx.host().sleeps, [1_000_000, 2_000_000]);
}

fn temp_module(name: &str, bytes: &[u8]) -> String {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("preview0-{name}.wasm"));
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn the_cli_runs_preview0_and_mixed_modules_with_either_wasi_and_on_wasmi() {
    // A module that writes through both names, and sleeps 1 ms through preview0.
    let mixed = wasm(
        r#"(module
      (import "wasi_unstable" "fd_write" (func $w0 (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $w1 (param i32 i32 i32 i32) (result i32)))
      (import "wasi_unstable" "poll_oneoff" (func $poll0 (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 200) "zero\none\n")
      (func (export "_start")
        (i64.store (i32.const 88) (i64.const 1))
        (i64.store (i32.const 96) (i64.const 1000000))
        (if (call $poll0 (i32.const 64) (i32.const 256) (i32.const 1) (i32.const 400)) (then unreachable))
        (i32.store (i32.const 0) (i32.const 200)) (i32.store (i32.const 4) (i32.const 5))
        (drop (call $w0 (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (i32.store (i32.const 0) (i32.const 205)) (i32.store (i32.const 4) (i32.const 4))
        (drop (call $w1 (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
    );
    let hello = temp_module("hello", &wasm(HELLO_P0));
    let mixed = temp_module("mixed", &mixed);
    let checked = env!("CARGO_BIN_EXE_guestmem-wasm3");
    let runs: [(&str, &[&str]); 2] = [(checked, &[]), (checked, &["--engine", "wasmi"])];
    for (bin, how) in runs {
        let wasi = format!("{bin} {}", how.join(" "));
        let out = Command::new(bin)
            .arg("run")
            .args(how)
            .arg(&hello)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{wasi}: {stderr}");
        assert_eq!(out.stdout, b"hello, preview0\n", "{wasi}");
        let out = Command::new(bin)
            .arg("run")
            .args(how)
            .arg(&mixed)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{wasi}: {stderr}");
        assert_eq!(out.stdout, b"zero\none\n", "{wasi}");
    }
}

#[test]
fn preview0_filestat_has_a_32_bit_nlink_on_both_engines() {
    // `path_filestat_get` of preview0 writes 56 bytes: filetype at 16, nlink (u32) at 20,
    // size at 24; the 8 bytes after them stay as they were.
    let module = wasm(
        r#"(module
      (import "wasi_unstable" "path_filestat_get" (func $stat (param i32 i32 i32 i32 i32) (result i32)))
      (import "wasi_unstable" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (data (i32.const 0) "f")
      (func (export "_start")
        (i64.store (i32.const 160) (i64.const -1))
        (if (call $stat (i32.const 3) (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 104))
          (then (call $exit (i32.const 10))))
        (if (i32.ne (i32.load8_u (i32.const 120)) (i32.const 4)) (then (call $exit (i32.const 11))))
        (if (i32.ne (i32.load (i32.const 124)) (i32.const 1)) (then (call $exit (i32.const 12))))
        (if (i64.ne (i64.load (i32.const 128)) (i64.const 5)) (then (call $exit (i32.const 13))))
        (if (i64.ne (i64.load (i32.const 160)) (i64.const -1)) (then (call $exit (i32.const 14))))))"#,
    );
    let module = temp_module("filestat", &module);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("preview0-filestat-dir");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("f"), b"12345").unwrap();
    let preopen = format!("{}::/", dir.display());
    for engine in ["wasm3", "wasmi"] {
        let out = Command::new(env!("CARGO_BIN_EXE_guestmem-wasm3"))
            .args(["run", "--engine", engine, "--dir", &preopen, &module])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{engine}: {stderr}");
    }
}
