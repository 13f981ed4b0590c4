//! `dockmux disconnect [ENGINE…]`: ends the shared ssh connections
//! (src/forward/) of the engines named, or all of the user's. An engine's
//! connection is its host's, so the other engines on that host lose theirs
//! too; the next command starts it again.

use clap::Args;

use crate::config::{self, Sources};
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::{engine::forward, output};

#[derive(Args, Debug)]
pub struct DisconnectArgs {
    /// The ssh engines whose connections end [default: every connection]
    #[arg(value_name = "ENGINE")]
    pub engines: Vec<String>,
}

pub fn run(args: &DisconnectArgs, sources: &Sources) -> Result<ExitCode> {
    if args.engines.is_empty() {
        let ended = forward::stop_all();
        output::print(&format!(
            "ended {ended} shared ssh connection{}\n",
            if ended == 1 { "" } else { "s" }
        ))?;
        return Ok(ExitCode::Success);
    }
    let cfg = config::load(sources)?;
    let engines = crate::cli::selection::select(&cfg, &args.engines)?;
    let mut places = Vec::new();
    for e in engines {
        match forward::Place::of(e) {
            Some(place) => places.push(place),
            None => {
                return Err(Error::Usage(format!(
                    "engine '{}' has no shared ssh connection ({}); name an ssh engine",
                    e.name,
                    match forward::State::of(e) {
                        forward::State::Off => "persist = \"0\" turns it off",
                        _ => "it is not an ssh engine",
                    }
                )));
            }
        }
    }
    let mut text = String::new();
    for place in &places {
        let what = match forward::stop(place) {
            true => "ended",
            false => "was not up",
        };
        text.push_str(&format!(
            "{}: the shared connection to {} {what}\n",
            place.engine, place.spec.host
        ));
    }
    output::print(&text)?;
    Ok(ExitCode::Success)
}
