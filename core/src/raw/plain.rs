//! Which types may be copied to and from guest memory as raw bytes, and lent as `&[T]`: the
//! sealed [`Plain`] trait and its value-level proof [`Transparent`].

use core::marker::PhantomData;

/// Plain data whose host bytes are its guest encoding on this host: the primitives whose host
/// byte order is the guest's (little-endian). Sealed: implemented here and nowhere else.
///
/// # Safety
///
/// 1. Every pattern of `size_of::<Self>()` bytes is a valid value.
/// 2. `Self` has no padding bytes.
/// 3. The host bytes of a value are its little-endian guest encoding (this is what makes
///    copies *correct*; points 1 and 2 are what make them *sound*).
pub unsafe trait Plain: Copy + 'static {}

macro_rules! plain {
    ($($t:ty),*) => {$(
        // SAFETY: 1. every bit pattern is a valid integer or float. 2. a primitive has no
        // padding. 3. one byte has no byte order, and wider primitives are implemented only
        // on little-endian hosts (see the `cfg`s below).
        unsafe impl Plain for $t {}
    )*};
}

plain!(u8, i8);

#[cfg(target_endian = "little")]
plain!(u16, i16, u32, i32, u64, i64, f32, f64);

/// Proof that `T` is plain data whose host bytes are its guest bytes, which generic code can
/// hold without the bound: a `GuestType` whose `TRANSPARENT` is `Some` gets the bulk `memcpy`
/// copies and the zero-copy views.
///
/// Its only constructor requires the (sealed) bound, so holding one is as good as the bound.
///
/// # Examples
///
/// ```
/// use guestmem::{GuestType, Transparent};
///
/// let _proof = Transparent::<u8>::new();
/// assert!(<u8 as GuestType>::TRANSPARENT.is_some());
/// ```
///
/// A type of another crate cannot build one, so it cannot reach the `memcpy` paths:
///
/// ```compile_fail
/// use guestmem::{GuestError, GuestMemory, GuestType, Transparent};
///
/// #[derive(Clone, Copy)]
/// struct Mine(u32);
///
/// impl<'a> GuestType<'a> for Mine {
///     const GUEST_SIZE: u32 = 4;
///     const GUEST_ALIGN: u32 = 4;
///     const TRANSPARENT: Option<Transparent<Self>> = Some(Transparent::new());
///     fn decode(_: &'a GuestFrame<'a>, _: &[u8]) -> Result<Self, GuestError> {
///         Ok(Mine(0))
///     }
///     fn encode(&self, _: &mut [u8]) -> Result<(), GuestError> {
///         Ok(())
///     }
/// }
/// ```
#[derive(Debug)]
pub struct Transparent<T>(PhantomData<fn() -> T>);

impl<T> Clone for Transparent<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Transparent<T> {}

impl<T: Plain> Transparent<T> {
    /// The proof for `T`.
    #[inline(always)]
    pub const fn new() -> Self {
        Transparent(PhantomData)
    }
}

impl<T: Plain> Default for Transparent<T> {
    fn default() -> Self {
        Self::new()
    }
}
