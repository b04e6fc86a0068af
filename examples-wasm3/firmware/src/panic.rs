//! The panic handlers. In release builds no panic may be reachable: the handler calls a
//! function that does not exist, so the image does not link if any code path can still panic.

#[cfg(debug_assertions)]
use cortex_m_semihosting::hprintln;

/// In release builds no panic may be reachable: the handler calls a function that does not
/// exist, so the firmware does not link if any code path can still panic.
#[cfg(not(debug_assertions))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    extern "C" {
        /// Never defined: a link error names the panic that is still reachable.
        fn __firmware_panic_is_reachable() -> !;
    }
    // SAFETY: never runs: the symbol does not exist, so a release image that could call this
    // does not link.
    unsafe { __firmware_panic_is_reachable() }
}

/// Debug builds keep overflow checks and debug assertions: report and fail.
#[cfg(debug_assertions)]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    hprintln!("fw: panic: {}", info);
    crate::semihosting::exit(101)
}
