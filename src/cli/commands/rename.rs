//! `dockmux rename`: an engine's new name in engines.toml through the edit
//! session (src/edit/mod.rs), its `NAME-docker` link moved along.

use std::path::PathBuf;

use clap::Args;

use crate::config::{self, Sources};
use crate::edit::Session;
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::install::links::{self, Linker};
use crate::install::shared;
use crate::view::report::{Done, Kind, Outcome, Report};

#[derive(Args, Debug)]
pub struct RenameArgs {
    /// The engine's current name
    #[arg(value_name = "ENGINE")]
    pub old: String,
    /// Its new name
    pub new: String,
    /// Edit the system config (/etc/dockmux/engines.toml) instead of yours
    #[arg(long)]
    pub system: bool,
    /// Directory holding the links [default: the directory holding dockmux]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Say what was done as JSON
    #[arg(long)]
    pub json: bool,
}

/// Renames the engine; its `OLD-docker` links, wherever dockmux made them
/// (`--dir`, the default link dir, dockmux's dir, the dirs on PATH: found
/// through their records), become `NEW-docker` (the aliases, and so their
/// links, are unchanged).
pub fn run(args: &RenameArgs, sources: &Sources) -> Result<ExitCode> {
    let mut session = Session::open(sources, args.system)?;
    session.rename(&args.old, &args.new)?;
    if let Some(dir) = &args.dir {
        links::existing_links_dir(Some(dir))?;
    }
    let old = format!("{}-docker", args.old);
    let new = format!("{}-docker", args.new);
    let not_renamed = |e: Error| Error::Usage(format!("{e}; the engine was not renamed"));
    let mut linkers = Vec::new();
    for dir in links::dirs_linking(&links::link_dirs(args.dir.as_deref()), &old) {
        let hard = !std::fs::symlink_metadata(dir.join(&old))
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(true);
        let l = Linker::new(Some(&dir), hard, false).map_err(not_renamed)?;
        // The new link serves whoever runs commands from `dir`, as `link` would make it.
        let cfg = config::load(sources)?;
        if let Some(engine) = cfg.engine(&args.old).filter(|_| !args.system) {
            shared::refuse_private(&dir, &[engine], sources).map_err(not_renamed)?;
        }
        l.refuse_packaged([new.clone()]).map_err(not_renamed)?;
        let conflicts = l.conflicts([new.clone()]);
        if !conflicts.is_empty() {
            return Err(not_renamed(links::conflict_error(&conflicts)));
        }
        linkers.push(l);
    }
    session.commit()?;
    let mut report = Report::default();
    report.push(Outcome::new(
        Done::Renamed,
        Kind::Engine,
        &args.old,
        format!(
            "engine '{}' to '{}' in {}",
            args.old,
            args.new,
            session.path.display()
        ),
    ));
    for l in &linkers {
        l.link([new.clone()], &mut report)?;
        links::unlink_commands(&l.dir, [old.clone()], &mut report)?;
    }
    session.others_lose(&mut report)?;
    report.print(args.json)?;
    Ok(ExitCode::Success)
}
