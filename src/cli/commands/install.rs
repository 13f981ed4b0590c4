//! `dockmux install [--dir DIR]`: this file, copied to the bin dir, and the
//! links, completion files and man page that make it work there. An upgrade
//! in place writes the new binary beside the old one and renames it over
//! (atomic::write): a `NAME-docker` started meanwhile runs the old build or
//! the new one, never nothing and never a half-written file (no ETXTBSY:
//! the file being written is one nothing runs yet).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::{self, Sources};
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::install::bin_dir::{Existing, Target, running_binary};
use crate::install::links::{self, Linker, SelfExe};
use crate::view::report::{Done, Kind, Outcome, Report};
use crate::{docker::ssh_path, files::atomic, install::man, install::shared, output, text::quote};

#[derive(Args, Debug)]
pub struct InstallArgs {
    /// Directory to install into [default: /usr/local/bin as root, else ~/.local/bin]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Say what was done as JSON
    #[arg(long)]
    pub json: bool,
}

/// `cli`: dockmux's command line, for the man pages.
pub fn run(args: &InstallArgs, sources: &Sources, cli: clap::Command) -> Result<ExitCode> {
    let target = Target::new(args.dir.as_deref())?;
    // Everything that can be checked is, before anything is written.
    let cfg = config::load(sources)?;
    let engines: Vec<_> = cfg.engines.iter().collect();
    let commands: Vec<String> = engines.iter().flat_map(|e| e.commands()).collect();
    target.create_default()?;
    target.check_dir()?;
    let existing = target.existing();
    match &existing {
        Existing::Foreign => {
            return Err(Error::Usage(format!(
                "{} is in the way and is not dockmux; move it away, then rerun; nothing was installed",
                target.binary.display()
            )));
        }
        Existing::Package(package) => {
            return Err(Error::Usage(format!(
                "{}; install into another directory (--dir DIR; without it, {}), or upgrade \
                 the package; nothing was installed",
                crate::files::dpkg::left_alone(&target.binary, package),
                crate::files::paths::own_bin_dir()
                    .map_or("~/.local/bin".into(), |d| d.display().to_string())
            )));
        }
        _ => {}
    }
    let exe = SelfExe {
        path: target.binary.clone(),
    };
    let linker = Linker::for_binary(exe, Some(&target.dir), false, false)?;
    shared::refuse_private(&target.dir, &engines, sources)?;
    links::refuse_shadowing(commands.iter().cloned())?;
    linker.refuse_packaged(commands.iter().cloned())?;
    let conflicts = linker.conflicts(commands.iter().cloned());
    if !conflicts.is_empty() {
        return Err(Error::Usage(format!(
            "{}; nothing was installed",
            links::conflict_error(&conflicts)
        )));
    }

    let mut report = Report::default();
    let running = target.is_running();
    let bytes = running_binary()?;
    let binary = target.binary.display();
    let version = env!("CARGO_PKG_VERSION");
    if running {
        report.push(Outcome::new(
            Done::Ok,
            Kind::Binary,
            binary.to_string(),
            format!(
                "{binary} is the file running: already installed \
                 (to upgrade, run install from the new file)"
            ),
        ));
    } else if existing == Existing::Dockmux
        && std::fs::read(&target.binary).ok() == Some(bytes.clone())
    {
        report.push(Outcome::new(
            Done::Ok,
            Kind::Binary,
            binary.to_string(),
            format!("{binary} (dockmux {version}, this build)"),
        ));
    } else {
        atomic::write_with_mode(&target.binary, &bytes, atomic::EXECUTABLE)?;
        let done = match existing {
            Existing::Nothing => Done::Installed,
            _ => Done::Replaced,
        };
        report.push(Outcome::new(
            done,
            Kind::Binary,
            binary.to_string(),
            format!("{binary} (dockmux {version})"),
        ));
    }
    drop(bytes);

    let finish = finishing_command(&target.binary, &target.dir);
    let done = |report: &Report, e: Error| {
        Error::Failed(format!(
            "{}{e}; the rest is not done: fix that, then run {finish}",
            done_so_far(report)
        ))
    };
    if let Err(e) = linker.link(commands, &mut report) {
        return Err(done(&report, e.into()));
    }
    if let Err(e) = man::files::install(&target.dir, &man::pages(cli), &mut report) {
        return Err(done(&report, e));
    }
    report.print(args.json)?;
    for note in path_notes(&target, &linker) {
        output::note(&note);
    }
    Ok(ExitCode::Success)
}

/// `DIR/dockmux install --dir DIR`: from the installed file, install
/// copies nothing and does the steps not yet done.
fn finishing_command(binary: &Path, dir: &Path) -> String {
    let word = |p: &Path| quote::sh_word(&p.to_string_lossy());
    format!("{} install --dir {}", word(binary), word(dir))
}

/// What the report says was done, for an error after a step failed.
fn done_so_far(report: &Report) -> String {
    match report.is_empty() {
        true => String::new(),
        false => format!("done so far:\n{}then: ", report.text()),
    }
}

/// Where the user's shell, and ssh's commands, will not find `dockmux`
/// and the links, with the fix.
fn path_notes(target: &Target, linker: &Linker) -> Vec<String> {
    let mut notes: Vec<String> = linker.path_note().into_iter().collect();
    let dir = target.dir.display();
    if let Some(ssh) = ssh_path::current()
        && !ssh.contains(&target.dir)
    {
        notes.push(format!(
            "dockmux: note: `ssh THIS-HOST pg-docker ps` will not find the links: {dir} is not \
             on the PATH non-interactive ssh commands get (PATH={}, {}); fix: {}",
            ssh.path,
            ssh.from,
            ssh_path::path_fix(&target.dir)
        ));
    }
    if links::on_path(&target.dir)
        && let Some(first) = first_on_path("dockmux")
        && !crate::files::paths::same_file(&first, &target.binary)
    {
        notes.push(format!(
            "dockmux: note: `dockmux` on your PATH is {}, not {}; remove that one (or put \
             {dir} earlier on PATH)",
            first.display(),
            target.binary.display()
        ));
    }
    notes
}

/// The first executable `name` on PATH, as a shell finds it.
fn first_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}
