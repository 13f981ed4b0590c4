//! `dockmux version`: the version, as `--version` prints it.

use crate::error::Result;
use crate::exit_codes::ExitCode;
use crate::output;

pub fn run() -> Result<ExitCode> {
    output::print(&format!("dockmux {}\n", env!("CARGO_PKG_VERSION")))?;
    Ok(ExitCode::Success)
}
