//! dockmux: one binary that answers to every engine name. Invoked as
//! `NAME-docker` it points the stock docker client at engine NAME and execs
//! it; invoked as `dockmux` it manages engines, links and config.

#![cfg_attr(
    test,
    allow(
        clippy::disallowed_methods,
        clippy::print_stderr,
        reason = "unit tests write their fixtures directly and report what they generated"
    )
)]

// The engine path and what it needs (moving to their own crate).
#[path = "../crates/dockmux-engine/src/config/mod.rs"]
pub mod config;
#[path = "../crates/dockmux-engine/src/engine/mod.rs"]
pub mod engine;
#[path = "../crates/dockmux-engine/src/error.rs"]
pub mod error;
#[path = "../crates/dockmux-engine/src/exit_codes.rs"]
pub mod exit_codes;
#[path = "../crates/dockmux-engine/src/files/mod.rs"]
mod files;
#[path = "../crates/dockmux-engine/src/output.rs"]
pub mod output;
#[path = "../crates/dockmux-engine/src/text/mod.rs"]
mod text;

// The management side.
pub mod cli;
mod completion;
mod docker;
mod edit;
pub mod install;
mod view;
