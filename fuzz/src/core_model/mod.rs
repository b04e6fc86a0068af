//! Target (a), `core_model`: guestmem against a reference model.
//!
//! An input is a memory (0 to 64 KiB, its host base aligned or one byte off an 8-byte
//! boundary, or a null base when empty) and a sequence of operations: scalar reads and writes
//! of every primitive and of guest structs (with `[T; N]` fields, and `[u16; 3]` itself as an
//! element), slice and string copies in and out (core and `guestmem-alloc`), `copy_to_uninit`,
//! `gather` (with a hostile iterator between its pieces), `validate`, `validate_write`, `get`,
//! `iter`, `read_iter` (held across later operations, lending nothing, each element read as
//! it is then), strings through `as_str_ptr`, zero-copy views taken and held across later
//! operations (up to the table's capacity and past it), writes through held mutable views,
//! and a hostile user type whose `decode`/`encode` take views and keep them.
//!
//! Every operation is checked exactly against the model: the `Ok` value (floats bitwise) or
//! the error, variant and region. Bulk copies of types that are not transparent, and
//! `read_iter`, go element by element, each element checked against the views live right
//! before its copy; the model walks them the same way, so even the hostile operations are
//! exact: which element fails and how, the views each `decode`/`encode` keeps, the bytes
//! written (and, as a second, model-independent check, a range the model refuses before any
//! user code runs must be refused). After every operation the harness checks that the memory
//! equals the model (read back around the live mutable views, whose contents are checked
//! through the views), that every live view still shows the bytes it was given, and that the
//! frame's table holds as many views as the model. At the end all views are dropped and the
//! host buffer itself is compared with the model.
//!
//! Any mismatch panics with the operation and what differed, which libFuzzer reports.

mod held;
mod hostile;
mod hostile_ops;
mod input;
mod model;
mod ops;
mod rng;
mod types;
mod world;

use arbitrary::{Arbitrary, Unstructured};
use guestmem::GuestFrame;
use guestmem_tests::{HostBuffer, Placement};

use input::Input;
use model::Model;
use world::World;

/// Operations run per input at most.
const MAX_OPS: usize = 200;

/// Runs one input given as raw fuzzer bytes.
///
/// # Panics
///
/// On any difference between guestmem and the model: that is a finding.
pub fn run(data: &[u8]) {
    let u = Unstructured::new(data);
    if let Ok(input) = Input::arbitrary_take_rest(u) {
        run_input(&input);
    }
}

/// Runs one structured input.
///
/// # Panics
///
/// On any difference between guestmem and the model.
pub(crate) fn run_input(input: &Input) {
    let size = input.size.bytes();
    let (placement, host_skew) = if input.misaligned {
        (Placement::Misaligned, 1)
    } else {
        (Placement::Aligned, 0)
    };
    let mut buf = HostBuffer::new(size, placement);
    let fill = input.fill.get(..input.fill.len().min(64)).unwrap_or(&[]);
    if !fill.is_empty() {
        for (b, f) in buf.bytes_mut().iter_mut().zip(fill.iter().cycle()) {
            *b = *f;
        }
    }
    let model = Model {
        bytes: buf.bytes_mut().to_vec(),
        host_skew,
    };
    let expected = {
        let frame = if size == 0 && input.null_when_empty {
            GuestFrame::empty()
        } else {
            buf.memory()
        };
        let mut world = World::new(&frame, model);
        for (n, op) in input.ops.iter().take(MAX_OPS).enumerate() {
            world.apply(n, *op);
        }
        world.finish()
    };
    if buf.bytes_mut() != expected.as_slice() {
        let at = buf
            .bytes_mut()
            .iter()
            .zip(&expected)
            .position(|(a, b)| a != b);
        panic!("core_model: host buffer differs from the model at the end, first at byte {at:?}");
    }
}

#[cfg(test)]
mod tests;
