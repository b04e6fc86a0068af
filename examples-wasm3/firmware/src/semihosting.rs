//! What the firmware asks of the host through semihosting: its command line and the exit
//! status. (Output goes through `cortex_m_semihosting::hio`.)

use cortex_m_semihosting::{nr, syscall1};

/// `SYS_EXIT_EXTENDED`: exit with a status (plain `SYS_EXIT` carries only success/failure).
const SYS_EXIT_EXTENDED: usize = 0x20;
/// `ADP_Stopped_ApplicationExit`: the reason code for a normal exit.
const ADP_STOPPED_APPLICATION_EXIT: u32 = 0x2_0026;

/// The command line QEMU gives the program: the kernel's path, then what `-append` holds.
/// Returns the bytes written into `buf`.
pub(crate) fn command_line(buf: &mut [u8]) -> &[u8] {
    let capacity = u32::try_from(buf.len()).unwrap_or(u32::MAX);
    let address = u32::try_from(buf.as_mut_ptr().expose_provenance()).unwrap_or(0);
    let mut block: [u32; 2] = [address, capacity];
    let block_address = block.as_mut_ptr().expose_provenance();
    // SAFETY: SYS_GET_CMDLINE writes at most `capacity` bytes (NUL included) into `buf` and the
    // length into `block[1]`; both are live, writable and exposed above. It returns non-zero
    // on failure, e.g. without semihosting.
    let failed = unsafe { syscall1(nr::GET_CMDLINE, block_address) } != 0;
    let [_, written] = block;
    if failed {
        return &[];
    }
    let written = usize::try_from(written).unwrap_or(0);
    buf.get(..written).unwrap_or(&[])
}

/// Ends the program: QEMU exits with `status & 0xff`.
pub(crate) fn exit(status: u32) -> ! {
    let block: [u32; 2] = [ADP_STOPPED_APPLICATION_EXIT, status];
    let block_address = block.as_ptr().expose_provenance();
    // SAFETY: SYS_EXIT_EXTENDED reads the two words of `block`, which is live and exposed.
    unsafe { syscall1(SYS_EXIT_EXTENDED, block_address) };
    // Only reached without a semihosting host.
    loop {
        cortex_m::asm::wfi();
    }
}
