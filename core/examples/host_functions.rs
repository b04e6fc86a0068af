//! Host functions written with guestmem, called the way an interpreter calls them: with guest
//! offsets only. Shows an honest guest and a hostile one against the same functions.
//!
//! Run it with `cargo run -p guestmem --example host_functions`.

// Example code: the guest side indexes its own buffer freely.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::expect_used
)]

use guestmem::{guest_struct, GuestError, GuestFrame, GuestPtr, Region};

guest_struct! {
    /// A WASI `ciovec`: where a buffer the guest wants written is, and how long it is.
    #[derive(Debug, Clone, Copy)]
    struct Iovec<'a> {
        buf: GuestPtr<'a, u8>,
        buf_len: u32,
    }
}

/// `fd_write(fd, iovs, iovs_len, nwritten) -> errno`, writing to the host's stdout.
fn fd_write(
    mem: &GuestFrame<'_>,
    iovs: u32,
    iovs_len: u32,
    nwritten: u32,
) -> Result<u32, GuestError> {
    let iovs = GuestPtr::<[Iovec<'_>]>::new(mem, (iovs, iovs_len));
    // Refuse a bad array before doing anything: no partial effects.
    iovs.validate()?;
    let mut total = 0u32;
    let mut out = String::new();
    for iov in iovs.iter() {
        let Iovec { buf, buf_len } = iov?.read()?;
        // Borrowed, not copied: the view is checked once and recorded while it lives.
        let text = GuestPtr::<str>::new(mem, (buf.offset(), buf_len)).as_str()?;
        out.push_str(&text);
        total = total.checked_add(buf_len).ok_or(GuestError::PtrOverflow)?;
    }
    GuestPtr::<u32>::new(mem, nwritten).write(total)?;
    print!("{out}");
    Ok(total)
}

/// Lays out two iovecs in guest memory, as a guest's C library would.
fn honest_guest(memory: &mut [u8]) {
    memory[64..83].copy_from_slice(b"hello from a guest\n");
    memory[96..131].copy_from_slice(b"every pointer checked, none cached\n");
    let iovs: [(u32, u32); 2] = [(64, 19), (96, 35)];
    for (i, (buf, len)) in iovs.into_iter().enumerate() {
        let at = 16 + i * 8;
        memory[at..at + 4].copy_from_slice(&buf.to_le_bytes());
        memory[at + 4..at + 8].copy_from_slice(&len.to_le_bytes());
    }
}

fn main() {
    let mut memory = vec![0u8; 256];
    honest_guest(&mut memory);
    let mem = GuestFrame::new(memory.as_mut_slice());

    println!("honest guest: fd_write(1, iovs=16, iovs_len=2, nwritten=8)");
    let written = fd_write(&mem, 16, 2, 8);
    let nwritten = GuestPtr::<u32>::new(&mem, 8).read();
    println!("  -> {written:?}; *nwritten = {nwritten:?}\n");
    assert_eq!((written, nwritten), (Ok(54), Ok(54)));

    println!("hostile guest: the same function, bad arguments");
    let attacks = [
        (
            "iovec array past the end of memory",
            (248, 2, 8),
            GuestError::PtrOutOfBounds(Region::new(248, 16)),
        ),
        (
            "iovec count that overflows 32 bits",
            (16, 0x2000_0000, 8),
            GuestError::PtrOverflow,
        ),
        (
            "misaligned out-pointer",
            (16, 2, 9),
            GuestError::PtrNotAligned(Region::new(9, 4), 4),
        ),
        (
            "out-pointer at u32::MAX",
            (16, 2, u32::MAX),
            GuestError::PtrOverflow,
        ),
        (
            "iovec array at a misaligned offset",
            (17, 1, 8),
            GuestError::PtrNotAligned(Region::new(17, 8), 4),
        ),
    ];
    for (what, (iovs, len, nwritten), expected) in attacks {
        let result = fd_write(&mem, iovs, len, nwritten);
        match result {
            Ok(n) => println!("  {what}: wrote {n} bytes (unexpected)"),
            Err(e) => println!("  {what}: refused: {e}"),
        }
        assert_eq!(result, Err(expected), "{what}");
    }
    // An iovec whose buffer runs off the end of memory, written by the guest at offset 32.
    GuestPtr::<Iovec<'_>>::new(&mem, 32)
        .write(Iovec {
            buf: GuestPtr::new(&mem, 200),
            buf_len: 100,
        })
        .expect("offset 32 is inside memory");
    let result = fd_write(&mem, 32, 1, 8);
    match result {
        Ok(n) => println!("  iovec buffer past the end: wrote {n} bytes (unexpected)"),
        Err(e) => println!("  iovec buffer past the end: refused: {e}"),
    }
    assert_eq!(
        result,
        Err(GuestError::PtrOutOfBounds(Region::new(200, 100)))
    );
    println!("\nthe host is still running: every bad pointer became an error, none a fault");
}
