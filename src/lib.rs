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

// The engine path and what it needs, from its own crate: named here as
// they were when they lived in this one.
pub use dockmux_engine::{config, engine, error, exit_codes, files, output, text};

// The management side.
pub mod cli;
mod completion;
mod docker;
mod edit;
pub mod install;
mod view;
