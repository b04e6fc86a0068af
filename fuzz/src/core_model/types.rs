//! The element types of the differential target, and what the model expects of each: how a
//! value is compared (its canonical bytes: fields only, floats bitwise), what decoding guest
//! bytes must give, and which bytes writing a value must store (padding as zeroes).

use guestmem::{
    guest_enum, guest_flags, guest_struct, GuestError, GuestFrame, GuestPtr, GuestType,
};

use super::rng::Rng;

/// An element type the target reads, writes and copies, with its model.
pub(crate) trait Ty<'m>: GuestType<'m> + Clone + 'm {
    /// Appends the value's canonical bytes: its fields' little-endian bytes, no padding.
    fn canon(&self, out: &mut Vec<u8>);

    /// What decoding `bytes` (exactly `GUEST_SIZE` guest bytes) must give: the canonical
    /// bytes of the value, appended to `out`, or the validation error.
    fn expect(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), GuestError>;

    /// Appends the `GUEST_SIZE` bytes that writing the value must store, padding zeroed.
    fn image(&self, out: &mut Vec<u8>);

    /// A valid value from random bytes (a `GuestPtr` field points into `mem`).
    fn make(mem: &'m GuestFrame<'m>, rng: &mut Rng) -> Self;
}

macro_rules! primitives {
    ($($t:ty),*) => {$(
        impl<'m> Ty<'m> for $t {
            fn canon(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }

            fn expect(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), GuestError> {
                out.extend_from_slice(bytes);
                Ok(())
            }

            fn image(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }

            fn make(_mem: &'m GuestFrame<'m>, rng: &mut Rng) -> Self {
                // Any bits: NaNs with payloads included, compared bitwise.
                <$t>::from_le_bytes(rng.bytes())
            }
        }
    )*};
}

primitives!(u8, i8, u16, i16, u32, i32, u64, i64, f32, f64);

guest_struct! {
    /// A WASI `ciovec`: a guest pointer field and a length.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Iovec<'a> {
        pub(crate) buf: GuestPtr<'a, u8>,
        pub(crate) buf_len: u32,
    }
}

guest_struct! {
    /// Padding after `a` (7 bytes) and after `c` (6 bytes): 24 bytes, aligned to 8.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Padded {
        pub(crate) a: u8,
        pub(crate) b: u64,
        pub(crate) c: u16,
    }
}

guest_enum! {
    /// A byte enum with a gap in its values.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) enum Kind: u8 {
        Zero = 0,
        One = 1,
        Seven = 7,
    }
}

guest_flags! {
    /// Three defined bits of a `u16`.
    pub(crate) struct Flags: u16 {
        const LOW = 1;
        const MID = 1 << 2;
        const HIGH = 1 << 8;
    }
}

guest_struct! {
    /// Validated fields (an enum, then a flag set) and one byte of padding: 8 bytes, aligned
    /// to 4, `kind` at 0, `flags` at 2, `val` at 4.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Tagged {
        pub(crate) kind: Kind,
        pub(crate) flags: Flags,
        pub(crate) val: u32,
    }
}

/// The defined bits of [`Flags`], written out independently of the macro.
const FLAG_BITS: u16 = 0x0105;

/// The valid values of [`Kind`], written out independently of the macro.
const KIND_VALUES: [u8; 3] = [0, 1, 7];

impl<'m> Ty<'m> for Iovec<'m> {
    fn canon(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.buf.offset().to_le_bytes());
        out.extend_from_slice(&self.buf_len.to_le_bytes());
    }

    fn expect(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), GuestError> {
        out.extend_from_slice(&bytes[..8]);
        Ok(())
    }

    fn image(&self, out: &mut Vec<u8>) {
        self.canon(out);
    }

    fn make(mem: &'m GuestFrame<'m>, rng: &mut Rng) -> Self {
        // Mostly buffers near or inside the memory, sometimes anything.
        let len = mem.len();
        let wild = rng.byte() == 0;
        let buf = if wild {
            rng.u32()
        } else {
            rng.u32() % len.saturating_add(16)
        };
        let buf_len = if wild { rng.u32() } else { rng.u32() % 80 };
        Iovec {
            buf: GuestPtr::new(mem, buf),
            buf_len,
        }
    }
}

impl<'m> Ty<'m> for Padded {
    fn canon(&self, out: &mut Vec<u8>) {
        out.push(self.a);
        out.extend_from_slice(&self.b.to_le_bytes());
        out.extend_from_slice(&self.c.to_le_bytes());
    }

