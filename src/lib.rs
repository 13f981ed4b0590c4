//! dockmux: one binary that answers to every engine name. Invoked as
//! `NAME-docker` it points the stock docker client at engine NAME and execs
//! it; invoked as `dockmux` it manages engines, links and config.

pub mod accounts;
pub mod atomic;
pub mod builds;
pub mod children;
pub mod cli;
pub mod commands;
pub mod completion;
pub mod config;
pub mod container_json;
pub mod context_store;
pub mod edit;
pub mod engine;
pub mod error;
pub mod escape;
pub mod exit_codes;
pub mod host;
pub mod installation;
pub mod link_record;
pub mod links;
pub mod lock;
pub mod man;
pub mod man_files;
pub mod output;
pub mod paths;
pub mod pattern;
pub mod plain;
pub mod policy;
pub mod pool;
pub mod probe;
pub mod programs;
pub mod quote;
pub mod render;
pub mod safe_read;
pub mod secure;
pub mod selection;
pub mod shared;
pub mod ssh_bridge;
pub mod ssh_path;
pub mod suggest;
