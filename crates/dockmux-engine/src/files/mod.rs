//! Files: trusting, reading and writing them, and who owns them.

pub(crate) mod accounts;
pub(crate) mod atomic;
pub(crate) mod dpkg;
pub(crate) mod lock;
pub(crate) mod paths;
pub(crate) mod safe_read;
pub(crate) mod secure;
