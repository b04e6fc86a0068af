//! libFuzzer entry point of target (c), `modules`: see `guestmem_fuzz::modules`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| guestmem_fuzz::modules::run(data));
