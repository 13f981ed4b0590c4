//! `dockmux link`: one link per engine command to this binary, made by the
//! linker (src/install/links/mod.rs); `--prune` removes those no engine claims.

use std::collections::HashSet;
use std::path::PathBuf;

use clap::Args;

use crate::completion;
use crate::config::{self, Sources};
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::install::links::{self, Dir, Linker, Skipped, conflict_error, links_in, remove};
use crate::output;
use crate::view::report::{Done, Report};

#[derive(Args, Debug)]
pub struct LinkArgs {
    /// Directory for the links [default: the directory holding dockmux]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Make hard links instead of symlinks (existing hard links stay hard links)
    #[arg(long)]
    pub hard: bool,
    /// Replace existing files that are not links to dockmux
    #[arg(long)]
    pub force: bool,
    /// Also remove links to dockmux that no engine claims any more (without --dir: in every dir dockmux made links in too)
    #[arg(long)]
    pub prune: bool,
    /// Only remove links to dockmux that no engine claims (as --prune does); make none
    #[arg(long, conflicts_with_all = ["prune", "hard", "force", "engines"])]
    pub prune_only: bool,
    #[arg(value_name = "ENGINE", help = crate::cli::selection::HELP)]
    pub engines: Vec<String>,
    /// Say what was done as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &LinkArgs, sources: &Sources) -> Result<ExitCode> {
    let cfg = config::load(sources)?;
    let engines = crate::cli::selection::select_to_use(&cfg, &args.engines)?;
    let linker = Linker::new(args.dir.as_deref(), args.hard, args.force)?;
    if !args.prune_only {
        crate::install::shared::refuse_private(&linker.dir, &engines, sources)?;
    }
    let mut report = Report::default();
    let skipped = if args.prune_only {
        Skipped::default()
    } else {
        linker.link_all(engines.iter().flat_map(|e| e.commands()), &mut report)?
    };
    if args.prune || args.prune_only {
        let claimed: HashSet<String> = cfg.engines.iter().flat_map(|e| e.commands()).collect();
        // Without --dir, also every other dir dockmux made links in.
        for d in links::work_dirs(args.dir.as_deref(), &linker.dir) {
            let mut dir = Dir::new(&d);
            let mut pruned = Vec::new();
            for (path, name) in links_in(&d)? {
                if !claimed.contains(&name) {
                    remove(&path)?;
                    dir.record.forget(&name);
                    report.push(links::link(Done::Pruned, &path, String::new()));
                    pruned.push(name);
                }
            }
            dir.record.save()?;
            if !crate::files::paths::same_file(&d, &linker.dir) {
                completion::Places::for_links_in(&d).remove(&pruned, &mut report);
            }
        }
        linker.completions.prune(&claimed, &mut report);
        if args.prune_only && report.is_empty() {
            report.nothing = Some(format!(
                "no links to dockmux that no engine claims in {}",
                linker.dir.display()
            ));
        }
    }
    report.print(args.json)?;
    if let Some(note) = linker.path_note() {
        output::note(&note);
    }
    if let Some((command, program)) = skipped.shadowing.first() {
        let engine = cfg
            .engine_for_command(command)
            .map_or(String::new(), |e| format!(" of engine '{}'", e.name));
        return Err(Error::Failed(format!(
            "not linked: alias '{command}'{engine} names the program {}, which a link would \
             hijack; remove the alias from the config (dockmux config show names the file)",
            program.display()
        )));
    }
    if let Some((path, package)) = skipped.packaged.first() {
        return Err(Error::Failed(format!(
            "not linked: {}; pick another name or --dir",
            crate::files::dpkg::left_alone(path, package)
        )));
    }
    if skipped.in_the_way.is_empty() {
        Ok(ExitCode::Success)
    } else {
        Err(conflict_error(&skipped.in_the_way))
    }
}
