//! The linker behind `dockmux link`, `unlink`, `add --link` and `rename`: one
//! link per engine command to this binary, the
//! way busybox --install and rustup's proxies do it: a relative symlink when
//! in the same directory, never clobbering a file that is not ours.

pub(crate) mod index;
pub(crate) mod record;

use std::ffi::OsStr;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::completion;
use crate::config::Config;
use crate::engine::client;
use crate::engine::dispatch::is_docker_command;
use crate::error::{Error, Result, permission_fix};
use crate::files::atomic;
use crate::files::paths::same_file;
use crate::install::builds;
use crate::install::links::record::Record;
use crate::install::programs;
use crate::view::report::{Done, Kind, Outcome, Report};

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

/// Is the entry at `path` a link to dockmux? See [`Dir::ours`].
pub fn is_ours(path: &Path) -> bool {
    let name = path.file_name().and_then(OsStr::to_str).unwrap_or_default();
    Dir::new(crate::files::paths::parent(path)).ours(name, false)
}

/// Does the entry at `path` lead to dockmux: one of ours, or a package's
/// link to it (which is never ours to change)?
pub fn runs_dockmux(path: &Path) -> bool {
    let name = path.file_name().and_then(OsStr::to_str).unwrap_or_default();
    Dir::new(crate::files::paths::parent(path)).leads_to_dockmux(name, false)
}

/// A directory of links, with the record of those dockmux made there.
pub struct Dir {
    pub path: PathBuf,
    pub record: Record,
}

impl Dir {
    pub fn new(path: &Path) -> Dir {
        Dir {
            path: path.to_path_buf(),
            record: Record::load(path),
        }
    }

    /// Is the entry `name` a link to dockmux? One that resolves to this
    /// binary (a symlink, or a hard link); one dockmux recorded making and
    /// that is still what it made (link_record.rs); or a hard link to another
    /// dockmux build (builds.rs) made before links were recorded, when its
    /// name is an engine command (`NAME-docker`, or `claimed` by an engine):
    /// a copy of dockmux under another name is not a link.
    /// Only what dockmux made is ours to remove: a link it recorded, or
    /// one made by the caller or root (another user's link in a shared
    /// directory is theirs). A file a package owns is never ours (dpkg.rs).
    pub fn ours(&self, name: &str, claimed: bool) -> bool {
        let path = self.path.join(name);
        self.leads_to_dockmux(name, claimed)
            && (self.record.made(name) || made_by_caller(&path))
            && self.package(name).is_none()
    }

    /// The package that owns the entry `name`, if any.
    pub fn package(&self, name: &str) -> Option<String> {
        crate::files::dpkg::package_of(&self.path.join(name))
    }

    fn leads_to_dockmux(&self, name: &str, claimed: bool) -> bool {
        let path = self.path.join(name);
        if client::is_self(&path) || self.record.made(name) {
            return true;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            return false;
        };
        meta.is_file()
            && !is_dockmux_itself(name)
            && (claimed || is_docker_command(name.as_bytes()))
            && builds::is_build(&path)
    }
}

/// dockmux's own binary (or a name reserved for it) is never a link to remove.
pub fn is_dockmux_itself(name: &str) -> bool {
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
    pub completions: completion::Places,
}

impl Linker {
    /// Checks `dir` (default: next to dockmux) before anything is touched.
    pub fn new(dir: Option<&Path>, hard: bool, force: bool) -> Result<Linker> {
        let exe = SelfExe::find()?;
        let dir = match dir {
            Some(d) => d.to_path_buf(),
            None => default_dir(&exe, true)?,
        };
        Linker::for_binary(exe, Some(&dir), hard, force)
    }

