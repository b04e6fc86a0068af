//! From [`GuestError`] to what the guest sees: a WASI-like error number, or a trap.
//!
//! WASI's rule for pointer arguments (the witx documentation): a function that is passed a
//! misaligned pointer, or an out-of-bounds pointer it needs to dereference, traps — the guest
//! is broken, and an error number it might ignore would hide that. Every other failure is an
//! `errno` the guest can handle. wasmtime's WASI draws the line in the same place; this
//! example does it with one `From<GuestError>` impl, so host functions just use `?`.
//!
//! Run it with `cargo run -p guestmem --example errno`.

use guestmem::{guest_flags, GuestError, GuestFrame, GuestPtr, Region};

/// The WASI (preview 1) error numbers this host returns, with their values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
enum Errno {
    /// Bad address: a pointer the host cannot use, short of a trap.
    Fault = 21,
    /// Illegal byte sequence: a string that is not UTF-8.
    Ilseq = 25,
    /// Invalid argument: an undefined enum value or flag bit.
    Inval = 28,
    /// Filename too long.
    Nametoolong = 37,
    /// No buffer space available: guest data larger than the host's fixed buffer.
    Nobufs = 42,
    /// No such file or directory.
    Noent = 44,
}

impl Errno {
    /// The number the guest sees.
    fn raw(self) -> u16 {
        #[allow(clippy::as_conversions)] // a `repr(u16)` enum without fields: its discriminant
        let raw = self as u16;
        raw
    }
}

/// How a host function fails: an error number for the guest, or a trap that ends it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum HostError {
    Errno(Errno),
    Trap(GuestError),
}

impl From<Errno> for HostError {
    fn from(e: Errno) -> Self {
        HostError::Errno(e)
    }
}

impl From<GuestError> for HostError {
    fn from(e: GuestError) -> Self {
        match e {
            // The pointer rule: these are broken guests.
            GuestError::PtrOverflow
            | GuestError::PtrOutOfBounds(_)
            | GuestError::PtrNotAligned(..) => HostError::Trap(e),
            // Well-formed pointers to bad data.
            GuestError::InvalidUtf8(_) => Errno::Ilseq.into(),
            GuestError::InvalidEnumValue(..) | GuestError::InvalidFlagValue(..) => {
                Errno::Inval.into()
            }
            // A guest argument bigger than this host supports. A function that knows better
            // (a path: `Nametoolong`) maps it itself before `?`, as `path_open` does below.
            GuestError::BufferTooSmall { .. } => Errno::Nobufs.into(),
            // Overlapping arguments that the host lends as views (an output buffer over an
            // input string), or more views than the table holds: the guest passed regions
            // the host cannot use at once. `Fault`, as wasmtime says for its borrow errors.
            GuestError::BorrowConflict(_) | GuestError::TooManyBorrows(_) => Errno::Fault.into(),
            // A host bug (copying between slices of different lengths); the guest gets
            // `Fault` rather than a trap it did not cause.
            GuestError::SliceLengthsDiffer => Errno::Fault.into(),
            // `GuestError` is `#[non_exhaustive]`: a variant added by a later guestmem.
            _ => Errno::Fault.into(),
        }
    }
}

guest_flags! {
    /// WASI `oflags`.
    struct OFlags: u16 {
        const CREAT = 1 << 0;
        const DIRECTORY = 1 << 1;
        const EXCL = 1 << 2;
        const TRUNC = 1 << 3;
    }
}

/// The host's files: a name and a descriptor each.
const FILES: [(&str, u32); 2] = [("config.toml", 3), ("log/boot.txt", 4)];
/// The descriptor a created file gets.
const CREATED_FD: u32 = 5;

/// `path_open(path, path_len, oflags, fd_out) -> errno`, shortened: opens a file by name and
/// stores its descriptor at `fd_out`.
fn path_open(
    mem: &GuestFrame<'_>,
    path: u32,
    path_len: u32,
    oflags: u16,
    fd_out: u32,
) -> Result<(), HostError> {
    let oflags = OFlags::from_raw(oflags)?;
    let mut buf = [0u8; 32];
    let path = GuestPtr::<str>::new(mem, (path, path_len))
        .copy_to_buf(&mut buf)
        .map_err(|e| match e {
            GuestError::BufferTooSmall { .. } => HostError::Errno(Errno::Nametoolong),
            e => e.into(),
        })?;
    let fd_out = GuestPtr::<u32>::new(mem, fd_out);
    fd_out.as_array(1).validate_write()?;
    let fd = match FILES.iter().find(|(name, _)| *name == path) {
        Some(&(_, fd)) => fd,
        None if oflags.contains(OFlags::CREAT) => CREATED_FD,
        None => return Err(Errno::Noent.into()),
    };
    fd_out.write(fd)?;
    Ok(())
}

