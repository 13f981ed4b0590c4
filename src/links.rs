//! `dockmux link` / `unlink`: one link per engine command to this binary, the
//! way busybox --install and rustup's proxies do it: a relative symlink when
//! in the same directory, never clobbering a file that is not ours.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::atomic;
use crate::client;
use crate::completion;
use crate::config::{self, Sources};
use crate::error::{Error, Result, permission_fix};
use crate::output;
use crate::paths::same_file;

#[derive(Args, Debug)]
pub struct LinkArgs {
    /// Directory for the links [default: the directory holding dockmux]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Make hard links instead of symlinks
    #[arg(long)]
    pub hard: bool,
    /// Replace existing files that are not links to dockmux
    #[arg(long)]
    pub force: bool,
    /// Also remove links to dockmux that no engine claims any more
    #[arg(long)]
    pub prune: bool,
    /// Engines to link [default: all]
    #[arg(value_name = "ENGINE")]
    pub engines: Vec<String>,
}

#[derive(Args, Debug)]
pub struct UnlinkArgs {
    /// Directory holding the links [default: the directory holding dockmux]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Engines whose links to remove [default: every link to dockmux in DIR]
    #[arg(value_name = "ENGINE")]
    pub engines: Vec<String>,
}

/// The running binary and where links go by default.
pub struct SelfExe {
    pub path: PathBuf,
}

impl SelfExe {
    pub fn find() -> Result<SelfExe> {
        let path = std::env::current_exe()
            .map_err(|e| Error::io("cannot find the dockmux binary (current_exe)", e))?;
        Ok(SelfExe { path })
    }

    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("/"))
    }

    fn file_name(&self) -> &OsStr {
        self.path.file_name().unwrap_or(OsStr::new("dockmux"))
    }
}

/// Is the entry at `path` a link to dockmux? Symlinks that resolve to this
/// binary, hard links to it, and dangling symlinks to a file named `dockmux`
/// (left behind when the binary moved) all count.
pub fn is_ours(path: &Path) -> bool {
    if client::is_self(path) {
        return true;
    }
    match std::fs::read_link(path) {
        Ok(target) => {
            target.file_name() == Some(OsStr::new("dockmux")) && std::fs::metadata(path).is_err()
        }
        Err(_) => false,
    }
}

/// dockmux's own binary (or a name reserved for it) is never a link to remove.
fn is_dockmux_itself(name: &str) -> bool {
    name.starts_with("dockmux") && !name.ends_with("-docker")
}

/// Where links go and what they point at; shared by `link`, `add --link` and `rename`.
pub struct Linker {
    exe: SelfExe,
    pub dir: PathBuf,
    target: PathBuf,
    pub hard: bool,
    pub force: bool,
    /// Where the linked names' completion files go.
    completions: completion::Places,
}

impl Linker {
    /// Checks `dir` (default: next to dockmux) before anything is touched.
    pub fn new(dir: Option<&Path>, hard: bool, force: bool) -> Result<Linker> {
        let exe = SelfExe::find()?;
        let dir = dir.map_or_else(|| exe.dir().to_path_buf(), Path::to_path_buf);
        check_dir(
            &dir,
            &format!("create it first (mkdir -p {})", dir.display()),
        )?;
        let target = if same_file(&dir, exe.dir()) {
            PathBuf::from(exe.file_name())
        } else {
            exe.path.clone()
        };
        Ok(Linker {
            completions: completion::Places::for_links_in(&dir),
            exe,
            dir,
            target,
            hard,
            force,
        })
    }

    /// The commands whose path holds a file that is not a link to dockmux
    /// (and that `--force` would replace).
    pub fn conflicts(&self, commands: impl IntoIterator<Item = String>) -> Vec<PathBuf> {
        if self.force {
            return Vec::new();
        }
        commands
            .into_iter()
            .map(|c| self.dir.join(c))
            .filter(|p| std::fs::symlink_metadata(p).is_ok() && !is_ours(p))
            .collect()
    }

