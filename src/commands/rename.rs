//! `dockmux rename`: an engine's new name in engines.toml through the edit
//! session (src/edit.rs), its `NAME-docker` link moved along.

use std::path::PathBuf;

use clap::Args;

use crate::config::{self, Sources};
use crate::edit::Session;
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::links::{self, Linker};
use crate::output;
use crate::shared;

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
}

/// Renames the engine; its `OLD-docker` link, if there is one, becomes
/// `NEW-docker` (the aliases, and so their links, are unchanged).
pub fn run(args: &RenameArgs, sources: &Sources) -> Result<ExitCode> {
    let mut session = Session::open(sources, args.system)?;
    session.rename(&args.old, &args.new)?;
    let dir = links::existing_links_dir(args.dir.as_deref())?;
    let dir = dir.as_path();
    let old_link = dir.join(format!("{}-docker", args.old));
    let move_link = std::fs::symlink_metadata(&old_link).is_ok() && links::is_ours(&old_link);
    let linker = if move_link {
        let hard = !std::fs::symlink_metadata(&old_link)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(true);
        let l = Linker::new(Some(dir), hard, false)?;
        // The new link serves whoever runs commands from `dir`, as `link` would make it.
        let cfg = config::load(sources)?;
        if let Some(engine) = cfg.engine(&args.old).filter(|_| !args.system) {
            shared::refuse_private(dir, &[engine], sources)
                .map_err(|e| Error::Usage(format!("{e}; the engine was not renamed")))?;
        }
        let conflicts = l.conflicts([format!("{}-docker", args.new)]);
        if !conflicts.is_empty() {
            return Err(Error::Usage(format!(
                "{}; the engine was not renamed",
                links::conflict_error(&conflicts)
            )));
        }
        Some(l)
    } else {
        None
    };
    session.commit()?;
    let mut report = format!(
        "renamed  engine '{}' to '{}' in {}\n",
        args.old,
        args.new,
        session.path.display()
    );
    if let Some(l) = linker {
        l.link([format!("{}-docker", args.new)], &mut report)?;
        links::unlink_commands(dir, [format!("{}-docker", args.old)], &mut report)?;
    }
    report.push_str(&session.others_lose()?);
    output::print(&report)?;
    Ok(ExitCode::Success)
}