    fn expect(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), GuestError> {
        out.push(bytes[0]);
        out.extend_from_slice(&bytes[8..16]);
        out.extend_from_slice(&bytes[16..18]);
        Ok(())
    }

    fn image(&self, out: &mut Vec<u8>) {
        let mut image = [0u8; 24];
        image[0] = self.a;
        image[8..16].copy_from_slice(&self.b.to_le_bytes());
        image[16..18].copy_from_slice(&self.c.to_le_bytes());
        out.extend_from_slice(&image);
    }

    fn make(_mem: &'m GuestFrame<'m>, rng: &mut Rng) -> Self {
        Padded {
            a: rng.byte(),
            b: rng.next(),
            c: u16::from_le_bytes(rng.bytes()),
        }
    }
}

impl<'m> Ty<'m> for Tagged {
    fn canon(&self, out: &mut Vec<u8>) {
        out.push(self.kind.to_raw());
        out.extend_from_slice(&self.flags.to_raw().to_le_bytes());
        out.extend_from_slice(&self.val.to_le_bytes());
    }

    fn expect(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), GuestError> {
        // Fields are decoded in declaration order: the enum's error comes first.
        let kind = bytes[0];
        if !KIND_VALUES.contains(&kind) {
            return Err(GuestError::InvalidEnumValue("Kind", u64::from(kind)));
        }
        let flags = u16::from_le_bytes([bytes[2], bytes[3]]);
        if flags & !FLAG_BITS != 0 {
            return Err(GuestError::InvalidFlagValue("Flags", u64::from(flags)));
        }
        out.push(kind);
        out.extend_from_slice(&bytes[2..8]);
        Ok(())
    }

    fn image(&self, out: &mut Vec<u8>) {
        out.push(self.kind.to_raw());
        out.push(0);
        out.extend_from_slice(&self.flags.to_raw().to_le_bytes());
        out.extend_from_slice(&self.val.to_le_bytes());
    }

    fn make(_mem: &'m GuestFrame<'m>, rng: &mut Rng) -> Self {
        let kind = match rng.byte() % 3 {
            0 => Kind::Zero,
            1 => Kind::One,
            _ => Kind::Seven,
        };
        Tagged {
            kind,
            flags: Flags::from_raw_truncate(u16::from_le_bytes(rng.bytes())),
            val: rng.u32(),
        }
    }
}

/// A guest pointer stored as a value (its own `read`/`write`, through `u32`).
impl<'m> Ty<'m> for GuestPtr<'m, u8> {
    fn canon(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.offset().to_le_bytes());
    }

    fn expect(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), GuestError> {
        out.extend_from_slice(&bytes[..4]);
        Ok(())
    }

    fn image(&self, out: &mut Vec<u8>) {
        self.canon(out);
    }

    fn make(mem: &'m GuestFrame<'m>, rng: &mut Rng) -> Self {
        GuestPtr::new(mem, rng.u32())
    }
}

guest_struct! {
    /// Nested structs: 88 bytes, aligned to 8 (`p0` 0, `p1` 24, `p2` 48, `t` 72, `e` 80, then
    /// 7 bytes of padding), so a bulk copy's chunk of at most 256 bytes holds 2 of them.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Big {
        pub(crate) p0: Padded,
        pub(crate) p1: Padded,
        pub(crate) p2: Padded,
        pub(crate) t: Tagged,
        pub(crate) e: u8,
    }
}

guest_struct! {
    /// Two `Big`s: 176 bytes, one per chunk of a bulk copy.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Huge {
        pub(crate) a: Big,
        pub(crate) b: Big,
    }
}

/// Field offsets of [`Big`], written out independently of the macro.
const BIG_PADDED: [usize; 3] = [0, 24, 48];

impl<'m> Ty<'m> for Big {
    fn canon(&self, out: &mut Vec<u8>) {
        for p in [&self.p0, &self.p1, &self.p2] {
            <Padded as Ty<'m>>::canon(p, out);
        }
        <Tagged as Ty<'m>>::canon(&self.t, out);
        out.push(self.e);
    }

    fn expect(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), GuestError> {
        for at in BIG_PADDED {
            <Padded as Ty<'m>>::expect(&bytes[at..at + 24], out)?;
        }
        <Tagged as Ty<'m>>::expect(&bytes[72..80], out)?;
        out.push(bytes[80]);
        Ok(())
    }

