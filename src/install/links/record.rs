//! The links dockmux made in a directory, kept beside them in
//! `DIR/.dockmux-links`: a symlink with the target text it was given, a
//! hard link with its device and inode. A link is dockmux's while it is
//! still exactly what was recorded, even when it no longer leads to this
//! binary (dockmux moved; an upgrade by rename left a hard link on the old
//! build). Anything else, such as a hand-made `mytool -> /x/dockmux`, is not.
//! The file counts only when owned by the caller or root and writable by no
//! one else, so another user cannot make dockmux remove their choice of file.

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::files::atomic;

pub const FILE: &str = ".dockmux-links";

#[derive(Clone, Debug, PartialEq, Eq)]
enum Made {
    Symlink(PathBuf),
    Hard { dev: u64, ino: u64 },
}

pub struct Record {
    dir: PathBuf,
    links: BTreeMap<String, Made>,
    changed: bool,
}

impl Record {
    /// The record of `dir`; empty when there is none or it cannot be trusted.
    pub fn load(dir: &Path) -> Record {
        let path = dir.join(FILE);
        let mut links = BTreeMap::new();
        let trusted = std::fs::symlink_metadata(&path).is_ok_and(|m| {
            m.is_file()
                && (m.uid() == crate::files::secure::euid() || m.uid() == 0)
                && m.permissions().mode() & 0o022 == 0
        });
        if trusted && let Ok(text) = std::fs::read_to_string(&path) {
            for line in text.lines() {
                if let Some((name, made)) = parse(line) {
                    links.insert(name, made);
                }
            }
        }
        Record {
            dir: dir.to_path_buf(),
            links,
            changed: false,
        }
    }

    /// Is the entry `name` still the link dockmux recorded making?
    pub fn made(&self, name: &str) -> bool {
        let path = self.dir.join(name);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            return false;
        };
        let mine = meta.uid() == crate::files::secure::euid() || meta.uid() == 0;
        match self.links.get(name) {
            Some(Made::Symlink(target)) => {
                mine && meta.file_type().is_symlink()
                    && std::fs::read_link(&path).is_ok_and(|t| t == *target)
            }
            // Still a dockmux build too: a file made later in its place may get the same inode.
            Some(Made::Hard { dev, ino }) => {
                meta.is_file()
                    && meta.dev() == *dev
                    && meta.ino() == *ino
                    && crate::install::builds::is_build(&path)
            }
            None => false,
        }
    }

    /// Notes the link now at `DIR/name` as made by dockmux.
    pub fn note(&mut self, name: &str) {
        let path = self.dir.join(name);
        let made = match std::fs::read_link(&path) {
            Ok(target) => Made::Symlink(target),
            Err(_) => match std::fs::symlink_metadata(&path) {
                Ok(m) => Made::Hard {
                    dev: m.dev(),
                    ino: m.ino(),
                },
                Err(_) => return,
            },
        };
        if self.links.get(name) != Some(&made) {
            self.links.insert(name.to_string(), made);
            self.changed = true;
        }
    }

    pub fn forget(&mut self, name: &str) {
        self.changed |= self.links.remove(name).is_some();
    }

    /// Refuses, before any link is made, a `dir` whose record could not be
    /// written back: something other than a file is where it goes.
    pub fn check_writable(dir: &Path) -> Result<()> {
        let path = dir.join(FILE);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if !m.is_file() => Err(crate::error::Error::Usage(format!(
                "{} is not a file, but dockmux keeps its record of the links it made there; \
                 move it away, then run the command again; nothing was changed",
                path.display()
            ))),
            _ => Ok(()),
        }
    }

    /// Writes the record back (atomically), or removes it when empty, and
    /// keeps the dir in the caller's index of link dirs (link_index.rs) while
    /// it holds links dockmux made.
    pub fn save(&self) -> Result<()> {
        self.write()?;
        crate::install::links::index::note(&self.dir, !self.links.is_empty())
    }

    fn write(&self) -> Result<()> {
        if !self.changed {
            return Ok(());
        }
        let path = self.dir.join(FILE);
        if self.links.is_empty() {
            return match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(crate::error::Error::io(
                    format!("cannot remove {}", path.display()),
                    e,
                )),
                _ => Ok(()),
            };
        }
        let mut text = String::from(
            "# The links dockmux made in this directory (dockmux link/unlink keep this file).\n",
        );
        for (name, made) in &self.links {
            match made {
                Made::Symlink(t) => {
                    // Line-based: a target holding a newline is not recorded.
                    let Some(t) = t.to_str().filter(|t| !t.contains('\n')) else {
                        continue;
                    };
                    text.push_str(&format!("symlink {name} {t}\n"));
                }
                Made::Hard { dev, ino } => text.push_str(&format!("hard {name} {dev} {ino}\n")),
            }
        }
        // Never writable by others, whatever the umask (see `load`).
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644));
        atomic::write(&path, text.as_bytes(), atomic::SHARED)
    }
}

fn parse(line: &str) -> Option<(String, Made)> {
    let (kind, rest) = line.split_once(' ')?;
    let (name, rest) = rest.split_once(' ')?;
    // Plain names only: the record can name nothing outside its directory.
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return None;
    }
    let made = match kind {
        "symlink" if !rest.is_empty() => {
            Made::Symlink(PathBuf::from(std::ffi::OsStr::from_bytes(rest.as_bytes())))
        }
        "hard" => {
            let (dev, ino) = rest.split_once(' ')?;
            Made::Hard {
                dev: dev.parse().ok()?,
                ino: ino.parse().ok()?,
            }
        }
        _ => return None,
    };
    Some((name.to_string(), made))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_ours_while_it_is_what_was_recorded() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        std::os::unix::fs::symlink("/nonexistent/dockmux", d.join("a-docker")).unwrap();
        // A dockmux build: this test binary holds the builds module's note.
        std::fs::copy(std::env::current_exe().unwrap(), d.join("h")).unwrap();
        let mut r = Record::load(d);
        r.note("a-docker");
        r.note("h");
        r.save().unwrap();
        let r = Record::load(d);
        assert!(r.made("a-docker") && r.made("h"));
        // Replaced by something else: not ours any more.
        std::fs::remove_file(d.join("a-docker")).unwrap();
        std::os::unix::fs::symlink("/elsewhere/dockmux", d.join("a-docker")).unwrap();
        // Another file in its place, even one that gets the same inode.
        std::fs::remove_file(d.join("h")).unwrap();
        std::fs::write(d.join("h"), "x").unwrap();
        assert!(!r.made("a-docker"));
        assert!(!r.made("h"));
        // A record others can write is ignored.
        std::fs::set_permissions(d.join(FILE), std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(Record::load(d).links.is_empty());
        assert_eq!(parse("symlink ../x y"), None);
        assert_eq!(parse("hard a 1"), None);
    }
}