/// What the interpreter's glue does with the result: `Ok(errno)` goes back to the guest as the
/// function's `i32` result (0 for success), `Err` traps.
fn to_wasm(result: Result<(), HostError>) -> Result<i32, GuestError> {
    match result {
        Ok(()) => Ok(0),
        Err(HostError::Errno(e)) => Ok(i32::from(e.raw())),
        Err(HostError::Trap(e)) => Err(e),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut memory = [0u8; 256];
    let mem = GuestFrame::new(&mut memory);
    let mut at = 16;
    let mut put = |s: &[u8]| -> Result<(u32, u32), GuestError> {
        let len = u32::try_from(s.len()).map_err(|_| GuestError::PtrOverflow)?;
        GuestPtr::<u8>::new(&mem, at)
            .as_array(len)
            .copy_from_slice(s)?;
        let placed = (at, len);
        at = at.checked_add(64).ok_or(GuestError::PtrOverflow)?;
        Ok(placed)
    };
    let config = put(b"config.toml")?;
    let missing = put(b"missing.txt")?;
    let long = put(b"a/very/long/path/that/is/longer/than/the/host/buffer")?;
    let bad = put(b"config\xff.toml")?;
    let fd_out = 8;

    let calls = [
        ("open config.toml", config, 0, fd_out, Ok(0)),
        ("open missing.txt", missing, 0, fd_out, Ok(44)),
        ("create missing.txt", missing, 1, fd_out, Ok(0)),
        ("undefined oflags bit", config, 0x100, fd_out, Ok(28)),
        (
            "path longer than the host's buffer",
            long,
            0,
            fd_out,
            Ok(37),
        ),
        ("path not UTF-8", bad, 0, fd_out, Ok(25)),
        (
            "path past the end of memory",
            (250, 11),
            0,
            fd_out,
            Err(GuestError::PtrOutOfBounds(Region::new(250, 11))),
        ),
        (
            "misaligned fd_out",
            config,
            0,
            9,
            Err(GuestError::PtrNotAligned(Region::new(9, 4), 4)),
        ),
    ];
    for (what, (path, len), oflags, out, expected) in calls {
        let got = to_wasm(path_open(&mem, path, len, oflags, out));
        match got {
            Ok(errno) => println!("{what}: errno {errno}"),
            Err(e) => println!("{what}: trap ({e})"),
        }
        assert_eq!(got, expected, "{what}");
    }
    // The last success created a file: its descriptor is at `fd_out`.
    assert_eq!(GuestPtr::<u32>::new(&mem, fd_out).read()?, CREATED_FD);

    // The whole mapping, one value of each variant.
    // (A `Utf8Error` comes only from a failed conversion: take the path's.)
    let Err(invalid_utf8) = GuestPtr::<str>::new(&mem, bad).copy_to_buf(&mut [0u8; 32]) else {
        return Err("the path at `bad` is UTF-8".into());
    };
    assert!(matches!(invalid_utf8, GuestError::InvalidUtf8(_)));
    let r = Region::new(0, 4);
    let table = [
        (
            GuestError::PtrOverflow,
            HostError::Trap(GuestError::PtrOverflow),
        ),
        (
            GuestError::PtrOutOfBounds(r),
            HostError::Trap(GuestError::PtrOutOfBounds(r)),
        ),
        (
            GuestError::PtrNotAligned(r, 4),
            HostError::Trap(GuestError::PtrNotAligned(r, 4)),
        ),
        (invalid_utf8, HostError::Errno(Errno::Ilseq)),
        (
            GuestError::InvalidEnumValue("Whence", 7),
            HostError::Errno(Errno::Inval),
        ),
        (
            GuestError::InvalidFlagValue("OFlags", 0x100),
            HostError::Errno(Errno::Inval),
        ),
        (
            GuestError::SliceLengthsDiffer,
            HostError::Errno(Errno::Fault),
        ),
        (
            GuestError::BufferTooSmall {
                needed: 40,
                available: 32,
            },
            HostError::Errno(Errno::Nobufs),
        ),
        (
            GuestError::BorrowConflict(r),
            HostError::Errno(Errno::Fault),
        ),
        (
            GuestError::TooManyBorrows(r),
            HostError::Errno(Errno::Fault),
        ),
    ];
    for (error, outcome) in table {
        println!("{error:?} -> {outcome:?}");
        assert_eq!(HostError::from(error), outcome);
    }

    println!("errno: all checks passed");
    Ok(())
}