    fn image(&self, out: &mut Vec<u8>) {
        let start = out.len();
        for p in [&self.p0, &self.p1, &self.p2] {
            <Padded as Ty<'m>>::image(p, out);
        }
        <Tagged as Ty<'m>>::image(&self.t, out);
        out.push(self.e);
        out.resize(start + 88, 0);
    }

    fn make(mem: &'m GuestFrame<'m>, rng: &mut Rng) -> Self {
        Big {
            p0: <Padded as Ty<'m>>::make(mem, rng),
            p1: <Padded as Ty<'m>>::make(mem, rng),
            p2: <Padded as Ty<'m>>::make(mem, rng),
            t: <Tagged as Ty<'m>>::make(mem, rng),
            e: rng.byte(),
        }
    }
}

impl<'m> Ty<'m> for Huge {
    fn canon(&self, out: &mut Vec<u8>) {
        <Big as Ty<'m>>::canon(&self.a, out);
        <Big as Ty<'m>>::canon(&self.b, out);
    }

    fn expect(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), GuestError> {
        <Big as Ty<'m>>::expect(&bytes[..88], out)?;
        <Big as Ty<'m>>::expect(&bytes[88..176], out)
    }

    fn image(&self, out: &mut Vec<u8>) {
        <Big as Ty<'m>>::image(&self.a, out);
        <Big as Ty<'m>>::image(&self.b, out);
    }

    fn make(mem: &'m GuestFrame<'m>, rng: &mut Rng) -> Self {
        Huge {
            a: <Big as Ty<'m>>::make(mem, rng),
            b: <Big as Ty<'m>>::make(mem, rng),
        }
    }
}

/// A guest array as an element: 3 `u16`s back to back, 6 bytes aligned to 2, not transparent
/// (`[T; N]` is copied element by element through the stack).
impl<'m> Ty<'m> for [u16; 3] {
    fn canon(&self, out: &mut Vec<u8>) {
        for v in self {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }

    fn expect(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), GuestError> {
        out.extend_from_slice(&bytes[..6]);
        Ok(())
    }

    fn image(&self, out: &mut Vec<u8>) {
        self.canon(out);
    }

    fn make(_mem: &'m GuestFrame<'m>, rng: &mut Rng) -> Self {
        [
            u16::from_le_bytes(rng.bytes()),
            u16::from_le_bytes(rng.bytes()),
            u16::from_le_bytes(rng.bytes()),
        ]
    }
}

guest_struct! {
    /// Array fields: 40 bytes, aligned to 8 — `kind` at 0, `name` (`char name[6]`) at 1,
    /// one byte of padding, `pair` (two validated `Tagged`s) at 8, `wide` at 24.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Named {
        pub(crate) kind: Kind,
        pub(crate) name: [u8; 6],
        pub(crate) pair: [Tagged; 2],
        pub(crate) wide: [u64; 2],
    }
}

impl<'m> Ty<'m> for Named {
    fn canon(&self, out: &mut Vec<u8>) {
        out.push(self.kind.to_raw());
        out.extend_from_slice(&self.name);
        for t in &self.pair {
            <Tagged as Ty<'m>>::canon(t, out);
        }
        for w in self.wide {
            out.extend_from_slice(&w.to_le_bytes());
        }
    }

    fn expect(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), GuestError> {
        // Fields in declaration order, array elements in index order.
        if !KIND_VALUES.contains(&bytes[0]) {
            return Err(GuestError::InvalidEnumValue("Kind", u64::from(bytes[0])));
        }
        out.extend_from_slice(&bytes[..7]);
        <Tagged as Ty<'m>>::expect(&bytes[8..16], out)?;
        <Tagged as Ty<'m>>::expect(&bytes[16..24], out)?;
        out.extend_from_slice(&bytes[24..40]);
        Ok(())
    }

    fn image(&self, out: &mut Vec<u8>) {
        out.push(self.kind.to_raw());
        out.extend_from_slice(&self.name);
        out.push(0);
        for t in &self.pair {
            <Tagged as Ty<'m>>::image(t, out);
        }
        for w in self.wide {
            out.extend_from_slice(&w.to_le_bytes());
        }
    }

    fn make(mem: &'m GuestFrame<'m>, rng: &mut Rng) -> Self {
        let kind = <Tagged as Ty<'m>>::make(mem, rng).kind;
        Named {
            kind,
            name: rng.bytes(),
            pair: [
                <Tagged as Ty<'m>>::make(mem, rng),
                <Tagged as Ty<'m>>::make(mem, rng),
            ],
            wide: [rng.next(), rng.next()],
        }
    }
}
