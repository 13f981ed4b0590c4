//! Text: what a value may hold and how it is shown, quoted or matched.

pub mod escape;
pub mod pattern;
pub mod plain;
pub mod quote;
pub mod suggest;
