//! [`GuestFrame`]: a guest memory for the duration of one host call, its base and length read
//! once; [`FrameRef`]: a borrow of a frame of any capacity, what a [`GuestPtr`](crate::GuestPtr)
//! holds.

use core::cell::Cell;
use core::marker::PhantomData;
use core::ptr::NonNull;

use super::borrow::{empty_slots, BorrowKind, BorrowTable, LiveSlots, Slot, MAX_VIEWS};
use crate::{GuestError, GuestMemory, Region};

/// A guest memory during one host call (or any other scope): borrows the memory exclusively,
/// reads its base and length once, and checks every [`GuestPtr`](crate::GuestPtr) access of the
/// scope against them, with the table of live views.
///
/// This is what makes an access as cheap as the hand-written check: the base and length stay
/// in registers, no dynamic call is made per access. It is sound because the frame holds the
/// `&'a mut` borrow of the memory that [`GuestMemory::base`] was called through, so for `'a`
/// nothing else can reach the memory: the interpreter cannot grow or move it, the guest cannot
/// be re-entered through it, no other frame can exist over it (contract point 2). A binding
/// makes one frame per host call, as wasm3's glue does; a test makes one over a byte array.
///
/// `VIEWS` is the capacity of the frame's table of views: how many views
/// ([`GuestSlice`](crate::GuestSlice), [`GuestSliceMut`](crate::GuestSliceMut),
/// [`GuestStr`](crate::GuestStr)) can be live at once; one more is refused with
/// [`GuestError::TooManyBorrows`](crate::GuestError::TooManyBorrows). [`new`](Self::new) makes
/// a frame of the default capacity, [`MAX_VIEWS`] (16), and
/// [`with_views`](Self::with_views) one of any capacity, 0 included (no views, every copy
/// allowed). Each slot costs 12 bytes of the frame; the capacity costs nothing per access.
///
/// # Examples
///
/// ```
/// use guestmem::{GuestFrame, GuestPtr};
///
/// let mut bytes = [0u8; 64];
/// let frame = GuestFrame::new(&mut bytes);
/// // An out-parameter of a host function: the guest passed offset 16.
/// let out = GuestPtr::<u32>::new(&frame, 16);
/// out.write(42)?;
/// assert_eq!(out.read()?, 42);
/// # Ok::<(), guestmem::GuestError>(())
/// ```
///
/// The memory cannot be touched while the frame lives:
///
/// ```compile_fail
/// use guestmem::{GuestFrame, GuestPtr};
///
/// let mut bytes = [0u8; 8];
/// let frame = GuestFrame::new(&mut bytes);
/// let view = GuestPtr::<[u8]>::new(&frame, (0, 8)).as_slice().unwrap();
/// bytes[0] = 1; // the frame (and the view) borrow `bytes`
/// assert_eq!(view[0], 0);
/// ```
// `repr(C)`: the header first, at the address a `FrameRef` holds, and the slots right after it
// whatever `VIEWS` is (`SLOTS_AT`), so that a `FrameRef` reaches them without knowing `VIEWS`.
#[repr(C)]
pub struct GuestFrame<'a, const VIEWS: usize = MAX_VIEWS> {
    header: Header,
    slots: [Slot; VIEWS],
    _mem: PhantomData<&'a mut [u8]>,
}

/// What a frame holds before its slots.
///
/// Invariant (established by the frame's constructors only):
/// - if `len > 0`, the `len` bytes at `base` are valid for reads and writes for the frame's
///   `'a`, and no code reaches them for `'a` except through pointers derived from `base`
///   (`GuestMemory` contract, points 1 and 2: the frame holds the exclusive borrow `base()` was
///   called through);
/// - `capacity` is the length of the frame's array of slots, which follows the header in the
///   frame (at `SLOTS_AT`); `live <= capacity`, and the first `live` slots are written.
#[repr(C)]
pub(in crate::raw) struct Header {
    base: *mut u8,
    len: u32,
    live: Cell<usize>,
    capacity: usize,
}

