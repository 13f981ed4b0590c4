//! The management commands, one file each. A command never imports another
//! command: what two commands share is a module of its own outside this folder.

pub mod add;
pub mod completions;
pub mod config;
pub mod contexts;
pub mod disconnect;
pub mod discover;
pub mod doctor;
pub mod each;
pub mod env;
pub mod exec;
pub mod find;
pub mod install;
pub mod link;
pub mod list;
pub mod protect;
pub mod ps;
pub mod push;
pub mod remove;
pub mod rename;
pub mod set;
pub mod shell;
pub mod uninstall;
pub mod unlink;
pub mod version;
pub mod wrappers;
