//! The board under the guests: the WASI host (semihosting streams, a SysTick monotonic clock,
//! a seeded random generator) and the per-board constants.

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_rt::exception;
use cortex_m_semihosting::hio::{self, HostStream};
// `crate::wasi` is guestmem-wasi as each firmware names it (wasm3's and wasmi's share this file).
use crate::wasi::{ClockId, Errno, SeededRandom, Stdio, WasiHost};

#[cfg(feature = "mps2-an386")]
mod consts {
    /// The board's name.
    pub(crate) const NAME: &str = "mps2-an386 (Cortex-M4F)";
    /// QEMU clocks the an386's SysTick at 25 MHz.
    pub(crate) const NS_PER_TICK: u64 = 40;
}

#[cfg(feature = "lm3s6965evb")]
mod consts {
    /// The board's name.
    pub(crate) const NAME: &str = "lm3s6965evb (Cortex-M3)";
    /// QEMU clocks the Stellaris SysTick at 12.5 MHz after reset (RCC.SYSDIV = 15).
    pub(crate) const NS_PER_TICK: u64 = 80;
}

pub(crate) use consts::{NAME, NS_PER_TICK};

/// The SysTick reload value: the counter runs down from it, 2^24 ticks per wrap.
const RELOAD: u32 = 0x00FF_FFFF;

/// How many times SysTick wrapped.
static WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    WRAPS.fetch_add(1, Ordering::Relaxed);
}

/// Starts SysTick as a free-running 24-bit counter whose wraps [`SysTick`] counts.
pub(crate) fn start_clock(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Ticks since [`start_clock`]: wraps and the counter, read until no wrap came in between.
pub(crate) fn ticks() -> u64 {
    loop {
        let wraps = WRAPS.load(Ordering::SeqCst);
        let down = SYST::get_current();
        if WRAPS.load(Ordering::SeqCst) == wraps {
            let into = RELOAD.saturating_sub(down);
            return (u64::from(wraps) << 24) | u64::from(into);
        }
    }
}

/// The WASI host of the firmware: standard output and error through semihosting, no input,
/// a monotonic clock, and reproducible random bytes.
pub(crate) struct Board {
    stdout: Option<HostStream>,
    stderr: Option<HostStream>,
    random: SeededRandom,
    last_ns: u64,
}

impl Board {
    /// Opens the host's streams; `seed` starts the random generator.
    pub(crate) fn new(seed: u64) -> Self {
        Board {
            stdout: hio::hstdout().ok(),
            stderr: hio::hstderr().ok(),
            random: SeededRandom::new(seed),
            last_ns: 0,
        }
    }
}

impl WasiHost for Board {
    fn write(&mut self, stream: Stdio, bufs: &[&[u8]]) -> Result<usize, Errno> {
        #[cfg(feature = "bench")]
        if crate::sink::is_on() && stream != Stdio::Stdin {
            return Ok(bufs
                .iter()
                .fold(0usize, |n, b| n.saturating_add(crate::sink::take(b))));
        }
        let out = match stream {
            Stdio::Stdout => self.stdout.as_mut(),
            Stdio::Stderr => self.stderr.as_mut(),
            Stdio::Stdin => return Err(Errno::Badf),
        }
        .ok_or(Errno::Io)?;
        let mut written: usize = 0;
        for buf in bufs {
            out.write_all(buf).map_err(|()| Errno::Io)?;
            written = written.saturating_add(buf.len());
        }
        Ok(written)
    }

    fn clock_time(&mut self, clock: ClockId) -> Result<u64, Errno> {
        match clock {
            ClockId::Monotonic => {
                // Never backwards, even across a missed wrap.
                let now = ticks().saturating_mul(NS_PER_TICK).max(self.last_ns);
                self.last_ns = now;
                Ok(now)
            }
            _ => Err(Errno::Inval),
        }
    }

    fn clock_res(&mut self, clock: ClockId) -> Result<u64, Errno> {
        match clock {
            ClockId::Monotonic => Ok(NS_PER_TICK),
            _ => Err(Errno::Inval),
        }
    }

    fn random(&mut self, buf: &mut [u8]) -> Result<(), Errno> {
        self.random.fill(buf);
        Ok(())
    }
}
