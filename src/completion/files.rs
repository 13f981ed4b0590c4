//! The per-name completion files that `dockmux link` installs where each
//! shell finds them on its own — bash-completion's and fish's lazy loading,
//! and a zsh fpath directory — so a name linked later completes in the next
//! shell without any rc edit. `links` calls the `Installer` for each name it
//! links or removes; the Installer never touches a file without `MARK`.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{DOCKMUX, MARK, Shell, script};

/// Where each shell's per-name files go.
struct Places {
    dirs: Vec<(Shell, PathBuf)>,
    /// The system places (root linking outside its home) rather than the user's.
    system: bool,
}

impl Places {
    /// The user's places, or the system's when root links into a directory
    /// outside its home (`--dir /usr/local/bin`). `None` when neither HOME nor
    /// the XDG variables say where the user's are.
    fn for_links_in(link_dir: &Path) -> Option<Places> {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let home = var("HOME");
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        let in_home = home.as_ref().is_some_and(|h| {
            let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
            canon(link_dir).starts_with(canon(h))
        });
        if root && !in_home {
            // DOCKMUX_SYSTEM_SHARE moves /usr/share, for tests and chroots.
            let share = var("DOCKMUX_SYSTEM_SHARE").unwrap_or_else(|| PathBuf::from("/usr/share"));
            // Debian's zsh searches vendor-completions; elsewhere site-functions is the place.
            let debian_zsh = share.join("zsh/vendor-completions");
            let zsh = if debian_zsh.is_dir() {
                debian_zsh
            } else {
                share.join("zsh/site-functions")
            };
            return Some(Places {
                dirs: vec![
                    (Shell::Bash, share.join("bash-completion/completions")),
                    (Shell::Zsh, zsh),
                    (Shell::Fish, share.join("fish/vendor_completions.d")),
                ],
                system: true,
            });
        }
        let absolute = |k: &str| var(k).filter(|p| p.is_absolute());
        let data =
            absolute("XDG_DATA_HOME").or_else(|| home.as_ref().map(|h| h.join(".local/share")))?;
        let config =
            absolute("XDG_CONFIG_HOME").or_else(|| home.as_ref().map(|h| h.join(".config")))?;
        let bash =
            absolute("BASH_COMPLETION_USER_DIR").unwrap_or_else(|| data.join("bash-completion"));
        Some(Places {
            dirs: vec![
                (Shell::Bash, bash.join("completions")),
                (Shell::Zsh, data.join("zsh/site-functions")),
                (Shell::Fish, config.join("fish/completions")),
            ],
            system: false,
        })
    }
}

/// Installs and removes per-name files as `dockmux link`/`unlink` make and
/// remove links, then reports what it did.
pub struct Installer {
    places: Option<Places>,
    force: bool,
    /// Per directory, the commands whose files were written or removed.
    written: BTreeMap<PathBuf, Vec<String>>,
    removed: BTreeMap<PathBuf, Vec<String>>,
    /// Files in the way that dockmux did not write.
    kept: Vec<PathBuf>,
    failed: Vec<String>,
}

impl Installer {
    /// For links in `link_dir`; `force` replaces completion files dockmux did not write.
    pub fn for_links_in(link_dir: &Path, force: bool) -> Installer {
        Installer {
            places: Places::for_links_in(link_dir),
            force,
            written: BTreeMap::new(),
            removed: BTreeMap::new(),
            kept: Vec::new(),
            failed: Vec::new(),
        }
    }

    /// `command` is linked: install or refresh its files.
    pub fn linked(&mut self, command: &str) {
        let Some(places) = &self.places else { return };
        for (shell, dir) in &places.dirs {
            let path = dir.join(shell.file_name(command));
            let text = script(*shell, &[command.to_string()]);
            match std::fs::read_to_string(&path) {
                Ok(old) if old == text => continue,
                Ok(old) if !is_ours(&old) && !self.force => {
                    self.kept.push(path);
                    continue;
                }
                Err(e) if e.kind() != std::io::ErrorKind::NotFound && !self.force => {
                    // A directory, unreadable, not UTF-8: not ours.
                    self.kept.push(path);
                    continue;
                }
                _ => {}
            }
            match write(&path, &text) {
                Ok(()) => push(&mut self.written, dir, command),
                Err(e) => self.failed.push(format!("{}: {e}", path.display())),
            }
        }
    }

    /// `command` is unlinked: remove its files, if dockmux wrote them.
    pub fn unlinked(&mut self, command: &str) {
        let Some(places) = &self.places else { return };
        for (shell, dir) in &places.dirs {
            let path = dir.join(shell.file_name(command));
            if !std::fs::read_to_string(&path).is_ok_and(|t| is_ours(&t)) {
                continue;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => push(&mut self.removed, dir, command),
                Err(e) => self.failed.push(format!("{}: {e}", path.display())),
            }
        }
    }

    /// Removes dockmux's files for the commands not in `keep` (dockmux's own stays).
    pub fn prune(&mut self, keep: &HashSet<String>) {
        let Some(places) = &self.places else { return };
        let mut stale = Vec::new();
        for (shell, dir) in &places.dirs {
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
        for command in stale {
            self.unlinked(&command);
        }
    }

    /// Appends what was done to `report`; notes go to stderr. Returns a
    /// description of what failed, if anything did.
    pub fn finish(self, report: &mut String) -> Option<String> {
        let zsh_dir = self.places.as_ref().and_then(|p| {
            p.dirs
                .iter()
                .find(|(s, _)| *s == Shell::Zsh)
                .filter(|_| !p.system)
                .map(|(_, d)| d.clone())
        });
        for (dir, commands) in &self.written {
            report.push_str(&format!(
                "completion {} in {}{}\n",
                commands.join(", "),
                dir.display(),
                if Some(dir) == zsh_dir.as_ref() {
                    " (zsh: add it to fpath once; see `dockmux completions zsh`)"
                } else {
                    ""
                }
            ));
        }
        for (dir, commands) in &self.removed {
            report.push_str(&format!(
                "removed  completion {} in {}\n",
                commands.join(", "),
                dir.display()
            ));
        }
        for path in &self.kept {
            eprintln!(
                "dockmux: note: kept {}, which dockmux did not write; remove it (or rerun with --force) \
                 to complete through the engine",
                path.display()
            );
        }
        if self.places.is_none() {
            eprintln!("dockmux: note: no completion files installed: HOME is not set");
        }
        if self.failed.is_empty() {
            None
        } else {
            Some(format!(
                "could not write or remove completion files: {}",
                self.failed.join("; ")
            ))
        }
    }
}

fn push(map: &mut BTreeMap<PathBuf, Vec<String>>, dir: &Path, command: &str) {
    map.entry(dir.to_path_buf())
        .or_default()
        .push(command.to_string());
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

/// Writes `text` to `path` atomically (temp file in the same directory, then
/// rename), mode 0644, creating the directory if needed.
fn write(path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.dockmux-{}",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