    /// A Linker whose links lead to `exe` rather than to the running
    /// binary: `install` links the copy it made.
    pub fn for_binary(exe: SelfExe, dir: Option<&Path>, hard: bool, force: bool) -> Result<Linker> {
        let dir = dir.map_or_else(|| exe.dir().to_path_buf(), Path::to_path_buf);
        check_dir(
            &dir,
            &format!(
                "create it first (mkdir -p {})",
                crate::text::quote::path(&dir)
            ),
        )?;
        refuse_others_writable(&dir)?;
        Record::check_writable(&dir)?;
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
        let dir = Dir::new(&self.dir);
        commands
            .into_iter()
            .filter(|c| {
                std::fs::symlink_metadata(self.dir.join(c)).is_ok() && !self.leads_here(&dir, c)
            })
            .map(|c| self.dir.join(c))
            .collect()
    }

    /// The commands whose path holds a package's file that is not a link
    /// to dockmux: never replaced, `--force` or not. Refused before
    /// anything is written.
    pub fn refuse_packaged(&self, commands: impl IntoIterator<Item = String>) -> Result<()> {
        let dir = Dir::new(&self.dir);
        for command in commands {
            if std::fs::symlink_metadata(self.dir.join(&command)).is_ok()
                && let Some(package) = dir.package(&command)
                && !self.leads_here(&dir, &command)
            {
                return Err(Error::Usage(format!(
                    "not linked: {}; pick another name or --dir; nothing was changed",
                    crate::files::dpkg::left_alone(&self.dir.join(&command), &package)
                )));
            }
        }
        Ok(())
    }

    /// Links each command, appending a line per command to `report`, and
    /// installs the completion files of each linked command and of dockmux;
    /// returns the paths left alone because another file is in the way.
    /// Commands that would stand in front of another program are refused
    /// (see [`refuse_shadowing`]; `add` checks that first).
    pub fn link(
        &self,
        commands: impl IntoIterator<Item = String>,
        report: &mut Report,
    ) -> std::result::Result<Vec<PathBuf>, Box<Halted>> {
        Ok(self.link_all(commands, report)?.in_the_way)
    }

    pub fn link_all(
        &self,
        commands: impl IntoIterator<Item = String>,
        report: &mut Report,
    ) -> std::result::Result<Skipped, Box<Halted>> {
        let mut skipped = Skipped::default();
        let mut linked = Vec::new();
        let mut dir = Dir::new(&self.dir);
        for command in commands {
            let path = self.dir.join(&command);
            // The entry at `path` itself may be an older build's hard link.
            let others = shadowed(&command, |p| p == path && self.ours(&dir, &command));
            if let Some(program) = others.into_iter().next() {
                report.push(link(
                    Done::Refused,
                    &path,
                    format!(
                        ": it would stand in front of the program {}",
                        program.display()
                    ),
                ));
                skipped.shadowing.push((command, program));
                continue;
            }
            let existing = std::fs::symlink_metadata(&path).ok();
            if let Some(package) = existing.as_ref().and_then(|_| dir.package(&command)) {
                // Never replaced, nor recorded as dockmux's: the package's own.
                if self.leads_here(&dir, &command) {
                    report.push(link(
                        Done::Ok,
                        &path,
                        format!(" (the package {package}'s link)"),
                    ));
                } else {
                    skipped.packaged.push((path, package));
                }
                continue;
            }
            let ours = existing.is_some() && self.ours(&dir, &command);
            // An upgrade keeps each link's kind: a hard link is made again as one.
            let hard = self.hard || (ours && existing.as_ref().is_some_and(|m| m.is_file()));
            let state = if existing.is_none() {
                Done::Linked
            } else if ours {
                if up_to_date(&path, &self.target, hard) {
                    report.push(link(Done::Ok, &path, String::new()));
                    dir.record.note(&command);
                    linked.push(command);
                    continue;
                }
                Done::Relinked
            } else if self.force {
                Done::Replaced
            } else {
                skipped.in_the_way.push(path);
                continue;
            };
            if let Err(error) = make_link(&self.exe.path, &self.target, &path, hard) {
                // What was linked so far stays recorded.
                let _ = dir.record.save();
                return Err(Box::new(Halted {
                    made: linked,
                    error,
                }));
            }
            dir.record.note(&command);
            let how = if hard { "hard link to" } else { "->" };
            report.push(link(
                state,
                &path,
                format!(
                    " {how} {}",
                    if hard { &self.exe.path } else { &self.target }.display()
                ),
            ));
            for other in
                programs::others_named(&command, |p| is_ours(p) || same_file(p, &self.exe.path))
            {
                report.note(in_front_of(&self.dir, &other));
            }
            linked.push(command);
        }
        if let Err(error) = dir.record.save() {
            return Err(Box::new(Halted {
                made: linked,
                error,
            }));
        }
        // A package ships dockmux's own completion files beside it.
        if crate::files::dpkg::package_of(&self.exe.path).is_none() {
            linked.push(completion::DOCKMUX.to_string());
        }
        self.completions.install(&linked, self.force, report);
        Ok(skipped)
    }

