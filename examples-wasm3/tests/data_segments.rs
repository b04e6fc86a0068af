//! Active data segments must lie inside the initial memory: wasm3 0.4.7 sign-extends the offset
//! in its own check, so a segment at a negative offset is copied before the memory, over
//! wasm3's header and heap — a guest escaping its sandbox (a fuzz finding of the `modules`
//! target, `fuzz/findings/`). Validation refuses such modules, as instantiation must fail.
#![cfg(feature = "validate")]
#![allow(clippy::unwrap_used, missing_docs)]

fn module(data: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module (memory 1) {data} (func (export "_start")))"#
    ))
    .unwrap()
}

#[test]
fn a_segment_at_a_negative_offset_is_refused() {
    let err = guestmem_wasm3::validate(&module(r#"(data (i32.const -8) "AAAAAAAA")"#)).unwrap_err();
    assert!(err.message.contains("data segment out of bounds"), "{err}");
    // Also once lowered: what the CLI runs.
    assert!(guestmem_wasm3::lower(&module(r#"(data (i32.const -8) "AAAAAAAA")"#)).is_err());
}

#[test]
fn a_segment_past_the_end_is_refused_and_one_at_the_end_accepted() {
    assert!(guestmem_wasm3::validate(&module(r#"(data (i32.const 65535) "AB")"#)).is_err());
    assert!(guestmem_wasm3::validate(&module(r#"(data (i32.const 65534) "AB")"#)).is_ok());
    assert!(guestmem_wasm3::validate(&module(r#"(data (i32.const 65536) "")"#)).is_ok());
    let no_memory = wat::parse_str(r#"(module (func (export "_start")))"#).unwrap();
    assert!(guestmem_wasm3::validate(&no_memory).is_ok());
}
