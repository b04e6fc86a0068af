//! libFuzzer entry point of target (b), `wasi_calls`: see `guestmem_fuzz::wasi_calls`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| guestmem_fuzz::wasi_calls::run(data));
