//! dockmux's integration tests: one crate, one harness (tests/harness).

mod harness;

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
mod links;
mod man;
mod management;
mod messages;
mod policy;
mod readme;
mod status;
