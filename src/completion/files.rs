//! The per-name completion files that `dockmux link` installs where each
//! shell finds them on its own — bash-completion's and fish's lazy loading,
//! and a zsh fpath directory — so a name linked later completes in the next
//! shell without any rc edit. `links` calls `Places` with the names it links
//! and removes; a file without `MARK` is never replaced (unless forced) or
//! removed.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use super::{DOCKMUX, MARK, Shell, script};
use crate::files::atomic;
use crate::files::paths;
use crate::output;
use crate::view::report::{self, Kind, Outcome, Report};

/// Where each shell's per-name files go, for links in one directory.
pub struct Places {
    /// Empty when neither HOME nor the XDG variables say where the user's are.
    dirs: Vec<(Shell, PathBuf)>,
    /// PREFIX/share's places rather than the user's.
    system: bool,
    /// Said when files are written: why they went where they did.
    note: Option<String>,
}

impl Places {
    /// The places for links in `link_dir`, as the man pages follow their bin
    /// dir: in the caller's HOME, the user's own places; in PREFIX/bin where
    /// the shells read PREFIX/share (a data dir: `XDG_DATA_DIRS`, by default
    /// /usr/local/share and /usr/share), PREFIX/share's; anywhere else, the
    /// user's own places, with a note (`note_for`). Only the shells that are
    /// installed (on PATH) get files.
    pub fn for_links_in(link_dir: &Path) -> Places {
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let real = canon(link_dir);
        let in_home = paths::env("HOME").is_some_and(|h| real.starts_with(canon(&h)));
        let share = (real.file_name() == Some("bin".as_ref()))
            .then(|| paths::parent(&real).join("share"))
            .filter(|s| !in_home && data_dirs().iter().any(|d| d == s || paths::same_file(d, s)));
        let mut places = match share {
            Some(share) => Places::prefix(&share),
            None => Places::user(),
        };
        if !in_home && !places.system {
            places.note = Some(format!(
                "dockmux: note: no shell reads completion files beside {} (they are read beside \
                 a bin dir whose ../share is a data dir, as /usr/local/bin's), so they went to \
                 your own",
                link_dir.display()
            ));
        }
        places.installed()
    }

    /// Only the shells installed here.
    fn installed(mut self) -> Places {
        self.dirs
            .retain(|(shell, _)| crate::engine::client::on_path(shell.name()).is_some());
        self
    }

    /// The user's own places, where each shell looks without any setup
    /// (zsh: once the directory is on fpath).
    fn user() -> Places {
        let absolute = |k: &str| paths::env(k).filter(|p| p.is_absolute());
        let home = paths::env("HOME");
        let user = |k: &str, under_home: &str| {
            absolute(k).or_else(|| home.as_ref().map(|h| h.join(under_home)))
        };
        let dirs = match (
            user("XDG_DATA_HOME", ".local/share"),
            user("XDG_CONFIG_HOME", ".config"),
        ) {
            (Some(data), Some(config)) => {
                let bash = absolute("BASH_COMPLETION_USER_DIR")
                    .unwrap_or_else(|| data.join("bash-completion"));
                vec![
                    (Shell::Bash, bash.join("completions")),
                    (Shell::Zsh, data.join("zsh/site-functions")),
                    (Shell::Fish, config.join("fish/completions")),
                ]
            }
            _ => Vec::new(),
        };
        Places {
            dirs,
            system: false,
            note: None,
        }
    }

