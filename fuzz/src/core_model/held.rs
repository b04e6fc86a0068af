//! What the harness holds across operations: its own views and `read_iter` iterators, each
//! with the region and loan the model records for it.

use guestmem::{GuestMemory, GuestSlice, GuestSliceMut, GuestStr, ReadIter, Region};

use super::hostile::Hostile;
use super::model::{Loan, Model};
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
        _mem: &'m dyn GuestMemory,
        _index: u32,
        _rng: &mut Rng,
    ) -> Option<(usize, Vec<u8>)> {
        None
    }

    /// Takes up to `take` items from an iterator, each checked against the model; decoded
    /// hostile values that keep views go to `keep`.
    fn advance(
        &mut self,
        _take: u8,
        _model: &Model,
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
        mem: &'m dyn GuestMemory,
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

impl<'m, T: Ty<'m>> Held<'m> for IterHeld<'m, T> {
    fn bytes(&self) -> Option<&[u8]> {
        None
    }

    fn advance(
        &mut self,
        take: u8,
        model: &Model,
        _keep: &mut Vec<Hostile<'m>>,
    ) -> Result<(), String> {
        for _ in 0..take {
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
            let size = T::GUEST_SIZE;
            let at = usize::try_from(self.base + self.next * size).map_err(|e| e.to_string())?;
            let bytes = &model.bytes[at..at + usize::try_from(size).map_err(|e| e.to_string())?];
            let mut expected = Vec::new();
            let expected = T::expect(bytes, &mut expected).map(|()| expected);
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

/// A `read_iter` iterator of hostile elements: each item may be anything, and the values
/// that keep views are kept.
pub(crate) struct HostileIter<'m> {
    pub(crate) iter: ReadIter<'m, Hostile<'m>>,
    /// Items left.
    pub(crate) left: u32,
}

impl<'m> Held<'m> for HostileIter<'m> {
    fn bytes(&self) -> Option<&[u8]> {
        None
    }

    fn advance(
        &mut self,
        take: u8,
        _model: &Model,
        keep: &mut Vec<Hostile<'m>>,
    ) -> Result<(), String> {
        for _ in 0..take {
            match self.iter.next() {
                None if self.left == 0 => return Ok(()),
                None => return Err(format!("hostile read_iter ended {} early", self.left)),
                Some(_) if self.left == 0 => {
                    return Err("hostile read_iter yielded too many".to_string())
                }
                Some(item) => {
                    self.left -= 1;
                    match item {
                        Ok(v) if !v.kept.is_empty() => keep.push(v),
                        Ok(_) | Err(_) => {}
                    }
                }
            }
        }
        Ok(())
    }
}

/// A view or iterator the harness holds.
pub(crate) struct Guard<'m> {
    /// The region it lends.
    pub(crate) region: Region,
    /// How.
    pub(crate) loan: Loan,
    /// For shared loans: the region's bytes when it was taken, which nothing may change.
    pub(crate) snapshot: Option<Vec<u8>>,
    /// The view.
    pub(crate) held: Box<dyn Held<'m> + 'm>,
}
