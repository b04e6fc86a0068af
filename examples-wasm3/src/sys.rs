//! The host OS boundary (`std` only): the process and thread CPU-time clocks, which the
//! standard library does not offer, through libc's `clock_gettime` and `clock_getres`. The
//! only `unsafe` of the crate outside the FFI module.

/// The CPU time of the process (`process = true`) or of the calling thread, in nanoseconds.
pub(crate) fn cpu_time_ns(process: bool) -> Option<u64> {
    cpu_clock_ns(process, libc::clock_gettime)
}

/// The resolution of the CPU time clocks, in nanoseconds.
pub(crate) fn cpu_time_res_ns(process: bool) -> Option<u64> {
    cpu_clock_ns(process, libc::clock_getres)
}

/// Asks `query` (`clock_gettime` or `clock_getres`) about a CPU time clock, in nanoseconds.
fn cpu_clock_ns(
    process: bool,
    query: unsafe extern "C" fn(libc::clockid_t, *mut libc::timespec) -> libc::c_int,
) -> Option<u64> {
    let clock = if process {
        libc::CLOCK_PROCESS_CPUTIME_ID
    } else {
        libc::CLOCK_THREAD_CPUTIME_ID
    };
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `query` is `clock_gettime` or `clock_getres` (the only callers pass these),
    // which write one `timespec` to a valid, writable pointer; the clock id is a constant of
    // this platform.
    let rc = unsafe { query(clock, &mut ts) };
    if rc != 0 {
        return None;
    }
    let secs = u64::try_from(ts.tv_sec).ok()?;
    let nanos = u64::try_from(ts.tv_nsec).ok()?;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_clocks_run() {
        let before = cpu_time_ns(true).unwrap();
        let mut x = 0u64;
        for i in 0..1_000_000u64 {
            x = std::hint::black_box(x.wrapping_add(i));
        }
        assert!(cpu_time_ns(true).unwrap() >= before);
        assert!(cpu_time_ns(false).is_some());
        assert!(cpu_time_res_ns(true).is_some_and(|r| r > 0));
        assert!(cpu_time_res_ns(false).is_some_and(|r| r > 0));
    }
}