    /// PREFIX/share's places, for every user: bash-completion's, zsh's
    /// (Debian's zsh searches vendor-completions under /usr/share and
    /// site-functions under /usr/local/share), and fish's vendor dir where
    /// fish reads it: its own (/usr/share) or one `XDG_DATA_DIRS` names;
    /// else fish's system dir, which it always reads (Debian 12's fish reads
    /// no /usr/local/share without XDG_DATA_DIRS).
    fn prefix(share: &Path) -> Places {
        let vendor = share.join("zsh/vendor-completions");
        let zsh = if vendor.is_dir() {
            vendor
        } else {
            share.join("zsh/site-functions")
        };
        let fish_reads = share == system_share()
            || paths::same_file(share, &system_share())
            || paths::env("XDG_DATA_DIRS").is_some_and(|_| {
                data_dirs()
                    .iter()
                    .any(|d| d == share || paths::same_file(d, share))
            });
        let fish = if fish_reads {
            share.join("fish/vendor_completions.d")
        } else {
            PathBuf::from("/etc/fish/completions")
        };
        Places {
            dirs: vec![
                (Shell::Bash, share.join("bash-completion/completions")),
                (Shell::Zsh, zsh),
                (Shell::Fish, fish),
            ],
            system: true,
            note: None,
        }
    }

    /// Every file `shell` would load to complete `command`: the user's place
    /// and the system's that `link` writes to, and the other directories the
    /// shell searches (/usr/local/share, /etc), where a packager or an admin
    /// may have put one.
    pub fn searched(shell: Shell, command: &str) -> Vec<PathBuf> {
        let share = system_share();
        let local = Path::new("/usr/local/share");
        let user = Places::user().dirs.into_iter();
        let others = match shell {
            Shell::Bash => vec![
                local.join("bash-completion/completions"),
                share.join("bash-completion/completions"),
                PathBuf::from("/etc/bash_completion.d"),
            ],
            Shell::Zsh => vec![
                local.join("zsh/site-functions"),
                share.join("zsh/vendor-completions"),
                share.join("zsh/site-functions"),
            ],
            Shell::Fish => vec![
                PathBuf::from("/etc/fish/completions"),
                local.join("fish/vendor_completions.d"),
                share.join("fish/vendor_completions.d"),
            ],
        };
        user.filter(|(s, _)| *s == shell)
            .map(|(_, d)| d)
            .chain(others)
            .map(|d| d.join(shell.file_name(command)))
            .collect()
    }

    /// Installs or refreshes the files of `commands`, never replacing one
    /// dockmux did not write unless `force`. A line per directory written to
    /// goes to `report`; what could not be done, to stderr.
    pub fn install(&self, commands: &[String], force: bool, report: &mut Report) {
        if self.dirs.is_empty() {
            output::note("dockmux: note: no completion files installed: HOME is not set");
            return;
        }
        let mut done = Done::default();
        for (shell, dir) in &self.dirs {
            for command in commands {
                let path = dir.join(shell.file_name(command));
                let text = script(*shell, std::slice::from_ref(command));
                // A package's file is the package manager's to change, --force or not.
                if crate::files::dpkg::package_of(&path).is_some() {
                    continue;
                }
                match std::fs::read_to_string(&path) {
                    Ok(old) if old == text => continue,
                    Ok(old) if !is_ours(&old) && !force => {
                        done.kept.push(path);
                        continue;
                    }
                    // A directory, unreadable, not UTF-8: not ours.
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound && !force => {
                        done.kept.push(path);
                        continue;
                    }
                    _ => {}
                }
                // Readable by every user, like the shells' own completion files.
                match atomic::write(&path, text.as_bytes(), atomic::SHARED) {
                    Ok(()) => done.add(dir, command),
                    Err(e) => done.failed.push(e.to_string()),
                }
            }
        }
        let zsh_dir = (!self.system)
            .then(|| self.dirs.iter().find(|(s, _)| *s == Shell::Zsh))
            .flatten()
            .map(|(_, d)| d.as_path());
        if let Some(note) = self.note.as_deref().filter(|_| !done.by_dir.is_empty()) {
            output::note(note);
        }
        done.report(report::Done::Wrote, report, |dir| {
            (Some(dir) == zsh_dir)
                .then_some(" (zsh: add it to fpath once; see `dockmux completions zsh`)")
        });
    }

