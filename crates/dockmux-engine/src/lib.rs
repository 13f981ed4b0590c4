//! dockmux's engine path and what it needs: invoked as `NAME-docker`,
//! dockmux reads the config, finds engine NAME and the docker client, and
//! execs it. This crate has no clap, no serde_json and no toml_edit among
//! its dependencies, so the engine path cannot reach them; the management
//! CLI (the `dockmux` crate) builds on it.
//! Its modules are the lower layers of ARCHITECTURE.md's list.

#![cfg_attr(
    test,
    allow(
        clippy::disallowed_methods,
        clippy::print_stderr,
        reason = "unit tests write their fixtures directly and report what they generated"
    )
)]

pub mod config;
pub mod engine;
pub mod error;
pub mod exit_codes;
pub mod files;
pub mod output;
pub mod text;
