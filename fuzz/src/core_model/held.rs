//! What the harness holds across operations: its own views, each with the region and loan
//! the model records for it, and `read_iter` iterators, which lend nothing.

use guestmem::{GuestError, GuestFrame, GuestSlice, GuestSliceMut, GuestStr, ReadIter, Region};

use super::hostile::Hostile;
use super::model::{Entry, Loan, Model};
use super::rng::Rng;
use super::types::Ty;

/// Something the harness holds that lends guest memory.
pub(crate) trait Held<'m> {
    /// The bytes it lends now, or `None` if it does not show them.
    fn bytes(&self) -> Option<&[u8]>;

    /// Writes a random element at `index` (modulo the length) through a mutable view:
    /// returns the byte offset in the view and the bytes written.
    fn write(
        &mut self,
        _mem: &'m GuestFrame<'m>,
        _index: u32,
        _rng: &mut Rng,
    ) -> Option<(usize, Vec<u8>)> {
        None
    }

    /// Takes up to `take` items from an iterator, each checked against the model and the live
    /// views `table`; decoded hostile values that keep views go to `keep`.
    fn advance(
        &mut self,
        _take: u8,
        _model: &Model,
        _table: &[Entry],
        _keep: &mut Vec<Hostile<'m>>,
    ) -> Result<(), String> {
        Ok(())
    }
}

// Views are of primitives, whose host bytes are their guest (little-endian) bytes: the core
// lends multi-byte types only on little-endian hosts, and this crate is built only for those.
impl<'m, T: Ty<'m> + bytemuck::Pod> Held<'m> for GuestSlice<'m, T> {
    fn bytes(&self) -> Option<&[u8]> {
        Some(bytemuck::cast_slice(self))
    }
}

impl<'m, T: Ty<'m> + bytemuck::Pod> Held<'m> for GuestSliceMut<'m, T> {
    fn bytes(&self) -> Option<&[u8]> {
        Some(bytemuck::cast_slice(self))
    }

    fn write(
        &mut self,
        mem: &'m GuestFrame<'m>,
        index: u32,
        rng: &mut Rng,
    ) -> Option<(usize, Vec<u8>)> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        let at = usize::try_from(index).ok()? % len;
        let value = T::make(mem, rng);
        let mut image = Vec::new();
        value.image(&mut image);
        *self.get_mut(at)? = value;
        Some((at * image.len(), image))
    }
}

impl<'m> Held<'m> for GuestStr<'m> {
    fn bytes(&self) -> Option<&[u8]> {
        Some(self.as_bytes())
    }
}

/// A `read_iter` iterator of a checked type, and where its next element is.
pub(crate) struct IterHeld<'m, T> {
    pub(crate) iter: ReadIter<'m, T>,
    /// Guest offset of the array.
    pub(crate) base: u32,
    /// Number of elements.
    pub(crate) count: u32,
    /// Index of the next element.
    pub(crate) next: u32,
}

/// Checks what an iterator says of its length: `count - next` elements left.
fn check_len(len: usize, count: u32, next: u32) -> Result<(), String> {
    let left = usize::try_from(count.saturating_sub(next)).map_err(|e| e.to_string())?;
    if len != left {
        return Err(format!(
            "read_iter says {len} elements are left, the model {left}"
        ));
    }
    Ok(())
}

impl<'m, T: Ty<'m>> Held<'m> for IterHeld<'m, T> {
    fn bytes(&self) -> Option<&[u8]> {
        None
    }

    fn advance(
        &mut self,
        take: u8,
        model: &Model,
        table: &[Entry],
        _keep: &mut Vec<Hostile<'m>>,
    ) -> Result<(), String> {
        for _ in 0..take {
            check_len(self.iter.len(), self.count, self.next)?;
            let item = self.iter.next();
            if self.next >= self.count {
                if item.is_some() {
                    return Err(format!(
                        "read_iter yielded more than its {} elements",
                        self.count
                    ));
                }
                return Ok(());
            }
            // Each element is copied as it is now, checked against the views live now.
            let size = T::GUEST_SIZE;
            let region = Region::new(self.base + self.next * size, size);
            let expected = if Model::conflicts(table, region, false) {
                Err(GuestError::BorrowConflict(region))
            } else {
                let mut expected = Vec::new();
                T::expect(&model.bytes[super::world::span(region)], &mut expected)
                    .map(|()| expected)
            };
            let real = match item {
                None => return Err(format!("read_iter ended at element {}", self.next)),
                Some(r) => r.map(|v| {
                    let mut c = Vec::new();
                    v.canon(&mut c);
                    c
                }),
            };
            if real != expected {
                return Err(format!(
                    "read_iter element {}: got {real:?}, model {expected:?}",
                    self.next
                ));
            }
            self.next += 1;
        }
        Ok(())
    }
}

/// A `read_iter` iterator of hostile elements: each item is what [`Model::read_elem`] says,
/// and the values that keep views are kept.
pub(crate) struct HostileIter<'m> {
    pub(crate) iter: ReadIter<'m, Hostile<'m>>,
    /// Guest offset of the array.
    pub(crate) base: u32,
    /// Number of elements.
    pub(crate) count: u32,
    /// Index of the next element.
    pub(crate) next: u32,
}

impl<'m> Held<'m> for HostileIter<'m> {
    fn bytes(&self) -> Option<&[u8]> {
        None
    }

    fn advance(
        &mut self,
        take: u8,
        model: &Model,
        table: &[Entry],
        keep: &mut Vec<Hostile<'m>>,
    ) -> Result<(), String> {
        let mut table = table.to_vec();
        for _ in 0..take {
            check_len(self.iter.len(), self.count, self.next)?;
            let item = self.iter.next();
            if self.next >= self.count {
                if item.is_some() {
                    return Err("hostile read_iter yielded too many".to_string());
                }
                return Ok(());
            }
            let Some(item) = item else {
                return Err(format!("hostile read_iter ended at element {}", self.next));
            };
            let expected = model.read_elem(&table, self.base + self.next * 8);
            let real = item.as_ref().map(Hostile::shown).map_err(|e| *e);
            if real != expected {
                return Err(format!(
                    "hostile read_iter element {}: got {real:?}, model {expected:?}",
                    self.next
                ));
            }
            if let Ok(v) = item {
                table.extend(v.kept.iter().map(super::hostile::Kept::entry));
                if !v.kept.is_empty() {
                    keep.push(v);
                }
            }
            self.next += 1;
        }
        Ok(())
    }
}

/// A view or iterator the harness holds.
pub(crate) struct Guard<'m> {
    /// The region it lends, or (an iterator) walks.
    pub(crate) region: Region,
    /// How it lends it: `None` for an iterator, which lends nothing.
    pub(crate) loan: Option<Loan>,
    /// For shared loans: the region's bytes when it was taken, which nothing may change.
    pub(crate) snapshot: Option<Vec<u8>>,
    /// The view.
    pub(crate) held: Box<dyn Held<'m> + 'm>,
}
