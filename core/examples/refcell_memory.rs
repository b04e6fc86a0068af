//! A custom [`GuestMemory`]: the growable linear memory of an interpreter, kept in a
//! `RefCell<Vec<u8>>` because the interpreter and its host functions share it through `&self`.
//!
//! A host call locks the memory (a `RefMut`), opens one [`GuestFrame`] over the lock, and
//! every guest pointer of the call is checked against that frame. While the lock lives, the
//! interpreter cannot grow the memory: `memory.grow` from inside a host call is refused, not a
//! dangling pointer. An interpreter without a memory reports length 0, and every access is
//! refused.
//!
//! Run it with `cargo run -p guestmem --example refcell_memory`.

use std::cell::{RefCell, RefMut};
use std::error::Error;
use std::fmt;

use guestmem::{GuestError, GuestFrame, GuestMemory, GuestPtr, Region};

/// A wasm page: memories grow in steps of 64 KiB.
const PAGE: usize = 65_536;

/// The interpreter's side: owns the memory and grows it when the guest runs `memory.grow`.
struct Interpreter {
    memory: RefCell<Vec<u8>>,
    max_pages: usize,
}

/// What `memory.grow` did: the old size in pages, `None` past the maximum (wasm's -1), or
/// refused because a host call holds the memory.
type Grow = Result<Option<usize>, MemoryBusy>;

/// The memory is borrowed by a host call; `memory.grow` must wait (or trap) until it returns.
#[derive(Debug, PartialEq)]
struct MemoryBusy;

impl fmt::Display for MemoryBusy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the guest memory is borrowed by a host call")
    }
}

impl Error for MemoryBusy {}

impl Interpreter {
    fn new(pages: usize, max_pages: usize) -> Self {
        Interpreter {
            memory: RefCell::new(vec![0; pages.saturating_mul(PAGE)]),
            max_pages,
        }
    }

    /// `memory.grow`: adds `delta` zeroed pages and returns the old size in pages, or `None`
    /// past `max_pages` (wasm's -1). May move the bytes: `Vec` reallocates.
    fn grow(&self, delta: usize) -> Grow {
        let mut bytes = self.memory.try_borrow_mut().map_err(|_| MemoryBusy)?;
        let old = bytes.len() / PAGE;
        let new = old.saturating_add(delta);
        if new > self.max_pages {
            return Ok(None);
        }
        bytes.resize(new.saturating_mul(PAGE), 0);
        Ok(Some(old))
    }

    /// The memory for one host call.
    fn lock(&self) -> Result<MemoryLock<'_>, MemoryBusy> {
        self.memory
            .try_borrow_mut()
            .map(|bytes| MemoryLock { bytes })
            .map_err(|_| MemoryBusy)
    }
}

/// The memory, exclusively borrowed from its `RefCell` for as long as this lock lives.
///
/// (For a plain `Vec<u8>`, `GuestFrame::from_slice(&mut lock)` would do without any unsafe
/// code; write an impl like this one when the memory is not a Rust slice — a raw allocation, an
/// interpreter's C buffer — or, as here, to decide what length the guest sees.)
struct MemoryLock<'m> {
    bytes: RefMut<'m, Vec<u8>>,
}

// The one unsafe item of this example: an `unsafe trait` impl, argued right below.
#[allow(unsafe_code)]
// SAFETY: the contract of `GuestMemory`, point by point, for a call through `&'b mut self`:
// 1. `as_mut_ptr` and the length describe the `Vec`'s one live allocation, valid for reads and
//    writes; the length reported is never more than `bytes.len()`, and a non-empty `Vec`'s
//    pointer is non-null.
// 2. The pointer is derived from `&'b mut Vec<u8>`, itself reborrowed from the `RefMut`, which
//    holds the `RefCell`'s exclusive borrow for as long as the lock lives — at least `'b`.
//    While it does, `Interpreter::grow` (the only code that resizes, so moves or frees the
//    bytes) fails its `try_borrow_mut`, and no other code can borrow the `Vec`. Nothing else
//    keeps a pointer to the bytes.
// 3. An empty `Vec` (no memory yet) returns a dangling pointer with length 0; the crate never
//    dereferences it.
unsafe impl GuestMemory for MemoryLock<'_> {
    fn base(&mut self) -> (*mut u8, u32) {
        let bytes: &mut Vec<u8> = &mut self.bytes;
        // A wasm32 memory of 65536 pages is 2^32 bytes, one more than a `u32` length: the guest
        // sees the first `u32::MAX` of them, as the `[u8]` impl does. Shortening is sound.
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        (bytes.as_mut_ptr(), len)
    }
}

