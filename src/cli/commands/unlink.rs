//! `dockmux unlink`: removes links to dockmux, and only those (src/install/links/mod.rs).

use std::path::PathBuf;

use clap::Args;

use crate::config::{self, Sources};
use crate::error::Result;
use crate::exit_codes::ExitCode;
use crate::install::links::{self, existing_links_dir, unlink_commands};
use crate::view::report::Report;

#[derive(Args, Debug)]
pub struct UnlinkArgs {
    /// Directory holding the links [default: the directory holding dockmux, and every other dir dockmux made links in]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Engines whose links to remove: names, globs ('nas*'), @TAG; ^ before one leaves it out [default: every link to dockmux in DIR]
    #[arg(value_name = "ENGINE")]
    pub engines: Vec<String>,
    /// Say what was done as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &UnlinkArgs, sources: &Sources) -> Result<ExitCode> {
    let dir = existing_links_dir(args.dir.as_deref())?;
    // Without --dir, also every dir dockmux made links in (first: `dir`).
    let dirs = links::work_dirs(args.dir.as_deref(), &dir);
    let mut report = Report::default();
    if args.engines.is_empty() {
        for d in &dirs {
            links::unlink_all(d, &mut report)?;
        }
        if report.is_empty() {
            report.nothing = Some(format!("no links to dockmux in {}", dir.display()));
        }
    } else {
        let cfg = config::load(sources)?;
        let engines = crate::cli::selection::select(&cfg, &args.engines)?;
        let commands: Vec<String> = engines.iter().flat_map(|e| e.commands()).collect();
        let mut removed = unlink_commands(&dir, commands.clone(), &mut report)?;
        // Elsewhere only where a link is: another dir's completion files
        // may serve a link that stays in `dir`.
        for d in dirs.iter().skip(1) {
            let here: Vec<String> = commands
                .iter()
                .filter(|c| !links::dirs_linking(std::slice::from_ref(d), c).is_empty())
                .cloned()
                .collect();
            if !here.is_empty() {
                removed += unlink_commands(d, here, &mut report)?;
            }
        }
        if removed == 0 {
            report.nothing = Some(format!("no links to dockmux for them in {}", dir.display()));
        }
    }
    report.print(args.json)?;
    Ok(ExitCode::Success)
}