    /// Links each command, appending a line per command to `report`, and
    /// installs the completion files of each linked command and of dockmux;
    /// returns the paths left alone because another file is in the way.
    pub fn link(
        &self,
        commands: impl IntoIterator<Item = String>,
        report: &mut String,
    ) -> Result<Vec<PathBuf>> {
        let mut conflicts = Vec::new();
        let mut linked = Vec::new();
        for command in commands {
            let path = self.dir.join(&command);
            let exists = std::fs::symlink_metadata(&path).is_ok();
            let state = if !exists {
                "linked"
            } else if is_ours(&path) {
                if up_to_date(&path, &self.target, self.hard) {
                    report.push_str(&format!("ok       {}\n", path.display()));
                    linked.push(command);
                    continue;
                }
                "relinked"
            } else if self.force {
                "replaced"
            } else {
                conflicts.push(path);
                continue;
            };
            make_link(&self.exe.path, &self.target, &path, self.hard)?;
            let how = if self.hard { "hard link to" } else { "->" };
            report.push_str(&format!(
                "{state:<8} {} {how} {}\n",
                path.display(),
                if self.hard {
                    &self.exe.path
                } else {
                    &self.target
                }
                .display()
            ));
            linked.push(command);
        }
        linked.push(completion::DOCKMUX.to_string());
        self.completions.install(&linked, self.force, report);
        Ok(conflicts)
    }

    /// A note for stderr when the links cannot be run by name.
    pub fn path_note(&self) -> Option<String> {
        (!on_path(&self.dir)).then(|| {
            format!(
                "dockmux: note: {} is not on PATH; add it (export PATH=\"{}:$PATH\") to run the links by name",
                self.dir.display(),
                self.dir.display()
            )
        })
    }
}

/// The error for links not made because other files are in the way.
pub fn conflict_error(conflicts: &[PathBuf]) -> Error {
    let list: Vec<String> = conflicts.iter().map(|p| p.display().to_string()).collect();
    Error::Failed(format!(
        "not linked, because a file that is not a link to dockmux is in the way: {}; \
         move it away or rerun with --force to replace it",
        list.join(", ")
    ))
}

pub fn link(args: &LinkArgs, sources: &Sources) -> Result<i32> {
    let cfg = config::load(sources)?;
    let engines = cfg.select(&args.engines)?;
    let linker = Linker::new(args.dir.as_deref(), args.hard, args.force)?;
    let mut report = String::new();
    let conflicts = linker.link(engines.iter().flat_map(|e| e.commands()), &mut report)?;
    if args.prune {
        let claimed: HashSet<String> = cfg.engines.iter().flat_map(|e| e.commands()).collect();
        for (path, name) in links_in(&linker.dir)? {
            if !claimed.contains(&name) {
                remove(&path)?;
                report.push_str(&format!("pruned   {}\n", path.display()));
            }
        }
        linker.completions.prune(&claimed, &mut report);
    }
    output::print(&report)?;
    if let Some(note) = linker.path_note() {
        eprintln!("{note}");
    }
    if conflicts.is_empty() {
        Ok(0)
    } else {
        Err(conflict_error(&conflicts))
    }
}

/// Removes those of `commands` in `dir` that are links to dockmux (and only
/// those), and the completion files dockmux wrote for them, appending a line
/// per removal to `report`.
pub fn unlink_commands(
    dir: &Path,
    commands: impl IntoIterator<Item = String>,
    report: &mut String,
) -> Result<()> {
    let commands: Vec<String> = commands.into_iter().collect();
    for command in &commands {
        let path = dir.join(command);
        if std::fs::symlink_metadata(&path).is_ok() && is_ours(&path) {
            remove(&path)?;
            report.push_str(&format!("removed  {}\n", path.display()));
        }
    }
    completion::Places::for_links_in(dir).remove(&commands, report);
    Ok(())
}

