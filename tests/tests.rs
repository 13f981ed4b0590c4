//! dockmux's integration tests: one crate, one harness (tests/harness).

// The lints in Cargo.toml and clippy.toml hold the product's rules; tests write
// their fixtures directly and report what they measured.
#![allow(
    clippy::disallowed_methods,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "fixtures and figures, not the product's output"
)]

mod harness;

mod client_key;
mod colour;
mod completion;
mod contexts;
mod discover;
mod dispatch;
mod dist;
mod edit;
mod edit_users;
mod engines;
mod exec_ssh;
mod fanout;
mod hardening;
mod hosts;
mod install;
mod layout;
mod leftovers;
mod lift;
mod line;
mod links;
mod man;
mod management;
mod messages;
mod pin;
mod policy;
mod preview;
mod protect;
mod readme;
mod remote;
mod selection;
mod shell;
mod status;
