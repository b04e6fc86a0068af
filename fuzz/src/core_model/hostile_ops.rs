//! The operations on arrays of the hostile type, checked loosely (see the module docs).

use guestmem::{GuestPtr, Region};
use guestmem_alloc::GuestSliceExt;

use super::held::{Guard, Held, HostileIter};
use super::hostile::{Hostile, Plan};
use super::input::HostileOp;
use super::model::{Entry, Loan, Model};
use super::world::World;

impl<'m> World<'m> {
    /// Whether the model refuses an array of `n` hostile elements at `off` (with a host
    /// buffer of `host` elements) before any user code could matter: then guestmem must
    /// refuse it too, and change nothing.
    pub(super) fn refuses(
        &self,
        table: &[Entry],
        n: u32,
        host: usize,
        write: bool,
        off: u32,
    ) -> bool {
        usize::try_from(n) != Ok(host)
            || Model::array_len(n, 8)
                .and_then(|len| self.model.access(table, off, len, 4, write))
                .is_err()
    }

    /// Keeps the decoded hostile values that hold views; checks their number.
    pub(super) fn keep_all(
        &mut self,
        what: &str,
        values: impl ExactSizeIterator<Item = Hostile<'m>>,
        n: u32,
    ) {
        if values.len() != usize::try_from(n).unwrap_or(0) {
            self.fail(format_args!(
                "hostile {what} gave {} of {n} elements",
                values.len()
            ));
        }
        for v in values {
            self.keep(v);
        }
    }

    /// A hostile operation: returns the region it may have written.
    pub(super) fn hostile(&mut self, op: HostileOp) -> Option<Region> {
        let mem = self.mem;
        let table = self.table();
        let blank = Plan {
            off: 0,
            len: 0,
            action: 0,
            fail: false,
        };
        let (what, ok, refused, written) = match op {
            HostileOp::Read { off } => {
                let off = self.off(off);
                let refused = self.refuses(&table, 1, 1, false, off);
                let real = GuestPtr::<Hostile<'m>>::new(mem, off).read();
                let ok = real.is_ok();
                if let Ok(v) = real {
                    self.keep(v);
                }
                ("read", ok, refused, None)
            }
            HostileOp::Write { off, plan } => {
                let off = self.off(off);
                let refused = self.refuses(&table, 1, 1, true, off);
                let value = Hostile::new(mem, plan.plan(), &self.stash);
                let ok = GuestPtr::<Hostile<'m>>::new(mem, off).write(value).is_ok();
                ("write", ok, refused, Some(Region::new(off, 8)))
            }
            HostileOp::CopyOut { arr, fit } => {
                let (off, n) = self.arr(arr, 8);
                let host = self.fit(fit, n, 8);
                let refused = self.refuses(&table, n, host, false, off);
                let mut dst = vec![Hostile::new(mem, blank, &self.stash); host];
                let ok = GuestPtr::<[Hostile<'m>]>::new(mem, (off, n))
                    .copy_to_slice(&mut dst)
                    .is_ok();
                for v in dst {
                    self.keep(v);
                }
                ("copy_to_slice", ok, refused, None)
            }
            HostileOp::CopyIn { arr, fit, plans } => {
                let (off, n) = self.arr(arr, 8);
                let host = self.fit(fit, n, 8);
                let refused = self.refuses(&table, n, host, true, off);
                let src: Vec<Hostile<'m>> = (0..host)
                    .map(|i| Hostile::new(mem, plans[i % plans.len()].plan(), &self.stash))
                    .collect();
                let ok = GuestPtr::<[Hostile<'m>]>::new(mem, (off, n))
                    .copy_from_slice(&src)
                    .is_ok();
                drop(src);
                let written = Model::array_len(n, 8).ok().map(|l| Region::new(off, l));
                ("copy_from_slice", ok, refused, written)
            }
            HostileOp::Heapless { arr } => {
                let (off, n) = self.arr(arr, 8);
                // More than 8 elements: refused as a host buffer of another length is.
                let host = if n > 8 {
                    0
                } else {
                    usize::try_from(n).unwrap_or(0)
                };
                let refused = self.refuses(&table, n, host, false, off);
                let real = GuestPtr::<[Hostile<'m>]>::new(mem, (off, n)).to_heapless::<8>();
                let ok = real.is_ok();
                if let Ok(v) = real {
                    self.keep_all("to_heapless", v.into_iter(), n);
                }
                ("to_heapless", ok, refused, None)
            }
            HostileOp::ToVec { arr } => {
                let (off, n) = self.arr(arr, 8);
                let host = usize::try_from(n).unwrap_or(0);
                let refused = self.refuses(&table, n, host, false, off);
                let real = GuestPtr::<[Hostile<'m>]>::new(mem, (off, n)).to_vec();
                let ok = real.is_ok();
                if let Ok(v) = real {
                    self.keep_all("to_vec", v.into_iter(), n);
                }
                ("to_vec", ok, refused, None)
            }
            HostileOp::ReadIter { arr, take, hold } => {
                let (off, n) = self.arr(arr, 8);
                // Taking the iterator runs no user code: exact.
                let real = GuestPtr::<[Hostile<'m>]>::new(mem, (off, n)).read_iter();
                let expected = Model::array_len(n, 8).and_then(|len| {
                    self.model
                        .lend(&table, off, len, 4, Loan::Shared)
                        .map(|r| (len, r))
                });
                self.same(
                    "hostile read_iter",
                    &real.as_ref().map(|_| ()).map_err(|e| *e),
                    &expected.clone().map(|_| ()),
                );
                if let (Ok(iter), Ok((len, range))) = (real, expected) {
                    let mut held = HostileIter { iter, left: n };
                    if let Err(e) = held.advance(take, &self.model, &mut self.values) {
                        self.fail(e);
                    }
                    if hold {
                        self.guards.push(Guard {
                            region: Region::new(off, len),
                            loan: Loan::Shared,
                            snapshot: Some(self.model.bytes[range].to_vec()),
                            held: Box::new(held),
                        });
                    }
                }
                return None;
            }
        };
        if refused && ok {
            self.fail(format_args!(
                "hostile {what}: guestmem accepted a range the model refuses"
            ));
        }
        if refused {
            None
        } else {
            written
        }
    }
}
