//! argv[0] → engine mode (exec docker) or management mode (clap).

use std::ffi::OsString;
use std::process::ExitCode;

use dockmux::dispatch::{self, Mode};
use dockmux::{cli, engine};

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let (invoked, result) = match dispatch::classify(&argv) {
        // Returns only if docker could not be started.
        Mode::Engine { command, args } => {
            let err = engine::run(&command, args).map(|never| match never {});
            (command, err)
        }
        Mode::Manage => ("dockmux".to_string(), cli::run(&argv)),
    };
    // The one place errors are printed and exit codes chosen.
    let code = match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{invoked}: {err}");
            err.exit_code()
        }
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}