    /// Is `command` in `dir` a link to dockmux: one [`Dir::ours`] says is,
    /// or one that leads to the binary these links lead to (install's copy).
    fn ours(&self, dir: &Dir, command: &str) -> bool {
        self.leads_here(dir, command) && dir.package(command).is_none()
    }

    fn leads_here(&self, dir: &Dir, command: &str) -> bool {
        dir.leads_to_dockmux(command, true) || same_file(&self.dir.join(command), &self.exe.path)
    }

    /// A note for stderr when the links cannot be run by name.
    pub fn path_note(&self) -> Option<String> {
        (!on_path(&self.dir)).then(|| {
            format!(
                "dockmux: note: {} is not on PATH; add it ({}) to run the links by name",
                self.dir.display(),
                crate::text::quote::path_prepend(&self.dir)
            )
        })
    }
}

/// Linking stopped at `error`; the commands in `made` are linked (or were already).
#[derive(Debug)]
pub struct Halted {
    pub made: Vec<String>,
    pub error: Error,
}

impl Halted {
    /// Which links exist, for a message that goes on after the error.
    pub fn made_note(&self) -> String {
        match self.made.as_slice() {
            [] => "no link was made".to_string(),
            made => format!(
                "only {} {} linked",
                made.join(", "),
                if made.len() == 1 { "is" } else { "are" }
            ),
        }
    }
}

impl From<Box<Halted>> for Error {
    fn from(h: Box<Halted>) -> Error {
        if h.made.is_empty() {
            return h.error;
        }
        Error::Failed(format!("{}; {}", h.error, h.made_note()))
    }
}

/// What `link` left alone.
#[derive(Default)]
pub struct Skipped {
    /// Files that are not links to dockmux (`--force` replaces them).
    pub in_the_way: Vec<PathBuf>,
    /// Commands named like another program (never linked), with that program.
    pub shadowing: Vec<(String, PathBuf)>,
    /// Files a package owns that are not links to dockmux, with the package.
    pub packaged: Vec<(PathBuf, String)>,
}

/// The other programs a link named `command` would stand in front of: none
/// for `NAME-docker` commands, which may (see programs.rs).
fn shadowed(command: &str, also_ours: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    if programs::may_stand_in_front(command) {
        return Vec::new();
    }
    programs::others_named(command, |p| is_ours(p) || also_ours(p))
}

/// Refuses commands (aliases) named like an existing program, before
/// anything is written.
pub fn refuse_shadowing(commands: impl IntoIterator<Item = String>) -> Result<()> {
    for command in commands {
        if let Some(program) = shadowed(&command, |_| false).into_iter().next() {
            return Err(shadowing_error(&command, &program));
        }
    }
    Ok(())
}

fn shadowing_error(command: &str, program: &Path) -> Error {
    Error::Usage(format!(
        "alias '{command}' names an existing program ({}); a link named so would run dockmux \
         instead of it for everyone who finds the link first on PATH; pick another alias",
        program.display()
    ))
}

