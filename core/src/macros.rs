//! Declarative macros that give structs, enums and flag sets a [`GuestType`](crate::GuestType)
//! impl with the wasm32 C layout. No proc-macro crate: they expand to plain trait impls whose
//! sizes and offsets are constants.

/// Declares a struct with the wasm32 C layout of its fields, and its
/// [`GuestType`](crate::GuestType) impl.
///
/// Field offsets, size and alignment are computed at compile time (each field at the next
/// multiple of its alignment, the size rounded up to the largest alignment). Reading checks the
/// whole struct once and decodes every field (so enum and flag fields are validated); writing
/// zeroes the padding, so no host bytes reach the guest. Structs may hold [`GuestPtr`]s, which
/// need the memory lifetime as the struct's one lifetime parameter. Structs larger than
/// [`MAX_SCRATCH`](crate::MAX_SCRATCH) bytes are refused at compile time.
///
/// [`GuestPtr`]: crate::GuestPtr
///
/// # Examples
///
/// A WASI `ciovec` and a struct with padding:
///
/// ```
/// use guestmem::{guest_struct, GuestPtr, GuestType, GuestFrame};
///
/// guest_struct! {
///     /// A WASI `ciovec`: a buffer the guest wants written.
///     #[derive(Debug, Clone, Copy, PartialEq)]
///     pub struct Iovec<'a> {
///         pub buf: GuestPtr<'a, u8>,
///         pub buf_len: u32,
///     }
/// }
///
/// guest_struct! {
///     #[derive(Debug, Clone, Copy, PartialEq)]
///     pub struct Stat {
///         pub kind: u8,   // offset 0, then 7 bytes of padding
///         pub size: u64,  // offset 8
///         pub mode: u16,  // offset 16, then 6 bytes of padding
///     }
/// }
///
/// assert_eq!((<Iovec as GuestType>::guest_size(), <Iovec as GuestType>::guest_align()), (8, 4));
/// assert_eq!((<Stat as GuestType>::guest_size(), <Stat as GuestType>::guest_align()), (24, 8));
///
/// let mut bytes = [0xAAu8; 64];
/// let mem = GuestFrame::new(&mut bytes);
/// let at = GuestPtr::<Stat>::new(&mem, 8);
/// at.write(Stat { kind: 3, size: 1 << 40, mode: 0o644 })?;
/// assert_eq!(at.read()?.size, 1 << 40);
/// // The padding after `kind` was written as zeroes.
/// let mut raw = [0u8; 8];
/// GuestPtr::<[u8]>::new(&mem, (8, 8)).copy_to_slice(&mut raw)?;
/// assert_eq!(raw, [3, 0, 0, 0, 0, 0, 0, 0]);
///
/// let iov = GuestPtr::<Iovec>::new(&mem, 40);
/// iov.write(Iovec { buf: GuestPtr::new(&mem, 8), buf_len: 1 })?;
/// assert_eq!(iov.read()?.buf.read()?, 3);
/// # Ok::<(), guestmem::GuestError>(())
/// ```
#[macro_export]
macro_rules! guest_struct {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident<$lt:lifetime> {
            $( $(#[$fattr:meta])* $fvis:vis $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        $vis struct $name<$lt> {
            $( $(#[$fattr])* $fvis $field: $ty, )*
        }
        $crate::__guest_struct_impl!($name<$lt>, $name, $lt, $( $field : $ty ),*);
    };
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fattr:meta])* $fvis:vis $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        $vis struct $name {
            $( $(#[$fattr])* $fvis $field: $ty, )*
        }
        $crate::__guest_struct_impl!($name, $name, 'a, $( $field : $ty ),*);
    };
}

/// The impls of [`guest_struct!`]. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __guest_struct_impl {
    ($self_ty:ty, $name:ident, $lt:lifetime, $( $field:ident : $ty:ty ),*) => {
        impl<$lt> $self_ty {
            #[doc(hidden)]
            const __GUEST_LAYOUT: $crate::__private::StructLayout<
                { 0usize $( + $crate::__one!($field) )* }
            > = $crate::__private::StructLayout::new([
                $( (
                    <$ty as $crate::GuestType<$lt>>::GUEST_SIZE,
                    <$ty as $crate::GuestType<$lt>>::GUEST_ALIGN,
                ), )*
            ]);
        }

        impl<$lt> $crate::GuestType<$lt> for $self_ty {
            const GUEST_SIZE: u32 = Self::__GUEST_LAYOUT.size;
            const GUEST_ALIGN: u32 = Self::__GUEST_LAYOUT.align;

            #[inline]
            fn decode(
                mem: $crate::FrameRef<$lt>,
                bytes: &[u8],
            ) -> ::core::result::Result<Self, $crate::GuestError> {
                let _ = &mem;
                let bytes = $crate::__private::whole(bytes, Self::GUEST_SIZE)?;
                let _ = &bytes;
                let mut _offsets = Self::__GUEST_LAYOUT.offsets.iter();
                ::core::result::Result::Ok($name {
                    $( $field: $crate::__private::decode_field::<$ty>(mem, bytes, _offsets.next())?, )*
                })
            }

            #[inline]
            fn encode(&self, bytes: &mut [u8]) -> ::core::result::Result<(), $crate::GuestError> {
                let _bytes = $crate::__private::zeroed(bytes, Self::GUEST_SIZE)?;
                let mut _offsets = Self::__GUEST_LAYOUT.offsets.iter();
                $( $crate::__private::encode_field::<$ty>(&self.$field, _bytes, _offsets.next())?; )*
                ::core::result::Result::Ok(())
            }
        }
    };
}

/// Counts fields for [`guest_struct!`]. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __one {
    ($x:tt) => {
        1usize
    };
}

/// Declares a fieldless enum stored in guest memory as an unsigned integer, and its
/// [`GuestType`](crate::GuestType) impl. Reading a value that names no variant fails with
/// [`GuestError::InvalidEnumValue`](crate::GuestError::InvalidEnumValue).
///
/// The representation is one of `u8`, `u16`, `u32`, `u64`.
///
/// # Examples
///
/// ```
/// use guestmem::{guest_enum, GuestError, GuestPtr, GuestFrame};
///
/// guest_enum! {
///     /// Where `fd_seek` counts from.
///     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
///     pub enum Whence: u8 {
///         Set = 0,
///         Cur = 1,
///         End = 2,
///     }
/// }
///
/// let mut bytes = [1u8, 9];
/// let mem = GuestFrame::new(&mut bytes);
/// assert_eq!(GuestPtr::<Whence>::new(&mem, 0).read()?, Whence::Cur);
/// assert_eq!(
///     GuestPtr::<Whence>::new(&mem, 1).read(),
///     Err(GuestError::InvalidEnumValue("Whence", 9))
/// );
/// assert_eq!(Whence::from_raw(2), Ok(Whence::End));
/// assert_eq!(Whence::Cur.to_raw(), 1);
/// assert_eq!(u8::from(Whence::End), 2);
/// # Ok::<(), guestmem::GuestError>(())
/// ```
#[macro_export]
macro_rules! guest_enum {
    (
        $(#[$attr:meta])*
        $vis:vis enum $name:ident : $repr:ident {
            $( $(#[$vattr:meta])* $variant:ident = $value:literal ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        #[repr($repr)]
        $vis enum $name {
            $( $(#[$vattr])* $variant = $value, )*
        }

        #[allow(dead_code)]
        impl $name {
            /// The value that the guest stores for this variant.
            #[inline]
            pub const fn to_raw(self) -> $repr {
                match self {
                    $( $name::$variant => $value, )*
                }
            }

            /// The variant the guest stores as `raw`.
            ///
            /// # Errors
            ///
            /// [`GuestError::InvalidEnumValue`]($crate::GuestError::InvalidEnumValue) if no
            /// variant has that value.
            #[inline]
            #[allow(clippy::as_conversions)] // widening to `u64`, in a `const fn`
            pub const fn from_raw(raw: $repr) -> ::core::result::Result<Self, $crate::GuestError> {
                $( if raw == $value { return ::core::result::Result::Ok($name::$variant); } )*
                ::core::result::Result::Err($crate::GuestError::InvalidEnumValue(
                    ::core::stringify!($name),
                    raw as u64,
                ))
            }
        }

        impl ::core::convert::TryFrom<$repr> for $name {
            type Error = $crate::GuestError;
            #[inline]
            fn try_from(raw: $repr) -> ::core::result::Result<Self, $crate::GuestError> {
                Self::from_raw(raw)
            }
        }

        impl ::core::convert::From<$name> for $repr {
            #[inline]
            fn from(value: $name) -> $repr {
                value.to_raw()
            }
        }

        impl<'a> $crate::GuestType<'a> for $name {
            const GUEST_SIZE: u32 = <$repr as $crate::GuestType<'a>>::GUEST_SIZE;
            const GUEST_ALIGN: u32 = <$repr as $crate::GuestType<'a>>::GUEST_ALIGN;

            #[inline]
            fn decode(
                mem: $crate::FrameRef<'a>,
                bytes: &[u8],
            ) -> ::core::result::Result<Self, $crate::GuestError> {
                <$repr as $crate::GuestType<'a>>::decode(mem, bytes).and_then(Self::from_raw)
            }

            #[inline]
            fn encode(&self, bytes: &mut [u8]) -> ::core::result::Result<(), $crate::GuestError> {
                $crate::GuestType::encode(&self.to_raw(), bytes)
            }

            #[inline]
            fn read(ptr: &$crate::GuestPtr<'a, Self>) -> ::core::result::Result<Self, $crate::GuestError> {
                ptr.cast::<$repr>().read().and_then(Self::from_raw)
            }

            #[inline]
            fn write(ptr: &$crate::GuestPtr<'_, Self>, val: Self) -> ::core::result::Result<(), $crate::GuestError> {
                ptr.cast::<$repr>().write(val.to_raw())
            }
        }
    };
}

/// Declares a set of bit flags stored in guest memory as an unsigned integer, and its
/// [`GuestType`](crate::GuestType) impl. Reading a value with a bit the set does not define
/// fails with [`GuestError::InvalidFlagValue`](crate::GuestError::InvalidFlagValue).
///
/// The type is a `Copy` newtype with the flag constants, `empty`, `all`, `to_raw`, `from_raw`
/// (which refuses undefined bits, as reading does), `from_raw_truncate`, `contains`,
/// `is_empty`, the `|`, `&`, `|=` operators, and `TryFrom`/`From` for the raw integer — the
/// same raw-value names as [`guest_enum!`](crate::guest_enum).
///
/// # Examples
///
/// ```
/// use guestmem::{guest_flags, GuestError, GuestPtr, GuestFrame};
///
/// guest_flags! {
///     /// Flags of `fd_fdstat_get`.
///     pub struct FdFlags: u16 {
///         const APPEND = 1 << 0;
///         const DSYNC = 1 << 1;
///         const NONBLOCK = 1 << 2;
///     }
/// }
///
/// let mut bytes = [0u8; 4];
/// let mem = GuestFrame::new(&mut bytes);
/// let p = GuestPtr::<FdFlags>::new(&mem, 0);
/// p.write(FdFlags::APPEND | FdFlags::NONBLOCK)?;
/// assert!(p.read()?.contains(FdFlags::NONBLOCK));
/// GuestPtr::<u16>::new(&mem, 2).write(0x8001)?;
/// assert_eq!(
///     GuestPtr::<FdFlags>::new(&mem, 2).read(),
///     Err(GuestError::InvalidFlagValue("FdFlags", 0x8001))
/// );
/// # Ok::<(), guestmem::GuestError>(())
/// ```
#[macro_export]
macro_rules! guest_flags {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident : $repr:ident {
            $( $(#[$fattr:meta])* const $flag:ident = $value:expr; )*
        }
    ) => {
        $(#[$attr])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        #[repr(transparent)]
        $vis struct $name($repr);

        #[allow(dead_code)]
        impl $name {
            $( $(#[$fattr])* pub const $flag: Self = Self($value); )*

            /// No flag set.
            #[inline]
            pub const fn empty() -> Self {
                Self(0)
            }

            /// Every defined flag set.
            #[inline]
            pub const fn all() -> Self {
                Self(0 $( | $value )*)
            }

            /// The value that the guest stores for these flags.
            #[inline]
            pub const fn to_raw(self) -> $repr {
                self.0
            }

            /// The flags the guest stores as `raw`.
            ///
            /// # Errors
            ///
            /// [`GuestError::InvalidFlagValue`]($crate::GuestError::InvalidFlagValue) if `raw`
            /// has a bit no flag defines.
            #[inline]
            #[allow(clippy::as_conversions)] // widening to `u64`, in a `const fn`
            pub const fn from_raw(raw: $repr) -> ::core::result::Result<Self, $crate::GuestError> {
                if raw & !Self::all().0 == 0 {
                    ::core::result::Result::Ok(Self(raw))
                } else {
                    ::core::result::Result::Err($crate::GuestError::InvalidFlagValue(
                        ::core::stringify!($name),
                        raw as u64,
                    ))
                }
            }

            /// The flags of `raw`, dropping bits no flag defines.
            #[inline]
            pub const fn from_raw_truncate(raw: $repr) -> Self {
                Self(raw & Self::all().0)
            }

            /// Whether every flag of `other` is set in `self`.
            #[inline]
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }

            /// Whether no flag is set.
            #[inline]
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }
        }

        impl ::core::convert::TryFrom<$repr> for $name {
            type Error = $crate::GuestError;
            #[inline]
            fn try_from(raw: $repr) -> ::core::result::Result<Self, $crate::GuestError> {
                Self::from_raw(raw)
            }
        }

        impl ::core::convert::From<$name> for $repr {
            #[inline]
            fn from(value: $name) -> $repr {
                value.to_raw()
            }
        }

        impl ::core::ops::BitOr for $name {
            type Output = Self;
            #[inline]
            fn bitor(self, other: Self) -> Self {
                Self(self.0 | other.0)
            }
        }

        impl ::core::ops::BitAnd for $name {
            type Output = Self;
            #[inline]
            fn bitand(self, other: Self) -> Self {
                Self(self.0 & other.0)
            }
        }

        impl ::core::ops::BitOrAssign for $name {
            #[inline]
            fn bitor_assign(&mut self, other: Self) {
                self.0 |= other.0;
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::write!(f, "{}({:#x})", ::core::stringify!($name), self.0)
            }
        }

        impl<'a> $crate::GuestType<'a> for $name {
            const GUEST_SIZE: u32 = <$repr as $crate::GuestType<'a>>::GUEST_SIZE;
            const GUEST_ALIGN: u32 = <$repr as $crate::GuestType<'a>>::GUEST_ALIGN;

            #[inline]
            fn decode(
                mem: $crate::FrameRef<'a>,
                bytes: &[u8],
            ) -> ::core::result::Result<Self, $crate::GuestError> {
                <$repr as $crate::GuestType<'a>>::decode(mem, bytes).and_then(Self::from_raw)
            }

            #[inline]
            fn encode(&self, bytes: &mut [u8]) -> ::core::result::Result<(), $crate::GuestError> {
                $crate::GuestType::encode(&self.0, bytes)
            }
        }
    };
}
