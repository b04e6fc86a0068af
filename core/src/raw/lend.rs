//! Loans: guest bytes lent as Rust references, each recorded in the frame's
//! borrow table for exactly as long as the reference can be used.
//!
//! A lent reference never leaves the type that holds its loan: [`Lent::get`],
//! [`LentMut::get_mut`] and [`LentStr::get`] hand it out only for as long as `self` is
//! borrowed, and the loan is released when `self` is dropped. The views of `view.rs` are safe
//! wrappers over these.
//!
//! Or it never leaves one call: [`lend`] hands the reference to a closure and releases the
//! loan when the closure returns, inline — no guard kept in memory for its drop, which the
//! compiler calls out of line.

use core::mem::ManuallyDrop;

use super::borrow::BorrowKind;
use super::frame::FrameRef;
use super::plain::Transparent;
use super::range::{checked, Access, HostRange};
use crate::{GuestError, Region};

/// A recorded borrow of a region, released on drop.
#[derive(Debug)]
struct Loan<'a> {
    frame: FrameRef<'a>,
    region: Region,
    kind: BorrowKind,
}

impl<'a> Loan<'a> {
    /// Checks the `len` bytes at `offset` (aligned to `align` in the guest) and records a
    /// borrow of them.
    #[inline]
    fn take(
        mem: FrameRef<'a>,
        offset: u32,
        len: u32,
        align: u32,
        kind: BorrowKind,
    ) -> Result<(Self, HostRange<'a>), GuestError> {
        let range = checked(mem, offset, len, align, Access::View)?;
        mem.borrow(range.region(), kind)?;
        let loan = Loan {
            frame: mem,
            region: range.region(),
            kind,
        };
        Ok((loan, range))
    }
}

impl Loan<'_> {
    /// Releases the loan now, inline: what dropping it does, without the call to its drop
    /// glue.
    #[inline(always)]
    fn end(self) {
        let loan = ManuallyDrop::new(self);
        loan.frame.release(loan.region, loan.kind);
    }
}

impl Drop for Loan<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        self.frame.release(self.region, self.kind);
    }
}

/// Guest bytes lent as `&[T]`, recorded as a shared borrow until dropped.
#[derive(Debug)]
pub(crate) struct Lent<'a, T> {
    slice: &'a [T],
    loan: Loan<'a>,
}

/// Guest bytes lent as `&mut [T]`, recorded as a mutable borrow until dropped.
#[derive(Debug)]
pub(crate) struct LentMut<'a, T> {
    slice: &'a mut [T],
    _loan: Loan<'a>,
}

/// Guest bytes lent as `&str`, validated on the lent bytes, recorded as a shared borrow until
/// dropped.
#[derive(Debug)]
pub(crate) struct LentStr<'a> {
    text: &'a str,
    _loan: Loan<'a>,
}

impl<'a, T> Lent<'a, T> {
    /// Lends the `len` bytes at `offset` (aligned to `align` in the guest) as `&[T]`.
    ///
    /// # Errors
    ///
    /// Those of the range check and of the borrow table; [`GuestError::PtrNotAligned`] if the
    /// host address is not aligned for `T`; [`GuestError::SliceLengthsDiffer`] if `len` is not
    /// a whole number of `T`s.
    #[inline]
    pub(crate) fn new(
        mem: FrameRef<'a>,
        offset: u32,
        len: u32,
        align: u32,
        proof: Transparent<T>,
    ) -> Result<Self, GuestError> {
        let (loan, range) = Loan::take(mem, offset, len, align, BorrowKind::Shared)?;
        // SAFETY: 1. `loan` recorded the range's region as a shared borrow, successfully, and
        // is kept beside the slice, which is handed out only while `self` is borrowed, until
        // both are dropped together (if `as_slice` fails, the loan is dropped and released).
        let slice = unsafe { range.as_slice(proof) }?;
        Ok(Lent { slice, loan })
    }

    /// The lent slice, for as long as `self` is borrowed.
    #[inline(always)]
    pub(crate) fn get(&self) -> &[T] {
        self.slice
    }
}

/// Lends the `len` bytes at `offset` (aligned to `align` in the guest) to `f` as `&[T]`, and
/// returns what `f` returns; the loan ends when `f` does.
///
/// # Errors
///
/// Those of [`Lent::new`]; `f` is not called.
#[inline(always)]
pub(crate) fn lend<T, R>(
    mem: FrameRef<'_>,
    offset: u32,
    len: u32,
    align: u32,
    proof: Transparent<T>,
    f: impl FnOnce(&[T]) -> R,
) -> Result<R, GuestError> {
    let (loan, range) = Loan::take(mem, offset, len, align, BorrowKind::Shared)?;
    // `f` takes the slice at any lifetime, so neither what it returns nor anything it
    // captures can keep it: the slice is not used after `f` returns. The loan ends after
    // that, or is dropped (released) if `f` unwinds.
    // SAFETY: 1. `loan` recorded the range's region as a shared borrow, successfully, and
    // keeps it recorded for as long as the slice is used, as argued above.
    let slice = unsafe { range.as_slice(proof) }?;
    let result = f(slice);
    loan.end();
    Ok(result)
}

impl<'a> Lent<'a, u8> {
    /// The lent bytes as `&str`, validated once on the very bytes lent (nothing can write
    /// them while the loan lives).
    ///
    /// # Errors
    ///
    /// [`GuestError::InvalidUtf8`] if they are not UTF-8 (the loan is then released).
    #[inline]
    pub(crate) fn into_str(self) -> Result<LentStr<'a>, GuestError> {
        let Lent { slice, loan } = self;
        let text = core::str::from_utf8(slice).map_err(GuestError::InvalidUtf8)?;
        Ok(LentStr { text, _loan: loan })
    }
}

impl<'a, T> LentMut<'a, T> {
    /// Lends the `len` bytes at `offset` (aligned to `align` in the guest) as `&mut [T]`.
    ///
    /// # Errors
    ///
    /// As [`Lent::new`], and [`GuestError::BorrowConflict`] if any view overlaps.
    #[inline]
    pub(crate) fn new(
        mem: FrameRef<'a>,
        offset: u32,
        len: u32,
        align: u32,
        proof: Transparent<T>,
    ) -> Result<Self, GuestError> {
        let (loan, range) = Loan::take(mem, offset, len, align, BorrowKind::Mut)?;
        // SAFETY: 1. `loan` recorded the range's region as a mutable borrow, successfully, and
        // is kept beside the slice, which is handed out only while `self` is borrowed, until
        // both are dropped together.
        let slice = unsafe { range.as_mut_slice(proof) }?;
        Ok(LentMut { slice, _loan: loan })
    }

    /// The lent slice, for as long as `self` is borrowed.
    #[inline(always)]
    pub(crate) fn get(&self) -> &[T] {
        self.slice
    }

    /// The lent slice, mutably, for as long as `self` is borrowed mutably.
    #[inline(always)]
    pub(crate) fn get_mut(&mut self) -> &mut [T] {
        self.slice
    }
}

impl LentStr<'_> {
    /// The lent string, for as long as `self` is borrowed.
    #[inline(always)]
    pub(crate) fn get(&self) -> &str {
        self.text
    }
}
