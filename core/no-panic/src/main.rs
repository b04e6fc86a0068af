//! Calls every part of guestmem's public API on opaque inputs. Links only if no panic is
//! reachable from them: the panic handler needs a symbol that exists nowhere.
#![no_std]
#![no_main]

use core::hint::black_box;

use guestmem::{guest_enum, guest_flags, guest_struct, GuestError, GuestFrame, GuestPtr};

guest_struct! {
    struct Iovec<'a> {
        buf: GuestPtr<'a, u8>,
        buf_len: u32,
    }
}

guest_struct! {
    struct Padded {
        kind: Kind,
        size: u64,
        mode: Mode,
    }
}

guest_enum! {
    #[derive(Clone, Copy)]
    enum Kind: u8 { A = 0, B = 1, C = 7 }
}

guest_flags! {
    struct Mode: u16 { const R = 1; const W = 2; const X = 4; }
}

/// An input the optimizer knows nothing about.
fn opaque(x: u32) -> u32 {
    black_box(x)
}

fn keep<T>(x: T) {
    black_box(x);
}

fn exercise(mem: &GuestFrame<'_>) {
    let at = opaque(8);
    let len = opaque(16);

    // Scalars and pointers.
    let p = GuestPtr::<u32>::new(mem, at);
    keep(p.read());
    keep(p.write(opaque(1)));
    keep(p.add(opaque(3)));
    keep(p.cast::<u64>().read());
    keep(p.cast::<u64>().write(u64::from(opaque(2))));
    keep(p.cast::<u16>().read());
    keep(p.cast::<i8>().read());
    keep(p.cast::<f64>().read());
    keep(p.cast::<f32>().write(1.5));
    keep(p.cast::<GuestPtr<'_, u8>>().read().map(|q| q.read()));

    // Structs, enums, flags.
    let iov = GuestPtr::<Iovec<'_>>::new(mem, opaque(24));
    if let Ok(v) = iov.read() {
        keep(v.buf.as_array(v.buf_len).validate());
        keep(iov.write(v));
    }
    let padded = GuestPtr::<Padded>::new(mem, opaque(32));
    if let Ok(v) = padded.read() {
        keep(v.kind as u8);
        keep(v.mode.to_raw());
        keep(Mode::from_raw(opaque(5).try_into().unwrap_or(0)).map(Mode::to_raw));
        keep(v.size);
        keep(padded.write(v));
    }
    let iovs = GuestPtr::<[Iovec<'_>]>::new(mem, (opaque(40), opaque(3)));
    keep(iovs.to_heapless::<4>().map(|v| v.len()));
    for item in iovs.iter() {
        keep(item.map(|p| p.read().map(|v| v.buf_len)));
    }
    keep(iovs.get(opaque(1)).map(|p| p.offset()));
    if let Ok(items) = iovs.read_iter() {
        for item in items {
            keep(item.map(|v| v.buf_len));
        }
    }

    // Arrays.
    let bytes = GuestPtr::<[u8]>::new(mem, (at, len));
    let mut buf = [0u8; 16];
    keep(bytes.copy_to_slice(&mut buf));
    keep(bytes.copy_from_slice(&buf));
    keep(bytes.to_heapless::<32>().map(|v| v.len()));
    keep(bytes.validate());
    keep(bytes.validate_write());
    let mut spare = [core::mem::MaybeUninit::<u8>::uninit(); 16];
    keep(bytes.copy_to_uninit(&mut spare).map(|b| b.len()));
    keep(bytes.as_str_ptr().as_str().map(|t| t.len()));
    keep(GuestPtr::<[u8; 6]>::new(mem, at).read());
    keep(GuestPtr::<[u16; 3]>::new(mem, at).write([1, 2, 3]));
    let words = GuestPtr::<[u32]>::new(mem, (at, opaque(4)));
    let mut out = [0u32; 4];
    keep(words.copy_to_slice(&mut out));
    keep(words.copy_from_slice(&out));
    keep(words.to_heapless::<8>().map(|v| v.len()));
    if let Ok(view) = words.as_slice() {
        keep(view.first().copied());
    }
    if let Ok(mut view) = bytes.as_slice_mut() {
        if let Some(b) = view.first_mut() {
            *b = 1;
        }
    }

    // Strings.
    let s = GuestPtr::<str>::new(mem, (at, len));
    let mut text = [0u8; 32];
    keep(s.copy_to_buf(&mut text).map(str::len));
    keep(s.to_heapless::<32>().map(|t| t.len()));
    if let Ok(view) = s.as_str() {
        keep(view.len());
    }

    // Errors are plain values.
    let e = GuestError::PtrOutOfBounds(guestmem::Region::new(at, len));
    keep(e == GuestError::PtrOverflow);
}

#[no_mangle]
pub extern "C" fn _start() -> ! {
    let mut bytes = [0u8; 128];
    let mem = GuestFrame::new(&mut bytes);
    exercise(&mem);
    exercise(&GuestFrame::empty());
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    extern "C" {
        /// Defined nowhere: referencing it makes any reachable panic a link error.
        fn guestmem_panic_is_reachable() -> !;
    }
    // SAFETY: never runs: if this function were reachable the program would not link.
    unsafe { guestmem_panic_is_reachable() }
}
