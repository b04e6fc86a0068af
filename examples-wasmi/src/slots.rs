//! Wasm values as the slot ABI's `u64` slots, and back.

use wasmi::{Val, ValType};

/// A wasm value as a slot: an `i32` or `f32` in the low 32 bits, zero-extended.
pub(crate) fn to_slot(v: &Val) -> u64 {
    match v {
        Val::I32(i) => u64::from(i.cast_unsigned()),
        Val::I64(i) => i.cast_unsigned(),
        Val::F32(f) => u64::from(f.to_bits()),
        Val::F64(f) => f.to_bits(),
        // No signature letter maps to another type, and the firmware and the CLI call only
        // functions over numbers.
        _ => 0,
    }
}

/// A slot as a value of type `ty` (a reference type gets its null).
pub(crate) fn from_slot(ty: ValType, slot: u64) -> Val {
    let [a, b, c, d, ..] = slot.to_le_bytes();
    let low = u32::from_le_bytes([a, b, c, d]);
    match ty {
        ValType::I32 => Val::I32(low.cast_signed()),
        ValType::I64 => Val::I64(slot.cast_signed()),
        ValType::F32 => Val::F32(f32::from_bits(low).into()),
        ValType::F64 => Val::F64(f64::from_bits(slot).into()),
        other => Val::default_for_ty(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_round_trip_each_type() {
        assert_eq!(to_slot(&Val::I32(-2)), 0xFFFF_FFFE);
        assert_eq!(to_slot(&Val::I64(-1)), u64::MAX);
        assert_eq!(
            to_slot(&Val::F32(1.5f32.into())),
            u64::from(1.5f32.to_bits())
        );
        for v in [
            Val::I32(-7),
            Val::I64(i64::MIN),
            Val::F32(2.25f32.into()),
            Val::F64((-0.5f64).into()),
        ] {
            let back = from_slot(v.ty(), to_slot(&v));
            assert_eq!(to_slot(&back), to_slot(&v), "{v:?}");
            assert_eq!(back.ty(), v.ty());
        }
    }
}