/// Where a frame's slots start, from the frame's address: right after the header, whatever the
/// capacity (checked for each capacity in [`GuestFrame::with_views`]).
const SLOTS_AT: usize = core::mem::size_of::<Header>();

impl<'a> GuestFrame<'a> {
    /// A frame over `mem`, which it borrows exclusively for `'a`; asks `mem.base()` once. Its
    /// table holds [`MAX_VIEWS`] views; [`with_views`](Self::with_views) chooses another
    /// capacity.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::GuestFrame;
    ///
    /// let mut bytes = vec![0u8; 1024];
    /// let frame = GuestFrame::new(bytes.as_mut_slice());
    /// assert_eq!(frame.len(), 1024);
    /// assert_eq!(frame.capacity(), guestmem::MAX_VIEWS);
    /// ```
    #[inline]
    pub fn new<M: GuestMemory + ?Sized>(mem: &'a mut M) -> Self {
        Self::with_views(mem)
    }

    /// A frame over a byte slice: [`new`](Self::new) for a slice, which a `&mut Vec<u8>` or a
    /// `&mut Box<[u8]>` also coerces to.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::GuestFrame;
    ///
    /// let mut bytes = vec![0u8; 64];
    /// assert_eq!(GuestFrame::from_slice(&mut bytes).len(), 64);
    /// ```
    #[inline]
    pub fn from_slice(bytes: &'a mut [u8]) -> Self {
        Self::new(bytes)
    }

    /// A frame over an empty memory (no bytes, null base), as an interpreter reports a memory
    /// of size 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestError, GuestFrame, GuestPtr, Region};
    ///
    /// let frame = GuestFrame::empty();
    /// let err = GuestPtr::<u8>::new(&frame, 0).read().unwrap_err();
    /// assert_eq!(err, GuestError::PtrOutOfBounds(Region::new(0, 1)));
    /// ```
    pub const fn empty() -> GuestFrame<'static> {
        GuestFrame::from_parts(core::ptr::null_mut(), 0)
    }
}

impl<'a, const VIEWS: usize> GuestFrame<'a, VIEWS> {
    /// A frame over `mem`, as [`new`](GuestFrame::new), whose table holds `VIEWS` views.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestError, GuestFrame, GuestPtr, Region};
    ///
    /// let mut bytes = *b"hello, world";
    /// // Room for two live views only: 24 bytes of slots instead of 192.
    /// let frame = GuestFrame::<2>::with_views(&mut bytes);
    /// assert_eq!(frame.capacity(), 2);
    /// let hello = GuestPtr::<str>::new(&frame, (0, 5)).as_str()?;
    /// let world = GuestPtr::<str>::new(&frame, (7, 5)).as_str()?;
    /// let comma = GuestPtr::<str>::new(&frame, (5, 1));
    /// assert_eq!(comma.as_str().unwrap_err(), GuestError::TooManyBorrows(Region::new(5, 1)));
    /// drop(world);
    /// assert_eq!(&*comma.as_str()?, ",");
    /// assert_eq!(&*hello, "hello");
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn with_views<M: GuestMemory + ?Sized>(mem: &'a mut M) -> Self {
        let (base, len) = mem.base();
        Self::from_parts(base, len)
    }

    /// The frame over `len` bytes at `base`, its table empty.
    #[inline(always)]
    const fn from_parts(base: *mut u8, len: u32) -> Self {
        // The layout a `FrameRef` relies on, checked when this capacity is compiled.
        const {
            assert!(core::mem::offset_of!(Self, header) == 0);
            assert!(core::mem::offset_of!(Self, slots) == SLOTS_AT);
        }
        GuestFrame {
            header: Header {
                base,
                len,
                live: Cell::new(0),
                capacity: VIEWS,
            },
            slots: empty_slots(),
            _mem: PhantomData,
        }
    }

    /// The size of the memory in bytes.
    #[inline]
    pub fn len(&self) -> u32 {
        self.header.len
    }

