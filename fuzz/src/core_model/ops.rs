//! The operations that are checked exactly against the model.

use std::mem::MaybeUninit;
use std::ops::Range;
use std::rc::Rc;

use guestmem::{FrameRef, GuestError, GuestPtr, GuestStr, Region};
use guestmem_alloc::{GuestCowStr, GuestSliceExt, GuestStrExt};

use super::held::{Guard, Held, IterHeld};
use super::hostile::{self, Kept, PlanIn};
use super::input::{Arr, Count, Fit, Off, ViewElem};
use super::model::{Entry, Loan, Model};
use super::rng::Rng;
use super::types::{Iovec, Ty};
use super::world::{canon, canon_all, Lent, World};

impl<'m> World<'m> {
    pub(super) fn read<T: Ty<'m>>(&mut self, off: Off) {
        let off = self.off(off);
        let real = GuestPtr::<T>::new(self.mem, off).read().map(|v| canon(&v));
        self.same("read", &real, &self.expect_read::<T>(off, 1));
    }

    pub(super) fn write<T: Ty<'m>>(&mut self, off: Off, seed: u64) {
        let off = self.off(off);
        let value = T::make(self.mem, &mut Rng::new(seed));
        let mut image = Vec::new();
        value.image(&mut image);
        let real = GuestPtr::<T>::new(self.mem, off).write(value);
        let expected = self
            .model
            .access(&self.table(), off, T::GUEST_SIZE, T::GUEST_ALIGN, true);
        self.same("write", &real, &expected.clone().map(|_| ()));
        if let Ok(range) = expected {
            self.model.bytes[range].copy_from_slice(&image);
        }
    }

    /// `with_slice` over bytes, writing `value` at `probe` while the view lives: the view's
    /// bytes and error as a shared view's, the write as the model allows it with that view
    /// live, and the view gone after the call (`verify` counts the live views).
    pub(super) fn view_call(&mut self, arr: Arr, probe: Off, value: u8) {
        let (off, n) = self.arr(arr, 1);
        let probe = self.off(probe);
        let mem = self.mem;
        let real = GuestPtr::<[u8]>::new(mem, (off, n))
            .with_slice(|bytes| (bytes.to_vec(), GuestPtr::<u8>::new(mem, probe).write(value)));
        let table = self.table();
        let expected = self
            .model
            .lend(&table, off, n, 1, Loan::Shared)
            .map(|range| {
                let mut during = table.clone();
                during.push((Region::new(off, n), Loan::Shared));
                let write = self.model.access(&during, probe, 1, 1, true);
                (self.model.bytes[range].to_vec(), write.map(|_| ()))
            });
        self.same("with_slice", &real, &expected);
        if let Ok((_, Ok(()))) = expected {
            let at = usize::try_from(probe).unwrap_or(usize::MAX);
            self.model.bytes[at] = value;
        }
    }

    pub(super) fn get<T: Ty<'m>>(&mut self, arr: Arr, index: Count) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let index = self.count(index, off, T::GUEST_SIZE);
        let real = GuestPtr::<[T]>::new(self.mem, (off, n))
            .get(index)
            .map(|p| (p.offset(), p.read().map(|v| canon(&v))));
        let at = u64::from(off) + u64::from(index) * u64::from(T::GUEST_SIZE);
        let expected = match u32::try_from(at) {
            Ok(at) if index < n => Some((at, self.expect_read::<T>(at, 1))),
            _ => None,
        };
        if real != expected {
            self.fail(format_args!(
                "get({index}): guestmem gave {real:?}, the model {expected:?}"
            ));
        }
    }

    pub(super) fn iter<T: Ty<'m>>(&mut self, arr: Arr, limit: u8) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let mut iter = GuestPtr::<[T]>::new(self.mem, (off, n)).iter();
        for i in 0..=u32::from(limit) {
            let real = iter
                .next()
                .map(|p| p.map(|p| (p.offset(), p.read().map(|v| canon(&v)))));
            let at = u64::from(off) + u64::from(i) * u64::from(T::GUEST_SIZE);
            let expected = if i >= n {
                None
            } else {
                match u32::try_from(at) {
                    Ok(at) => Some(Ok((at, self.expect_read::<T>(at, 1)))),
                    Err(_) => Some(Err(GuestError::PtrOverflow)),
                }
            };
            if real != expected {
                self.fail(format_args!(
                    "iter item {i}: guestmem gave {real:?}, the model {expected:?}"
                ));
            }
            if !matches!(expected, Some(Ok(_))) {
                // Past the end, or after an overflow: the iterator is done for good.
                if let Some(more) = iter.next() {
                    self.fail(format_args!("iter yielded {more:?} after its end"));
                }
                break;
            }
        }
    }

    pub(super) fn copy_out<T: Ty<'m>>(&mut self, arr: Arr, fit: Fit) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let host = self.fit(fit, n, T::GUEST_SIZE);
        let mut rng = Rng::new(u64::from(n));
        let mut dst = vec![T::make(self.mem, &mut rng); host];
        let real = GuestPtr::<[T]>::new(self.mem, (off, n))
            .copy_to_slice(&mut dst)
            .map(|()| canon_all(&dst));
        let expected = if usize::try_from(n) != Ok(host) {
            Err(GuestError::SliceLengthsDiffer)
        } else {
            self.expect_read::<T>(off, n)
        };
        self.same("copy_to_slice", &real, &expected);
    }

    pub(super) fn copy_in<T: Ty<'m>>(&mut self, arr: Arr, fit: Fit, seed: u64) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let host = self.fit(fit, n, T::GUEST_SIZE);
        let mut rng = Rng::new(seed);
        let src: Vec<T> = (0..host).map(|_| T::make(self.mem, &mut rng)).collect();
        let mut image = Vec::new();
        for v in &src {
            v.image(&mut image);
        }
        let real = GuestPtr::<[T]>::new(self.mem, (off, n)).copy_from_slice(&src);
        let expected = if usize::try_from(n) != Ok(host) {
            Err(GuestError::SliceLengthsDiffer)
        } else {
            Model::array_len(n, T::GUEST_SIZE).and_then(|len| {
                self.model
                    .access(&self.table(), off, len, T::GUEST_ALIGN, true)
            })
        };
        self.same("copy_from_slice", &real, &expected.clone().map(|_| ()));
        if let Ok(range) = expected {
            self.model.bytes[range].copy_from_slice(&image);
        }
    }

    pub(super) fn heapless<T: Ty<'m>, const N: usize>(&mut self, arr: Arr) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let real = GuestPtr::<[T]>::new(self.mem, (off, n))
            .to_heapless::<N>()
            .map(|v| canon_all(&v));
        let expected = if usize::try_from(n).map_or(true, |n| n > N) {
            Err(GuestError::BufferTooSmall {
                needed: n,
                available: u32::try_from(N).unwrap_or(u32::MAX),
            })
        } else {
            self.expect_read::<T>(off, n)
        };
        self.same("to_heapless", &real, &expected);
    }

    pub(super) fn copy_to_vec<T: Ty<'m>>(&mut self, arr: Arr) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let real = GuestPtr::<[T]>::new(self.mem, (off, n))
            .to_vec()
            .map(|v| canon_all(&v));
        self.same("to_vec", &real, &self.expect_read::<T>(off, n));
    }

    pub(super) fn validate<T: Ty<'m>>(&mut self, arr: Arr) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let real = GuestPtr::<[T]>::new(self.mem, (off, n)).validate();
        let expected = Model::array_len(n, T::GUEST_SIZE).and_then(|len| {
            self.model
                .access(&self.table(), off, len, T::GUEST_ALIGN, false)
                .map(|_| ())
        });
        self.same("validate", &real, &expected);
    }

    pub(super) fn validate_write<T: Ty<'m>>(&mut self, arr: Arr) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let real = GuestPtr::<[T]>::new(self.mem, (off, n)).validate_write();
        let expected = Model::array_len(n, T::GUEST_SIZE).and_then(|len| {
            self.model
                .access(&self.table(), off, len, T::GUEST_ALIGN, true)
                .map(|_| ())
        });
        self.same("validate_write", &real, &expected);
    }

    /// `read_iter`: the whole array checked as a read, no view taken; the iterator is held
    /// (lending nothing) and each element read when the harness advances it.
    pub(super) fn read_iter<T: Ty<'m>>(&mut self, arr: Arr, take: u8, hold: bool) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let real = GuestPtr::<[T]>::new(self.mem, (off, n)).read_iter();
        let table = self.table();
        let expected = Model::array_len(n, T::GUEST_SIZE).and_then(|len| {
            self.model
                .access(&table, off, len, T::GUEST_ALIGN, false)
                .map(|_| len)
        });
        self.same(
            "read_iter",
            &real.as_ref().map(|_| ()).map_err(|e| *e),
            &expected.map(|_| ()),
        );
        let (Ok(iter), Ok(len)) = (real, expected) else {
            return;
        };
        let mut held = IterHeld {
            iter,
            base: off,
            count: n,
            next: 0,
        };
        if let Err(e) = held.advance(take, &self.model, &table, &mut self.values) {
            self.fail(e);
        }
        if hold {
            self.guards.push(Guard {
                region: Region::new(off, len),
                loan: None,
                snapshot: None,
                held: Box::new(held),
            });
        }
    }

    /// WASI's gather: an array of iovecs read from the guest (copied out, or walked with
    /// `read_iter`), then each buffer its `GuestPtr` field points to (copied, or lent).
    pub(super) fn gather(&mut self, arr: Arr, walk: bool, each: u8) {
        let (off, n) = self.arr(arr, 8);
        let p = GuestPtr::<[Iovec<'m>]>::new(self.mem, (off, n));
        let real = if walk {
            p.read_iter()
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        } else {
            p.to_vec()
        };
        let expected = self.expect_read::<Iovec<'m>>(off, n);
        let canon = real.as_ref().map(|v| canon_all(v)).map_err(|e| *e);
        self.same("gather: iovecs", &canon, &expected);
        let Ok(iovs) = real else { return };
        for (i, iov) in iovs.iter().take(usize::from(each % 16)).enumerate() {
            let bytes = iov.buf.as_array(iov.buf_len);
            let table = self.table();
            let (what, real, expected) = if i % 2 == 1 {
                let real = bytes.as_slice().map(|v| v.to_vec());
                let expected =
                    self.model
                        .lend(&table, iov.buf.offset(), iov.buf_len, 1, Loan::Shared);
                ("gather: lend buffer", real, expected)
            } else {
                let real = bytes.to_vec();
                let expected = self
                    .model
                    .access(&table, iov.buf.offset(), iov.buf_len, 1, false);
                ("gather: copy buffer", real, expected)
            };
            let expected = expected.map(|r| self.model.bytes[r].to_vec());
            self.same(what, &real, &expected);
        }
    }

    /// What the model's bytes in `range` must give as a string.
    pub(super) fn expect_str(&self, range: Range<usize>) -> Result<Vec<u8>, GuestError> {
        let bytes = &self.model.bytes[range];
        std::str::from_utf8(bytes)
            .map(|s| s.as_bytes().to_vec())
            .map_err(GuestError::InvalidUtf8)
    }

    pub(super) fn str_copy(&mut self, arr: Arr, fit: Fit) {
        let (off, len) = self.arr(arr, 1);
        let host = self.fit(fit, len, 1);
        let mut buf = vec![0xA5u8; host];
        let real = GuestPtr::<str>::new(self.mem, (off, len))
            .copy_to_buf(&mut buf)
            .map(|s| s.as_bytes().to_vec());
        let expected = if usize::try_from(len).map_or(true, |l| l > host) {
            Err(GuestError::BufferTooSmall {
                needed: len,
                available: u32::try_from(host).unwrap_or(u32::MAX),
            })
        } else {
            self.model
                .access(&self.table(), off, len, 1, false)
                .and_then(|r| self.expect_str(r))
        };
        self.same("copy_to_buf", &real, &expected);
        if let Some(tail) = usize::try_from(len).ok().and_then(|l| buf.get(l..)) {
            if tail.iter().any(|&b| b != 0xA5) {
                self.fail("copy_to_buf wrote past the string in the caller's buffer");
            }
        }
    }

    /// `copy_to_uninit` into a buffer of `fit` bytes: the returned bytes are the front of the
    /// buffer and the model's.
    pub(super) fn copy_uninit(&mut self, arr: Arr, fit: Fit) {
        let (off, len) = self.arr(arr, 1);
        let host = self.fit(fit, len, 1);
        let mut buf = vec![MaybeUninit::new(0xA5u8); host];
        let at = buf.as_ptr().cast::<u8>();
        let real = GuestPtr::<[u8]>::new(self.mem, (off, len))
            .copy_to_uninit(&mut buf)
            .map(|got| {
                (
                    got.is_empty() || std::ptr::eq(got.as_ptr(), at),
                    got.to_vec(),
                )
            });
        // A short buffer first (as every copy into a caller's buffer), then the range.
        let expected = if usize::try_from(len).map_or(true, |l| l > host) {
            Err(GuestError::BufferTooSmall {
                needed: len,
                available: u32::try_from(host).unwrap_or(u32::MAX),
            })
        } else {
            self.model
                .access(&self.table(), off, len, 1, false)
                .map(|r| (true, self.model.bytes[r].to_vec()))
        };
        self.same("copy_to_uninit (at the front?, bytes)", &real, &expected);
    }

    /// `GuestPtr::gather`: each piece checked right before its copy, the iterator (user code)
    /// running between pieces, here taking a view before piece `act_before`.
    pub(super) fn gather_uninit(&mut self, pieces: &[Arr], fit: Fit, plan: PlanIn, act_before: u8) {
        let ptrs: Vec<(u32, u32)> = pieces.iter().map(|&a| self.arr(a, 1)).collect();
        let total: u64 = ptrs.iter().map(|p| u64::from(p.1)).sum();
        let host = self.fit(fit, u32::try_from(total).unwrap_or(u32::MAX), 1);
        let mut buf = vec![MaybeUninit::new(0xA5u8); host];
        let at = buf.as_ptr().cast::<u8>();
        let plan = plan.plan();
        let act_before = usize::from(act_before);
        let before = self.stash.borrow().len();
        let mut table = self.table();
        let (mem, stash) = (self.mem, Rc::clone(&self.stash));
        let iter = ptrs.iter().enumerate().map(|(i, &p)| {
            if i == act_before {
                if let Some(kept) = hostile::act(mem.into(), plan) {
                    stash.borrow_mut().push(kept);
                }
            }
            GuestPtr::<[u8]>::new(mem, p)
        });
        let real = GuestPtr::gather(iter, &mut buf).map(|got| {
            (
                got.is_empty() || std::ptr::eq(got.as_ptr(), at),
                got.to_vec(),
            )
        });
        drop(stash);
        // The model: piece by piece, the room left in the buffer first, then the range.
        let mut kept = Vec::new();
        let mut out = Vec::new();
        let mut expected = Ok(());
        for (i, &(off, len)) in ptrs.iter().enumerate() {
            if i == act_before {
                if let Some(view) = self.model.act(&table, plan) {
                    table.push(view);
                    kept.push(view);
                }
            }
            let room = host - out.len();
            if usize::try_from(len).map_or(true, |l| l > room) {
                expected = Err(GuestError::BufferTooSmall {
                    needed: len,
                    available: u32::try_from(room).unwrap_or(u32::MAX),
                });
                break;
            }
            match self.model.access(&table, off, len, 1, false) {
                Ok(range) => out.extend_from_slice(&self.model.bytes[range]),
                Err(e) => {
                    expected = Err(e);
                    break;
                }
            }
        }
        let expected = expected.map(|()| (true, out));
        self.same("gather (at the front?, bytes)", &real, &expected);
        let stashed: Vec<Entry> = self.stash.borrow()[before..]
            .iter()
            .map(Kept::entry)
            .collect();
        if stashed != kept {
            self.fail(format_args!(
                "gather: the iterator kept {stashed:?}, the model {kept:?}"
            ));
        }
    }

    pub(super) fn str_heapless<const N: usize>(&mut self, arr: Arr) {
        let (off, len) = self.arr(arr, 1);
        let real = GuestPtr::<str>::new(self.mem, (off, len))
            .to_heapless::<N>()
            .map(|s| s.as_bytes().to_vec());
        let expected = if usize::try_from(len).map_or(true, |l| l > N) {
            Err(GuestError::BufferTooSmall {
                needed: len,
                available: u32::try_from(N).unwrap_or(u32::MAX),
            })
        } else {
            self.model
                .access(&self.table(), off, len, 1, false)
                .and_then(|r| self.expect_str(r))
        };
        self.same("str to_heapless", &real, &expected);
    }

    pub(super) fn str_to_string(&mut self, arr: Arr) {
        let (off, len) = self.arr(arr, 1);
        let real = GuestPtr::<str>::new(self.mem, (off, len))
            .to_string()
            .map(String::into_bytes);
        let expected = self
            .model
            .access(&self.table(), off, len, 1, false)
            .and_then(|r| self.expect_str(r));
        self.same("to_string", &real, &expected);
    }

    /// Holds a string view as a guard.
    pub(super) fn hold_str(&mut self, view: GuestStr<'m>, off: u32, len: u32) {
        let snapshot = Some(view.as_bytes().to_vec());
        self.guards.push(Guard {
            region: Region::new(off, len),
            loan: Some(Loan::Shared),
            snapshot,
            held: Box::new(view),
        });
    }

    pub(super) fn str_cow(&mut self, arr: Arr, hold: bool) {
        let (off, len) = self.arr(arr, 1);
        let real = GuestPtr::<str>::new(self.mem, (off, len)).as_cow_str();
        let table = self.table();
        // As `as_str`, except that a full table falls back to a copy.
        let expected = match self.model.lend(&table, off, len, 1, Loan::Shared) {
            Ok(r) => self.expect_str(r).map(|s| (true, s)),
            Err(GuestError::TooManyBorrows(_)) => self
                .model
                .access(&table, off, len, 1, false)
                .and_then(|r| self.expect_str(r))
                .map(|s| (false, s)),
            Err(e) => Err(e),
        };
        let shown = real
            .as_ref()
            .map(|c| (matches!(c, GuestCowStr::Borrowed(_)), c.as_bytes().to_vec()))
            .map_err(|e| *e);
        self.same("as_cow_str (borrowed?, bytes)", &shown, &expected);
        if let (Ok(GuestCowStr::Borrowed(view)), true) = (real, hold) {
            self.hold_str(view, off, len);
        }
    }

    pub(super) fn view_str(&mut self, arr: Arr, hold: bool, via_bytes: bool) {
        let (off, len) = self.arr(arr, 1);
        let ptr = if via_bytes {
            let bytes = GuestPtr::<[u8]>::new(self.mem, (off, len));
            let ptr = bytes.as_str_ptr();
            if ptr.pointer() != (off, len)
                || ptr.as_bytes() != bytes
                || ptr.mem() != FrameRef::from(self.mem)
            {
                self.fail(format_args!(
                    "as_str_ptr of {:?} gave {:?}",
                    bytes.pointer(),
                    ptr.pointer()
                ));
            }
            ptr
        } else {
            GuestPtr::<str>::new(self.mem, (off, len))
        };
        let real = ptr.as_str();
        let expected = self
            .model
            .lend(&self.table(), off, len, 1, Loan::Shared)
            .and_then(|r| self.expect_str(r));
        let shown = real.as_ref().map(|v| v.as_bytes().to_vec()).map_err(|e| *e);
        self.same("as_str", &shown, &expected);
        if let (Ok(view), true) = (real, hold) {
            self.hold_str(view, off, len);
        }
    }

    /// The guest size of a view's element type.
    pub(super) fn view_size(elem: ViewElem) -> u32 {
        match elem {
            ViewElem::U8 | ViewElem::I8 => 1,
            ViewElem::U16 | ViewElem::I16 => 2,
            ViewElem::U32 | ViewElem::I32 | ViewElem::F32 => 4,
            ViewElem::U64 | ViewElem::I64 | ViewElem::F64 => 8,
        }
    }

    pub(super) fn view<T: Ty<'m>>(
        &mut self,
        (off, n): (u32, u32),
        mutable: bool,
        hold: bool,
        take: impl FnOnce(GuestPtr<'m, [T]>, bool) -> Lent<'m>,
    ) {
        let loan = if mutable { Loan::Mut } else { Loan::Shared };
        let real = take(GuestPtr::new(self.mem, (off, n)), mutable);
        let expected = Model::array_len(n, T::GUEST_SIZE).and_then(|len| {
            let range = self
                .model
                .lend(&self.table(), off, len, T::GUEST_ALIGN, loan)?;
            // A Rust reference needs the host address aligned for the host type.
            let align = core::mem::align_of::<T>();
            if len != 0 && self.model.host_misaligned(off, align) {
                return Err(GuestError::PtrNotAligned(
                    Region::new(off, len),
                    u32::try_from(align).unwrap_or(u32::MAX),
                ));
            }
            Ok((len, range))
        });
        let shown = real
            .as_ref()
            .map(|v| v.bytes().unwrap_or_default().to_vec())
            .map_err(|e| *e);
        let want = expected
            .clone()
            .map(|(_, range)| self.model.bytes[range].to_vec());
        self.same(
            if mutable { "as_slice_mut" } else { "as_slice" },
            &shown,
            &want,
        );
        if let (Ok(held), Ok((len, range)), true) = (real, expected, hold) {
            let snapshot = (!mutable).then(|| self.model.bytes[range].to_vec());
            self.guards.push(Guard {
                region: Region::new(off, len),
                loan: Some(loan),
                snapshot,
                held,
            });
        }
    }
}
