//! Files: trusting, reading and writing them, and who owns them.

pub mod accounts;
pub mod atomic;
pub mod cache;
pub mod dpkg;
pub mod lock;
pub mod paths;
pub mod safe_read;
pub mod secure;
