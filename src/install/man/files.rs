//! The man pages `install` writes (src/install/man/mod.rs renders them from the binary
//! itself) and `uninstall` removes: in DIR/../share/man for a bin dir
//! named `bin`, which is where man-db looks for the pages of the commands
//! in a bin dir on PATH (/usr/local/bin: /usr/local/share/man; ~/.local/bin:
//! ~/.local/share/man). A page is dockmux's when its title line says
//! "dockmux manual"; another file of the same name is never replaced or removed.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::files::atomic;
use crate::install::man::Page;
use crate::output;
use crate::view::report::{Done, Kind, Outcome, Report};

/// The man root beside `bin_dir`, if man would look there.
pub fn root_for(bin_dir: &Path) -> Option<PathBuf> {
    let real = std::fs::canonicalize(bin_dir).unwrap_or_else(|_| bin_dir.to_path_buf());
    (real.file_name()? == "bin").then(|| crate::files::paths::parent(&real).join("share/man"))
}

/// Writes every page that is missing or not this build's, with a line in
/// `report`; a note when there is no man root for `bin_dir`.
pub fn install(bin_dir: &Path, pages: &[Page], report: &mut Report) -> Result<()> {
    let Some(root) = root_for(bin_dir) else {
        output::note(&format!(
            "dockmux: note: no man pages installed: man looks for them beside a directory \
             named bin, and {} is not one (dockmux --help and dockmux help COMMAND say the same)",
            bin_dir.display()
        ));
        return Ok(());
    };
    let (mut written, mut kept) = (0, Vec::new());
    for page in pages {
        let path = root.join(page.dir()).join(page.file_name());
        match std::fs::read(&path) {
            Ok(old) if old == page.roff => continue,
            Ok(_) if !is_ours(&path) => {
                kept.push(path);
                continue;
            }
            _ => {}
        }
        atomic::write(&path, &page.roff, atomic::SHARED)?;
        written += 1;
    }
    if written > 0 {
        report.push(Outcome::new(
            Done::Wrote,
            Kind::ManPages,
            root.display().to_string(),
            format!("{written} page(s) in {} (man dockmux)", root.display()),
        ));
    }
    for path in kept {
        output::note(&format!(
            "dockmux: note: kept {}, which dockmux did not write; remove it and rerun to get \
             dockmux's page",
            path.display()
        ));
    }
    Ok(())
}

/// Removes dockmux's pages beside `bin_dir`: this build's, and the
/// `dockmux-*` pages of other builds (a command since renamed).
pub fn remove(bin_dir: &Path, pages: &[Page], report: &mut Report) -> Result<()> {
    let Some(root) = root_for(bin_dir) else {
        return Ok(());
    };
    let mut paths: Vec<PathBuf> = pages
        .iter()
        .map(|p| root.join(p.dir()).join(p.file_name()))
        .collect();
    for entry in std::fs::read_dir(root.join("man1"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("dockmux-") && !paths.contains(&entry.path()) {
            paths.push(entry.path());
        }
    }
    let mut removed = 0;
    for path in paths.iter().filter(|p| is_ours(p)) {
        std::fs::remove_file(path).map_err(|e| {
            crate::error::Error::io(
                format!(
                    "cannot remove {}{}",
                    path.display(),
                    crate::error::permission_fix(&e)
                ),
                e,
            )
        })?;
        removed += 1;
    }
    if removed > 0 {
        report.push(Outcome::new(
            Done::Removed,
            Kind::ManPages,
            root.display().to_string(),
            format!("{removed} man page(s) in {}", root.display()),
        ));
    }
    Ok(())
}

/// A regular file whose `.TH` line (in its first lines) says "dockmux
/// manual", and that no package owns.
fn is_ours(path: &Path) -> bool {
    written_here(path) && crate::files::dpkg::package_of(path).is_none()
}

fn written_here(path: &Path) -> bool {
    let is_file = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file());
    let mut head = [0u8; 512];
    let n = match std::fs::File::open(path) {
        Ok(mut f) if is_file => f.read(&mut head).unwrap_or(0),
        _ => return false,
    };
    String::from_utf8_lossy(&head[..n])
        .lines()
        .take(5)
        .any(|l| l.starts_with(".TH ") && l.ends_with("\"dockmux manual\""))
}
