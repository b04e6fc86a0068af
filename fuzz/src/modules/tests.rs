//! The harness's own tests: the repository's guests through the CLI's path, and generated
//! modules that load, link and run.

use super::*;

fn guest(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../examples-wasm3/guests/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_guests_run_as_with_the_cli() {
    for name in [
        "hello",
        "cat",
        "clocks",
        "raw",
        "bulk",
        "hostile",
        "grow",
        "rust-hello",
    ] {
        let end = run_module(&guest(name));
        assert!(
            matches!(end, End::Returned | End::Exited(_)),
            "{name}: {end:?}"
        );
    }
    assert_eq!(run_module(&guest("trap")), End::Trapped);
    assert_eq!(run_module(b"\0asm\x01\0\0\0"), End::Refused); // no _start
    assert_eq!(run_module(b"not a module"), End::Refused);
}

#[test]
fn generated_modules_run_to_an_end() {
    let mut ran = 0;
    for seed in 0u32..64 {
        // Bytes from a small xorshift: deterministic, varied.
        let mut x = seed.wrapping_mul(0x9E37_79B9) | 1;
        let data: Vec<u8> = (0..2048)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x.to_le_bytes()[0]
            })
            .collect();
        let Some(wasm) = generate(&data) else {
            continue;
        };
        if run_module(&wasm) != End::Refused {
            ran += 1;
        }
    }
    assert!(ran > 16, "only {ran} of 64 generated modules ran");
}
