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

mod accounts;
mod atomic;
mod builds;
mod children;
pub mod cli;
mod client_version;
mod commands;
mod completion;
pub mod config;
mod container_json;
mod context_store;
mod dpkg;
mod edit;
pub mod engine;
pub mod error;
mod escape;
pub mod exit_codes;
mod forward;
pub mod host;
mod host_cap;
mod installation;
mod link_index;
mod link_record;
mod links;
mod lock;
pub mod man;
mod man_files;
pub mod output;
mod paths;
mod pattern;
mod pending;
mod plain;
mod pool;
mod probe;
mod programs;
mod quote;
mod render;
mod report;
mod safe_read;
mod secure;
mod selection;
mod shared;
mod ssh_bridge;
mod ssh_path;
mod style;
mod suggest;