/// What a new `NAME-docker` link in `dir` means for `other`, a program of
/// the same name elsewhere; `other` itself is never touched.
fn in_front_of(dir: &Path, other: &Path) -> String {
    let path_dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    let at = |d: &Path| path_dirs.iter().position(|x| same_file(x, d));
    let other_dir = crate::files::paths::parent(other);
    match (at(dir), at(other_dir)) {
        (Some(a), Some(b)) if b < a => format!(
            "note: PATH finds {} first ({} comes earlier on PATH); run the link by its path, \
             or put {} earlier on PATH",
            other.display(),
            other_dir.display(),
            dir.display()
        ),
        _ => format!("now stands in front of {} (left as it is)", other.display()),
    }
}

/// Links dockmux must never make or keep: an alias named like another
/// program, linked in one of `dirs`. (engine, link, program) for each.
pub fn shadowing_links(cfg: &Config, dirs: &[PathBuf]) -> Vec<(String, PathBuf, PathBuf)> {
    let mut found = Vec::new();
    let mut unique: Vec<&PathBuf> = Vec::new();
    for d in dirs {
        if !unique.iter().any(|u| *u == d || same_file(u, d)) {
            unique.push(d);
        }
    }
    for e in &cfg.engines {
        for command in e.commands().filter(|c| !programs::may_stand_in_front(c)) {
            for dir in &unique {
                let link = dir.join(&command);
                if std::fs::symlink_metadata(&link).is_ok()
                    && is_ours(&link)
                    && let Some(program) = shadowed(&command, |_| false).into_iter().next()
                {
                    found.push((e.name.clone(), link, program));
                }
            }
        }
    }
    found
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

/// Removes those of `commands` in `dir` that are links to dockmux (and only
/// those), and the completion files dockmux wrote for them, appending a line
/// per removal to `report`; returns how many links it removed.
pub fn unlink_commands(
    dir: &Path,
    commands: impl IntoIterator<Item = String>,
    report: &mut Report,
) -> Result<usize> {
    let mut links = Dir::new(dir);
    let mut gone = Vec::new();
    let mut removed = 0;
    for command in commands {
        let path = dir.join(&command);
        if std::fs::symlink_metadata(&path).is_err() {
            gone.push(command);
        } else if links.ours(&command, true) {
            remove(&path)?;
            links.record.forget(&command);
            report.push(link(Done::Removed, &path, String::new()));
            gone.push(command);
            removed += 1;
        }
    }
    links.record.save()?;
    // A command whose name holds another file keeps its completion files.
    completion::Places::for_links_in(dir).remove(&gone, report);
    Ok(removed)
}

/// Removes every link to dockmux in `dir` and their completion files,
/// appending a line per removal to `report`; returns how many it removed.
pub fn unlink_all(dir: &Path, report: &mut Report) -> Result<usize> {
    let found = links_in(dir)?;
    unlink_commands(dir, found.into_iter().map(|(_, name)| name), report)
}

/// A link's outcome: its path, then `rest`.
pub fn link(done: Done, path: &Path, rest: String) -> Outcome {
    let shown = path.display().to_string();
    Outcome::new(done, Kind::Link, shown.clone(), format!("{shown}{rest}"))
}

/// Where an engine's links may be, each once: `dir` (`--dir`), the default
/// link dir, dockmux's own dir, every dir on PATH and every dir dockmux made
/// links in (link_index.rs). What in them is dockmux's, their records say.
pub fn link_dirs(dir: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = dir.map(Path::to_path_buf).into_iter().collect();
    if let Ok(exe) = SelfExe::find() {
        dirs.extend(default_dir(&exe, false).ok());
        dirs.push(exe.dir().to_path_buf());
    }
    dirs.extend(
        std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .filter(|d| d.is_absolute()),
    );
    dirs.extend(crate::install::links::index::dirs());
    unique_dirs(dirs)
}

/// The dirs a command that removes links works in: `--dir` alone when
/// given; else `default` and every dir dockmux made links in
/// (link_index.rs), so a link made with `--dir D` is found without it.
pub fn work_dirs(dir: Option<&Path>, default: &Path) -> Vec<PathBuf> {
    match dir {
        Some(d) => vec![d.to_path_buf()],
        None => unique_dirs(
            std::iter::once(default.to_path_buf()).chain(crate::install::links::index::dirs()),
        ),
    }
}

/// Each existing dir once, however it is spelt.
fn unique_dirs(dirs: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
    let mut unique: Vec<PathBuf> = Vec::new();
    for d in dirs {
        if d.is_dir() && !unique.iter().any(|u| same_file(u, &d)) {
            unique.push(d);
        }
    }
    unique
}

/// The dirs among `dirs` holding a link of ours named `command`.
pub fn dirs_linking(dirs: &[PathBuf], command: &str) -> Vec<PathBuf> {
    dirs.iter()
        .filter(|d| {
            let path = d.join(command);
            std::fs::symlink_metadata(&path).is_ok()
                && Dir::new(d).ours(command, true)
                && crate::files::paths::writable(d)
        })
        .cloned()
        .collect()
}

/// Every link to dockmux in `dir`, with its name, sorted.
pub fn links_in(dir: &Path) -> Result<Vec<(PathBuf, String)>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("cannot read directory {}", dir.display()), e))?;
    let links = Dir::new(dir);
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !is_dockmux_itself(&name) && links.ours(&name, false) {
            found.push((entry.path(), name));
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
        None => default_dir(&SelfExe::find()?, false)?,
    };
    check_dir(&dir, "give the directory that holds the links")?;
    Ok(dir)
}