    /// Whether the memory has no bytes.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.header.len == 0
    }

    /// How many views can be live at once: `VIEWS`.
    #[inline]
    pub fn capacity(&self) -> usize {
        VIEWS
    }

    /// Whether any view (a [`GuestSlice`](crate::GuestSlice),
    /// [`GuestSliceMut`](crate::GuestSliceMut) or [`GuestStr`](crate::GuestStr)) of this frame
    /// is live.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestFrame, GuestPtr};
    ///
    /// let mut bytes = *b"hello";
    /// let frame = GuestFrame::new(&mut bytes);
    /// let view = GuestPtr::<str>::new(&frame, (0, 5)).as_str()?;
    /// assert!(frame.has_live_views());
    /// drop(view);
    /// assert!(!frame.has_live_views());
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn has_live_views(&self) -> bool {
        self.header.live.get() != 0
    }
}

impl<const VIEWS: usize> core::fmt::Debug for GuestFrame<'_, VIEWS> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        FrameRef::from(self).fmt(f)
    }
}

/// A borrow of a [`GuestFrame`] of any capacity, one pointer wide: what a
/// [`GuestPtr`](crate::GuestPtr) holds, and what [`GuestType::decode`](crate::GuestType::decode)
/// is given to build the pointers of a value. Made from `&GuestFrame` with `From` (which
/// [`GuestPtr::new`](crate::GuestPtr::new) calls), and `Copy`.
///
/// # Examples
///
/// ```
/// use guestmem::{FrameRef, GuestFrame, GuestPtr};
///
/// let mut bytes = [0u8; 8];
/// let frame = GuestFrame::<4>::with_views(&mut bytes);
/// let handle = FrameRef::from(&frame);
/// assert_eq!((handle.len(), handle.capacity()), (8, 4));
/// let p = GuestPtr::<u32>::new(handle, 4);
/// assert_eq!(p.mem(), handle);
/// ```
///
/// It cannot outlive the frame:
///
/// ```compile_fail
/// use guestmem::{FrameRef, GuestFrame};
///
/// let handle = {
///     let frame = GuestFrame::empty();
///     FrameRef::from(&frame)
/// };
/// let _ = handle.len();
/// ```
#[derive(Clone, Copy)]
pub struct FrameRef<'a> {
    // Invariant: derived from a `&'a GuestFrame<'a, N>` (for some `N`), so it points at the
    // frame's header, its provenance covers the whole frame (header and slots), and the frame
    // lives, unmoved and only shared, for `'a`.
    frame: NonNull<Header>,
    _frame: PhantomData<&'a GuestFrame<'a, 0>>,
}

impl<'a, 'm: 'a, const VIEWS: usize> From<&'a GuestFrame<'m, VIEWS>> for FrameRef<'a> {
    #[inline(always)]
    fn from(frame: &'a GuestFrame<'m, VIEWS>) -> Self {
        FrameRef {
            // From the reference to the whole frame, not to its header: the pointer may reach
            // the slots too.
            frame: NonNull::from(frame).cast::<Header>(),
            _frame: PhantomData,
        }
    }
}

