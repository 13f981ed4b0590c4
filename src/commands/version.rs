//! `dockmux version`: the version, as `--version` prints it.

use crate::error::Result;
use crate::{exit_codes, output};

pub fn run() -> Result<i32> {
    output::print(&format!("dockmux {}\n", env!("CARGO_PKG_VERSION")))?;
    Ok(exit_codes::SUCCESS)
}
