//! `dockmux unlink`: removes links to dockmux, and only those (src/links.rs).

use std::path::PathBuf;

use clap::Args;

use crate::completion;
use crate::config::{self, Sources};
use crate::error::Result;
use crate::exit_codes::ExitCode;
use crate::links::{Dir, existing_links_dir, links_in, remove, unlink_commands};
use crate::output;

#[derive(Args, Debug)]
pub struct UnlinkArgs {
    /// Directory holding the links [default: the directory holding dockmux]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Engines whose links to remove: names, globs ('nas*'), @TAG; ^ before one leaves it out [default: every link to dockmux in DIR]
    #[arg(value_name = "ENGINE")]
    pub engines: Vec<String>,
}

pub fn run(args: &UnlinkArgs, sources: &Sources) -> Result<ExitCode> {
    let dir = existing_links_dir(args.dir.as_deref())?;
    let mut report = String::new();
    if args.engines.is_empty() {
        let mut links = Dir::new(&dir);
        let mut unlinked = Vec::new();
        for (path, name) in links_in(&dir)? {
            remove(&path)?;
            links.record.forget(&name);
            report.push_str(&format!("removed  {}\n", path.display()));
            unlinked.push(name);
        }
        links.record.save()?;
        if report.is_empty() {
            report = format!("no links to dockmux in {}\n", dir.display());
        }
        completion::Places::for_links_in(&dir).remove(&unlinked, &mut report);
    } else {
        let cfg = config::load(sources)?;
        let engines = crate::selection::select(&cfg, &args.engines)?;
        let commands = engines.iter().flat_map(|e| e.commands());
        if unlink_commands(&dir, commands, &mut report)? == 0 {
            report.insert_str(
                0,
                &format!("no links to dockmux for them in {}\n", dir.display()),
            );
        }
    }
    output::print(&report)?;
    Ok(ExitCode::Success)
}