impl<'a> FrameRef<'a> {
    /// The frame's header.
    #[inline(always)]
    fn header(self) -> &'a Header {
        // SAFETY: `frame` points at the header of a frame that lives, only shared, for `'a`
        // (the `FrameRef` invariant): a valid, aligned `Header` (`repr(C)` puts it at offset 0
        // of the frame) for `'a`.
        unsafe { self.frame.as_ref() }
    }

    /// The base, length and count of live views, for the range check.
    #[inline(always)]
    pub(in crate::raw) fn parts(self) -> (*mut u8, u32, usize) {
        let header = self.header();
        (header.base, header.len, header.live.get())
    }

    /// The frame's table of views.
    #[inline(always)]
    pub(in crate::raw) fn table(self) -> BorrowTable<'a> {
        let header = self.header();
        // `SLOTS_AT` bytes past the header is where the frame's `[Slot; capacity]` starts
        // (`repr(C)`, checked in `GuestFrame::from_parts`); `frame` is derived from a
        // reference to the whole frame, so its provenance covers them (not only the header's
        // bytes, as one from `&Header` would).
        let slots = core::ptr::slice_from_raw_parts(self.first_slot(), header.capacity);
        // SAFETY: as argued above, `slots` is the frame's array of `capacity` slots (aligned:
        // it is a field of the frame), which lives, only shared, for `'a` (the `FrameRef`
        // invariant); the slots are `Cell`s, written only through shared references.
        let slots = unsafe { &*slots };
        BorrowTable::new(&header.live, slots)
    }

    /// The frame's live slots, without the table's bounds check: what the range check scans.
    #[inline(always)]
    pub(in crate::raw) fn live_slots(self) -> LiveSlots<'a> {
        let header = self.header();
        let slots = core::ptr::slice_from_raw_parts(self.first_slot(), header.live.get());
        // The `live <= capacity` slots after the header are the frame's first `live` slots
        // (see `table`), all written (the header's invariant).
        // SAFETY: `live` slots of the frame's array, which lives, only shared, for `'a`.
        let slots = unsafe { &*slots };
        // SAFETY: 1. all written, as argued above.
        unsafe { LiveSlots::new_unchecked(slots) }
    }

    /// Records a view of `region` of `kind` in the frame's table.
    ///
    /// # Errors
    ///
    /// [`GuestError::BorrowConflict`] when the new view would overlap a mutable view, or be
    /// mutable and overlap any view; [`GuestError::TooManyBorrows`] when the table is full.
    #[inline(always)]
    pub(in crate::raw) fn borrow(self, region: Region, kind: BorrowKind) -> Result<(), GuestError> {
        // The live entries as `live_slots` gives them: the table's own scan would check the
        // count against the capacity, which the frame's invariant makes redundant.
        if !self.live_slots().allow(region, kind) {
            return Err(GuestError::BorrowConflict(region));
        }
        self.table().push(region, kind)
    }

    /// Forgets one view of `region` of `kind` recorded in the frame's table. Views mostly end
    /// in the reverse order of their making: the last entry is looked at inline, in a few
    /// instructions; any other is found out of line, the frame and the entry passed in four
    /// registers.
    #[inline(always)]
    pub(in crate::raw) fn release(self, region: Region, kind: BorrowKind) {
        let live = &self.header().live;
        if self.live_slots().ends_with(region, kind) {
            live.set(live.get().wrapping_sub(1));
            return;
        }
        self.release_other(region.start, region.len, kind);
    }

    /// [`release`](Self::release) of a view that is not the last entry.
    #[cold]
    #[inline(never)]
    fn release_other(self, start: u32, len: u32, kind: BorrowKind) {
        self.table().release(Region::new(start, len), kind);
    }

    /// Where the frame's slots start.
    #[inline(always)]
    fn first_slot(self) -> *const Slot {
        self.frame
            .as_ptr()
            .cast::<u8>()
            .wrapping_add(SLOTS_AT)
            .cast::<Slot>()
            .cast_const()
    }

    /// The size of the memory in bytes.
    #[inline]
    pub fn len(self) -> u32 {
        self.header().len
    }

    /// Whether the memory has no bytes.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.header().len == 0
    }

    /// How many views can be live at once in the frame.
    #[inline]
    pub fn capacity(self) -> usize {
        self.header().capacity
    }

    /// Whether any view of the frame is live.
    #[inline]
    pub fn has_live_views(self) -> bool {
        self.header().live.get() != 0
    }
}

/// Two handles are equal when they borrow the same frame.
impl PartialEq for FrameRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.frame == other.frame
    }
}

impl Eq for FrameRef<'_> {}

impl core::fmt::Debug for FrameRef<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GuestFrame")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("views", &self.table())
            .finish()
    }
}
