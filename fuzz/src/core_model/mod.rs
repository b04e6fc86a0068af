//! Target (a), `core_model`: guestmem against a reference model.
//!
//! An input is a memory (0 to 64 KiB, its host base aligned or one byte off an 8-byte
//! boundary, or a null base when empty) and a sequence of operations: scalar reads and writes
//! of every primitive and of guest structs, slice and string copies in and out (core and
//! `guestmem-alloc`), `validate`, `get`, `iter`, `read_iter`, zero-copy views taken and held
//! across later operations (up to the table's capacity and past it), writes through held
//! mutable views, and a hostile user type whose `decode`/`encode` take views and keep them.
//!
//! Every operation but the hostile ones is checked exactly against the model: the `Ok` value
//! (floats bitwise) or the error, variant and region. After every operation the harness
//! checks that the memory equals the model (read back around the live mutable views, whose
//! contents are checked through the views), that every live view still shows the bytes it was
//! given, and that the memory's table holds as many views as the model. Hostile operations
//! are checked loosely — no panic; an error where the model refuses the range; memory outside
//! the operation's own region unchanged — because the order in which the core runs user code
//! inside a bulk copy is not part of its contract; everything after them is exact again.
//! At the end all views are dropped and the host buffer itself is compared with the model.
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
use guestmem::SliceMemory;
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
        let mem = if size == 0 && input.null_when_empty {
            SliceMemory::empty()
        } else {
            buf.memory()
        };
        let mut world = World::new(&mem, model);
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
