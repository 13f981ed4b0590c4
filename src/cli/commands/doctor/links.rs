//! doctor's look at the links: each engine command on PATH and where it
//! leads, programs an alias would stand in front of, links no engine claims,
//! shared link directories holding private engines.

use std::path::{Path, PathBuf};

use super::{Checks, Level};
use crate::config::{Config, Sources};
use crate::install::links::{self, SelfExe};
use crate::{install::programs, text::quote};

/// Every value in a fix is quoted for the shell.
fn q(p: &Path) -> String {
    quote::path(p)
}

/// Where the shell finds each engine command; returns the directories on
/// PATH holding working links, each with the first command found there.
pub(super) fn check_links(c: &mut Checks, cfg: &Config) -> Vec<(PathBuf, String)> {
    let exe_dir = SelfExe::find().ok().map(|e| e.dir().to_path_buf());
    let path_dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    let mut dirs: Vec<(PathBuf, String)> = Vec::new();
    for (engine, command) in commands(cfg) {
        let found = path_dirs
            .iter()
            .map(|d| d.join(&command))
            .find(|p| std::fs::symlink_metadata(p).is_ok());
        match found {
            Some(p) if links::runs_dockmux(&p) && std::fs::metadata(&p).is_ok() => {
                c.ok("link", format!("{command}: {}", p.display()));
                let dir = p.parent().unwrap_or(Path::new("/")).to_path_buf();
                if !dirs.iter().any(|(d, _)| *d == dir) {
                    dirs.push((dir, command.clone()));
                }
            }
            Some(p) if links::runs_dockmux(&p) => c.push(
                "link",
                Level::Problem,
                format!(
                    "{command}: {} is a broken link (dockmux moved?)",
                    p.display()
                ),
                Some(format!(
                    "dockmux link --dir {} (relinks it to this binary)",
                    q(crate::files::paths::parent(&p))
                )),
            ),
            Some(p) if !programs::may_stand_in_front(&command) => c.push(
                "link",
                Level::Problem,
                format!(
                    "{command}: alias of engine '{engine}' names the program {}; dockmux does not link over programs",
                    p.display()
                ),
                Some(format!(
                    "drop the alias '{command}' from engine '{engine}' in the config"
                )),
            ),
            Some(p) => c.push(
                "link",
                Level::Problem,
                format!(
                    "{command}: the shell runs {}, which is not a link to this dockmux",
                    p.display()
                ),
                Some(format!(
                    "remove it, or replace it: dockmux link --force --dir {}",
                    q(crate::files::paths::parent(&p))
                )),
            ),
            None => {
                let off_path = exe_dir
                    .as_ref()
                    .map(|d| d.join(&command))
                    .filter(|p| links::is_ours(p));
                match off_path {
                    Some(p) => {
                        let parent = crate::files::paths::parent(&p);
                        let dir = parent.display().to_string();
                        let export = crate::text::quote::path_prepend(parent);
                        c.push(
                            "link",
                            Level::Problem,
                            format!(
                                "{command}: {} exists, but {dir} is not on PATH",
                                p.display()
                            ),
                            Some(format!(
                                "add it to PATH in your shell profile: {export}"
                            )),
                        )
                    }
                    None => c.push(
                        "link",
                        Level::Problem,
                        format!("{command}: not found on PATH"),
                        Some(link_fix(engine, exe_dir.as_deref(), &path_dirs)),
                    ),
                }
            }
        }
    }
    dirs
}

/// Links to dockmux named like another program (an alias `ssh`, `ls`):
/// whoever finds the link first runs dockmux instead of that program.
pub(super) fn check_shadowing(c: &mut Checks, cfg: &Config) {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Ok(exe) = SelfExe::find() {
        dirs.push(exe.dir().to_path_buf());
    }
    for (engine, link, program) in links::shadowing_links(cfg, &dirs) {
        c.push(
            "link",
            Level::Problem,
            format!(
                "{}: this link to dockmux stands in front of the program {}",
                link.display(),
                program.display()
            ),
            Some(format!(
                "rm {} and drop the alias '{}' from engine '{engine}' in the config",
                q(&link),
                link.file_name().unwrap_or_default().to_string_lossy()
            )),
        );
    }
}

/// The `dockmux link` that puts an engine's links where this shell finds
/// them: next to dockmux when that is on PATH and writable, else the first
/// writable directory on PATH.
pub(super) fn link_fix(engine: &str, exe_dir: Option<&Path>, path_dirs: &[PathBuf]) -> String {
    let writable = |d: &Path| {
        use std::os::unix::ffi::OsStrExt;
        std::ffi::CString::new(d.as_os_str().as_bytes())
            // SAFETY: a valid NUL-terminated path; access has no other preconditions.
            .is_ok_and(|c| d.is_dir() && unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0)
    };
    if let Some(exe) = exe_dir
        && path_dirs.iter().any(|d| d == exe)
        && writable(exe)
    {
        return format!("dockmux link {engine}");
    }
    match path_dirs.iter().find(|d| d.is_absolute() && writable(d)) {
        Some(d) => format!("dockmux link --dir {} {}", q(d), quote::sh_word(engine)),
        None => format!(
            "no directory on your PATH is writable for you: make one (mkdir -p ~/.local/bin), \
             add it to PATH, then dockmux link --dir ~/.local/bin {engine}"
        ),
    }
}

/// Every (engine name, command name) pair.
pub(super) fn commands(cfg: &Config) -> impl Iterator<Item = (&str, String)> {
    cfg.engines
        .iter()
        .flat_map(|e| e.commands().map(move |c| (e.name.as_str(), c)))
}

pub(super) fn check_stale_links(c: &mut Checks, cfg: &Config, link_dirs: &[(PathBuf, String)]) {
    let claimed: Vec<String> = cfg.engines.iter().flat_map(|e| e.commands()).collect();
    // Every dir a link may be in (PATH's, dockmux's, the default), as rename and remove look.
    let mut dirs: Vec<PathBuf> = link_dirs.iter().map(|(d, _)| d.clone()).collect();
    for d in links::link_dirs(None) {
        if !dirs.iter().any(|x| crate::files::paths::same_file(x, &d)) {
            dirs.push(d);
        }
    }
    let mut any = false;
    for dir in &dirs {
        let Ok(found) = links::links_in(dir) else {
            continue;
        };
        for (path, name) in found {
            if !claimed.contains(&name) {
                any = true;
                c.push(
                    "stale_link",
                    Level::Warning,
                    format!("{}: no engine is named by it any more", path.display()),
                    Some(format!(
                        "dockmux link --prune-only --dir {} (or rm {})",
                        q(dir),
                        q(&path)
                    )),
                );
            }
        }
    }
    if !any {
        c.ok("stale_link", "no links to dockmux that no engine claims");
    }
}

/// Links every user runs that only this user's config serves.
pub(super) fn check_shared_links(
    c: &mut Checks,
    cfg: &Config,
    sources: &Sources,
    dirs: &[(PathBuf, String)],
) {
    for (dir, _) in dirs {
        for (path, e) in crate::install::shared::private_links(dir, &cfg.engines, sources) {
            c.push(
                "shared_link",
                Level::Warning,
                format!(
                    "{}: every user runs it, but engine '{}' is only in {}, so for everyone else it fails",
                    path.display(),
                    e.name,
                    e.origin
                ),
                Some(format!(
                    "as root, put it in the system config (dockmux remove {n}, then dockmux add --system {n} {}), or remove the link (rm {})",
                    quote::sh_word(&e.host),
                    q(&path),
                    n = quote::sh_word(&e.name)
                )),
            );
        }
    }
}
