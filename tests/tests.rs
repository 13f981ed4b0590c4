//! dockmux's integration tests: one crate, one harness (tests/harness).

mod harness;

mod completion;
mod dispatch;
mod engines;
mod management;
