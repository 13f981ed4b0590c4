//! `dockmux remove ENGINE…`: engines out of engines.toml through the edit
//! session (src/edit/mod.rs), all in one write; with `--unlink` their links too,
//! else a note naming them.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::{self, Config, Sources};
use crate::docker::context_store;
use crate::edit::Session;
use crate::error::Result;
use crate::exit_codes::ExitCode;
use crate::install::links;
use crate::view::report::{Done, Kind, Outcome, Report};

#[derive(Args, Debug)]
pub struct RemoveArgs {
    /// The engines to remove (their exact names)
    #[arg(value_name = "ENGINE", required = true)]
    pub names: Vec<String>,
    /// Edit the system config (/etc/dockmux/engines.toml) instead of yours
    #[arg(long)]
    pub system: bool,
    /// Also remove the engine's links to dockmux
    #[arg(long)]
    pub unlink: bool,
    /// Directory holding the links [default: the directory holding dockmux]
    #[arg(long, value_name = "DIR", requires = "unlink")]
    pub dir: Option<PathBuf>,
    /// Say what was done as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &RemoveArgs, sources: &Sources) -> Result<ExitCode> {
    if let Some(dir) = &args.dir {
        links::existing_links_dir(Some(dir))?;
    }
    let mut session = Session::open(sources, args.system)?;
    let mut names: Vec<&str> = Vec::new();
    for name in &args.names {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    // Every engine out of the text before the one write.
    let removed: Vec<config::Engine> = names
        .iter()
        .map(|n| session.remove(n))
        .collect::<Result<_>>()?;
    session.commit()?;
    let mut report = Report::default();
    for removed in &removed {
        after(
            &session,
            removed,
            args.unlink,
            args.dir.as_deref(),
            &mut report,
        )?;
    }
    session.others_lose(&mut report)?;
    report.print(args.json)?;
    Ok(ExitCode::Success)
}

/// The report on one removed engine, and its links and exported context dealt with.
fn after(
    session: &Session,
    removed: &config::Engine,
    unlink: bool,
    dir_arg: Option<&Path>,
    report: &mut Report,
) -> Result<()> {
    report.push(Outcome::new(
        Done::Removed,
        Kind::Engine,
        &removed.name,
        format!(
            "engine '{}' ({}) from {}",
            removed.name,
            removed.host,
            session.path.display()
        ),
    ));
    if let Some(now) = session.cfg.engine(&removed.name) {
        // The other file defines it too; that entry is in effect now.
        report.note(format!(
            "engine '{}' from {} ({}) is in effect now",
            now.name, now.origin, now.host
        ));
    } else {
        if unlink {
            // Its links wherever dockmux made them, found through the records.
            let dirs = links::link_dirs(dir_arg);
            let mut unlinked = false;
            for command in removed.commands() {
                for dir in links::dirs_linking(&dirs, &command) {
                    links::unlink_commands(&dir, [command.clone()], report)?;
                    unlinked = true;
                }
            }
            // No link left anywhere: its completion files, where links in
            // the link dir would have them.
            if !unlinked && let Ok(dir) = links::existing_links_dir(dir_arg) {
                links::unlink_commands(&dir, removed.commands(), report)?;
            }
        } else {
            if let Some(note) = left_links(&session.cfg, removed, dir_arg) {
                report.note(note);
            }
        }
        // The docker context `contexts export` made for it stands for nothing now.
        if let Some(outcome) = context_store::remove_exported(&removed.name) {
            report.push(outcome);
        }
    }
    Ok(())
}

/// Links to dockmux named after a removed engine's commands that no engine
/// answers to now (wherever links::link_dirs looks), as a note with
/// the command that removes them.
fn left_links(cfg: &Config, removed: &config::Engine, dir: Option<&Path>) -> Option<String> {
    let dirs = links::link_dirs(dir);
    let mut found: Vec<PathBuf> = Vec::new();
    for command in removed.commands() {
        if cfg.engine_for_command(&command).is_some() {
            continue;
        }
        for d in &dirs {
            let p = d.join(&command);
            // The same directory may be on the list twice, spelt differently.
            let seen = found.iter().any(|f| {
                f.file_name() == p.file_name()
                    && crate::files::paths::same_file(crate::files::paths::parent(f), d)
            });
            if !seen && std::fs::symlink_metadata(&p).is_ok() && links::is_ours(&p) {
                found.push(p);
            }
        }
    }
    if found.is_empty() {
        return None;
    }
    let list: Vec<String> = found
        .iter()
        .map(|p| crate::text::quote::sh(&p.display().to_string()))
        .collect();
    Some(format!(
        "note: {} still run{} dockmux, which has no engine for {} now; remove {}: rm {}",
        list.join(", "),
        if found.len() == 1 { "s" } else { "" },
        if found.len() == 1 { "it" } else { "them" },
        if found.len() == 1 { "it" } else { "them" },
        list.join(" ")
    ))
}