/// A host function `fill(ptr, len, byte)` that, like some host calls, re-enters the
/// interpreter while it works on guest memory: here a guest callback asks for one more page.
/// Returns what that `memory.grow` got.
fn fill(interp: &Interpreter, ptr: u32, len: u32, byte: u8) -> Result<Grow, Box<dyn Error>> {
    let mut lock = interp.lock()?;
    let frame = GuestFrame::new(&mut lock);
    let mut view = GuestPtr::<[u8]>::new(&frame, (ptr, len)).as_slice_mut()?;
    view.fill(byte);
    // The guest re-entered: the memory cannot grow (or move) under the view.
    let regrow = interp.grow(1);
    assert_eq!(frame.len(), 131_072, "the frame's length did not change");
    Ok(regrow)
}

fn main() -> Result<(), Box<dyn Error>> {
    let interp = Interpreter::new(1, 4);

    // A host call: lock, frame, checked pointers; the frame ends before the lock.
    {
        let mut lock = interp.lock()?;
        let frame = GuestFrame::new(&mut lock);
        assert_eq!(frame.len(), 65_536);
        GuestPtr::<u64>::new(&frame, 8).write(0x0123_4567_89ab_cdef)?;
        // One page: offset 65536 is past the end.
        let past = GuestPtr::<u32>::new(&frame, 65_536).read();
        assert_eq!(
            past,
            Err(GuestError::PtrOutOfBounds(Region::new(65_536, 4)))
        );
        println!("1 page:    write at 8 ok; read at 65536 refused ({past:?})");
    }

    // Between host calls, the guest grows its memory; the `Vec` may move.
    assert_eq!(interp.grow(1), Ok(Some(1)));

    // The next host call sees the new length and the old contents.
    {
        let mut lock = interp.lock()?;
        let frame = GuestFrame::new(&mut lock);
        assert_eq!(frame.len(), 131_072);
        assert_eq!(
            GuestPtr::<u64>::new(&frame, 8).read()?,
            0x0123_4567_89ab_cdef
        );
        GuestPtr::<u32>::new(&frame, 65_536).write(7)?;
        println!("2 pages:   the value at 8 survived the move; offset 65536 now in bounds");
    }

    // Re-entry during a host call: `memory.grow` is refused while the memory is lent.
    let regrow = fill(&interp, 100, 16, 0xaa)?;
    assert_eq!(regrow, Err(MemoryBusy));
    println!("re-entry:  memory.grow during a host call refused ({regrow:?})");
    {
        let mut lock = interp.lock()?;
        let frame = GuestFrame::new(&mut lock);
        let mut filled = [0u8; 17];
        GuestPtr::<[u8]>::new(&frame, (100, 17)).copy_to_slice(&mut filled)?;
        assert_eq!(filled[..16], [0xaa; 16]);
        assert_eq!(filled[16], 0, "nothing written past the range");
    }
    assert_eq!(
        interp.grow(1),
        Ok(Some(2)),
        "allowed again once the call returned"
    );
    assert_eq!(interp.grow(8), Ok(None), "past max_pages: wasm's -1");

    // A lock held elsewhere (another host call in progress) means no second frame.
    let held = interp.lock()?;
    assert!(interp.lock().is_err());
    drop(held);

    // No memory at all (a module that declares none): length 0, every access refused.
    let bare = Interpreter::new(0, 0);
    {
        let mut lock = bare.lock()?;
        let frame = GuestFrame::new(&mut lock);
        assert!(frame.is_empty());
        let err = GuestPtr::<u8>::new(&frame, 0).read();
        assert_eq!(err, Err(GuestError::PtrOutOfBounds(Region::new(0, 1))));
        println!("no memory: length 0; read at 0 refused");
    }

    println!("refcell_memory: all checks passed");
    Ok(())
}
