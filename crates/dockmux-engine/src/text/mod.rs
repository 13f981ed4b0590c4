//! Text: what a value may hold and how it is shown, quoted or matched.

pub(crate) mod escape;
pub(crate) mod pattern;
pub(crate) mod plain;
pub(crate) mod quote;
pub(crate) mod suggest;
