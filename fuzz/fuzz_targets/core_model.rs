//! libFuzzer entry point of target (a), `core_model`: see `guestmem_fuzz::core_model`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| guestmem_fuzz::core_model::run(data));