pub fn unlink(args: &UnlinkArgs, sources: &Sources) -> Result<i32> {
    let dir = existing_links_dir(args.dir.as_deref())?;
    let wanted: Option<HashSet<String>> = if args.engines.is_empty() {
        None
    } else {
        let cfg = config::load(sources)?;
        let engines = cfg.select(&args.engines)?;
        Some(engines.iter().flat_map(|e| e.commands()).collect())
    };
    let mut report = String::new();
    // Named engines lose their completion files even where the link is already gone.
    let mut unlinked: Vec<String> = wanted.iter().flatten().cloned().collect();
    for (path, name) in links_in(&dir)? {
        if wanted.as_ref().is_none_or(|w| w.contains(&name)) {
            remove(&path)?;
            report.push_str(&format!("removed  {}\n", path.display()));
            unlinked.push(name);
        }
    }
    if report.is_empty() {
        report = format!("no links to dockmux in {}\n", dir.display());
    }
    unlinked.sort();
    unlinked.dedup();
    completion::Places::for_links_in(&dir).remove(&unlinked, &mut report);
    output::print(&report)?;
    Ok(0)
}

/// Every link to dockmux in `dir`, with its name, sorted.
pub fn links_in(dir: &Path) -> Result<Vec<(PathBuf, String)>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("cannot read directory {}", dir.display()), e))?;
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let path = entry.path();
        if !is_dockmux_itself(&name) && is_ours(&path) {
            found.push((path, name));
        }
    }
    found.sort();
    Ok(found)
}

/// The directory holding existing links (`--dir`, default: next to
/// dockmux), checked before anything is touched.
pub fn existing_links_dir(dir: Option<&Path>) -> Result<PathBuf> {
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => SelfExe::find()?.dir().to_path_buf(),
    };
    check_dir(&dir, "give the directory that holds the links")?;
    Ok(dir)
}

/// `dir` is an existing directory; else a refusal with `missing_fix`.
pub fn check_dir(dir: &Path, missing_fix: &str) -> Result<()> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::Usage(format!(
            "--dir {} is not a directory; give a directory",
            dir.display()
        ))),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(Error::Usage(format!(
            "directory {} does not exist; {missing_fix}",
            dir.display()
        ))),
        Err(e) => Err(Error::io(format!("cannot use {}", dir.display()), e)),
    }
}

fn up_to_date(path: &Path, target: &Path, hard: bool) -> bool {
    match std::fs::read_link(path) {
        Ok(t) => !hard && t == target,
        // Not a symlink but ours: a hard link.
        Err(_) => hard,
    }
}

/// Creates the link under a temporary name and renames it into place, so an
/// existing name is replaced atomically and never left missing.
fn make_link(exe: &Path, target: &Path, path: &Path, hard: bool) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = atomic::temp_name(path);
    let _ = std::fs::remove_file(&tmp);
    let made = if hard {
        std::fs::hard_link(exe, &tmp)
    } else {
        std::os::unix::fs::symlink(target, &tmp)
    };
    made.map_err(|e| {
        let fix = if hard && e.raw_os_error() == Some(libc::EXDEV) {
            "; hard links cannot cross file systems, drop --hard"
        } else {
            permission_fix(&e)
        };
        Error::io(format!("cannot create a link in {}{fix}", dir.display()), e)
    })?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        let fix = permission_fix(&e);
        Error::io(format!("cannot create {}{fix}", path.display()), e)
    })
}

fn remove(path: &Path) -> Result<()> {
    std::fs::remove_file(path).map_err(|e| {
        let fix = permission_fix(&e);
        Error::io(format!("cannot remove {}{fix}", path.display()), e)
    })
}

/// Is `dir` one of the directories on PATH?
pub fn on_path(dir: &Path) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| same_file(&d, dir)))
}