/// Where links go without `--dir`: next to dockmux, unless a package
/// installed it: that directory is the package manager's, so the caller's
/// own bin dir (paths::own_bin_dir; `create`d if missing, as `install` does).
fn default_dir(exe: &SelfExe, create: bool) -> Result<PathBuf> {
    let Some(package) = crate::files::dpkg::package_of(&exe.path) else {
        return Ok(exe.dir().to_path_buf());
    };
    let dir = crate::files::paths::own_bin_dir().ok_or_else(|| {
        Error::Usage(format!(
            "the package {package} installed dockmux, so its links go to your own bin dir, \
             but HOME is not set; give the directory (--dir DIR)"
        ))
    })?;
    if create && !dir.exists() {
        std::fs::create_dir_all(&dir).map_err(|e| {
            Error::io(
                format!("cannot create {}{}", dir.display(), permission_fix(&e)),
                e,
            )
        })?;
    }
    Ok(dir)
}

/// Is the entry at `path` the caller's or root's (lstat: a symlink's own owner)?
pub fn made_by_caller(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path)
        .is_ok_and(|m| m.uid() == 0 || m.uid() == crate::files::secure::euid())
}

/// Refuses a directory others can write to (sticky or not): whoever can
/// write there can swap what dockmux puts there, and put there what
/// dockmux would later take for its own.
pub fn refuse_others_writable(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(dir) else {
        return Ok(());
    };
    let mode = meta.permissions().mode();
    if mode & 0o022 == 0 {
        return Ok(());
    }
    // A sticky dir (/tmp) is meant to be shared: the fix is another dir.
    let chmod = if mode & 0o1000 == 0 {
        format!("chmod go-w {}, or ", crate::text::quote::path(dir))
    } else {
        String::new()
    };
    Err(Error::Usage(format!(
        "{} is writable by {} (mode {:o}), so whoever can write there could replace what \
         dockmux puts there; {chmod}use a directory only you (or root) can write, e.g. {}",
        dir.display(),
        if mode & 0o002 != 0 {
            "everyone"
        } else {
            "its group"
        },
        mode & 0o7777,
        crate::files::paths::own_bin_dir()
            .map_or_else(|| "~/.local/bin".into(), |d| crate::text::quote::path(&d))
    )))
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
        // Not a symlink: a hard link, to this very build or an older one.
        Err(_) => hard && client::is_self(path),
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

pub fn remove(path: &Path) -> Result<()> {
    std::fs::remove_file(path).map_err(|e| {
        let fix = permission_fix(&e);
        Error::io(format!("cannot remove {}{fix}", path.display()), e)
    })
}

/// Is `dir` one of the directories on PATH?
pub fn on_path(dir: &Path) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| same_file(&d, dir)))
}
