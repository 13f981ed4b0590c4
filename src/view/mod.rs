//! How the management CLI shows things: colour, tables and JSON, and what
//! a command that writes did.

pub(crate) mod lifted;
pub(crate) mod render;
pub(crate) mod report;
pub(crate) mod style;
