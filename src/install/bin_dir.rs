//! Where `dockmux install` puts dockmux, shared by `install` and
//! `uninstall`: the bin dir (as root /usr/local/bin, which non-interactive
//! ssh finds; otherwise ~/.local/bin; `--dir` overrides), the binary in it,
//! and what may be done there.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::{files::paths, files::secure, install::builds, install::shared};

/// The binary's name in the bin dir.
pub const BINARY: &str = "dockmux";

/// The file this process runs, even once its path was replaced or removed
/// (an upgrade, a `dockmux push` temp copy): what install copies.
pub const RUNNING: &str = "/proc/self/exe";

/// A bin dir and the dockmux binary in it.
pub struct Target {
    pub dir: PathBuf,
    pub binary: PathBuf,
    /// True when the dir is the default one (created if missing).
    pub default: bool,
}

impl Target {
    /// `dir`, or the default for the caller.
    pub fn new(dir: Option<&Path>) -> Result<Target> {
        let (dir, default) = match dir {
            Some(d) => (d.to_path_buf(), false),
            None => (default_dir()?, true),
        };
        Ok(Target {
            binary: dir.join(BINARY),
            dir,
            default,
        })
    }

    /// Refuses a dir this user may not or should not install into, before
    /// anything is written: missing (unless the default), not a directory,
    /// not writable, open to others' writes, or serving every user while
    /// the caller is not root.
    pub fn check_dir(&self) -> Result<()> {
        let d = self.dir.display();
        match std::fs::metadata(&self.dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(Error::Usage(format!(
                    "{d} is not a directory; give a directory"
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::Usage(format!(
                    "directory {d} does not exist; create it first (mkdir -p {})",
                    crate::text::quote::path(&self.dir)
                )));
            }
            Err(e) => return Err(Error::io(format!("cannot use {d}"), e)),
        }
        if let Err(refusal) = secure::check(&self.dir) {
            return Err(refusal.into_error(
                || format!("{d} as the place for dockmux (whoever can write there decides what `dockmux` and the links run)"),
                |p, e| Error::io(format!("cannot check {}", p.display()), e),
            ));
        }
        // The dir itself, sticky or not (secure::check lets a sticky one on the way pass).
        crate::install::links::refuse_others_writable(&self.dir)?;
        if secure::euid() != 0 && shared::serves_others(&self.dir) {
            return Err(Error::Usage(format!(
                "{d} serves every user, so only root installs there; run it as root, \
                 or install into a directory of your own (--dir ~/.local/bin)"
            )));
        }
        if !writable(&self.dir) {
            return Err(Error::Usage(format!(
                "{d} is not writable by you; run it as root, or install into a directory \
                 of your own (--dir ~/.local/bin)"
            )));
        }
        Ok(())
    }

    /// Makes the default dir (`~/.local/bin` is often missing); an explicit
    /// `--dir` must exist.
    pub fn create_default(&self) -> Result<()> {
        if !self.default || self.dir.exists() {
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| {
            Error::io(
                format!(
                    "cannot create {}{}",
                    self.dir.display(),
                    crate::error::permission_fix(&e)
                ),
                e,
            )
        })
    }

    /// What is at the binary's path now.
    pub fn existing(&self) -> Existing {
        match std::fs::symlink_metadata(&self.binary) {
            Err(_) => Existing::Nothing,
            Ok(m) if m.is_dir() => Existing::Foreign,
            Ok(_) if let Some(p) = crate::files::dpkg::package_of(&self.binary) => {
                Existing::Package(p)
            }
            // A symlink counts by what it leads to (a dockmux build: replaced by the copy).
            Ok(_) if builds::is_build(&self.binary) => Existing::Dockmux,
            Ok(_) => Existing::Foreign,
        }
    }

    /// Is the binary in the dir the very file this process runs?
    pub fn is_running(&self) -> bool {
        paths::same_file(Path::new(RUNNING), &self.binary)
    }
}

/// What the bin dir holds under the binary's name.
#[derive(Debug, PartialEq, Eq)]
pub enum Existing {
    Nothing,
    /// A dockmux build (or a symlink to one).
    Dockmux,
    /// Another program, or a directory: never replaced or removed.
    Foreign,
    /// A file a package owns (dockmux's own .deb, say): left to the package manager.
    Package(String),
}

/// As root /usr/local/bin; otherwise ~/.local/bin.
pub fn default_dir() -> Result<PathBuf> {
    paths::own_bin_dir().ok_or_else(|| {
        Error::Usage(
            "HOME is not set, so there is no ~/.local/bin to install into; \
             give the directory (--dir DIR)"
                .to_string(),
        )
    })
}

pub use crate::files::paths::writable;

/// The bytes of the running binary.
pub fn running_binary() -> Result<Vec<u8>> {
    std::fs::read(RUNNING).map_err(|e| {
        Error::io(
            format!("cannot read {RUNNING} (this dockmux's own file)"),
            e,
        )
    })
}
