//! Putting dockmux in place: links, the bin dir, man pages.

pub(crate) mod bin_dir;
pub(crate) mod builds;
pub(crate) mod links;
pub mod man;
pub(crate) mod programs;
pub(crate) mod shared;
