//! The panic handler when the image cannot be proven panic-free (wasmi keeps panics on
//! paths validation excludes, see README.md): report through semihosting and exit 101.

use cortex_m_semihosting::hprintln;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    hprintln!("fw: panic: {}", info);
    crate::semihosting::exit(101)
}
