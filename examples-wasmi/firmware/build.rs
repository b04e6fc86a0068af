//! Build script of the wasmi firmware: writes the board's `memory.x` into `OUT_DIR` and passes
//! cortex-m-rt's `link.x` to the linker.

use std::env;
use std::fs;
use std::path::PathBuf;

/// mps2-an386 in QEMU: ZBT SSRAM1 (4 MiB) at 0 holds the code, SSRAM2/3 (4 MiB) the data.
const MPS2_AN386: &str = "MEMORY
{
  FLASH : ORIGIN = 0x00000000, LENGTH = 4M
  RAM   : ORIGIN = 0x20000000, LENGTH = 4M
}
";

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").unwrap_or_default());
    let target = env::var("TARGET").unwrap_or_default();
    println!("cargo:rerun-if-changed=build.rs");
    if env::var_os("CARGO_FEATURE_MPS2_AN386").is_none() || target != "thumbv7em-none-eabihf" {
        eprintln!("error: build with --features mps2-an386 --target thumbv7em-none-eabihf");
        std::process::exit(1);
    }
    if let Err(e) = fs::write(out.join("memory.x"), MPS2_AN386) {
        eprintln!("error: memory.x: {e}");
        std::process::exit(1);
    }
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg=-Tlink.x");
}