    /// Removes the files of `commands`, where dockmux wrote them.
    pub fn remove(&self, commands: &[String], report: &mut Report) {
        let mut done = Done::default();
        for (shell, dir) in &self.dirs {
            for command in commands {
                let path = dir.join(shell.file_name(command));
                if !starts_with_mark(&path) || crate::files::dpkg::package_of(&path).is_some() {
                    continue;
                }
                match std::fs::remove_file(&path) {
                    Ok(()) => done.add(dir, command),
                    Err(e) => done
                        .failed
                        .push(format!("cannot remove {}: {e}", path.display())),
                }
            }
        }
        done.report(report::Done::Removed, report, |_| None);
    }

    /// Removes dockmux's files of the commands not in `keep` (dockmux's own stays).
    pub fn prune(&self, keep: &HashSet<String>, report: &mut Report) {
        let mut stale = Vec::new();
        for (shell, dir) in &self.dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if let Some(command) = shell.command_of(&name)
                    && command != DOCKMUX
                    && !keep.contains(command)
                    && starts_with_mark(&entry.path())
                {
                    stale.push(command.to_string());
                }
            }
        }
        stale.sort();
        stale.dedup();
        self.remove(&stale, report);
    }
}

/// What one install or removal did, for the report.
#[derive(Default)]
struct Done {
    /// Per directory, the commands whose files were written or removed.
    by_dir: BTreeMap<PathBuf, Vec<String>>,
    /// Files in the way that dockmux did not write.
    kept: Vec<PathBuf>,
    failed: Vec<String>,
}

impl Done {
    fn add(&mut self, dir: &Path, command: &str) {
        self.by_dir
            .entry(dir.to_path_buf())
            .or_default()
            .push(command.to_string());
    }

    fn report(
        self,
        done: report::Done,
        report: &mut Report,
        note: impl Fn(&Path) -> Option<&'static str>,
    ) {
        // Written: "completion A, B in DIR"; removed: "removed  completion A, B in DIR".
        let noun = if done == report::Done::Wrote {
            ""
        } else {
            "completion "
        };
        for (dir, commands) in &self.by_dir {
            report.push(Outcome::new(
                done,
                Kind::Completion,
                dir.display().to_string(),
                format!(
                    "{noun}{} in {}{}",
                    commands.join(", "),
                    dir.display(),
                    note(dir).unwrap_or("")
                ),
            ));
        }
        for path in &self.kept {
            output::note(&format!(
                "dockmux: note: kept {}, which dockmux did not write; remove it (or rerun \
                 with --force) to complete through the engine",
                path.display()
            ));
        }
        for failure in &self.failed {
            output::note(&format!(
                "dockmux: note: {failure}; fix that and rerun dockmux link"
            ));
        }
    }
}

/// The data dirs every user's shells read (bash-completion's and fish's
/// search; `DOCKMUX_SYSTEM_SHARE` stands in for /usr/share).
fn data_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = match std::env::var_os("XDG_DATA_DIRS").filter(|v| !v.is_empty()) {
        Some(v) => std::env::split_paths(&v)
            .filter(|d| d.is_absolute())
            .collect(),
        None => vec![
            PathBuf::from("/usr/local/share"),
            PathBuf::from("/usr/share"),
        ],
    };
    dirs.push(system_share());
    dirs
}

/// /usr/share; `DOCKMUX_SYSTEM_SHARE` moves it, for tests and chroots.
fn system_share() -> PathBuf {
    paths::env("DOCKMUX_SYSTEM_SHARE").unwrap_or_else(|| PathBuf::from("/usr/share"))
}

/// The mark sits in the first lines (after zsh's `#compdef`).
fn is_ours(text: &str) -> bool {
    text.lines().take(3).any(|l| l.starts_with(MARK))
}

fn starts_with_mark(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 512];
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let n = f.read(&mut head).unwrap_or(0);
    is_ours(&String::from_utf8_lossy(&head[..n]))
}
