//! `dockmux uninstall [--dir DIR]`: removes what `install` and `link` put
//! there — the links to dockmux, their completion files and dockmux's, the
//! man pages, the binary — and nothing else. The config stays.

use std::path::PathBuf;

use clap::Args;

use crate::completion::{self, Places};
use crate::config::Sources;
use crate::error::{Error, Result, permission_fix};
use crate::exit_codes::ExitCode;
use crate::files::paths::same_file;
use crate::install::bin_dir::{Existing, Target, writable};
use crate::install::links::{self, Dir};
use crate::install::man;
use crate::view::report::{Done, Kind, Outcome, Report};

#[derive(Args, Debug)]
pub struct UninstallArgs {
    /// Directory dockmux was installed in [default: /usr/local/bin as root, else ~/.local/bin]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Say what was done as JSON
    #[arg(long)]
    pub json: bool,
}

/// `cli`: dockmux's command line, for the man pages.
pub fn run(args: &UninstallArgs, sources: &Sources, cli: clap::Command) -> Result<ExitCode> {
    let target = Target::new(args.dir.as_deref())?;
    let dir = &target.dir;
    links::check_dir(
        dir,
        "give the directory dockmux was installed in (--dir DIR)",
    )?;
    let existing = target.existing();
    if existing == Existing::Foreign {
        return Err(Error::Usage(format!(
            "{} is not dockmux, so it stays; nothing was removed",
            target.binary.display()
        )));
    }
    let mut found = links::links_in(dir)?;
    // Links that lead to the installed binary are dockmux's too, whichever
    // build runs this.
    if existing == Existing::Dockmux {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path != target.binary
                && !found.iter().any(|(p, _)| *p == path)
                && !links::is_dockmux_itself(&name)
                && same_file(&path, &target.binary)
                && links::made_by_caller(&path)
            {
                found.push((path, name));
            }
        }
        found.sort();
    }
    if existing == Existing::Nothing && found.is_empty() {
        return Err(Error::Usage(format!(
            "no dockmux in {}: nothing to uninstall; give the directory it was installed in (--dir DIR)",
            dir.display()
        )));
    }
    if !writable(dir) {
        return Err(Error::Usage(format!(
            "{} is not writable by you; run it as root (or as its owner); nothing was removed",
            dir.display()
        )));
    }

    let mut report = Report::default();
    if let Existing::Package(package) = &existing {
        report.push(binary(
            Done::Kept,
            &target.binary,
            &format!(" (the package {package}'s: dpkg removes it)"),
        ));
    }
    let mut record = Dir::new(dir).record;
    let mut names = Vec::new();
    for (path, name) in found {
        remove(&path)?;
        record.forget(&name);
        report.push(links::link(Done::Removed, &path, String::new()));
        names.push(name);
    }
    record.save()?;
    names.push(completion::DOCKMUX.to_string());
    Places::for_links_in(dir).remove(&names, &mut report);
    // The links dockmux made elsewhere to the binary that goes (link_index.rs).
    let removing = existing == Existing::Dockmux && links::made_by_caller(&target.binary);
    for other in crate::install::links::index::dirs()
        .iter()
        .filter(|_| removing)
    {
        if !same_file(other, dir) {
            let to_it = links::links_in(other)?
                .into_iter()
                .filter(|(path, _)| same_file(path, &target.binary))
                .map(|(_, name)| name);
            links::unlink_commands(other, to_it, &mut report)?;
        }
    }
    man::files::remove(dir, &man::pages(cli), &mut report)?;
    if removing {
        remove(&target.binary)?;
        report.push(binary(Done::Removed, &target.binary, ""));
    } else if existing == Existing::Dockmux {
        report.push(binary(
            Done::Kept,
            &target.binary,
            " (another user's: only what you or root made is removed)",
        ));
    }
    for file in sources.candidates().into_iter().filter(|p| p.exists()) {
        report.push(Outcome::new(
            Done::Kept,
            Kind::Config,
            file.display().to_string(),
            format!(
                "{} (the config; remove it yourself if it should go too)",
                file.display()
            ),
        ));
    }
    report.print(args.json)?;
    Ok(ExitCode::Success)
}

fn binary(done: Done, path: &std::path::Path, rest: &str) -> Outcome {
    let shown = path.display().to_string();
    Outcome::new(done, Kind::Binary, shown.clone(), format!("{shown}{rest}"))
}

fn remove(path: &std::path::Path) -> Result<()> {
    std::fs::remove_file(path).map_err(|e| {
        let fix = permission_fix(&e);
        Error::io(format!("cannot remove {}{fix}", path.display()), e)
    })
}
