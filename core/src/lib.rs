#![doc = include_str!("../README.md")]
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]
// The strict lints of the workspace guard the crate's code; tests may index, unwrap and panic.
#![cfg_attr(
    test,
    allow(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects,
        clippy::as_conversions
    )
)]

mod error;
mod guest_type;
mod layout;
mod macros;
mod memory;
mod ptr;
#[allow(unsafe_code)] // the raw-access module: every unsafe operation of the crate
mod raw;
mod slice;
mod string;
mod view;

pub use error::{GuestError, Region};
pub use guest_type::{GuestType, GuestTypeTransparent, MAX_SCRATCH};
pub use memory::GuestMemory;
pub use ptr::{GuestPtr, Pointee};
pub use raw::{FrameRef, GuestFrame, Transparent, MAX_VIEWS};
pub use slice::{GuestIter, ReadIter};
pub use view::{GuestSlice, GuestSliceMut, GuestStr};

/// The `heapless` crate, whose containers [`GuestPtr::to_heapless`] returns: use it from here
/// so that your containers are the same version as guestmem's. A `heapless` upgrade that
/// changes those types is a breaking release of guestmem.
pub use heapless;

/// What the macros expand to. Not public API: may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::layout::{decode_field, encode_field, whole, zeroed, StructLayout};
}
